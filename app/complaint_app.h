// ComplaintApp: the write side's application layer. Start here for what
// happens to a command between its decoding and the store. For each command
// (a message of the registry, app/commands.h) it answers a retry from the
// store, loads the complaint's state from its stream, decides
// (ledger/complaint), appends with the revision it decided on, and returns
// the appended events and the new state. The gRPC services are thin
// wrappers around it; ledger_seed and tests use it in process.
//
// Concurrency: commands on different complaints run in parallel; two
// commands on one complaint race on the stream revision and the loser is
// decided again on the new state (unless the caller named an expected
// revision: then it gets ABORTED). Reference-data commands are serialised.
//
// Held in memory and rebuilt at Create from the log: the reference data
// (from the reference streams). Kept beside the log, and read at Create
// only from its checkpoint on: each customer's complaints for repeat
// detection and the complaint numbers (app/app_state.h). At Create the
// whole log is checked (each event against its hash and the one before
// it), before Create returns or on a thread of its own
// (ComplaintAppOptions::log_check). A log that fails its checks leaves the
// app read-only: Get works, commands are DATA_LOSS naming the broken
// position.
#ifndef LEDGER_APP_COMPLAINT_APP_H_
#define LEDGER_APP_COMPLAINT_APP_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "app/app_state.h"
#include "app/complaint_numbers.h"
#include "app/internal/command_ops.h"
#include "app/personal_data.h"
#include "google/protobuf/message.h"
#include "ledger/base/clock.h"
#include "ledger/base/work_pool.h"
#include "ledger/complaint/customer.h"
#include "ledger/complaint/decide.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/store/event_store.h"
#include "ledger/v1/commands.pb.h"
#include "ledger/v1/complaint_service.pb.h"

namespace ledger {

// The actor of events the server writes by itself (the shipped calendar).
inline constexpr char kSystemActor[] = "ledgerd";

struct ComplaintAppOptions {
  LifecyclePolicy policy;
  // Defaults to the system clock.
  std::shared_ptr<const Clock> clock;
  // Publish the calendar compiled into the binary when the ledger has none.
  bool publish_shipped_calendar = true;
  // Published instead of the shipped one (ledger_seed and ledger_sim's
  // ledgers past the shipped years: ledger/calendar/statutory.h).
  std::optional<v1::CalendarPublished> initial_calendar;
  // Seals customers' personal data and keys customer refs; nullptr: they
  // are kept in clear and refs are unkeyed hashes (ledgers before issue
  // 23, tests). The store's before_commit must call its SyncKeys.
  std::shared_ptr<PersonalData> personal_data;
  // How the app state is written (app/app_state.h).
  AppStateOptions app_state;
  // A replicated log: OK while this node may write, else why not (the
  // store's NotTheWriter, naming the writer). A new command is refused with
  // it before it is decided: a follower takes no complaint number and makes
  // no data key for a command it cannot append (the store refuses the
  // append all the same). A retried command id is answered by any node.
  std::function<absl::Status()> writes_here;
  // The check of the whole log at Create: before it returns (a broken
  // record anywhere refuses commands from the first one), or on a thread
  // while commands are served (Create takes milliseconds whatever the log's
  // length; commands are refused from when the check reaches a broken
  // record). The events after the app state's checkpoint are checked
  // before Create returns either way.
  enum class LogCheck { kBeforeServing, kInBackground };
  LogCheck log_check = LogCheck::kBeforeServing;
};

// How Create found the log and the app state.
struct ComplaintAppStart {
  // Events folded into the app state to reach the log's end.
  uint64_t events_folded = 0;
  // Why the app state was folded again from the log's first event (empty:
  // it was not).
  std::string state_rebuilt_because;
};

class ComplaintApp {
 public:
  // `store` must outlive the app.
  static absl::StatusOr<std::unique_ptr<ComplaintApp>> Create(
      EventStore* store, ComplaintAppOptions options = {});
  // Close()s.
  ~ComplaintApp();

  // Stops the log check and writes the app state up to the log's end, so
  // that the next Create folds nothing. Before the store closes; no command
  // may run after it.
  void Close();

  // A replicated log (docs/design/replication.md): another node's events,
  // as this node's copy wrote them (EventStoreOptions::on_replicated). The
  // app folds them, in order on its own thread, into what it decides on
  // without reading the log (complaint numbers, customers' intakes not yet
  // in the app state, the reference data), so that this node decides as
  // the other did once it writes. Quick; never blocks.
  void Follow(CommittedEvents events);
  // Returns once every Follow called before it has been folded;
  // DEADLINE_EXCEEDED after `timeout`. A node about to write calls it
  // after its copy caught up.
  absl::Status AwaitFollowed(absl::Duration timeout);
  // Publishes the calendar compiled into the binary when the ledger has
  // none (as Create does with publish_shipped_calendar): a replicated
  // node's Create publishes nothing, its first writer does, here.
  absl::Status PublishShippedCalendar();

