#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A dead shard host does not take search down (docs/scaling.md), on four
# hosts made of network namespaces (tests/e2e/netns.bash): an index host
# builds the two shards of a part of Reuters, each for the host that serves
# it (morgue-index --shards 2 --shard K); two shard hosts serve them with
# xapian-tcpsrv; a query host runs morgued on the topology and three
# clients searching in a loop. Shard 1's server is killed (SIGKILL to it
# and its connections) and started again, then its cable is cut (ip link set
# down) and plugged back. Every request is answered ok; while the shard is
# away the replies are marked partial and name it in missing_shards; every
# request sent 2 s after its return gets full results; morgued logs each
# going and each return once. Skipped where namespaces cannot be made.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"
source "$MORGUE_ROOT/tests/e2e/netns.bash"

if ! command -v xapian-tcpsrv >/dev/null; then
  echo "ok 1 - multi-host shards # SKIP no xapian-tcpsrv (Debian's xapian-tools)"; echo "1..1"; exit 0
fi
if ! netns_init; then
  echo "ok 1 - multi-host shards # SKIP $NETNS_WHY"; echo "1..1"; exit 0
fi
now() { $PY -c 'import time; print("%.6f" % time.time())'; }
mark() { echo "$1 $(now)" >>"$TMP/marks"; }

netns_host index 1 && netns_host shard1 2 && netns_host shard2 3 && netns_host query 4
check "four hosts on the switch" test $? -eq 0
check "the test's own namespace has no address among the hosts'" eval '! ip -o addr | grep -q "10\.77\.0\."'

# The index host builds each shard for its host (the file system is shared:
# each database goes where its host reads it).
head -n 6000 "$REUTERS" >"$TMP/part.jsonl"
for k in 0 1; do
  netns_run index "$INDEX" --db "$TMP/shard$((k + 1))/db" --shards 2 --shard $k --threads 1 --quiet \
    "$TMP/part.jsonl" 2>"$TMP/index$k.log" &
done
wait
n1=$(xapian-delve "$TMP/shard1/db" | sed -n 's/number of documents = //p')
n2=$(xapian-delve "$TMP/shard2/db" | sed -n 's/number of documents = //p')
check_eq "the two shards hold the 6,000 articles between them" 6000 $((n1 + n2))

for h in 1 2; do
  netns_spawn shard$h xapian-tcpsrv --quiet --port 7000 "$TMP/shard$h/db" 2>>"$TMP/srv.log"
  eval "SRV$h=$SPAWNED"
done
check "both shard servers answer from the query host" \
  eval 'netns_wait_port query 10.77.0.2 7000 && netns_wait_port query 10.77.0.3 7000'

printf 'remote 10.77.0.2:7000\nremote 10.77.0.3:7000\n' >"$TMP/topology"
EP=tcp://127.0.0.1:5599
# (no time budget: a reply it cut would be partial too, with no shard missing)
netns_spawn query "$DAEMON" --db "$TMP/topology" --bind $EP --workers 2 --shard-timeout-ms 300 \
  --query-budget-ms 0 \
  --pidfile "$TMP/d.pid" 2>"$TMP/d.log"
DPID=$SPAWNED
wait_for 5 test -s "$TMP/d.pid"
check "morgued on the query host is ready" test -s "$TMP/d.pid"
docs=$(netns_run query "$CLIENT" --endpoint $EP --json stats | $PY -c 'import json,sys; print(json.load(sys.stdin)["stats"]["documents"])')
check_eq "morgued serves both shards" 6000 "$docs"

mkdir -p "$TMP/load"
netns_run query $PY "$PYDIR/shard_load.py" $EP "$TMP/load" 3 oil "trade deficit" '"central bank"' \
  "wheat OR corn" &
LOADER=$!
at_exit "touch $TMP/load/stop; kill $LOADER 2>/dev/null"
wait_for 5 test -e "$TMP/load/started"
sleep 1 # not a wait: a second of load with every shard up

mark away1
kill -9 -- -"$SRV1" # the server and its connections, as a crash would
sleep 1.5 # not a wait: the outage lasts 1.5 s
mark back1
netns_spawn shard1 xapian-tcpsrv --quiet --port 7000 "$TMP/shard1/db" 2>>"$TMP/srv.log"
sleep 3 # not a wait: load after the return
mark away2
netns_link shard1 down
sleep 2 # not a wait: the link is down 2 s
mark back2
netns_link shard1 up
sleep 3 # not a wait: load after the return
touch "$TMP/load/stop"
wait $LOADER

r=$($PY "$PYDIR/shard_events.py" "$TMP/load/events.json" "$TMP/marks" 10.77.0.2:7000)
diag "$r"
get() { printf '%s' "$r" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, d))' "$1"; }
check "hundreds of requests during the test ($(get requests))" test "$(get requests)" -ge 200
check_eq "no request failed or went unanswered" 0 "$(get failed)"
check_eq "partial replies only while the shard is away, naming it alone" 0 "$(get partial_wrong)"
check "server killed: the replies meanwhile are partial ($(get 'outage1["partial"]') of $(get 'outage1["during"]'))" \
  test "$(get 'outage1["partial"]')" -gt 0
check "server back: full results $(get 'outage1["full_after_s"]') s after its return, none partial 2 s after" \
  test "$(get 'outage1["full_after_s"]')" != None -a "$(get 'outage1["partial_late"]')" = 0
check "link cut: the replies meanwhile are partial ($(get 'outage2["partial"]') of $(get 'outage2["during"]'))" \
  test "$(get 'outage2["partial"]')" -gt 0
check "link back: full results $(get 'outage2["full_after_s"]') s after its return, none partial 2 s after" \
  test "$(get 'outage2["full_after_s"]')" != None -a "$(get 'outage2["partial_late"]')" = 0
check_eq "morgued logged the shard going away once per outage" 2 \
  "$(grep -c 'shard 10.77.0.2:7000 unreachable' "$TMP/d.log")"
check_eq "and coming back once per outage" 2 \
  "$(grep -c 'shard 10.77.0.2:7000 answers again' "$TMP/d.log")"

out=$(netns_run query "$CLIENT" --endpoint $EP search oil 2>&1 >/dev/null)
check_eq "all up: the client prints no warning" "" "$out"
kill -9 -- -"$SPAWNED"
warned() { out=$(netns_run query "$CLIENT" --endpoint $EP search oil 2>&1 >/dev/null); [ -n "$out" ]; }
wait_for 3 warned
check_match "a shard down: the client prints one warning line naming it" \
  '^morgue: warning: partial results: shard 10.77.0.2:7000 unreachable' "$out"

kill -TERM "$DPID"
echo "1..$_tap_n"
