#!/usr/bin/python3
"""ledgerd's /metrics, read as Prometheus reads it.

Starts a real ledgerd over TLS with a development identity
(tools/dev_identity.sh) and --http_listen, acts on it with the real
ledgerctl, and reads https://127.0.0.1:PORT/metrics with Python's own HTTPS
client, checking the server's certificate against the identity's CA. The
text is parsed with Prometheus's own parser (python3-prometheus-client).
Checks: who may read it (nobody without a token: 401 with a Bearer
challenge; an agent: 403; a centre head and an auditor: 200); every family
parses, and histograms are whole (buckets rising, +Inf equal to _count);
the counters move by exactly what was done between two scrapes; a refused
call is counted under its status code. And ledgerd without TLS refuses to
serve HTTP beyond loopback.

  /usr/bin/python3 tests/python/metrics_test.py --ledgerd build/services/ledgerd \\
      --ledgerctl build/tools/ledgerctl --dev_identity tools/dev_identity.sh \\
      --ledger_token build/tools/ledger_token
"""

import argparse
import http.client
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ledgerd_process import start_ledgerd  # noqa: E402

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def scrape(port, identity, agent=None, token=None):
    """(status, headers, body) of GET /metrics as `agent` (None: no token),
    or with `token` as it is."""
    context = ssl.create_default_context(
        cafile=os.path.join(identity, "ca.pem"))
    connection = http.client.HTTPSConnection("127.0.0.1", port,
                                             context=context, timeout=30)
    headers = {}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    elif agent is not None:
        with open(os.path.join(identity, "tokens", agent + ".token")) as f:
            headers["Authorization"] = "Bearer " + f.read().strip()
    connection.request("GET", "/metrics", headers=headers)
    response = connection.getresponse()
    body = response.read().decode("utf-8")
    connection.close()
    return response.status, dict(response.getheaders()), body


def samples(text):
    """{(name, frozenset(labels)): value} of every sample; checks each
    histogram is whole."""
    out = {}
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as e:
        check(False, "/metrics parses: %s\n%s" % (e, text))
        return out
    for family in families:
        buckets = {}
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
            if family.type == "histogram" and s.name.endswith("_bucket"):
                labels = frozenset((k, v) for k, v in s.labels.items()
                                   if k != "le")
                buckets.setdefault(labels, []).append(
                    (float(s.labels["le"]), s.value))
        for labels, series in buckets.items():
            counts = [v for _, v in series]
            bounds = [le for le, _ in series]
            whole = (bounds == sorted(bounds) and bounds[-1] == float("inf")
                     and counts == sorted(counts)
                     and out.get((family.name + "_count", labels))
                     == counts[-1])
            if not whole:
                check(False, "histogram %s %s is whole" % (family.name,
                                                           dict(labels)))
    return out


def ledgerctl(args, target, identity, agent, *command):
    return subprocess.run(
        [args.ledgerctl, "--target", target, "--as", agent] + list(command),
        env=dict(os.environ, LEDGER_IDENTITY=identity,
                 LEDGERCTL_CONFIG="/dev/null"),
        capture_output=True, text=True)


def rpc_count(values, method, code):
    return values.get(("ledger_rpc_duration_seconds_count",
                       frozenset({"method": method, "code": code}.items())),
                      0)


