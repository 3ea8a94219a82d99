// ledger_load: end-to-end load on a running ledgerd over its public gRPC
// API, from N clients (each its own connection, by default one call at a
// time, as a pgbench client is one connection running one transaction at a
// time; --inflight K keeps K calls in flight on each connection).
//
// Modes:
//   single     ReceiveComplaint, one event per call (a complaint taken, not
//              yet classified), each with its own command id
//   batch      ExecuteBatch of --batch such commands per call
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
// --agent as an agent (a new ledger lets anyone register the first head; on
// a ledger whose heads do not include --head, name one of them).
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
#include "grpcpp/grpcpp.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "tools/percentile.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "ledgerd's address");
ABSL_FLAG(std::string, mode, "single",
          "single | batch | replay | query | head | subscribe");
ABSL_FLAG(int, clients, 8, "concurrent clients, one connection each");
ABSL_FLAG(int, inflight, 1,
          "calls each client keeps in flight on its connection (1: one at a "
          "time, as a pgbench client)");
ABSL_FLAG(double, duration_s, 10, "measured seconds");
ABSL_FLAG(double, warmup_s, 1, "seconds run before measuring");
ABSL_FLAG(int, batch, 100, "commands per ExecuteBatch call (batch mode)");
ABSL_FLAG(int, subscribers, 1, "live Subscribe streams (subscribe mode)");
ABSL_FLAG(std::string, queue, "open-by-owner",
          "query mode: open-by-owner (of --agent) | revisits-due | "
          "sign-offs-waiting | overdue");
ABSL_FLAG(std::string, head, "load-head", "centre head that registers --agent");
ABSL_FLAG(std::string, agent, "load-agent", "the agent taking complaints");
ABSL_FLAG(bool, json, false, "one JSON line instead of text");

namespace ledger {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<grpc::Channel> Connect(const std::string& target) {
  grpc::ChannelArguments args;
  // A connection of its own, not one shared with the other clients.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(16 << 20);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
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

  void Error(const std::string& what) {
    absl::MutexLock lock(&mu);
    if (errors++ == 0) first_error = what;
  }
};

// A phase that runs until `stop`; samples count once `measuring`.
struct Phase {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
};

class Client {
 public:
  // `index` tells its command ids from every other caller's.
  Client(std::shared_ptr<grpc::Channel> channel, int index, std::string run)
      : channel_(std::move(channel)),
        complaints_(v1::ComplaintService::NewStub(channel_)),
        ledger_(v1::Ledger::NewStub(channel_)),
        queries_(v1::QueryService::NewStub(channel_)),
        index_(index),
        run_(std::move(run)) {}

  // One call; returns the events it wrote or read, or -1 on error.
  int64_t Call(const std::string& mode, Tally& tally) {
    if (mode == "single") return Single(tally);
    if (mode == "batch") return Batch(tally);
    if (mode == "replay") return Replay(tally);
    if (mode == "head") return Head(tally);
    return Query(tally);
  }

 private:
  v1::ReceiveComplaint NextIntake() {
    const uint64_t n = next_++;
    v1::ReceiveComplaint c;
    c.mutable_context()->set_actor_agent_id(absl::GetFlag(FLAGS_agent));
    c.mutable_context()->set_command_id(
        absl::StrCat("load-", run_, "-", index_, "-", n));
    c.set_channel(v1::CHANNEL_PHONE);
    // A different customer each time: 139 and eight digits.
    c.mutable_customer()->set_phone(
        absl::StrFormat("139%08d", (index_ * 10'000'019 + n) % 100'000'000));
    c.set_content(
        "The newspaper has arrived wet three mornings this week; the "
        "customer asks for it to be delivered in a sleeve and to the door.");
    return c;
  }

  int64_t Single(Tally& tally) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::CommandResult result;
    grpc::Status s =
        complaints_->ReceiveComplaint(&context, NextIntake(), &result);
    if (!s.ok()) {
      tally.Error(absl::StrCat("ReceiveComplaint: ", s.error_message()));
      return -1;
    }
    return result.events_size();
  }

  int64_t Batch(Tally& tally) {
    v1::CommandBatch batch;
    for (int i = 0; i < absl::GetFlag(FLAGS_batch); ++i) {
      *batch.add_commands()->mutable_receive_complaint() = NextIntake();
    }
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::BatchResult result;
    grpc::Status s = complaints_->ExecuteBatch(&context, batch, &result);
    if (!s.ok()) {
      tally.Error(absl::StrCat("ExecuteBatch: ", s.error_message()));
      return -1;
    }
    int64_t events = 0;
    for (const v1::BatchCommandResult& r : result.results()) {
      if (r.code() != 0) {
        tally.Error(absl::StrCat("ExecuteBatch: a command: ", r.message()));
        return -1;
      }
      events += r.result().events_size();
    }
    return events;
  }

  int64_t Replay(Tally& tally) {
    v1::ReadAllRequest request;
    request.set_from_position(replay_from_);
    request.set_limit(1000);
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::ReadAllResponse page;
    grpc::Status s = ledger_->ReadAll(&context, request, &page);
    if (!s.ok()) {
      tally.Error(absl::StrCat("ReadAll: ", s.error_message()));
      return -1;
    }
    replay_from_ =
        page.events().empty() ||
                page.events().rbegin()->position() >= page.log_position_last()
            ? 1  // The end: from the start again.
            : page.events().rbegin()->position() + 1;
    return page.events_size();
  }

