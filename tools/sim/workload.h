// A seeded call-centre workload: reference data (agents, stations with
// monthly volumes, a penalty schedule, a special period) and N cases over
// some months, each planned from intake to sign-off as commands at given
// times. Same seed, same commands. The plan is what the cases are meant to
// be (kind, track, late or not, revisited, satisfaction, signed off, ...),
// so a test can compute from it what the ledger's views must show without
// reading the ledger.
//
// Shape: phone and other channels (no fax: its owner is the on-duty head);
// kinds complaint 55%, repair request 20%, inquiry 15%, suggestion 10%;
// tracks on the spot 40%, internal study 35%, coordinated 25% (one assist
// request to the case's station, answered); 8% of cases late (accepted and
// answered 12 days after intake, past every deadline), the rest accepted a
// minute after intake and answered within four. Every revisit finds the
// case resolved (satisfaction spread 45/35/10/10% very satisfied, satisfied,
// basically satisfied, dissatisfied). Intakes avoid 17:15-17:35, so that a
// few minutes of handling never straddle the day shift's end.
#ifndef LEDGER_TOOLS_SIM_WORKLOAD_H_
#define LEDGER_TOOLS_SIM_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/v1/commands.pb.h"

namespace ledger::sim {

// The plan's centre head: registers everyone, marks, waives, signs off.
inline constexpr char kWorkloadHead[] = "h1";

using Command = std::variant<
    v1::RegisterAgent, v1::RegisterStation, v1::RecordStationVolume,
    v1::PublishPenaltySchedule, v1::DeclareSpecialPeriod, v1::ReceiveComplaint,
    v1::RaiseSeverity, v1::ChooseTrack, v1::RequestAssist, v1::AnswerAssist,
    v1::Reply, v1::RecordRevisit, v1::WaiveRevisit, v1::SignOff>;

struct Step {
  absl::Time at;
  std::string actor;
  Command command;
  // May be refused by the rules (the head's malicious mark on a case the
  // ledger does not see as a repeat); the runner goes on.
  bool may_fail = false;
};

struct PlannedCase {
  std::string complaint_id;
  absl::Time received;
  std::string phone;
  v1::Channel channel;
  v1::InfoKind kind;
  v1::ComplaintCategory category;  // Complaints only.
  v1::Importance importance;
  std::string station_id;
  std::string owner;
  v1::HandlingTrack track;
  bool late = false;
  bool revisited = false;
  v1::Satisfaction satisfaction = v1::SATISFACTION_UNSPECIFIED;
  bool waived = false;
  bool signed_off = false;
  bool month_end_revisit = false;
  // The head marks it malicious if the ledger sees it as a repeat.
  bool malicious_if_repeat = false;
  // Phone and chat: how long the customer waited to be answered, when the
  // telephony or chat system told.
  std::optional<uint32_t> wait_seconds;
};

struct StationPlan {
  std::string station_id;
  // Copies per month, in the order of the workload's months.
  std::vector<int64_t> copies;
};

struct Workload {
  uint64_t seed = 0;
  std::string time_zone = "Asia/Shanghai";
  absl::CivilMonth first_month;
  int months = 0;
  std::vector<StationPlan> stations;
  // Per complaint, in minor units (CNY fen).
  int64_t repeat_penalty = 0;
  int64_t malicious_penalty = 0;
  absl::CivilDay special_first, special_last;
  std::vector<PlannedCase> cases;  // In intake order.
  std::vector<Step> steps;         // In time order.
};

struct WorkloadOptions {
  uint64_t seed = 1;
  int cases = 1000;
  absl::CivilMonth first_month = absl::CivilMonth(2026, 9);
  int months = 3;
  int stations = 5;
  // Distinct customers; fewer make more repeats.
  int customers = 4000;
};

Workload PlanWorkload(const WorkloadOptions& options);

// Runs steps [first, last) of `workload` through `send`, in plan order. A
// refusal (FAILED_PRECONDITION or PERMISSION_DENIED) of a step that may
// fail is counted in *refused (if given); any other error stops the run
// with an error naming the step.
absl::Status RunSteps(
    const Workload& workload, size_t first, size_t last,
    const std::function<absl::Status(size_t index, const Step& step)>& send,
    int* refused);

}  // namespace ledger::sim

#endif  // LEDGER_TOOLS_SIM_WORKLOAD_H_
