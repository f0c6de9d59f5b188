#!/usr/bin/env python3
"""forge.py - build hostile-but-validly-signed Lockstep documents for the
agent's attack tests, signing with the real keys through `lockstep note
sign` (the test's KEYDIR).  Standard library only.

  forge.py timestamp --lockstep BIN --key KEY --out F --origin O
           --channel C --seq N --release-seq N --release-note FILE
           [--expires-in SECONDS]
  forge.py release --lockstep BIN --key KEY --out F --base RELEASE_NOTE
           --seq N --bundle FILE [--version TAG] [--channel C]
           [--expires-in SECONDS] [--floor N]
  forge.py root --lockstep BIN --key KEY [--key KEY...] --out F
           --base ROOT_NOTE --version N [--replace ROLE OLD.pub NEW.pub]
           [--expires RFC3339] [--role ROLE THRESHOLD PUB...]...
           [--dup-key ROLE]
  forge.py sigs --in NOTE --out F [--dup] [--unknown-alg PUB]
  forge.py alias --key KEY --pub PUB --name NAME --out DIR
  forge.py tar --out F --kind dotdot|symlink|bomb
"""
import argparse
import base64
import datetime
import os
import gzip
import hashlib
import io
import subprocess
import sys
import tarfile


def body_of(note_path):
    text = open(note_path, "rb").read().decode("utf-8")
    return text.split("\n\n", 1)[0] + "\n"


def sign(args, body):
    cmd = [args.lockstep, "note", "sign"] + args.key
    out = subprocess.run(cmd, input=body.encode(), capture_output=True,
                         check=False)
    if out.returncode != 0:
        sys.exit("forge: note sign: " + out.stderr.decode())
    with open(args.out, "wb") as f:
        f.write(out.stdout)


def set_line(body, key, value):
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if line.split(" ", 1)[0] == key:
            lines[i] = key + " " + value
            return "\n".join(lines) + "\n"
    sys.exit("forge: no %s line" % key)


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_timestamp(args):
    rel = open(args.release_note, "rb").read()
    exp = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=args.expires_in)
    body = ("lockstep/timestamp/v1\norigin %s\nchannel %s\nseq %d\n"
            "expires %s\nrelease %d sha256:%s length %d\n") % (
        args.origin, args.channel, args.seq, rfc3339(exp), args.release_seq,
        hashlib.sha256(rel).hexdigest(), len(rel))
    sign(args, body)


def cmd_release(args):
    data = open(args.bundle, "rb").read()
    body = body_of(args.base)
    body = set_line(body, "seq", str(args.seq))
    body = set_line(body, "bundle", "sha256:%s length %d" % (
        hashlib.sha256(data).hexdigest(), len(data)))
    if args.version:
        body = set_line(body, "version", args.version)
    if args.channel:
        body = set_line(body, "channel", args.channel)
    if args.expires_in is not None:
        now = datetime.datetime.now(datetime.timezone.utc)
        body = set_line(body, "built", rfc3339(
            now - datetime.timedelta(seconds=abs(args.expires_in) + 60)))
        body = set_line(body, "expires", rfc3339(
            now + datetime.timedelta(seconds=args.expires_in)))
    if args.floor is not None:
        body = set_line(body, "floor", str(args.floor))
    sign(args, body)


def cmd_root(args):
    body = set_line(body_of(args.base), "version", str(args.version))
    if args.expires:
        body = set_line(body, "expires", args.expires)
    if args.replace:
        role, old, new = args.replace
        old_v = open(old).read().strip()
        new_v = open(new).read().strip()
        target = "key %s %s" % (role, old_v)
        if target not in body:
            sys.exit("forge: root has no " + target)
        body = body.replace(target, "key %s %s" % (role, new_v))
    for spec in args.role or []:
        body = set_role(body, spec[0], spec[1],
                        [open(f).read().strip() for f in spec[2:]])
    if args.dup_key:
        first = [ln for ln in body.splitlines()
                 if ln.startswith("key %s " % args.dup_key)][0]
        body = body.replace(first + "\n", first + "\n" + first + "\n", 1)
    sign(args, body)


ROLES = ("root", "release", "timestamp", "log")


def set_role(body, role, threshold, vkeys):
    """Replace role's key lines by vkeys and its threshold line."""
    lines = body.splitlines()
    head = [ln for ln in lines if not ln.startswith(("key ", "threshold "))]
    keys = {r: [ln for ln in lines if ln.startswith("key %s " % r)]
            for r in ROLES}
    thr = {r: [ln for ln in lines if ln.startswith("threshold %s " % r)]
           for r in ROLES}
    keys[role] = ["key %s %s" % (role, v) for v in vkeys]
    thr[role] = ["threshold %s %s" % (role, threshold)]
    out = head + [k for r in ROLES for k in keys[r]] + \
        [t for r in ROLES for t in thr[r]]
    return "\n".join(out) + "\n"


