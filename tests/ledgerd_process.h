// A real ledgerd process for end-to-end tests: started on port 0 in a
// directory of the test's, killed when the object goes away.
#ifndef LEDGER_TESTS_LEDGERD_PROCESS_H_
#define LEDGER_TESTS_LEDGERD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "third_party/grpc/health/v1/health.pb.h"

namespace ledger::testing {

class LedgerdProcess {
 public:
  // Starts `ledgerd` on 127.0.0.1:0 with `data_dir` and `extra_flags`,
  // logging to `work_dir`/ledgerd.log, and waits until it serves; on
  // failure target() is empty. Without a --jwks flag among them, with
  // --insecure_no_auth (a loopback ledger for tests).
  LedgerdProcess(const std::string& ledgerd, const std::string& work_dir,
                 const std::string& data_dir,
                 const std::vector<std::string>& extra_flags = {});
  ~LedgerdProcess();
  LedgerdProcess(const LedgerdProcess&) = delete;
  LedgerdProcess& operator=(const LedgerdProcess&) = delete;

  // "127.0.0.1:<port>".
  const std::string& target() const { return target_; }
  pid_t pid() const { return pid_; }
  // The last position of its log, asked over gRPC (GetLogHead); a failed
  // call fails the test.
  uint64_t LogHead() const;
  // Waits until every projection of its QueryService has read the log up
  // to `position`; false when one does not within a minute.
  bool WaitForProjections(uint64_t position) const;
  // What its health service answers for `service` ("" for the server as a
  // whole); nullopt when the call fails (a service it has no status for,
  // or a process not serving).
  std::optional<grpc::health::v1::HealthCheckResponse::ServingStatus> Health(
      const std::string& service) const;

  // SIGTERM, then its exit code (-1 when it died of a signal).
  int Stop();
  // SIGKILL: no shutdown at all, as in a crash or a power cut.
  void Kill();

 private:
  pid_t pid_ = -1;
  int log_fd_ = -1;
  std::string target_;
};

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_LEDGERD_PROCESS_H_
