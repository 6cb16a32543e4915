#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Searching a sharded index (docs/scaling.md). Reuters split into 3 shards,
# served by xapian-tcpsrv on this host's loopback (tests/e2e/shards_netns.sh
# does it across hosts): morgued on the topology answers as morgued on the
# single index does: the top 100 ids of each query in the same order with
# the same scores (within 1e-9), the exact totals, facets, newest-first
# pages, pages with copies apart, get and get with copies. The same for the local shards of
# a generation of morgue-index --shards, and their relevance+recency pages
# with each hit's copy count (two-stage over local shards). A shard with a replica fails over
# to it with nothing missing; with both gone the reply is partial and names
# the shard; get of an article there is "unavailable", not "not_found"; an
# export refuses to skip it; a wrong topology stops morgued at start.
#
# `make test` runs it on the first 8,000 articles and 40 queries (plus
# facets, sorts and gets on 4 of them, 3 ways); SHARDS_FULL=1 on all 21,578
# articles and 200 queries: `SHARDS_FULL=1 bash tests/run.sh build shards_search`.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"
source "$MORGUE_ROOT/tests/e2e/shards_helpers.bash"

need_tcpsrv "sharded search"
if [ "${SHARDS_FULL:-0}" = 1 ]; then
  cp "$REUTERS" "$TMP/part.jsonl"; NQ=200
else
  head -n 8000 "$REUTERS" >"$TMP/part.jsonl"; NQ=40
fi
$PY "$MORGUE_ROOT/bench/query/genqueries.py" "$TMP/part.jsonl" $NQ >"$TMP/queries.txt"

"$INDEX" --db "$TMP/single" --quiet "$TMP/part.jsonl" 2>/dev/null
"$INDEX" --db "$TMP/sharded" --shards 3 --quiet "$TMP/part.jsonl" 2>/dev/null
check "a single index and one of 3 shards built" test -d "$TMP/single" -a -f "$TMP/sharded/XAPIANDB"

free_ports 6
# serve N DB: serve_db on PORTS[N]; SRV[N] is its pid.
declare -A SRV
serve() {
  serve_db "${PORTS[$1]}" "$2"
  SRV[$1]=$SERVED
}
G=$(readlink -f "$TMP/sharded")
serve 0 "$G/s0"; serve 1 "$G/s1"; serve 2 "$G/s2"; serve 3 "$G/s1" # 3: a replica of shard 1
for p in 0 1 2 3; do wait_port "${PORTS[$p]}"; done
printf 'remote 127.0.0.1:%s\nremote 127.0.0.1:%s 127.0.0.1:%s\nremote 127.0.0.1:%s\n' \
  "${PORTS[0]}" "${PORTS[1]}" "${PORTS[3]}" "${PORTS[2]}" >"$TMP/topology"

start_daemon single --db "$TMP/single" --bind tcp://127.0.0.1:* --query-budget-ms 0 || exit 1
EP1=$TCP_EP
start_daemon remote --db "$TMP/topology" --bind tcp://127.0.0.1:* --query-budget-ms 0 \
  --shard-timeout-ms 1000 || exit 1
EP2=$TCP_EP
start_daemon local --db "$TMP/sharded" --bind tcp://127.0.0.1:* --query-budget-ms 0 || exit 1
EP3=$TCP_EP

# compare NAME EP [recency]: shard_compare.py's verdict on EP against the
# single index.
compare() {
  local r
  r=$($PY "$PYDIR/shard_compare.py" "$EP1" "$2" "$TMP/queries.txt" $NQ ${3:-})
  diag "$1: $r"
  check_match "$1: the same replies as the single index ($NQ queries, top 100)" \
    '"differ": \[\], "max_score_diff": [0-9.e-]+, "partial": 0' "$r"
  check "$1: scores within 1e-9" $PY -c 'import json,sys; sys.exit(json.loads(sys.argv[1])["max_score_diff"] > 1e-9)' "$r"
}
compare "3 remote shards" "$EP2"
compare "3 local shards" "$EP3" recency

# Over remote shards relevance+recency re-ranks the best 1,000 by relevance.
r=$($PY "$PYDIR/shard_compare.py" "$EP1" "$EP2" "$TMP/queries.txt" 20 recency-remote)
diag "3 remote shards, relevance+recency: $r"
check_match "3 remote shards: relevance+recency re-ranks the best 1,000 hits by relevance" \
  '"differ": \[\], .*"partial": 0' "$r"