def key_id(name, alg, pub):
    h = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pub)
    return h.digest()[:4]


def pub_of(vkey_text):
    """(name, raw 32-byte public key) of NAME+HEXID+BASE64(0x01||pub)."""
    name, _, b64 = vkey_text.strip().split("+", 2)
    return name, base64.b64decode(b64)[1:]


def cmd_sigs(args):
    text = open(args.inp, "rb").read().decode("utf-8")
    body, sigs = text.split("\n\n", 1)
    lines = sigs.splitlines()
    if args.dup:
        lines.append(lines[-1])
    if args.unknown_alg:
        # A signature by the same key name under an algorithm byte the
        # verifier does not know (0x02): its key id matches no known key.
        name, pub = pub_of(open(args.unknown_alg).read())
        raw = key_id(name, 0x02, pub) + os.urandom(64)
        lines.append("\u2014 %s %s" % (name, base64.b64encode(raw).decode()))
    with open(args.out, "wb") as f:
        f.write((body + "\n\n" + "\n".join(lines) + "\n").encode())


def cmd_alias(args):
    """The same key pair under another name (so another key id)."""
    _, pub = pub_of(open(args.pub).read())
    secret = open(args.key).read().strip().split("+", 4)[4]
    kid = key_id(args.name, 0x01, pub).hex()
    with open(os.path.join(args.out, args.name + ".pub"), "w") as f:
        f.write("%s+%s+%s\n" % (args.name, kid, base64.b64encode(
            b"\x01" + pub).decode()))
    path = os.path.join(args.out, args.name + ".key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("PRIVATE+KEY+%s+%s+%s\n" % (args.name, kid, secret))


def add(tf, info, data=b""):
    tf.addfile(info, io.BytesIO(data))


class Zeros(io.RawIOBase):
    """n zero bytes, streamed (the bomb is never held in memory)."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.n)
        b[:k] = bytes(k)
        self.n -= k
        return k


def cmd_tar(args):
    src = b"package ok\n\nallow := true\n"
    with open(args.out, "wb") as f, \
            gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9,
                          mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w",
                         format=tarfile.PAX_FORMAT) as tf:
        ok = tarfile.TarInfo("policy/ok.rego")
        ok.size = len(src)
        add(tf, ok, src)
        if args.kind == "dotdot":
            evil = tarfile.TarInfo("../../escaped.rego")
            evil.size = len(src)
            add(tf, evil, src)
        elif args.kind == "symlink":
            link = tarfile.TarInfo("policy/link.rego")
            link.type = tarfile.SYMTYPE
            link.linkname = "/etc/passwd"
            add(tf, link)
        elif args.kind == "bomb":
            # 300 MiB of zeros: past the 256 MiB extraction cap.
            big = tarfile.TarInfo("policy/data.json")
            big.size = 300 << 20
            tf.addfile(big, io.BufferedReader(Zeros(big.size), 1 << 20))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("timestamp")
    r = sub.add_parser("release")
    o = sub.add_parser("root")
    for p in (t, r, o):
        p.add_argument("--lockstep", required=True)
        p.add_argument("--key", action="append", required=True)
        p.add_argument("--out", required=True)
    t.add_argument("--origin", required=True)
    t.add_argument("--channel", required=True)
    t.add_argument("--seq", type=int, required=True)
    t.add_argument("--release-seq", type=int, required=True)
    t.add_argument("--release-note", required=True)
    t.add_argument("--expires-in", type=int, default=3600)
    r.add_argument("--base", required=True)
    r.add_argument("--seq", type=int, required=True)
    r.add_argument("--bundle", required=True)
    r.add_argument("--version")
    r.add_argument("--channel")
    r.add_argument("--expires-in", type=int)
    r.add_argument("--floor", type=int)
    o.add_argument("--base", required=True)
    o.add_argument("--version", type=int, required=True)
    o.add_argument("--replace", nargs=3, metavar=("ROLE", "OLD", "NEW"))
    o.add_argument("--expires")
    o.add_argument("--role", nargs="+", action="append",
                   metavar="ROLE THRESHOLD PUB")
    o.add_argument("--dup-key", choices=ROLES)
    g = sub.add_parser("sigs")
    g.add_argument("--in", dest="inp", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--dup", action="store_true")
    g.add_argument("--unknown-alg", metavar="PUB")
    a = sub.add_parser("alias")
    a.add_argument("--key", required=True)
    a.add_argument("--pub", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--out", required=True)
    x = sub.add_parser("tar")
    x.add_argument("--out", required=True)
    x.add_argument("--kind", choices=("dotdot", "symlink", "bomb"),
                   required=True)
    args = ap.parse_args()
    {"timestamp": cmd_timestamp, "release": cmd_release, "root": cmd_root,
     "tar": cmd_tar, "sigs": cmd_sigs, "alias": cmd_alias}[args.cmd](args)


if __name__ == "__main__":
    main()
