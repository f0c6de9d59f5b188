#!/usr/bin/env python3
"""keepalive_probe.py ADDR TOKEN ROUTE [SECONDS]

Agents keep their connections to the server open, so a request thread
that is busy holds every connection it serves.  This opens 16 keep-alive
connections, then asks each for /health over and over (10 ms apart, one
thread per connection) while GET ROUTE (with the bearer TOKEN) is
answered, until its first byte arrives; with ROUTE "-" for SECONDS
(default 3) instead, as the reference with nothing else running.  Prints
one line: the latency of the /health answers (p50, p99, max) and how many
connections waited over 1 s for one.  Every wait is bounded (300 s a
socket operation).
"""
import socket
import sys
import threading
import time

CONNS = 16


def connect(host, port):
    return socket.create_connection((host, port), timeout=300)


def ask(s, path, token=None, close=False):
    h = "GET %s HTTP/1.1\r\nHost: bench\r\n" % path
    if token:
        h += "Authorization: Bearer %s\r\n" % token
    if close:
        h += "Connection: close\r\n"
    s.sendall((h + "\r\n").encode())


def answer(s):
    """One answer on a keep-alive connection (Content-Length framed)."""
    d = b""
    while b"\r\n\r\n" not in d:
        c = s.recv(65536)
        if not c:
            raise IOError("connection closed")
        d += c
    head, body = d.split(b"\r\n\r\n", 1)
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(body) < n:
        c = s.recv(65536)
        if not c:
            raise IOError("connection closed")
        body += c


def main():
    addr, token, route = sys.argv[1:4]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    host, port = addr.rsplit(":", 1)
    port = int(port)
    conns = [connect(host, port) for _ in range(CONNS)]
    for s in conns:
        ask(s, "/health")
        answer(s)
    done = threading.Event()
    first = [None]

    def fetch():
        s = connect(host, port)
        ask(s, route, token, close=True)
        t0 = time.monotonic()
        c = s.recv(1 << 20)
        first[0] = time.monotonic() - t0
        done.set()
        while c:  # the rest, so the server's answer ends
            c = s.recv(1 << 20)
        s.close()

    lat, worst, lock = [], [0.0] * CONNS, threading.Lock()

    def poll(k):
        while not done.is_set():
            t0 = time.monotonic()
            ask(conns[k], "/health")
            answer(conns[k])
            d = time.monotonic() - t0
            with lock:
                lat.append(d)
            worst[k] = max(worst[k], d)
            time.sleep(0.01)

    pollers = [threading.Thread(target=poll, args=(k,))
               for k in range(CONNS)]
    if route == "-":
        threading.Timer(seconds, done.set).start()
    else:
        f = threading.Thread(target=fetch)
        f.start()
        time.sleep(0.05)  # the request is in before the polling starts
    for t in pollers:
        t.start()
    for t in pollers:
        t.join()
    if route != "-":
        f.join()
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

    what = ("during the %.1f s until its first byte" % first[0]
            if route != "-" else "with nothing else (%.0f s)" % seconds)
    print("%d /health answers on %d keep-alive connections %s: p50 %.2f ms,"
          " p99 %.2f ms, max %.0f ms; connections that waited over 1 s: %d"
          % (len(lat), CONNS, what, q(0.5), q(0.99), lat[-1] * 1000,
             sum(1 for w in worst if w > 1.0)))


if __name__ == "__main__":
    main()
