# SPDX-License-Identifier: GPL-2.0-or-later
"""Many client connections against a morgued with few file descriptors.
A client connected before the flood must still be answered during it, and
the index reopened (SIGHUP); once the flood's connections close, a new
client must be answered. Prints "veteran ok|timeout", "reload sent",
"fresh ok|timeout".

usage: fd_flood.py ENDPOINT DAEMON_PID CONNECTIONS"""
import json
import os
import signal
import sys
import time

import zmq

from flood import context, flood

endpoint, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ctx = context(n)


def req_socket():
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    return s


def answered(s, req, timeout_ms=10000):
    s.send(json.dumps(req).encode())
    return s.poll(timeout_ms) and json.loads(s.recv()).get("ok") is True


veteran = req_socket()
# the search opens the index's tables now, not at the limit
answered(veteran, {"v": 1, "op": "search", "query": "military parade"})
socks = flood(ctx, endpoint, n)
os.kill(pid, signal.SIGHUP)
print("reload sent", flush=True)
time.sleep(1)
ok = answered(veteran, {"v": 1, "op": "search", "query": "military parade"})
print("veteran", "ok" if ok else "timeout", flush=True)
for s in socks:
    s.close()
time.sleep(2)
fresh = req_socket()
print("fresh", "ok" if answered(fresh, {"v": 1, "op": "ping"}, 15000) else "timeout", flush=True)
veteran.close()
fresh.close()
ctx.term()
