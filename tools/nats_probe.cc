// nats_probe: what a JetStream cluster gives the ledger's replicated log
// (issue 29; docs/design/replication.md), measured before it is built on:
// synchronous publishes to a 3-replica file stream, each with
// Nats-Expected-Last-Sequence and Nats-Msg-Id as the writer will send
// them, for --seconds; prints acknowledgements, latency percentiles and
// every gap between two acknowledgements longer than --gap_ms (a failover:
// kill the stream's leader meanwhile, see --print_leader). Then checks the
// fencing: a publish expecting a stale sequence must be refused (10071),
// and a retried message id must be answered as a duplicate.
//   nats_probe --servers nats://127.0.0.1:4222,... [--bytes 4096]
//       [--seconds 10] [--gap_ms 200] [--stream PROBE] [--print_leader]
// A benchmark and a check by hand, not a test: built when libnats is.
#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(std::string, servers, "nats://127.0.0.1:4222",
          "comma-separated NATS server URLs");
ABSL_FLAG(std::string, stream, "PROBE", "the stream to (re)create");
ABSL_FLAG(int, bytes, 4096, "bytes per message");
ABSL_FLAG(double, seconds, 10, "how long to publish");
ABSL_FLAG(int, gap_ms, 200, "report gaps between acknowledgements above this");
ABSL_FLAG(bool, print_leader, false,
          "print the stream leader's name and exit (after creating the "
          "stream)");

namespace {

using Clock = std::chrono::steady_clock;

bool Ok(natsStatus s, const char* what) {
  if (s == NATS_OK) return true;
  std::fprintf(stderr, "nats_probe: %s: %s (%s)\n", what, natsStatus_GetText(s),
               nats_GetLastError(nullptr));
  return false;
}

// One publish of `data` expecting the stream to end at `expect`, with
// `msg_id`; the acknowledgement's sequence (0: refused) and whether it was
// a duplicate.
natsStatus Publish(jsCtx* js, const std::string& data, uint64_t expect,
                   const std::string& msg_id, uint64_t* seq, bool* duplicate,
                   jsErrCode* code) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, "probe.groups", nullptr, data.data(),
                                static_cast<int>(data.size()));
  if (s != NATS_OK) return s;
  // nats.c 3.4.1 sends ExpectLastSeq only when it is above 0.
  s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Sequence",
                        absl::StrCat(expect).c_str());
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = msg_id.c_str();
  options.MaxWait = 2000;
  jsPubAck* ack = nullptr;
  *code = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&ack, js, msg, &options, code);
  natsMsg_Destroy(msg);
  *seq = ack != nullptr ? ack->Sequence : 0;
  *duplicate = ack != nullptr && ack->Duplicate;
  jsPubAck_Destroy(ack);
  return s;
}

