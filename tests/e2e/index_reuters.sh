#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue-index on all of Reuters-21578: the document count (xapian-delve and
# --json-stats), documents by id, the one skipped record, and a re-run that
# changes nothing (no new revision).
source "$MORGUE_ROOT/tests/e2e/lib.sh"

DB=$TMP/reuters
# jget FILE KEY: a field of the JSON object in FILE
jget() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
delve_field() { xapian-delve "$1" | sed -n "s/^$2 = //p"; }
# docid of the document with id $2
docid() { xapian-delve -1 -t "Q$2" "$1" | sed -n '2p'; }

"$INDEX" --db "$DB" --threads 2 --json-stats "$REUTERS" >"$TMP/s1.json" 2>"$TMP/e1"
rc=$?
check_eq "first index exits 3 (one record skipped)" 3 "$rc"
check_eq "the skipped record's message" "$REUTERS:12793: neither title nor body" \
  "$(grep -F "$REUTERS:" "$TMP/e1")"
check_eq "json: added" 21577 "$(jget "$TMP/s1.json" added)"
check_eq "json: documents" 21577 "$(jget "$TMP/s1.json" documents)"
check_eq "json: skipped" 1 "$(jget "$TMP/s1.json" skipped)"
check_eq "json: read" 21578 "$(jget "$TMP/s1.json" read)"
check_eq "json: mode" rebuild "$(jget "$TMP/s1.json" mode)"
check_eq "json: input_bytes is the corpus size" "$(stat -c %s "$REUTERS")" \
  "$(jget "$TMP/s1.json" input_bytes)"
check_eq "xapian-delve counts 21577 documents" 21577 "$(delve_field "$DB" 'number of documents')"
check_eq "DB is a symlink to the first generation" reuters.gens/g000001 "$(readlink "$DB")"
gen_bytes=$(find "$DB/" -maxdepth 1 -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
check_eq "json: index_bytes is the size of the live generation" "$gen_bytes" \
  "$(jget "$TMP/s1.json" index_bytes)"
check_match "summary on stderr" 'added 21577, replaced 0, unchanged 0, deleted 0, skipped 1' \
  "$(cat "$TMP/e1")"

# Documents by id: reuters-1 is "BAHIA COCOA REVIEW".
d1=$(docid "$DB" reuters-1)
check_match "Qreuters-1 indexes one document" '^[0-9]+$' "$d1"
terms=" $(xapian-delve -1 -r "$d1" "$DB" | tail -n +2 | tr '\n' ' ') "
check_match "reuters-1 has the title stems" ' bahia .* cocoa .* review ' "$terms"
check_match "reuters-1 has the S-prefixed title stems" ' Sbahia Scocoa Sreview ' "$terms"
check_match "reuters-1 has its date, source and topic terms" ' D19870226 Kcocoa M198702 Qreuters-1 .*XSreuters Y1987 ' "$terms"
check_match "reuters-1 has a body stem (showers -> shower)" ' shower ' "$terms"
check_eq "reuters-1's id value" reuters-1 \
  "$(xapian-delve -r "$d1" -VR4 "$DB" | sed -n 's/^Value 4 for record #[0-9]*: //p')"
d2=$(docid "$DB" reuters-21578)
check_match "the last record is indexed" '^[0-9]+$' "$d2"
check_match "reuters-17980 (repaired invalid byte) is indexed" '^[0-9]+$' "$(docid "$DB" reuters-17980)"
check_eq "the skipped reuters-12793 is not" "" "$(docid "$DB" reuters-12793)"
check_eq "metadata: language" english "$("$PY" -c 'import xapian,sys; print(xapian.Database(sys.argv[1]).get_metadata("morgue.lang").decode())' "$DB")"

# Re-run on the same input: nothing changes, no new revision.
rev1=$(delve_field "$DB" revision)
"$INDEX" --db "$DB" --threads 2 --json-stats "$REUTERS" >"$TMP/s2.json" 2>"$TMP/e2"
rc=$?
check_eq "re-run exits 3 (the same record skipped)" 3 "$rc"
for k in added replaced deleted; do
  check_eq "re-run: $k 0" 0 "$(jget "$TMP/s2.json" $k)"
done
check_eq "re-run: unchanged 21577" 21577 "$(jget "$TMP/s2.json" unchanged)"
check_eq "re-run: mode update" update "$(jget "$TMP/s2.json" mode)"
check_eq "re-run: changed false" False "$(jget "$TMP/s2.json" changed)"
check_match "re-run says no changes" 'no changes' "$(cat "$TMP/e2")"
check_eq "re-run: same revision" "$rev1" "$(delve_field "$DB" revision)"
check_eq "re-run: still 21577 documents" 21577 "$(delve_field "$DB" 'number of documents')"