def run(args, work_dir):
    identity = os.path.join(work_dir, "identity")
    subprocess.run(["bash", args.dev_identity, identity, "h1", "a17", "au1"],
                   env=dict(os.environ, LEDGER_TOKEN_TOOL=args.ledger_token),
                   check=True, capture_output=True)
    http_port_file = os.path.join(work_dir, "http_port")
    process, target = start_ledgerd(
        args.ledgerd, work_dir, identity,
        extra_args=["--http_listen=127.0.0.1:0",
                    "--http_port_file=" + http_port_file])
    try:
        with open(http_port_file) as f:
            port = int(f.read())

        status, headers, body = scrape(port, identity)
        check(status == 401, "no token: 401 (got %d: %s)" % (status, body))
        check(headers.get("WWW-Authenticate", "").startswith("Bearer"),
              "no token: a Bearer challenge")
        status, _, body = scrape(port, identity, token="not.a.jwt")
        check(status == 401, "a token that is no JWT: 401 (%d: %s)"
              % (status, body.strip()))
        with open(os.path.join(identity, "tokens", "h1.token")) as f:
            forged = f.read().strip()[:-4] + "AAAA"
        status, _, body = scrape(port, identity, token=forged)
        check(status == 401, "a token whose signature is not the issuer's: "
              "401 (%d: %s)" % (status, body.strip()))
        # A new ledger: only the bootstrap head is anybody yet.
        status, _, body = scrape(port, identity, "h1")
        check(status == 200, "the bootstrap head reads /metrics (%d: %s)"
              % (status, body[:200]))

        for agent, role in (("h1", "centre-head"), ("a17", "agent"),
                            ("au1", "auditor")):
            done = ledgerctl(args, target, identity, "h1", "register-agent",
                             "--agent-id", agent, "--display-name", agent,
                             "--roles", role, "--active")
            check(done.returncode == 0, "register %s as %s: %s"
                  % (agent, role, done.stderr.strip()))

        status, _, body = scrape(port, identity, "a17")
        check(status == 403 and "a17" in body,
              "an agent may not read /metrics: 403 naming them (%d: %s)"
              % (status, body.strip()))
        status, _, before_text = scrape(port, identity, "au1")
        check(status == 200, "an auditor reads /metrics")
        before = samples(before_text)
        for family in ("ledger_events_appended_total",
                       "ledger_group_commits_total", "ledger_log_position",
                       "ledger_group_commit_write_seconds_count",
                       "ledger_subscribers"):
            check((family, frozenset()) in before, family + " is there")
        check(("ledger_projection_lag_events",
               frozenset({"projection": "queues"}.items())) in before,
              "the queues projection's lag is there")
        for db in ("log", "views", "app_state"):
            check(("ledger_rocksdb_estimate_live_data_size",
                   frozenset({"db": db}.items())) in before and
                  ("ledger_rocksdb_num_running_compactions",
                   frozenset({"db": db}.items())) in before,
                  "RocksDB's figures of the %s database are there" % db)
        check(before.get(("ledger_rocksdb_cur_size_all_mem_tables",
                          frozenset({"db": "log"}.items())), 0) > 0,
              "the log's memtables hold something")

        complaints = 5
        for i in range(complaints):
            done = ledgerctl(args, target, identity, "a17", "receive",
                             "--channel", "phone", "--customer-phone",
                             "1380013800%d" % i, "--content", "no water")
            check(done.returncode == 0, "complaint %d received: %s"
                  % (i, done.stderr.strip()))
        refused = ledgerctl(args, target, identity, "a17", "register-agent",
                            "--agent-id", "x9", "--display-name", "x9",
                            "--roles", "agent", "--active")
        check(refused.returncode != 0, "an agent may not register agents")

        status, _, after_text = scrape(port, identity, "h1")
        check(status == 200, "the centre head reads /metrics")
        after = samples(after_text)

        def moved(name):
            key = (name, frozenset())
            return after.get(key, 0) - before.get(key, 0)

        check(moved("ledger_log_position") == complaints,
              "the log grew by one event a complaint (%s)"
              % moved("ledger_log_position"))
        check(moved("ledger_events_appended_total") == complaints,
              "events appended moved by as many (%s)"
              % moved("ledger_events_appended_total"))
        check(moved("ledger_appends_total") == complaints,
              "appends moved by as many")
        check(1 <= moved("ledger_group_commits_total") <= complaints,
              "one group commit or more for them")
        receive = "/ledger.v1.ComplaintService/ReceiveComplaint"
        check(rpc_count(after, receive, "OK") - rpc_count(before, receive, "OK")
              == complaints, "ReceiveComplaint OK counted once a call")
        register = "/ledger.v1.ReferenceDataService/RegisterAgent"
        check(rpc_count(after, register, "PERMISSION_DENIED") == 1,
              "the refused RegisterAgent counted under PERMISSION_DENIED")
    finally:
        process.send_signal(signal.SIGTERM)
        check(process.wait(timeout=60) == 0, "ledgerd stops cleanly")

    # Without TLS, or without authentication (even with TLS), or with the
    # development issuer, HTTP stays on loopback, as gRPC does.
    tls = ["--tls_cert=" + os.path.join(identity, "server.pem"),
           "--tls_key=" + os.path.join(identity, "server-key.pem")]
    for what, flags, says in (
            ("no TLS", ["--insecure_no_auth"], "0.0.0.0:0"),
            ("no authentication", ["--insecure_no_auth"] + tls, "0.0.0.0:0"),
            ("the development issuer",
             tls + ["--jwks=" + os.path.join(identity, "jwks.json"),
                    "--jwt_issuer=urn:complaint-ledger:development-issuer"],
             "0.0.0.0:0")):
        refused = subprocess.run(
            [args.ledgerd, "--listen=127.0.0.1:0",
             "--data_dir=" + os.path.join(work_dir, "plain"),
             "--http_listen=0.0.0.0:0"] + flags,
            capture_output=True, text=True, timeout=60)
        check(refused.returncode != 0 and "loopback only" in refused.stderr
              and says in refused.stderr,
              "%s: HTTP beyond loopback refused (%s)"
              % (what, refused.stderr.strip()[-200:]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledgerd", required=True)
    parser.add_argument("--ledgerctl", required=True)
    parser.add_argument("--dev_identity", required=True)
    parser.add_argument("--ledger_token", required=True)
    args = parser.parse_args()
    work_dir = tempfile.mkdtemp(prefix="ledger-metrics-")
    try:
        run(args, work_dir)
    finally:
        if failures:
            with open(os.path.join(work_dir, "ledgerd.log")) as log:
                sys.stderr.write(log.read()[-4000:])
        shutil.rmtree(work_dir, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
