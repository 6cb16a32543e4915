#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue watch: saved searches over two nightly updates of Reuters. A run
# prints only the articles that entered the index (or changed) since the
# watch last ran, exits 0 with new hits and 1 without; "new" survives a
# --rebuild; a run whose output could not be written does not advance.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
export XDG_STATE_HOME=$TMP/state
m() { "$CLIENT" --db "$DB" "$@"; }
# the ids a watch run printed, sorted
printed() { awk -F'\t' 'NF >= 4 { print $1 }' "$1" | sort; }
# the ids of the whole index matching "oil" whose ids are in file $1
matching_in() {
  m search --no-collapse --format tsv oil | awk -F'\t' 'NR > 1 { print $2 }' | sort >"$TMP/all.ids"
  "$PY" -c 'import json,sys; [print(json.loads(l)["id"]) for l in open(sys.argv[1])]' "$1" |
    sort | comm -12 - "$TMP/all.ids"
}
last_of() { m watch list | awk -F'\t' -v n="$1" '$1 == n { print $2 }'; }

cd "$TMP" || exit 1
head -n 3000 "$REUTERS" >night1.jsonl
sed -n '3001,4000p' "$REUTERS" >night2.jsonl

"$INDEX" --db "$DB" --quiet night1.jsonl
check_eq "the first night is indexed" 0 $?
m watch add oil oil
check_eq "watch add exits 0" 0 $?
m watch add oil gas 2>err
check_eq "a second watch of the same name is refused (2)" 2 $?
m watch add 'bad/name' oil 2>/dev/null
check_eq "a name with a slash is refused (2)" 2 $?
check_match "watch list shows it, never run" '^oil	never	oil$' "$(m watch list)"
check "the state file is under \$XDG_STATE_HOME/morgue" test -f "$XDG_STATE_HOME/morgue/watches.json"

m watch run >run1.out
check_eq "the first run: everything matching is new (0)" 0 $?
check_eq "it prints every article of the index matching the query" "$(matching_in night1.jsonl)" \
  "$(printed run1.out)"
check_match "under a header naming the watch" '^== oil: oil$' "$(head -1 run1.out)"
check_match "the watch keeps the index's time of the run" '^[0-9]{14}$' "$(last_of oil)"
m watch run >run2.out
check_eq "run again at once: nothing new (1)" 1 $?
check_eq "and nothing printed" "" "$(cat run2.out)"

"$INDEX" --db "$DB" --quiet night2.jsonl
check_eq "the second night is indexed as an update" 0 $?
m watch run oil >run3.out
check_eq "after the update: new hits (0)" 0 $?
want=$(matching_in night2.jsonl)
check "the second night has articles about oil" test -n "$want"
check_eq "exactly the second night's articles matching the query" "$want" "$(printed run3.out)"
m watch run >/dev/null
check_eq "then nothing new (1)" 1 $?

cat night1.jsonl night2.jsonl >both.jsonl
"$INDEX" --db "$DB" --quiet --rebuild both.jsonl
check_eq "a rebuild of both nights" 0 $?
m watch run >run4.out
check_eq "after the rebuild nothing is new (1): the times survived it" 1 $?
check_eq "and nothing printed after the rebuild" "" "$(cat run4.out)"

# An article of the first night about oil changes: it is news again.
changed=$(printed run1.out | head -1)
"$PY" - "$changed" <<'PY'
import json, sys
with open("night1.jsonl") as f, open("fix.jsonl", "w") as o:
    for line in f:
        r = json.loads(line)
        if r["id"] == sys.argv[1]:
            r["body"] = (r.get("body") or "") + " Correction: the oil figures were revised."
            o.write(json.dumps(r) + "\n")
PY
"$INDEX" --db "$DB" --quiet fix.jsonl
m watch run >run5.out
check_eq "a changed article shows up again (0)" 0 $?
check_eq "only it" "$changed" "$(printed run5.out)"

# A run whose output cannot be written exits 2 and does not advance.
sed 's/revised\./revised again./' fix.jsonl >fix2.jsonl
"$INDEX" --db "$DB" --quiet fix2.jsonl
before=$(last_of oil)
m watch run >/dev/full 2>err
check_eq "output to a full disk: exit 2" 2 $?
check_eq "saying why, with the error of the write" \
  "morgue: cannot write output: No space left on device" "$(cat err)"
check_eq "the watch's time did not advance" "$before" "$(last_of oil)"
m watch run >run6.out
check_eq "the next run still has the article (0)" 0 $?
check_eq "the hit was not lost" "$changed" "$(printed run6.out)"

# Two watches: one header each, only for those with news; --source kept.
m --source reuters watch add crude crude
check_match "--source is kept with the watch" '^crude	never	crude	source=reuters$' \
  "$(m watch list | grep '^crude')"
m watch run >run7.out
check_eq "a new watch has news, the old one none (0)" 0 $?
check_eq "one header: only the watch with news" "== crude: crude" "$(grep '^==' run7.out)"

# Through morgued: the same articles as in-process.
IPC=ipc://$TMP/morgued.sock
start_daemon d --db "$DB" --bind "$IPC" --workers 1
ok $? "morgued gets ready"
m watch add viadb crude
m watch run viadb >db.out
"$CLIENT" --endpoint "$IPC" watch add viad crude
"$CLIENT" --endpoint "$IPC" watch run viad >daemon.out
check_eq "through the daemon: new hits (0)" 0 $?
check "the daemon's run prints articles" test -n "$(printed daemon.out)"
check_eq "the same articles as through --db" "$(printed db.out)" "$(printed daemon.out)"
"$CLIENT" --endpoint "$IPC" watch run viad >/dev/null
check_eq "through the daemon, again: nothing new (1)" 1 $?
m watch rm viad
m watch rm viadb

