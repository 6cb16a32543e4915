#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad records (tests/fixtures/bad-records.jsonl, line map in
# docs/input-formats.md): each reported as FILE:LINE: reason, counted and
# skipped; warnings printed and the record indexed; exit 3; the good records
# searchable by id. Also an id too long for a Xapian term.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

jget() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
has_id() { [ "$(xapian-delve -1 -t "Q$2" "$1" | sed -n '2p')" != "" ]; }
cd "$TMP" || exit 1
cp "$MORGUE_ROOT/tests/fixtures/bad-records.jsonl" bad.jsonl
# line 17: an id of 300 bytes (under the reader's cap, over Xapian's term limit)
{ echo; printf '{"id":"%s","title":"Long id","body":"b"}\n' "$(printf 'x%.0s' $(seq 300))"; } >>bad.jsonl

"$INDEX" --db db --threads 2 --json-stats bad.jsonl >j.json 2>e
check_eq "bad records: exit 3" 3 $?
check_eq "every message, exactly, in input order" \
'bad.jsonl:2: malformed JSON: '"'"'}'"'"' expected near end of file (column 51)
bad.jsonl:3: not a JSON object
bad.jsonl:4: neither title nor body
bad.jsonl:5: bad date "1987-02-30"
bad.jsonl:6: field "title" too long (5000 bytes, cap 4096)
bad.jsonl:7: field "title" must be a string
bad.jsonl:8: invalid UTF-8 repaired (2 bytes)
bad.jsonl:10: duplicate id "bad-0001" (first seen at bad.jsonl:1); the later record wins
bad.jsonl:13: field "author" must be a string or an array of strings
bad.jsonl:14: NUL characters removed (1)
bad.jsonl:15: not a JSON object
bad.jsonl:17: field "id" too long (300 bytes, cap 244)' "$(grep '^bad.jsonl:' e)"
check_eq "skipped: 9" 9 "$(jget j.json skipped)"
check_eq "warnings: 3" 3 "$(jget j.json warnings)"
check_eq "documents: 6" 6 "$(jget j.json documents)"
for id in bad-0001 bad-0008 url-8ec657e647d1d0be bad-0012 bad-0014 bad-0016; do
  check "good record $id is indexed" has_id db "$id"
done
d=$(xapian-delve -1 -t Qbad-0001 db | sed -n 2p)
terms=" $(xapian-delve -1 -r "$d" db | tail -n +2 | tr '\n' ' ') "
check_match "the later bad-0001 (line 10) won" ' Scorrect ' "$terms"
check_match "the earlier bad-0001 (line 1) is gone" '^[^D]*$' "$(echo "$terms" | grep -o ' D1987[0-9]* ' || echo none)"
check_match "the summary counts them" 'skipped 9, warnings 3' "$(cat e)"

# The same file as an update: same messages, same exit code, nothing new.
"$INDEX" --db db --json-stats bad.jsonl >j2.json 2>e2
check_eq "update with bad records: exit 3" 3 $?
check_eq "update: same messages" "$(grep '^bad.jsonl:' e)" "$(grep '^bad.jsonl:' e2)"
# Records are applied as they stream in: the duplicate's first copy (line 1)
# replaces the stored line-10 version, and line 10 puts it back.
check_eq "update: unchanged 5" 5 "$(jget j2.json unchanged)"
check_eq "update: replaced 2 (the duplicate, twice)" 2 "$(jget j2.json replaced)"
check_eq "update: documents 6" 6 "$(jget j2.json documents)"
d=$(xapian-delve -1 -t Qbad-0001 db | sed -n 2p)
check_match "update: line 10's version is stored" ' Scorrect ' " $(xapian-delve -1 -r "$d" db | tail -n +2 | tr '\n' ' ') "
