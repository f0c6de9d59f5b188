#!/usr/bin/env python3
"""slow_client.py - misbehaving HTTP clients for the server's hardening
tests.  Standard library only; every mode is bounded in time.

  slow_client.py polls HOST PORT N PATH ETAG
      open N long polls (If-None-Match: ETAG, Prefer: wait=120), wait
      until the server has them, print "answered K" (how many were
      answered at once instead of held), then close every socket.
  slow_client.py conns HOST PORT N SECONDS [SOURCE]
      open up to N idle connections from SOURCE (default 127.0.0.1),
      print "open K" (how many the server kept after a moment), then
      hold them for SECONDS.
  slow_client.py body HOST PORT stall|trickle SECONDS
      POST /v1/reports with Content-Length 65536 and send half of it
      (stall) or 64 bytes every 0.5 s (trickle); print "closed T" with
      the seconds until the server closed the connection, or
      "open T" when it was still open after SECONDS.
"""
import select
import socket
import sys
import time


def connect(host, port, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        s.bind((source, 0))
    s.settimeout(5)
    s.connect((host, port))
    return s


def polls(host, port, n, path, etag):
    socks = []
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nIf-None-Match: %s\r\n"
           "Prefer: wait=120\r\n\r\n" % (path, host, etag)).encode()
    for _ in range(n):
        try:
            s = connect(host, port)
            s.sendall(req)
            socks.append(s)
        except OSError:
            break
    time.sleep(1.0)
    answered = 0
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if r:
            answered += 1
    print("sent %d answered %d" % (len(socks), answered), flush=True)
    for s in socks:
        s.close()


def conns(host, port, n, seconds, source):
    socks = []
    for _ in range(n):
        try:
            socks.append(connect(host, port, source))
        except OSError:
            break
    time.sleep(1.0)
    alive = 0
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            alive += 1
        else:
            try:
                if s.recv(1, socket.MSG_PEEK):
                    alive += 1
            except OSError:
                pass
    print("open %d" % alive, flush=True)
    time.sleep(seconds)
    for s in socks:
        s.close()


def closed(s):
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(4096) == b""
    except OSError:
        return True


def body(host, port, mode, seconds):
    s = connect(host, port)
    s.sendall(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: text/plain\r\nContent-Length: 65536\r\n\r\n")
    start = time.time()
    if mode == "stall":
        s.sendall(b"a" * 32768)
    while time.time() - start < seconds:
        if closed(s):
            print("closed %.1f" % (time.time() - start), flush=True)
            return
        if mode == "trickle":
            try:
                s.sendall(b"a" * 64)
            except OSError:
                print("closed %.1f" % (time.time() - start), flush=True)
                return
        time.sleep(0.5)
    print("open %.1f" % (time.time() - start), flush=True)


def main(argv):
    if len(argv) >= 6 and argv[1] == "polls":
        polls(argv[2], int(argv[3]), int(argv[4]), argv[5], argv[6])
    elif len(argv) >= 6 and argv[1] == "conns":
        conns(argv[2], int(argv[3]), int(argv[4]), min(float(argv[5]), 120),
              argv[6] if len(argv) > 6 else None)
    elif len(argv) == 6 and argv[1] == "body":
        body(argv[2], int(argv[3]), argv[4], min(float(argv[5]), 120))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
