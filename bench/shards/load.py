# SPDX-License-Identifier: GPL-2.0-or-later
"""Search a morgued with CLIENTS clients (one request in flight each) for
SECONDS, the queries of QUERIES in turn (limit 10, no snippets); print one
JSON line: requests, failed, qps, p50_ms, p99_ms (latency seen by the
client: send to reply).

usage: load.py ENDPOINT QUERIES SECONDS CLIENTS"""
import json
import sys
import threading
import time

import zmq

endpoint, qfile, seconds, clients = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
queries = [l.strip() for l in open(qfile) if l.strip()]
ctx = zmq.Context()
lat, failed, lock = [], [0], threading.Lock()


def client(n):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    i = n * 997
    mine, bad = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        i += 1
        req = json.dumps({"v": 1, "op": "search", "query": queries[i % len(queries)],
                          "limit": 10, "snippet": False})
        t = time.monotonic()
        s.send(req.encode())
        if not s.poll(10000):
            bad += 1
            s.close()
            s = ctx.socket(zmq.REQ)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(endpoint)
            continue
        ok = json.loads(s.recv()).get("ok") is True
        mine.append(time.monotonic() - t)
        bad += not ok
    with lock:
        lat.extend(mine)
        failed[0] += bad


# warm-up: every query once
w = ctx.socket(zmq.REQ)
w.connect(endpoint)
for q in queries:
    w.send(json.dumps({"v": 1, "op": "search", "query": q, "limit": 10, "snippet": False}).encode())
    if not w.poll(10000):
        print(json.dumps({"error": "no reply in the warm-up"}))
        sys.exit(1)
    w.recv()
w.close()
ts = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
t0 = time.monotonic()
for t in ts:
    t.start()
for t in ts:
    t.join()
took = time.monotonic() - t0
lat.sort()
q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 3) if lat else None
print(json.dumps({"requests": len(lat), "failed": failed[0], "qps": round(len(lat) / took, 1),
                  "p50_ms": q(0.5), "p99_ms": q(0.99)}))
