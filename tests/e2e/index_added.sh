#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# MG_SLOT_ADDED (value 9): when each article entered the index or last
# changed. New and changed records get the run's time, unchanged ones keep
# theirs through an update and through a --rebuild; every run's time is later
# than the last run's, even within the same second.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/index_helpers.bash"

DB=$TMP/db
added() {
  local d
  d=$(xapian-delve -1 -t "Q$2" "$1" | sed -n '2p')
  [ -n "$d" ] && xapian-delve -r "$d" -V9 "$1" | sed -n 's/^Value 9 for record #[0-9]*: //p'
}
# the distinct values of slot 9, sorted
stamps() { xapian-delve -V9 "$1" | tr ' ' '\n' | sed -n 's/^[0-9]*:\([0-9]\{14\}\)$/\1/p' | sort -u | tr '\n' ' '; }

cd "$TMP" || exit 1
head -n 200 "$REUTERS" >n1.jsonl
"$INDEX" --db "$DB" --quiet n1.jsonl
check_eq "first index exits 0" 0 $?
s1=$(stamps "$DB")
check_match "a first index gives every document one time, YYYYMMDDhhmmss" '^[0-9]{14} $' "$s1"
s1=${s1% }

# The next night: the same 200 with reuters-5's body changed, and 20 new.
amend_body n1.jsonl n2.jsonl reuters-5 " a late correction"
sed -n 201,220p "$REUTERS" >>n2.jsonl
new_id=$(sed -n 201p "$REUTERS" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$INDEX" --db "$DB" --quiet n2.jsonl
check_eq "the update exits 0" 0 $?
check_eq "an unchanged article keeps its time" "$s1" "$(added "$DB" reuters-1)"
s2=$(added "$DB" reuters-5)
check_match "a changed article gets the update's time" '^[0-9]{14}$' "$s2"
check "the update's time is later than the first run's, even in the same second" \
  test "$s2" \> "$s1"
check_eq "a new article gets the update's time" "$s2" "$(added "$DB" "$new_id")"
check_eq "two times in the index after the update" "$s1 $s2 " "$(stamps "$DB")"

"$INDEX" --db "$DB" --quiet --rebuild n2.jsonl
check_eq "the rebuild exits 0" 0 $?
check_eq "a rebuild keeps the times of unchanged articles" "$s1 $s2 " "$(stamps "$DB")"
check_eq "a rebuild keeps a new article's time" "$s2" "$(added "$DB" "$new_id")"

# A rebuild that changes an article gives it the rebuild's time.
sed 's/a late correction/a later correction/' n2.jsonl >n3.jsonl
"$INDEX" --db "$DB" --quiet --rebuild --threads 2 n3.jsonl
check_eq "the second rebuild exits 0" 0 $?
s3=$(added "$DB" reuters-5)
check "an article a rebuild changed gets the rebuild's time" test "$s3" \> "$s2"
check_eq "the others keep theirs" "$s1 $s2 $s3 " "$(stamps "$DB")"
echo "1..$_tap_n"
