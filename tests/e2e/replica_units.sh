#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The replication units (systemd/morgue-replicate-server.service on the index
# host, systemd/morgue-replica.service on a replica; docs/replication.md)
# pass systemd-analyze verify, and agree with each other and with the index
# morgue-index and morgued use: the server serves the parent of
# /var/lib/morgue/db, the replica asks for "db" on the same port.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

UNITS=(morgue-replicate-server.service morgue-replica.service)
mkdir -p "$TMP/units" "$TMP/man/man1" "$TMP/man/man8"
for u in "${UNITS[@]}"; do cp "$MORGUE_ROOT/systemd/$u" "$TMP/units/"; done
for m in "$MORGUE_BUILD"/man/*; do mkdir -p "$TMP/man/man${m##*.}" && cp "$m" "$TMP/man/man${m##*.}/"; done
# the xapian-tools man pages, where they are installed
for p in xapian-replicate xapian-replicate-server; do
  f=$(man -w "$p" 2>/dev/null) && cp "$f" "$TMP/man/man1/"
done

if ! command -v systemd-analyze >/dev/null; then
  echo "ok - systemd-analyze verify # SKIP systemd-analyze is not installed"
elif [ ! -f "$TMP/man/man1/xapian-replicate.1.gz" ] || ! command -v xapian-replicate >/dev/null; then
  echo "ok - systemd-analyze verify # SKIP xapian-tools (xapian-replicate, its man pages) is not installed"
else
  (cd "$TMP/units" && MANPATH=$TMP/man systemd-analyze verify "${UNITS[@]}") >"$TMP/verify.log" 2>&1
  ok $? "systemd-analyze verify: exit 0"
  check_eq "systemd-analyze verify: no complaint" "" "$(cat "$TMP/verify.log")"
fi

unit() { grep -E "^$2=" "$TMP/units/$1" | cut -d= -f2-; }
env_of() { unit "$1" Environment | tr ' ' '\n' | sed -n "s/^$2=//p"; }
srv=morgue-replicate-server.service rep=morgue-replica.service
check_eq "both units use one port" "$(env_of $srv MORGUE_REPLICATE_PORT)" "$(env_of $rep MORGUE_REPLICATE_PORT)"
check_match "the server serves the directory of morgue-index's --db" ' /var/lib/morgue$' "$(unit $srv ExecStart)"
check_match "the replica asks for db, the symlink morgue-index switches" ' -m db ' "$(unit $rep ExecStart)"
check_eq "the server only reads the index" /var/lib/morgue "$(unit $srv ReadOnlyPaths)"
check_eq "both run as morgue" "morgue morgue" "$(unit $srv User) $(unit $rep User)"
check_match "the replica's copy is where docs/replication.md points morgued" \
  ' /var/lib/morgue/replica$' "$(unit $rep ExecStart)"
check_match "docs/replication.md: morgued on the replica serves that copy" \
  'ExecStart=.*morgued --db /var/lib/morgue/replica ' "$(cat "$MORGUE_ROOT/docs/replication.md")"
