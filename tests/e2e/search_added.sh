#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue search --added-since / --added-until: the articles by when they
# entered the index (value slot 9), after a first run and a nightly update
# that adds 20 articles and changes one; in the 14-digit form that stats
# gives and in ISO 8601; bad times are usage errors.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/index_helpers.bash"

DB=$TMP/db
cd "$TMP" || exit 1
head -n 300 "$REUTERS" >n1.jsonl
"$INDEX" --db "$DB" --quiet n1.jsonl
check_eq "first run exits 0" 0 $?
s1=$("$CLIENT" --db "$DB" --json stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["stats"]["added"])')
amend_body n1.jsonl n2.jsonl reuters-5 " a late correction"
sed -n 301,320p "$REUTERS" >>n2.jsonl
"$INDEX" --db "$DB" --quiet n2.jsonl
check_eq "the update exits 0" 0 $?
s2=$("$CLIENT" --db "$DB" --json stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["stats"]["added"])')
check "the update's time is later" test "$s2" \> "$s1"

# ids of every hit of a query (export), sorted
ids() { "$CLIENT" --db "$DB" --format tsv "$@" | tail -n +2 | cut -f2 | sort; }
new=$( (sed -n 301,320p "$REUTERS"; grep '"id": *"reuters-5"' n2.jsonl) |
  "$PY" -c 'import json,sys; print("\n".join(sorted(json.loads(l)["id"] for l in sys.stdin)))')
all=$(ids search reuter)
want=$(comm -12 <(echo "$all") <(echo "$new"))
diag "reuter: $(echo "$all" | wc -l) hits, $(echo "$want" | wc -l) of them new or changed"
check_match "the query finds some of the update's articles" 'reuters-' "$want"
check_eq "--added-since the update's time: the new and the changed articles" "$want" \
  "$(ids --added-since "$s2" search reuter)"
iso="${s2:0:4}-${s2:4:2}-${s2:6:2}T${s2:8:2}:${s2:10:2}:${s2:12:2}Z"
check_eq "...the same in ISO 8601 ($iso)" "$want" "$(ids --added-since "$iso" search reuter)"
check_eq "--added-until the first run's time: the others" "$(comm -23 <(echo "$all") <(echo "$new"))" \
  "$(ids --added-until "$s1" search reuter)"
check_eq "both bounds on the update's time" "$want" \
  "$(ids --added-since "$s2" --added-until "$s2" search reuter)"
out=$("$CLIENT" --db "$DB" --json --limit 100 search --added-since "$s2" reuter)
check_match "--json: the request's range is applied" '"id":"reuters-30[0-9]"|"id":"reuters-31[0-9]"' "$out"
n=$("$CLIENT" --db "$DB" search --added-since "$s2" --strict zzzznothing >/dev/null 2>&1; echo $?)
check_eq "nothing found: exit 1" 1 "$n"

err=$("$CLIENT" --db "$DB" search --added-since yesterday reuter 2>&1); rc=$?
check_eq "a word for a time: usage error, exit 2" 2 "$rc"
check_match "...that says what a time is" '--added-since wants a UTC time' "$err"
err=$("$CLIENT" --db "$DB" search --added-until 2026-1 reuter 2>&1); rc=$?
check_eq "an odd number of digits (2026-1): exit 2" 2 "$rc"
check_match "...the engine's bad_date" 'bad.date|bad date' "$err"
echo "1..$_tap_n"
