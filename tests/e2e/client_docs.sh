#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The documentation runs: the Python client of docs/protocol.md verbatim, the
# C example of docs/examples/ compiled with pkg-config flags against the
# build tree, and the exact systemd/cron command lines of docs/operations.md
# (paths and port substituted). Also: every error code the engine can return
# is documented in docs/protocol.md.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"
DOCS=$MORGUE_ROOT/docs

# --- docs/operations.md: a server laid out as documented, under $TMP ----
# fence LANG FILE: the body of every ```LANG block of FILE.
fence() { awk -v lang="$1" '/^```/ { if (on) { on = 0; next } if ($0 == "```" lang) { on = 1; next } } on' "$2"; }
subst() {
  sed -e "s|/usr/local/bin/|$MORGUE_BUILD/|g" -e "s|/var/lib/morgue|$TMP/var|g" \
      -e "s|/srv/archive|$TMP/archive|g" -e "s|/run/morgued|$TMP/run|g" \
      -e "s|tcp://127.0.0.1:5555|tcp://127.0.0.1:*|g"
}
ini=$(fence ini "$DOCS/operations.md")
daemon_cmd=$(grep -m1 '^ExecStart=.*morgued ' <<<"$ini" | sed 's/^ExecStart=//')
reload_cmd=$(grep -m1 '^ExecReload=' <<<"$ini" | sed 's/^ExecReload=//')
reindex_cmd=$(grep -m1 '^ExecStart=.*morgue-index ' <<<"$ini" | sed 's/^ExecStart=//')
cron_line=$(fence cron "$DOCS/operations.md" | grep -v '^#' | head -1)
cron_user=$(awk '{print $6}' <<<"$cron_line")
cron_cmd=$(cut -d' ' -f7- <<<"$cron_line")
check_match "operations.md: a morgued unit" '^/usr/local/bin/morgued --db ' "$daemon_cmd"
check_match "operations.md: a reindex unit with --delete-missing" 'morgue-index .*--delete-missing' "$reindex_cmd"
check_match "operations.md: a timer" '^OnCalendar=' "$ini"
check_eq "operations.md: cron line runs as the morgue user" morgue "$cron_user"
check_eq "operations.md: the cron line and the timer run the same command" "$reindex_cmd" "$cron_cmd"
# The units it shows are the shipped ones (systemd/), as make install writes them.
# nth_ini N: the body of the Nth ```ini block of operations.md.
nth_ini() { awk -v n="$1" '/^```/ { if (on) { on = 0; next } if ($0 == "```ini" && ++k == n) { on = 1; next } } on' "$DOCS/operations.md"; }
n=0
for u in morgued.service.in morgue-reindex.service.in morgue-reindex.timer; do
  n=$((n + 1))
  check_eq "operations.md shows systemd/$u" "$(sed 's|@BINDIR@|/usr/local/bin|g' "$MORGUE_ROOT/systemd/$u")" "$(nth_ini $n)"
done

mkdir -p "$TMP/var" "$TMP/run" "$TMP/archive"
cp "$MORGUE_ROOT"/corpus/samples.jsonl "$TMP/archive/"
printf '{"id":"extra-1","title":"Obituary of the zyxomatic era","body":"Gone.","date":"2020-02-02","source":"Wire"}\n' >"$TMP/archive/extra.jsonl"
check "first index, by hand as documented" "$INDEX" --db "$TMP/var/db" --rebuild --quiet "$TMP/archive"

# ExecStart= of morgued.service, exactly (paths substituted).
read -ra argv <<<"$(subst <<<"$daemon_cmd")"
"${argv[@]}" 2>"$TMP/unit.log" &
DPID=$!
at_exit "kill -9 $DPID 2>/dev/null"
wait_for 30 ready_or_gone "$TMP/run/morgued.pid" "$DPID"
check "ExecStart= of morgued.service: ready (pidfile)" test -s "$TMP/run/morgued.pid"
IPC=ipc://$TMP/run/morgued.sock
TCP_EP=$(grep -o 'ready: .*' "$TMP/unit.log" | grep -o 'tcp://[^ ]*' | head -1)
check_match "the unit binds ipc and loopback tcp" "ready: .*$IPC tcp://127.0.0.1:[0-9]+" "$(cat "$TMP/unit.log")"
"$CLIENT" --endpoint "$IPC" search zyxomatic >/dev/null
check_eq "the unit's daemon serves the archive" 0 $?

