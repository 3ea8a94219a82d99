#include "tools/sim/model.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ledger::sim {

namespace {

using Code = absl::StatusCode;

constexpr absl::Duration kRepeatWindow = absl::Hours(24 * 30);
constexpr int kFailedRevisitsForRepeat = 2;

}  // namespace

const char* KindName(Intent::Kind kind) {
  static constexpr const char* kNames[] = {
      "receive", "assign-owner", "hand-over", "classify",
      "raise-severity", "choose-track", "reply", "revisit",
      "waive-revisit", "reopen", "sign-off"};
  return kind < Intent::kKinds ? kNames[kind] : "?";
}

Model::Model(std::set<std::string> agents, std::set<std::string> heads,
             std::set<std::string> stations, int64_t repeat_penalty,
             int64_t malicious_penalty, absl::TimeZone zone)
    : agents_(std::move(agents)),
      heads_(std::move(heads)),
      stations_(std::move(stations)),
      repeat_penalty_(repeat_penalty),
      malicious_penalty_(malicious_penalty),
      zone_(zone) {}

std::string Model::NextId(absl::Time now) const {
  const int64_t year = absl::ToCivilYear(now, zone_).year();
  auto it = last_number_.find(year);
  const int64_t next = (it == last_number_.end() ? 0 : it->second) + 1;
  return absl::StrFormat("%d-%06d", year, next);
}

const ModelComplaint* Model::Find(const std::string& id) const {
  auto it = complaints_.find(id);
  return it == complaints_.end() ? nullptr : &it->second;
}

absl::StatusCode Model::Predict(const Intent& in, absl::Time now) const {
  const bool head = heads_.contains(in.actor);
  auto bad_classification = [&] {
    return in.info_kind == v1::INFO_KIND_COMPLAINT &&
           in.category == v1::COMPLAINT_CATEGORY_UNSPECIFIED;
  };
  if (in.kind == Intent::kReceive) {
    if (!agents_.contains(in.actor)) return Code::kPermissionDenied;
    if (in.classify && bad_classification()) return Code::kInvalidArgument;
    return Code::kOk;
  }
  const ModelComplaint* c = Find(in.complaint_id);
  if (c == nullptr) return Code::kNotFound;
  if (!agents_.contains(in.actor)) return Code::kPermissionDenied;
  const bool closed = c->stage == v1::STAGE_CLOSED;
  if (closed && in.kind != Intent::kReopen) return Code::kFailedPrecondition;
  const bool owner_or_head = head || in.actor == c->owner;
  switch (in.kind) {
    case Intent::kAssignOwner:
      if (!head) return Code::kPermissionDenied;
      if (in.to_agent == c->owner) return Code::kFailedPrecondition;
      return Code::kOk;
    case Intent::kHandOver:
      if (!owner_or_head) return Code::kPermissionDenied;
      if (in.to_agent == c->owner) return Code::kFailedPrecondition;
      return Code::kOk;
    case Intent::kClassify:
      if (!owner_or_head) return Code::kPermissionDenied;
      if (bad_classification()) return Code::kInvalidArgument;
      if (c->classified && c->info_kind == in.info_kind &&
          c->category == in.category && c->important == in.important) {
        return Code::kFailedPrecondition;  // Nothing would change.
      }
      return Code::kOk;
    case Intent::kRaiseSeverity:
      // Malicious is the head's call; a repeat, the owner's too.
      if (in.severity == v1::SEVERITY_MALICIOUS ? !head : !owner_or_head) {
        return Code::kPermissionDenied;
      }
      // Severity only rises, and malicious means repeat and serious.
      if (in.severity <= c->severity) return Code::kFailedPrecondition;
      if (in.severity == v1::SEVERITY_MALICIOUS &&
          c->severity != v1::SEVERITY_REPEAT) {
        return Code::kFailedPrecondition;
      }
      return Code::kOk;
    case Intent::kChooseTrack:
      if (!owner_or_head) return Code::kPermissionDenied;
      if (c->stage != v1::STAGE_OPEN || !c->classified ||
          (c->track_chosen && c->track == in.track)) {
        return Code::kFailedPrecondition;
      }
      return Code::kOk;
    case Intent::kReply:
      if (!owner_or_head) return Code::kPermissionDenied;
      if (c->stage != v1::STAGE_OPEN || !c->classified || !c->track_chosen) {
        return Code::kFailedPrecondition;
      }
      return Code::kOk;
    case Intent::kRevisit:
      if (!owner_or_head) return Code::kPermissionDenied;
      return c->stage == v1::STAGE_REPLIED ? Code::kOk
                                           : Code::kFailedPrecondition;
    case Intent::kWaiveRevisit:
      // Only a head, never for a complaint (revisited 100%).
      if (!head) return Code::kPermissionDenied;
      if (c->stage != v1::STAGE_REPLIED || !c->classified ||
          c->info_kind == v1::INFO_KIND_COMPLAINT) {
        return Code::kFailedPrecondition;
      }
      return Code::kOk;
    case Intent::kReopen:
      // A closed case only by a head; an unanswered one has nothing to
      // reopen.
      if (closed ? !head : !owner_or_head) return Code::kPermissionDenied;
      return c->stage == v1::STAGE_OPEN ? Code::kFailedPrecondition
                                        : Code::kOk;
    case Intent::kSignOff:
      // Only a signed-off case is closed: the head, after a revisit that
      // found it resolved (or a waiver), on a complete record.
      if (!head) return Code::kPermissionDenied;
      if (c->stage != v1::STAGE_REVISITED || !in.record_complete) {
        return Code::kFailedPrecondition;
      }
      return Code::kOk;
    default:
      return Code::kInternal;
  }
}

