#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgued end to end: start it on an ipc:// path and a free tcp://127.0.0.1
# port, query it with morgue, compare with the offline `morgue --db`, check
# every exit code of the client, and stop it with SIGTERM.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
# One hostile article: terminal escapes and a bell in the title, a line
# break, and a long run of two-byte characters for the snippet to cut.
$PY - "$TMP/evil.jsonl" <<'PYEOF'
import json, sys
body = "Zürich parade of the café society. " + "Ωμέγα λόγος " * 60 + "zürich again."
json.dump({"id": "evil-1", "title": "Evil \x1b[2J\x1b[31mred\x07 title\nsecond line",
           "body": body, "date": "2024-01-01", "source": "Évian Post"}, open(sys.argv[1], "w"))
PYEOF
check "index the bundled corpus" build_index "$DB" "$MORGUE_ROOT/corpus" "$TMP/evil.jsonl"
IPC=ipc://$TMP/morgued.sock
start_daemon d --db "$DB" --bind "$IPC" --bind 'tcp://127.0.0.1:*' --workers 2 --log-queries
ok $? "morgued gets ready (pidfile written)"
check_match "ready line names both endpoints" "ready: .*$IPC tcp://127.0.0.1:[0-9]+" "$(cat "$TMP/d.log")"
check "the ipc socket file exists" test -S "$TMP/morgued.sock"
check_eq "pidfile holds the daemon's pid" "$DPID" "$(cat "$TMP/d.pid")"

for ep in "$IPC" "$TCP_EP"; do
  out=$("$CLIENT" --endpoint "$ep" ping); rc=$?
  check_eq "ping over ${ep%%:*}: exit 0" 0 "$rc"
  check_eq "ping over ${ep%%:*}: pong" "pong" "$out"
done

# The same queries through the daemon (both transports) and in-process.
queries=(
  "military parade"
  "kim jong-un"
  '"military parades"'
  "cocoa OR coffee"
  "title:parade"
  "parade*"
)
opts=(
  ""
  "--limit 2 --page 2"
  "--sort newest --limit 3"
  "--since 2017 --until 2017-12-31"
  "--source Harbor Gazette"
)
n=0
for q in "${queries[@]}"; do
  for o in "${opts[@]}"; do
    n=$((n + 1))
    if ! kill -0 "$DPID" 2>/dev/null; then  # no point waiting for timeouts
      ok 1 "morgued is still running (before query $n)"; sed 's/^/# /' "$TMP/d.log" | tail -40; exit 1
    fi
    # shellcheck disable=SC2086
    if [ "${o#--source}" != "$o" ]; then set -- --source "${o#--source }"; else set -- $o; fi
    "$CLIENT" --db "$DB" --json "$@" search -- "$q" >"$TMP/off.json"; rc_off=$?
    "$CLIENT" --db "$DB" "$@" search -- "$q" >"$TMP/off.txt"
    for ep in "$IPC" "$TCP_EP"; do
      "$CLIENT" --endpoint "$ep" --json "$@" search -- "$q" >"$TMP/on.json"; rc_on=$?
      "$CLIENT" --endpoint "$ep" "$@" search -- "$q" >"$TMP/on.txt"
      if [ "$(without_took "$TMP/off.json")" = "$(without_took "$TMP/on.json")" ] && [ "$rc_on" = "$rc_off" ] &&
         [ "$(without_ms "$TMP/off.txt")" = "$(without_ms "$TMP/on.txt")" ]; then
        r=0
      else
        r=1; diff <(without_took "$TMP/off.json") <(without_took "$TMP/on.json") | head -5 | sed 's/^/# /'
        diff <(without_ms "$TMP/off.txt") <(without_ms "$TMP/on.txt") | head -5 | sed 's/^/# /'
      fi
      ok $r "query $n [$q] [$o] over ${ep%%:*}: same JSON, same text, same exit ($rc_on) as --db"
    done
  done
done
set --