# ExecReload= (SIGHUP), with $MAINPID as systemd sets it.
MAINPID=$DPID eval "$reload_cmd"
wait_for 2 grep -q 'reload: SIGHUP' "$TMP/unit.log"
check_match "ExecReload= reopens the index" 'reload: SIGHUP' "$(cat "$TMP/unit.log")"

# The nightly job: one article leaves the archive, one arrives.
rm "$TMP/archive/extra.jsonl"
printf '{"id":"extra-2","title":"Harvest of the quizzacious kind","body":"New.","date":"2021-03-03","source":"Wire"}\n' >"$TMP/archive/new.jsonl"
read -ra argv <<<"$(subst <<<"$cron_cmd")"
"${argv[@]}"
check_eq "the cron/timer command (morgue-index --delete-missing): exit 0" 0 $?
check "nightly job: the new article is served" \
  wait_for 2 eval '"$CLIENT" --endpoint "$IPC" search quizzacious >/dev/null'
"$CLIENT" --endpoint "$IPC" search zyxomatic >/dev/null
check_eq "nightly job: the removed article is gone (exit 1)" 1 $?
"${argv[@]}"
check_eq "nightly job again: nothing to do, exit 0" 0 $?

# --- docs/protocol.md: the Python client, verbatim ----------------------
fence python "$DOCS/protocol.md" >"$TMP/client.py"
check_match "protocol.md has a Python client" 'import zmq' "$(cat "$TMP/client.py")"
out=$(MORGUE_ENDPOINT=$TCP_EP $PY "$TMP/client.py" 2>&1); rc=$?
check_eq "protocol.md's Python client: exit 0" 0 "$rc"
check_match "protocol.md's Python client: total" '^(about )?[0-9]+ results$' "$out"
check_match "protocol.md's Python client: hits" '^2025-09-03T02:00:00 \| Pacific Dispatch \| Kim Jong-un attends Beijing military parade \| pd-2025-0001$' "$out"
check_match "protocol.md's Python client: get" ' - [0-9]+ characters$' "$out"
out=$(MORGUE_ENDPOINT=ipc://$TMP/nobody.sock timeout 30 $PY - <<<"$(sed 's/timeout_ms=2000/timeout_ms=100/' "$TMP/client.py")" 2>&1)
check_match "protocol.md's Python client: times out cleanly without a daemon" 'TimeoutError: no reply from' "$out"

# Every error code the engine and the daemon use is documented.
codes=$(grep -ohE '"[a-z_]+", "[a-z][a-z ,:]+"\}|\[MG_RE_[A-Z_]+\] = "[a-z_]+"|mg_proto_error\([^"]*"[a-z_]+"|fail\(&?b, "[a-z_]+"|return "[a-z_]+";|reply_error\([^"]*"[a-z_]+"' \
          "$MORGUE_ROOT"/lib/query.c "$MORGUE_ROOT"/lib/search.c "$MORGUE_ROOT"/lib/protocol.c "$MORGUE_ROOT"/daemon/*.c |
        grep -oE '"[a-z_]+"' | head -200 | tr -d '"' | sort -u)
missing=""
for c in $codes; do
  case $c in *_*|internal|unavailable) ;; *) continue ;; esac
  grep -q "^| .*\`$c\`" "$DOCS/protocol.md" || missing="$missing $c"
done
check_eq "every error code is in docs/protocol.md" "" "$missing"
# lib/protocol.h points to docs/protocol.md instead of copying it (a copy drifts).
check_match "lib/protocol.h points to docs/protocol.md" 'docs/protocol\.md is its definition' \
  "$(cat "$MORGUE_ROOT/lib/protocol.h")"
check_eq "lib/protocol.h copies no field or error code of docs/protocol.md" "" \
  "$(grep -oE '\b(snippet_bytes|unbalanced_quote|bad_paging|unknown_op|stale_cursor|total_all)\b|op "search"' \
      "$MORGUE_ROOT/lib/protocol.h")"

# --- docs/examples/search.c against the build tree ----------------------
# pcfile NAME: NAME.pc.in pointing at the build tree, into $TMP.
pcfile() {
  sed -e "s|^prefix=.*|prefix=$MORGUE_ROOT|" -e "s|^libdir=.*|libdir=$MORGUE_BUILD|" \
      -e "s|^includedir=.*|includedir=$MORGUE_ROOT/client|" -e "s|@VERSION@|0|" \
      "$MORGUE_ROOT/$1.pc.in" >"$TMP/$1.pc"
}
pcfile morgue-client
pcfile morgue-client-static
san=""
nm "$MORGUE_BUILD/libmorgue-client.a" 2>/dev/null | grep -q __asan && san="-fsanitize=address,undefined"
check "the example needs no engine symbols (libmorgue-client alone)" \
  bash -c "! nm -u '$MORGUE_BUILD/libmorgue-client.a' | grep -qE ' (mg_searcher|mg_proto|mg_err_set|mg_utf8)'"
check_eq "libmorgue-client.so has its soname" "libmorgue-client.so.1" \
  "$(objdump -p "$MORGUE_BUILD/libmorgue-client.so" | awk '$1 == "SONAME" { print $2 }')"
check_eq "libmorgue-client.so exports only mg_client_*" "" \
  "$(nm -D --defined-only "$MORGUE_BUILD/libmorgue-client.so" | awk '$2 != "A" { print $3 }' | grep -v '^mg_client_')"
check_eq "morgued holds no client library (what both need is lib/transport.c)" "" \
  "$(nm "$MORGUE_BUILD/morgued" | awk '$3 ~ /^mg_client_/ { print $3 }')"

# example KIND PC: build docs/examples/search.c with pkg-config PC's flags (the
# lines of docs/client.md) and run it as documented.
example() {
  local kind=$1 pc=$2 flags out rc
  flags=$(PKG_CONFIG_PATH=$TMP pkg-config --cflags --libs "$pc")
  check_match "$kind: pkg-config $pc: flags" 'morgue-client' "$flags"
  # shellcheck disable=SC2086
  cc -std=c11 -Wall -Wextra -Werror $san -o "$TMP/search" "$DOCS/examples/search.c" $flags 2>"$TMP/cc.log"
  check_eq "$kind: docs/examples/search.c compiles with pkg-config flags" 0 $?
  [ -s "$TMP/cc.log" ] && diag "$(cat "$TMP/cc.log")"
  out=$("$TMP/search" "military parade" "$TCP_EP"); rc=$?
  check_eq "$kind example: exit 0 (hits)" 0 "$rc"
  check_match "$kind example: ranked hits with markers" '^2\. Kim Jong-un attends Beijing military parade \(Pacific Dispatch, 2025-09-03T02:00:00\) id=pd-2025-0001' "$out"
  check_match "$kind example: highlighted snippet" '\[military\] \[parade\]' "$out"
  check_match "$kind example: facets" '^facet source: ' "$out"
  check_match "$kind example: get of the best hit" '^best hit: .*, [0-9]+ bytes of text$' "$out"
  "$TMP/search" "zzqqxxyy" "$IPC" >/dev/null; check_eq "$kind example: exit 1 without hits" 1 $?
  "$TMP/search" '"open' "$IPC" >/dev/null 2>"$TMP/err"; check_eq "$kind example: exit 2 on a bad query" 2 $?
  check_match "$kind example: the daemon's error" 'unbalanced_quote' "$(cat "$TMP/err")"
  "$TMP/search" x "ipc://$TMP/nobody.sock" >/dev/null 2>&1; check_eq "$kind example: exit 3 without a daemon" 3 $?
}
example static morgue-client-static
check "static: the example does not need libmorgue-client.so" \
  bash -c "! objdump -p '$TMP/search' | grep -q 'NEEDED.*libmorgue-client'"
export LD_LIBRARY_PATH=$MORGUE_BUILD
example shared morgue-client
check_match "shared: the example needs libmorgue-client.so.1" 'NEEDED +libmorgue-client\.so\.1$' \
  "$(objdump -p "$TMP/search")"
check_match "shared: and loads it from the build tree" "libmorgue-client\.so\.1 => $MORGUE_BUILD/" "$(ldd "$TMP/search")"
unset LD_LIBRARY_PATH

# SIGTERM as systemd sends it.
kill -TERM $DPID; wait $DPID
check_eq "the unit's daemon stops with exit 0" 0 $?
check "pidfile removed" test ! -e "$TMP/run/morgued.pid"
