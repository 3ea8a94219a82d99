#!/usr/bin/python3
"""An auditor's own check of the ledger's Merkle tree and checkpoints, with
none of the ledger's code: Python's hashlib and python3-cryptography
(Debian) only. RFC 9162 §2.1 (leaf SHA-256(0x00 || data), node
SHA-256(0x01 || left || right)), its inclusion and consistency verifiers
(§2.1.3.2, §2.1.4.2), C2SP signed notes with Ed25519 keys in Go's
sumdb/note verifier-key format, and C2SP tlog-checkpoint text.

Each check returns nothing or raises VerifyError saying what did not hold.
"""

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class VerifyError(Exception):
    pass


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def root_of(leaf_hashes):
    """MTH of a list of leaf hashes, by the RFC's recursive definition."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


def _step_is_left(fn, sn):
    """One step up the path in RFC 9162's verifiers: whether the proof's
    next hash is a left sibling, and fn, sn one level up (past the levels
    where the node is on the right border and has no sibling)."""
    left = bool(fn & 1) or fn == sn
    if left and not fn & 1:
        while True:
            fn >>= 1
            sn >>= 1
            if fn & 1 or fn == 0:
                break
    return left, fn >> 1, sn >> 1


def verify_inclusion(index, size, leaf, proof, root):
    if index >= size:
        raise VerifyError("leaf %d is not in a tree of %d leaves" % (index, size))
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise VerifyError("the inclusion proof is too long")
        left, fn, sn = _step_is_left(fn, sn)
        r = node_hash(p, r) if left else node_hash(r, p)
    if sn != 0:
        raise VerifyError("the inclusion proof is too short")
    if r != root:
        raise VerifyError("the inclusion proof of leaf %d leads to another root"
                          % index)


def verify_consistency(old_size, new_size, old_root, new_root, proof):
    if old_size > new_size:
        raise VerifyError("a tree cannot shrink")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise VerifyError("the consistency proof should be empty")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise VerifyError("the old root is not the empty tree's")
        if old_size == new_size and old_root != new_root:
            raise VerifyError("trees of the same size with different roots")
        return
    if not proof:
        raise VerifyError("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerifyError("the consistency proof is too long")
        left, fn, sn = _step_is_left(fn, sn)
        if left:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
        else:
            sr = node_hash(sr, c)
    if sn != 0:
        raise VerifyError("the consistency proof is too short")
    if fr != old_root:
        raise VerifyError("the consistency proof does not lead to the old root")
    if sr != new_root:
        raise VerifyError("the consistency proof does not lead to the new root")


def _b64(text):
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerifyError("not base64: %r" % text)
    if base64.b64encode(raw).decode() != text:
        raise VerifyError("not canonical base64: %r" % text)
    return raw


class NoteVerifier:
    """A verifier key: <name>+<hex key id>+<base64(0x01 || Ed25519 key)>."""

    def __init__(self, vkey):
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise VerifyError("the verifier key is not <name>+<id>+<key>")
        self.name, id_hex, key_b64 = parts
        if not self.name or any(c.isspace() or c == "+" for c in self.name):
            raise VerifyError("bad key name %r" % self.name)
        if len(id_hex) != 8 or id_hex.lower() != id_hex:
            raise VerifyError("the key id is not 8 lowercase hex digits")
        key = _b64(key_b64)
        if len(key) != 33 or key[0] != 1:
            raise VerifyError("not an Ed25519 verifier key")
        self.key_id = bytes.fromhex(id_hex)
        digest = hashlib.sha256(self.name.encode() + b"\n" + key).digest()
        if digest[:4] != self.key_id:
            raise VerifyError("the key id does not match the key")
        self.public_key = Ed25519PublicKey.from_public_bytes(key[1:])

    def open(self, note):
        """The note's text, when this key's signature on it verifies."""
        split = note.rfind("\n\n")
        if split < 0:
            raise VerifyError("not a signed note")
        text, sigs = note[:split + 1], note[split + 2:]
        if not sigs.endswith("\n"):
            raise VerifyError("no signature lines")
        ours = False
        for line in sigs[:-1].split("\n"):
            if not line.startswith("\u2014 "):
                raise VerifyError("bad signature line %r" % line)
            name, _, b64 = line[2:].partition(" ")
            sig = _b64(b64)
            if len(sig) < 5:
                raise VerifyError("short signature")
            if name != self.name or sig[:4] != self.key_id:
                continue
            try:
                self.public_key.verify(sig[4:], text.encode())
            except InvalidSignature:
                raise VerifyError("the signature of %s does not verify" % name)
            ours = True
        if not ours:
            raise VerifyError("no signature of %s" % self.name)
        return text


def parse_checkpoint(text):
    """(origin, size, root) of a checkpoint's note text."""
    if not text.endswith("\n"):
        raise VerifyError("a checkpoint ends in a newline")
    lines = text[:-1].split("\n")
    if len(lines) != 3:
        raise VerifyError("a checkpoint is origin, size and root lines")
    origin, size, root = lines
    if not origin:
        raise VerifyError("empty origin")
    if not size.isdigit() or (size != "0" and size[0] == "0") or \
            int(size) >= 1 << 64:
        raise VerifyError("bad size %r" % size)
    raw = _b64(root)
    if len(raw) != 32:
        raise VerifyError("the root is not 32 bytes")
    return origin, int(size), raw


