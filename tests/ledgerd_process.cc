#include "tests/ledgerd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/v1/ledger_service.grpc.pb.h"
#include "ledger/v1/query_service.grpc.pb.h"
#include "tests/subprocess.h"
#include "third_party/grpc/health/v1/health.grpc.pb.h"

namespace ledger::testing {

LedgerdProcess::LedgerdProcess(const std::string& ledgerd,
                               const std::string& work_dir,
                               const std::string& data_dir,
                               const std::vector<std::string>& extra_flags) {
  const std::string port_file = work_dir + "/port";
  unlink(port_file.c_str());
  log_fd_ = open((work_dir + "/ledgerd.log").c_str(),
                 O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  std::vector<std::string> argv = {ledgerd, "--listen=127.0.0.1:0",
                                   "--data_dir=" + data_dir,
                                   "--port_file=" + port_file};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  if (std::none_of(extra_flags.begin(), extra_flags.end(),
                   [](const std::string& flag) {
                     return absl::StartsWith(flag, "--jwks");
                   })) {
    argv.push_back("--insecure_no_auth");
  }
  pid_ = Spawn(argv, log_fd_, log_fd_);
  const std::string port = WaitForFile(port_file, absl::Seconds(60));
  if (!port.empty()) {
    target_ = absl::StrCat("127.0.0.1:", absl::StripAsciiWhitespace(port));
  }
}

LedgerdProcess::~LedgerdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    WaitFor(pid_);
  }
  if (log_fd_ >= 0) close(log_fd_);
}

void LedgerdProcess::Kill() {
  kill(pid_, SIGKILL);
  WaitFor(pid_);
  pid_ = -1;
}

int LedgerdProcess::Stop() {
  kill(pid_, SIGTERM);
  const int status = WaitFor(pid_);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

uint64_t LedgerdProcess::LogHead() const {
  auto ledger = v1::Ledger::NewStub(
      grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::GetLogHeadResponse head;
  const grpc::Status s = ledger->GetLogHead(&context, {}, &head);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return head.position_last();
}

std::optional<grpc::health::v1::HealthCheckResponse::ServingStatus>
LedgerdProcess::Health(const std::string& service) const {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!health->Check(&context, request, &response).ok()) return std::nullopt;
  return response.status();
}

bool LedgerdProcess::WaitForProjections(uint64_t position) const {
  auto query = v1::QueryService::NewStub(
      grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  // Bounded: a runner that never gets there fails the test, whatever the
  // machine's speed otherwise.
  for (int waited_ms = 0; waited_ms < 60000; waited_ms += 10) {
    grpc::ClientContext context;
    v1::ListProjectionsResponse list;
    const grpc::Status s = query->ListProjections(&context, {}, &list);
    if (!s.ok()) return false;
    bool all = list.projections_size() > 0;
    for (const v1::ProjectionInfo& p : list.projections()) {
      all = all && p.checkpoint() >= position;
    }
    if (all) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

}  // namespace ledger::testing
