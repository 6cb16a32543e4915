# SPDX-License-Identifier: GPL-2.0-or-later
"""Query a running morgued in a loop from several threads until STOPFILE
exists, checking every reply; meanwhile probe for words that the test adds
to the index, and record when each first shows up.

usage: loader.py ENDPOINT STATEDIR CHECK_QUERY CHECK_ID PROBE=ID...
Writes STATEDIR/started after the first good reply, STATEDIR/seen-PROBE
(holding the time.time() it was first found) and, at the end, prints one
JSON line: {"replies": N, "bad": [first few bad replies], "seen": {...}}.
A probe that a reply held must be in every reply to a later request."""
import json
import os
import sys
import threading
import time

import zmq

endpoint, state, check_query, check_id = sys.argv[1:5]
probes = dict(p.split("=", 1) for p in sys.argv[5:])
stopfile = os.path.join(state, "stop")
ctx = zmq.Context()
lock = threading.Lock()
replies = 0
bad = []
seen = {}


def ask(sock, query):
    sock.send(json.dumps({"v": 1, "op": "search", "query": query, "limit": 20}).encode())
    if not sock.poll(5000):
        return None
    return json.loads(sock.recv())


def worker(n):
    global replies
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    i = 0
    while not os.path.exists(stopfile):
        i += 1
        probe = list(probes)[(i // 3) % len(probes)] if probes and i % 3 == 0 else None
        sent = time.time()
        r = ask(s, probe or check_query)
        now = time.time()
        ids = [h["id"] for h in r.get("hits", [])] if r else []
        with lock:
            replies += 1
            if probe:
                # A probe may legitimately find nothing yet, but it must be ok.
                good = r is not None and r.get("ok") is True
                # Once one reply held it, no later request may miss it (all
                # workers serve the new index from then on).
                if probe in seen and sent > seen[probe] and probes[probe] not in ids:
                    good = False
                if good and probes[probe] in ids and probe not in seen:
                    seen[probe] = now
                    with open(os.path.join(state, "seen-" + probe), "w") as f:
                        f.write("%.3f\n" % now)
            else:
                good = r is not None and r.get("ok") is True and check_id in ids
                if good and not os.path.exists(os.path.join(state, "started")):
                    open(os.path.join(state, "started"), "w").close()
            if not good:
                bad.append(r)
                if r is None:  # a lost reply leaves the REQ socket stuck
                    s.close()
                    s = ctx.socket(zmq.REQ)
                    s.setsockopt(zmq.LINGER, 0)
                    s.connect(endpoint)
    s.close()


threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"replies": replies, "bad": bad[:5], "nbad": len(bad), "seen": seen}))
ctx.term()
