#!/usr/bin/env python3
"""yaml_suite.py LOCKSTEP TREE - run yaml.unmarshal of `lockstep eval` over
the cases of the YAML test suite (an exported `data` branch of
yaml/yaml-test-suite, never committed here) and compare with the suite.

A case with an `error` file must be refused; any other case must give the
first JSON value of its in.json (yaml.unmarshal reads the first document,
as OPA's does).  The suite is YAML 1.2 and OPA reads YAML 1.1 (yes/no are
booleans, 0777 is octal), so a few cases differ for that reason alone,
the same for any go-yaml-compatible reader.  Prints one line per
differing case with -v and a summary line; used to compare YAML readers
side by side (run it with two builds of lockstep).
"""
import json, os, subprocess, sys, tempfile

def first_json(path):
    dec = json.JSONDecoder()
    text = open(path, encoding="utf-8").read().lstrip()
    if not text:
        return None, False
    v, _ = dec.raw_decode(text)
    return v, True

def unmarshal(lockstep, text, tmp):
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"s": text}, f)
    r = subprocess.run([lockstep, "eval", "-d", os.path.dirname(tmp) + "/empty", "-i", tmp,
                        "--strict-builtin-errors", "x := yaml.unmarshal(input.s)"],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        return None, "error"
    out = json.loads(r.stdout)
    res = out.get("result") or []
    if not res:
        return None, "error"
    return res[0]["bindings"]["x"], "ok"

def main():
    verbose = "-v" in sys.argv
    args = [a for a in sys.argv[1:] if a != "-v"]
    lockstep, tree = args[0], args[1]
    tmpd = tempfile.mkdtemp()
    os.mkdir(tmpd + "/empty")
    tmp = tmpd + "/in.json"
    cases = []
    for root, dirs, files in os.walk(tree):
        if "in.yaml" in files:
            cases.append(root)
    n = agree = refused_ok = wrong = missed_error = false_error = skipped = 0
    for c in sorted(cases):
        try:
            text = open(os.path.join(c, "in.yaml"), encoding="utf-8").read()
        except UnicodeDecodeError:
            skipped += 1
            continue
        n += 1
        got, how = unmarshal(lockstep, text, tmp)
        if os.path.exists(os.path.join(c, "error")):
            if how == "error":
                refused_ok += 1
            else:
                missed_error += 1
                verbose and print("ACCEPTED-ERROR", os.path.relpath(c, tree))
            continue
        if not os.path.exists(os.path.join(c, "in.json")):
            skipped += 1
            n -= 1
            continue
        want, has = first_json(os.path.join(c, "in.json"))
        if how == "error":
            false_error += 1
            verbose and print("REFUSED", os.path.relpath(c, tree))
        elif got == want:
            agree += 1
        else:
            wrong += 1
            verbose and print("DIFFERS", os.path.relpath(c, tree), json.dumps(got)[:80], "want", json.dumps(want)[:80])
    print("yaml-test-suite: %d cases: %d read as the suite reads them, %d errors refused; "
          "%d read differently, %d valid refused, %d errors accepted; %d skipped" %
          (n, agree, refused_ok, wrong, false_error, missed_error, skipped))

main()
