// ComplaintApp: the write side's application layer. For each command it
// answers a retry from the store, loads the complaint's state from its
// stream, decides (ledger/complaint), appends with the revision it decided
// on, and returns the appended events and the new state. The gRPC services
// are thin wrappers around it; ledger_seed and tests use it in process.
//
// Concurrency: commands on different complaints run in parallel; two
// commands on one complaint race on the stream revision and the loser is
// decided again on the new state (unless the caller named an expected
// revision: then it gets ABORTED). Reference-data commands are serialised.
//
// Held in memory and rebuilt at Create from the log: the reference data
// (from the reference streams) and, for repeat detection and complaint
// numbering, each customer's complaints (a scan of the whole log, ~1 s per
// million events; a projection once issue 4 brings them). A log that fails
// its checks at startup leaves the app read-only: Get works, commands are
// DATA_LOSS naming the broken position.
#ifndef LEDGER_SERVICES_COMPLAINT_APP_H_
#define LEDGER_SERVICES_COMPLAINT_APP_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/base/clock.h"
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
};

class ComplaintApp {
 public:
  // `store` must outlive the app.
  static absl::StatusOr<std::unique_ptr<ComplaintApp>> Create(
      EventStore* store, ComplaintAppOptions options = {});

  // One per command of complaint_service.proto. `actor` is who acts (see
  // services/actor.h); the command's context supplies the rest.
  absl::StatusOr<v1::CommandResult> Execute(const v1::ReceiveComplaint& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::AssignOwner& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::HandOver& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::Classify& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::RaiseSeverity& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::ChooseTrack& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::RequestAssist& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::AnswerAssist& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::ChaseAssist& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::EscalateToGm& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::RecordGmDecision& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::Reply& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::RecordRevisit& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::WaiveRevisit& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::Reopen& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::CompletePaperwork& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::SignOff& c,
                                            const std::string& actor);

  // What ExecuteAsync calls with a command's outcome: on the calling thread
  // when the command ends before its append (refused, or a retry answered
  // from the store), otherwise on the store's writer thread once the append
  // is durable, so it must be quick and must not block.
  using CommandCallback =
      std::function<void(absl::StatusOr<v1::CommandResult>)>;

  // The complaint commands without a thread waiting for their fsync (what
  // the gRPC service calls): decided on the calling thread, finished from
  // the append's callback. Execute is ExecuteAsync and a wait.
  void ExecuteAsync(const v1::ReceiveComplaint& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::AssignOwner& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::HandOver& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::Classify& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::RaiseSeverity& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::ChooseTrack& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::RequestAssist& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::AnswerAssist& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::ChaseAssist& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::EscalateToGm& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::RecordGmDecision& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::Reply& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::RecordRevisit& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::WaiveRevisit& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::Reopen& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::CompletePaperwork& c, const std::string& actor,
                    CommandCallback done);
  void ExecuteAsync(const v1::SignOff& c, const std::string& actor,
                    CommandCallback done);

  absl::StatusOr<v1::CommandResult> Execute(const v1::RegisterStation& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::RegisterDepartment& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::RegisterAgent& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::RecordStationVolume& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::PublishCalendar& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::PublishPenaltySchedule& c,
                                            const std::string& actor);
  absl::StatusOr<v1::CommandResult> Execute(const v1::DeclareSpecialPeriod& c,
                                            const std::string& actor);

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

  // State and timeline; NOT_FOUND for a complaint never received.
  absl::StatusOr<v1::ComplaintView> Get(const std::string& complaint_id) const;

 private:
  ComplaintApp(EventStore* store, ComplaintAppOptions options);

  absl::Status Recover();
  // DATA_LOSS (with the broken position) when the log was found broken.
  absl::Status CheckWritable() const;
  // A complaint command decided against its complaint's state, with the
  // append that carries it out.
  struct Decided {
    std::string stream;
    v1::ComplaintState state;  // Before the command.
    AppendRequest request;
    size_t events = 0;
    bool new_stream = false;
    // Whose complaint history the decision read (empty: none).
    std::string customer;
  };
  // What a complaint command goes through before it is decided, alone or
  // in a batch: the log must be writable; a retry is answered from the
  // store (`earlier`); an intake without an id gets the next number.
  struct Admitted {
    std::string fingerprint;
    bool numbered_here = false;
    std::optional<AppendResult> earlier;
  };
  // Admit, DecideCommand and RunComplaintCommand are defined in
  // complaint_app.cc and instantiated there for every complaint command;
  // ExecuteBatch, in complaint_app_batch.cc, runs commands through them.
  template <typename Command>
  absl::StatusOr<Admitted> Admit(Command& command, const std::string& actor);
  template <typename Command>
  absl::StatusOr<v1::CommandResult> RunComplaintCommand(
      Command command, const std::string& actor);
  // A complaint command on its way: admitted, then decided and appended
  // until the append holds (again when it lost a race), then finished.
  template <typename Command>
  struct Attempt {
    Command command;
    std::string actor;
    Admitted admitted;
    int number = 0;
    CommandCallback done;
  };
  template <typename Command>
  void RunComplaintCommandAsync(Command command, const std::string& actor,
                                CommandCallback done);
  template <typename Command>
  void DecideAndAppend(std::shared_ptr<Attempt<Command>> attempt);
  // Loads the state and decides; a complaint number found taken is replaced
  // by the next one when `numbered_here`.
  template <typename Command>
  absl::StatusOr<Decided> DecideCommand(Command& command,
                                        const std::string& actor,
                                        const std::string& fingerprint,
                                        bool numbered_here);
  // The command's result once its append is durable; its new state only
  // when `with_state` (a batch's results leave it out).
  absl::StatusOr<v1::CommandResult> Finish(Decided decided,
                                           AppendResult appended,
                                           bool with_state = true);
  template <typename Command>
  absl::StatusOr<v1::CommandResult> RunReferenceCommand(
      const Command& command, const std::string& actor);
  // The result of an earlier append found by its command id (read back
  // from its stream).
  absl::StatusOr<v1::CommandResult> ResultOf(const AppendResult& earlier,
                                             bool complaint) const;
  // Updates the customer index and complaint numbering with new events, in
  // log order.
  void Index(absl::Span<const v1::Event* const> events);
  // Adds the events of a decided command's append (none for a duplicate)
  // to `events`, for Index.
  static void CollectForIndex(const Decided& decided,
                              const AppendResult& appended,
                              std::vector<const v1::Event*>* events);
  std::string NextComplaintId();
  std::shared_ptr<const ReferenceData> reference() const;

  EventStore& store_;
  const ComplaintAppOptions options_;
  // Set once by Recover when the log fails its checks.
  absl::Status broken_;

  // Reference commands one at a time; readers take the snapshot.
  absl::Mutex reference_write_mu_;
  mutable absl::Mutex reference_mu_;
  std::shared_ptr<const ReferenceData> reference_
      ABSL_GUARDED_BY(reference_mu_);

  mutable absl::Mutex index_mu_;
  CustomerIndex customers_ ABSL_GUARDED_BY(index_mu_);
  // Highest complaint number seen per year, for "<year>-<nnnnnn>" ids.
  absl::flat_hash_map<int64_t, int64_t> last_number_ ABSL_GUARDED_BY(index_mu_);
};

}  // namespace ledger

#endif  // LEDGER_SERVICES_COMPLAINT_APP_H_
