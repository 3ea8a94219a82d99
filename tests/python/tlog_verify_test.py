#!/usr/bin/python3
"""The auditor's independent verifier (tools/audit/tlog_verify.py) against
the published vectors the C++ side is tested with (tests/merkle_test.cc,
tests/signed_note_test.cc): the RFC 6962 reference tree, transparency-dev's
proofs, Go's sumdb/note keys and notes, C2SP's example. Then every proof
over trees up to 64 leaves, built here from the RFC's recursive
definitions, verifies, and mutated ones do not."""

import os
import sys
import unittest

# tests/python/ in the source tree; tests/ in Bazel's runfiles.
_HERE = os.path.dirname(os.path.abspath(__file__))
for _up in (["..", ".."], [".."]):
    sys.path.insert(0, os.path.join(_HERE, *_up, "tools", "audit"))
import tlog_verify as tv  # noqa: E402

LEAVES = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f"]]
ROOTS = [bytes.fromhex(h) for h in [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]]


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def path(m, hashes):
    """RFC 9162 PATH(m, D[n])."""
    n = len(hashes)
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return path(m, hashes[:k]) + [tv.root_of(hashes[k:])]
    return path(m - k, hashes[k:]) + [tv.root_of(hashes[:k])]


def subproof(m, hashes, known):
    """RFC 9162 SUBPROOF(m, D[n], b)."""
    n = len(hashes)
    if m == n:
        return [] if known else [tv.root_of(hashes)]
    k = split(n)
    if m <= k:
        return subproof(m, hashes[:k], known) + [tv.root_of(hashes[k:])]
    return subproof(m - k, hashes[k:], False) + [tv.root_of(hashes[:k])]


class TreeTest(unittest.TestCase):
    def test_reference_roots(self):
        hashes = [tv.leaf_hash(d) for d in LEAVES]
        for n in range(9):
            self.assertEqual(tv.root_of(hashes[:n]), ROOTS[n], n)

    def test_published_proofs(self):
        hashes = [tv.leaf_hash(d) for d in LEAVES]
        b = bytes.fromhex
        # transparency-dev testdata: 0,8 and 5,8 inclusion; 1,8 and 6,8
        # consistency (hex of the node hashes).
        tv.verify_inclusion(0, 8, hashes[0], [
            b("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            b("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            b("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")],
            ROOTS[8])
        tv.verify_inclusion(5, 8, hashes[5], [
            b("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            b("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            b("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")],
            ROOTS[8])
        tv.verify_consistency(6, 8, ROOTS[6], ROOTS[8], [
            b("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            b("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            b("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")])

    def test_every_small_tree(self):
        hashes = [tv.leaf_hash(b"event %d" % i) for i in range(64)]
        for n in range(1, 65):
            root = tv.root_of(hashes[:n])
            for m in range(n):
                proof = path(m, hashes[:n])
                tv.verify_inclusion(m, n, hashes[m], proof, root)
                for i in range(len(proof)):
                    bad = list(proof)
                    bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
                    with self.assertRaises(tv.VerifyError):
                        tv.verify_inclusion(m, n, hashes[m], bad, root)
                with self.assertRaises(tv.VerifyError):
                    tv.verify_inclusion(m, n, hashes[m], proof + [root], root)
                old = m + 1
                consistency = subproof(old, hashes[:n], True)
                old_root = tv.root_of(hashes[:old])
                tv.verify_consistency(old, n, old_root, root, consistency)
                with self.assertRaises(tv.VerifyError):
                    tv.verify_consistency(old, n, tv.leaf_hash(b"x"), root,
                                          consistency)


SKEY_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
TEXT = ("If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n")
SIG = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUg"
       "YN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


class NoteTest(unittest.TestCase):
    def test_go_and_c2sp_notes(self):
        v = tv.NoteVerifier(SKEY_VKEY)
        self.assertEqual(v.open(TEXT + "\n" + SIG), TEXT)
        with self.assertRaises(tv.VerifyError):
            v.open(TEXT.replace("cryptography", "cryptographi") + "\n" + SIG)
        c2sp = tv.NoteVerifier(
            "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
        c2sp.open("This is an example message.\n\n\u2014 example.com/foo "
                  "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYN"
                  "ZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")

    def test_checkpoints(self):
        log = tv.NoteVerifier(
            "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs")
        text = log.open(
            "Log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u2014 "
            "Log InHGISOpEz61FsCXu0BXpYJ8Cas8hE2zlWa/mDDeu9BBTZhaSC6TbTTFpa0"
            "XTqiFILMQ4wHwaJiyxacsRkxir1P5wg4=\n")
        self.assertEqual(tv.parse_checkpoint(text), ("Log", 8, ROOTS[8]))
        for bad in ["Head\n9944\n", "Log\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0"
                    "lgz+Nw7/RgQyg=\n", "Log\n8\nYmFuYW5hcw==\n"]:
            with self.assertRaises(tv.VerifyError):
                tv.parse_checkpoint(bad)


if __name__ == "__main__":
    unittest.main()
