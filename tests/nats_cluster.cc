#include "tests/nats_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/check.h"
#include "tests/subprocess.h"

namespace ledger::testing {
namespace {

constexpr char kNatsServer[] = "/usr/sbin/nats-server";

// A loopback port nothing listens on now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  LEDGER_CHECK(fd >= 0, "a socket for a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  LEDGER_CHECK(
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0,
      "binding a free port");
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

NatsCluster::NatsCluster(const std::string& dir, int nodes) : dir_(dir) {
  for (int i = 0; i < nodes; ++i) {
    client_ports_.push_back(FreePort());
    cluster_ports_.push_back(FreePort());
  }
  std::vector<std::string> routes;
  for (int port : cluster_ports_) {
    routes.push_back(absl::StrCat("nats-route://127.0.0.1:", port));
  }
  for (int i = 0; i < nodes; ++i) {
    std::ofstream(absl::StrCat(dir_, "/n", i, ".conf"))
        << "server_name: n" << i << "\n"
        << "listen: 127.0.0.1:" << client_ports_[i] << "\n"
        << "max_payload: 8MB\n"
        << "jetstream { store_dir: \"" << dir_ << "/n" << i << "\" }\n"
        << "cluster {\n  name: ledger-test\n  listen: 127.0.0.1:"
        << cluster_ports_[i] << "\n  routes: [" << absl::StrJoin(routes, ", ")
        << "]\n}\n";
  }
  pids_.assign(nodes, 0);
  for (int i = 0; i < nodes; ++i) Start(i);
}

NatsCluster::~NatsCluster() {
  for (size_t i = 0; i < pids_.size(); ++i) {
    if (pids_[i] > 0) Kill(static_cast<int>(i));
  }
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> urls;
  for (int port : client_ports_) {
    urls.push_back(absl::StrCat("nats://127.0.0.1:", port));
  }
  return urls;
}

int NatsCluster::IndexOf(const std::string& server_name) const {
  for (size_t i = 0; i < pids_.size(); ++i) {
    if (server_name == absl::StrCat("n", i)) return static_cast<int>(i);
  }
  return -1;
}

void NatsCluster::Kill(int node) {
  if (pids_[node] <= 0) return;
  kill(pids_[node], SIGKILL);
  WaitFor(pids_[node]);
  pids_[node] = 0;
}

void NatsCluster::Start(int node) {
  if (pids_[node] > 0) return;
  const std::string log = absl::StrCat(dir_, "/n", node, ".log");
  const int fd =
      open(log.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  pids_[node] = Spawn(
      {kNatsServer, "-c", absl::StrCat(dir_, "/n", node, ".conf")}, fd, fd);
  close(fd);
}

}  // namespace ledger::testing