# The hits really are there, and piped output is plain text.
out=$("$CLIENT" --endpoint "$IPC" search military parade)
check_match "human output: header" '^[0-9,]+ articles? ha(s|ve) every word; then [0-9,]+ ha(s|ve) some of them \([0-9.]+ ms\)$' "$(head -1 <<<"$out")"
check_match "human output: a hit line with the day, source and title" \
  '^ *[0-9]+\. 2025-09-03  Pacific Dispatch  Kim Jong-un attends Beijing military parade$' "$out"
check_match "human output: the id line" '^    id: pd-2025-0001$' "$out"
ok "$(grep -q $'\x1b' <<<"$out"; echo $((1 - $?)))" "no ANSI escapes when piped"
ok "$(grep -q $'[\x02\x03]' <<<"$out"; echo $((1 - $?)))" "no highlight markers when piped"
col=$("$CLIENT" --endpoint "$IPC" --color always search military parade | cat -v)
check_match "--color always: matches highlighted" '\^\[\[1;31m(military|parade)' "$col"
check_match "--color always: title in bold" '\^\[\[1mKim Jong-un attends' "$col"
col=$(NO_COLOR=1 "$CLIENT" --endpoint "$IPC" --color auto search military parade)
ok "$(grep -q $'\x1b' <<<"$col"; echo $((1 - $?)))" "NO_COLOR: no ANSI escapes"

# Article text cannot drive the terminal; UTF-8 is never cut.
for c in never always; do
  "$CLIENT" --endpoint "$IPC" --color $c search zurich >"$TMP/evil.txt"
  check_eq "escapes in an article are neutralised (--color $c)" 0 "$(grep -c $'\x07\|\x1b\\[2J\|\x1b\\[31mred' "$TMP/evil.txt")"
  check "output is valid UTF-8 (--color $c)" $PY -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$TMP/evil.txt"
done
check_match "title shown on one line, controls as U+FFFD" $'^ *[0-9]+\\. 2024-01-01  Évian Post  Evil \uFFFD\\[2J\uFFFD\\[31mred\uFFFD title second line$' "$(sed 's/\x1b\[[0-9;]*m//g' "$TMP/evil.txt")"
check_match "snippet keeps the two-byte text" 'Ωμέγα λόγος' "$(cat "$TMP/evil.txt")"
"$CLIENT" --endpoint "$IPC" get evil-1 >"$TMP/evil-get.txt"
check "get output is valid UTF-8 and has no escapes" $PY -c 'import sys; t = open(sys.argv[1], "rb").read().decode("utf-8"); sys.exit("\x1b" in t or "\x07" in t)' "$TMP/evil-get.txt"

# get: the stored record, identical both ways.
"$CLIENT" --endpoint "$TCP_EP" --json get pd-2025-0001 >"$TMP/get-on.json"
"$CLIENT" --db "$DB" --json get pd-2025-0001 >"$TMP/get-off.json"
check_eq "get: same JSON as --db" "$(without_took "$TMP/get-off.json")" "$(without_took "$TMP/get-on.json")"
out=$("$CLIENT" --endpoint "$TCP_EP" get pd-2025-0001); rc=$?
check_eq "get: exit 0" 0 "$rc"
check_match "get: title and body" 'Kim Jong-un attends Beijing military parade' "$out"
check_match "get: source line" '^source: Pacific Dispatch$' "$out"

# stats: the engine's and the daemon's counters.
st=$("$CLIENT" --endpoint "$IPC" --json stats)
check_eq "stats: documents" 54 "$($PY -c 'import json,sys; print(json.load(sys.stdin)["stats"]["documents"])' <<<"$st")"
check_eq "stats: workers" 2 "$($PY -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["workers"])' <<<"$st")"
check_match "stats: queries served, latency p50/p99, uptime, index age" '^[1-9][0-9]* [0-9]+ [0-9]+ [0-9]+ [0-9]+$' \
  "$($PY -c 'import json,sys; d=json.load(sys.stdin)["daemon"]; print(d["queries"], d["latency_p50_us"], d["latency_p99_us"], d["uptime_s"], d["index_age_s"])' <<<"$st")"
