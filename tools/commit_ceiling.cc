// commit_ceiling: the fewest steps a durable command can take over gRPC on
// this machine, as a bound for ledgerd's command path (issue 25; the
// empty-call ceiling, GetLogHead, bounds calls without a write).
//
// A gRPC server with ledgerd's callback API that answers ReceiveComplaint
// by appending the request's bytes to a RocksDB database in group commits,
// each group one synced write (RocksDB's options as the event store sets
// them: its WAL, pipelined writes, fsync before the answer), and answers
// every call of a group once that group is durable, with one event at its
// position. Nothing else: no decision, no hash chain or Merkle tree, no
// stream or command index, no authentication, no interceptors, no
// projections, and the answers go out from the writer's own thread (the
// fewest hand-offs) unless --reply_thread. Whatever ledgerd does on top
// of this costs more, so ledger_load's figure against this server is an
// upper bound for ledgerd's on the same disk and CPUs.
//
// It also answers ReferenceDataService.RegisterAgent (accepted, nothing
// written), so ledger_load runs against it unchanged:
//   commit_ceiling --data_dir DIR --listen 127.0.0.1:0 --port_file F &
//   ledger_load --target 127.0.0.1:$(cat F) --mode single --clients 8
// On SIGTERM or SIGINT it stops and prints one JSON line: the calls
// answered, the records in its database (read back from RocksDB after
// closing and opening it again: every answered call durable), its groups
// written and their mean events, write and fsync time.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/port_file.h"
#include "ledger/base/thread_name.h"
#include "ledger/base/work_pool.h"
#include "ledger/v1/complaint_service.grpc.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

ABSL_FLAG(std::string, data_dir, "", "a new directory for the database");
ABSL_FLAG(std::string, listen, "127.0.0.1:0", "address to serve on");
ABSL_FLAG(std::string, port_file, "",
          "where to write the port served on, once serving");
ABSL_FLAG(bool, reply_thread, false,
          "answer a group's calls on a thread of their own, one hand-off a "
          "group, rather than on the writer's");

namespace ledger {
namespace {

rocksdb::Options StoreOptions() {
  // As EventStore::Open sets what bears on a synced write
  // (ledger/store/rocks_event_store_open.cc).
  rocksdb::Options options;
  options.create_if_missing = true;
  options.manual_wal_flush = false;
  options.enable_pipelined_write = true;
  options.wal_recovery_mode =
      rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  return options;
}

// A call waiting for its group's write.
struct Pending {
  grpc::ServerUnaryReactor* reactor;
  v1::CommandResult* response;
  std::string record;
};

struct Stats {
  uint64_t calls = 0;
  uint64_t groups = 0;
  uint64_t write_us = 0;
};

// One thread taking whatever calls are waiting as a group, writing them in
// one synced RocksDB batch, then answering them (or handing the group to a
// one-thread WorkPool, as ledgerd hands its answers to its reply pool).
class Writer {
 public:
  Writer(rocksdb::DB* db, bool reply_thread) : db_(*db) {
    if (reply_thread) replies_.emplace("ceiling-reply", 1);
    writer_ = std::thread([this] {
      NameThisThread("ceiling-writer");
      while (true) {
        std::vector<Pending> group = Take();
        if (group.empty()) return;  // Stopping, and everything written.
        Commit(group);
      }
    });
  }
  ~Writer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    writer_.join();
  }  // Then `replies_` runs what it holds and joins.

  void Enqueue(Pending pending) {
    absl::MutexLock lock(&mu_);
    waiting_.push_back(std::move(pending));
  }
  Stats stats() const {
    absl::MutexLock lock(&stats_mu_);
    return stats_;
  }

