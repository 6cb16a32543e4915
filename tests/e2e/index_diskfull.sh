#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The disk fills up (a 3 MB tmpfs): a --rebuild, with 1, 2 or 4 threads,
# and an update fail with the cause ("No space left on device") and exit 1,
# never an abort; the old generation stays live and readable, no temporary
# build is left, --json-stats carries the error and counts only what was
# committed; --compact afterwards wins back what the failed update took.
# Needs root (mount); skipped otherwise.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/index_helpers.bash"

cd "$TMP" || exit 1
mkdir small
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=3m tmpfs small 2>/dev/null; then
  echo "ok 1 - disk full # SKIP needs root to mount a small tmpfs"
  exit 0
fi
at_exit "umount '$TMP/small'"
DB=small/db
head -n 200 "$REUTERS" >s200.jsonl
head -n 3000 "$REUTERS" >s3000.jsonl
"$INDEX" --db $DB --quiet s200.jsonl
check_eq "first index of 200 fits" "0 200" "$? $(count $DB)"

# Rebuilds that do not fit, in several shapes: the failure comes from a
# shard's commit or from Xapian unwinding inside it (then Xapian cannot go
# on, and the process ends at once, but still cleanly).
for n in 600 1000; do
  head -n $n "$REUTERS" >in.jsonl
  for t in 1 2 4; do
    "$INDEX" --db $DB --rebuild --threads $t --json-stats in.jsonl >r.json 2>r.err
    check_eq "rebuild of $n with $t threads, disk full: exit 1" 1 $?
    check_match "rebuild $n/$t: the cause" 'No space left on device.*nothing published; the old index stays live' "$(cat r.err)"
    check_eq "rebuild $n/$t: the old generation live and readable, nothing left over" \
      "db.gens/g000001 200 g000001" "$(readlink $DB) $(count $DB) $(gens $DB)"
    check_eq "rebuild $n/$t: json error, nothing added, the live count" "False 0 200" \
      "$(jget r.json changed) $(jget r.json added) $(jget r.json documents)"
    check "rebuild $n/$t: json error code" test "$(jerr r.json)" != None
  done
done

# An update that does not fit, in one batch: nothing committed, and none
# of it reported as added.
"$INDEX" --db $DB --json-stats s3000.jsonl >u.json 2>u.err
check_eq "update, disk full: exit 1" 1 $?
check_match "update: the cause" 'No space left on device' "$(cat u.err)"
check_eq "update: nothing committed" "200 1" "$(count $DB) $(revision $DB)"
check_eq "update: json reports nothing added, nothing changed" "0 0 False 200" \
  "$(jget u.json added) $(jget u.json replaced) $(jget u.json changed) $(jget u.json documents)"
check "update: json error code" test "$(jerr u.json)" != None
grown=$(jget u.json index_bytes)

# With room again, --compact wins the space back, though the index is
# still at revision 1 (its last compaction).
mount -o remount,size=16m small
"$INDEX" --db $DB --compact --json-stats /dev/null >c.json 2>c.err
check_eq "--compact after the failed update: exit 0" 0 $?
check_eq "--compact: compacted into a new generation" "done db.gens/g000002 200" \
  "$(jget c.json compaction) $(readlink $DB) $(count $DB)"
check "--compact: the index is smaller than the failed update left it" \
  [ "$(jget c.json index_bytes)" -lt "$grown" ]
"$INDEX" --db $DB --compact --json-stats /dev/null >c2.json 2>/dev/null
check_eq "then compact already" "not needed" "$(jget c2.json compaction)"

# An update in batches of 100 that fills the disk midway: the batches
# committed stay, and are all the json counts.
mount -o remount,size=3m small
"$INDEX" --db $DB --batch 100 --json-stats s3000.jsonl >b.json 2>b.err
check_eq "batched update, disk full: exit 1" 1 $?
check_match "batched update: the cause" 'No space left on device' "$(cat b.err)"
n=$(count $DB)
check "batched update: some batches were committed" [ "$n" -gt 200 -a "$n" -lt 3000 ]
check_eq "batched update: json counts what was committed" "$((n - 200)) $n True" \
  "$(jget b.json added) $(jget b.json documents) $(jget b.json changed)"