out=$("$CLIENT" --endpoint "$IPC" stats)
check_match "stats (human): dotted keys" '^daemon\.queries: [0-9]+$' "$out"

# Exit codes, as grep's.
"$CLIENT" --endpoint "$IPC" search military parade >/dev/null; check_eq "exit 0: hits" 0 $?
"$CLIENT" --endpoint "$IPC" search zzyzxqwv >/dev/null; check_eq "exit 1: no hits" 1 $?
"$CLIENT" --endpoint "$IPC" get no-such-id >/dev/null 2>"$TMP/err"; check_eq "exit 1: get of an unknown id" 1 $?
"$CLIENT" --endpoint "$IPC" search '"unbalanced' >/dev/null 2>"$TMP/err"; rc=$?
check_eq "exit 2: query error" 2 "$rc"
check_match "query error: the daemon's error on stderr" 'unbalanced' "$(cat "$TMP/err")"
"$CLIENT" --endpoint "$IPC" --bogus search x >/dev/null 2>&1; check_eq "exit 2: unknown option" 2 $?
"$CLIENT" --endpoint "$IPC" >/dev/null 2>&1; check_eq "exit 2: no command" 2 $?
"$CLIENT" --endpoint "$IPC" search >/dev/null 2>&1; check_eq "exit 2: no query" 2 $?
"$CLIENT" --endpoint "$IPC" --sort sideways search x >/dev/null 2>&1; check_eq "exit 2: bad --sort" 2 $?
"$CLIENT" --endpoint "$IPC" --since 1987-13-45 search parade >/dev/null 2>"$TMP/err"; rc=$?
check_eq "exit 2: bad date (the daemon says so)" 2 "$rc"
"$CLIENT" --endpoint "ipc://$TMP/nobody.sock" --timeout 200 --retries 1 ping >/dev/null 2>"$TMP/err"; rc=$?
check_eq "exit 3: no daemon on the ipc endpoint" 3 "$rc"
check_match "unreachable: a missing ipc socket file is said at once" "no daemon at ipc://$TMP/nobody.sock \(no such socket file\)" "$(cat "$TMP/err")"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$CLIENT" --endpoint "tcp://127.0.0.1:$port" --timeout 200 --retries 1 search x >/dev/null 2>"$TMP/err"; rc=$?
check_eq "exit 3: nothing listening on the tcp port" 3 "$rc"
check_match "unreachable: names the tcp endpoint and the attempts" "no reply from tcp://127.0.0.1:$port \(2 attempts of 200 ms\)" "$(cat "$TMP/err")"
MORGUE_ENDPOINT=$TCP_EP "$CLIENT" ping >/dev/null; check_eq "MORGUE_ENDPOINT is used" 0 $?
"$CLIENT" --endpoint "ipc://$TMP/nobody.sock" --endpoint "$IPC" --timeout 1000 search military parade >/dev/null
check_eq "two endpoints, one down: requests go to the live one" 0 $?
"$CLIENT" --endpoint "http://example.com" ping >/dev/null 2>&1; check_eq "exit 2: bad endpoint" 2 $?

# Lower-case operators are words; the CLI says so on stderr (not with --json,
# not inside quotes, not for the upper-case operators).
"$CLIENT" --endpoint "$IPC" search parade not kim >/dev/null 2>"$TMP/err"; rc=$?
check_eq "lower-case 'not': searched for as a word, a note says so" \
  "0 morgue: note: 'not' is searched for as a word; operators are upper case (NOT or -word, OR, AND, NEAR)" \
  "$rc $(cat "$TMP/err")"
for q in "parade NOT kim" '"not in" parade' ; do
  "$CLIENT" --endpoint "$IPC" search "$q" >/dev/null 2>"$TMP/err"
  check_eq "no note for [$q]" "" "$(cat "$TMP/err")"