bool Model::Repeats(const ModelComplaint& c) const {
  if (!c.classified || c.info_kind != v1::INFO_KIND_COMPLAINT) return false;
  auto it = by_phone_.find(c.phone);
  if (it == by_phone_.end()) return false;
  for (const std::string& id : it->second) {
    if (id == c.id) continue;
    const ModelComplaint& p = complaints_.at(id);
    if (p.classified && p.info_kind == v1::INFO_KIND_COMPLAINT &&
        p.category == c.category && p.received <= c.received &&
        c.received - p.received <= kRepeatWindow) {
      return true;
    }
  }
  return false;
}

const ModelComplaint& Model::Apply(const Intent& in, absl::Time now) {
  auto classify = [&](ModelComplaint& c) {
    c.classified = true;
    c.info_kind = in.info_kind;
    c.category = in.info_kind == v1::INFO_KIND_COMPLAINT
                     ? in.category
                     : v1::COMPLAINT_CATEGORY_UNSPECIFIED;
    c.important = in.important;
    if (c.severity < v1::SEVERITY_REPEAT && Repeats(c)) {
      c.severity = v1::SEVERITY_REPEAT;
      ++repeats_by_history_;
    }
  };
  auto reopen = [](ModelComplaint& c) {
    c.stage = v1::STAGE_OPEN;
    c.track_chosen = false;
    c.track = v1::HANDLING_TRACK_UNSPECIFIED;
    ++c.reopens;
  };
  if (in.kind == Intent::kReceive) {
    const std::string id = NextId(now);
    ++last_number_[absl::ToCivilYear(now, zone_).year()];
    ModelComplaint& c = complaints_[id];
    c.id = id;
    c.owner = in.actor;  // The phone channel: whoever answered.
    c.phone = in.phone;
    c.station = in.station;
    c.received = now;
    ids_.push_back(id);
    by_phone_[in.phone].push_back(id);
    if (in.classify) classify(c);
    return c;
  }
  ModelComplaint& c = complaints_.at(in.complaint_id);
  switch (in.kind) {
    case Intent::kAssignOwner:
    case Intent::kHandOver:
      c.owner = in.to_agent;
      break;
    case Intent::kClassify:
      classify(c);
      break;
    case Intent::kRaiseSeverity:
      c.severity = in.severity;
      break;
    case Intent::kChooseTrack:
      c.track_chosen = true;
      c.track = in.track;
      break;
    case Intent::kReply:
      c.stage = v1::STAGE_REPLIED;
      break;
    case Intent::kRevisit:
      ++c.revisits;
      if (in.resolved) {
        c.stage = v1::STAGE_REVISITED;
      } else {
        ++c.failed_revisits;
        reopen(c);
        if (c.failed_revisits >= kFailedRevisitsForRepeat &&
            c.severity < v1::SEVERITY_REPEAT) {
          c.severity = v1::SEVERITY_REPEAT;
          ++repeats_by_revisits_;
        }
      }
      break;
    case Intent::kWaiveRevisit:
      c.stage = v1::STAGE_REVISITED;
      break;
    case Intent::kReopen:
      reopen(c);
      break;
    case Intent::kSignOff:
      c.stage = v1::STAGE_CLOSED;
      break;
    default:
      break;
  }
  return c;
}