class CompactRange:
    """The right edge of a tree: the perfect subtrees covering its leaves,
    largest first, one per set bit of its size."""

    def __init__(self, size=0, hashes=()):
        if len(hashes) != bin(size).count("1"):
            raise VerifyError("the edge of a tree of %d leaves has %d hashes, "
                              "not %d" % (size, bin(size).count("1"),
                                          len(hashes)))
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf):
        h, index = leaf, self.size
        while index & 1:
            h = node_hash(self.hashes.pop(), h)
            index >>= 1
        self.hashes.append(h)
        self.size += 1

    def root(self):
        if not self.hashes:
            return EMPTY_ROOT
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = node_hash(left, h)
        return h


EXPORT_FORMAT = "complaint-ledger-audit-export/1"


def verify_export(directory, vkey=None):
    """Checks an export of `ledgerctl audit export` (its README.md says
    what it holds). `vkey`: the log's verifier key as published; None
    trusts the export's log.pub. Returns a summary; raises VerifyError
    naming the event or the part that does not hold."""
    import json
    import os

    def read(name, mode="r"):
        with open(os.path.join(directory, name), mode) as f:
            return f.read()

    proof = json.loads(read("proof.json"))
    if proof.get("format") != EXPORT_FORMAT:
        raise VerifyError("unknown export format %r" % proof.get("format"))
    key = NoteVerifier(vkey if vkey is not None else read("log.pub"))
    origin, size, root = parse_checkpoint(key.open(read("checkpoint")))
    if origin != key.name:
        raise VerifyError("the checkpoint is of log %s, not %s" %
                          (origin, key.name))
    first = int(proof["first_position"])
    last = int(proof["last_position"])
    if first < 1 or first > last or last > size or \
            int(proof["tree_size"]) != size:
        raise VerifyError("proof.json's positions do not fit the checkpoint")
    edge = CompactRange(first - 1,
                        [_b64(h) for h in proof.get("left_border", [])])
    expected, previous = first, None
    for line in read("events.jsonl").splitlines():
        if not line:
            continue
        event = json.loads(line)
        if int(event["position"]) != expected:
            raise VerifyError("event %d: missing" % expected)
        canonical, digest = _b64(event["canonical"]), _b64(event["hash"])
        if hashlib.sha256(canonical).digest() != digest:
            raise VerifyError("event %d: its hash does not match its content"
                              % expected)
        if canonical[:8] != b"CLEDGER1" or \
                int.from_bytes(canonical[8:16], "big") != expected or \
                canonical[-36:-32] != b"\x00\x00\x00\x20":
            raise VerifyError("event %d: its canonical bytes are not of this "
                              "position" % expected)
        if previous is not None and canonical[-32:] != previous:
            raise VerifyError("event %d: it does not link to event %d, which "
                              "was changed" % (expected, expected - 1))
        previous = digest
        edge.append(leaf_hash(digest))
        expected += 1
    if expected != last + 1:
        raise VerifyError("event %d: missing" % expected)
    if last == size:
        if edge.root() != root:
            raise VerifyError("events %d to %d do not lead to the signed root"
                              % (first, last))
    else:
        verify_consistency(last, size, edge.root(), root,
                           [_b64(h) for h in proof.get("consistency_proof", [])])
    return "events %d to %d are exactly those of the checkpoint of %d " \
        "events of %s" % (first, last, size, origin)


def main(argv):
    """tlog_verify.py export DIR [--key VKEY]"""
    import sys
    args = list(argv[1:])
    vkey = None
    if "--key" in args:
        i = args.index("--key")
        vkey = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2 or args[0] != "export":
        sys.stderr.write("usage: tlog_verify.py export DIR [--key VKEY]\n")
        return 2
    try:
        print("verified: " + verify_export(args[1], vkey))
    except (VerifyError, OSError, KeyError, ValueError) as e:
        sys.stderr.write("NOT VERIFIED: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv))
