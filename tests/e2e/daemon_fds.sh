#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgued under a low descriptor limit (ulimit -n 128) and 300 client
# connections: it warns at start-up that the limit leaves little room, says
# once, with the remedy, that it ran out (not a stream of "reopen failed"),
# keeps answering the clients already connected, and answers new clients
# once the connections close.
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
DAEMON=$TMP/limited start_daemon d --db "$DB" --bind 'tcp://127.0.0.1:*' --workers 1
ok $? "morgued gets ready under ulimit -n 128"
check_match "start-up warns that the limit leaves little room" \
  'warn: file descriptor limit 128 leaves room for about [0-9]+ client connections .*LimitNOFILE=' "$(cat "$TMP/d.log")"

out=$($PY "$PYDIR/fd_flood.py" "$TCP_EP" "$DPID" 300 2>&1)
echo "$out" | sed 's/^/# /'
check_match "a client connected before the flood is still answered" '^veteran ok$' "$out"
check_match "after the flood's connections close, a new client is answered" '^fresh ok$' "$out"
stop_daemon "$DPID" d
n=$(grep -c 'too many open files' "$TMP/d.log")
check_eq "running out of descriptors is logged once" 1 "$n"
check_match "...with the cause and the remedy" \
  'warn: too many open files \([0-9]+ open, limit 128\): new client connections are refused .*LimitNOFILE=' "$(cat "$TMP/d.log")"
check_eq "no stream of 'reopen failed' lines" 0 "$(grep -c 'reopen.*failed' "$TMP/d.log")"
