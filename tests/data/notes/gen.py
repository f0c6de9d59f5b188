#!/usr/bin/env python3
"""Regenerate the signed-note fixtures of tests/data/notes/.

usage: tests/data/notes/gen.py BINDIR     (BINDIR holds the lockstep CLI)

Fresh keys are made in a temporary directory with `lockstep keygen`; only
their verifier keys (*.pub) are kept beside the notes, never the secret
keys.  alice and bob are the keys the tests trust; mallory is a key they
do not.  Each hostile note is a good note damaged in exactly one way.
test_note.c reads these files; rerunning this script replaces them all.
"""
import base64
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DASH = "\u2014 "
BODY = ("lockstep/timestamp/v1\n"
        "origin fixtures\n"
        "channel stable\n"
        "seq 7\n"
        "expires 2030-01-01T00:00:00Z\n"
        "release 3 sha256:" + "ab" * 32 + " length 512\n")


def run(args, data=None):
    return subprocess.run(args, input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def sign(lockstep, keydir, names, body=BODY):
    keys = [os.path.join(keydir, n + ".key") for n in names]
    return run([lockstep, "note", "sign"] + keys, body.encode()).decode()


def split(note):
    """Body and list of (name, raw signature bytes)."""
    body, sigs = note.rsplit("\n\n", 1)
    out = []
    for line in sigs.splitlines():
        assert line.startswith(DASH)
        name, b64 = line[len(DASH):].split(" ")
        out.append((name, base64.b64decode(b64)))
    return body + "\n", out


def join(body, sigs):
    lines = "".join("%s%s %s\n" % (DASH, n, base64.b64encode(s).decode())
                    for n, s in sigs)
    return body + "\n" + lines


def write(name, text):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)


def main():
    lockstep = os.path.join(sys.argv[1], "lockstep")
    keydir = tempfile.mkdtemp(prefix="ls-fixtures-")
    try:
        for n in ("alice", "bob", "mallory"):
            run([lockstep, "keygen", n, "-o", keydir])
            shutil.copy(os.path.join(keydir, n + ".pub"), HERE)
        good = sign(lockstep, keydir, ["alice"])
        body, sigs = split(good)
        name, raw = sigs[0]
        write("good.note", good)
        write("good-two-keys.note", sign(lockstep, keydir, ["alice", "bob"]))
        # A signature by alice's key id that alice never made.
        forged = raw[:4] + bytes((b ^ 0x5a) for b in raw[4:])
        write("forged-signature.note", join(body, [(name, forged)]))
        # Cut to 66 bytes: still base64, but not a whole signature.
        write("truncated-signature.note", join(body, [(name, raw[:66])]))
        # Right name and signature, wrong key id: alice did not sign this.
        wrong = bytes([raw[0] ^ 1]) + raw[1:]
        write("wrong-keyid.note", join(body, [(name, wrong)]))
        write("flipped-body-byte.note",
              good.replace("seq 7\n", "seq 8\n", 1))
        write("duplicate-signature.note", good + good.split("\n\n")[1])
        b64 = base64.b64encode(raw).decode()
        write("bad-base64.note",
              body + "\n" + DASH + name + " " + b64[:40] + "*" + b64[41:] +
              "\n")
        write("missing-final-newline.note", good[:-1])
        big = BODY + "".join("filler %06d %s\n" % (i, "x" * 60)
                             for i in range(1100))
        write("oversized.note", big + "\n" + good.split("\n\n")[1])
        write("unknown-key.note", sign(lockstep, keydir, ["mallory"]))
        # alice's signature is good, bob's is not: a known key failing.
        two_body, two = split(sign(lockstep, keydir, ["alice", "bob"]))
        bad_bob = two[1][1][:4] + bytes(64)
        write("known-key-bad-signature.note",
              join(two_body, [two[0], (two[1][0], bad_bob)]))
        write("hyphen-not-em-dash.note", good.replace(DASH, "- ", 1))
        write("no-blank-line.note", good.replace("\n\n", "\n", 1))
    finally:
        shutil.rmtree(keydir)


if __name__ == "__main__":
    main()