check "3 remote shards: recency changed the first page of some queries" \
  $PY -c 'import json,sys; sys.exit(json.loads(sys.argv[1]).get("recency_moved", 0) < 1)' "$r"

# One of shard 1's two servers dies: its replica answers, nothing missing.
kill -9 -- -"${SRV[1]}"
r=$($PY "$PYDIR/shard_compare.py" "$EP1" "$EP2" "$TMP/queries.txt" 10)
check_match "a replica down: the other serves the shard, the same replies" '"differ": \[\], .*"partial": 0' "$r"
check_match "morgued logged the replica down" "shard 127.0.0.1:${PORTS[1]} unreachable" "$(cat "$TMP/remote.log")"

# Both gone: partial, the shard named; the others still answer.
kill -9 -- -"${SRV[3]}"
partial_reply() { r=$("$CLIENT" --endpoint "$EP2" --json search oil); grep -q '"partial":true' <<<"$r"; }
wait_for 5 partial_reply
check_match "both replicas down: the reply is partial and names the shard" \
  "\"partial\":true,\"missing_shards\":\[\"127.0.0.1:${PORTS[1]} 127.0.0.1:${PORTS[3]}\"\]" "$r"
check_match "with the hits of the other shards" '"hits":\[\{"rank":1' "$r"
id=$(xapian-delve -1 -A Q "$G/s1" | sed -n '2s/^Q//p')
r=$("$CLIENT" --endpoint "$EP2" --json get "$id")
check_match "get of an article of the missing shard: unavailable, not not_found" '"code":"unavailable"' "$r"
"$CLIENT" --endpoint "$EP2" --format jsonl search oil >/dev/null 2>"$TMP/export.err"
check "an export does not skip the missing shard: it fails" test $? -ne 0
check_match "saying why" 'unreachable: an export page must not skip' "$(cat "$TMP/export.err")"
serve 1 "$G/s1"
wait_port "${PORTS[1]}"
full_reply() { r=$("$CLIENT" --endpoint "$EP2" --json search oil); ! grep -q partial <<<"$r"; }
wait_for 5 full_reply
check "back: full replies again" eval '! grep -q partial <<<"$r"'

# A shard host's nightly --rebuild publishes a new generation at the same
# Xapian revision (1): morgued, connecting again every second, serves it.
head -n 100 "$TMP/part.jsonl" >"$TMP/a.jsonl"
head -n 300 "$TMP/part.jsonl" >"$TMP/b.jsonl"
"$INDEX" --db "$TMP/own" --shards 3 --shard 2 --quiet "$TMP/a.jsonl" 2>/dev/null
serve 4 "$TMP/own"
wait_port "${PORTS[4]}"
printf 'remote 127.0.0.1:%s\n' "${PORTS[4]}" >"$TMP/own.topology"
start_daemon own --db "$TMP/own.topology" --bind 'tcp://127.0.0.1:*' || exit 1
docs() { "$CLIENT" --endpoint "$TCP_EP" --json stats | $PY -c 'import json,sys; print(json.load(sys.stdin)["stats"]["documents"])'; }
before=$(docs)
"$INDEX" --db "$TMP/own" --shards 3 --shard 2 --rebuild --quiet "$TMP/b.jsonl" 2>/dev/null
after=$(xapian-delve "$TMP/own" | sed -n 's/number of documents = //p')
served_after() { [ "$(docs)" = "$after" ]; }
wait_for 1.5 served_after
check_eq "a rebuild on the shard host ($before -> $after articles) is served within 1.5 s" "$after" "$(docs)"

printf 'remote 127.0.0.1:%s\nremote nohost\n' "${PORTS[0]}" >"$TMP/bad"
"$DAEMON" --db "$TMP/bad" --bind tcp://127.0.0.1:* 2>"$TMP/bad.log" &
wait $!
check_eq "a wrong topology: morgued exits 1" 1 $?
check_match "naming the line" 'bad:2: "nohost" is not HOST:PORT' "$(cat "$TMP/bad.log")"

echo "1..$_tap_n"
