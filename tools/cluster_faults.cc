// cluster_faults: commands under faults, for a replicated ledger (issue 29;
// tools/cluster_faults.sh kills and restarts its processes meanwhile).
// --clients writers each send intakes one at a time, every one with a
// command id and a customer phone of its own, to the ledgerd nodes of
// --targets; an intake without an answer is sent again with the same id
// (to the node a refusal names as the writer, or to the next node) until it
// is acknowledged. When --stop_file appears they finish the intake in hand
// and stop; then, once every node's copy has reached the same log head, the
// log is read from each node and each intake counted by its command id:
//   acknowledged  answered OK (the complaint and the position it names)
//   lost          acknowledged, and not in the log
//   duplicated    in the log more than once
//   unresolved    still unanswered when --give_up_s ran out (not counted
//                 as lost: they never were acknowledged)
// and whether the nodes' logs are equal (head position and hash) and their
// views (agent --agent's open complaints, once each node's views reached
// the head). Exit 0 when nothing was lost or duplicated and the logs and
// views are equal.
// --acks_file: the wall time (unix ms) of each acknowledgement of a new
// append (not of a retry answered from its first result), one a line, for
// failover times.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "ledger/complaint/builders.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "rpc/status.h"

ABSL_FLAG(std::vector<std::string>, targets, {},
          "the ledgerd nodes, host:port, comma-separated");
ABSL_FLAG(int, clients, 4, "concurrent writers");
ABSL_FLAG(std::string, run, "1", "tells this run's command ids from others'");
ABSL_FLAG(std::string, agent, "a17", "who takes the intakes in");
ABSL_FLAG(std::string, stop_file, "",
          "the writers stop once this file exists (and after --max_intakes)");
ABSL_FLAG(int, max_intakes, 0, "intakes per writer; 0: until --stop_file");
ABSL_FLAG(double, give_up_s, 300,
          "after the stop, how long an unanswered intake is still retried");
ABSL_FLAG(std::string, done_file, "",
          "made once the writers have stopped (before the checks)");
ABSL_FLAG(std::string, verify_file, "",
          "the checks wait for this file (e.g. while the cluster restarts)");
ABSL_FLAG(std::string, acks_file, "",
          "each new append's acknowledgement's wall time (unix ms), one a "
          "line");

namespace ledger {
namespace {

using Clock = std::chrono::steady_clock;

struct Ack {
  std::string command_id;
  std::string complaint_id;
  uint64_t position = 0;
};

struct Results {
  absl::Mutex mu;
  std::vector<Ack> acks;
  std::vector<int64_t> ack_ms;
  std::vector<std::string> unresolved;
  std::map<std::string, int> refusals;  // By code and message start.
  uint64_t retries = 0;
};

bool Exists(const std::string& path) {
  return !path.empty() && std::ifstream(path).good();
}

class Writer {
 public:
  Writer(int index, const std::vector<std::string>& targets, Results* results)
      : index_(index), targets_(targets), results_(results) {
    for (const std::string& t : targets_) {
      stubs_.push_back(v1::ComplaintService::NewStub(
          grpc::CreateChannel(t, grpc::InsecureChannelCredentials())));
    }
    current_ = index % targets_.size();
  }

  void Run(const std::atomic<bool>& stop) {
    const int max = absl::GetFlag(FLAGS_max_intakes);
    for (int i = 0; !stop.load() && (max == 0 || i < max); ++i) Send(i, stop);
  }

