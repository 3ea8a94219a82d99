#include "app/complaint_tags.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/complaint/state.h"
#include "ledger/events/visitor.h"
#include "ledger/store/limits.h"

namespace ledger {
namespace {

constexpr size_t kMaxRememberedStreams = 1 << 20;

// The tags an event's own payload carries.
class PayloadTags final : public EventVisitor {
 public:
  explicit PayloadTags(std::vector<std::string>* tags) : tags_(*tags) {}

  // The Visits this class does not override stay in scope rather than
  // hidden (clang's -Woverloaded-virtual, in -Wall, refuses hiding them).
  using EventVisitor::Visit;

  absl::Status Visit(const v1::Event&,
                     const v1::StationRegistered& p) override {
    return Add(p.station_id());
  }
  absl::Status Visit(const v1::Event&,
                     const v1::StationMonthlyVolumeRecorded& p) override {
    return Add(p.station_id());
  }
  absl::Status Visit(const v1::Event&,
                     const v1::AssistRequested& p) override {
    for (const v1::AssistTarget& t : p.targets()) Target(t);
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&, const v1::AssistAnswered& p) override {
    Target(p.target());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&, const v1::AssistChased& p) override {
    Target(p.target());
    return absl::OkStatus();
  }
  absl::Status Visit(const v1::Event&,
                     const v1::ComplaintReceived& p) override {
    received_station_ = p.station_id();
    received_ = true;
    return absl::OkStatus();
  }

  // The station a ComplaintReceived named, when the event was one.
  bool received() const { return received_; }
  const std::string& received_station() const { return received_station_; }

 private:
  absl::Status Add(const std::string& station) {
    if (!station.empty()) tags_.push_back(StationTag(station));
    return absl::OkStatus();
  }
  void Target(const v1::AssistTarget& target) {
    if (target.has_station_id()) Add(target.station_id()).IgnoreError();
  }

  std::vector<std::string>& tags_;
  bool received_ = false;
  std::string received_station_;
};

// The types whose payloads carry tags: the others need no parse.
bool CarriesTags(const std::string& event_type) {
  static const auto* const kTypes = new absl::flat_hash_set<std::string>{
      v1::StationRegistered::descriptor()->full_name(),
      v1::StationMonthlyVolumeRecorded::descriptor()->full_name(),
      v1::AssistRequested::descriptor()->full_name(),
      v1::AssistAnswered::descriptor()->full_name(),
      v1::AssistChased::descriptor()->full_name(),
      v1::ComplaintReceived::descriptor()->full_name(),
  };
  return kTypes->contains(event_type);
}

}  // namespace

std::string StationTag(absl::string_view station_id) {
  return absl::StrCat("station:", station_id);
}

absl::StatusOr<std::vector<std::string>> ComplaintTagger::TagsWanted(
    const v1::SubscriptionFilter& filter) const {
  std::vector<std::string> tags(filter.tags().begin(), filter.tags().end());
  if (!filter.station_id().empty()) {
    if (filter.station_id().size() > kMaxIdBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.station_id has at most ", kMaxIdBytes, " bytes"));
    }
    tags.push_back(StationTag(filter.station_id()));
  }
  return tags;
}

absl::Status ComplaintTagger::TagsOf(const v1::Event& event,
                                     std::vector<std::string>* tags) {
  bool received = false;
  if (CarriesTags(event.event_type())) {
    PayloadTags payload(tags);
    RETURN_IF_ERROR(Visit(event, payload));
    if (payload.received() && event.revision() == 0) {
      received = true;
      Remember(event.stream_id(), payload.received_station());
      if (!payload.received_station().empty()) {
        tags->push_back(StationTag(payload.received_station()));
      }
    }
  }
  if (received || ComplaintIdView(event.stream_id()).empty()) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string station, StationOf(event.stream_id()));
  if (!station.empty()) tags->push_back(StationTag(station));
  return absl::OkStatus();
}

void ComplaintTagger::Remember(const std::string& stream_id,
                               std::string station) {
  absl::MutexLock lock(&mu_);
  if (stations_.size() >= kMaxRememberedStreams) stations_.clear();
  stations_[stream_id] = std::move(station);
}

absl::StatusOr<std::string> ComplaintTagger::StationOf(
    const std::string& stream_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = stations_.find(stream_id);
    if (it != stations_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::vector<v1::Event> first,
                   store_.ReadStream(stream_id, 0, ReadDirection::kForward, 1));
  std::string station;
  if (!first.empty()) {
    std::vector<std::string> ignored;
    PayloadTags payload(&ignored);
    RETURN_IF_ERROR(Visit(first[0], payload));
    if (payload.received()) station = payload.received_station();
  }
  Remember(stream_id, station);
  return station;
}

}  // namespace ledger
