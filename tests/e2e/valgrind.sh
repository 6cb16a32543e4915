#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plain build under valgrind on a small corpus: rebuild, update with
# --delete-missing and --compact (its compacting child too), and an offline
# search. (The sanitizer build has ASan instead; valgrind cannot run ASan
# binaries, so there it is skipped.)
source "$MORGUE_ROOT/tests/e2e/lib.sh"

if [ "$(basename "$MORGUE_BUILD")" = build-san ] || ! command -v valgrind >/dev/null; then
  echo "ok 1 - valgrind run # SKIP sanitizer build or no valgrind"
  exit 0
fi
vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q)
"${vg[@]}" "$INDEX" --db "$TMP/db" --rebuild --threads 2 --quiet "$MORGUE_ROOT/corpus" 2>"$TMP/vg1"
ok $? "morgue-index --rebuild under valgrind: no error, no definite leak"
grep -q '==[0-9]*==' "$TMP/vg1" && sed 's/^/# /' "$TMP/vg1" | head -30
"${vg[@]}" "$INDEX" --db "$TMP/db" --threads 2 --quiet --delete-missing --compact \
  "$MORGUE_ROOT/corpus/samples.jsonl" 2>"$TMP/vg2"
ok $? "morgue-index update with --delete-missing --compact under valgrind"
grep -q '==[0-9]*==' "$TMP/vg2" && sed 's/^/# /' "$TMP/vg2" | head -30
check_eq "the update was compacted into a new generation" db.gens/g000002 "$(readlink "$TMP/db")"
"${vg[@]}" "$CLIENT" --db "$TMP/db" search 'military parade OR title:cocoa* OR muller' >"$TMP/out" 2>"$TMP/vg3"
ok $? "morgue search --db under valgrind"
grep -q '==[0-9]*==' "$TMP/vg3" && sed 's/^/# /' "$TMP/vg3" | head -30
check_match "and it found the articles" 'id: hg-2017-0001' "$(cat "$TMP/out")"
