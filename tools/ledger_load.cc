// ledger_load: end-to-end load on a running ledgerd over its public gRPC
// API, from N clients (each its own connection, by default one call at a
// time, as a pgbench client is one connection running one transaction at a
// time; --inflight K keeps K calls in flight on each connection). The
// calls are asynchronous, driven by --drivers threads (default 1) each
// polling a completion queue, so that the load generator takes as little
// of the machine as it can (with a thread per call blocked in a
// synchronous stub it took a third of these two vCPUs at 5,000 calls/s).
//
// Modes:
//   single     ReceiveComplaint, one event per call (a complaint taken, not
//              yet classified), each with its own command id
//   lifecycle  one call at a time per caller, in turn: a classified
//              ReceiveComplaint, then on that complaint ChooseTrack, Reply
//              and RecordRevisit (commands decided on the complaint's
//              stream), then a new complaint
//   batch      ExecuteBatch of --batch such commands per call; results say
//              where the events went (--with_events: the events too)
//   replay     ReadAll pages of 1,000 from position 1 to the head, again and
//              again: the log as an auditor or a new projection reads it
//   query      GetQueue, a page of 100 of --queue
//   head       GetLogHead: the lightest call the ledger serves, so what
//              any unary call costs on this machine and network: the
//              ceiling of calls/s for clients one call at a time
//   subscribe  single-mode writers plus --subscribers live Subscribe streams;
//              lag = when a subscriber got an event minus its recorded time
//              (both read from this machine's clock)
// Reports calls, events, events/s, call latency p50/p99/p999 (and lag for
// subscribe) as text or, with --json, one JSON line. Exit 1 when a call
// failed (the first error is printed).
//
// The writes need agents: at start it registers --head as a centre head and
// --agent as an agent (on a new ledger --head must be ledgerd's
// --bootstrap_head; on one whose heads do not include --head, name one of
// them).
//
// Against a ledgerd that checks tokens, --identity DIR (tools/dev_identity.sh's
// layout: ca.pem, tokens/AGENT.token) gives TLS and the callers' tokens:
// --agent's for commands and queries, --head's for registering, replay,
// head and subscribe. Give that ledgerd --calls_per_second 0, or its limit
// per identity is what gets measured.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "ledger/base/mutex_mode.h"
#include "ledger/complaint/builders.h"
#include "ledger/store/version.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "rpc/channel.h"
#include "rpc/status.h"
#include "tools/percentile.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "ledgerd's address");
ABSL_FLAG(std::string, mode, "single",
          "single | lifecycle | batch | replay | query | head | subscribe");
ABSL_FLAG(int, clients, 8, "concurrent clients, one connection each");
ABSL_FLAG(int, inflight, 1,
          "calls each client keeps in flight on its connection (1: one at a "
          "time, as a pgbench client)");
ABSL_FLAG(int, drivers, 1,
          "threads driving the clients' calls, each with its own completion "
          "queue (the clients are spread over them)");
ABSL_FLAG(double, duration_s, 10, "measured seconds");
ABSL_FLAG(double, warmup_s, 1, "seconds run before measuring");
ABSL_FLAG(int, calls, 0,
          "instead of a time: each caller (client x inflight) makes exactly "
          "this many calls, all measured, no warm-up; subscribe mode then "
          "waits until its subscribers have every event written (tests)");
ABSL_FLAG(int, batch, 100, "commands per ExecuteBatch call (batch mode)");
ABSL_FLAG(bool, with_events, false,
          "batch mode: ask for each command's events in the results");
ABSL_FLAG(int, subscribers, 1, "live Subscribe streams (subscribe mode)");
ABSL_FLAG(std::string, queue, "open-by-owner",
          "query mode: open-by-owner (of --agent) | revisits-due | "
          "sign-offs-waiting | overdue");
ABSL_FLAG(std::string, head, "load-head", "centre head that registers --agent");
ABSL_FLAG(std::string, agent, "load-agent", "the agent taking complaints");
ABSL_FLAG(bool, json, false, "one JSON line instead of text");
ABSL_FLAG(std::string, identity, "",
          "TLS and tokens from this directory (ca.pem, tokens/AGENT.token); "
          "empty: a plain connection (ledgerd --insecure_no_auth)");

namespace ledger {
namespace {

using Clock = std::chrono::steady_clock;

// How each side connects: --agent for commands and queries, --head for the
// rest.
ClientSecurity agent_security, head_security;

std::shared_ptr<grpc::Channel> Connect(const std::string& target,
                                       const ClientSecurity& security) {
  grpc::ChannelArguments args;
  // A connection of its own, not one shared with the other clients.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(16 << 20);
  return MakeChannel(target, security, args);
}

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(60));
}

