#!/usr/bin/python3
"""An auditor's day, end to end, with real processes: ledgerctl makes a
signing key, ledgerd signs checkpoints with it, and the auditor (ledgerctl
audit, and the independent Python verifier tools/audit/tlog_verify.py, which
shares no code with the ledger) saves a checkpoint, proves an event in it,
checks a month later that the log still extends it, exports October and
verifies the export offline; an export changed in any part fails, naming
the event where it can.

  /usr/bin/python3 tests/python/audit_test.py \\
      --ledgerd build/services/ledgerd --ledgerctl build/tools/ledgerctl
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

_HERE = os.path.dirname(os.path.abspath(__file__))
for _up in (["..", ".."], [".."]):
    sys.path.insert(0, os.path.join(_HERE, *_up, "tools", "audit"))
import tlog_verify as tv  # noqa: E402
from ledgerd_process import start_ledgerd  # noqa: E402


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


class Ctl:
    def __init__(self, ledgerctl, vkey):
        self.ledgerctl = ledgerctl
        self.vkey = vkey
        self.target = None

    def run(self, *args, ok=True):
        result = subprocess.run(
            [self.ledgerctl, "--target", self.target, "--log_key", self.vkey]
            + list(args), capture_output=True, text=True, timeout=120)
        if ok and result.returncode != 0:
            raise AssertionError("ledgerctl %s failed: %s%s" % (
                " ".join(args), result.stdout, result.stderr))
        return result

    def receive(self, i):
        self.run("receive", "--agent", "a17", "--channel", "phone",
                 "--customer-phone", "1380000%04d" % i,
                 "--content", "complaint %d" % i)


def stop(process):
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0


def tampered_copy(src, work, name, change):
    """A copy of the export `src` with `change(dir)` applied."""
    dst = os.path.join(work, name)
    shutil.copytree(src, dst)
    change(dst)
    return dst


def edit_events(directory, position, edit):
    path = os.path.join(directory, "events.jsonl")
    with open(path) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        event = json.loads(line)
        if int(event["position"]) == position:
            edit(event)
            lines[i] = json.dumps(event)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledgerd", required=True)
    parser.add_argument("--ledgerctl", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="ledger-audit-test-")
    ledgerd = None
    try:
        key_file = os.path.join(work, "log.key")
        made = subprocess.run(
            [args.ledgerctl, "audit", "keygen", "complaints.test/ledger",
             key_file], capture_output=True, text=True, check=True)
        vkey = made.stdout.strip()
        check(vkey.startswith("complaints.test/ledger+") and
              oct(os.stat(key_file).st_mode & 0o777) == "0o600",
              "keygen writes the key (0600) and prints its verifier key")
        check(subprocess.run([args.ledgerctl, "audit", "keygen", "x",
                              key_file], capture_output=True).returncode == 1,
              "keygen never replaces a key")
        ctl = Ctl(args.ledgerctl, vkey)
        signing = ["--signing_key=" + key_file,
                   "--checkpoint_every_events=7", "--checkpoint_every_ms=100"]

        # October.
        ledgerd, ctl.target = start_ledgerd(
            args.ledgerd, work, start_time="2026-10-29T10:00:00+08:00",
            extra_args=signing)
        ctl.run("register-agent", "--agent", "h1", "--agent-id", "h1",
                "--display-name", "Head", "--roles", "centre-head", "--active")
        ctl.run("register-agent", "--agent", "h1", "--agent-id", "a17",
                "--display-name", "Li", "--roles", "agent", "--active")
        for i in range(12):
            ctl.receive(i)
        stop(ledgerd)  # Closing signs the log's tail.

        # November: the auditor saved October's last checkpoint.
        ledgerd, ctl.target = start_ledgerd(
            args.ledgerd, work, start_time="2026-11-18T10:00:00+08:00",
            extra_args=signing)
        old = os.path.join(work, "october.note")
        saved = ctl.run("audit", "checkpoint", "--out", old)
        with open(old) as f:
            origin, october_size, _ = tv.parse_checkpoint(
                tv.NoteVerifier(vkey).open(f.read()))
        check(origin == "complaints.test/ledger" and october_size > 12 and
              "verified" in saved.stdout,
              "the checkpoint of October's %d events is saved and verifies "
              "(also in Python)" % october_size)
        for position in (1, 5, october_size):
            proved = ctl.run("audit", "prove", str(position), "--checkpoint",
                             old)
            check("verified: event %d" % position in proved.stdout,
                  "event %d is proved in the saved checkpoint" % position)
        beyond = ctl.run("audit", "prove", str(october_size + 1),
                         "--checkpoint", old, ok=False)
        check(beyond.returncode == 1 and "not in" in beyond.stderr,
              "an event past the checkpoint is refused, saying so")
        # A complaint as it was: not yet there at position 1.
        now = ctl.run("show", "2026-000001")
        then = ctl.run("show", "2026-000001", "--as_of", "1", ok=False)
        check(now.returncode == 0 and then.returncode == 1 and
              "NOT_FOUND" in then.stderr,
              "show ID --as_of N answers as the log stood at N")
        bad = ctl.run("show", "2026-000001", "--as_of", "x", ok=False)
        check(bad.returncode == 2, "show --as_of takes a position")
        for i in range(12, 30):
            ctl.receive(i)
        consistent = ctl.run("audit", "consistency", old)
        check("extends your checkpoint of %d events" % october_size
              in consistent.stdout,
              "November's log extends October's checkpoint")

        # Another log's key: nothing verifies.
        other = subprocess.run(
            [args.ledgerctl, "audit", "keygen", "complaints.test/ledger",
             os.path.join(work, "other.key")],
            capture_output=True, text=True, check=True).stdout.strip()
        forged = Ctl(args.ledgerctl, other)
        forged.target = ctl.target
        refused = forged.run("audit", "consistency", old, ok=False)
        check(refused.returncode == 1 and "does not verify" in refused.stderr,
              "under another key the checkpoints do not verify: "
              + refused.stderr.strip())

        # October exported and verified offline, twice independently.
        export = os.path.join(work, "export-2026-10")
        exported = ctl.run("audit", "export", export, "--month", "2026-10")
        check("events of 2026-10" in exported.stdout and
              "export 2026-10:" in exported.stderr,
              "October is exported, with progress shown")
        with open(os.path.join(export, "proof.json")) as f:
            proof = json.load(f)
        first, last = int(proof["first_position"]), int(proof["last_position"])
        check(first == 1 and last == october_size,
              "the export holds events 1 to %d" % last)
        verified = subprocess.run(
            [args.ledgerctl, "--log_key", vkey, "audit", "verify-export",
             export], capture_output=True, text=True)
        check(verified.returncode == 0 and "verified" in verified.stdout,
              "ledgerctl audit verify-export accepts it, with no server")
        tv.verify_export(export, vkey)
        check(True, "the Python verifier accepts it")

        # November's export starts mid-log: the edge carries the start.
        november = os.path.join(work, "export-2026-11")
        ctl.run("audit", "export", november, "--month", "2026-11")
        tv.verify_export(november, vkey)
        check(True, "November's export, from event %d, verifies in Python"
              % (october_size + 1))

        def flip_payload(event):
            raw = bytearray(tv._b64(event["canonical"]))
            raw[40] ^= 1
            event["canonical"] = tv.base64.b64encode(bytes(raw)).decode()

        def flip_and_rehash(event):
            flip_payload(event)
            event["hash"] = tv.base64.b64encode(tv.hashlib.sha256(
                tv._b64(event["canonical"])).digest()).decode()

        def flip_border(d):
            path = os.path.join(d, "proof.json")
            with open(path) as f:
                p = json.load(f)
            h = bytearray(tv._b64(p["left_border"][0]))
            h[0] ^= 1
            p["left_border"][0] = tv.base64.b64encode(bytes(h)).decode()
            with open(path, "w") as f:
                json.dump(p, f)

        def drop_event(d):
            path = os.path.join(d, "events.jsonl")
            with open(path) as f:
                lines = f.read().splitlines()
            with open(path, "w") as f:
                f.write("\n".join(lines[:3] + lines[4:]) + "\n")

        def flip_signature(d):
            path = os.path.join(d, "checkpoint")
            with open(path) as f:
                note = f.read()
            body, sig = note.rsplit(" ", 1)
            raw = bytearray(tv._b64(sig.strip()))
            raw[10] ^= 1
            with open(path, "w") as f:
                f.write(body + " " + tv.base64.b64encode(bytes(raw)).decode()
                        + "\n")

        cases = [
            ("changed", export,
             lambda d: edit_events(d, 4, flip_payload),
             "event 4: its hash does not match its content"),
            ("rehashed", export,
             lambda d: edit_events(d, 4, flip_and_rehash),
             "event 5: it does not link to event 4"),
            ("rehashed-last", export,
             lambda d: edit_events(d, last, flip_and_rehash),
             "are not those of"),
            ("dropped", export, drop_event, "event 4: missing"),
            ("border", november, flip_border, "are not those of"),
            ("signature", export, flip_signature, "does not verify"),
        ]
        for name, source, change, says in cases:
            bad = tampered_copy(source, work, name, change)
            result = subprocess.run(
                [args.ledgerctl, "--log_key", vkey, "audit", "verify-export",
                 bad], capture_output=True, text=True)
            check(result.returncode == 1 and says in result.stderr,
                  "an export %s fails verify-export: %s" % (
                      name, result.stderr.strip()[:160]))
            try:
                tv.verify_export(bad, vkey)
                raise AssertionError("the Python verifier accepted " + name)
            except tv.VerifyError as e:
                check(True, "and fails in Python too: %s" % e)
        stop(ledgerd)
        ledgerd = None
    finally:
        if ledgerd is not None:
            ledgerd.kill()
            ledgerd.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
