#include "projections/log_source.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/subscribe/subscription.h"

namespace ledger {
namespace {

class Local : public LogSource {
 public:
  Local(const EventStore* store, SubscriptionHub* hub)
      : store_(*store), hub_(hub) {}

  std::string name() const override { return "the ledger in process"; }

  absl::Status Follow(
      uint64_t from_position, const Sink& sink,
      const std::function<bool()>& stop,
      const std::function<void(const absl::Status&)>& /*on_error*/) override {
    if (hub_ == nullptr) {
      return absl::FailedPreconditionError(
          "this log source has no hub to follow the log with");
    }
    SubscriptionOptions options;
    options.from_position = from_position;
    options.heartbeat = absl::Milliseconds(100);
    // The whole log, unfiltered: no tags to tell.
    Subscription subscription(&store_, hub_, /*tagger=*/nullptr, options);
    return subscription.Run(sink, stop);
  }

  absl::Status Scan(
      uint64_t from, uint64_t to,
      const std::function<bool(const v1::Event&)>& visit) const override {
    if (to < from) return absl::OkStatus();
    return store_.ScanAll(from, to - from + 1, visit);
  }

  absl::StatusOr<uint64_t> Head() const override {
    return store_.log_head().position_last;
  }

 private:
  const EventStore& store_;
  SubscriptionHub* const hub_;
};

}  // namespace

std::unique_ptr<LogSource> LocalLog(const EventStore* store,
                                    SubscriptionHub* hub) {
  return std::make_unique<Local>(store, hub);
}

}  // namespace ledger