// What the clients measured, merged.
struct Tally {
  absl::Mutex mu;
  uint64_t calls = 0;
  uint64_t events = 0;
  uint64_t errors = 0;
  std::string first_error;
  std::vector<int64_t> latency_us;
  std::vector<int64_t> lag_us;
  // Events the subscribers have received while measuring, so far.
  std::atomic<uint64_t> delivered{0};
  // Subscribers live (caught up), so far.
  std::atomic<int> live{0};

  void Error(const std::string& what) {
    absl::MutexLock lock(&mu);
    if (errors++ == 0) first_error = what;
  }
};

// A phase that runs until `stop` (or each caller made `calls_each` calls);
// samples count once `measuring`.
struct Phase {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  int calls_each = 0;  // 0: until `stop`.
};

// One caller: a call at a time on its connection, started on a completion
// queue and completed by the driver thread that polls it. A client with
// --inflight K is K callers sharing one connection.
class Caller {
 public:
  // `index` tells its command ids from every other caller's.
  Caller(std::shared_ptr<grpc::Channel> channel, int index, std::string run,
         std::string mode)
      : channel_(std::move(channel)),
        complaints_(v1::ComplaintService::NewStub(channel_)),
        ledger_(v1::Ledger::NewStub(channel_)),
        queries_(v1::QueryService::NewStub(channel_)),
        index_(index),
        run_(std::move(run)),
        mode_(std::move(mode)) {}

  // Starts the next call on `cq`; its completion is tagged with this.
  void Start(grpc::CompletionQueue* cq) {
    context_ = std::make_unique<grpc::ClientContext>();
    SetDeadline(context_.get());
    started_ = Clock::now();
    if (mode_ == "single") {
      intake_ = NextIntake();
      single_ = complaints_->AsyncReceiveComplaint(context_.get(), intake_, cq);
      single_->Finish(&result_, &status_, this);
    } else if (mode_ == "lifecycle") {
      StartLifecycleStep(cq);
    } else if (mode_ == "batch") {
      batch_.Clear();
      for (int i = 0; i < absl::GetFlag(FLAGS_batch); ++i) {
        *batch_.add_commands()->mutable_receive_complaint() = NextIntake();
      }
      batch_.set_with_events(absl::GetFlag(FLAGS_with_events));
      batch_call_ = complaints_->AsyncExecuteBatch(context_.get(), batch_, cq);
      batch_call_->Finish(&batch_result_, &status_, this);
    } else if (mode_ == "replay") {
      read_all_.set_from_position(replay_from_);
      read_all_.set_limit(1000);
      replay_ = ledger_->AsyncReadAll(context_.get(), read_all_, cq);
      replay_->Finish(&page_, &status_, this);
    } else if (mode_ == "head") {
      head_call_ =
          ledger_->AsyncGetLogHead(context_.get(), v1::GetLogHeadRequest(), cq);
      head_call_->Finish(&head_, &status_, this);
    } else {
      query_ = queries_->AsyncGetQueue(context_.get(), QueueRequest(), cq);
      query_->Finish(&queue_page_, &status_, this);
    }
  }

