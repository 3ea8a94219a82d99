#!/usr/bin/python3
"""Looks for gaps in a ledgerd's answers: one client (Python's grpcio, from
Debian) calls Ledger.GetLogHead back to back and reports the latency
percentiles and every call slower than --slow_ms, with its time into the
run. Each run starts a fresh ledgerd (--ledgerd, a temporary data directory,
port 0), since what it looks for has been a state of a whole process:

  /usr/bin/python3 tools/call_gaps.py --ledgerd build/services/ledgerd --runs 6

Prints one line per run, e.g.
  run 1: 25641 calls, p50 137 us, p99 314 us, p999 490 us, max 3513 us; 0 over 20 ms
(BENCHMARKS.md, "Over gRPC, against PostgreSQL".) Run it with /usr/bin/python3: the
grpcio it needs is Debian's.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import grpc

PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "proto")
PROTOS = ["ledger/v1/event.proto", "ledger/v1/ledger_service.proto"]


def stubs(out_dir):
    subprocess.run(
        ["protoc", "-I", PROTO_DIR, "--python_out=" + out_dir,
         "--grpc_python_out=" + out_dir,
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
        + [os.path.join(PROTO_DIR, p) for p in PROTOS],
        check=True)
    sys.path.insert(0, out_dir)
    from ledger.v1 import ledger_service_pb2, ledger_service_pb2_grpc
    return ledger_service_pb2, ledger_service_pb2_grpc


def start(ledgerd, work_dir, extra):
    port_file = os.path.join(work_dir, "port")
    process = subprocess.Popen(
        [ledgerd, "--listen=127.0.0.1:0", "--port_file=" + port_file,
         "--data_dir=" + os.path.join(work_dir, "data"),
         "--publish_shipped_calendar=false", "--insecure_no_auth"] + extra,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("ledgerd did not start")
        time.sleep(0.05)
    with open(port_file) as f:
        return process, "127.0.0.1:" + f.read().strip()


def probe(pb2, pb2_grpc, target, seconds, slow_ms):
    channel = grpc.insecure_channel(target)
    grpc.channel_ready_future(channel).result(timeout=10)
    stub = pb2_grpc.LedgerStub(channel)
    request = pb2.GetLogHeadRequest()
    latencies, slow = [], []
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        before = time.monotonic()
        stub.GetLogHead(request)
        took = time.monotonic() - before
        latencies.append(took)
        if took * 1e3 > slow_ms:
            slow.append("%.2f s %.0f ms" % (before - start, took * 1e3))
    channel.close()
    latencies.sort()

    def us(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6

    return ("%d calls, p50 %.0f us, p99 %.0f us, p999 %.0f us, max %.0f us; "
            "%d over %g ms%s" % (len(latencies), us(0.5), us(0.99), us(0.999),
                                 latencies[-1] * 1e6, len(slow), slow_ms,
                                 (": " + ", ".join(slow)) if slow else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledgerd", help="start this ledgerd for each run")
    parser.add_argument("--target", help="or probe this running one")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--slow_ms", type=float, default=20)
    parser.add_argument("ledgerd_flags", nargs="*",
                        help="after --: more flags for --ledgerd")
    args = parser.parse_args()
    if (args.ledgerd is None) == (args.target is None):
        parser.error("give one of --ledgerd and --target")
    with tempfile.TemporaryDirectory() as tmp:
        pb2, pb2_grpc = stubs(tmp)
        for run in range(1, args.runs + 1):
            if args.target:
                line = probe(pb2, pb2_grpc, args.target, args.seconds,
                             args.slow_ms)
            else:
                work_dir = tempfile.mkdtemp(dir=tmp)
                process, target = start(args.ledgerd, work_dir,
                                        args.ledgerd_flags)
                try:
                    line = probe(pb2, pb2_grpc, target, args.seconds,
                                 args.slow_ms)
                finally:
                    process.terminate()
                    process.wait()
            print("run %d: %s" % (run, line), flush=True)


if __name__ == "__main__":
    main()
