// A complaint desk in memory for the lifecycle tests: reference data (the
// shipped calendar, agents, a station, departments), and commands decided
// and committed the way the complaint service does, without a store.
#ifndef LEDGER_TESTS_LIFECYCLE_FIXTURE_H_
#define LEDGER_TESTS_LIFECYCLE_FIXTURE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "ledger/complaint/customer.h"
#include "ledger/complaint/decide.h"
#include "ledger/complaint/reference_data.h"
#include "ledger/complaint/state.h"
#include "ledger/events/payload.h"

namespace ledger::testing {

// Agents: a17, a18, a19 (agents), c1 (clerk), h1 (centre head), gm (general
// manager). Station s1; departments eng and svc.
class LifecycleTest : public ::testing::Test {
 protected:
  LifecycleTest();

  // A moment in Asia/Shanghai.
  static absl::Time At(int y, int m, int d, int hh, int mm);
  static int64_t Us(int y, int m, int d, int hh, int mm) {
    return absl::ToUnixMicros(At(y, m, d, hh, mm));
  }

  // Decides `command` for its complaint at now_ as `actor`; when accepted,
  // commits the events (revision, position, recorded time now_) into the
  // complaint's state and the customer index.
  template <typename Command>
  absl::StatusOr<Decision> Do(const std::string& actor,
                              const Command& command) {
    const std::string& id = command.complaint_id();
    v1::ComplaintState& state = states_[id];
    DecideContext context;
    context.now = now_;
    context.actor = actor;
    context.reference = &reference_;
    context.policy = &policy_;
    context.customer_history = index_.History(CustomerKeyOf(command, state));
    absl::StatusOr<Decision> decision = Decide(state, command, context);
    if (decision.ok()) Commit(id, *decision);
    return decision;
  }

  // Do, expecting acceptance.
  template <typename Command>
  Decision Must(const std::string& actor, const Command& command) {
    absl::StatusOr<Decision> decision = Do(actor, command);
    EXPECT_TRUE(decision.ok()) << decision.status();
    return decision.ok() ? *decision : Decision{};
  }

  const v1::ComplaintState& state(const std::string& id) { return states_[id]; }

  // A phone intake by a17 of `id` from the customer with `phone`.
  v1::ReceiveComplaint Intake(const std::string& id,
                              const std::string& phone = "13800138000");
  // A complaint about service quality, general importance.
  static v1::Classification Complaint(
      v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_SERVICE_QUALITY);

  // Takes `id` (received by a17 at now_) to a reply on the internal-study
  // track.
  void ReceiveAndReply(const std::string& id);

  void AddAgent(const std::string& id, v1::Role role);
  void Publish(const v1::CalendarPublished& calendar);

  ReferenceData reference_;
  LifecyclePolicy policy_;
  CustomerIndex index_;
  absl::Time now_;

 private:
  static std::string CustomerKeyOf(const v1::ReceiveComplaint& command,
                                   const v1::ComplaintState&);
  template <typename Command>
  static std::string CustomerKeyOf(const Command&,
                                   const v1::ComplaintState& state) {
    return state.customer_ref();
  }
  void Commit(const std::string& id, const Decision& decision);

  std::map<std::string, v1::ComplaintState> states_;
  uint64_t next_position_ = 1;
};

// An id-only command of type Command for complaint `id`.
template <typename Command>
Command For(const std::string& id) {
  Command command;
  command.set_complaint_id(id);
  return command;
}

// The payload of the event at `index` of `decision`, which must be a Payload.
template <typename Payload>
Payload EventAt(const Decision& decision, size_t index) {
  EXPECT_LT(index, decision.size());
  if (index >= decision.size()) return Payload();
  absl::StatusOr<Payload> payload = Unwrap<Payload>(decision[index]);
  EXPECT_TRUE(payload.ok()) << payload.status();
  return payload.ok() ? *payload : Payload();
}

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_LIFECYCLE_FIXTURE_H_
