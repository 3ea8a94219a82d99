// What the commands of ledgerctl share: a client of one of ledgerd's
// services, and how a failure is reported.
#ifndef LEDGER_TOOLS_LEDGERCTL_CLIENT_H_
#define LEDGER_TOOLS_LEDGERCTL_CLIENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "ledger/store/errors.h"
#include "ledger/store/limits.h"
#include "rpc/channel.h"
#include "rpc/status.h"
#include "tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

// A refused call's status with the request id ledgerd logged it under
// (trailing metadata x-request-id), when it sent one.
inline absl::Status WithRequestId(
    const absl::Status& status,
    const std::multimap<grpc::string_ref, grpc::string_ref>& trailers) {
  auto id = trailers.find("x-request-id");
  if (status.ok() || id == trailers.end()) return status;
  absl::Status out(
      status.code(),
      absl::StrCat(status.message(), " [request ",
                   absl::string_view(id->second.data(), id->second.size()),
                   "]"));
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& p) {
    out.SetPayload(url, p);
  });
  return out;
}

// A stub of `Service` on the target (Ledger, QueryService).
template <typename Service>
class Client {
 public:
  explicit Client(const Options& options) : security_(options.security) {
    stub_ = Stub(options.target);
  }

  // Runs one unary call with a deadline; DATA_LOSS keeps the broken
  // position the server named in its trailers. A node of a replicated log
  // that does not write it names the one that does (kWriterMetadata): the
  // call goes there, once.
  template <typename Request, typename Response, typename Method>
  absl::Status Call(Method method, const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    const grpc::Status called = ((*stub_).*method)(&context, request, response);
    if (auto writer = NamedWriter(called, context);
        writer.has_value() && !redirected_) {
      redirected_ = true;
      stub_ = Stub(*writer);
      return Call(method, request, response);
    }
    const auto& trailers = context.GetServerTrailingMetadata();
    absl::Status status = WithRequestId(FromGrpcStatus(called), trailers);
    auto it = trailers.find(kBrokenPositionMetadata);
    uint64_t position = 0;
    if (absl::IsDataLoss(status) && it != trailers.end() &&
        absl::SimpleAtoi(
            absl::string_view(it->second.data(), it->second.size()),
            &position)) {
      return DataLossAt(position, status.message());
    }
    return status;
  }

 private:
  std::unique_ptr<typename Service::Stub> Stub(const std::string& target) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(kMaxResponseBytes));
    return Service::NewStub(MakeChannel(target, security_, args));
  }

  const decltype(Options::security) security_;
  std::unique_ptr<typename Service::Stub> stub_;
  bool redirected_ = false;
};

// Prints the failure and returns kExitFailed.
inline int Fail(std::ostream& err, const absl::Status& status) {
  err << "ledgerctl: " << status.ToString() << "\n";
  return kExitFailed;
}

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_CLIENT_H_