Model::Queues Model::ListQueues() const {
  // Every case not closed is on its owner's list; the others by stage.
  Queues q;
  for (const auto& [id, c] : complaints_) {
    if (c.stage == v1::STAGE_CLOSED) continue;
    q.open_by_owner[c.owner].insert(id);
    if (c.stage == v1::STAGE_REPLIED) q.revisits_due.insert(id);
    if (c.stage == v1::STAGE_REVISITED) q.sign_offs_waiting.insert(id);
    if (c.classified && c.important) q.important.insert(id);
  }
  return q;
}

std::map<std::string, ModelStationMonth> Model::StationMonth(
    absl::CivilMonth month) const {
  std::map<std::string, ModelStationMonth> table;
  for (const std::string& s : stations_) table[s];
  for (const auto& [id, c] : complaints_) {
    // A complaint counts in its station's month of intake, as it is
    // classified and as severe as it is now.
    if (c.station.empty() || !c.classified ||
        c.info_kind != v1::INFO_KIND_COMPLAINT ||
        absl::CivilMonth(absl::ToCivilSecond(c.received, zone_)) != month) {
      continue;
    }
    ModelStationMonth& row = table[c.station];
    ++row.complaints;
    if (c.severity == v1::SEVERITY_REPEAT) {
      ++row.repeat;
      row.penalty_minor_units += repeat_penalty_;
    } else if (c.severity == v1::SEVERITY_MALICIOUS) {
      ++row.malicious;
      row.penalty_minor_units += malicious_penalty_;
    }
  }
  return table;
}

std::string Model::CustomerHistory(const std::string& phone) const {
  std::string out = absl::StrCat("customer ", phone, "'s complaints (model):");
  auto it = by_phone_.find(phone);
  if (it == by_phone_.end()) return out;
  for (const std::string& id : it->second) {
    const ModelComplaint& c = complaints_.at(id);
    absl::StrAppend(&out, "\n    ", id, " received ",
                    absl::FormatTime(c.received, zone_), " ",
                    c.classified ? v1::InfoKind_Name(c.info_kind) : "unclassified",
                    " ", v1::ComplaintCategory_Name(c.category), " ",
                    v1::Severity_Name(c.severity));
  }
  return out;
}

std::string Model::Diff(const ModelComplaint& e, const v1::ComplaintState& a) {
  std::string out;
  auto field = [&out](const char* name, auto expected, auto actual) {
    if (expected != actual) {
      absl::StrAppend(&out, out.empty() ? "" : "; ", name, ": model ",
                      expected, ", ledger ", actual);
    }
  };
  field("complaint_id", e.id, a.complaint_id());
  field("stage", v1::Stage_Name(e.stage), v1::Stage_Name(a.stage()));
  field("owner", e.owner, a.owner_agent_id());
  field("station", e.station, a.station_id());
  field("received_us", absl::ToUnixMicros(e.received), a.received_time_us());
  field("classified", e.classified, a.classified());
  if (e.classified) {
    field("kind", v1::InfoKind_Name(e.info_kind), v1::InfoKind_Name(a.kind()));
    field("category", v1::ComplaintCategory_Name(e.category),
          v1::ComplaintCategory_Name(a.category()));
    field("flagged_for_head", e.important, a.flagged_for_head());
  }
  field("severity", v1::Severity_Name(e.severity),
        v1::Severity_Name(a.severity()));
  field("track", v1::HandlingTrack_Name(e.track),
        v1::HandlingTrack_Name(a.track()));
  field("revisits", e.revisits, static_cast<int>(a.revisits()));
  field("failed_revisits", e.failed_revisits,
        static_cast<int>(a.failed_revisits()));
  field("reopen_count", e.reopens, static_cast<int>(a.reopen_count()));
  return out;
}

}  // namespace ledger::sim
