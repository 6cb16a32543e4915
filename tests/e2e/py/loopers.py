# SPDX-License-Identifier: GPL-2.0-or-later
"""Clients that loop a search, one request at a time each, and one more that
pings meanwhile, against a running morgued. Prints "searches N/M ok"
(replies that were ok, of those sent), "pings N/M ok" and the daemon's
"stats" reply.

usage: loopers.py ENDPOINT CLIENTS SEARCHES_EACH QUERY"""
import json
import sys
import threading

import zmq

endpoint, nclients, each, query = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = zmq.Context()
ok = [0] * nclients
done = threading.Event()


def ask(s, req):
    s.send(json.dumps(req).encode())
    return json.loads(s.recv()) if s.poll(30000) else None


def looper(i):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    for _ in range(each):
        r = ask(s, {"v": 1, "op": "search", "query": query})
        if not r:
            break
        ok[i] += r.get("ok") is True
    s.close()


threads = [threading.Thread(target=looper, args=(i,)) for i in range(nclients)]
for t in threads:
    t.start()
p = ctx.socket(zmq.REQ)
p.setsockopt(zmq.LINGER, 0)
p.connect(endpoint)
pings = pong = 0
while any(t.is_alive() for t in threads):
    pings += 1
    r = ask(p, {"v": 1, "op": "ping"})
    if not r:
        break
    pong += r.get("ok") is True
for t in threads:
    t.join()
print("searches %d/%d ok" % (sum(ok), nclients * each))
print("pings %d/%d ok" % (pong, pings))
print(json.dumps(ask(p, {"v": 1, "op": "stats"})))
p.close()
ctx.term()
