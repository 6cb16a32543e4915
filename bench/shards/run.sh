#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench-shards: morgued on Reuters-21578 as one index, and split into
# 1, 2 and 4 shards, local (a generation of morgue-index --shards) and remote
# (each shard behind xapian-tcpsrv on a host of its own: network namespaces,
# tests/e2e/netns.bash; needs root, else the remote rows are left out).
# For each: a warm-up pass over the queries, then BENCH_SECONDS (default 10)
# of 1 client and of 4 clients; latency p50/p99 and QPS, one JSON line a row
# on stdout and a Markdown table at the end. BENCH_QUERIES (default 500)
# queries from bench/query/genqueries.py. The synthetic 1,000,000-article
# archive is not run here (its build alone takes longer than the bench's
# budget on a small machine): BENCH_CORPUS=FILE.jsonl names another corpus.
# BENCH_SETUPS="remote" leaves out the one index and the local shards.
set -u
B=${1:?usage: bench/shards/run.sh BUILD_DIR}
export MORGUE_BUILD=$(cd "$B" && pwd)
export MORGUE_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export MORGUE_CORPORA=${MORGUE_CORPORA:-$MORGUE_ROOT/../shared/corpora}
source "$MORGUE_ROOT/tests/e2e/lib.sh" >/dev/null
source "$MORGUE_ROOT/tests/e2e/netns.bash"
SECS=${BENCH_SECONDS:-10}
NQ=${BENCH_QUERIES:-500}
CORPUS=${BENCH_CORPUS:-$REUTERS}
LOAD="$PY $MORGUE_ROOT/bench/shards/load.py"

$PY "$MORGUE_ROOT/bench/query/genqueries.py" "$CORPUS" "$NQ" >"$TMP/queries.txt"
rows=()
# measure NAME ENDPOINT [HOST]: the two loads, from HOST's namespace if given.
measure() {
  local name=$1 ep=$2 host=${3:-} c r
  for c in 1 4; do
    if [ -n "$host" ]; then r=$(netns_run "$host" $LOAD "$ep" "$TMP/queries.txt" "$SECS" $c)
    else r=$($LOAD "$ep" "$TMP/queries.txt" "$SECS" $c); fi
    echo "{\"setup\": \"$name\", \"clients\": $c, \"result\": $r}"
    rows+=("| $name | $c | $($PY -c 'import json,sys; d=json.loads(sys.argv[1]); print("%s | %s | %s | %s" % (d["p50_ms"], d["p99_ms"], d["qps"], d["failed"]))' "$r") |")
  done
}
# daemon NAME ARGS...: morgued (2 workers, on the loopback of the namespace
# it runs in), waited for; DEP its endpoint.
daemon() {
  local name=$1; shift
  rm -f "$TMP/$name.pid"
  "$@" --workers 2 --pidfile "$TMP/$name.pid" 2>"$TMP/$name.log" &
  at_exit "kill $! 2>/dev/null"
  local i
  for ((i = 0; i < 200; i++)); do [ -s "$TMP/$name.pid" ] && break; sleep 0.05; done
}

SETUPS=${BENCH_SETUPS:-local remote}
"$INDEX" --db "$TMP/single" --quiet "$CORPUS" 2>/dev/null
if [[ $SETUPS == *local* ]]; then
  daemon single "$DAEMON" --db "$TMP/single" --bind tcp://127.0.0.1:5601
  measure "one index" tcp://127.0.0.1:5601
fi
for n in 1 2 4; do
  "$INDEX" --db "$TMP/local$n" --shards $n --quiet "$CORPUS" 2>/dev/null
  [[ $SETUPS == *local* ]] || continue
  daemon local$n "$DAEMON" --db "$TMP/local$n" --bind tcp://127.0.0.1:$((5610 + n))
  measure "$n local shards" tcp://127.0.0.1:$((5610 + n))
  kill "$(cat "$TMP/local$n.pid")"
done

if [[ $SETUPS != *remote* ]]; then
  :
elif netns_init; then
  netns_host query 1
  for n in 1 2 4; do
    topo=$TMP/remote$n.topology
    : >"$topo"
    g=$(readlink -f "$TMP/local$n")
    for ((k = 0; k < n; k++)); do
      h=$((10 * n + k + 2))
      netns_host s$n$k $h
      if [ "$n" = 1 ]; then db=$TMP/single; else db=$g/s$k; fi
      netns_spawn s$n$k xapian-tcpsrv --quiet --port 7000 "$db" 2>/dev/null
      echo "remote 10.77.0.$h:7000" >>"$topo"
      netns_wait_port query 10.77.0.$h 7000
    done
    daemon remote$n netns_run query "$DAEMON" --db "$topo" --bind tcp://127.0.0.1:5620
    measure "$n remote shards" tcp://127.0.0.1:5620 query
    kill "$(cat "$TMP/remote$n.pid")"
    sleep 0.3
  done
else
  echo "# remote shards left out: $NETNS_WHY" >&2
fi

echo
echo "| setup | clients | p50 ms | p99 ms | QPS | failed |"
echo "| --- | --: | --: | --: | --: | --: |"
printf '%s\n' "${rows[@]}"
