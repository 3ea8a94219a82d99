// projections_bench: how fast the read side is over an existing ledger
// (build one with ledger_sim --data_dir). Prints, and with --json one JSON
// line:
//   1. a full rebuild of all four views from the log, in this process:
//      every event read from RocksDB and folded into each view with
//      projections/fold.h (what ProjectionRunner::Rebuild does, without
//      writing the rows), events/s; before it, what bounds it: the log
//      read alone (parsed, hashes and links checked), then read and each
//      payload decoded; each stage's rate and CPU time (all threads) per
//      event, and the same for ledgerd's runner below (its CPU from
//      serving on; -1 where /proc cannot be read);
//   2. queue queries over gRPC: a ledgerd process on the ledger (--ledgerd;
//      its runner folds the log first, the rows dropped unless
//      --drop_rows=false), then --queries GetQueue calls per queue from one
//      client, one at a time, latency p50/p99/p999 per queue, with the share
//      of CPU time the hypervisor stole meanwhile (tools/cpu_steal.h).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "ledger/base/mutex_mode.h"
#include "ledger/base/status_macros.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "projections/fold.h"
#include "projections/log_source.h"
#include "projections/queue_view.h"
#include "projections/views.h"
#include "rpc/status.h"
#include "tools/cpu_steal.h"
#include "tools/percentile.h"

ABSL_FLAG(std::string, data_dir, "", "a ledger directory (ledger_sim)");
ABSL_FLAG(int, queries, 2000, "GetQueue calls per queue (0: rebuild only)");
ABSL_FLAG(int, threads, 2,
          "workers folding the views in the rebuild (projections/fold.h)");
ABSL_FLAG(bool, json, false, "one JSON line instead of text");
ABSL_FLAG(std::string, ledgerd, "",
          "the ledgerd to query (default: services/ledgerd of this build)");
ABSL_FLAG(bool, drop_rows, true,
          "drop the views' rows before starting the server, so that its "
          "runner folds the whole log (false: it loads what an earlier run "
          "wrote)");

