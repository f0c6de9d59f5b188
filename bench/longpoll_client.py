#!/usr/bin/env python3
"""Hold N long polls on a server and report what it costs it.

usage: longpoll_client.py HOST PORT PATH ETAG N WAIT SERVER_PID

Opens N connections, each sending one GET with If-None-Match: ETAG and
Prefer: wait=WAIT, waits until the server's lockstep_longpolls_held gauge
reaches N (bounded), then prints "held H rss_kib R" (RSS of SERVER_PID)
and closes everything.
"""
import socket
import sys
import time
import urllib.request


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def held(host, port):
    url = f"http://{host}:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("lockstep_longpolls_held "):
                return int(line.split()[1])
    return -1


def main():
    host, port, path, etag = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    n, wait, pid = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    req = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nIf-None-Match: {etag}\r\n"
           f"Prefer: wait={wait}\r\n\r\n").encode()
    socks = []
    deadline = time.time() + 60
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(req)
        socks.append(s)
        if time.time() > deadline:
            break
    h = -1
    for _ in range(100):            # at most ~20 s
        h = held(host, port)
        if h >= n:
            break
        time.sleep(0.2)
    time.sleep(0.5)
    print(f"held {h} rss_kib {rss_kib(pid)}")
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
