#!/usr/bin/env python3
"""hostile_mirror.py - a mirror of lockstep-server's --data folder that
applies one manipulation at a time, for the agent's attack tests.

  hostile_mirror.py --data DIR --control FILE --port-file F [--upstream URL]

GET /v1/... serves DIR/v1/... with a strong ETag (sha256) and 304 on
If-None-Match; it never holds a long poll.  POST is forwarded to
--upstream (the real server) so reports and enrolment still work.

The control file is re-read on every request; each line is
"KIND ACTION [ARG]" where KIND is timestamp, release, bundle, root or any:
  flip            flip one bit in the middle of the body
  append N        serve N extra bytes after the real body
  endless         a body that never ends (chunked)
  slow S          the right Content-Length, then one byte every S seconds
  file PATH       serve PATH instead of the real file
  overlay DIR     look the path up in DIR first, then in --data
  status N        answer HTTP status N
  fakehold [W]    at once, 304 with the real ETag and
                  "Preference-Applied: wait=W" (30): a long poll that
                  claims to have been held but was not
An empty or missing control file means: serve faithfully.
Standard library only.
"""
import argparse
import hashlib
import http.server
import os
import socketserver
import sys
import time
import urllib.error
import urllib.request

ARGS = None
MAX_SLOW_SECONDS = 600  # a slow body gives up after this long


def kind_of(path):
    if path.startswith("/v1/root/"):
        return "root"
    if path.startswith("/v1/bundles/"):
        return "bundle"
    if path.startswith("/v1/channels/") and path.endswith("/timestamp.note"):
        return "timestamp"
    if path.startswith("/v1/channels/") and "/releases/" in path:
        return "release"
    return "other"


def rules_for(kind):
    rules = []
    try:
        with open(ARGS.control, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] in (kind, "any"):
                    rules.append(parts[1:])
    except FileNotFoundError:
        pass
    return rules


def safe_join(root, urlpath):
    rel = os.path.normpath(urlpath.lstrip("/"))
    if rel.startswith("..") or os.path.isabs(rel):
        return None
    return os.path.join(root, rel)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("mirror: " + (fmt % args) + "\n")

    def send_plain(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        kind = kind_of(path)
        rules = rules_for(kind)
        data = None
        for r in rules:
            if r[0] == "status":
                return self.send_plain(int(r[1]))
            if r[0] == "file":
                with open(r[1], "rb") as f:
                    data = f.read()
            if r[0] == "overlay" and data is None:
                p = safe_join(r[1], path)
                if p and os.path.isfile(p):
                    with open(p, "rb") as f:
                        data = f.read()
        if data is None:
            p = safe_join(ARGS.data, path)
            if not p or not os.path.isfile(p):
                return self.send_plain(404, b"not found\n")
            with open(p, "rb") as f:
                data = f.read()
        for r in rules:
            if r[0] == "flip" and data:
                i = len(data) // 2
                data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
            elif r[0] == "append":
                data = data + b"\0" * int(r[1])
        for r in rules:
            if r[0] == "fakehold":
                return self.fakehold(data, r[1] if len(r) > 1 else "30")
        for r in rules:
            if r[0] == "endless":
                return self.endless()
            if r[0] == "slow":
                return self.slow(data, float(r[1]))
        etag = '"' + hashlib.sha256(data).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(data)

    def fakehold(self, data, wait):
        self.send_response(304)
        self.send_header("ETag", '"%s"' % hashlib.sha256(data).hexdigest())
        self.send_header("Preference-Applied", "wait=%d" % int(wait))
        self.end_headers()

    def endless(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"\0" * 65536
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        deadline = time.time() + MAX_SLOW_SECONDS
        try:
            while time.time() < deadline:
                self.wfile.write(frame)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def slow(self, data, every):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        deadline = time.time() + MAX_SLOW_SECONDS
        try:
            for b in data:
                if time.time() > deadline:
                    break
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(every)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n > 1 << 20:
            return self.send_plain(413)
        body = self.rfile.read(n)
        if not ARGS.upstream:
            return self.send_plain(405)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() in ("content-type", "x-lockstep-enroll-token",
                                 "authorization")}
        req = urllib.request.Request(ARGS.upstream.rstrip("/") + self.path,
                                     data=body, headers=hdrs, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                code, out = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            code, out = e.code, e.read()
        except (urllib.error.URLError, OSError):
            code, out = 502, b"upstream down\n"
        self.send_plain(code, out)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionResetError,
                                          BrokenPipeError)):
            return  # the agent hung up on purpose (caps, timeouts)
        super().handle_error(request, client_address)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--upstream", default="")
    ARGS = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("127.0.0.1:%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