namespace ledger {
namespace {

// CPU seconds (user + system) a process has used: this one (pid 0), or
// another from /proc; -1 when it cannot be read.
double CpuSeconds(pid_t pid) {
  if (pid == 0) {
    rusage u;
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return -1;
  // After "pid (comm) ", utime and stime are the 12th and 13th fields.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 1; i <= 13 && fields >> field; ++i) {
    if (i >= 12) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One stage of the breakdown: events, wall time, CPU time.
struct Stage {
  std::string what;
  uint64_t events = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // Negative: not known.
  double events_per_s() const { return events / std::max(seconds, 1e-9); }
  // -1 when the CPU time could not be read.
  double cpu_us_per_event() const {
    return cpu_seconds < 0 ? -1
                           : cpu_seconds * 1e6 / std::max<double>(events, 1);
  }
};

// Times `run` on this process's clock and CPU.
template <typename F>
absl::StatusOr<Stage> Timed(std::string what, uint64_t events, F run) {
  Stage stage{std::move(what), events};
  const double cpu = CpuSeconds(0);
  const absl::Time start = absl::Now();
  RETURN_IF_ERROR(run());
  stage.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  stage.cpu_seconds = CpuSeconds(0) - cpu;
  return stage;
}

struct Rebuilt {
  uint64_t events = 0;
  uint64_t complaints = 0;
  double seconds = 0;
  double steal_percent = -1;
  int64_t last_time_us = 0;  // Of the log's last event: "now" for queries.
  // What bounds a rebuild: the log read alone, then read and decoded, then
  // folded into the four views (rows not written).
  std::vector<Stage> stages;
};

// 1. All four views folded from the log, timed.
absl::StatusOr<Rebuilt> Rebuild(const std::string& dir) {
  EventStoreOptions options;
  options.read_only = true;
  ASSIGN_OR_RETURN(std::unique_ptr<EventStore> store,
                   EventStore::Open(dir, options));
  std::vector<std::unique_ptr<View>> views = AllViews();
  std::vector<View*> folded;
  for (auto& v : views) folded.push_back(v.get());
  Rebuilt r;
  r.events = store->log_head().position_last;
  const std::unique_ptr<LogSource> log = LocalLog(store.get(), nullptr);
  // The log read alone: every event parsed, its hash and link checked (on
  // a helper thread), as every rebuild reads it.
  ASSIGN_OR_RETURN(
      Stage read, Timed("the log read (hashes checked)", r.events, [&]() {
        return log->Scan(1, r.events, [](const v1::Event&) { return true; });
      }));
  r.stages.push_back(read);
  // And each event's payload decoded, as a fold does.
  uint64_t undecoded = 0;
  ASSIGN_OR_RETURN(
      Stage decoded, Timed("the log read and decoded", r.events, [&]() {
        return log->Scan(1, r.events, [&undecoded](const v1::Event& e) {
          undecoded += !DecodedEvent::Decode(e).ok();
          return true;
        });
      }));
  if (undecoded > 0) {
    return absl::DataLossError(
        absl::StrCat(undecoded, " events do not decode"));
  }
  r.stages.push_back(decoded);
  const StealMeter steal;
  ASSIGN_OR_RETURN(
      Stage fold, Timed("folded into the four views", r.events, [&]() {
        return Fold(*log, 1, r.events, folded, absl::GetFlag(FLAGS_threads));
      }));
  r.stages.push_back(fold);
  r.seconds = fold.seconds;
  r.steal_percent = steal.Percent();
  for (View* v : folded) {
    if (v->name() == QueueView::kName) {
      r.complaints = static_cast<const QueueView*>(v)->complaints_in_memory();
    }
  }
  RETURN_IF_ERROR(store->ScanAll(r.events, 1, [&r](const v1::Event& e) {
    r.last_time_us = e.recorded_time_us();
    return true;
  }));
  return r;
}

struct Queue {
  std::string name;
  v1::GetQueueRequest request;
  std::vector<double> latencies_ms;  // Sorted once measured.
  uint64_t total = 0;
  double steal_percent = -1;  // CPU time the hypervisor took meanwhile.
};

// A ledgerd process on `dir`, stopped (SIGTERM, then waited for) when
// destroyed.
class Ledgerd {
 public:
  static absl::StatusOr<std::unique_ptr<Ledgerd>> Start(
      const std::string& binary, const std::string& dir) {
    const std::string port_file = dir + "/.bench_port";
    std::remove(port_file.c_str());
    std::vector<std::string> args = {binary,
                                     "--listen=127.0.0.1:0",
                                     "--data_dir=" + dir,
                                     "--port_file=" + port_file,
                                     "--publish_shipped_calendar=false",
                                     "--insecure_no_auth"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its output goes to a file beside the port's, not among ours.
    const std::string log = dir + "/.bench_ledgerd.log";
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, binary.c_str(), &files, nullptr,
                                    argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (spawned != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot start ", binary));
    }
    auto ledgerd = std::unique_ptr<Ledgerd>(new Ledgerd(pid));
    // Serving once it wrote its port (after its startup, which can take a
    // while on a big ledger).
    for (int waited_ms = 0;; waited_ms += 50) {
      std::ifstream in(port_file);
      if (in >> ledgerd->port_) break;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        ledgerd->pid_ = 0;
        return absl::FailedPreconditionError(
            absl::StrCat(binary, " exited before serving"));
      }
      if (waited_ms > 3600 * 1000) {
        return absl::DeadlineExceededError("ledgerd did not start in an hour");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return ledgerd;
  }
  ~Ledgerd() {
    if (pid_ == 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  pid_t pid() const { return pid_; }

 private:
  explicit Ledgerd(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  int port_ = 0;
};

std::string DefaultLedgerd() {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "ledgerd";
  std::string path(self, static_cast<size_t>(n));
  // build/tools/projections_bench -> build/services/ledgerd
  return path.substr(0, path.rfind("/tools/")) + "/services/ledgerd";
}

// 2. A ledgerd on the ledger; `queries` GetQueue calls per queue. Returns
// how long its runner took to fold the log first (from serving to every
// view at the log's end, polled every 10 ms), and the CPU ledgerd used
// meanwhile.
absl::StatusOr<Stage> Query(const std::string& dir, uint64_t events,
                            int queries, std::vector<Queue>* queues) {
  if (absl::GetFlag(FLAGS_drop_rows)) {
    ASSIGN_OR_RETURN(std::unique_ptr<EventStore> store,
                     EventStore::Open(dir, EventStoreOptions()));
    for (const auto& view : AllViews()) {
      RETURN_IF_ERROR(store->views().DropView(view->name()));
    }
    RETURN_IF_ERROR(store->Close());
  }
  std::string binary = absl::GetFlag(FLAGS_ledgerd);
  if (binary.empty()) binary = DefaultLedgerd();
  ASSIGN_OR_RETURN(std::unique_ptr<Ledgerd> server,
                   Ledgerd::Start(binary, dir));
  auto channel =
      grpc::CreateChannel(server->target(), grpc::InsecureChannelCredentials());
  auto stub = v1::QueryService::NewStub(channel);
  auto ledger = v1::Ledger::NewStub(channel);
  const absl::Time fold_start = absl::Now();
  const double fold_cpu = CpuSeconds(server->pid());
  while (true) {
    grpc::ClientContext head_context;
    v1::GetLogHeadResponse head;
    RETURN_IF_ERROR(FromGrpcStatus(
        ledger->GetLogHead(&head_context, v1::GetLogHeadRequest(), &head)));
    grpc::ClientContext list_context;
    v1::ListProjectionsResponse list;
    RETURN_IF_ERROR(FromGrpcStatus(stub->ListProjections(
        &list_context, v1::ListProjectionsRequest(), &list)));
    bool done = list.projections_size() > 0;
    for (const v1::ProjectionInfo& p : list.projections()) {
      done = done && p.checkpoint() >= head.position_last();
    }
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // From serving on: what ledgerd's runner did before is not counted.
  const double cpu = CpuSeconds(server->pid());
  Stage fold{"ledgerd's runner: folded and the rows written", events,
             absl::ToDoubleSeconds(absl::Now() - fold_start),
             cpu < 0 || fold_cpu < 0 ? -1 : cpu - fold_cpu};
  for (Queue& q : *queues) {
    const StealMeter steal;
    for (int i = 0; i < queries; ++i) {
      grpc::ClientContext context;
      v1::GetQueueResponse response;
      const absl::Time t = absl::Now();
      grpc::Status s = stub->GetQueue(&context, q.request, &response);
      q.latencies_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t));
      if (!s.ok()) {
        return absl::Status(FromGrpcStatus(s).code(),
                            absl::StrCat(q.name, ": ", s.error_message()));
      }
      q.total = response.total();
    }
    q.steal_percent = steal.Percent();
    std::sort(q.latencies_ms.begin(), q.latencies_ms.end());
  }
  return fold;
}

int Main() {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  if (dir.empty()) {
    std::fprintf(stderr, "projections_bench: --data_dir is required\n");
    return 2;
  }
  absl::StatusOr<Rebuilt> rebuilt = Rebuild(dir);
  if (!rebuilt.ok()) {
    std::fprintf(stderr, "projections_bench: %s\n",
                 rebuilt.status().ToString().c_str());
    return 1;
  }
  std::vector<Queue> queues;
  double fold_s = 0;
  std::vector<Stage> stages = rebuilt->stages;
  if (const int queries = absl::GetFlag(FLAGS_queries); queries > 0) {
    auto queue = [&](std::string name, v1::QueueKind kind) -> Queue& {
      queues.push_back(Queue{std::move(name), {}, {}, 0});
      queues.back().request.set_kind(kind);
      queues.back().request.set_now_us(rebuilt->last_time_us);
      return queues.back();
    };
    queue("open by owner a1", v1::QUEUE_KIND_OPEN_BY_OWNER)
        .request.set_owner_agent_id("a1");
    queue("assists pending, station s1", v1::QUEUE_KIND_ASSISTS_PENDING)
        .request.set_station_id("s1");
    queue("revisits due", v1::QUEUE_KIND_REVISITS_DUE);
    queue("sign-offs waiting", v1::QUEUE_KIND_SIGN_OFFS_WAITING);
    queue("important", v1::QUEUE_KIND_IMPORTANT);
    queue("overdue", v1::QUEUE_KIND_OVERDUE);
    absl::StatusOr<Stage> folded =
        Query(dir, rebuilt->events, queries, &queues);
    if (!folded.ok()) {
      std::fprintf(stderr, "projections_bench: %s\n",
                   folded.status().ToString().c_str());
      return 1;
    }
    fold_s = folded->seconds;
    stages.push_back(*folded);
  }

  const Rebuilt& r = *rebuilt;
  const double rebuild_eps = static_cast<double>(r.events) / r.seconds;
  if (absl::GetFlag(FLAGS_json)) {
    std::string out = absl::StrFormat(
        "{\"events\":%d,\"complaints\":%d,\"rebuild_s\":%.3f,"
        "\"rebuild_events_per_s\":%.0f,\"rebuild_steal_percent\":%.1f,"
        "\"server_fold_s\":%.3f,\"stages\":[",
        r.events, r.complaints, r.seconds, rebuild_eps, r.steal_percent,
        fold_s);
    for (size_t i = 0; i < stages.size(); ++i) {
      absl::StrAppendFormat(
          &out,
          "%s{\"stage\":\"%s\",\"s\":%.3f,\"events_per_s\":%.0f,"
          "\"cpu_us_per_event\":%.2f}",
          i == 0 ? "" : ",", stages[i].what, stages[i].seconds,
          stages[i].events_per_s(), stages[i].cpu_us_per_event());
    }
    absl::StrAppend(&out, "],\"queues\":[");
    for (size_t i = 0; i < queues.size(); ++i) {
      const Queue& q = queues[i];
      absl::StrAppendFormat(
          &out,
          "%s{\"queue\":\"%s\",\"total\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
          "\"p999_ms\":%.3f,\"steal_percent\":%.1f}",
          i == 0 ? "" : ",", q.name, q.total, Percentile(q.latencies_ms, 0.5),
          Percentile(q.latencies_ms, 0.99), Percentile(q.latencies_ms, 0.999),
          q.steal_percent);
    }
    std::printf("%s]}\n", out.c_str());
    return 0;
  }
  std::printf(
      "rebuild of all four views: %llu events (%llu complaints) in %.2f s = "
      "%.0f events/s (CPU steal %.0f%%)\n",
      static_cast<unsigned long long>(r.events),
      static_cast<unsigned long long>(r.complaints), r.seconds, rebuild_eps,
      r.steal_percent);
  // What bounds it: each stage's rate and CPU (both cores) per event.
  for (const Stage& stage : stages) {
    std::printf("  %-48s %6.2f s  %9.0f events/s  %5.2f us of CPU/event\n",
                stage.what.c_str(), stage.seconds, stage.events_per_s(),
                stage.cpu_us_per_event());
  }
  if (queues.empty()) return 0;
  std::printf(
      "ledgerd's runner folding the log at startup (and writing the "
      "rows; with --drop_rows=false, loading them): %.2f s\n",
      fold_s);
  for (const Queue& q : queues) {
    std::printf(
        "GetQueue %-30s %7llu items  p50 %.3f ms  p99 %.3f ms  p999 %.3f "
        "ms  (CPU steal %.0f%%)\n",
        q.name.c_str(), static_cast<unsigned long long>(q.total),
        Percentile(q.latencies_ms, 0.5), Percentile(q.latencies_ms, 0.99),
        Percentile(q.latencies_ms, 0.999), q.steal_percent);
  }
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "projections_bench --data_dir DIR [--queries N] [--json]");
  absl::ParseCommandLine(argc, argv);
  ledger::TurnOffMutexDeadlockDetection();
  return ledger::Main();
}