  // The call ended: the events it wrote or read, or -1 (tallied).
  int64_t Complete(Tally& tally) {
    latency_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                      Clock::now() - started_)
                      .count();
    if (!status_.ok()) {
      tally.Error(absl::StrCat(mode_, ": ", status_.error_message()));
      step_ = 0;  // Lifecycle mode: start again with a new complaint.
      // A node of a replicated log that does not write it names the one
      // that does: the next calls go there.
      // (And when that one fails, back to --target.)
      if (auto writer = NamedWriter(status_, *context_); writer.has_value()) {
        Redirect(*writer);
        redirected_ = true;
      } else if (redirected_ &&
                 status_.error_code() == grpc::StatusCode::UNAVAILABLE) {
        Redirect(absl::GetFlag(FLAGS_target));
        redirected_ = false;
      }
      return -1;
    }
    if (mode_ == "single") return result_.events_size();
    if (mode_ == "lifecycle") {
      // The next step on the same complaint; after the revisit, a new one.
      if (step_ == 0) complaint_id_ = result_.state().complaint_id();
      step_ = (step_ + 1) % kLifecycleSteps;
      return result_.events_size();
    }
    if (mode_ == "batch") return BatchEvents(tally);
    if (mode_ == "replay") {
      replay_from_ =
          page_.events().empty() || page_.events().rbegin()->position() >=
                                        page_.log_position_last()
              ? 1  // The end: from the start again.
              : page_.events().rbegin()->position() + 1;
      return page_.events_size();
    }
    if (mode_ == "head") return 0;
    return queue_page_.items_size();
  }

  int64_t latency_us() const { return latency_us_; }
  // Calls ended so far (for --calls).
  int ended = 0;

  // After a failed call: its tag comes back on `cq` in 10 ms (the low bit
  // set tells it from a call's).
  void Backoff(grpc::CompletionQueue* cq) {
    backoff_.Set(
        cq, std::chrono::system_clock::now() + std::chrono::milliseconds(10),
        reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(this) | 1));
  }
  static Caller* OfTag(void* tag, bool* backoff) {
    const auto bits = reinterpret_cast<uintptr_t>(tag);
    *backoff = (bits & 1) != 0;
    return reinterpret_cast<Caller*>(bits & ~uintptr_t{1});
  }

 private:
  void Redirect(const std::string& target) {
    channel_ = Connect(target, agent_security);
    complaints_ = v1::ComplaintService::NewStub(channel_);
    ledger_ = v1::Ledger::NewStub(channel_);
    queries_ = v1::QueryService::NewStub(channel_);
  }

  // Lifecycle mode: a classified intake, then on that complaint a track,
  // the reply and the revisit (three commands deciding on its stream).
  static constexpr int kLifecycleSteps = 4;
  void StartLifecycleStep(grpc::CompletionQueue* cq) {
    v1::ComplaintService::Stub& stub = *complaints_;
    grpc::ClientContext* context = context_.get();
    switch (step_) {
      case 0:
        intake_ = NextIntake();
        *intake_.mutable_classification() = build::ComplaintAbout();
        single_ = stub.AsyncReceiveComplaint(context, intake_, cq);
        break;
      case 1:
        track_ = build::Track(complaint_id_, v1::HANDLING_TRACK_ON_THE_SPOT);
        Identify(track_.mutable_context());
        single_ = stub.AsyncChooseTrack(context, track_, cq);
        break;
      case 2:
        reply_ = build::ReplyTo(complaint_id_);
        Identify(reply_.mutable_context());
        single_ = stub.AsyncReply(context, reply_, cq);
        break;
      default:
        revisit_ = build::Revisit(complaint_id_);
        Identify(revisit_.mutable_context());
        single_ = stub.AsyncRecordRevisit(context, revisit_, cq);
        break;
    }
    single_->Finish(&result_, &status_, this);
  }

  // The load agent's command, with an id of its own.
  void Identify(v1::CommandContext* context) { Identify(context, next_++); }
  void Identify(v1::CommandContext* context, uint64_t n) {
    context->set_actor_agent_id(absl::GetFlag(FLAGS_agent));
    context->set_command_id(absl::StrCat("load-", run_, "-", index_, "-", n));
  }

  v1::ReceiveComplaint NextIntake() {
    const uint64_t n = next_++;
    // A different customer each time: 139 and eight digits.
    v1::ReceiveComplaint c = build::Intake(
        "", absl::StrFormat("139%08d", (index_ * 10'000'019 + n) % 100'000'000),
        "The newspaper has arrived wet three mornings this week; the "
        "customer asks for it to be delivered in a sleeve and to the door.");
    Identify(c.mutable_context(), n);
    return c;
  }

  int64_t BatchEvents(Tally& tally) {
    int64_t events = 0;
    for (const v1::BatchCommandResult& r : batch_result_.results()) {
      if (r.code() != 0) {
        tally.Error(absl::StrCat("ExecuteBatch: a command: ", r.message()));
        return -1;
      }
      events +=
          r.appended().position_last() - r.appended().position_first() + 1;
    }
    return events;
  }

  static v1::GetQueueRequest QueueRequest() {
    const std::string queue = absl::GetFlag(FLAGS_queue);
    v1::GetQueueRequest request;
    if (queue == "open-by-owner") {
      request.set_kind(v1::QUEUE_KIND_OPEN_BY_OWNER);
      request.set_owner_agent_id(absl::GetFlag(FLAGS_agent));
    } else if (queue == "revisits-due") {
      request.set_kind(v1::QUEUE_KIND_REVISITS_DUE);
    } else if (queue == "sign-offs-waiting") {
      request.set_kind(v1::QUEUE_KIND_SIGN_OFFS_WAITING);
    } else {
      request.set_kind(v1::QUEUE_KIND_OVERDUE);
    }
    request.set_page_size(100);
    return request;
  }

  std::shared_ptr<grpc::Channel> channel_;
  // Sent elsewhere than --target by a node that does not write the log.
  bool redirected_ = false;
  std::unique_ptr<v1::ComplaintService::Stub> complaints_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::QueryService::Stub> queries_;
  const int index_;
  const std::string run_;
  const std::string mode_;
  uint64_t next_ = 0;
  uint64_t replay_from_ = 1;
  // Lifecycle mode: the next command's place in kLifecycleSteps.
  int step_ = 0;
  std::string complaint_id_;

  // The call in flight (requests and responses outlive it).
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::Alarm backoff_;
  Clock::time_point started_;
  int64_t latency_us_ = 0;
  grpc::Status status_;
  v1::ReceiveComplaint intake_;
  v1::ChooseTrack track_;
  v1::Reply reply_;
  v1::RecordRevisit revisit_;
  v1::CommandResult result_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::CommandResult>> single_;
  v1::CommandBatch batch_;
  v1::BatchResult batch_result_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::BatchResult>> batch_call_;
  v1::ReadAllRequest read_all_;
  v1::ReadAllResponse page_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ReadAllResponse>> replay_;
  v1::GetLogHeadResponse head_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetLogHeadResponse>>
      head_call_;
  v1::GetQueueResponse queue_page_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetQueueResponse>> query_;
};