  int64_t Head(Tally& tally) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetLogHeadResponse head;
    grpc::Status s =
        ledger_->GetLogHead(&context, v1::GetLogHeadRequest(), &head);
    if (!s.ok()) {
      tally.Error(absl::StrCat("GetLogHead: ", s.error_message()));
      return -1;
    }
    return 0;
  }

  int64_t Query(Tally& tally) {
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
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::GetQueueResponse page;
    grpc::Status s = queries_->GetQueue(&context, request, &page);
    if (!s.ok()) {
      tally.Error(absl::StrCat("GetQueue: ", s.error_message()));
      return -1;
    }
    return page.items_size();
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ComplaintService::Stub> complaints_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::QueryService::Stub> queries_;
  const int index_;
  const std::string run_;
  uint64_t next_ = 0;
  uint64_t replay_from_ = 1;
};

void RunClient(Client& client, const std::string& mode, Phase& phase,
               Tally& tally) {
  std::vector<int64_t> latency_us;
  uint64_t calls = 0;
  uint64_t events = 0;
  while (!phase.stop.load()) {
    const bool measured = phase.measuring.load();
    const Clock::time_point start = Clock::now();
    const int64_t n = client.Call(mode, tally);
    const Clock::time_point end = Clock::now();
    if (n < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (!measured || phase.stop.load()) continue;
    latency_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(end - start)
            .count());
    ++calls;
    events += static_cast<uint64_t>(n);
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
  auto stub = v1::Subscriptions::NewStub(Connect(target));
  v1::SubscribeRequest request;
  request.set_from_now(true);
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub->Subscribe(context, request);
  std::vector<int64_t> lag_us;
  v1::SubscribeResponse item;
  while (reader->Read(&item)) {
    if (!item.has_event() || !phase.measuring.load()) continue;
    lag_us.push_back(absl::ToUnixMicros(absl::Now()) -
                     item.event().recorded_time_us());
  }
  grpc::Status s = reader->Finish();
  if (!s.ok() && s.error_code() != grpc::CANCELLED) {
    tally.Error(absl::StrCat("Subscribe: ", s.error_message()));
  }
  absl::MutexLock lock(&tally.mu);
  tally.lag_us.insert(tally.lag_us.end(), lag_us.begin(), lag_us.end());
}

bool RegisterAgents(const std::string& target) {
  auto stub = v1::ReferenceDataService::NewStub(Connect(target));
  const std::string head = absl::GetFlag(FLAGS_head);
  for (const auto& [id, role] :
       {std::pair{head, v1::ROLE_CENTRE_HEAD},
        std::pair{absl::GetFlag(FLAGS_agent), v1::ROLE_AGENT}}) {
    v1::RegisterAgent c;
    c.mutable_context()->set_actor_agent_id(head);
    c.mutable_agent()->set_agent_id(id);
    c.mutable_agent()->set_display_name(id);
    c.mutable_agent()->add_roles(role);
    c.mutable_agent()->set_active(true);
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
  if (mode != "single" && mode != "batch" && mode != "replay" &&
      mode != "query" && mode != "head" && !subscribe) {
    std::fprintf(stderr, "ledger_load: unknown --mode %s\n", mode.c_str());
    return 2;
  }
  if (clients < 1 || inflight < 1 || absl::GetFlag(FLAGS_batch) < 1 ||
      absl::GetFlag(FLAGS_duration_s) <= 0) {
    std::fprintf(stderr,
                 "ledger_load: --clients, --inflight, --batch and --duration_s "
                 "must be positive\n");
    return 2;
  }
  const bool writes = mode == "single" || mode == "batch" || subscribe;
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
  std::vector<std::unique_ptr<Client>> callers;
  for (int i = 0; i < clients; ++i) {
    const std::shared_ptr<grpc::Channel> connection = Connect(target);
    for (int k = 0; k < inflight; ++k) {
      Client& caller = *callers.emplace_back(
          std::make_unique<Client>(connection, i * inflight + k, run));
      threads.emplace_back(RunClient, std::ref(caller),
                           subscribe ? std::string("single") : mode,
                           std::ref(phase), std::ref(tally));
    }
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_warmup_s)));
  phase.measuring = true;
  const Clock::time_point start = Clock::now();
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_duration_s)));
  phase.stop = true;
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  // Let the last live events arrive, then end the streams.
  if (subscribe) absl::SleepFor(absl::Milliseconds(200));
  for (auto& context : streams) context->TryCancel();
  for (std::thread& t : threads) t.join();

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
        "\"inflight\":%d,\"batch\":%d,\"seconds\":%.2f,\"calls\":%u,"
        "\"events\":%u,"
        "\"errors\":%u,\"calls_per_s\":%.0f,\"events_per_s\":%.0f,"
        "\"latency_us\":{\"p50\":%d,\"p99\":%d,\"p999\":%d}",
        mode, clients, inflight,
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
  absl::ParseCommandLine(argc, argv);
  return ledger::Main();
}
