#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue-index's command line: --help and --version, usage errors (exit 2),
# MORGUE_DB, stdin, the progress line and --quiet.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

count() { xapian-delve "$1" | sed -n 's/^number of documents = //p'; }
cd "$TMP" || exit 1
head -n 50 "$REUTERS" >s.jsonl

help=$("$INDEX" --help)
check_eq "--help exits 0" 0 $?
for o in --db --lang --threads --batch --rebuild --delete-missing --max-delete --dry-run --progress --quiet \
         --json-stats --help --version MORGUE_DB; do
  check_match "--help mentions $o" "$o" "$help"
done
for c in 0 1 2 3; do
  check_match "--help documents exit status $c" "^  $c  " "$help"
done
check_match "--version" '^morgue-index [0-9]' "$("$INDEX" --version)"

# usage errors: exit 2, a message, nothing created
usage() {
  local name=$1 pattern=$2; shift 2
  "$INDEX" "$@" >out 2>err
  local rc=$?
  check_eq "$name: exit 2" 2 "$rc"
  check_match "$name: message" "$pattern" "$(cat err)"
}
usage "unknown option" 'unrecognized option' --db db --frobnicate s.jsonl
usage "no input" 'no input' --db db
usage "no database" 'no database: give --db DIR or set MORGUE_DB' s.jsonl
usage "--threads 0" '--threads must be a number from 1 to 256' --db db --threads 0 s.jsonl
usage "--threads abc" '--threads must be a number' --db db --threads abc s.jsonl
usage "--threads -1" '--threads must be a number' --db db --threads -1 s.jsonl
usage "--batch 0" '--batch must be a number' --db db --batch 0 s.jsonl
usage "--progress with --quiet" 'exclude each other' --db db --progress --quiet s.jsonl
usage "unknown --lang" 'unknown language "klingon" for --lang; valid languages: .*english.*french' \
  --db db --lang klingon s.jsonl
check "usage errors create nothing" test ! -e db -a ! -e db.gens

# MORGUE_DB, stdin, --lang on a new index
MORGUE_DB=$TMP/envdb "$INDEX" --quiet --lang french - <s.jsonl
check_eq "MORGUE_DB and stdin: exit 0" 0 $?
check_eq "MORGUE_DB and stdin: indexed" 50 "$(count envdb)"
check_eq "--lang stored in the index" french \
  "$("$PY" -c 'import xapian,sys; print(xapian.Database(sys.argv[1]).get_metadata("morgue.lang").decode())' envdb)"
"$INDEX" --db envdb --quiet s.jsonl
check_eq "an update without --lang uses the stored one" 0 $?
"$INDEX" --db envdb --rebuild --lang english --quiet s.jsonl
check_eq "--rebuild may change the language" english \
  "$("$PY" -c 'import xapian,sys; print(xapian.Database(sys.argv[1]).get_metadata("morgue.lang").decode())' envdb)"

# progress and quiet
"$INDEX" --db p --progress s.jsonl 2>err
check_eq "--progress: exit 0" 0 $?
check_match "--progress draws a line with documents, MB and docs/s" $'\r.*[0-9]+ documents .* MB .* docs/s' "$(cat err)"
check_match "the summary" 'added 50, replaced 0, unchanged 0, deleted 0, skipped 0, warnings 0' "$(cat err)"
check_match "the summary: speed and index size" 'docs/s, [0-9.]+ MB/s' "$(cat err)"
"$INDEX" --db p --quiet s.jsonl >out 2>err
check_eq "--quiet: nothing on stderr" "" "$(cat err)"
check_eq "--quiet: nothing on stdout" "" "$(cat out)"
"$INDEX" --db p --quiet --json-stats s.jsonl >out 2>err
check_match "--json-stats: one JSON object on stdout" '^\{"added":0,.*"unchanged":50,.*"mode":"update"' "$(cat out)"
check_eq "--json-stats: one line" 1 "$(wc -l <out)"

# A --db that is some other directory is never written into.
mkdir notdb && echo precious >notdb/file
"$INDEX" --db notdb s.jsonl 2>err
check_eq "a non-database directory: exit 1" 1 $?
check_match "a non-database directory: says why" 'not a Xapian glass database: refusing' "$(cat err)"
check_eq "a non-database directory: left alone" "file" "$(ls notdb)"
check "a non-database directory: no lock file left" test ! -e notdb.lock
# ... nor is one reached through a symlink.
ln -s notdb notdblink
"$INDEX" --db notdblink s.jsonl 2>err
check_eq "a symlink to a non-database directory: exit 1" 1 $?
check_match "a symlink to a non-database directory: says why" \
  '^morgue-index: notdblink \(a symlink to notdb\) is a directory but not a Xapian glass database: refusing' \
  "$(cat err)"
check_eq "a symlink to a non-database directory: left alone" "file" "$(ls notdb)"
check "a symlink to a non-database directory: no lock file left" test ! -e notdblink.lock
# A dangling --db symlink: refused, and no lock file left beside it.
ln -s nowhere dangling
"$INDEX" --db dangling s.jsonl 2>err
check_eq "a dangling --db symlink: exit 1" 1 $?
check_match "a dangling --db symlink: says why" 'dangling is a symlink to nowhere, which is not a directory' "$(cat err)"
check "a dangling --db symlink: no lock file left" test ! -e dangling.lock
