#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What cron and systemd see: skipped records are exit 3 with no error, and
# the shipped reindex unit counts 3 as success; a fatal run's
# --json-stats carries an error object and the index's real document count;
# stats.revision never goes backwards across update, --compact, --rebuild.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/index_helpers.bash"

stats_rev() { "$CLIENT" --db "$1" stats --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["stats"]["revision"])'; }
cd "$TMP" || exit 1

# The shipped reindex unit (systemd/, shown in docs/operations.md) takes exit
# 3 as a success.
unit=$(cat "$MORGUE_ROOT/systemd/morgue-reindex.service.in")
check_match "the reindex unit runs morgue-index" '^ExecStart=.*morgue-index ' "$unit"
check_match "the reindex unit has SuccessExitStatus=3" '^SuccessExitStatus=3$' "$unit"

# One empty record among good ones (as in Reuters-21578): exit 3, no error.
head -n 300 "$REUTERS" >s.jsonl
echo '{"id":"empty-1","title":"","body":""}' >>s.jsonl
"$INDEX" --db db --json-stats s.jsonl >a.json 2>a.err
check_eq "a skipped record: exit 3" 3 $?
check_eq "exit 3: error null, skipped 1, the documents" "None 1 300" \
  "$(jerr a.json) $(jget a.json skipped) $(jget a.json documents)"

# A missing input: exit 1, the --json-stats code the docs give for it.
"$INDEX" --db db --json-stats nonexist.jsonl >m.json 2>m.err
check_eq "a missing input: exit 1, json error not_found" "1 not_found" "$? $(jerr m.json)"
check_match "a missing input: the message" '^morgue-index: cannot read nonexist.jsonl: No such file or directory$' \
  "$(cat m.err)"

# A fatal error: another indexer holds the lock.
exec 9>db.lock
flock -n 9
"$INDEX" --db db --json-stats s.jsonl >l.json 2>/dev/null
check_eq "locked: exit 1" 1 $?
check_eq "locked: json error code and the index's real count" "locked 300" \
  "$(jerr l.json) $(jget l.json documents)"
check_match "locked: json error message" 'locked by another indexer' \
  "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"]["message"])' l.json)"
exec 9>&-

# stats.revision: update, compact, rebuild, update, each strictly higher.
r0=$(stats_rev db)
sed -n '301,400p' "$REUTERS" >more.jsonl
"$INDEX" --db db --quiet more.jsonl
r1=$(stats_rev db)
check "an update raises stats.revision ($r0 -> $r1)" [ "$r1" -gt "$r0" ]
"$INDEX" --db db --quiet more.jsonl
check_eq "an update that changes nothing keeps it" "$r1" "$(stats_rev db)"
"$INDEX" --db db --compact --quiet more.jsonl
r2=$(stats_rev db)
check_eq "--compact published a new generation" db.gens/g000002 "$(readlink db)"
check "--compact raises it ($r1 -> $r2)" [ "$r2" -gt "$r1" ]
"$INDEX" --db db --rebuild --quiet s.jsonl more.jsonl 2>/dev/null
r3=$(stats_rev db)
check "--rebuild raises it ($r2 -> $r3)" [ "$r3" -gt "$r2" ]
sed -n '401,420p' "$REUTERS" >last.jsonl
"$INDEX" --db db --quiet last.jsonl
r4=$(stats_rev db)
check "the next update raises it ($r3 -> $r4)" [ "$r4" -gt "$r3" ]
check_eq "readable: generation 3, Xapian revision 2" 30000000002 "$r4"
