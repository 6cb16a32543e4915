#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Index changes under load: clients query morgued in a loop while
# morgue-index updates the index, updates it with --compact (in place, then
# a symlink switch to the compacted generation) and then rebuilds it (a
# symlink switch); every reply is ok and right, and new articles are served
# within about a second. Also: an idle daemon picks up a rebuild by itself, and SIGHUP
# reopens the index.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

article() { # ID WORD FILE
  printf '{"id":"%s","title":"The %s report","body":"A story about %s and a military parade.","date":"2026-01-%02d","source":"Test Wire"}\n' \
    "$1" "$2" "$2" "${#2}" >"$3"
}
article new-1 zanzibarian "$TMP/new1.jsonl"
article new-2 quuxlandia "$TMP/new2.jsonl"
article new-3 plughville "$TMP/new3.jsonl"
article new-5 frobozzian "$TMP/new5.jsonl"
now() { date +%s.%N; }
# delay SINCE FILE: seconds from SINCE to the time written in FILE.
delay() { $PY -c 'import sys; print("%.2f" % (float(open(sys.argv[2]).read()) - float(sys.argv[1])))' "$1" "$2"; }

DB=$TMP/db
check "index the corpus" build_index "$DB" "$MORGUE_ROOT/corpus"
IPC=ipc://$TMP/morgued.sock
start_daemon d --db "$DB" --bind "$IPC" --workers 2
ok $? "morgued gets ready"

mkdir -p "$TMP/state"
$PY "$PYDIR/loader.py" "$IPC" "$TMP/state" "military parade" pd-2025-0001 \
  zanzibarian=new-1 quuxlandia=new-2 frobozzian=new-5 >"$TMP/loader.out" 2>&1 &
loader=$!
at_exit "touch $TMP/state/stop; kill $loader 2>/dev/null"
check "the clients are getting answers" wait_file "$TMP/state/started" 20

"$INDEX" --db "$DB" --quiet "$MORGUE_ROOT/corpus" "$TMP/new1.jsonl" 2>"$TMP/index1.err"
check_eq "update under load: morgue-index exit 0" 0 $?
[ -s "$TMP/index1.err" ] && diag "$(cat "$TMP/index1.err")"
t1=$(now)
check "update: the new article is served" wait_file "$TMP/state/seen-zanzibarian" 10
d=$(delay "$t1" "$TMP/state/seen-zanzibarian" 2>/dev/null || echo 99)
ok "$($PY -c "print(0 if $d < 1.5 else 1)")" "update: served ${d}s after morgue-index returned (limit 1.5 s)"

# --compact: the update commits in place, then the compacted copy becomes
# a new generation and DIR switches to it; the daemon follows.
"$INDEX" --db "$DB" --compact --quiet --json-stats "$MORGUE_ROOT/corpus" "$TMP/new1.jsonl" \
  "$TMP/new5.jsonl" >"$TMP/index15.json" 2>"$TMP/index15.err"
check_eq "update + --compact under load: morgue-index exit 0" 0 $?
[ -s "$TMP/index15.err" ] && diag "$(cat "$TMP/index15.err")"
check_eq "update + --compact: compacted" done \
  "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["compaction"])' "$TMP/index15.json")"
check "update + --compact: the new article is served" wait_file "$TMP/state/seen-frobozzian" 10
gen=$(realpath "$DB")
rev1=$((10#${gen##*/g} * 10000000000 + 1)) # generation * 10^10 + Xapian revision 1
wait_for 5 grep -qF "reload: index changed; index $gen at revision $rev1," "$TMP/d.log"
check_match "update + --compact: the daemon serves the compacted generation" \
  "reload: index changed; index $gen at revision $rev1, " "$(cat "$TMP/d.log")"
out=$("$CLIENT" --endpoint "$IPC" search frobozzian)
check_match "update + --compact: the compacted index serves the new article" 'id: new-5' "$out"

"$INDEX" --db "$DB" --rebuild --quiet "$MORGUE_ROOT/corpus" "$TMP/new1.jsonl" "$TMP/new2.jsonl" \
  "$TMP/new5.jsonl" 2>"$TMP/index2.err"
check_eq "rebuild under load: morgue-index exit 0" 0 $?
[ -s "$TMP/index2.err" ] && diag "$(cat "$TMP/index2.err")"
t2=$(now)
check "rebuild: the new article is served" wait_file "$TMP/state/seen-quuxlandia" 10
d=$(delay "$t2" "$TMP/state/seen-quuxlandia" 2>/dev/null || echo 99)
ok "$($PY -c "print(0 if $d < 1.5 else 1)")" "rebuild: served ${d}s after morgue-index returned (limit 1.5 s)"

stop_loader $loader "$TMP/state" "$TMP/loader.out" "the updates and the rebuild"
check_match "log: reload line for the rebuild" 'info: reload: index changed; index .*revision' "$(cat "$TMP/d.log")"

# Idle: no client at all; the daemon notices the rebuild on its own.
lines=$(grep -c 'reload: ' "$TMP/d.log")
"$INDEX" --db "$DB" --rebuild --quiet "$MORGUE_ROOT/corpus" "$TMP/new1.jsonl" "$TMP/new2.jsonl" "$TMP/new3.jsonl"
t3=$(now)
more_lines() { [ "$(grep -c "$1" "$TMP/d.log")" -gt "$lines" ]; }
wait_for 3 more_lines 'reload: '
t4=$(now)
ok "$($PY -c "print(0 if $t4 - $t3 < 1.5 else 1)")" "idle daemon logs the new index within 1.5 s"
out=$("$CLIENT" --endpoint "$IPC" search plughville)
check_match "idle rebuild: new article served" 'id: new-3' "$out"

# SIGHUP: reopen on request.
lines=$(grep -c 'reload: SIGHUP' "$TMP/d.log")
kill -HUP "$DPID"
wait_for 2 more_lines 'reload: SIGHUP'
check_match "SIGHUP: logged" 'info: reload: SIGHUP, reopening the index' "$(cat "$TMP/d.log")"
out=$("$CLIENT" --endpoint "$IPC" search quuxlandia); rc=$?
check_eq "after SIGHUP: still answers" 0 "$rc"
check_match "after SIGHUP: right answer" 'id: new-2' "$out"
check "after SIGHUP: the daemon is still running" kill -0 "$DPID"

# Once a reply comes from the new index, no later one comes from the old:
# right after the first reply holding a new article, back-to-back requests
# (which the workers take in turns) must all hold it.
article new-4 xyzzyport "$TMP/new4.jsonl"
"$INDEX" --db "$DB" --quiet "$TMP/new4.jsonl"
check_eq "update while idle: exit 0" 0 $?
out=$($PY - "$IPC" <<'PYEOF'
import json, sys, time
import zmq
s = zmq.Context().socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 5000)
s.connect(sys.argv[1])
def held():
    s.send(json.dumps({"v": 1, "op": "search", "query": "xyzzyport"}).encode())
    return any(h["id"] == "new-4" for h in json.loads(s.recv())["hits"])
deadline = time.time() + 5
while not held() and time.time() < deadline:
    pass
print(sum(held() for _ in range(20)))
PYEOF
)
check_eq "after the first reply from the new index, 20 of 20 back-to-back replies hold the new article" 20 "$out"
stop_daemon "$DPID" d