  const ComplaintAppStart& start() const { return start_; }
  // OK while commands are taken; DATA_LOSS (with the broken position), the
  // status every command is refused with, once the log was found broken.
  absl::Status CheckWritable() const;
  // Blocks until the check of the whole log at Create has ended (at once
  // with LogCheck::kBeforeServing); then OK, DATA_LOSS naming the broken
  // position, or CANCELLED when Close stopped it.
  absl::Status WaitForLogCheck() const;

  // Runs `command`, one of the commands of the registry (app/commands.h),
  // as `actor` (who acts; services/actor.h decides it for a call); the
  // command's context supplies the rest. INVALID_ARGUMENT for a message
  // that is not a registered command.
  absl::StatusOr<v1::CommandResult> Execute(
      const google::protobuf::Message& command, const std::string& actor);

  // What ExecuteAsync calls with a command's outcome: on the calling thread
  // when the command ends before its append (refused, or a retry answered
  // from the store), otherwise on the store's writer thread once the append
  // is durable, or on the app's own thread after a lost race. It must be
  // quick and must not block.
  using CommandCallback =
      std::function<void(absl::StatusOr<v1::CommandResult>)>;

  // Execute without a thread waiting for the fsync (what the gRPC service
  // calls for complaint commands): decided on the calling thread, finished
  // from the append's callback. A reference command runs on the calling
  // thread and waits for its fsync there (they are rare and one at a time).
  void ExecuteAsync(const google::protobuf::Message& command,
                    const std::string& actor, CommandCallback done);

  // The commands of `batch` in order, each decided exactly as Execute would
  // (a command sees what the earlier ones did), their appends sharing group
  // commits; returns once every one is durable, with one result per command:
  // where its events went, and the events themselves (not the state) when
  // the batch asks `with_events`. A command that needs what an earlier one
  // of the batch appended (the same complaint, the same customer, the same
  // command id) waits for it to be durable first.
  // INVALID_ARGUMENT, with nothing done, for an empty batch, one over
  // kMaxBatchCommands, or an empty command. `actor_of` names each command's
  // actor from its context.
  absl::StatusOr<v1::BatchResult> ExecuteBatch(
      const v1::CommandBatch& batch,
      const std::function<std::string(const v1::CommandContext&)>& actor_of);

  // The reference data (agents and their roles, stations, calendar) as of
  // the last reference command: a snapshot, never changed.
  std::shared_ptr<const ReferenceData> reference() const;

  // The complaints of the customer `contact` names (ContactKey, keyed as
  // intake keys it), oldest first; INVALID_ARGUMENT when it names none.
  absl::StatusOr<std::vector<PriorComplaint>> FindComplaints(
      const v1::CustomerContact& contact) const;

  // Seals customers' personal data; nullptr when this ledger does not.
  PersonalData* personal_data() const { return options_.personal_data.get(); }

  // State and timeline; NOT_FOUND for a complaint never received. With
  // `as_of`, as they were once the log ended at that position
  // (INVALID_ARGUMENT past its end; NOT_FOUND before the intake).
  absl::StatusOr<v1::ComplaintView> Get(
      const std::string& complaint_id,
      std::optional<uint64_t> as_of = std::nullopt) const;

 private:
  ComplaintApp(EventStore* store, ComplaintAppOptions options);

  // The customer ref of a contact key (ContactKey): keyed by the site's key
  // when this ledger seals personal data, the plain hash otherwise.
  std::string CustomerRefOf(absl::string_view contact_key) const;

  absl::Status Recover();
  // Appends the shipped (or initial) calendar; what it appended.
  absl::StatusOr<v1::CalendarPublished> AppendShippedCalendar();

