// ReferenceData: agents and their roles, stations, departments, the
// working-day calendar, penalty schedules and special periods, folded from
// the reference streams. Commands are decided against it. Pure and
// copyable; the complaint service keeps an immutable snapshot per change.
#ifndef LEDGER_COMPLAINT_REFERENCE_DATA_H_
#define LEDGER_COMPLAINT_REFERENCE_DATA_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/calendar/business_calendar.h"
#include "ledger/events/visitor.h"
#include "ledger/v1/commands.pb.h"
#include "ledger/v1/event.pb.h"
#include "ledger/v1/reference_events.pb.h"

namespace ledger {

// The reference streams.
inline constexpr char kStationsStream[] = "ref-stations";
inline constexpr char kOrgStream[] = "ref-org";
inline constexpr char kCalendarStream[] = "ref-calendar";
inline constexpr char kPenaltiesStream[] = "ref-penalties";
// The monthly assessment of agents: points entered, publications, appeals.
inline constexpr char kAssessmentsStream[] = "ref-assessments";
// The monthly station penalty tables: drawn up, signed, published, sent.
inline constexpr char kPenaltyTablesStream[] = "ref-penalty-tables";
// The knowledge base's digests: drawn up, circulated, read.
inline constexpr char kKnowledgeStream[] = "ref-knowledge";
inline constexpr const char* kReferenceStreams[] = {
    kStationsStream,    kOrgStream,           kCalendarStream, kPenaltiesStream,
    kAssessmentsStream, kPenaltyTablesStream, kKnowledgeStream};
inline bool IsReferenceStream(std::string_view stream_id) {
  for (const char* stream : kReferenceStreams) {
    if (stream_id == stream) return true;
  }
  return false;
}

// Whether a service's grant narrows what it reads (any field set).
inline bool Narrows(const v1::ServiceGrant& grant) {
  return grant.stream_prefixes_size() > 0 || grant.event_types_size() > 0 ||
         grant.station_ids_size() > 0;
}
// Entries a grant's lists may hold, each.
inline constexpr int kMaxGrantEntries = 64;

class ReferenceData {
 public:
  // Folds one event of a reference stream. INTERNAL for a type that does
  // not belong there, DATA_LOSS for a payload that does not parse.
  absl::Status Apply(const v1::Event& event);
  // The same, for an event decoded already (ledger/events/visitor.h).
  absl::Status Apply(const DecodedEvent& event);

  // nullptr when unknown.
  const v1::AgentRegistered* FindAgent(const std::string& agent_id) const;
  // Registered, active and holding `role`.
  bool HasRole(const std::string& agent_id, v1::Role role) const;
  bool IsActiveAgent(const std::string& agent_id) const;
  bool HasStation(const std::string& station_id) const;
  bool HasDepartment(const std::string& department_id) const;
  bool HasTarget(const v1::AssistTarget& target) const;
  // True once any active agent holds the centre head role.
  bool HasCentreHead() const;
  // Whether an active centre head other than `agent_id` exists.
  bool HasCentreHeadOtherThan(const std::string& agent_id) const;
  // Every agent, station and department, sorted by id.
  std::vector<const v1::AgentRegistered*> Agents() const;
  std::vector<const v1::StationRegistered*> Stations() const;
  std::vector<const v1::DepartmentRegistered*> Departments() const;
  // Whether any agent was ever registered.
  bool HasAgents() const { return !agents_.empty(); }
  // The stations whose head is `agent_id`, sorted.
  std::vector<std::string> StationsHeadedBy(const std::string& agent_id) const;

  // The calendar in force; nullptr before the first is published.
  const BusinessCalendar* calendar() const { return calendar_.get(); }

  const std::vector<v1::PenaltySchedulePublished>& penalty_schedules() const {
    return schedules_;
  }
  const std::vector<v1::SpecialPeriodDeclared>& special_periods() const {
    return special_periods_;
  }
  // The customer types in force, as published (empty before any are).
  const v1::CustomerTypesPublished& customer_types() const {
    return customer_types_;
  }
  bool HasCustomerType(const std::string& code) const;

  // The monthly assessment (docs/rules.md §12), as far as deciding its
  // commands needs: whether a month is published, until when it may be
  // appealed, its appeals and whether each is still open.
  struct AssessmentMonth {
    bool published = false;
    absl::CivilDay appeal_last_day;
    int appeals = 0;
  };
  struct AssessmentAppeal {
    v1::YearMonth month;
    std::string agent_id;
    v1::AssessmentPart part = v1::ASSESSMENT_PART_UNSPECIFIED;
    bool open = true;
  };
  // A month's penalty table (docs/rules.md §11): how far it has gone
  // (1 drawn up, 2 signed, 3 published, 4 sent to finance), its latest
  // draw and who drew it.
  struct PenaltyTable {
    int stage = 0;
    uint64_t drawn_position = 0;
    std::string drawn_by;
  };
  // nullptr: never drawn up.
  const PenaltyTable* FindPenaltyTable(const v1::YearMonth& month) const;
  // "yyyy-mm" -> every table drawn up.
  const absl::flat_hash_map<std::string, PenaltyTable>& penalty_tables() const {
    return penalty_tables_;
  }

