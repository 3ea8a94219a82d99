// The simulation's model of the domain (tools/sim/vopr.h): what a command
// should do, written apart from ledger/complaint and deliberately simple,
// straight from the rules (docs/rules.md §1–§11).
// It knows a subset of the lifecycle, on the phone channel, without green
// channel, assists or escalation: intake with first-contact ownership and
// yearly numbering, ownership changes, classification with repeat
// detection, severity, tracks, reply, revisit (a failed one reopens, two
// make a repeat), waiver, reopen and sign-off; who may do each; the queues
// that do not depend on deadlines; and the station month's counts and
// penalties. It predicts each command's status code and, once accepted,
// the complaint's state; the simulation compares both with the ledger's.
//
// Order of refusals, as the rules state them: a complaint never received
// (NOT_FOUND), an actor who is no active agent (PERMISSION_DENIED), a
// closed complaint (FAILED_PRECONDITION, except for a head's reopen), an
// actor without the role (PERMISSION_DENIED), a bad field
// (INVALID_ARGUMENT), then the complaint's state (FAILED_PRECONDITION).
#ifndef LEDGER_TOOLS_SIM_MODEL_H_
#define LEDGER_TOOLS_SIM_MODEL_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ledger/v1/common.pb.h"
#include "ledger/v1/complaint_state.pb.h"

namespace ledger::sim {

// A command as the model sees it.
struct Intent {
  enum Kind {
    kReceive,
    kAssignOwner,
    kHandOver,
    kClassify,
    kRaiseSeverity,
    kChooseTrack,
    kReply,
    kRevisit,
    kWaiveRevisit,
    kReopen,
    kSignOff,
    kKinds
  };
  Kind kind = kReceive;
  std::string complaint_id;  // Not for kReceive.
  std::string actor;
  // kReceive: the customer's phone and the station ("" for none), and a
  // classification when `classify`.
  std::string phone;
  std::string station;
  // kReceive (with `classify`) and kClassify.
  bool classify = false;
  v1::InfoKind info_kind = v1::INFO_KIND_COMPLAINT;
  // UNSPECIFIED for a complaint is the bad field the rules refuse.
  v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_UNSPECIFIED;
  bool important = false;
  // kAssignOwner, kHandOver.
  std::string to_agent;
  v1::Severity severity = v1::SEVERITY_REPEAT;  // kRaiseSeverity
  v1::HandlingTrack track = v1::HANDLING_TRACK_ON_THE_SPOT;  // kChooseTrack
  bool resolved = true;                                     // kRevisit
  bool record_complete = true;                              // kSignOff
};

const char* KindName(Intent::Kind kind);

// One complaint as the model predicts it.
struct ModelComplaint {
  std::string id;
  v1::Stage stage = v1::STAGE_OPEN;
  std::string owner;
  std::string phone;
  std::string station;
  absl::Time received;
  bool classified = false;
  v1::InfoKind info_kind = v1::INFO_KIND_UNSPECIFIED;
  v1::ComplaintCategory category = v1::COMPLAINT_CATEGORY_UNSPECIFIED;
  bool important = false;
  v1::Severity severity = v1::SEVERITY_GENERAL;
  bool track_chosen = false;
  v1::HandlingTrack track = v1::HANDLING_TRACK_UNSPECIFIED;
  int revisits = 0;
  int failed_revisits = 0;
  int reopens = 0;
};

// A station's month as the model predicts it.
struct ModelStationMonth {
  int64_t complaints = 0;
  int64_t repeat = 0;
  int64_t malicious = 0;
  int64_t penalty_minor_units = 0;
};

class Model {
 public:
  // Agents (heads among them) and stations registered; penalties per
  // repeat and per malicious complaint, in minor units, for every month.
  Model(std::set<std::string> agents, std::set<std::string> heads,
        std::set<std::string> stations, int64_t repeat_penalty,
        int64_t malicious_penalty, absl::TimeZone zone);

  // What the ledger must answer to `intent` at `now`.
  absl::StatusCode Predict(const Intent& intent, absl::Time now) const;
  // Carries out an accepted intent; returns the complaint it acted on.
  const ModelComplaint& Apply(const Intent& intent, absl::Time now);
  // The id the next intake at `now` takes: yearly numbers without gaps.
  std::string NextId(absl::Time now) const;

  const ModelComplaint* Find(const std::string& id) const;
  const std::vector<std::string>& ids() const { return ids_; }
  // Severity raised to repeat by the rules themselves: a customer's
  // earlier complaint, or failed revisits.
  int64_t repeats_by_history() const { return repeats_by_history_; }
  int64_t repeats_by_revisits() const { return repeats_by_revisits_; }
  bool IsAgent(const std::string& id) const { return agents_.contains(id); }
  bool IsHead(const std::string& id) const { return heads_.contains(id); }

  // The queues that do not depend on deadlines: the complaints each holds
  // ("open by owner" per owner).
  struct Queues {
    std::map<std::string, std::set<std::string>> open_by_owner;
    std::set<std::string> revisits_due;
    std::set<std::string> sign_offs_waiting;
    std::set<std::string> important;
  };
  Queues ListQueues() const;
  // The station table of a month, by station (registered ones included).
  std::map<std::string, ModelStationMonth> StationMonth(
      absl::CivilMonth month) const;

  // Compares the ledger's state of a complaint with the model's: "" when
  // they agree, else what differs.
  static std::string Diff(const ModelComplaint& expected,
                          const v1::ComplaintState& actual);
  // The customer's complaints as the model has them (for a difference's
  // report).
  std::string CustomerHistory(const std::string& phone) const;

 private:
  bool Repeats(const ModelComplaint& c) const;

  std::set<std::string> agents_;
  std::set<std::string> heads_;
  std::set<std::string> stations_;
  int64_t repeat_penalty_;
  int64_t malicious_penalty_;
  absl::TimeZone zone_;

  std::map<std::string, ModelComplaint> complaints_;
  std::vector<std::string> ids_;  // In intake order.
  std::map<std::string, std::vector<std::string>> by_phone_;
  std::map<int64_t, int64_t> last_number_;  // By year.
  int64_t repeats_by_history_ = 0;
  int64_t repeats_by_revisits_ = 0;
};

}  // namespace ledger::sim

#endif  // LEDGER_TOOLS_SIM_MODEL_H_
