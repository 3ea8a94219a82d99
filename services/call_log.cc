#include "services/call_log.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/log.h"

namespace ledger {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Request ids made here: the process's start and a counter, unique per
// process and readable in a log.
std::string MadeRequestId() {
  static const std::string prefix =
      absl::StrFormat("%x", absl::ToUnixMillis(absl::Now()));
  static std::atomic<uint64_t> next{1};
  return absl::StrCat(prefix, "-", next.fetch_add(1));
}

class CallLogInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallLogInterceptor(grpc::experimental::ServerRpcInfo* info,
                     absl::Duration slow, CallActors* actors,
                     CallMetrics* metrics)
      : info_(info),
        slow_(slow),
        actors_(actors),
        metrics_(metrics),
        start_(absl::Now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto* metadata = methods->GetRecvInitialMetadata();
      if (metadata != nullptr) {
        auto id = metadata->find("x-request-id");
        if (id != metadata->end()) {
          request_id_.assign(id->second.data(),
                             std::min<size_t>(id->second.size(), 128));
        }
      }
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::Duration took = absl::Now() - start_;
      const std::string actor =
          actors_ != nullptr ? actors_->Take(info_->server_context()) : "";
      // A stream lasts as long as its reader wants and ends CANCELLED when
      // the reader goes: neither is news.
      const bool unary =
          info_->type() == grpc::experimental::ServerRpcInfo::Type::UNARY;
      if (metrics_ != nullptr && unary) {
        metrics_->Observe(info_->method(), status.error_code(), took);
      }
      const bool refused =
          !status.ok() &&
          (unary || status.error_code() != grpc::StatusCode::CANCELLED);
      if (refused || (unary && took >= slow_)) {
        if (request_id_.empty()) request_id_ = MadeRequestId();
        // The caller gets the id its log line has, to quote to whoever
        // reads the log.
        if (auto* trailers = methods->GetSendTrailingMetadata()) {
          trailers->emplace("x-request-id", request_id_);
        }
        const std::string peer = info_->server_context() != nullptr
                                     ? info_->server_context()->peer()
                                     : "";
        const grpc::StatusCode code = status.error_code();
        const bool fault = code == grpc::StatusCode::INTERNAL ||
                           code == grpc::StatusCode::DATA_LOSS ||
                           code == grpc::StatusCode::UNKNOWN;
        Log(fault ? LogLevel::kError
                  : (refused ? LogLevel::kInfo : LogLevel::kWarn),
            refused ? "call refused" : "slow call",
            {{"request_id", request_id_},
             {"rpc", info_->method()},
             {"peer", peer},
             {"actor", actor},
             {"code", absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code()))},
             {"error", status.error_message()},
             {"latency_ms", absl::ToDoubleMilliseconds(took)}});
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  const absl::Duration slow_;
  CallActors* const actors_;
  CallMetrics* const metrics_;
  const absl::Time start_;
  std::string request_id_;
};

class CallLogFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  CallLogFactory(absl::Duration slow, CallActors* actors, CallMetrics* metrics)
      : slow_(slow), actors_(actors), metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallLogInterceptor(info, slow_, actors_, metrics_);
  }

 private:
  const absl::Duration slow_;
  CallActors* const actors_;
  CallMetrics* const metrics_;
};

}  // namespace

void CallActors::Set(const grpc::ServerContextBase* call, std::string actor) {
  absl::MutexLock lock(&mu_);
  actors_[call] = std::move(actor);
}

std::string CallActors::Take(const grpc::ServerContextBase* call) {
  absl::MutexLock lock(&mu_);
  auto it = actors_.find(call);
  if (it == actors_.end()) return "";
  std::string actor = std::move(it->second);
  actors_.erase(it);
  return actor;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewCallLog(absl::Duration slow, CallActors* actors, CallMetrics* metrics) {
  return std::make_unique<CallLogFactory>(slow, actors, metrics);
}

}  // namespace ledger
