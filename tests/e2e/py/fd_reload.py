# SPDX-License-Identifier: GPL-2.0-or-later
"""An index update and a rebuild while more client connections are open than
morgued's descriptor limit allows. A client connected before the flood
searches for a word only the update's article holds, then one only the
rebuild's holds, until it finds it (the daemon reloaded the index) or 15 s
pass; meanwhile the `morgue` client asks for a ping. Prints one line each:
"flood at cap|not at cap", "update seen|missed MS", "rebuild seen|missed MS",
"fresh EXIT MS OUTPUT", "stats CONNECTIONS CAP REFUSED".

usage: fd_reload.py ENDPOINT CONNECTIONS DB INDEXER CLIENT UPDATE_JSONL REBUILD_INPUT..."""
import json
import subprocess
import sys
import time

import zmq

from flood import context, flood, wait_flooded

endpoint, n, db, indexer, client, update = sys.argv[1:7]
n = int(n)
rebuild_inputs = sys.argv[7:]
ctx = context(n)

veteran = ctx.socket(zmq.REQ)
veteran.setsockopt(zmq.LINGER, 0)
veteran.connect(endpoint)


def ask(req, timeout_ms=5000):
    veteran.send(json.dumps(req).encode())
    if not veteran.poll(timeout_ms):
        sys.exit("the veteran client got no reply to %s" % req["op"])
    return json.loads(veteran.recv())


def hits(word):
    r = ask({"v": 1, "op": "search", "query": word, "relax": False})
    return len(r.get("hits", [])) if r.get("ok") else -1


ask({"v": 1, "op": "search", "query": "military parade"})  # tables opened before the flood
socks = flood(ctx, endpoint, n)
flooded = wait_flooded(lambda: ask({"v": 1, "op": "stats"}).get("daemon", {}), n)
print("flood", "at cap" if flooded else "not at cap", flush=True)


def reindex(args, word, what):
    subprocess.run([indexer, "--db", db, "--quiet"] + args, check=True)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 15:
        if hits(word) > 0:
            print(what, "seen", int((time.monotonic() - t0) * 1000), flush=True)
            return
        time.sleep(0.05)
    print(what, "missed", int((time.monotonic() - t0) * 1000), flush=True)


reindex([update], "zanzibarupdate", "update")
reindex(["--rebuild"] + rebuild_inputs, "zanzibarrebuild", "rebuild")

t0 = time.monotonic()
p = subprocess.run([client, "--endpoint", endpoint, "--timeout", "2000", "--retries", "1", "ping"],
                   capture_output=True, text=True)
ms = int((time.monotonic() - t0) * 1000)
print("fresh", p.returncode, ms, (p.stdout + p.stderr).strip().replace("\n", " | "), flush=True)

d = ask({"v": 1, "op": "stats"}).get("daemon", {})
print("stats", d.get("connections"), d.get("connection_cap"), d.get("connections_refused"),
      flush=True)
for s in socks:
    s.close()
veteran.close()
ctx.term()
