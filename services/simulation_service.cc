#include "services/simulation_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace ledger {

grpc::ServerUnaryReactor* SimulationService::SetClock(
    grpc::CallbackServerContext* context, const v1::SetClockRequest* request,
    v1::SetClockResponse* response) {
  return FinishNow(context, [=, this] { return Set(*request, response); });
}

grpc::Status SimulationService::Set(const v1::SetClockRequest& request,
                                    v1::SetClockResponse* response) {
  if (request.time_us() <= 0) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("time_us must be a time after the Unix epoch, in "
                     "microseconds; got ",
                     request.time_us()));
  }
  const absl::Time to = absl::FromUnixMicros(request.time_us());
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  if (to < now) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat(
            "the simulated clock only moves forward: it is at ",
            absl::FormatTime(absl::RFC3339_full, now, absl::UTCTimeZone()),
            ", time_us is ",
            absl::FormatTime(absl::RFC3339_full, to, absl::UTCTimeZone())));
  }
  clock_->Set(to);
  response->set_time_us(absl::ToUnixMicros(to));
  return grpc::Status::OK;
}

}  // namespace ledger
