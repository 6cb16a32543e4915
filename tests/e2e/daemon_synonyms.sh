#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Synonyms through morgued (MORGUE_SYNONYMS, docs/operations.md): read at
# start, read again on SIGHUP; a bad file at start stops the daemon naming
# the line, and on SIGHUP leaves the groups the workers had.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
check "index the corpus" build_index "$DB" "$MORGUE_ROOT/corpus"
SYN=$TMP/synonyms
printf '# cocoa in other tongues\nkakao, cocoa\n' >"$SYN"
IPC=ipc://$TMP/morgued.sock
MORGUE_SYNONYMS=$SYN start_daemon d --db "$DB" --bind "$IPC" --workers 2
ok $? "morgued with a synonyms file gets ready"
ids() { "$CLIENT" --endpoint "$IPC" --strict search "$@" | sed -n 's/^ *id: //p' | sort | tr '\n' ' '; }

check_eq "kakao finds the cocoa article" "mw-1987-0001 " "$(ids kakao)"
check_eq "paradeplatz finds nothing yet" "" "$(ids paradeplatz)"

# SIGHUP: the file read again, by every worker
printf 'kakao cocoa\nparadeplatz parade\n' >"$SYN"
kill -HUP "$DPID"
want="ah-1988-0001 hg-2017-0001 pd-2025-0001 seed/000_28d2b5b5369e82d3.txt "
both_workers() { [ "$(ids paradeplatz)" = "$want" ] && [ "$(ids paradeplatz)" = "$want" ]; }
wait_for 5 both_workers
check_eq "after SIGHUP: the new group is served" "$want" "$(ids paradeplatz)"
check_eq "after SIGHUP: by both workers" "$want" "$(ids paradeplatz)"

# a bad file on SIGHUP: logged, the workers keep the groups they had
printf 'kakao cocoa\nkyiv\n' >"$SYN"
kill -HUP "$DPID"
logged() { grep -q "synonyms $SYN:2: a group needs two different words" "$TMP/d.log"; }
wait_for 5 logged
check "a bad file on SIGHUP is logged, with its line" logged
check_eq "and the groups read before still serve" "$want" "$(ids paradeplatz)"
check "the daemon still runs" kill -0 "$DPID"
stop_daemon "$DPID" d

# a bad file at start: morgued does not start, and says where
MORGUE_SYNONYMS=$SYN "$DAEMON" --db "$DB" --bind "ipc://$TMP/bad.sock" 2>"$TMP/bad.log"
check_eq "a bad file at start: morgued exits 1" 1 "$?"
check_match "naming the file and line" "synonyms $SYN:2: a group needs two different words \('kyiv'\)" \
  "$(cat "$TMP/bad.log")"
MORGUE_SYNONYMS=$TMP/none "$DAEMON" --db "$DB" --bind "ipc://$TMP/bad.sock" 2>"$TMP/bad.log"
check_eq "a missing file at start: morgued exits 1" 1 "$?"
check_match "naming it" "synonyms $TMP/none: No such file or directory" "$(cat "$TMP/bad.log")"
