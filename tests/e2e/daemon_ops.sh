#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgued for operators: the query log as text and as JSON (--log-format),
# the slow-query log (--log-slow-ms), a get of an unknown id counted apart
# from errors, the Prometheus exposition of "metrics" / `morgue stats
# --prometheus` (checked by a parser of the text format), and tagged
# requests pipelined on one DEALER socket.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
check "index the bundled corpus" build_index "$DB" "$MORGUE_ROOT/corpus"
IPC=ipc://$TMP/ops.sock

# --- JSON log, slow-query log at 0 ms (every request). One worker: each
# reply is counted before the next request is taken, so counts are exact. ---
start_daemon j --db "$DB" --bind "$IPC" --workers 1 --log-queries --log-format json --log-slow-ms 0
ok $? "morgued --log-format json --log-slow-ms 0 gets ready"
"$CLIENT" --endpoint "$IPC" search '"military parade"' >/dev/null
check_eq "search with a quoted phrase: exit 0" 0 $?
"$CLIENT" --endpoint "$IPC" get no-such-id >/dev/null 2>&1
check_eq "get of an unknown id: exit 1" 1 $?
"$CLIENT" --endpoint "$IPC" search 'parade AND (' >/dev/null 2>&1
check_eq "a bad query: exit 2" 2 $?
st=$("$CLIENT" --endpoint "$IPC" --json stats)
read -r errors not_found <<<"$($PY -c 'import json,sys; d=json.load(sys.stdin)["daemon"]; print(d["errors"], d["not_found"])' <<<"$st")"
check_eq "stats: the bad query is an error" 1 "$errors"
check_eq "stats: the unknown id is not_found, not an error" 1 "$not_found"
"$CLIENT" --endpoint "$IPC" stats --prometheus >"$TMP/metrics.txt"
check_eq "morgue stats --prometheus: exit 0" 0 $?
$PY "$PYDIR/promcheck.py" <"$TMP/metrics.txt" >"$TMP/prom.out"
check_eq "the exposition parses (HELP/TYPE, samples, histogram buckets monotone, +Inf == count)" ok "$(head -1 "$TMP/prom.out")"
val() { awk -v n="$1" '$1 == n {print $2}' "$TMP/prom.out"; }
check_eq "metrics: 4 requests before this one" 4 "$(val morgued_requests_total)"
check_eq "metrics: the histogram counts them" 4 "$(val morgued_request_duration_seconds_count)"
check_eq "metrics: one error" 1 "$(val morgued_errors_total)"
check_eq "metrics: one not_found" 1 "$(val morgued_not_found_total)"
check_eq "metrics: the index's documents" 53 "$(val morgued_index_documents)"
check_match "metrics: the index's revision" '^[0-9]+$' "$(val morgued_index_revision)"
check_match "metrics: undelivered, queue_full and parked are exposed" \
  'morgued_undelivered_total 0.*morgued_queue_full_total 0.*morgued_parked_total 0' "$(tr '\n' ' ' <"$TMP/prom.out")"
if [ -f "$MORGUE_ROOT/lib/version.h" ]; then
  version=$(sed -n 's/^#define MORGUE_VERSION "\(.*\)"$/\1/p' "$MORGUE_ROOT/lib/version.h")
  check_match "metrics: build info with the release" "^morgued_build_info\\{version=\"$version\"\\} 1$" "$(cat "$TMP/metrics.txt")"
else
  ok 0 "metrics: build info with the release # SKIP no lib/version.h in this tree"
fi
"$CLIENT" --endpoint "$IPC" --json stats --prometheus >"$TMP/metrics.json"
check_eq "--json stats --prometheus: the reply, its text in \"metrics\"" ok \
  "$($PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("ok" if r["ok"] and r["metrics"].startswith("# HELP") else r)' "$TMP/metrics.json")"
"$CLIENT" --endpoint "$IPC" ping --prometheus >/dev/null 2>&1
check_eq "--prometheus is for stats only: exit 2" 2 $?

# Pipelined requests on a DEALER socket: every reply carries its tag.
$PY - "$IPC" >"$TMP/pipe.out" <<'PYEOF'
import json, sys, zmq
s = zmq.Context().socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 10000)
s.connect(sys.argv[1])
reqs = {"a": {"v": 1, "op": "search", "query": "parade", "limit": 1},
        "b": {"v": 1, "op": "get", "id": "no-such-id"},
        "c": {"v": 1, "op": "metrics"},
        "d": {"v": 1, "op": "search", "query": "\"open"}}
for tag, r in reqs.items():
    r["tag"] = tag
    s.send_multipart([b"", json.dumps(r).encode()])
got = {}
for _ in reqs:
    frames = s.recv_multipart()
    rep = json.loads(frames[-1])
    got[rep.get("tag")] = rep
print(" ".join(sorted(got)))
print(got["a"]["ok"], got["b"]["error"]["code"], "metrics" in got["c"], got["d"]["error"]["code"])
PYEOF
check_eq "pipelined: one reply per tag" "a b c d" "$(sed -n 1p "$TMP/pipe.out")"
check_eq "pipelined: each reply is its request's" "True not_found True unbalanced_quote" "$(sed -n 2p "$TMP/pipe.out")"
stop_daemon "$DPID" j

# Every line of the JSON log is one object; the query lines have the fields.
$PY - "$TMP/j.log" >"$TMP/jlog.out" <<'PYEOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
objs = [json.loads(l) for l in lines]
for o in objs:
    assert {"time", "level", "pid", "event"} <= set(o), o
q = [o for o in objs if o["event"] == "query"]
slow = [o for o in objs if o["event"] == "slow_query"]
need = {"client", "op", "took_us", "hits", "error", "request"}
assert all(need <= set(o) for o in q + slow), q
search = next(o for o in q if o["op"] == "search" and o["error"] is None)
nf = next(o for o in q if o["op"] == "get")
bad = next(o for o in q if o["error"] == "unbalanced_paren")
print(len(lines) == len(objs), len(q), len(slow), search["hits"], search["level"],
      json.loads(search["request"])["query"], nf["error"], nf["level"], bad["level"],
      all(o["level"] == "warn" for o in slow), search["client"].startswith("local:"))
PYEOF
check_eq "JSON log: every line an object; query and slow_query lines with their fields" \
  'True 10 10 3 info "military parade" not_found info info True True' "$(cat "$TMP/jlog.out")"

# --- text log: the request as sent (no \x5c for a backslash), a high
# slow-query threshold logs nothing ---
start_daemon t --db "$DB" --bind "$IPC" --workers 1 --log-queries --log-slow-ms 600000
ok $? "morgued --log-slow-ms 600000 gets ready"
"$CLIENT" --endpoint "$IPC" search '"military parade"' >/dev/null
stop_daemon "$DPID" t
log=$(cat "$TMP/t.log")
check_match "text log: the quoted phrase as sent" 'info: query: ok [0-9]+us hits=3 client=local:[^ ]* \{"v":1,"op":"search","query":"\\"military parade\\""' "$log"
check "text log: no \\x5c" bash -c '! grep -q "x5c" "$1"' _ "$TMP/t.log"
check "text log: nothing over 600000 ms" bash -c '! grep -q "slow_query" "$1"' _ "$TMP/t.log"
"$DAEMON" --db "$DB" --log-format xml >/dev/null 2>&1; check_eq "--log-format xml: exit 2" 2 $?
"$DAEMON" --db "$DB" --log-slow-ms -1 >/dev/null 2>&1; check_eq "--log-slow-ms -1: exit 2" 2 $?
