#!/usr/bin/python3
"""Runs tools/examples/follow.py (Debian's python3-grpcio) against a real
ledgerd while ledgerctl appends, and checks that it printed every event of
the log once, in order; then that a restarted follower with the same durable
name resumes after what it acknowledged.

  /usr/bin/python3 tests/python/follow_test.py --ledgerd L --ledgerctl C \\
      --follow tools/examples/follow.py
"""

import argparse
import os
import shutil
import signal
import subprocess
import tempfile
import time

from ledgerd_process import start_ledgerd


def ctl(ledgerctl, target, *args):
    result = subprocess.run([ledgerctl, "--target=" + target] + list(args),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("ledgerctl %s: %s" % (args, result.stderr))
    return result.stdout


def log_head(ledgerctl, target):
    out = ctl(ledgerctl, target, "log", "--limit=100000", "--format=json")
    return len(out.splitlines())


def wait_for_position(path, position, follower):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(path) as f:
            lines = f.read().splitlines()
        if lines and int(lines[-1].split()[0]) >= position:
            return lines
        if follower.poll() is not None:
            raise RuntimeError("the follower exited")
        time.sleep(0.05)
    raise RuntimeError("the follower did not reach position %d" % position)


def follow(script, target, out_path):
    return subprocess.Popen(
        ["/usr/bin/python3", script, "--target", target, "--durable", "test"],
        stdout=open(out_path, "w"), stderr=subprocess.STDOUT)


def stop(process):
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledgerd", required=True)
    parser.add_argument("--ledgerctl", required=True)
    parser.add_argument("--follow", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ledger-follow-test-")
    ledgerd = follower = None
    try:
        ledgerd, target = start_ledgerd(args.ledgerd, work)
        first_out = os.path.join(work, "first.txt")
        follower = follow(args.follow, target, first_out)
        # Appends through ledgerctl while the follower follows.
        ctl(args.ledgerctl, target, "register-agent", "--agent", "h1",
            "--agent-id", "h1", "--display-name", "Head", "--roles",
            "centre-head", "--active")
        ctl(args.ledgerctl, target, "register-agent", "--agent", "h1",
            "--agent-id", "a17", "--display-name", "Li", "--roles", "agent",
            "--active")
        for i in range(20):
            ctl(args.ledgerctl, target, "receive", "--agent", "a17",
                "--channel", "phone", "--customer-phone", "1380000%04d" % i,
                "--content", "complaint %d" % i)
        head = log_head(args.ledgerctl, target)
        lines = wait_for_position(first_out, head, follower)
        positions = [int(line.split()[0]) for line in lines]
        assert positions == list(range(1, head + 1)), positions
        print("ok: the follower printed positions 1..%d once, in order" % head)
        stop(follower)
        follower = None

        # Restart the server and the follower: it resumes after its ack.
        ledgerd.send_signal(signal.SIGTERM)
        assert ledgerd.wait(timeout=60) == 0
        ledgerd, target = start_ledgerd(args.ledgerd, work)
        for i in range(5):
            ctl(args.ledgerctl, target, "receive", "--agent", "a17",
                "--channel", "phone", "--customer-phone", "1390000%04d" % i,
                "--content", "after the restart %d" % i)
        new_head = log_head(args.ledgerctl, target)
        second_out = os.path.join(work, "second.txt")
        follower = follow(args.follow, target, second_out)
        lines = wait_for_position(second_out, new_head, follower)
        positions = [int(line.split()[0]) for line in lines]
        # The follower prints, then acknowledges: stopped between the two,
        # its last event is the unacknowledged tail and comes again.
        assert positions in (list(range(head + 1, new_head + 1)),
                             list(range(head, new_head + 1))), positions
        print("ok: after a restart it resumed at %d, nothing lost or "
              "repeated beyond the unacknowledged tail" % positions[0])
    finally:
        for p in (follower, ledgerd):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