m watch run nosuch 2>/dev/null
check_eq "an unknown watch is a usage error (2)" 2 $?
"$CLIENT" --endpoint "ipc://$TMP/nobody" --timeout 200 --retries 0 watch run 2>/dev/null
check_eq "no daemon: 3" 3 $?
m watch rm oil
check_eq "watch rm exits 0" 0 $?
m watch rm crude
m watch list >/dev/null
check_eq "no watches left: list exits 1" 1 $?
# Archive text never moves the terminal: a title or source name with ESC,
# BEL, tabs and line breaks still prints as one line of four fields.
CTL=$TMP/ctl
"$PY" -c 'import json; print(json.dumps({"id": "c1", "date": "2020-01-01", "body": "quagga",
  "title": "Esc \u001b[31mRED\u001b[0m t\u0007 a\tb\nc", "source": "Src\tTab"}))' >ctl.jsonl
"$INDEX" --db "$CTL" --quiet ctl.jsonl
"$CLIENT" --db "$CTL" watch add ctl quagga
"$CLIENT" --db "$CTL" watch run ctl >ctl.out
check_eq "a title with control characters: new hits (0)" 0 $?
check_eq "the header and one line for the article" 2 "$(wc -l <ctl.out)"
check_eq "four tab-separated fields" 4 "$(awk -F'\t' 'NR == 2 { print NF }' ctl.out)"
check "no ESC or BEL reaches the output" test -z "$(tr -d -c '\033\007' <ctl.out)"
check_eq "tabs and line breaks became spaces, ESC and BEL U+FFFD" \
  "c1	2020-01-01	Src Tab	Esc �[31mRED�[0m t� a b c" "$(sed -n 2p ctl.out)"
m watch rm ctl
# A state file that is a directory is refused by name.
mkdir -p "$TMP/dirstate/morgue/watches.json"
XDG_STATE_HOME=$TMP/dirstate m watch list 2>err
check_eq "watches.json a directory: 2" 2 $?
check_eq "saying the path is a directory" \
  "morgue: $TMP/dirstate/morgue/watches.json is a directory, not a regular file" "$(cat err)"
# A query that is not UTF-8 is refused as such (JSON holds only UTF-8).
m watch add u $'oil\xe9' 2>err
check_eq "a query not in UTF-8: 2" 2 $?
check_match "saying so" 'query is not valid UTF-8' "$(cat err)"
check "and not saved" test -z "$(m watch list | grep '^u	')"
# A query the index refuses is refused by add, not saved to fail every run.
m watch add bad 'zebra "x' 2>err
check_eq "a query with an unbalanced quote: 2" 2 $?
check_match "with the index's error" 'unbalanced_quote' "$(cat err)"
check "and not saved" test -z "$(m watch list | grep '^bad	')"
m watch add good 'zebra x'
check_eq "a good query is still added (0)" 0 $?
check_match "and listed" '^good	never	zebra x$' "$(m watch list)"
m watch run >/dev/null
check "and watch run does not fail (0 or 1)" test $? -le 1
m watch rm good
# --since and --until are kept with the watch and bound every run; the
# options a watch cannot keep are refused, not dropped.
"$PY" -c 'import json
for i, d in (("w19", "2019-06-01"), ("w21", "2021-03-01"), ("w23", "2023-09-09")):
    print(json.dumps({"id": i, "date": d, "title": "Walrus " + i, "body": "walrus"}))' >dates.jsonl
DATES=$TMP/dates
"$INDEX" --db "$DATES" --quiet dates.jsonl
"$CLIENT" --db "$DATES" --since 2021 watch add w-since walrus
check_eq "watch add --since: 0" 0 $?
"$CLIENT" --db "$DATES" --since 2020 --until 2022 watch add w-both walrus
check_match "the dates are listed with the watch" '^w-both	never	walrus	since=2020	until=2022$' \
  "$(m watch list)"
"$CLIENT" --db "$DATES" watch run w-since >since.out
check_eq "a watch --since 2021 prints only the articles from 2021 on" "w21 w23" \
  "$(printed since.out | xargs)"
"$CLIENT" --db "$DATES" watch run w-both >both.out
check_eq "a watch --since 2020 --until 2022 only those between" "w21" "$(printed both.out | xargs)"
for opt in "--sort oldest" "--added-since 2020" "--added-until 2030" "--facets source" \
  "--limit 5" "--no-collapse" "--json"; do
  # shellcheck disable=SC2086 # the option and its value, two words
  "$CLIENT" --db "$DATES" $opt watch add w-opt walrus 2>err
  check_eq "watch add ${opt%% *}: refused (2)" 2 $?
  check_match "naming it" "not ${opt%% *}\$" "$(head -1 err)"
done
check "none of them saved" test -z "$(m watch list | grep '^w-opt	')"
"$CLIENT" --db "$DATES" --since 2019 watch run w-since 2>err
check_eq "watch run --since: refused (2), the watch keeps its own" 2 $?
check_match "saying so" 'watch run does not take --since' "$(cat err)"
m watch rm w-since
m watch rm w-both
echo "1..$_tap_n"
