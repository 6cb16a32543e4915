# SPDX-License-Identifier: GPL-2.0-or-later
"""Many client connections against a morgued with few file descriptors.
A client connected before the flood must still be answered during it, and
the index reopened (SIGHUP); once the flood's connections close, a new
client must be answered. Prints "flood at cap|not at cap", "reload sent",
"veteran ok|timeout", "flood closed|not closed", "fresh ok|timeout".

usage: fd_flood.py ENDPOINT DAEMON_PID CONNECTIONS DAEMON_LOG"""
import json
import os
import signal
import sys

import zmq

from flood import context, flood, wait_flooded, wait_until

endpoint, pid, n, log = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = context(n)


def req_socket():
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    return s


def answered(s, req, timeout_ms=10000):
    s.send(json.dumps(req).encode())
    return s.poll(timeout_ms) and json.loads(s.recv()).get("ok") is True


def stats(s):
    s.send(b'{"v":1,"op":"stats"}')
    if not s.poll(10000):
        sys.exit("no reply to stats")
    return json.loads(s.recv()).get("daemon", {})


def logged(text):
    with open(log, errors="replace") as f:
        return text in f.read()


veteran = req_socket()
# the search opens the index's tables now, not at the limit
answered(veteran, {"v": 1, "op": "search", "query": "military parade"})
socks = flood(ctx, endpoint, n)
flooded = wait_flooded(lambda: stats(veteran), n)
print("flood", "at cap" if flooded else "not at cap", flush=True)
os.kill(pid, signal.SIGHUP)
print("reload sent", flush=True)
wait_until(lambda: logged("reload: SIGHUP"))  # the daemon has taken the signal
ok = answered(veteran, {"v": 1, "op": "search", "query": "military parade"})
print("veteran", "ok" if ok else "timeout", flush=True)
for s in socks:
    s.close()
closed = wait_until(lambda: stats(veteran).get("connections") == 1)
print("flood", "closed" if closed else "not closed", flush=True)
fresh = req_socket()
print("fresh", "ok" if answered(fresh, {"v": 1, "op": "ping"}, 15000) else "timeout", flush=True)
veteran.close()
fresh.close()
ctx.term()
