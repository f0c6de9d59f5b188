#!/usr/bin/env python3
"""Write seed inputs for the Rego fuzz harnesses from the conformance suite.

Usage: tests/fuzz/seeds-from-conformance.py CASES_DIR
(CASES_DIR is ../shared/rego-conformance).  One case per test directory
(the first, sorted by name), small ones only, becomes:
  tests/fuzz/corpus/rego_compile/NAME  modules joined by "\\n# ----\\n"
  tests/fuzz/corpus/rego_eval/NAME     "R" query "\\n" input "\\n" data "\\n"
                                       then the modules as above
  tests/fuzz/corpus/rego_json/NAME     the case's data as JSON
"""
import json
import os
import sys

SEP = "\n# ----\n"
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
cases_dir = sys.argv[1]
seen = set()
for dirpath, dirnames, files in sorted(os.walk(cases_dir)):
    dirnames.sort()
    for f in sorted(files):
        if not f.endswith(".json"):
            continue
        group = os.path.basename(dirpath)
        if group in seen:
            continue
        with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
            try:
                doc = json.load(fh)
            except ValueError:
                continue
        c = (doc.get("cases") or [None])[0]
        if not c or not c.get("modules") or not c.get("query"):
            continue
        mods = SEP.join(c["modules"])
        inp = json.dumps(c["input"], separators=(",", ":")) if "input" in c else ""
        data = json.dumps(c["data"], separators=(",", ":")) if "data" in c else ""
        ev = "R" + c["query"].replace("\n", " ") + "\n" + inp + "\n" + data + "\n" + mods
        if len(ev) > 3000:
            continue
        seen.add(group)
        for sub, text in (("rego_compile", mods), ("rego_eval", ev),
                          ("rego_json", data)):
            if not text:
                continue
            os.makedirs(os.path.join(root, sub), exist_ok=True)
            with open(os.path.join(root, sub, group), "w", encoding="utf-8") as out:
                out.write(text)
print(len(seen), "cases")
