#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Can clients looping costly queries starve everyone else? Starts morgued
(2 workers) on an index, runs CLIENTS clients that send QUERY again and
again, and measures the latency of pings from one more client, one at a
time, for SECONDS. A benchmark, not a test: the numbers depend on the
machine and its load.

usage: bench/query_of_death.py MORGUED DB [--query Q] [--clients 2]
           [--seconds 10] [--budget-ms N] [--workers 2]
Prints one JSON line: ping p50/p99/max (ms), pings sent, the bad clients'
replies and how they ended (ok, partial, error codes)."""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import zmq

ap = argparse.ArgumentParser()
ap.add_argument("morgued")
ap.add_argument("db")
ap.add_argument("--query", default=" NEAR/100 ".join(["the"] * 64))
ap.add_argument("--clients", type=int, default=2)
ap.add_argument("--seconds", type=float, default=10)
ap.add_argument("--budget-ms", type=int, default=None)
ap.add_argument("--workers", type=int, default=2)
a = ap.parse_args()

tmp = tempfile.mkdtemp(prefix="qod.")
ep = "ipc://%s/d.sock" % tmp
pidf = "%s/d.pid" % tmp
cmd = [a.morgued, "--db", a.db, "--bind", ep, "--workers", str(a.workers), "--pidfile", pidf,
       "--log-level", "warn"]
if a.budget_ms is not None:
    cmd += ["--query-budget-ms", str(a.budget_ms)]
d = subprocess.Popen(cmd)
for _ in range(400):
    if os.path.exists(pidf) and os.path.getsize(pidf):
        break
    time.sleep(0.05)
ctx = zmq.Context()
stop = time.time() + a.seconds
outcomes = collections.Counter()
bad_ms = []


def bad_client():
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(ep)
    req = json.dumps({"v": 1, "op": "search", "query": a.query}).encode()
    while time.time() < stop:
        t0 = time.time()
        s.send(req)
        if not s.poll(60000):
            outcomes["timeout"] += 1
            break
        r = json.loads(s.recv())
        bad_ms.append((time.time() - t0) * 1000)
        if not r["ok"]:
            outcomes[r["error"]["code"]] += 1
        else:
            outcomes["partial" if r.get("partial") else "ok"] += 1
    s.close()


threads = [threading.Thread(target=bad_client) for _ in range(a.clients)]
for t in threads:
    t.start()
time.sleep(0.5)  # the bad clients are looping
s = ctx.socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.connect(ep)
lat = []
while time.time() < stop:
    t0 = time.perf_counter()
    s.send(b'{"v":1,"op":"ping"}')
    if not s.poll(60000):
        break
    s.recv()
    lat.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.005)
s.close()
for t in threads:
    t.join()
d.terminate()
d.wait()
ctx.term()
lat.sort()
bad_ms.sort()


def q(v, p):
    return round(v[min(len(v) - 1, int(p * len(v)))], 2) if v else None


print(json.dumps({"morgued": a.morgued, "budget_ms": a.budget_ms, "clients": a.clients,
                  "workers": a.workers, "query": a.query[:60], "pings": len(lat),
                  "ping_p50_ms": q(lat, 0.5), "ping_p99_ms": q(lat, 0.99),
                  "ping_max_ms": q(lat, 1.0), "bad_replies": dict(outcomes),
                  "bad_p50_ms": q(bad_ms, 0.5)}))
