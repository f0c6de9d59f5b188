#!/usr/bin/env python3
"""forge.py - build hostile-but-validly-signed Lockstep documents for the
agent's attack tests, signing with the real keys through `lockstep note
sign` (the test's KEYDIR).  Standard library only.

  forge.py timestamp --lockstep BIN --key KEY --out F --origin O
           --channel C --seq N --release-seq N --release-note FILE
           [--expires-in SECONDS]
  forge.py release --lockstep BIN --key KEY --out F --base RELEASE_NOTE
           --seq N --bundle FILE [--version TAG] [--channel C]
  forge.py root --lockstep BIN --key KEY [--key KEY...] --out F
           --base ROOT_NOTE --version N [--replace ROLE OLD.pub NEW.pub]
           [--expires RFC3339]
  forge.py tar --out F --kind dotdot|symlink|bomb
"""
import argparse
import datetime
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
    sign(args, body)


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
    o.add_argument("--base", required=True)
    o.add_argument("--version", type=int, required=True)
    o.add_argument("--replace", nargs=3, metavar=("ROLE", "OLD", "NEW"))
    o.add_argument("--expires")
    x = sub.add_parser("tar")
    x.add_argument("--out", required=True)
    x.add_argument("--kind", choices=("dotdot", "symlink", "bomb"),
                   required=True)
    args = ap.parse_args()
    {"timestamp": cmd_timestamp, "release": cmd_release, "root": cmd_root,
     "tar": cmd_tar}[args.cmd](args)


if __name__ == "__main__":
    main()