done
# the same note for every command that takes a query (and each --vs)
for args in "terms parade not kim" "timeline parade not kim" "--format csv search parade not kim" \
            "--vs parade_not_kim --vs 'kim not parade' timeline parade"; do
  eval "\"\$CLIENT\" --endpoint \"\$IPC\" $args" >/dev/null 2>"$TMP/err"
  check_match "lower-case 'not' in: $args: a note says so" \
    "^morgue: note: 'not' is searched for as a word; operators are upper case" "$(cat "$TMP/err")"
done
"$CLIENT" --endpoint "$IPC" --json search kim Or parade >/dev/null 2>"$TMP/err"
check_eq "no note with --json" "" "$(cat "$TMP/err")"

# Output that cannot be written (a full disk) fails every command with exit
# 2 and a message, through the daemon and in-process; "the" with 200 hits
# is a reply larger than stdio's buffer, written past it at once.
for args in "search military parade" "--json search military parade" "--json --limit 200 search the" \
            "search zzyzxqwv" "get pd-2025-0001" "--json get pd-2025-0001" "stats" "--json stats" \
            "ping" "--json ping"; do
  for via in "--endpoint $IPC" "--db $DB"; do
    # shellcheck disable=SC2086
    "$CLIENT" $via $args >/dev/full 2>"$TMP/err"; rc=$?
    check_eq "full disk: [$args] ${via%% *}: exit 2, says so" \
      "2 morgue: cannot write output: No space left on device" "$rc $(cat "$TMP/err")"
  done
done
"$CLIENT" --help >/dev/full 2>"$TMP/err"; rc=$?
check_eq "full disk: --help: exit 2, says so" "2 morgue: cannot write output: No space left on device" "$rc $(cat "$TMP/err")"
"$CLIENT" keygen "$TMP/full" >/dev/full 2>"$TMP/err"; rc=$?
check_eq "full disk: keygen: exit 2, says so" "2 morgue: cannot write output: No space left on device" "$rc $(cat "$TMP/err")"
"$CLIENT" --endpoint "$IPC" search the | head -1 >/dev/null; rc=${PIPESTATUS[0]}
ok "$((rc == 2))" "a reader that stops early (| head) is not a write error (exit $rc)"

# Safety of binds.
timeout 20 "$DAEMON" --db "$DB" --bind "$IPC" 2>"$TMP/second.log"; rc=$?
ok "$((rc == 0 || rc == 124))" "a second daemon on the same ipc socket is refused (exit $rc)"
check_match "second daemon: says why" 'another process is serving' "$(cat "$TMP/second.log")"
timeout 20 "$DAEMON" --db "$DB" --bind 'tcp://0.0.0.0:*' 2>"$TMP/public.log"; rc=$?
ok "$((rc == 0 || rc == 124))" "a non-loopback tcp bind without CURVE is refused (exit $rc)"
check_match "refusal names --insecure" 'insecure' "$(cat "$TMP/public.log")"
timeout 20 "$DAEMON" --db "$TMP/no-such-db" --bind "ipc://$TMP/x.sock" 2>"$TMP/nodb.log"; rc=$?
ok "$((rc == 0 || rc == 124))" "a missing index is an error at start (exit $rc)"
timeout 20 "$DAEMON" --db "$DB" --workers 0 2>/dev/null; check_eq "bad --workers: exit 2" 2 $?

# SIGTERM with requests in flight: every reply that arrives is a whole, ok one.
before=$(grep -c 'query: ' "$TMP/d.log")
$PY - "$IPC" >"$TMP/inflight.out" 2>&1 <<'PYEOF' &
import json, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[1])
for i in range(200):
    s.send_multipart([b"", json.dumps({"v": 1, "op": "search", "query": "military parade"}).encode()])
good = bad = 0
while s.poll(1500):
    f = s.recv_multipart()
    r = json.loads(f[-1])
    if r.get("ok") and r["hits"]:
        good += 1
    else:
        bad += 1
