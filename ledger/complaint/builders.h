// Valid commands with plain defaults, built one way for the tests, the
// tools (ledger_load, ledger_sim, ledger_seed, microbench) and examples.
// Each is accepted by Decide from a registered, active actor in the state
// its comment names; callers set what they care about on top.
#ifndef LEDGER_COMPLAINT_BUILDERS_H_
#define LEDGER_COMPLAINT_BUILDERS_H_

#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"
#include "ledger/v1/commands.pb.h"

namespace ledger::build {

// An active agent holding `roles`, its display name its id.
inline v1::RegisterAgent Agent(absl::string_view id,
                               std::initializer_list<v1::Role> roles) {
  v1::RegisterAgent c;
  c.mutable_agent()->set_agent_id(std::string(id));
  c.mutable_agent()->set_display_name(std::string(id));
  for (v1::Role role : roles) c.mutable_agent()->add_roles(role);
  c.mutable_agent()->set_active(true);
  return c;
}

inline v1::RegisterStation Station(absl::string_view id,
                                   absl::string_view name = "") {
  v1::RegisterStation c;
  c.mutable_station()->set_station_id(std::string(id));
  c.mutable_station()->set_name(std::string(name.empty() ? id : name));
  return c;
}

// A complaint about `category`, of general importance.
inline v1::Classification ComplaintAbout(
    v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_SERVICE_QUALITY) {
  v1::Classification c;
  c.set_kind(v1::INFO_KIND_COMPLAINT);
  c.set_category(category);
  c.set_importance(v1::IMPORTANCE_GENERAL);
  return c;
}

// A phone intake, not classified, from the customer with `phone`; an empty
// `complaint_id` is numbered by the ledger. Any state: a new complaint.
inline v1::ReceiveComplaint Intake(
    absl::string_view complaint_id = "",
    absl::string_view phone = "13800138000",
    absl::string_view content = "The paper came wet three days running.") {
  v1::ReceiveComplaint c;
  c.set_complaint_id(std::string(complaint_id));
  c.set_channel(v1::CHANNEL_PHONE);
  c.mutable_customer()->set_phone(std::string(phone));
  c.set_content(std::string(content));
  return c;
}

// The same, classified as ComplaintAbout(category).
inline v1::ReceiveComplaint ComplaintIntake(
    absl::string_view complaint_id = "",
    absl::string_view phone = "13800138000",
    v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_SERVICE_QUALITY) {
  v1::ReceiveComplaint c = Intake(complaint_id, phone);
  *c.mutable_classification() = ComplaintAbout(category);
  return c;
}

// Open, classified: the track chosen.
inline v1::ChooseTrack Track(absl::string_view complaint_id,
                             v1::HandlingTrack track) {
  v1::ChooseTrack c;
  c.set_complaint_id(std::string(complaint_id));
  c.set_track(track);
  return c;
}

// Open with a track: the answer to the customer.
inline v1::Reply ReplyTo(
    absl::string_view complaint_id,
    v1::ReplyOutcome outcome = v1::REPLY_OUTCOME_RESOLVED,
    absl::string_view reply = "Delivery now in a plastic sleeve.") {
  v1::Reply c;
  c.set_complaint_id(std::string(complaint_id));
  c.set_outcome(outcome);
  c.set_reply(std::string(reply));
  return c;
}

// Replied: the customer called back.
inline v1::RecordRevisit Revisit(
    absl::string_view complaint_id, bool resolved = true,
    v1::Satisfaction satisfaction = v1::SATISFACTION_SATISFIED) {
  v1::RecordRevisit c;
  c.set_complaint_id(std::string(complaint_id));
  c.set_resolved(resolved);
  c.set_satisfaction(satisfaction);
  return c;
}

// Revisited and found resolved: the centre head's signature.
inline v1::SignOff SignOffOf(absl::string_view complaint_id) {
  v1::SignOff c;
  c.set_complaint_id(std::string(complaint_id));
  c.set_record_complete(true);
  return c;
}

}  // namespace ledger::build

#endif  // LEDGER_COMPLAINT_BUILDERS_H_
