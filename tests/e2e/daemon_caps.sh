#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Resource caps of morgued against clients that ask for too much: snippet
# markers and reply sizes (no reply amplification), queries whose positional
# check would hold a worker for seconds, and clients that never read their
# replies. Every case gets its documented error, and the daemon keeps
# answering everyone else.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

# The bundled corpus plus 400 generated articles full of "the": a NEAR that
# repeats "the" is costly to check on them.
gen_articles "$TMP/the.jsonl" 400 the '" ".join("the word%d of the text" % k for k in range(100))'
DB=$TMP/db
check "index the corpus and 400 generated articles" build_index "$DB" "$MORGUE_ROOT/corpus" "$TMP/the.jsonl"
IPC=ipc://$TMP/morgued.sock
start_daemon d --db "$DB" --bind "$IPC" --workers 2
ok $? "morgued gets ready"
main_pid=$DPID

# ask.py ENDPOINT REQUEST_JSON: one request on a REQ socket; prints
# "CODE MESSAGE" for an error reply, "ok HITS" for a success, "timeout".
cat >"$TMP/ask.py" <<'PYEOF'
import json, sys
import zmq
ctx = zmq.Context()
s = ctx.socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])
s.send(sys.argv[2].encode())
if not s.poll(20000):
    print("timeout")
    sys.exit(0)
r = json.loads(s.recv())
if r["ok"]:
    print("ok", len(r.get("hits", [])))
else:
    print(r["error"]["code"], r["error"]["message"])
PYEOF
ask() { $PY "$TMP/ask.py" "$IPC" "$1"; }

# The issue's 64 KB request: 32 KB start and end markers.
big=$($PY -c 'import json; m="<"*32000; print(json.dumps({"v":1,"op":"search","query":"the","limit":50,"snippet":{"start":m,"end":m.replace("<",">")}}))')
out=$(ask "$big")
check_eq "32 KB snippet markers: bad_request naming the field" \
  "bad_request field 'snippet.start' is over 64 bytes" "$out"
m64=$($PY -c 'print("<" * 64)')
out=$(ask "{\"v\":1,\"op\":\"search\",\"query\":\"the\",\"limit\":1000,\"snippet\":{\"bytes\":2000,\"start\":\"$m64\",\"end\":\"$m64\"}}")
check_match "limit 1000, 2,000-byte snippets and 64-byte markers: answered (or too_big)" '^(ok [0-9]+|too_big .*)$' "$out"

# The query of death: a NEAR of 64 times "the".
qod=$($PY -c 'print(" NEAR/100 ".join(["the"] * 64))')
out=$(ask "{\"v\":1,\"op\":\"search\",\"query\":\"$qod\"}")
check_match "NEAR/100 of 64 times 'the': too_costly before matching" '^too_costly too costly: a NEAR of 64 words' "$out"
out=$(ask '{"v":1,"op":"search","query":"the NEAR/5 word1 NEAR/5 text"}')
check_match "a NEAR of distinct words still runs" '^ok [1-9]' "$out"
out=$("$CLIENT" --db "$DB" search "$qod" 2>&1)
check_match "offline, the same query gets the same error" 'too_costly' "$out"

# Ten clients that send 60 searches each (replies of about 800 KB) and never
# read: without a cap on the bytes queued per client they pinned 450 MB.
out=$($PY "$PYDIR/hoarders.py" "$IPC" "$DPID" 10 60 \
  '{"v":1,"op":"search","query":"the","limit":400,"snippet":{"bytes":2000}}')
echo "$out" | sed -n 1,2p | sed 's/^/# /'
rss=$(echo "$out" | sed -n 's/^rss_mb //p')
if ldd "$MORGUE_BUILD/morgued" | grep -q libasan; then
  ok 0 "10 clients that never read: under 300 MB (${rss:-?} MB) # SKIP AddressSanitizer's own memory"
else
  ok $(( ${rss:-9999} < 300 ? 0 : 1 )) "10 clients that never read: the daemon stays under 300 MB (${rss:-?} MB)"
fi
check_match "a fresh client is still answered" '^fresh ok$' "$out"
check_match "the dropped replies are counted in stats" '"queue_full": [1-9]' "$out"