print(good, bad)
PYEOF
pypid=$!
answering() { [ "$(grep -c 'query: ' "$TMP/d.log")" -gt $((before + 5)) ]; }
wait_for 4 answering # the daemon is answering them
stop_daemon "$DPID" d
wait $pypid
read -r good bad <"$TMP/inflight.out"
ok "$(( bad == 0 ? 0 : 1 ))" "requests in flight at SIGTERM: $good ok replies, ${bad:-?} bad ones"
check "pidfile removed at exit" test ! -e "$TMP/d.pid"
check "ipc socket removed at exit" test ! -e "$TMP/morgued.sock"
log=$(cat "$TMP/d.log")
check_match "log: start line" 'morgued\[[0-9]+\] info: starting: ' "$log"
check_match "log: stop lines" 'info: stopping on SIGTERM.*' "$log"
check_match "log: final line" 'info: stopped: [0-9]+ repl(y|ies)' "$log"
check_match "log: --log-queries logs each query" 'info: query: ok [0-9]+us .*\{"v":1,"op":"search"' "$log"
check_match "log: errors are logged with their code" 'info: query: error unbalanced_quote' "$log"

# --spin-us: after a reply a worker keeps looking for the next request
# before it sleeps; "spin_hits" counts the requests it took that way.
# On a loaded machine the worker may lose its CPU between sending a reply
# and looking for the next request; the client's next request is then
# already waiting when it looks, and counts in "next_hits" instead: both
# are requests taken by a worker that never went to sleep.
timeout 20 "$DAEMON" --db "$DB" --spin-us -1 2>"$TMP/err"; check_eq "bad --spin-us (-1): exit 2" 2 $?
check_match "bad --spin-us: says the range" 'spin-us wants 0\.\.100000' "$(cat "$TMP/err")"
timeout 20 "$DAEMON" --db "$DB" --spin-us 100001 2>/dev/null; check_eq "bad --spin-us (too long): exit 2" 2 $?
timeout 20 "$DAEMON" --db "$DB" --spin-us 5x 2>/dev/null; check_eq "bad --spin-us (not a number): exit 2" 2 $?
spin_run() { # ENDPOINT: 20 searches one after the other, then "spin_us spin_hits next_hits queries"
  $PY - "$1" <<'PYEOF'
import json, sys, time, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.REQ); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[1])
for i in range(20):
    s.send(json.dumps({"v": 1, "op": "search", "query": "military parade"}).encode())
    if not s.poll(5000) or not json.loads(s.recv())["ok"]:
        sys.exit("no ok reply")
    # a pause well inside --spin-us 100000: the next request arrives while
    # the worker looks, not before (then it would count in next_hits)
    time.sleep(0.002)
s.send(b'{"v":1,"op":"stats"}')
d = json.loads(s.recv())["daemon"]
print(d["spin_us"], d["spin_hits"], d["next_hits"], d["queries"])
PYEOF
}
start_daemon s1 --db "$DB" --bind "ipc://$TMP/s1.sock" --workers 1 --spin-us 100000
read -r us hits next n < <(spin_run "ipc://$TMP/s1.sock")
check_eq "--spin-us 100000: stats spin_us" 100000 "$us"
ok "$(( hits >= 1 && hits + next >= 10 && hits + next <= 20 ? 0 : 1 ))" \
  "--spin-us 100000: back-to-back requests taken awake ($hits while looking, $next already waiting, of 20; queries $n)"
stop_daemon "$DPID" s1
start_daemon s0 --db "$DB" --bind "ipc://$TMP/s0.sock" --workers 2 --spin-us 0
read -r us hits next n < <(spin_run "ipc://$TMP/s0.sock")
check_eq "--spin-us 0: stats spin_us" 0 "$us"
check_eq "--spin-us 0: no request taken awake (queries $n)" 0 "$hits"
stop_daemon "$DPID" s0
check_match "start line gives the spin" 'starting: .*spin 0 us' "$(cat "$TMP/s0.log")"
