#include "ledger/subscribe/filter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/events/catalogue.h"
#include "ledger/events/payload.h"
#include "ledger/store/limits.h"
#include "ledger/v1/complaint_events.pb.h"
#include "ledger/v1/reference_events.pb.h"

namespace ledger {
namespace {

constexpr size_t kMaxRememberedStreams = 1 << 20;
constexpr int kMaxFilterTypes = 64;

bool Names(const v1::AssistTarget& target, const std::string& station) {
  return target.has_station_id() && target.station_id() == station;
}

}  // namespace

void StationDirectory::Remember(const std::string& stream_id,
                                std::string station) {
  absl::MutexLock lock(&mu_);
  if (stations_.size() >= kMaxRememberedStreams) stations_.clear();
  stations_[stream_id] = std::move(station);
}

void StationDirectory::Learn(const v1::Event& event) {
  if (event.revision() != 0 || !Is<v1::ComplaintReceived>(event)) return;
  absl::StatusOr<v1::ComplaintReceived> received =
      Unwrap<v1::ComplaintReceived>(event);
  if (received.ok()) Remember(event.stream_id(), received->station_id());
}

absl::StatusOr<std::string> StationDirectory::StationOf(
    const std::string& stream_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = stations_.find(stream_id);
    if (it != stations_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::vector<v1::Event> first,
                   store_.ReadStream(stream_id, 0, ReadDirection::kForward, 1));
  std::string station;
  if (!first.empty() && Is<v1::ComplaintReceived>(first[0])) {
    ASSIGN_OR_RETURN(auto received, Unwrap<v1::ComplaintReceived>(first[0]));
    station = received.station_id();
  }
  Remember(stream_id, station);
  return station;
}

absl::StatusOr<EventFilter> EventFilter::Create(
    const v1::SubscriptionFilter& filter, StationDirectory* stations) {
  if (filter.stream_prefix().size() > kMaxStreamIdBytes ||
      filter.stream_id().size() > kMaxStreamIdBytes ||
      filter.station_id().size() > kMaxStreamIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter: a stream id, prefix or station id has at most ",
                     kMaxStreamIdBytes, " bytes"));
  }
  if (filter.event_types_size() > kMaxFilterTypes) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter.event_types names ", filter.event_types_size(),
                     " types, the limit is ", kMaxFilterTypes));
  }
  EventFilter f;
  f.filter_ = filter;
  f.stations_ = stations;
  for (const std::string& type : filter.event_types()) {
    std::string full =
        absl::StrContains(type, '.') ? type : absl::StrCat("ledger.v1.", type);
    if (FindEventType(full) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.event_types: ", type, " is not an event type"));
    }
    f.types_.insert(std::move(full));
  }
  return f;
}

absl::StatusOr<bool> EventFilter::Matches(const v1::Event& event) const {
  if (!filter_.stream_id().empty() &&
      event.stream_id() != filter_.stream_id()) {
    return false;
  }
  if (!absl::StartsWith(event.stream_id(), filter_.stream_prefix())) {
    return false;
  }
  if (!types_.empty() && !types_.contains(event.event_type())) return false;
  if (filter_.station_id().empty()) return true;
  return ConcernsStation(event);
}

absl::StatusOr<bool> EventFilter::ConcernsStation(const v1::Event& e) const {
  const std::string& station = filter_.station_id();
  if (Is<v1::StationRegistered>(e)) {
    ASSIGN_OR_RETURN(auto p, Unwrap<v1::StationRegistered>(e));
    return p.station_id() == station;
  }
  if (Is<v1::StationMonthlyVolumeRecorded>(e)) {
    ASSIGN_OR_RETURN(auto p, Unwrap<v1::StationMonthlyVolumeRecorded>(e));
    return p.station_id() == station;
  }
  if (Is<v1::AssistRequested>(e)) {
    ASSIGN_OR_RETURN(auto p, Unwrap<v1::AssistRequested>(e));
    for (const auto& t : p.targets()) {
      if (Names(t, station)) return true;
    }
  } else if (Is<v1::AssistAnswered>(e)) {
    ASSIGN_OR_RETURN(auto p, Unwrap<v1::AssistAnswered>(e));
    if (Names(p.target(), station)) return true;
  } else if (Is<v1::AssistChased>(e)) {
    ASSIGN_OR_RETURN(auto p, Unwrap<v1::AssistChased>(e));
    if (Names(p.target(), station)) return true;
  }
  if (!absl::StartsWith(e.stream_id(), "complaint-")) return false;
  ASSIGN_OR_RETURN(std::string of, stations_->StationOf(e.stream_id()));
  return of == station;
}

}  // namespace ledger
