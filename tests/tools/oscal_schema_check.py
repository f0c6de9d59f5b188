#!/usr/bin/env python3
"""oscal_schema_check.py SCHEMA DOC - validate an OSCAL JSON document
against its JSON schema (draft-07) with python3-jsonschema, formats
checked; prints every error (path and message, at most 30) and exits 1
when there is one.

NIST's schemas write XML Schema's Unicode classes \\p{L} and \\p{N} in
their patterns, which Python's re module does not know: they are read as
[^\\W\\d_] (a Unicode letter) and \\d (a Unicode digit).  The schema file
itself is left as NIST's generator wrote it."""
import json
import re
import sys

import jsonschema


def translate(node):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str):
                v = v.replace("\\p{L}", "[^\\W\\d_]").replace("\\p{N}", "\\d")
                re.compile(v)
            out[k] = translate(v)
        return out
    if isinstance(node, list):
        return [translate(v) for v in node]
    return node


def main():
    if len(sys.argv) != 3:
        print("usage: oscal_schema_check.py SCHEMA DOC", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = translate(json.load(f))
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    v = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errs[:30]:
        path = "/".join(str(p) for p in e.absolute_path)
        print(f"oscal_schema_check: /{path}: {e.message[:300]}",
              file=sys.stderr)
    if errs:
        print(f"oscal_schema_check: {len(errs)} errors against "
              f"{schema.get('$id', sys.argv[1])}", file=sys.stderr)
        return 1
    print(f"oscal_schema_check: valid against {schema.get('$id')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