  // A half-month digest of the knowledge base: drawn up, circulated.
  struct Digest {
    bool drawn = false;
    bool circulated = false;
  };
  // nullptr: never drawn up.
  const Digest* FindDigest(const v1::YearMonth& month,
                           v1::DigestHalf half) const;

  // nullptr: nothing recorded for the month / no such appeal.
  const AssessmentMonth* FindAssessment(const v1::YearMonth& month) const;
  const AssessmentAppeal* FindAppeal(const std::string& appeal_id) const;
  // Whether `agent_id` has an open appeal of `part` of `month`.
  bool HasOpenAppeal(const std::string& agent_id, const v1::YearMonth& month,
                     v1::AssessmentPart part) const;

 private:
  class Fold;

  absl::flat_hash_map<std::string, v1::AgentRegistered> agents_;
  absl::flat_hash_map<std::string, v1::StationRegistered> stations_;
  absl::flat_hash_map<std::string, v1::DepartmentRegistered> departments_;
  // Station id, "yyyy-mm" -> copies.
  absl::flat_hash_map<std::string, int64_t> volumes_;
  std::shared_ptr<const BusinessCalendar> calendar_;
  std::vector<v1::PenaltySchedulePublished> schedules_;
  std::vector<v1::SpecialPeriodDeclared> special_periods_;
  v1::CustomerTypesPublished customer_types_;
  // "yyyy-mm" -> the month's assessment; appeal id -> appeal.
  absl::flat_hash_map<std::string, AssessmentMonth> assessments_;
  absl::flat_hash_map<std::string, AssessmentAppeal> appeals_;
  // "yyyy-mm" -> the month's penalty table.
  absl::flat_hash_map<std::string, PenaltyTable> penalty_tables_;
  // DigestKey -> the digest.
  absl::flat_hash_map<std::string, Digest> digests_;
};

// A reference-data change, checked and ready to append.
struct ReferenceChange {
  std::string stream_id;
  v1::Event event;  // event_type and payload set.
};

// Checks a reference command against the data and the actor's roles:
// INVALID_ARGUMENT naming the bad field; PERMISSION_DENIED unless the actor
// is a centre head (or, for RegisterAgent, no centre head exists yet: the
// bootstrap of a new site).
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RegisterStation& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RegisterDepartment& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RegisterAgent& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RecordStationVolume& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishCalendar& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishPenaltySchedule& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::DeclareSpecialPeriod& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishCustomerTypes& command);

// The monthly assessment (ledger/complaint/assessment.cc; docs/rules.md
// §12), decided at `now`. The centre head enters points before the month
// is published (FAILED_PRECONDITION after) and publishes an ended month
// once; an agent appeals a part of their own published month up to the
// last day of appeal (FAILED_PRECONDITION after), one open appeal per
// part; the centre head decides an open appeal.
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::EnterAssessmentPoints& command, absl::Time now);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishAssessment& command, absl::Time now);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::AppealAssessment& command, absl::Time now);
absl::StatusOr<ReferenceChange> DecideReference(const ReferenceData& data,
                                                const std::string& actor,
                                                const v1::DecideAppeal& command,
                                                absl::Time now);

// The station penalty table (docs/rules.md §11), in order: drawn up by a
// centre head once the month has ended (again until signed), signed by the
// general manager (not the one who drew it) naming the draw in force,
// published, then sent to finance by a centre head. Out of order:
// FAILED_PRECONDITION.
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::DrawUpPenaltyTable& command, absl::Time now);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::SignPenaltyTable& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::PublishPenaltyTable& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::SendPenaltyTableToFinance& command);

// The knowledge base's digests (docs/rules.md §9): drawn up by a centre
// head once, after its half-month has ended (site time zone); circulated
// once by a centre head; read by agents (the actor), once circulated.
absl::StatusOr<ReferenceChange> DecideReference(const ReferenceData& data,
                                                const std::string& actor,
                                                const v1::DrawUpDigest& command,
                                                absl::Time now);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::CirculateDigest& command);
absl::StatusOr<ReferenceChange> DecideReference(
    const ReferenceData& data, const std::string& actor,
    const v1::RecordReading& command);
// "2026-11 first half".
std::string DigestKey(const v1::YearMonth& month, v1::DigestHalf half);
// The days a digest covers: 1-15, or 16 to the month's end.
std::pair<absl::CivilDay, absl::CivilDay> DigestDays(const v1::YearMonth& month,
                                                     v1::DigestHalf half);

// The weight of an assessment part in points (30, 40, 20, 10; 0 for none).
int AssessmentWeight(v1::AssessmentPart part);
// "2026-11".
std::string YearMonthKey(const v1::YearMonth& month);

}  // namespace ledger

#endif  // LEDGER_COMPLAINT_REFERENCE_DATA_H_