// Drives `callers` from one thread and one completion queue: each caller's
// next call starts when its last one ends, until the phase stops; a caller
// whose call failed waits 10 ms before its next.
void Drive(const std::vector<Caller*>& callers, Phase& phase, Tally& tally) {
  grpc::CompletionQueue cq;
  for (Caller* caller : callers) caller->Start(&cq);
  size_t outstanding = callers.size();
  std::vector<int64_t> latency_us;
  uint64_t calls = 0;
  uint64_t events = 0;
  void* tag;
  bool ok;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    bool backoff;
    Caller* caller = Caller::OfTag(tag, &backoff);
    if (!backoff) {
      const bool measured = phase.measuring.load() && !phase.stop.load();
      const int64_t n = caller->Complete(tally);
      const bool counted = phase.calls_each > 0;
      if (counted) ++caller->ended;
      if (n < 0 && !phase.stop.load() &&
          !(counted && caller->ended >= phase.calls_each)) {
        caller->Backoff(&cq);
        continue;
      }
      if (n >= 0 && measured) {
        latency_us.push_back(caller->latency_us());
        ++calls;
        events += static_cast<uint64_t>(n);
      }
    }
    if (phase.stop.load() ||
        (phase.calls_each > 0 && caller->ended >= phase.calls_each)) {
      --outstanding;
      continue;
    }
    caller->Start(&cq);
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  absl::MutexLock lock(&tally.mu);
  tally.calls += calls;
  tally.events += events;
  tally.latency_us.insert(tally.latency_us.end(), latency_us.begin(),
                          latency_us.end());
}

// A live subscriber: every event's delivery lag while measuring.
void RunSubscriber(const std::string& target, Phase& phase, Tally& tally,
                   grpc::ClientContext* context) {
  auto stub = v1::Subscriptions::NewStub(Connect(target, head_security));
  v1::SubscribeRequest request;
  request.set_from_now(true);
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub->Subscribe(context, request);
  std::vector<int64_t> lag_us;
  v1::SubscribeResponse item;
  while (reader->Read(&item)) {
    if (item.has_caught_up()) tally.live.fetch_add(1);
    if (!item.has_event() || !phase.measuring.load()) continue;
    lag_us.push_back(absl::ToUnixMicros(absl::Now()) -
                     item.event().recorded_time_us());
    tally.delivered.fetch_add(1);
  }
  grpc::Status s = reader->Finish();
  if (!s.ok() && s.error_code() != grpc::CANCELLED) {
    tally.Error(absl::StrCat("Subscribe: ", s.error_message()));
  }
  absl::MutexLock lock(&tally.mu);
  tally.lag_us.insert(tally.lag_us.end(), lag_us.begin(), lag_us.end());
}