# The time budget: a query that takes tens of milliseconds here is cut
# after 1 ms and marked partial; without a budget it is whole.
ask_raw() { $PY -c 'import json, sys, zmq
s = zmq.Context().socket(zmq.REQ); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[1])
s.send(sys.argv[2].encode()); print(s.recv().decode() if s.poll(20000) else "timeout")' "$@"; }
slow=$($PY -c 'print(" OR ".join(["(the NEAR/100 of)"] * 30))')
slow_req="{\"v\":1,\"op\":\"search\",\"query\":\"$slow\"}"
facets_req="{\"v\":1,\"op\":\"search\",\"query\":\"$slow\",\"facets\":[\"source\"]}"
for b in 1 0; do
  start_daemon "b$b" --db "$DB" --bind "ipc://$TMP/b$b.sock" --workers 1 --query-budget-ms $b
  ok $? "morgued --query-budget-ms $b gets ready"
  eval "out_$b=\$(ask_raw ipc://\$TMP/b\$b.sock \"\$slow_req\")"
  [ "$b" = 1 ] && out_cursor=$(ask_raw "ipc://$TMP/b1.sock" "${slow_req%\}},\"cursor\":true}")
  eval "facets_$b=\$(ask_raw ipc://\$TMP/b\$b.sock \"\$facets_req\")"
  stop_daemon "$DPID" "b$b"
done
check_match "--query-budget-ms 1: the reply is ok and marked partial" '^\{"v":1,"ok":true,.*"partial":true' "$out_1"
check_match "--query-budget-ms 0: the reply is ok" '^\{"v":1,"ok":true,"took_us":[0-9]+,"total":' "$out_0"
check_match "--query-budget-ms 1: an export page cut short is an error, not a gap" \
  '^\{"v":1,"ok":false,.*"code":"too_costly".*export' "$out_cursor"
case $out_0 in *'"partial"'*) ok 1 "--query-budget-ms 0: the reply is whole (not partial)" ;;
  *) ok 0 "--query-budget-ms 0: the reply is whole (not partial)" ;; esac
# A cut search counts what it saw, and says that the count is not exact:
# its bounds hold the whole search's count (before, the matcher took the
# deadline for the end of the matches and claimed an exact count of them)
for kind in out facets; do
  eval "cut=\$${kind}_1 whole=\$${kind}_0"
  $PY - "$cut" "$whole" <<'PYEOF'
import json, sys
cut, whole = json.loads(sys.argv[1]), json.loads(sys.argv[2])
c, w = cut["total"], whole["total"]
good = (cut.get("partial") and not whole.get("partial") and w["exact"] and not c["exact"]
        and c["lower"] < w["estimate"] <= c["upper"] and c["lower"] <= c["estimate"] <= c["upper"])
print("# cut %s partial %s; whole %s" % (c, cut.get("partial"), w))
sys.exit(0 if good else 1)
PYEOF
  ok $? "--query-budget-ms 1 ($kind): the count of a cut search is not exact, its bounds hold the whole count"
done
DPID=$main_pid

# Slow clients hold all workers but one: with --slow-ms 0 every client that
# searched is a slow one, so two clients looping searches on two workers
# park one another's searches; every search is still answered, and so is
# every ping.
start_daemon s --db "$DB" --bind "ipc://$TMP/s.sock" --workers 2 --slow-ms 0
ok $? "morgued --slow-ms 0 gets ready"
out=$($PY "$PYDIR/loopers.py" "ipc://$TMP/s.sock" 2 200 "the word1 text")
echo "$out" | sed -n 1,2p | sed 's/^/# /'
check_match "two clients looping searches: all 400 answered" '^searches 400/400 ok$' "$out"
check_match "meanwhile every ping is answered" '^pings ([0-9]+)/\1 ok$' "$out"
check_match "searches were parked behind the other slow client's" '"parked": [1-9]' "$out"
stop_daemon "$DPID" s
DPID=$main_pid

out=$("$CLIENT" --endpoint "$IPC" --json search "military parade")
check_match "the daemon still answers a normal query" '"ok":true' "$out"
stop_daemon "$DPID" d
