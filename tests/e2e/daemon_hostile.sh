#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile input against morgued, from Python (python3-zmq: a client we did
# not write) over ipc:// and tcp://, and from C (tests/unit/test_client.c in
# live mode): every case gets a proper error reply or a clean disconnect, and
# after each one the daemon still answers a normal query correctly.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

# The bundled corpus plus 3,000 generated articles, each with a distinct
# word "zq<n>x": the wildcard "zq*" would expand to 3,000 terms.
gen_articles "$TMP/many.jsonl" 3000 gen '"Filler text with the rare word zq%dx in it." % i'
DB=$TMP/db
check "index the corpus and 3,000 generated articles" build_index "$DB" "$MORGUE_ROOT/corpus" "$TMP/many.jsonl"
IPC=ipc://$TMP/morgued.sock
start_daemon d --db "$DB" --bind "$IPC" --bind 'tcp://127.0.0.1:*' --workers 2
ok $? "morgued gets ready"

for ep in "$IPC" "$TCP_EP"; do
  echo "# python3-zmq against $ep"
  $PY "$PYDIR/hostile.py" "$ep" "military parade" pd-2025-0001 "zq*" 65536 >"$TMP/py.out" 2>&1
  rc=$?
  cat "$TMP/py.out"
  check_eq "python hostile clients over ${ep%%:*}: script exit 0" 0 "$rc"
done

if [ -x "$MORGUE_BUILD/tests/test_client" ]; then
  echo "# C (libzmq directly and libmorgue-client) against $TCP_EP"
  MORGUE_TEST_ENDPOINT=$TCP_EP MORGUE_TEST_QUERY="military parade" MORGUE_TEST_ID=pd-2025-0001 MORGUE_TEST_WILDCARD="zq*" \
    "$MORGUE_BUILD/tests/test_client" >"$TMP/c.out" 2>&1
  rc=$?
  sed -e 's/^ok /ok - C: /' -e 's/^not ok /not ok - C: /' -e '/^1\.\./d' "$TMP/c.out"
  check_eq "C hostile clients: exit 0" 0 "$rc"
  check_match "C hostile clients ran live (not skipped)" '^ok .*live' "$(cat "$TMP/c.out")"
  # One client, two daemons: requests are spread over both.
  IPC2=ipc://$TMP/second.sock
  main_pid=$DPID
  start_daemon d2 --db "$DB" --bind "$IPC2" --workers 1
  ok $? "a second morgued on the same index gets ready"
  MORGUE_TEST_ENDPOINT=$IPC MORGUE_TEST_ENDPOINT2=$IPC2 MORGUE_TEST_QUERY="military parade" \
    MORGUE_TEST_ID=pd-2025-0001 "$MORGUE_BUILD/tests/test_client" >"$TMP/c2.out" 2>&1
  rc=$?
  sed -e 's/^ok /ok - C: /' -e 's/^not ok /not ok - C: /' -e '/^1\.\./d' "$TMP/c2.out"
  check_eq "C client over two daemons: exit 0" 0 "$rc"
  stop_daemon "$DPID" d2
  DPID=$main_pid
else
  ok 1 "tests/test_client is built"
fi

out=$("$CLIENT" --endpoint "$IPC" --json stats)
check_match "stats still served; errors were counted" '"errors":[1-9]' "$out"
stop_daemon "$DPID" d
check_match "no error-level log line for hostile input" '^[^ ]+ morgued\[[0-9]+\] info: stopped' "$(tail -1 "$TMP/d.log")"
ok "$(grep -q ' error: ' "$TMP/d.log"; echo $((1 - $?)))" "no line logged at level error"
