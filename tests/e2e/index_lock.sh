#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One writer at a time: a second morgue-index fails at once with "locked"
# (naming the holder's pid), exit 1, and changes nothing.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

count() { xapian-delve "$1" | sed -n 's/^number of documents = //p'; }
revision() { xapian-delve "$1" | sed -n 's/^revision = //p'; }
cd "$TMP" || exit 1
head -n 200 "$REUTERS" >a.jsonl
sed -n '201,300p' "$REUTERS" >b.jsonl
"$INDEX" --db db --quiet a.jsonl
check_eq "set-up index exits 0" 0 $?
rev=$(revision db)

# A running indexer holds the lock: it reads a pipe we keep open.
mkfifo feed
"$INDEX" --db db --quiet feed &
pid=$!
exec 3>feed
wait_for 10 holds_lock db.lock "$pid"
check_eq "the lock file holds the running indexer's pid" "$pid" "$(cat db.lock)"
start=$(date +%s%N)
timeout 20 "$INDEX" --db db b.jsonl 2>e1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "second indexer: exit 1" 1 "$rc"
check_match "second indexer: says locked, with the holder's pid" "locked by another indexer \\(pid $pid" "$(cat e1)"
check "second indexer fails at once (${ms} ms)" [ "$ms" -lt 5000 ]
"$INDEX" --db db --rebuild b.jsonl 2>e2
check_eq "a --rebuild is locked out too: exit 1" 1 $?
check_match "--rebuild: locked" locked "$(cat e2)"
exec 3>&-
wait "$pid"
check_eq "the first indexer finishes normally" 0 $?
check_eq "index unchanged by the locked-out runs" 200 "$(count db)"
check_eq "no new revision" "$rev" "$(revision db)"
check_eq "the lock file is emptied when the run ends" "" "$(cat db.lock)"

# The lock held by another program (flock from util-linux).
flock -o db.lock sleep 30 &  # -o: only flock itself holds the lock
holder=$!
at_exit "kill $holder 2>/dev/null"
wait_for 10 eval '! flock -n db.lock true'
"$INDEX" --db db b.jsonl 2>e3
check_eq "lock held by flock(1): exit 1" 1 $?
check_match "lock held by flock(1): locked" 'db is locked' "$(cat e3)"
child=$(pgrep -P "$holder")
kill "$holder" $child
wait "$holder" 2>/dev/null
"$INDEX" --db db --quiet b.jsonl
check_eq "once released, indexing works" 0 $?
check_eq "and adds the records" 300 "$(count db)"
