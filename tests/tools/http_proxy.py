#!/usr/bin/env python3
"""http_proxy.py - a small HTTP proxy for the agent's proxy tests.

  http_proxy.py --port-file FILE --log FILE

Forwards absolute-form requests (GET/POST http://host:port/path) and
tunnels CONNECT host:port, one thread per client; appends one line per
request to --log ("GET http://..." or "CONNECT host:port") so a test can
tell what went through it.  Listens on 127.0.0.1, port picked by the
kernel and written to --port-file.  Every socket has a 30 s timeout.
"""
import argparse
import select
import socket
import socketserver
import threading
import urllib.parse

LOG_LOCK = threading.Lock()


def log(path, line):
    with LOG_LOCK, open(path, "a") as f:
        f.write(line + "\n")


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk or len(data) > 65536:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def pump(a, b):
    socks = [a, b]
    while True:
        r, _, _ = select.select(socks, [], [], 30)
        if not r:
            return
        for s in r:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        c.settimeout(30)
        head, rest = read_head(c)
        if head is None:
            return
        method, target, _ = head.split("\r\n")[0].split(" ", 2)
        log(self.server.log, "%s %s" % (method, target))
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            up = socket.create_connection((host.strip("[]"), int(port)), 30)
            c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pump(c, up)
            return
        u = urllib.parse.urlsplit(target)
        up = socket.create_connection((u.hostname, u.port or 80), 30)
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        lines = head.split("\r\n")
        lines[0] = "%s %s HTTP/1.1" % (method, path)
        # One request per upstream connection, so close after it.
        lines = [l for l in lines if not l.lower().startswith("connection:")]
        lines.append("Connection: close")
        up.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + rest)
        pump(c, up)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.log = a.log
    with open(a.port_file + ".tmp", "w") as f:
        f.write("127.0.0.1:%d\n" % srv.server_address[1])
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
