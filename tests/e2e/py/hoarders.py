# SPDX-License-Identifier: GPL-2.0-or-later
"""Clients that send many requests and never read a reply, against a
running morgued; then a fresh client must still be answered. Prints the
daemon's resident memory once it has answered everything, as "rss_mb N",
then "fresh ok" (or "fresh timeout") and the daemon's "stats" reply.

usage: hoarders.py ENDPOINT DAEMON_PID CLIENTS REQUESTS REQUEST_JSON"""
import json
import sys
import time

import zmq

endpoint, pid, nclients, nreq, request = sys.argv[1:6]
nclients, nreq = int(nclients), int(nreq)
ctx = zmq.Context()


def ask(req, timeout_ms=20000):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    s.send(json.dumps(req).encode())
    r = json.loads(s.recv()) if s.poll(timeout_ms) else None
    s.close()
    return r


def rss_mb():
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


before = ask({"v": 1, "op": "stats"})["daemon"]["queries"]
hoarders = []
for i in range(nclients):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, 1)
    s.setsockopt(zmq.RCVBUF, 4096)
    s.connect(endpoint)
    hoarders.append(s)
for k in range(nreq):
    for s in hoarders:
        s.send(request.encode())
# wait until the daemon has answered (or dropped) every request
want = before + nclients * nreq
deadline = time.time() + 300
peak = 0
while time.time() < deadline:
    r = ask({"v": 1, "op": "stats"})
    peak = max(peak, rss_mb())
    if r and r["daemon"]["queries"] >= want:
        break
    time.sleep(0.2)
print("rss_mb", max(peak, rss_mb()), flush=True)
r = ask({"v": 1, "op": "ping"})
print("fresh", "ok" if r and r.get("ok") else "timeout", flush=True)
print(json.dumps(ask({"v": 1, "op": "stats"})), flush=True)
for s in hoarders:
    s.close()
ctx.term()
