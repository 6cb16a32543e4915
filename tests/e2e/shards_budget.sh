#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The time budget over remote shards (docs/scaling.md). Xapian's own time
# limit (Enquire::set_time_limit) arms a timer whose thread can write into
# the frame of a search that has returned: morgued never uses it. Over
# remote shards the match runs to its end and a reply later than
# --query-budget-ms is marked partial, with all its hits and whole counts.
# Reuters split into 3 shards behind xapian-tcpsrv on the loopback:
#   - morgued under strace creates no timer (and does connect to the shards);
#   - 2 clients x 1,000 searches with a 2 ms budget (first and later pages,
#     facets, newest first) are all answered ok, and morgued is still alive;
#   - with one shard behind a slow link (every chunk it sends held 20 ms)
#     and a 5 ms budget, every reply is late: ok, partial, and the same ids
#     and totals (exact ones exact) as the single index without a budget;
#     an export through it is served page after page (late pages are whole),
#     with the single index's ranking.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"
source "$MORGUE_ROOT/tests/e2e/shards_helpers.bash"

need_tcpsrv "budget over remote shards"
head -n 3000 "$REUTERS" >"$TMP/part.jsonl"
"$INDEX" --db "$TMP/single" --quiet "$TMP/part.jsonl" 2>/dev/null
"$INDEX" --db "$TMP/sharded" --shards 3 --quiet "$TMP/part.jsonl" 2>/dev/null
check "a single index and one of 3 shards built" test -d "$TMP/single" -a -f "$TMP/sharded/XAPIANDB"

free_ports 3
G=$(readlink -f "$TMP/sharded")
for k in 0 1 2; do serve_db "${PORTS[$k]}" "$G/s$k"; done
for k in 0 1 2; do wait_port "${PORTS[$k]}"; done
printf 'remote 127.0.0.1:%s\n' "${PORTS[@]}" >"$TMP/topology"

start_daemon single --db "$TMP/single" --bind 'tcp://127.0.0.1:*' --query-budget-ms 0 || exit 1
EP_SINGLE=$TCP_EP

# No timer: strace sees the workers connect to the shards, and no
# timer_create, over searches with a budget.
if ! strace -f -o /dev/null true 2>/dev/null; then
  _tap_n=$((_tap_n + 1))
  echo "ok $_tap_n - no timer over remote shards # SKIP strace cannot trace here"
else
  rm -f "$TMP/traced.pid"
  strace -f -qq -e trace=timer_create,connect -o "$TMP/strace.out" \
    "$DAEMON" --db "$TMP/topology" --bind 'tcp://127.0.0.1:*' --query-budget-ms 50 \
    --workers 2 --pidfile "$TMP/traced.pid" 2>"$TMP/traced.log" &
  at_exit "kill -9 $! 2>/dev/null"
  wait_for 30 test -s "$TMP/traced.pid"
  ep=$(grep -o 'ready: .*' "$TMP/traced.log" | grep -o 'tcp://[^ ]*' | head -1)
  r=$($PY "$PYDIR/budget_loop.py" "$ep" 16)
  check_match "traced morgued: 16 budgeted searches answered" '"sent": 16, "ok": 16,' "$r"
  kill -TERM "$(cat "$TMP/traced.pid")"
  wait_for 10 eval '! test -e "$TMP/traced.pid"'
  check_match "strace saw morgued connect to the shards" "connect\(.*htons\((${PORTS[0]}|${PORTS[1]}|${PORTS[2]})\)" "$(cat "$TMP/strace.out")"
  check "no timer created by searches with a budget over remote shards" \
    eval '! grep -q timer_create "$TMP/strace.out"'
  grep timer_create "$TMP/strace.out" | head -3 | sed 's/^/# /'
fi

# Many budgeted searches from two clients at once, with a budget about as
# long as a search (Xapian's timer, when it was used, crashed morgued
# within a few hundred of them).
start_daemon fast --db "$TMP/topology" --bind 'tcp://127.0.0.1:*' --query-budget-ms 2 || exit 1
FAST=$DPID
$PY "$PYDIR/budget_loop.py" "$TCP_EP" 1000 >"$TMP/loop1.out" &
loop1=$!
r=$($PY "$PYDIR/budget_loop.py" "$TCP_EP" 1000)
wait $loop1
diag "2 ms budget: $r; $(cat "$TMP/loop1.out")"
check_match "2 x 1,000 searches with a 2 ms budget over remote shards: all answered ok" \
  '"sent": 1000, "ok": 1000,.*"sent": 1000, "ok": 1000,' "$r $(cat "$TMP/loop1.out")"
check "morgued is alive after them" kill -0 "$FAST"

# A slow shard: every reply late, whole.
$PY "$PYDIR/slow_proxy.py" "${PORTS[2]}" 20 >"$TMP/proxy.port" 2>"$TMP/proxy.log" &
at_exit "kill $! 2>/dev/null"
wait_for 5 test -s "$TMP/proxy.port"
printf 'remote 127.0.0.1:%s\nremote 127.0.0.1:%s\nremote 127.0.0.1:%s\n' \
  "${PORTS[0]}" "${PORTS[1]}" "$(cat "$TMP/proxy.port")" >"$TMP/slow.topology"
start_daemon slow --db "$TMP/slow.topology" --bind 'tcp://127.0.0.1:*' --query-budget-ms 5 || exit 1
SLOW=$DPID
r=$($PY "$PYDIR/budget_loop.py" "$TCP_EP" 16 "$EP_SINGLE")
diag "slow shard, 5 ms budget: $r"
check_match "a slow shard and a 5 ms budget: 16 searches all ok and all partial (late)" \
  '"sent": 16, "ok": 16, "partial": 16,' "$r"
check_match "with the single index's ids and totals" '"differ": \[\]' "$r"
check "morgued is alive after them" kill -0 "$SLOW"

# An export through the slow shard: every page is late but whole, so it
# is served (a page the budget cut would be too_costly), page after page,
# with the single index's ranking.
field() { $PY -c 'import json,sys; v=json.loads(sys.stdin.read()).get(sys.argv[1]); print(v if isinstance(v, str) else json.dumps(v))' "$1"; }
a=$($PY "$PYDIR/export_pages.py" "$EP_SINGLE" oil 20 all)
b=$($PY "$PYDIR/export_pages.py" "$TCP_EP" oil 20 all)
diag "export through the slow shard: $(field pages <<<"$b") pages, error $(field error <<<"$b")"
check_eq "an export whose pages are late is served to its end" null "$(field error <<<"$b")"
check "in more than 3 pages" test "$(field pages <<<"$b")" -gt 3
check_eq "with the single index's ranking" "$(field ids <<<"$a")" "$(field ids <<<"$b")"

stop_daemon "$FAST" fast
stop_daemon "$SLOW" slow
echo "1..$_tap_n"
