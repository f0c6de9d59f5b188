#!/usr/bin/env python3
"""Convert OPA-style YAML test case files into the runner's JSON schema.

usage: yaml2json.py SRC DST

SRC holds either *.yaml/*.yml case files or *.json wrappers of the form
{"text": "<yaml>"} named FOLDER__NAME.json.  Each output file is
DST/FOLDER/NAME.json holding {"cases": [...]}, with every note prefixed
by FOLDER/ so failures can be counted per folder.  Case content is not
changed otherwise.
"""
import json
import os
import sys

import yaml


def load(path):
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    if path.endswith(".json"):
        raw = json.loads(raw)["text"]
    return yaml.safe_load(raw) or {}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    total = 0
    for name in sorted(os.listdir(src)):
        base, ext = os.path.splitext(name)
        if ext not in (".json", ".yaml", ".yml"):
            continue
        folder, _, stem = base.partition("__")
        if not stem:
            folder, stem = "misc", base
        doc = load(os.path.join(src, name))
        cases = doc.get("cases") or []
        for c in cases:
            c["note"] = folder + "/" + str(c.get("note", stem))
        os.makedirs(os.path.join(dst, folder), exist_ok=True)
        with open(os.path.join(dst, folder, stem + ".json"), "w") as f:
            json.dump({"cases": cases}, f, indent=1, default=str)
        total += len(cases)
    print(f"{total} cases")


if __name__ == "__main__":
    main()
