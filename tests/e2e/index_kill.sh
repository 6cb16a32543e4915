#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL at any point leaves a database that opens and holds exactly a
# committed state (whole batches), and a re-run converges to the full corpus.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

count() { xapian-delve "$1" 2>/dev/null | sed -n 's/^number of documents = //p'; }
cd "$TMP" || exit 1
head -n 100 "$REUTERS" >base.jsonl
"$INDEX" --db db --quiet base.jsonl
check_eq "set-up index of 100 exits 0" 0 $?
# grown_or_gone PID: the database holds more than $prev documents, or PID exited.
grown_or_gone() {
  local n
  n=$(count db)
  { [ -n "$n" ] && [ "$n" -gt "$prev" ]; } || ! kill -0 "$1" 2>/dev/null
}
BATCH=300
prev=100
for round in 1 2 3; do
  "$INDEX" --db db --quiet --batch $BATCH "$REUTERS" 2>/dev/null &
  pid=$!
  # Wait until it has committed something new, then kill it a little later
  # (a random moment, 0-0.4 s on: not a wait for anything).
  wait_for 60 grown_or_gone "$pid"
  sleep 0.$((RANDOM % 5)) # not a wait
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  n=$(count db)
  check_match "round $round: the database opens after SIGKILL" '^[0-9]+$' "$n"
  check "round $round: it grew ($prev -> $n)" [ "${n:-0}" -gt "$prev" ]
  check_eq "round $round: it holds whole batches of $BATCH" 0 $(( (${n:-1} - 100) % BATCH ))
  # Every document is complete: its id term, its stored record, its hash value.
  check_eq "round $round: every document is whole" ok "$("$PY" - db <<'PY'
import sys, xapian
db = xapian.Database(sys.argv[1])
ids = sum(1 for _ in db.allterms("Q"))
bad = [d.docid for d in db.postlist("") if not db.get_document(d.docid).get_value(7)
       or len(db.get_document(d.docid).get_value(5)) != 8]
print("ok" if ids == db.get_doccount() and not bad else "ids=%d docs=%d bad=%d" % (ids, db.get_doccount(), len(bad)))
PY
)"
  prev=${n:-$prev}
done
"$INDEX" --db db --quiet --json-stats "$REUTERS" >j.json
check_eq "re-run after the kills: exit 3 (the one bad record)" 3 $?
check_eq "re-run converges to the full corpus" 21577 "$(count db)"
check_eq "re-run kept the committed documents" "$prev" \
  "$("$PY" -c 'import json; print(json.load(open("j.json"))["unchanged"])')"
