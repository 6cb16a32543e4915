#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A rebuild writes each thread's shard in pieces of MORGUE_REBUILD_PIECE
# documents and merges them all at the end: the index is the one a single
# piece gives (later copies of an id replace their twin in an earlier
# piece), with --shards too; the pieces are on disk while the input lasts
# and gone after the run, and after an interrupted one.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/index_helpers.bash"
cd "$TMP" || exit 1
head -n 3000 "$REUTERS" >a.jsonl
# Later copies (a new body) of ids from all over a.jsonl.
awk 'NR % 7 == 1' a.jsonl | sed 's/"body": "/"body": "again /' >dup.jsonl
check "the later copies differ" [ "$(grep -c '"body": "again ' dup.jsonl)" -gt 300 ]
# What an index holds, but value 9 (when each article entered it): a digest.
digest() { "$PY" "$MORGUE_ROOT/bench/index/dumpdb.py" "$1" | grep -v '^  value 9 ' | sha256sum; }

for shards in 1 2; do
  MORGUE_REBUILD_PIECE=100000 "$INDEX" --db one$shards --shards $shards --threads 2 --quiet \
    a.jsonl dup.jsonl 2>/dev/null
  check_eq "--shards $shards: one piece per thread exits 0" 0 $?
  MORGUE_REBUILD_PIECE=150 "$INDEX" --db many$shards --shards $shards --threads 2 --quiet \
    a.jsonl dup.jsonl 2>/dev/null
  check_eq "--shards $shards: pieces of 150 exits 0" 0 $?
  check_eq "--shards $shards: 3000 documents" 3000 "$(count many$shards)"
  check_eq "--shards $shards: the same index, document numbers included" \
    "$(digest one$shards)" "$(digest many$shards)"
  check_eq "--shards $shards: no piece left" g000001 "$(gens many$shards)"
done
MORGUE_REBUILD_PIECE=0 "$INDEX" --db bad --quiet a.jsonl 2>err
check_eq "MORGUE_REBUILD_PIECE=0 is a usage error" 2 $?
check_match "it says so" 'MORGUE_REBUILD_PIECE must be a number from 1' "$(cat err)"

# The pieces while the input lasts: the input on a pipe held open.
mkfifo in
MORGUE_REBUILD_PIECE=150 "$INDEX" --db p --threads 2 --quiet - <in &
pid=$!
exec 3>in
cat a.jsonl >&3
check "pieces are written while the input lasts" \
  wait_for 60 test -d "p.gens/tmp-$pid/shard-0-3" -a -d "p.gens/tmp-$pid/shard-1-3"
exec 3>&-
wait "$pid"
check_eq "the first index exits 0" 0 $?
check_eq "3000 documents" 3000 "$(count p)"
check_eq "no piece left" g000001 "$(gens p)"

# An interrupted rebuild leaves no piece behind, and the old index live.
MORGUE_REBUILD_PIECE=150 "$INDEX" --db p --rebuild --threads 2 --quiet - <in 2>err &
pid=$!
exec 3>in
cat a.jsonl >&3
check "the rebuild writes pieces" wait_for 60 test -d "p.gens/tmp-$pid/shard-1-3"
kill -TERM "$pid"
exec 3>&- # the reader notices the signal at the end of input
wait "$pid"
check_eq "the interrupted rebuild exits 1" 1 $?
check_match "it says nothing was published" 'interrupted: nothing published' "$(cat err)"
check_eq "no piece left, the old generation live" "g000001 p.gens/g000001" \
  "$(gens p) $(readlink p)"
