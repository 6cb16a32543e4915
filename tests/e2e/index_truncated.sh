#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An input cut short (head -c: the last line without its newline, not whole
# JSON) is incomplete, not one bad record: exit 1, nothing deleted by
# --delete-missing, a --rebuild publishes nothing; through a file and
# through stdin. A last line without a newline that is a whole record is
# fine.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/index_helpers.bash"

cd "$TMP" || exit 1
head -n 3000 "$REUTERS" >s.jsonl
"$INDEX" --db db --quiet s.jsonl
check_eq "first index: exit 0" 0 $?
check_eq "3000 documents" 3000 "$(count db)"

# Cut 400,000 bytes in: inside a line (the byte before the cut is no newline).
cut=400000
check "the cut falls inside a line" [ "$(head -c $cut s.jsonl | tail -c 1 | od -An -c | tr -d ' ')" != '\n' ]
head -c $cut s.jsonl >cut.jsonl
lines=$(wc -l <cut.jsonl)
rev=$(revision db)

"$INDEX" --db db --delete-missing --max-delete 100% --json-stats cut.jsonl >f.json 2>f.err
check_eq "a cut file with --delete-missing: exit 1" 1 $?
check_match "the cut line is named as a truncation" \
  "^cut.jsonl:$((lines + 1)): the input ends inside a record .*truncated input$" "$(cat f.err)"
check_match "says the deletion is skipped" 'not deleting missing documents' "$(cat f.err)"
check_eq "file: nothing deleted, nothing skipped" "0 0" "$(jget f.json deleted) $(jget f.json skipped)"
check_eq "file: still 3000 documents" 3000 "$(count db)"
check_eq "file: no new revision" "$rev" "$(revision db)"
check_eq "file: json documents is the index's count" 3000 "$(jget f.json documents)"

head -c $cut s.jsonl | "$INDEX" --db db --delete-missing --max-delete 100% --json-stats - >p.json 2>p.err
check_eq "a cut stdin with --delete-missing: exit 1" 1 $?
check_match "stdin: the cut line is named" "^<stdin>:$((lines + 1)): the input ends inside a record" "$(cat p.err)"
check_eq "stdin: nothing deleted" 0 "$(jget p.json deleted)"
check_eq "stdin: still 3000 documents" 3000 "$(count db)"
check_eq "stdin: no new revision" "$rev" "$(revision db)"

# A rebuild from a cut input publishes nothing.
gen=$(readlink db)
head -c $cut s.jsonl | "$INDEX" --db db --rebuild --max-delete 100% --json-stats - >r.json 2>r.err
check_eq "a rebuild from a cut stdin: exit 1" 1 $?
check_match "rebuild: nothing published" 'nothing published; the old index stays live' "$(cat r.err)"
check_eq "rebuild: the old generation stays live" "$gen" "$(readlink db)"
check_eq "rebuild: with its 3000 documents" 3000 "$(count db)"
check_eq "rebuild: no temporary build left" "$(basename "$gen")" "$(ls db.gens | tr '\n' ' ' | sed 's/ $//')"

# The same records whole but without the last newline: an ordinary run.
head -n "$lines" s.jsonl >whole.jsonl
printf '%s' "$(sed -n "$((lines + 1))p" s.jsonl)" >>whole.jsonl
"$INDEX" --db db --delete-missing --max-delete 100% --json-stats whole.jsonl >w.json 2>w.err
check_eq "a whole last line without a newline: exit 0" 0 $?
check_eq "the missing ones are deleted" "$((3000 - lines - 1)) $((lines + 1))" \
  "$(jget w.json deleted) $(count db)"
