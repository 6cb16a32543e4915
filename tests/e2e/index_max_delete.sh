#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guard on deletions: --delete-missing and --rebuild refuse (exit 1,
# nothing changed, nothing published) to remove more than --max-delete of
# the index (10% by default; N% or a number of documents; 100% allows all);
# --dry-run reports what a run would do and changes nothing.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/index_helpers.bash"

cd "$TMP" || exit 1
head -n 2000 "$REUTERS" >all.jsonl
"$INDEX" --db db --quiet all.jsonl
check_eq "first index: 2000 documents" 2000 "$(count db)"

# "Today's file": 100 known articles and a new one. --delete-missing would
# delete 1900 of 2000: refused, and the new article is not added either.
{ head -n 100 all.jsonl; echo '{"id":"new-1","title":"Quokka census","body":"Counted."}'; } >today.jsonl
rev=$(revision db)
"$INDEX" --db db --delete-missing --json-stats today.jsonl >r.json 2>r.err
check_eq "over the default 10%: exit 1" 1 $?
check_eq "the message names the numbers and the option" \
  'morgue-index: refusing: --delete-missing would delete 1900 documents (95.0% of the 2001 documents in the index), over --max-delete 10%: nothing was changed (give --max-delete 100% to allow it)' \
  "$(cat r.err)"
check_eq "refused: nothing changed (count, revision)" "2000 $rev" "$(count db) $(revision db)"
check "refused: the new article was not committed either" test -z "$(xapian-delve -1 -t Qnew-1 db | sed -n 2p)"
check_eq "refused: json error, nothing added or deleted, the index's count" "max_delete 0 0 2000 False" \
  "$(jerr r.json) $(jget r.json added) $(jget r.json deleted) $(jget r.json documents) $(jget r.json changed)"

# Under the limit: an absolute number, or a percentage.
"$INDEX" --db db --delete-missing --max-delete 1899 --quiet today.jsonl 2>/dev/null
check_eq "--max-delete 1899 (one short): exit 1" 1 $?
check_eq "still 2000 documents" 2000 "$(count db)"

# --dry-run: the counts as they would be, nothing written.
"$INDEX" --db db --delete-missing --dry-run --max-delete 100% --json-stats today.jsonl >d.json 2>d.err
check_eq "--dry-run: exit 0" 0 $?
check_eq "--dry-run: would add 1, leave 100, delete 1900" "1 0 100 1900 True" \
  "$(jget d.json added) $(jget d.json replaced) $(jget d.json unchanged) $(jget d.json deleted) $(jget d.json dry_run)"
check_eq "--dry-run: nothing changed" "2000 $rev g000001" "$(count db) $(revision db) $(gens db)"
check_match "--dry-run: the summary says so" 'dry run of an update, nothing changed' "$(cat d.err)"
check "--dry-run: new-1 not added" test -z "$(xapian-delve -1 -t Qnew-1 db | sed -n 2p)"
"$INDEX" --db db --delete-missing --dry-run --json-stats today.jsonl >d2.json 2>d2.err
check_eq "--dry-run over the limit: exit 1, says it would refuse" "1 max_delete" "$? $(jerr d2.json)"
check_match "--dry-run over the limit: message" '^morgue-index: --dry-run: would refuse: --delete-missing would delete 1900 documents' "$(cat d2.err)"

"$INDEX" --db db --delete-missing --max-delete 1900 --json-stats today.jsonl >a.json 2>/dev/null
check_eq "--max-delete 1900: exit 0" 0 $?
check_eq "allowed: 1900 deleted, new-1 added, 101 left" "1900 1 101" \
  "$(jget a.json deleted) $(jget a.json added) $(count db)"

