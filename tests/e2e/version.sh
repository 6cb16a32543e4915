#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One release number, written once (lib/version.h): every program's
# --version, the client header, debian/changelog, morgued's ready line and
# its stats reply all say the same.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

V=$(sed -n 's/^#define MORGUE_VERSION "\(.*\)"$/\1/p' "$MORGUE_ROOT/lib/version.h")
check_match "lib/version.h: MORGUE_VERSION" '^[0-9]+\.[0-9]+\.[0-9]+$' "$V"
parts=$(awk '/define MORGUE_VERSION_(MAJOR|MINOR|PATCH) / { printf "%s%s", sep, $3; sep = "." }' "$MORGUE_ROOT/lib/version.h")
check_eq "lib/version.h: MAJOR.MINOR.PATCH agree" "$V" "$parts"
for b in morgue-index morgued morgue; do
  out=$("$MORGUE_BUILD/$b" --version); rc=$?
  check_eq "$b --version: exit 0" 0 "$rc"
  check_eq "$b --version" "$b $V" "$out"
done
for h in -h --help; do
  out=$("$DAEMON" $h); rc=$?
  check_eq "morgued $h: exit 0" 0 "$rc"
  check_match "morgued $h: usage, with --version" '^usage: morgued .*--version' "$(tr '\n' ' ' <<<"$out")"
done
check_eq "morgue_client.h: MORGUE_CLIENT_VERSION" "$V" \
  "$(sed -n 's/^#define MORGUE_CLIENT_VERSION "\(.*\)"$/\1/p' "$MORGUE_ROOT/client/morgue_client.h")"
if [ -f "$MORGUE_ROOT/debian/changelog" ]; then
  check_match "debian/changelog: the newest entry is this release" "^morgue \\($V(-[0-9]+)?\\) " \
    "$(head -1 "$MORGUE_ROOT/debian/changelog")"
fi

check "index the bundled corpus" build_index "$TMP/db" "$MORGUE_ROOT/corpus"
IPC=ipc://$TMP/morgued.sock
start_daemon d --db "$TMP/db" --bind "$IPC" --workers 1
ok $? "morgued gets ready"
check_match "the ready line names the release" "ready: morgued $V, index " "$(cat "$TMP/d.log")"
out=$("$CLIENT" --endpoint "$IPC" --json stats)
check_eq "stats: daemon.version" "$V" "$(jq -r .daemon.version <<<"$out")"
stop_daemon "$DPID" d
