#!/usr/bin/env python3
"""partition.py DATA OUT: lay the evidence log DATA/evidence/log.jsonl out
as the Hive partitions the evidence store writes (decisions protocol, "Partitions"):
kind=decision/framework=F/control=C/year=YYYY/month=MM/day=DD/*.jsonl, once
per control a record names (framework=none/control=none when it names
none), the day from details.time; other kinds under kind=K/year=/month=/day=
from the entry's time.  Lines are copied byte for byte.  A stand-in for
the store's own partitions on branches where that store has not landed,
so the saved queries in deploy/duckdb run against the documented layout."""
import json
import os
import sys

data, out = sys.argv[1], sys.argv[2]
files = {}


def put(path, line):
    f = files.get(path)
    if f is None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        f = files[path] = open(path, "ab")
    f.write(line)


with open(os.path.join(data, "evidence", "log.jsonl"), "rb") as log:
    for line in log:
        e = json.loads(line)
        kind = e["kind"]
        d = e.get("details") or {}
        if kind == "decision":
            t = d.get("time", e["time"])
            ctls = d.get("controls") or ["none:none"]
            for c in ctls:
                fw, cid = c.split(":", 1)
                put(os.path.join(out, "kind=decision", "framework=" + fw,
                                 "control=" + cid, "year=" + t[0:4],
                                 "month=" + t[5:7], "day=" + t[8:10],
                                 "part-0.jsonl"), line)
        else:
            t = e["time"]
            put(os.path.join(out, "kind=" + kind, "year=" + t[0:4],
                             "month=" + t[5:7], "day=" + t[8:10],
                             "part-0.jsonl"), line)
for f in files.values():
    f.close()
