#!/usr/bin/env python3
# lib_proof.py CHECKPOINT_BODY ENTRIES PROOFS - RFC 6962 inclusion proofs
# checked offline: ENTRIES holds evidence entry lines as stored (each with
# its index "n"), PROOFS the GET /v1/evidence/proof answers for them, one
# JSON object a line in the same order, CHECKPOINT_BODY the verified body
# of the signed checkpoint (origin, size, base64 root).  Exit 0 when every
# leaf hash and proof leads to the checkpoint's root.
import base64, hashlib, json, sys

h = lambda b: hashlib.sha256(b).digest()
body = open(sys.argv[1]).read().split("\n")
size, root = int(body[1]), base64.b64decode(body[2])
lines = [l for l in open(sys.argv[2], "rb").read().split(b"\n") if l]
proofs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
if not lines or len(lines) != len(proofs):
    sys.exit("%d entries, %d proofs" % (len(lines), len(proofs)))
for line, proof in zip(lines, proofs):
    idx = json.loads(line)["n"]
    r = h(b"\0" + line)
    if base64.b64decode(proof["leaf"]) != r or proof["size"] != size:
        sys.exit("entry %d: leaf or size differs" % idx)
    fn, sn = idx, size - 1
    for p in map(base64.b64decode, proof["proof"]):
        if sn == 0:
            sys.exit("entry %d: proof too long" % idx)
        if fn & 1 or fn == sn:
            r = h(b"\1" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = h(b"\1" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        sys.exit("entry %d: proof does not lead to the root" % idx)
