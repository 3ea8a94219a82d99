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