 private:
  // Whatever is waiting; empty only when stopping and nothing is left.
  std::vector<Pending> Take() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
          return !w->waiting_.empty() || w->stopping_;
        },
        this));
    std::vector<Pending> group;
    group.swap(waiting_);
    return group;
  }

  void Commit(std::vector<Pending>& group) {
    rocksdb::WriteBatch batch;
    uint64_t position = next_position_;
    for (const Pending& p : group) {
      batch.Put(BigEndianKey(position++), p.record);
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    const auto start = std::chrono::steady_clock::now();
    const rocksdb::Status written = db_.Write(options, &batch);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (!written.ok()) {
      // Nothing of the group is answered as written (and its positions
      // are the next group's).
      for (Pending& p : group) {
        p.reactor->Finish(
            grpc::Status(grpc::StatusCode::UNAVAILABLE, written.ToString()));
      }
      return;
    }
    for (Pending& p : group) {
      v1::Event* event = p.response->add_events();
      event->set_position(next_position_++);
      event->set_event_type("ledger.v1.ComplaintReceived");
    }
    {
      absl::MutexLock lock(&stats_mu_);
      stats_.calls += group.size();
      stats_.groups += 1;
      stats_.write_us += us;
    }
    if (!replies_.has_value()) return Answer(group);
    replies_->Schedule([group = std::move(group)]() mutable { Answer(group); });
  }

  static void Answer(std::vector<Pending>& group) {
    for (Pending& p : group) p.reactor->Finish(grpc::Status::OK);
  }

  static std::string BigEndianKey(uint64_t position) {
    std::string key;
    PutFixed64BE(&key, position);
    return key;
  }

  rocksdb::DB& db_;
  uint64_t next_position_ = 1;  // The writer's alone.
  absl::Mutex mu_;
  std::vector<Pending> waiting_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  mutable absl::Mutex stats_mu_;
  Stats stats_ ABSL_GUARDED_BY(stats_mu_);
  std::optional<WorkPool> replies_;
  std::thread writer_;
};

class Complaints final : public v1::ComplaintService::CallbackService {
 public:
  explicit Complaints(Writer* writer) : writer_(*writer) {}
  grpc::ServerUnaryReactor* ReceiveComplaint(
      grpc::CallbackServerContext* context, const v1::ReceiveComplaint* request,
      v1::CommandResult* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    writer_.Enqueue({reactor, response, request->SerializeAsString()});
    return reactor;
  }

 private:
  Writer& writer_;
};

class Agents final : public v1::ReferenceDataService::CallbackService {
  grpc::ServerUnaryReactor* RegisterAgent(grpc::CallbackServerContext* context,
                                          const v1::RegisterAgent*,
                                          v1::CommandResult*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// The records in the database at `dir`, opened afresh.
absl::StatusOr<uint64_t> CountRecords(const std::string& dir) {
  rocksdb::Options options = StoreOptions();
  options.create_if_missing = false;
  rocksdb::DB* opened = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir, &opened);
  if (!s.ok()) return absl::UnavailableError(s.ToString());
  std::unique_ptr<rocksdb::DB> db(opened);
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  uint64_t records = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++records;
  if (!it->status().ok()) return absl::DataLossError(it->status().ToString());
  return records;
}

int Main() {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  if (dir.empty()) {
    std::fprintf(stderr, "commit_ceiling: --data_dir is required\n");
    return 2;
  }
  // Signals to sigwait, blocked before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  rocksdb::Options options = StoreOptions();
  options.error_if_exists = true;
  rocksdb::DB* opened = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &opened);
  if (!s.ok()) {
    std::fprintf(stderr, "commit_ceiling: opening %s: %s\n", dir.c_str(),
                 s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(opened);
  Stats stats;
  {
    Writer writer(db.get(), absl::GetFlag(FLAGS_reply_thread));
    Complaints complaints(&writer);
    Agents agents;
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(absl::GetFlag(FLAGS_listen),
                             grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&complaints);
    builder.RegisterService(&agents);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (server == nullptr || port == 0) {
      std::fprintf(stderr, "commit_ceiling: cannot serve on %s\n",
                   absl::GetFlag(FLAGS_listen).c_str());
      return 1;
    }
    WritePortFile(absl::GetFlag(FLAGS_port_file), port);
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    server->Shutdown();
    server->Wait();
    stats = writer.stats();
  }  // The writer is drained and joined.
  s = db->Close();
  db.reset();
  if (!s.ok()) {
    std::fprintf(stderr, "commit_ceiling: closing: %s\n", s.ToString().c_str());
    return 1;
  }
  absl::StatusOr<uint64_t> records = CountRecords(dir);
  if (!records.ok()) {
    std::fprintf(stderr, "commit_ceiling: reading back: %s\n",
                 std::string(records.status().message()).c_str());
    return 1;
  }
  std::printf(
      "{\"tool\":\"commit_ceiling\",\"calls\":%llu,\"records\":%llu,"
      "\"groups\":%llu,\"events_per_group\":%.2f,\"write_us_mean\":%.0f}\n",
      static_cast<unsigned long long>(stats.calls),
      static_cast<unsigned long long>(*records),
      static_cast<unsigned long long>(stats.groups),
      stats.groups == 0 ? 0.0 : static_cast<double>(stats.calls) / stats.groups,
      stats.groups == 0 ? 0.0
                        : static_cast<double>(stats.write_us) / stats.groups);
  return 0;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the durable-call ceiling: gRPC and one synced RocksDB write a group, "
      "nothing else (see the file's comment)");
  absl::ParseCommandLine(argc, argv);
  return ledger::Main();
}