int Main() {
  std::vector<std::string> urls =
      absl::StrSplit(absl::GetFlag(FLAGS_servers), ',');
  std::vector<const char*> servers;
  for (const std::string& u : urls) servers.push_back(u.c_str());
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  if (!Ok(natsOptions_Create(&options), "options") ||
      !Ok(natsOptions_SetServers(options, servers.data(),
                                 static_cast<int>(servers.size())),
          "servers") ||
      !Ok(natsOptions_SetMaxReconnect(options, -1), "reconnect") ||
      !Ok(natsOptions_SetReconnectWait(options, 100), "reconnect wait") ||
      !Ok(natsConnection_Connect(&connection, options), "connecting") ||
      !Ok(natsConnection_JetStream(&js, connection, nullptr), "JetStream")) {
    return 1;
  }
  const std::string stream = absl::GetFlag(FLAGS_stream);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char* subjects[] = {"probe.groups"};
  config.Name = stream.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Replicas = 3;
  config.Duplicates = static_cast<int64_t>(600) * 1000 * 1000 * 1000;
  jsErrCode code;
  js_DeleteStream(js, stream.c_str(), nullptr, &code);  // A fresh one.
  jsStreamInfo* info = nullptr;
  if (!Ok(js_AddStream(&info, js, &config, nullptr, &code),
          "adding the stream"))
    return 1;
  jsStreamInfo_Destroy(info);
  if (absl::GetFlag(FLAGS_print_leader)) {
    if (!Ok(js_GetStreamInfo(&info, js, stream.c_str(), nullptr, &code),
            "stream info"))
      return 1;
    std::printf("%s\n", info->Cluster != nullptr && info->Cluster->Leader
                            ? info->Cluster->Leader
                            : "?");
    jsStreamInfo_Destroy(info);
    return 0;
  }

  const std::string data(static_cast<size_t>(absl::GetFlag(FLAGS_bytes)), 'x');
  const auto end = Clock::now() +
                   std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));
  std::vector<double> latency_us;
  uint64_t last = 0;
  uint64_t retries = 0;
  uint64_t duplicates = 0;
  auto last_ack = Clock::now();
  double longest_gap_ms = 0;
  while (Clock::now() < end) {
    const std::string id = absl::StrCat("g-", last + 1);
    // Retried with the same id and expectation until it is acknowledged,
    // as the writer will.
    while (true) {
      const auto t0 = Clock::now();
      uint64_t seq = 0;
      bool duplicate = false;
      natsStatus s = Publish(js, data, last, id, &seq, &duplicate, &code);
      const auto t1 = Clock::now();
      if (s == NATS_OK) {
        latency_us.push_back(
            std::chrono::duration<double, std::micro>(t1 - t0).count());
        duplicates += duplicate ? 1 : 0;
        const double gap =
            std::chrono::duration<double, std::milli>(t1 - last_ack).count();
        if (gap > absl::GetFlag(FLAGS_gap_ms)) {
          std::printf(
              "gap: %.0f ms without an acknowledgement before seq %llu "
              "(%llu retries so far)\n",
              gap, static_cast<unsigned long long>(seq),
              static_cast<unsigned long long>(retries));
        }
        longest_gap_ms = std::max(longest_gap_ms, gap);
        last_ack = t1;
        last = seq;
        break;
      }
      ++retries;
      if (Clock::now() > end + std::chrono::seconds(30)) {
        Ok(s, "publishing (gave up 30 s after the end)");
        return 1;
      }
    }
  }
  std::sort(latency_us.begin(), latency_us.end());
  auto at = [&](double q) {
    return latency_us.empty()
               ? 0.0
               : latency_us[static_cast<size_t>(q * (latency_us.size() - 1))];
  };
  std::printf(
      "acknowledged %zu messages of %d bytes, last seq %llu, %llu retries, "
      "%llu answered as duplicates; latency p50 %.0f us, p99 %.0f us, max "
      "%.0f us; longest gap %.0f ms\n",
      latency_us.size(), absl::GetFlag(FLAGS_bytes),
      static_cast<unsigned long long>(last),
      static_cast<unsigned long long>(retries),
      static_cast<unsigned long long>(duplicates), at(0.5), at(0.99), at(1.0),
      longest_gap_ms);

  // Fencing: a stale expectation is refused; a retried id is a duplicate.
  uint64_t seq = 0;
  bool duplicate = false;
  natsStatus s = Publish(js, data, last - 1, "stale", &seq, &duplicate, &code);
  std::printf("stale expected sequence: %s, jsErrCode %d (%s)\n",
              natsStatus_GetText(s), static_cast<int>(code),
              s == NATS_OK ? "" : nats_GetLastError(nullptr));
  s = Publish(js, data, last, absl::StrCat("g-", last), &seq, &duplicate,
              &code);
  std::printf("the last id again: %s, seq %llu, duplicate %s\n",
              natsStatus_GetText(s), static_cast<unsigned long long>(seq),
              duplicate ? "yes" : "no");
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
  natsOptions_Destroy(options);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return Main();
}
