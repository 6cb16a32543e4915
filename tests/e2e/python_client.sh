#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# client/python/morgue_client.py against a real morgued: the calls of the C
# library (search, get, stats, values, metrics, ping), server errors, tags,
# per-call timeouts and attempts, pipelined requests through send/recv and
# fileno(), a shared context, CURVE, a missing ipc socket said at once and
# a timeout where nothing listens.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
check "index the bundled corpus" build_index "$DB" "$MORGUE_ROOT/corpus"
K=$TMP/keys
make_keys "$K" server alice
check_eq "CURVE keys made" 0 $?
cp "$K/alice.pub" "$K/allowed/"
IPC=ipc://$TMP/py.sock
start_daemon d --db "$DB" --bind "$IPC" --bind 'tcp://127.0.0.1:*' --workers 2 \
  --curve-secret "$K/server.key" --curve-allow "$K/allowed"
ok $? "morgued gets ready"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

PYTHONPATH=$MORGUE_ROOT/client/python $PY - "$IPC" "$TCP_EP" "$K" "$port" "$TMP" <<'PYEOF'
import select, sys, zmq
import morgue_client as mc
ipc, tcp, keys, port, tmp = sys.argv[1:]
n = 0
def ok(cond, what):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))

def raises(exc, fn):
    try:
        fn()
    except exc as e:
        return e
    return None

with mc.Client(ipc) as c:
    r = c.search("military parade", limit=3)
    ok(r["ok"] and "pd-2025-0001" in [h["id"] for h in r["hits"]], "search: the hit")
    ok(len(r["hits"]) <= 3 and r["total"]["estimate"] >= 1, "search: limit and total")
    r = c.search("kim", limit=0, terms=3)
    ok([t["word"] for t in r["terms"]] == ["jong", "un", "military"] and r["terms_sample"] == 5,
       "search with terms=3: the words of the five kim articles")
    ok(c.get("pd-2025-0001")["title"].startswith("Kim Jong-un"), "get: the article")
    e = raises(mc.ServerError, lambda: c.get("no-such-id"))
    ok(e is not None and e.server_code == "not_found", "get of an unknown id: ServerError not_found")
    e = raises(mc.ServerError, lambda: c.search('"open'))
    ok(e is not None and e.server_code == "unbalanced_quote" and e.reply["ok"] is False,
       "bad query: ServerError with its code and the reply")
    e = raises(mc.ServerError, lambda: c.search("x", limt=1))
    ok(e is not None and e.server_code == "bad_request", "unknown field: bad_request")
    st = c.stats()
    ok(st["stats"]["documents"] == 53 and st["daemon"]["not_found"] == 1, "stats: documents, not_found")
    v = c.values("source", limit=2)
    ok(len(v["values"]) == 2, "values")
    m = c.metrics()
    ok("# TYPE morgued_request_duration_seconds histogram" in m, "metrics: Prometheus text")
    ok(c.ping() >= 0, "ping")
    # tags, ok and error, and per-call settings
    r = c.request({"v": 1, "op": "ping"}, tag="t-1", timeout_ms=5000, attempts=1)
    ok(r.get("tag") == "t-1", "request: the tag comes back")
    r = c.request({"v": 1, "op": "get", "id": "nope"}, tag="t-2")
    ok(r.get("tag") == "t-2" and r["ok"] is False, "an error reply carries the tag")
    r = c.request('{"v":1,"op":"ping","tag":7}')
    ok(r["error"]["code"] == "bad_request", "a tag that is not a string: bad_request")
    ok(raises(mc.MorgueError, lambda: c.request({"v": 1, "op": "ping"}, tag="x" * 257)) is not None,
       "a tag over 256 bytes is refused before sending")
    # pipelined through send/recv, polled on fileno()
    fd = c.fileno()
    tags = ["p%d" % i for i in range(6)]
    for t in tags:
        for _ in range(500):
            if c.send({"v": 1, "op": "search", "query": "parade", "limit": 1}, tag=t):
                break
            select.select([], [], [], 0.01)
        else:
            ok(False, "send: connected")
    got = {}
    for _ in range(200):
        while True:
            x = c.recv()
            if x is None:
                break
            got[x[1]] = x[0]
        if len(got) == len(tags):
            break
        select.select([fd], [], [], 0.1)
    ok(sorted(got) == tags and all(r["ok"] for r in got.values()),
       "six requests in flight: six replies, matched by tag")

# a shared context
ctx = zmq.Context()
a, b = mc.Client(ipc, context=ctx), mc.Client(ipc, context=ctx)
ok(a.ping() >= 0 and b.ping() >= 0, "two clients on one context")
a.close(); b.close(); ctx.term()

# CURVE over tcp
with mc.Client(tcp, server_key=keys + "/server.pub", secret_key=keys + "/alice.key") as c:
    ok("pd-2025-0001" in [h["id"] for h in c.search("military parade")["hits"]], "CURVE: answered")

# no daemon
with mc.Client("ipc://%s/nobody.sock" % tmp, timeout_ms=2000, retries=0) as c:
    e = raises(mc.NoSocket, c.ping)
    ok(e is not None and "no daemon at ipc://" in str(e), "missing ipc socket: NoSocket at once")
with mc.Client("tcp://127.0.0.1:%s" % port, timeout_ms=100, retries=1) as c:
    e = raises(mc.Timeout, c.ping)
    ok(e is not None and "2 attempts of 100 ms" in str(e), "nothing listening: Timeout after the attempts")
    e = raises(mc.Timeout, lambda: c.ping(timeout_ms=50, attempts=3))
    ok(e is not None and "3 attempts of 50 ms" in str(e), "per-call timeout and attempts")
ok(raises(mc.MorgueError, lambda: mc.Client("http://x")) is not None, "bad endpoint refused")
PYEOF

# docs/client.md's Python example, verbatim
fence() { awk -v lang="$1" '/^```/ { if (on) { on = 0; next } if ($0 == "```" lang) { on = 1; next } } on' "$2"; }
fence python "$MORGUE_ROOT/docs/client.md" >"$TMP/example.py"
out=$(MORGUE_ENDPOINT=$IPC PYTHONPATH=$MORGUE_ROOT/client/python timeout 60 $PY "$TMP/example.py" 2>&1); rc=$?
check_eq "docs/client.md Python example: exit 0" 0 "$rc"
check_match "docs/client.md Python example: hits, not_found, three tagged replies" \
  "pd-2025-0001.*get: not_found.*\('q0', [0-9]+\), \('q1', [0-9]+\), \('q2', [0-9]+\)" "$(tr '\n' ' ' <<<"$out")"
stop_daemon "$DPID" d