  // A complaint command decided against its complaint's state, with the
  // append that carries it out.
  struct Decided {
    std::string stream;
    v1::ComplaintState state;  // Before the command.
    AppendRequest request;
    size_t events = 0;
    // The decided events' payloads (Decision::payloads), for the index and
    // the state once they are appended.
    std::vector<EventPayload> payloads;
    bool new_stream = false;
    // The intake's number was handed out for it (given back when it does
    // not commit).
    bool numbered_here = false;
    // Whose complaint history the decision read (empty: none).
    std::string customer;
    // The customer whose data key goes once the events are durable
    // (EraseCustomerData), or empty.
    std::string erases;
  };
  // Seals each intake's personal data in `decision` (its payload and its
  // envelope's bytes), and notes an erasure in `decided`.
  // FAILED_PRECONDITION for an erasure in a ledger that seals nothing.
  absl::Status SealPersonalData(Decision& decision, Decided* decided);
  // Once an erasure's events are durable: destroys the customer's data key
  // (blocks: a fsync and a compaction). UNAVAILABLE when it cannot; the
  // next start destroys it then.
  absl::Status DestroyErasedKey(const Decided& decided,
                                const AppendResult& appended);
  // What a complaint command goes through before it is decided, alone or
  // in a batch: the log must be writable; a retry is answered from the
  // store (`earlier`); an intake without an id gets the next number.
  struct Admitted {
    std::string fingerprint;
    bool numbered_here = false;
    std::optional<AppendResult> earlier;
  };
  absl::StatusOr<Admitted> Admit(google::protobuf::Message& command,
                                 const internal::CommandOps& ops,
                                 const std::string& actor);
  // A complaint command on its way: admitted, then decided and appended
  // until the append holds (again when it lost a race), then finished.
  struct Attempt;
  void RunComplaintCommandAsync(
      std::unique_ptr<google::protobuf::Message> command,
      const internal::CommandOps& ops, const std::string& actor,
      CommandCallback done);
  void DecideAndAppend(std::shared_ptr<Attempt> attempt);
  // A command refused by its Decide (`refused`) may be the retry of one
  // that committed meanwhile, between Admit's look-up and the read of its
  // state: then the earlier result, else `refused`.
  absl::StatusOr<v1::CommandResult> RefusedOrEarlier(
      const absl::Status& refused, const google::protobuf::Message& command,
      const internal::CommandOps& ops, const std::string& fingerprint);
  // Loads the state and decides; a complaint number found taken is replaced
  // by the next one when `numbered_here`.
  absl::StatusOr<Decided> DecideCommand(google::protobuf::Message& command,
                                        const internal::CommandOps& ops,
                                        const std::string& actor,
                                        const std::string& fingerprint,
                                        bool numbered_here);
  // The command's result once its append is durable; its new state only
  // when `with_state` (a batch's results leave it out).
  absl::StatusOr<v1::CommandResult> Finish(Decided decided,
                                           AppendResult appended,
                                           bool with_state = true);
  absl::StatusOr<v1::CommandResult> RunReferenceCommand(
      const google::protobuf::Message& command, const internal::CommandOps& ops,
      const std::string& actor);
  // ExecuteBatch's steps (complaint_app_batch.cc).
  struct BatchRun;
  void BatchOne(BatchRun& run, int index);
  void WaitForInFlight(BatchRun& run);
  // The result of an earlier append found by its command id (read back
  // from its stream).
  absl::StatusOr<v1::CommandResult> ResultOf(const AppendResult& earlier,
                                             bool complaint) const;
  // Updates the customer index and complaint numbering with new events, in
  // log order.
  void Index(absl::Span<const DecodedEvent> events);
  void Index(absl::Span<const v1::Event* const> events);
  // Adds the events of a decided command's append (none for a duplicate),
  // with the payloads it decided (which stay in `decided`), to `events`.
  static void CollectDecoded(const Decided& decided,
                             const AppendResult& appended,
                             std::vector<DecodedEvent>* events);
  // The year by the calendar's time zone (UTC before one is published).
  int64_t CurrentYear() const;
  // The lowest number of this year nobody holds: one an intake gave back
  // (ReleaseComplaintId), else the one after the last.
  std::string NextComplaintId();
  // Gives back a number NextComplaintId handed out whose intake was not
  // committed (refused, a duplicate, failed), for the next intake: numbers
  // stay gap-free.
  void ReleaseComplaintId(const std::string& complaint_id);
  // Destroys this node's copies of the data keys that followed erasures
  // name (another node appended them).
  void EraseFollowed(const std::vector<v1::Event>& events);
  // The year's numbers of a complaint's stream, for a log line.
  std::string NumbersNote(absl::string_view stream) const;

  // Checks the log's events first..last (inclusive) as a scan does; a
  // broken one sets broken_.
  void CheckLog(uint64_t first, uint64_t last);

  EventStore& store_;
  const ComplaintAppOptions options_;
  ComplaintAppStart start_;
  // Set when the log fails its checks.
  mutable absl::Mutex broken_mu_;
  absl::Status broken_ ABSL_GUARDED_BY(broken_mu_);
  // The check of the log at Create: ended, and how (CANCELLED when Close
  // stopped it).
  bool log_checked_ ABSL_GUARDED_BY(broken_mu_) = false;
  absl::Status log_check_ ABSL_GUARDED_BY(broken_mu_);
  std::atomic<bool> closing_{false};
  std::thread log_checker_;

  // Reference commands one at a time; readers take the snapshot.
  absl::Mutex reference_write_mu_;
  mutable absl::Mutex reference_mu_;
  std::shared_ptr<const ReferenceData> reference_
      ABSL_GUARDED_BY(reference_mu_);

  // Customers' complaints and committed numbers (null on a damaged store,
  // which refuses commands).
  std::unique_ptr<AppState> state_;
  mutable absl::Mutex index_mu_;
  // Complaint numbers per year, for "<year>-<nnnnnn>" ids: those committed
  // and those handed out to commands in flight.
  absl::flat_hash_map<int64_t, YearNumbers> numbers_ ABSL_GUARDED_BY(index_mu_);

  // Where a command that lost a race on its complaint is decided again,
  // off the store's writer thread (whose callbacks must not wait for
  // reads). Last: destroyed first, running what is queued while the rest
  // still stands.
  WorkPool retries_{"ledger-retry", 1};
};

}  // namespace ledger

#endif  // LEDGER_APP_COMPLAINT_APP_H_
