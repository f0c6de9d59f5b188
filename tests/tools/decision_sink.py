#!/usr/bin/env python3
"""decision_sink.py - a minimal POST /v1/decisions receiver for the agent
tests (stdlib only).  It stores every batch it accepts as DIR/N.jsonl
(the uncompressed lines) and DIR/N.note (the signed note, decoded from
the Lockstep-Batch header), answers 200 with the accepted range, and 200
"duplicate" for a byte-identical resend.  It does not check signatures:
python's stdlib has no ed25519, so the test runs `lockstep note verify`
on the stored notes.  Usage: decision_sink.py DIR PORTFILE [--fail N | --discard]
(--fail N: answer 503 to the first N batches, for retry tests;
--discard: answer 200 without storing, so a benchmark on the same
machine measures the agent and not this receiver)."""
import base64, gzip, hashlib, http.server, json, os, sys

DIR, PORTFILE = sys.argv[1], sys.argv[2]
FAIL = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--fail" else 0
DISCARD = len(sys.argv) > 3 and sys.argv[3] == "--discard"
seen = {}
count = [0]
failed = [0]


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n > 8 << 20:
            return self.answer(413, {"error": "too big"})
        body = self.rfile.read(n)
        if self.path == "/v1/reports" or self.path == "/v1/enroll":
            return self.answer(200, {})
        if self.path != "/v1/decisions":
            return self.answer(404, {})
        if DISCARD:
            return self.answer(200, {"accepted": 0})
        if failed[0] < FAIL:
            failed[0] += 1
            return self.answer(503, {"error": "try later"})
        try:
            lines = gzip.decompress(body)
            note = base64.b64decode(self.headers["Lockstep-Batch"], validate=True)
        except Exception as e:
            return self.answer(400, {"error": str(e)})
        sha = hashlib.sha256(lines).hexdigest()
        if sha in seen:
            return self.answer(200, {"duplicate": True})
        if ("sha256 %s\n" % sha).encode() not in note:
            return self.answer(400, {"error": "sha256 mismatch"})
        count[0] += 1
        k = count[0]
        with open(os.path.join(DIR, "%06d.jsonl" % k), "wb") as f:
            f.write(lines)
            f.flush()
            os.fsync(f.fileno())
        with open(os.path.join(DIR, "%06d.note" % k), "wb") as f:
            f.write(note)
            f.flush()
            os.fsync(f.fileno())
        seen[sha] = k
        ls = lines.splitlines()
        self.answer(200, {"accepted": len(ls),
                          "first": json.loads(ls[0])["seq"],
                          "last": json.loads(ls[-1])["seq"], "index": k})


s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % s.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
s.serve_forever()
