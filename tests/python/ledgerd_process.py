"""Starts a real ledgerd for the Python tests: port 0, a directory of the
test's, the clock at a known working day (Wednesday 2026-11-18 10:00 in
Shanghai)."""

import os
import subprocess
import time


def start_ledgerd(ledgerd, work_dir, identity=None,
                  start_time="2026-11-18T10:00:00+08:00", extra_args=()):
    """Returns (process, "127.0.0.1:<port>") once it serves. With `identity`
    (a directory of tools/dev_identity.sh), over TLS, checking tokens of its
    development issuer, h1 the bootstrap head."""
    port_file = os.path.join(work_dir, "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    log = open(os.path.join(work_dir, "ledgerd.log"), "a")
    process = subprocess.Popen(
        [ledgerd, "--listen=127.0.0.1:0",
         "--data_dir=" + os.path.join(work_dir, "data"),
         "--port_file=" + port_file,
         "--start_time=" + start_time] + list(extra_args)
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