bool RegisterAgents(const std::string& target) {
  auto stub = v1::ReferenceDataService::NewStub(Connect(target, head_security));
  const std::string head = absl::GetFlag(FLAGS_head);
  for (const auto& [id, role] :
       {std::pair{head, v1::ROLE_CENTRE_HEAD},
        std::pair{absl::GetFlag(FLAGS_agent), v1::ROLE_AGENT}}) {
    v1::RegisterAgent c = build::Agent(id, {role});
    c.mutable_context()->set_actor_agent_id(head);
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::CommandResult result;
    grpc::Status s = stub->RegisterAgent(&context, c, &result);
    if (!s.ok()) {
      std::fprintf(stderr,
                   "ledger_load: registering %s at %s: %s (on a ledger with "
                   "centre heads, pass one of them as --head)\n",
                   id.c_str(), target.c_str(), s.error_message().c_str());
      return false;
    }
  }
  return true;
}

int Main() {
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int clients = absl::GetFlag(FLAGS_clients);
  const int inflight = absl::GetFlag(FLAGS_inflight);
  const bool subscribe = mode == "subscribe";
  if (mode != "single" && mode != "lifecycle" && mode != "batch" &&
      mode != "replay" && mode != "query" && mode != "head" && !subscribe) {
    std::fprintf(stderr, "ledger_load: unknown --mode %s\n", mode.c_str());
    return 2;
  }
  if (clients < 1 || inflight < 1 || absl::GetFlag(FLAGS_drivers) < 1 ||
      absl::GetFlag(FLAGS_batch) < 1 || absl::GetFlag(FLAGS_duration_s) <= 0) {
    std::fprintf(stderr,
                 "ledger_load: --clients, --inflight, --drivers, --batch and "
                 "--duration_s "
                 "must be positive\n");
    return 2;
  }
  if (const std::string dir = absl::GetFlag(FLAGS_identity); !dir.empty()) {
    for (auto [agent, out] :
         {std::pair{absl::GetFlag(FLAGS_agent), &agent_security},
          std::pair{absl::GetFlag(FLAGS_head), &head_security}}) {
      absl::StatusOr<ClientSecurity> loaded = LoadIdentity(dir, agent);
      if (!loaded.ok()) {
        std::fprintf(stderr, "ledger_load: %s\n",
                     std::string(loaded.status().message()).c_str());
        return 2;
      }
      *out = *std::move(loaded);
    }
  }
  const bool writes =
      mode == "single" || mode == "lifecycle" || mode == "batch" || subscribe;
  if (writes && !RegisterAgents(target)) return 1;

  absl::BitGen bits;
  const std::string run =
      absl::StrFormat("%016x", absl::Uniform<uint64_t>(bits));
  Tally tally;
  Phase phase;
  std::vector<std::unique_ptr<grpc::ClientContext>> streams;
  std::vector<std::thread> threads;
  if (subscribe) {
    for (int i = 0; i < absl::GetFlag(FLAGS_subscribers); ++i) {
      grpc::ClientContext* context =
          streams.emplace_back(std::make_unique<grpc::ClientContext>()).get();
      threads.emplace_back(RunSubscriber, target, std::ref(phase),
                           std::ref(tally), context);
    }
  }
  std::vector<std::unique_ptr<Caller>> callers;
  const int drivers = std::min(absl::GetFlag(FLAGS_drivers), clients);
  std::vector<std::vector<Caller*>> driven(drivers);
  for (int i = 0; i < clients; ++i) {
    const std::shared_ptr<grpc::Channel> connection =
        Connect(target, mode == "replay" || mode == "head" ? head_security
                                                           : agent_security);
    for (int k = 0; k < inflight; ++k) {
      Caller* caller = callers
                           .emplace_back(std::make_unique<Caller>(
                               connection, i * inflight + k, run,
                               subscribe ? std::string("single") : mode))
                           .get();
      // A client's callers on one driver, clients spread over drivers.
      driven[i % drivers].push_back(caller);
    }
  }
  phase.calls_each = absl::GetFlag(FLAGS_calls);
  const bool counted = phase.calls_each > 0;
  // Subscribers come before the writers' threads in `threads`.
  const size_t subscriber_threads = threads.size();
  if (counted) {
    // Every subscriber live before the first write, so that each receives
    // every event written.
    for (int waited_ms = 0; subscribe && waited_ms < 60000; waited_ms += 10) {
      if (tally.live.load() >= absl::GetFlag(FLAGS_subscribers)) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    phase.measuring = true;
  }
  const Clock::time_point start = Clock::now();
  for (std::vector<Caller*>& some : driven) {
    threads.emplace_back(Drive, std::cref(some), std::ref(phase),
                         std::ref(tally));
  }
  double seconds = 0;
  if (counted) {
    for (size_t i = subscriber_threads; i < threads.size(); ++i) {
      threads[i].join();
    }
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    // Every event written reaches every subscriber (bounded, in case it
    // never does: the count then says so).
    uint64_t want;
    {
      absl::MutexLock lock(&tally.mu);
      want = tally.events * static_cast<uint64_t>(streams.size());
    }
    for (int waited_ms = 0; subscribe && waited_ms < 60000; waited_ms += 10) {
      if (tally.delivered.load() >= want) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    phase.stop = true;
    for (auto& context : streams) context->TryCancel();
    for (size_t i = 0; i < subscriber_threads; ++i) threads[i].join();
  } else {
    absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_warmup_s)));
    phase.measuring = true;
    const Clock::time_point measured = Clock::now();
    absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_duration_s)));
    phase.stop = true;
    seconds = std::chrono::duration<double>(Clock::now() - measured).count();
    // Let the last live events arrive, then end the streams.
    if (subscribe) absl::SleepFor(absl::Milliseconds(200));
    for (auto& context : streams) context->TryCancel();
    for (std::thread& t : threads) t.join();
  }

  std::sort(tally.latency_us.begin(), tally.latency_us.end());
  std::sort(tally.lag_us.begin(), tally.lag_us.end());
  const double eps = static_cast<double>(tally.events) / seconds;
  const double cps = static_cast<double>(tally.calls) / seconds;
  auto p = [](const std::vector<int64_t>& v, double q) {
    return static_cast<long long>(Percentile(v, q));
  };
  if (absl::GetFlag(FLAGS_json)) {
    std::string line = absl::StrFormat(
        "{\"tool\":\"ledger_load\",\"mode\":\"%s\",\"clients\":%d,"
        "\"inflight\":%d,\"drivers\":%d,\"batch\":%d,\"seconds\":%.2f,"
        "\"calls\":%u,\"events\":%u,"
        "\"errors\":%u,\"calls_per_s\":%.0f,\"events_per_s\":%.0f,"
        "\"latency_us\":{\"p50\":%d,\"p99\":%d,\"p999\":%d}",
        mode, clients, inflight, drivers,
        mode == "batch" ? absl::GetFlag(FLAGS_batch) : 1, seconds, tally.calls,
        tally.events, tally.errors, cps, eps, p(tally.latency_us, 0.5),
        p(tally.latency_us, 0.99), p(tally.latency_us, 0.999));
    if (subscribe) {
      absl::StrAppendFormat(&line,
                            ",\"subscribers\":%d,\"delivered\":%u,"
                            "\"lag_us\":{\"p50\":%d,\"p99\":%d,\"p999\":%d}",
                            absl::GetFlag(FLAGS_subscribers),
                            tally.lag_us.size(), p(tally.lag_us, 0.5),
                            p(tally.lag_us, 0.99), p(tally.lag_us, 0.999));
    }
    std::printf("%s}\n", line.c_str());
  } else {
    std::printf(
        "%s, %d clients x %d in flight: %llu calls, %llu events in %.2f s: "
        "%.0f calls/s, "
        "%.0f events/s; latency p50 %lld us, p99 %lld us, p999 %lld us; "
        "%llu errors\n",
        mode.c_str(), clients, inflight,
        static_cast<unsigned long long>(tally.calls),
        static_cast<unsigned long long>(tally.events), seconds, cps, eps,
        p(tally.latency_us, 0.5), p(tally.latency_us, 0.99),
        p(tally.latency_us, 0.999),
        static_cast<unsigned long long>(tally.errors));
    if (subscribe) {
      std::printf(
          "%d subscribers: %zu deliveries; lag p50 %lld us, p99 %lld "
          "us, p999 %lld us\n",
          absl::GetFlag(FLAGS_subscribers), tally.lag_us.size(),
          p(tally.lag_us, 0.5), p(tally.lag_us, 0.99), p(tally.lag_us, 0.999));
    }
  }
  if (tally.errors > 0) {
    std::fprintf(stderr, "ledger_load: %llu calls failed; the first: %s\n",
                 static_cast<unsigned long long>(tally.errors),
                 tally.first_error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ledger_load --target HOST:PORT --mode single|batch|replay|query|head|"
      "subscribe [--clients N] [--duration_s S] [--batch B] [--json]");
  ledger::SetVersionFlag("ledger_load");
  absl::ParseCommandLine(argc, argv);
  ledger::TurnOffMutexDeadlockDetection();
  return ledger::Main();
}
