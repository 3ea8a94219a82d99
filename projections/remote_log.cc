#include "projections/remote_log.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "ledger/store/limits.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/subscription_service.grpc.pb.h"
#include "rpc/status.h"

namespace ledger {
namespace {

constexpr absl::Duration kCallDeadline = absl::Seconds(30);
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(50);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);

// Errors a follower rides out by reconnecting: the ledger is away, busy or
// restarting.
// Anything else (a broken log, a refused request) will not get better.
bool Transient(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
      return true;
    default:
      return false;
  }
}

class Remote : public LogSource {
 public:
  Remote(std::string target, const ClientSecurity& security,
         v1::SubscriptionFilter filter)
      : target_(std::move(target)),
        filter_(std::move(filter)),
        filtered_(filter_.ByteSizeLong() > 0) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(kMaxResponseBytes));
    channel_ = MakeChannel(target_, security, args);
    ledger_ = v1::Ledger::NewStub(channel_);
    subscriptions_ = v1::Subscriptions::NewStub(channel_);
  }

  std::string name() const override { return target_; }

  absl::Status Follow(
      uint64_t from_position, const Sink& sink,
      const std::function<bool()>& stop,
      const std::function<void(const absl::Status&)>& on_error) override {
    uint64_t next = std::max<uint64_t>(from_position, 1);
    std::string last_hash;  // Of position next - 1, once known.
    absl::Duration backoff = kFirstBackoff;
    bool failing = false;
    while (!stop()) {
      // A ledger that answers must reach as far as what was read from it
      // (one that was away when the views started is checked here).
      if (absl::StatusOr<uint64_t> head = Head();
          head.ok() && *head + 1 < next) {
        return absl::FailedPreconditionError(
            absl::StrCat("the log of ", target_, " ends at position ", *head,
                         " but position ", next - 1,
                         " was read: it is not the same ledger"));
      }
      grpc::ClientContext context;
      v1::SubscribeRequest request;
      request.set_from_position(next);
      request.set_heartbeat_ms(100);
      *request.mutable_filter() = filter_;
      auto reader = subscriptions_->Subscribe(&context, request);
      v1::SubscribeResponse response;
      bool gone = false;  // The sink or `stop` ended it.
      absl::Status refused;
      while (reader->Read(&response)) {
        if (failing) {
          failing = false;
          backoff = kFirstBackoff;
          on_error(absl::OkStatus());
        }
        if (response.has_event()) {
          const v1::Event& e = response.event();
          if (filtered_ && e.position() > next) {
            // Positions the filter skipped (the ledger sends a checkpoint
            // for a long stretch only): the chain check restarts here.
            next = e.position();
            last_hash.clear();
          }
          if (e.position() != next) {
            refused = absl::DataLossError(
                absl::StrCat(target_, " sent position ", e.position(),
                             " where ", next, " was due"));
          } else if (!last_hash.empty() && e.previous_hash() != last_hash) {
            refused = absl::FailedPreconditionError(absl::StrCat(
                "position ", e.position(), " at ", target_,
                " does not continue the hash chain the views have read: it "
                "is not the same ledger"));
          }
          if (!refused.ok()) break;
          last_hash = e.hash();
          next = e.position() + 1;
        } else if (response.has_checkpoint() &&
                   response.checkpoint().position() >= next) {
          // Positions passed over unseen: the chain check restarts after.
          next = response.checkpoint().position() + 1;
          last_hash.clear();
        }
        if (!sink(response) || stop()) {
          gone = true;
          break;
        }
      }
      if (gone || !refused.ok()) context.TryCancel();
      const grpc::Status finished = reader->Finish();
      if (!refused.ok()) return refused;
      if (gone) return absl::OkStatus();
      // A stream the ledger ended (it is shutting down) is followed again
      // like a broken one.
      if (!finished.ok() && !Transient(finished)) {
        return FromGrpcStatus(finished, absl::StrCat("following ", target_));
      }
      failing = true;
      on_error(FromGrpcStatus(
          finished, absl::StrCat("following ", target_, " (reconnecting)")));
      // Sleep the backoff in short steps so that a stop is prompt.
      const absl::Time until = absl::Now() + backoff;
      while (!stop() && absl::Now() < until) {
        absl::SleepFor(absl::Milliseconds(10));
      }
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
    return absl::OkStatus();
  }

  absl::Status Scan(
      uint64_t from, uint64_t to,
      const std::function<bool(const v1::Event&)>& visit) const override {
    uint64_t next = std::max<uint64_t>(from, 1);
    while (next <= to) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
      v1::ReadAllRequest request;
      request.set_from_position(next);
      request.set_limit(static_cast<uint32_t>(
          std::min<uint64_t>(kMaxPageSize, to - next + 1)));
      v1::ReadAllResponse response;
      const grpc::Status s = ledger_->ReadAll(&context, request, &response);
      if (!s.ok()) return FromGrpcStatus(s, absl::StrCat("reading ", target_));
      if (response.events().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            target_, " has no position ", next, " (its log ends at ",
            response.log_position_last(), ")"));
      }
      for (const v1::Event& e : response.events()) {
        if (e.position() > to) return absl::OkStatus();
        if (!visit(e)) return absl::OkStatus();
        next = e.position() + 1;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Head() const override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
    v1::GetLogHeadResponse response;
    const grpc::Status s =
        ledger_->GetLogHead(&context, v1::GetLogHeadRequest(), &response);
    if (!s.ok()) return FromGrpcStatus(s, absl::StrCat("asking ", target_));
    return response.position_last();
  }

 private:
  const std::string target_;
  const v1::SubscriptionFilter filter_;
  const bool filtered_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Subscriptions::Stub> subscriptions_;
};

}  // namespace

std::unique_ptr<LogSource> RemoteLog(const std::string& target,
                                     const ClientSecurity& security,
                                     const v1::SubscriptionFilter& filter) {
  return std::make_unique<Remote>(target, security, filter);
}

}  // namespace ledger
