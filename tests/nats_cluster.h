// Real nats-server processes for the replicated log's tests: a JetStream
// cluster on free loopback ports, each node with its own store directory,
// killed with SIGKILL and started again on the same data.
#ifndef LEDGER_TESTS_NATS_CLUSTER_H_
#define LEDGER_TESTS_NATS_CLUSTER_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace ledger::testing {

class NatsCluster {
 public:
  // `nodes` servers named n0, n1, ... with JetStream and their data and
  // logs under `dir`; started at once (Start waits for none: a client's
  // connection retries until JetStream has its quorum).
  NatsCluster(const std::string& dir, int nodes = 3);
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // nats://127.0.0.1:<port> of every node.
  std::vector<std::string> urls() const;
  // The node of a server name ("n1": 1); -1 for another.
  int IndexOf(const std::string& server_name) const;
  // SIGKILL, then waits for the process.
  void Kill(int node);
  // Starts a killed node again on its data.
  void Start(int node);
  bool running(int node) const { return pids_[node] > 0; }

 private:
  std::string dir_;
  std::vector<int> client_ports_;
  std::vector<int> cluster_ports_;
  std::vector<pid_t> pids_;
};

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_NATS_CLUSTER_H_
