#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue-index --prom-file: the run's outcome as a node_exporter textfile;
# its values are those of --json-stats, the file is replaced whole (no
# temporary left behind), a failed run keeps the time of the last success.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

PROM=$TMP/morgue.prom
DB=$TMP/db
"$INDEX" --db "$DB" --rebuild --quiet --json-stats --prom-file "$PROM" "$MORGUE_ROOT/corpus" >"$TMP/s1.json"
check_eq "a rebuild with --prom-file: exit 0" 0 $?
$PY "$MORGUE_ROOT/tests/e2e/py/promcheck.py" <"$PROM" >"$TMP/p1.out"
check_eq "the textfile parses as Prometheus text" ok "$(head -1 "$TMP/p1.out")"
# compare: every count of the textfile against --json-stats
cmp_json() { # JSON PROMOUT: "key=value" lines where they differ, else nothing
  $PY - "$1" "$2" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
p = dict(l.split() for l in open(sys.argv[2]).read().splitlines()[1:])
pairs = {"added": "last_run_added", "replaced": "last_run_replaced", "unchanged": "last_run_unchanged",
         "deleted": "last_run_deleted", "skipped": "last_run_skipped", "documents": "documents",
         "index_bytes": "bytes", "input_bytes": "last_run_read_bytes"}
for k, m in pairs.items():
    if float(p["morgue_index_" + m]) != float(s[k]):
        print("%s=%s but %s=%s" % (k, s[k], m, p["morgue_index_" + m]))
PYEOF
}
check_eq "textfile values match --json-stats" "" "$(cmp_json "$TMP/s1.json" "$TMP/p1.out")"
val() { awk -v n="morgue_index_$2" '$1 == n {print $2}' "$1"; }
check_eq "exit status 0" 0 "$(val "$TMP/p1.out" last_run_exit_status)"
check_eq "53 documents" 53 "$(val "$TMP/p1.out" documents)"
check_match "index bytes" '^[1-9][0-9]+$' "$(val "$TMP/p1.out" bytes)"
t1=$(val "$TMP/p1.out" last_run_timestamp_seconds)
now=$(date +%s)
ok $(( t1 <= now && t1 > now - 3600 ? 0 : 1 )) "last run time is a Unix time of now ($t1)"
check_eq "last success is the last run" "$t1" "$(val "$TMP/p1.out" last_success_timestamp_seconds)"
check_eq "no temporary file left" "morgue.prom" "$(cd "$TMP" && ls | grep prom | tr '\n' ' ' | sed 's/ $//')"

# a bad record: exit 3, still a success
printf '{"id":"x1","title":"T","body":"B"}\nnot json\n' >"$TMP/bad.jsonl"
"$INDEX" --db "$DB" --quiet --json-stats --prom-file "$PROM" "$TMP/bad.jsonl" >"$TMP/s2.json" 2>/dev/null
check_eq "an update with a bad record: exit 3" 3 $?
$PY "$MORGUE_ROOT/tests/e2e/py/promcheck.py" <"$PROM" >"$TMP/p2.out"
check_eq "exit status 3 in the textfile" 3 "$(val "$TMP/p2.out" last_run_exit_status)"
check_eq "textfile values match --json-stats (update)" "" "$(cmp_json "$TMP/s2.json" "$TMP/p2.out")"
check_eq "added 1, skipped 1" "1 1" "$(val "$TMP/p2.out" last_run_added) $(val "$TMP/p2.out" last_run_skipped)"
succ=$(val "$TMP/p2.out" last_success_timestamp_seconds)

# a failed run (refused by --max-delete): exit 1; the last success stays
"$INDEX" --db "$DB" --quiet --delete-missing --max-delete 1 --prom-file "$PROM" "$TMP/bad.jsonl" 2>/dev/null
check_eq "a refused run: exit 1" 1 $?
$PY "$MORGUE_ROOT/tests/e2e/py/promcheck.py" <"$PROM" >"$TMP/p3.out"
check_eq "the refused run's textfile parses" ok "$(head -1 "$TMP/p3.out")"
check_eq "exit status 1 in the textfile" 1 "$(val "$TMP/p3.out" last_run_exit_status)"
check_eq "the last success is kept from the run before" "$succ" "$(val "$TMP/p3.out" last_success_timestamp_seconds)"
ok $(( $(val "$TMP/p3.out" last_run_timestamp_seconds) >= succ ? 0 : 1 )) "the failed run has its own time"

# an unwritable place: a message, the run's own exit status
"$INDEX" --db "$DB" --quiet --prom-file "$TMP/no/such/dir/m.prom" "$TMP/bad.jsonl" 2>"$TMP/err"
check_eq "prom file not writable: the run's exit status (3)" 3 $?
check_match "prom file not writable: said on stderr" "cannot write $TMP/no/such/dir/m.prom" "$(cat "$TMP/err")"
