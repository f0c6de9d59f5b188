#!/usr/bin/env python3
"""proof_check.py ENTRIES PROOFS CHECKPOINT_BODY - check inclusion proofs
offline (RFC 9162 2.1.3.2): ENTRIES has entry n on line n+1 (lockstep
evidence cat), PROOFS one GET /v1/evidence/proof answer per line, and
CHECKPOINT_BODY the verified checkpoint body (origin, size, base64 root).
Exit 0 when there are proofs and every one leads from its entry to the
signed root."""
import base64
import hashlib
import json
import sys


def h(b):
    return hashlib.sha256(b).digest()


def main():
    lines = open(sys.argv[1], "rb").read().split(b"\n")
    body = open(sys.argv[3]).read().split("\n")
    size, root = int(body[1]), base64.b64decode(body[2])
    proofs = [json.loads(pl) for pl in open(sys.argv[2]) if pl.strip()]
    assert proofs, "no proofs to check"
    for proof in proofs:
        idx = proof["index"]
        r = h(b"\0" + lines[idx])
        assert base64.b64decode(proof["leaf"]) == r, ("leaf", idx)
        assert proof["size"] == size, ("size", proof["size"], size)
        fn, sn = idx, size - 1
        for p in map(base64.b64decode, proof["proof"]):
            assert sn != 0, ("proof too long", idx)
            if fn & 1 or fn == sn:
                r = h(b"\1" + p + r)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                r = h(b"\1" + r + p)
            fn >>= 1
            sn >>= 1
        assert sn == 0 and r == root, ("root", idx)


main()
