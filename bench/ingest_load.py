#!/usr/bin/env python3
"""ingest_load.py - a steady decision-ingest load for the evidence bench:
each uploader POSTs its pre-signed batches (bench/lib_ingest.sh's
DIR/u<u>/<b>.gz and .hdr) in order to URL/v1/decisions at RATE records/s
in all, until its batches run out, the time is up or SIGTERM.  A batch
that fails (the server restarting) is sent again after 50 ms; a resend is
idempotent on the server.  The URL is read again from PORT_FILE at every
retry, so the load follows a restarted server.  Prints on exit:
"load: A records acknowledged, R retries, S s".

  ingest_load.py DIR PORT_FILE UPLOADERS BATCHES RECORDS RATE SECONDS
"""
import http.client
import os
import signal
import sys
import threading
import time

d, port_file = sys.argv[1], sys.argv[2]
up, nb, nr = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rate, secs = float(sys.argv[6]), float(sys.argv[7])
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
acked = [0] * up
retries = [0] * up
gap = nr * up / rate  # seconds between one uploader's batches


def post(u, b):
    host = open(port_file).read().strip()
    body = open("%s/u%d/%d.gz" % (d, u + 1, b), "rb").read()
    hdr = open("%s/u%d/%d.hdr" % (d, u + 1, b)).read().strip()
    c = http.client.HTTPConnection(host, timeout=30)
    try:
        c.request("POST", "/v1/decisions", body,
                  {"Content-Type": "application/gzip", "Lockstep-Batch": hdr})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def run(u):
    t_next = time.monotonic() + gap * u / up
    for b in range(nb):
        while not stop.is_set():
            stop.wait(max(0.0, t_next - time.monotonic()))
            if stop.is_set():
                return
            try:
                st = post(u, b)
            except (OSError, http.client.HTTPException):
                st = 0
            if st == 200:
                acked[u] += nr
                break
            retries[u] += 1
            t_next = time.monotonic() + 0.05
        t_next += gap


t0 = time.monotonic()
ths = [threading.Thread(target=run, args=(u,), daemon=True) for u in range(up)]
for t in ths:
    t.start()
while not stop.is_set() and any(t.is_alive() for t in ths) and \
        time.monotonic() - t0 < secs:
    stop.wait(0.2)
stop.set()
for t in ths:
    t.join(35)
print("load: %d records acknowledged, %d retries, %.1f s"
      % (sum(acked), sum(retries), time.monotonic() - t0))
