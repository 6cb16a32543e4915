#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgued under a low descriptor limit (ulimit -n 128) and 300 client
# connections: it warns at start-up that the limit leaves little room, says
# once, with the remedy, that it reached its connection cap (not a stream of
# "reopen failed", and never "too many open files": it keeps descriptors for
# the index), keeps answering the clients already connected and reopens the
# index on SIGHUP, and answers new clients once the connections close
# (daemon_fds_reload.sh: index updates during such a flood).
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
check "index the corpus" build_index "$DB" "$MORGUE_ROOT/corpus"
cat >"$TMP/limited" <<SH
#!/usr/bin/env bash
ulimit -n 128
exec "$DAEMON" "\$@"
SH
chmod +x "$TMP/limited"
DAEMON=$TMP/limited start_daemon d --db "$DB" --bind 'tcp://127.0.0.1:*' --workers 1 --log-level debug
ok $? "morgued gets ready under ulimit -n 128"
check_match "start-up warns that the limit leaves little room" \
  'warn: file descriptor limit 128 leaves room for about [0-9]+ client connections .*LimitNOFILE=' "$(cat "$TMP/d.log")"

out=$($PY "$PYDIR/fd_flood.py" "$TCP_EP" "$DPID" 300 "$TMP/d.log" 2>&1)
echo "$out" | sed 's/^/# /'
check_match "the flood fills the daemon's connections up to its cap" '^flood at cap$' "$out"
check_match "a client connected before the flood is still answered" '^veteran ok$' "$out"
check_match "after the flood's connections close, a new client is answered" '^fresh ok$' "$out"
counted_out() { # the daemon hears of closed connections asynchronously
  conns=$("$CLIENT" --endpoint "$TCP_EP" --json stats |
    $PY -c 'import json,sys; d=json.load(sys.stdin)["daemon"]; print(d["connections"], d["connections_refused"] > 0)')
  [ "$conns" = "1 True" ]
}
wait_for 2 counted_out
check_eq "once they closed, the connections are counted out (this client's alone left)" "1 True" "$conns"
stop_daemon "$DPID" d
n=$(grep -c 'connection limit reached' "$TMP/d.log")
check_eq "reaching the connection cap is logged once" 1 "$n"
check_match "...with the cause and the remedy" \
  'warn: connection limit reached: [0-9]+ client connections, .*file descriptor limit 128 .*LimitNOFILE=' "$(cat "$TMP/d.log")"
check_eq "the daemon never runs out of descriptors" 0 "$(grep -c 'too many open files' "$TMP/d.log")"
check_eq "no stream of 'reopen failed' lines" 0 "$(grep -c 'reopen.*failed' "$TMP/d.log")"
check_match "the SIGHUP during the flood reopened the index" 'index reopened after SIGHUP' "$(cat "$TMP/d.log")"
