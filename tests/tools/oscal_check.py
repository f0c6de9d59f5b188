#!/usr/bin/env python3
"""oscal_check.py FILE [SCHEMA]: check an OSCAL assessment-results document.

With SCHEMA (the NIST release asset oscal_assessment-results_schema.json)
it validates with python3-jsonschema.  Without it (the schema is not on
this machine), it checks the structure that schema requires of the parts
lockstep writes, transcribed from OSCAL 1.1's assessment-results model:
required members, UUID and token patterns, date-times with a time zone,
minItems 1 on every array, finding target types and states, and no
member the model does not define on the objects written.
"""
import json
import re
import sys

UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-"
                  r"[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$")
TOKEN = re.compile(r"^[^\W\d](?:[^\W]|[.\-])*$|^_(?:[^\W]|[.\-])*$")
DATETIME_TZ = re.compile(r"^(?:(?:2000|2400|2800|(?:19|2[0-9](?:0[48]|[2468][048]|"
                         r"[13579][26])))-02-29)|^[0-9]{4}-[0-9]{2}-[0-9]{2}T"
                         r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})$")


def fail(msg):
    print("oscal_check: " + msg)
    sys.exit(1)


def obj(v, where, required, allowed):
    if not isinstance(v, dict):
        fail(where + ": not an object")
    for k in required:
        if k not in v:
            fail(where + ": missing required '" + k + "'")
    for k in v:
        if k not in allowed:
            fail(where + ": '" + k + "' is not in the model")
    for k, x in v.items():
        if isinstance(x, list) and len(x) == 0:
            fail(where + "." + k + ": empty array (minItems 1)")


def uuid(v, where):
    if not isinstance(v, str) or not UUID.match(v):
        fail(where + ": not an OSCAL UUID: %r" % (v,))


def dt(v, where):
    if not isinstance(v, str) or not DATETIME_TZ.match(v):
        fail(where + ": not a date-time with time zone: %r" % (v,))


def check(doc):
    obj(doc, "$", ["assessment-results"], ["assessment-results", "$schema"])
    ar = doc["assessment-results"]
    obj(ar, "ar", ["uuid", "metadata", "import-ap", "results"],
        ["uuid", "metadata", "import-ap", "local-definitions", "results",
         "back-matter"])
    uuid(ar["uuid"], "ar.uuid")
    md = ar["metadata"]
    obj(md, "metadata", ["title", "last-modified", "version", "oscal-version"],
        ["title", "published", "last-modified", "version", "oscal-version",
         "revisions", "document-ids", "props", "links", "roles", "locations",
         "parties", "responsible-parties", "actions", "remarks"])
    dt(md["last-modified"], "metadata.last-modified")
    if not re.match(r"^1\.1\.[0-9]+$", md["oscal-version"]):
        fail("metadata.oscal-version: not 1.1.x")
    obj(ar["import-ap"], "import-ap", ["href"], ["href", "remarks"])
    for i, r in enumerate(ar["results"]):
        w = "results[%d]" % i
        obj(r, w, ["uuid", "title", "description", "start", "reviewed-controls"],
            ["uuid", "title", "description", "start", "end", "props", "links",
             "local-definitions", "reviewed-controls", "attestations",
             "assessment-log", "observations", "risks", "findings", "remarks"])
        uuid(r["uuid"], w + ".uuid")
        dt(r["start"], w + ".start")
        if "end" in r:
            dt(r["end"], w + ".end")
        rc = r["reviewed-controls"]
        obj(rc, w + ".reviewed-controls", ["control-selections"],
            ["description", "props", "links", "control-selections",
             "control-objective-selections", "remarks"])
        for s in rc["control-selections"]:
            obj(s, w + ".control-selections[]", [],
                ["description", "props", "links", "include-all",
                 "include-controls", "exclude-controls", "remarks"])
            for c in s.get("include-controls", []):
                obj(c, "include-controls[]", ["control-id"],
                    ["control-id", "statement-ids"])
                if not TOKEN.match(c["control-id"]):
                    fail("control-id not a token: " + c["control-id"])
        uuids = set()
        for j, o in enumerate(r.get("observations", [])):
            ow = w + ".observations[%d]" % j
            obj(o, ow, ["uuid", "description", "methods", "collected"],
                ["uuid", "title", "description", "props", "links", "methods",
                 "types", "origins", "subjects", "relevant-evidence",
                 "collected", "expires", "remarks"])
            uuid(o["uuid"], ow + ".uuid")
            dt(o["collected"], ow + ".collected")
            for m in o["methods"]:
                if m not in ("EXAMINE", "INTERVIEW", "TEST", "UNKNOWN"):
                    fail(ow + ": method " + m)
            for e in o.get("relevant-evidence", []):
                obj(e, ow + ".relevant-evidence[]", ["description"],
                    ["href", "description", "props", "links", "remarks"])
            uuids.add(o["uuid"])
        for j, f in enumerate(r.get("findings", [])):
            fw = w + ".findings[%d]" % j
            obj(f, fw, ["uuid", "title", "description", "target"],
                ["uuid", "title", "description", "props", "links", "origins",
                 "target", "implementation-statement-uuid",
                 "related-observations", "related-risks", "remarks"])
            uuid(f["uuid"], fw + ".uuid")
            t = f["target"]
            obj(t, fw + ".target", ["type", "target-id", "status"],
                ["type", "target-id", "title", "description", "props",
                 "links", "status", "implementation-status", "remarks"])
            if t["type"] not in ("statement-id", "objective-id"):
                fail(fw + ".target.type: " + t["type"])
            if not TOKEN.match(t["target-id"]):
                fail(fw + ".target.target-id not a token")
            obj(t["status"], fw + ".target.status", ["state"],
                ["state", "reason", "remarks"])
            if t["status"]["state"] not in ("satisfied", "not-satisfied"):
                fail(fw + ".target.status.state: " + t["status"]["state"])
            for ro in f.get("related-observations", []):
                obj(ro, fw + ".related-observations[]", ["observation-uuid"],
                    ["observation-uuid"])
                if ro["observation-uuid"] not in uuids:
                    fail(fw + ": related observation not defined")


def main():
    doc = json.load(open(sys.argv[1]))
    if len(sys.argv) > 2:
        import jsonschema
        jsonschema.validate(doc, json.load(open(sys.argv[2])))
        print("oscal_check: valid against " + sys.argv[2])
        return
    check(doc)
    print("oscal_check: structure of OSCAL 1.1 assessment-results ok")


main()