# A rebuild that would shrink the index by more than the limit.
"$INDEX" --db db --quiet all.jsonl
check_eq "back to 2001 documents" 2001 "$(count db)"
gen=$(readlink db)
"$INDEX" --db db --rebuild --json-stats today.jsonl >b.json 2>b.err
check_eq "a shrinking --rebuild: exit 1" 1 $?
check_match "the message" '^morgue-index: refusing: the rebuilt index would hold 101 documents, 1900 fewer \(95\.0% of the 2001 documents in the index\), over --max-delete 10%: nothing published; the old index stays live' "$(cat b.err)"
check_eq "nothing published, no temporary left" "$gen 2001 $(basename "$gen")" "$(readlink db) $(count db) $(gens db)"
check_eq "json: error, added 0, the live count" "max_delete 0 2001" \
  "$(jerr b.json) $(jget b.json added) $(jget b.json documents)"
"$INDEX" --db db --rebuild --dry-run --max-delete 100% --json-stats today.jsonl >bd.json 2>/dev/null
check_eq "--rebuild --dry-run: exit 0, counts the new index" "0 101" "$? $(jget bd.json added)"
check_eq "--rebuild --dry-run: nothing published" "$gen 2001 $(basename "$gen")" "$(readlink db) $(count db) $(gens db)"
"$INDEX" --db db --rebuild --max-delete 100% --quiet today.jsonl
check_eq "--rebuild --max-delete 100%: exit 0, published" "0 101" "$? $(count db)"

# --dry-run of a first index creates no database.
"$INDEX" --db fresh --dry-run --json-stats today.jsonl >f.json 2>/dev/null
check_eq "first index --dry-run: exit 0, counts" "0 101" "$? $(jget f.json added)"
check "first index --dry-run: no database, no generations" test ! -e fresh -a ! -e fresh.gens

# Usage errors.
for v in abc 101% -1 -5% ''; do
  "$INDEX" --db db --max-delete "$v" today.jsonl 2>u.err
  check_eq "--max-delete '$v': exit 2" 2 $?
done
check_match "--max-delete: the usage message" 'must be a percentage from 0% to 100% or a number of documents' "$(cat u.err)"

# --delete-ids: a list of ids to take out, with no input; the same guard.
printf '%s\n' '# takedown' reuters-5 reuters-6 reuters-6 no-such-id >ids.txt
"$INDEX" --db db --delete-ids ids.txt --json-stats >i.json 2>i.err
check_eq "--delete-ids without an input: exit 0, 2 deleted, 99 left" "0 2 99" \
  "$? $(jget i.json deleted) $(count db)"
check_match "--delete-ids: the ids not in the index are told" '1 of the 3 ids are not in the index' "$(cat i.err)"
check "--delete-ids: reuters-5 is gone" test -z "$(xapian-delve -1 -t Qreuters-5 db | sed -n 2p)"
seq 7 30 | sed 's/^/reuters-/' >many.txt
rev=$(revision db)
"$INDEX" --db db --delete-ids many.txt today.jsonl 2>m.err
check_eq "--delete-ids over the default 10%: exit 1, nothing changed" "1 99 $rev" "$? $(count db) $(revision db)"
check_match "--delete-ids refused: the message" '^morgue-index: refusing: --delete-ids would delete 24 documents \(24\.2% of the 99 documents in the index\)' "$(cat m.err)"
"$INDEX" --db db --delete-ids ids.txt --rebuild today.jsonl 2>r2.err
check_eq "--delete-ids with --rebuild: exit 2" 2 $?
"$INDEX" --db db --delete-ids ids.txt --delete-missing today.jsonl 2>r3.err
check_eq "--delete-ids with --delete-missing: exit 2" 2 $?

# Runs that leave no index leave no lock file either.
"$INDEX" --db nodb --delete-ids ids.txt 2>n.err
check_eq "--delete-ids before the index exists: exit 2" 2 $?
check_match "--delete-ids before the index exists: the message" 'nodb is not an index yet' "$(cat n.err)"
check "--delete-ids before the index exists: nothing left" test ! -e nodb.lock -a ! -e nodb.gens
"$INDEX" --db nodb --dry-run today.jsonl 2>n2.err
check_eq "--dry-run of a new index: exit 0" 0 $?
check_match "--dry-run of a new index: the summary names no generation" \
  '^nodb: dry run of a new index, nothing written$' "$(cat n2.err)"
check "--dry-run of a new index: nothing left" test ! -e nodb -a ! -e nodb.lock -a ! -e nodb.gens
