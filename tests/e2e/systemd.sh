#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped systemd units (systemd/) pass systemd-analyze verify, with
# their Documentation= man pages found; morgued speaks the readiness protocol
# of Type=notify: READY=1 on $NOTIFY_SOCKET once it serves (pidfile written),
# STOPPING=1 on SIGTERM, to a socket path or an abstract name.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

UNITS=(morgued.service morgue-reindex.service morgue-reindex.timer morgue-shard.service)
mkdir -p "$TMP/units" "$TMP/man/man1" "$TMP/man/man7" "$TMP/man/man8"
for u in "${UNITS[@]}"; do
  src=$MORGUE_ROOT/systemd/$u
  [ -f "$src" ] || src=$src.in
  sed "s|@BINDIR@|$MORGUE_BUILD|g" "$src" >"$TMP/units/$u"
done
for m in "$MORGUE_BUILD"/man/*; do cp "$m" "$TMP/man/man${m##*.}/"; done

if command -v systemd-analyze >/dev/null; then
  (cd "$TMP/units" && MANPATH=$TMP/man systemd-analyze verify "${UNITS[@]}") >"$TMP/verify.log" 2>&1
  ok $? "systemd-analyze verify: exit 0"
  check_eq "systemd-analyze verify: no complaint" "" "$(cat "$TMP/verify.log")"
else
  echo "ok - systemd-analyze verify # SKIP systemd-analyze is not installed"
fi
unit() { grep -E "^$2=" "$TMP/units/$1" | cut -d= -f2-; }
check_eq "morgued.service: Type=notify" notify "$(unit morgued.service Type)"
check_match "morgued.service: LimitNOFILE" '^[0-9]+$' "$(unit morgued.service LimitNOFILE)"
check_eq "morgued.service: runs as morgue" morgue "$(unit morgued.service User)"
check_eq "morgue-reindex.service: exit 3 (records skipped) is a success" 3 "$(unit morgue-reindex.service SuccessExitStatus)"
check_eq "morgue-reindex.service: owns /var/lib/morgue" morgue "$(unit morgue-reindex.service StateDirectory)"
check_match "morgue-shard.service: xapian-tcpsrv without --writable" '^/usr/bin/xapian-tcpsrv ([^w]|w[^r])*$' "$(unit morgue-shard.service ExecStart)"
check_eq "morgue-shard.service: the index read-only" /var/lib/morgue "$(unit morgue-shard.service ReadOnlyPaths)"
shard_doc=$($PY -c '
import re, sys
for b in re.findall(r"```ini\n(.*?)```", open(sys.argv[1]).read(), re.S):
    if "xapian-tcpsrv" in b and b.startswith("[Unit]"):
        print(b, end="")' "$MORGUE_ROOT/docs/scaling.md")
check_eq "docs/scaling.md shows morgue-shard.service as shipped" "$(cat "$MORGUE_ROOT/systemd/morgue-shard.service")" "$shard_doc"

# --- the notify protocol ---------------------------------------------------
check "index the bundled corpus" build_index "$TMP/db" "$MORGUE_ROOT/corpus"
# listen NAME OUT: receive two datagrams on the unix socket NAME (a path, or
# @name: abstract) and write each to OUT, with whether the pidfile existed.
listen() {
  rm -f "$2" # the last listener's "bound" must not pass for this one's
  $PY - "$1" "$TMP/d.pid" >"$2" 2>&1 <<'PYEOF' &
import os, socket, sys
name, pidfile = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
print("bound", flush=True)
s.settimeout(60)
for _ in range(2):
    msg = s.recv(4096).decode()
    print(msg, "pidfile" if os.path.exists(pidfile) else "no-pidfile", flush=True)
PYEOF
  LPID=$!
  at_exit "kill $LPID 2>/dev/null"
  wait_for 20 grep -q bound "$2" 2>/dev/null
}
for name in "$TMP/notify.sock" "@morgue-test-notify-$$"; do
  kind=path; [ "${name:0:1}" = @ ] && kind=abstract
  listen "$name" "$TMP/notify.out"
  NOTIFY_SOCKET=$name start_daemon d --db "$TMP/db" --bind "ipc://$TMP/d.sock" --workers 1
  ok $? "$kind: morgued gets ready with NOTIFY_SOCKET set"
  wait_for 10 grep -q READY "$TMP/notify.out"
  check_eq "$kind: READY=1, sent once the pidfile is written" "READY=1 pidfile" "$(sed -n 2p "$TMP/notify.out")"
  stop_daemon "$DPID" "$kind"
  wait "$LPID"
  check_eq "$kind: STOPPING=1 on SIGTERM" "STOPPING=1" "$(sed -n 3p "$TMP/notify.out" | cut -d' ' -f1)"
  check_eq "$kind: no warning in the log" "" "$(grep -E ' (warn|error): ' "$TMP/d.log")"
done

NOTIFY_SOCKET=$TMP/nobody.sock start_daemon d --db "$TMP/db" --bind "ipc://$TMP/d.sock" --workers 1
ok $? "a NOTIFY_SOCKET nobody listens on does not stop morgued"
check_match "it is logged as a warning" 'warn: NOTIFY_SOCKET .*nobody.sock' "$(cat "$TMP/d.log")"
stop_daemon "$DPID" nobody
