# SPDX-License-Identifier: GPL-2.0-or-later
"""Search a running morgued from THREADS threads in a loop until STATEDIR/stop
exists, and record every request: when it was sent and answered, whether
it was answered (within 5 s) and ok, partial, and the shards missing.

usage: shard_load.py ENDPOINT STATEDIR THREADS QUERY...
Writes STATEDIR/started after the first reply and, at the end,
STATEDIR/events.json: [[sent, answered, ok, partial, [missing...]], ...]
(times from time.time(); answered is null for a request never answered)."""
import json
import os
import sys
import threading
import time

import zmq

endpoint, state, nthreads, queries = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
ctx = zmq.Context()
lock = threading.Lock()
events = []


def worker(n):
    s = None
    i = n
    while not os.path.exists(os.path.join(state, "stop")):
        if s is None:
            s = ctx.socket(zmq.REQ)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(endpoint)
        i += 1
        req = {"v": 1, "op": "search", "query": queries[i % len(queries)], "limit": 10}
        sent = time.time()
        s.send(json.dumps(req).encode())
        if not s.poll(5000):
            ev = [sent, None, False, False, []]
            s.close()
            s = None
        else:
            r = json.loads(s.recv())
            ev = [sent, time.time(), r.get("ok") is True, bool(r.get("partial")),
                  r.get("missing_shards", [])]
        with lock:
            events.append(ev)
            if len(events) == 1:
                open(os.path.join(state, "started"), "w").close()


threads = [threading.Thread(target=worker, args=(n,)) for n in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(os.path.join(state, "events.json"), "w") as f:
    json.dump(sorted(events), f)
