#!/usr/bin/env python3
"""Generate the hostile tar.gz fixtures in this directory.

    tests/data/archives/gen-hostile.py            rewrite the committed files
    tests/data/archives/gen-hostile.py --bomb F   write an expansion bomb to F

Each fixture is refused by `lockstep bundle extract` (see
tests/unit/test_extract.c and tests/integration/cli_bundle.sh).  Output is
deterministic (mtime 0, gzip header mtime 0) so regenerating changes nothing.

The bomb (2 GiB of zeros in 8 files, about 2 MB compressed) is not committed:
it is built on demand in well under a second by repeating one compressed
member of 8 MiB of zeros, since a gzip file may be several members in a row.
"""
import gzip
import io
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))


def entry(name, kind=tarfile.REGTYPE, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.mode = 0o644
    ti.mtime = 0
    ti.uname = ti.gname = "root"
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, data


def write(name, entries, fmt=tarfile.PAX_FORMAT):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    with open(os.path.join(HERE, name), "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
            g.write(raw.getvalue())


def fixtures():
    ok = entry("policy.rego", data=b"package ok\n")
    write("dotdot.tar.gz", [ok, entry("../escape.txt", data=b"x\n")])
    write("dotdot-nested.tar.gz",
          [ok, entry("a/b/../../../escape.txt", data=b"x\n")])
    write("absolute.tar.gz",
          [ok, entry("/tmp/lockstep-escape.txt", data=b"x\n")])
    write("symlink.tar.gz",
          [ok, entry("link", tarfile.SYMTYPE, linkname="/tmp"),
           entry("link/lockstep-escape.txt", data=b"x\n")])
    write("hardlink.tar.gz",
          [ok, entry("passwd", tarfile.LNKTYPE, linkname="/etc/passwd")])
    write("device.tar.gz",
          [ok, entry("null", tarfile.CHRTYPE, devmajor=1, devminor=3)])
    write("fifo.tar.gz", [ok, entry("pipe", tarfile.FIFOTYPE)])
    write("duplicate.tar.gz",
          [ok, entry("data.json", data=b"{}\n"),
           entry("data.json", data=b"{\"evil\": true}\n")])
    write("file-dir-clash.tar.gz",
          [ok, entry("a", data=b"x\n"), entry("a/b.rego", data=b"x\n")])
    write("too-deep.tar.gz",
          [ok, entry("/".join(["d"] * 40) + "/x.rego", data=b"x\n")])
    write("long-name.tar.gz",
          [ok, entry("/".join(["n" * 200] * 6) + "/x.rego", data=b"x\n")])
    write("control-char.tar.gz",
          [ok, entry("evil\x1b]0;owned\x07\n.rego", data=b"x\n")])
    write("too-many.tar.gz",
          [entry("f%05d" % i) for i in range(10001)], fmt=tarfile.USTAR_FORMAT)


def bomb(path, files=8, size=256 << 20):
    """files x size bytes of zeros (2 GiB): the first file fits the 256 MiB
    cap exactly, so extraction streams it and must stop at the second."""
    chunk = 8 << 20
    assert size % chunk == 0
    member = gzip.compress(bytes(chunk), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        for i in range(files):
            hdr = entry("zeros%d" % i)[0]
            hdr.size = size
            f.write(gzip.compress(hdr.tobuf(tarfile.USTAR_FORMAT), mtime=0))
            for _ in range(size // chunk):
                f.write(member)
        f.write(gzip.compress(bytes(1024), mtime=0))  # end-of-archive


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bomb":
        bomb(sys.argv[2])
    elif len(sys.argv) == 1:
        fixtures()
    else:
        sys.exit("usage: gen-hostile.py [--bomb FILE]")
