"""Starts a real ledgerd for the Python tests: port 0, a directory of the
test's, the clock at a known working day (Wednesday 2026-11-18 10:00 in
Shanghai) unless the test asks for the real one; and generates the Python
gRPC stubs from proto/ as a user would."""

import os
import subprocess
import sys
import time


def generate_stubs(proto_dir, out_dir, required=()):
    """Every .proto under `proto_dir` into `out_dir` (made here), which is
    then importable. gRPC's own (under third_party/) must not land in a
    `grpc` package that shadows Python's. `required`: protos that must be
    among them."""
    protos = sorted(
        os.path.relpath(os.path.join(d, f), proto_dir)
        for d, _, files in os.walk(proto_dir) for f in files
        if f.endswith(".proto"))
    for p in required:
        assert p in protos, p
    os.makedirs(out_dir)
    subprocess.run(
        ["protoc", "-I", proto_dir, "--python_out=" + out_dir,
         "--grpc_python_out=" + out_dir,
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
        + [os.path.join(proto_dir, p) for p in protos],
        check=True)
    sys.path.insert(0, out_dir)


def start_ledgerd(ledgerd, work_dir, identity=None,
                  start_time="2026-11-18T10:00:00+08:00", extra_args=()):
    """Returns (process, "127.0.0.1:<port>") once it serves. With `identity`
    (a directory of tools/dev_identity.sh), over TLS, checking tokens of its
    development issuer, h1 the bootstrap head. `start_time` None: the real
    clock. (ledgerd writes an --http_port_file before its --port_file.)"""
    port_file = os.path.join(work_dir, "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    log = open(os.path.join(work_dir, "ledgerd.log"), "a")
    process = subprocess.Popen(
        [ledgerd, "--listen=127.0.0.1:0",
         "--data_dir=" + os.path.join(work_dir, "data"),
         "--port_file=" + port_file]
        + ([] if start_time is None else ["--start_time=" + start_time])
        + list(extra_args)
        + (["--insecure_no_auth"] if identity is None else [
            "--tls_cert=" + os.path.join(identity, "server.pem"),
            "--tls_key=" + os.path.join(identity, "server-key.pem"),
            "--jwks=" + os.path.join(identity, "jwks.json"),
            "--jwt_issuer=urn:complaint-ledger:development-issuer",
            "--bootstrap_head=h1"]),
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not os.path.exists(port_file):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("ledgerd did not start; see " + log.name)
        time.sleep(0.05)
    with open(port_file) as f:
        return process, "127.0.0.1:" + f.read().strip()
