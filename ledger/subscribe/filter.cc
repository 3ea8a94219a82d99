#include "ledger/subscribe/filter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/events/catalogue.h"
#include "ledger/store/limits.h"

namespace ledger {
namespace {

constexpr int kMaxFilterTypes = 64;
constexpr int kMaxFilterTags = 64;

}  // namespace

absl::StatusOr<EventFilter> EventFilter::Create(
    const v1::SubscriptionFilter& filter, EventTagger* tagger) {
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
  if (filter.tags_size() > kMaxFilterTags) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter.tags names ", filter.tags_size(),
                     " tags, the limit is ", kMaxFilterTags));
  }
  for (const std::string& tag : filter.tags()) {
    if (tag.empty() || tag.size() > kMaxStreamIdBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter.tags: a tag has 1 to ", kMaxStreamIdBytes, " bytes"));
    }
  }
  EventFilter f;
  f.filter_ = filter;
  f.tagger_ = tagger;
  if (tagger != nullptr) {
    ASSIGN_OR_RETURN(std::vector<std::string> tags,
                     tagger->TagsWanted(filter));
    f.tags_.insert(tags.begin(), tags.end());
  } else if (filter.tags_size() > 0 || !filter.station_id().empty()) {
    return absl::InvalidArgumentError(
        "filter: this log source cannot filter by tag or station");
  }
  for (const std::string& type : filter.event_types()) {
    std::string full = FullEventTypeName(type);
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
  if (tags_.empty()) return true;
  std::vector<std::string> tags;
  RETURN_IF_ERROR(tagger_->TagsOf(event, &tags));
  for (const std::string& tag : tags) {
    if (tags_.contains(tag)) return true;
  }
  return false;
}

}  // namespace ledger