 private:
  void Send(int i, const std::atomic<bool>& stop) {
    v1::ReceiveComplaint intake =
        build::Intake("", absl::StrFormat("137%02d%06d", index_, i), "faults");
    intake.mutable_context()->set_actor_agent_id(absl::GetFlag(FLAGS_agent));
    const std::string id =
        absl::StrCat("faults-", absl::GetFlag(FLAGS_run), "-", index_, "-", i);
    intake.mutable_context()->set_command_id(id);
    std::optional<Clock::time_point> give_up;
    while (true) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(30));
      v1::CommandResult result;
      const grpc::Status s =
          stubs_[current_]->ReceiveComplaint(&context, intake, &result);
      if (s.ok()) {
        absl::MutexLock lock(&results_->mu);
        results_->acks.push_back(
            Ack{id, result.state().complaint_id(),
                result.events().empty() ? 0 : result.events(0).position()});
        // A retry answered from the command's record is no new append.
        if (!result.duplicate()) {
          results_->ack_ms.push_back(absl::ToUnixMillis(absl::Now()));
        }
        return;
      }
      {
        absl::MutexLock lock(&results_->mu);
        ++results_->retries;
        ++results_->refusals[absl::StrCat(s.error_code(), " ",
                                          s.error_message().substr(0, 48))];
      }
      size_t next = (current_ + 1) % targets_.size();
      if (auto writer = NamedWriter(s, context); writer.has_value()) {
        auto it = std::find(targets_.begin(), targets_.end(), *writer);
        if (it != targets_.end()) next = it - targets_.begin();
      }
      current_ = next;
      if (stop.load()) {
        if (!give_up.has_value()) {
          give_up =
              Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(
                                 absl::GetFlag(FLAGS_give_up_s) * 1000));
        } else if (Clock::now() > *give_up) {
          absl::MutexLock lock(&results_->mu);
          results_->unresolved.push_back(id);
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  const int index_;
  const std::vector<std::string>& targets_;
  Results* const results_;
  std::vector<std::unique_ptr<v1::ComplaintService::Stub>> stubs_;
  size_t current_ = 0;
};

absl::StatusOr<v1::GetLogHeadResponse> Head(const std::string& target) {
  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::GetLogHeadResponse head;
  grpc::Status s = stub->GetLogHead(&context, {}, &head);
  if (!s.ok()) return FromGrpcStatus(s, target);
  return head;
}

// Intakes of this run in `target`'s log, by command id.
absl::StatusOr<std::map<std::string, int>> Count(const std::string& target) {
  auto stub = v1::Ledger::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const std::string prefix =
      absl::StrCat("faults-", absl::GetFlag(FLAGS_run), "-");
  const std::string received = v1::ComplaintReceived::descriptor()->full_name();
  std::map<std::string, int> counts;
  uint64_t from = 1;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
    v1::ReadAllRequest request;
    request.set_from_position(from);
    request.set_limit(1000);
    v1::ReadAllResponse page;
    grpc::Status s = stub->ReadAll(&context, request, &page);
    if (!s.ok()) return FromGrpcStatus(s, target);
    if (page.events().empty()) break;
    for (const v1::Event& e : page.events()) {
      if (e.event_type() == received && e.command_id().rfind(prefix, 0) == 0) {
        ++counts[e.command_id()];
      }
      from = e.position() + 1;
    }
  }
  return counts;
}

// `target`'s views as of the log's `position`: agent --agent's open
// complaints (the ids, judged at `now_us`), once its views have reached it.
absl::StatusOr<std::string> Views(const std::string& target, uint64_t position,
                                  int64_t now_us) {
  auto stub = v1::QueryService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 1200; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    v1::GetQueueRequest request;
    request.set_kind(v1::QUEUE_KIND_OPEN_BY_OWNER);
    request.set_owner_agent_id(absl::GetFlag(FLAGS_agent));
    request.set_page_size(1000);
    request.set_now_us(now_us);
    v1::GetQueueResponse page;
    grpc::Status s = stub->GetQueue(&context, request, &page);
    if (!s.ok()) return FromGrpcStatus(s, target);
    if (page.position() >= position) {
      std::vector<std::string> ids;
      for (const v1::QueueItem& item : page.items()) {
        ids.push_back(absl::StrCat(item.complaint_id(), "@", item.due_us()));
      }
      return absl::StrCat(page.total(), ": ", absl::StrJoin(ids, ","));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(target, ": the views did not reach position ", position));
}

int Main() {
  const std::vector<std::string> targets = absl::GetFlag(FLAGS_targets);
  if (targets.empty()) {
    std::fprintf(stderr, "cluster_faults: --targets is required\n");
    return 2;
  }
  Results results;
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::thread> threads;
  for (int i = 0; i < absl::GetFlag(FLAGS_clients); ++i) {
    writers.push_back(std::make_unique<Writer>(i, targets, &results));
    threads.emplace_back([w = writers.back().get(), &stop] { w->Run(stop); });
  }
  const std::string stop_file = absl::GetFlag(FLAGS_stop_file);
  std::thread watcher([&] {
    while (!stop.load()) {
      if (Exists(stop_file)) stop.store(true);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  for (std::thread& t : threads) t.join();
  stop.store(true);
  watcher.join();
  if (const std::string done = absl::GetFlag(FLAGS_done_file); !done.empty()) {
    std::ofstream(done) << results.acks.size() << "\n";
  }
  while (!absl::GetFlag(FLAGS_verify_file).empty() &&
         !Exists(absl::GetFlag(FLAGS_verify_file))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // Every node at the same head, then each one's log counted.
  bool equal = false;
  std::vector<std::string> heads;
  for (int i = 0; i < 1200 && !equal; ++i) {
    heads.clear();
    for (const std::string& t : targets) {
      absl::StatusOr<v1::GetLogHeadResponse> h = Head(t);
      heads.push_back(
          h.ok() ? absl::StrCat(
                       h->position_last(), "/",
                       absl::BytesToHexString(h->hash_last()).substr(0, 16))
                 : h.status().ToString());
    }
    equal = std::all_of(heads.begin(), heads.end(),
                        [&](const std::string& h) { return h == heads[0]; });
    if (!equal) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The views: the same on every node once each reached the head.
  std::vector<std::string> views;
  bool views_equal = equal;
  if (equal) {
    const uint64_t position = std::stoull(heads[0]);
    const int64_t now_us = absl::ToUnixMicros(absl::Now());
    for (const std::string& t : targets) {
      absl::StatusOr<std::string> v = Views(t, position, now_us);
      views.push_back(v.ok() ? *v : v.status().ToString());
      views_equal = views_equal && v.ok() && views.back() == views[0];
    }
  }
  std::vector<std::map<std::string, int>> counts;
  for (const std::string& t : targets) {
    absl::StatusOr<std::map<std::string, int>> c = Count(t);
    if (!c.ok()) {
      std::fprintf(stderr, "cluster_faults: %s\n",
                   c.status().ToString().c_str());
      return 1;
    }
    counts.push_back(*std::move(c));
  }
  uint64_t lost = 0, duplicated = 0;
  for (const Ack& a : results.acks) {
    auto it = counts[0].find(a.command_id);
    if (it == counts[0].end()) {
      ++lost;
      std::fprintf(stderr, "lost: %s (%s at %llu)\n", a.command_id.c_str(),
                   a.complaint_id.c_str(),
                   static_cast<unsigned long long>(a.position));
    }
  }
  for (const auto& [id, n] : counts[0]) {
    if (n > 1) {
      ++duplicated;
      std::fprintf(stderr, "duplicated: %s (%d times)\n", id.c_str(), n);
    }
  }
  const bool same_counts =
      std::all_of(counts.begin(), counts.end(),
                  [&](const auto& c) { return c == counts[0]; });
  if (const std::string path = absl::GetFlag(FLAGS_acks_file); !path.empty()) {
    std::ofstream out(path);
    std::vector<int64_t> ms = results.ack_ms;
    std::sort(ms.begin(), ms.end());
    for (int64_t t : ms) out << t << "\n";
  }
  std::printf(
      "cluster_faults: %zu acknowledged, %llu lost, %llu duplicated, %zu "
      "unresolved, %llu retries; the %zu nodes' logs %s (%s)%s\n",
      results.acks.size(), static_cast<unsigned long long>(lost),
      static_cast<unsigned long long>(duplicated), results.unresolved.size(),
      static_cast<unsigned long long>(results.retries), targets.size(),
      equal && same_counts ? "equal" : "DIFFER",
      absl::StrJoin(heads, " ").c_str(),
      views_equal ? "; their views equal" : "; their views DIFFER");
  if (!views_equal) {
    for (const std::string& v : views) {
      std::printf("  views: %s\n", v.substr(0, 200).c_str());
    }
  }
  for (const auto& [why, n] : results.refusals) {
    std::printf("  refused %d times: %s\n", n, why.c_str());
  }
  return lost == 0 && duplicated == 0 && equal && same_counts && views_equal
             ? 0
             : 1;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "cluster_faults --targets a:port,b:port [--clients N] --stop_file F");
  absl::ParseCommandLine(argc, argv);
  return ledger::Main();
}
