#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Export cursors over remote shards (docs/protocol.md, docs/scaling.md).
# Reuters split into 3 shards, each built on its own (morgue-index --shards
# 3 --shard K, as on the host that serves it) and served by xapian-tcpsrv:
#   - an export page after page (2 workers: pages answered by either) is the
#     single index's ranking, the cursor valid from page to page;
#   - after one shard's update (an article of the second page no longer
#     matches), the page after a cursor taken before it is error
#     stale_cursor, not a page of the new ranking after one of the old;
#   - an export started again then runs to its end.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"
source "$MORGUE_ROOT/tests/e2e/shards_helpers.bash"

need_tcpsrv "cursors over remote shards"
head -n 2000 "$REUTERS" >"$TMP/part.jsonl"
"$INDEX" --db "$TMP/single" --quiet "$TMP/part.jsonl" 2>/dev/null
for k in 0 1 2; do
  "$INDEX" --db "$TMP/s$k" --shards 3 --shard $k --quiet "$TMP/part.jsonl" 2>/dev/null
done
check "a single index and 3 shards built apart" test -d "$TMP/single" -a -d "$TMP/s0" -a -d "$TMP/s2"

free_ports 3
for k in 0 1 2; do serve_db "${PORTS[$k]}" "$TMP/s$k"; done
for k in 0 1 2; do wait_port "${PORTS[$k]}"; done
printf 'remote 127.0.0.1:%s\n' "${PORTS[@]}" >"$TMP/topology"

start_daemon single --db "$TMP/single" --bind 'tcp://127.0.0.1:*' --query-budget-ms 0 || exit 1
EP1=$TCP_EP
start_daemon remote --db "$TMP/topology" --bind 'tcp://127.0.0.1:*' --query-budget-ms 0 \
  --workers 2 || exit 1
EP2=$TCP_EP
R=$DPID
field() { $PY -c 'import json,sys; v=json.loads(sys.stdin.read()).get(sys.argv[1]); print(v if isinstance(v, str) else json.dumps(v))' "$1"; }

a=$($PY "$PYDIR/export_pages.py" "$EP1" oil 10 all)
b=$($PY "$PYDIR/export_pages.py" "$EP2" oil 10 all)
diag "single: $(field pages <<<"$a") pages; remote: $(field pages <<<"$b") pages, error $(field error <<<"$b")"
check_eq "an export over remote shards runs page after page to its end" null "$(field error <<<"$b")"
check "in more than 3 pages" test "$(field pages <<<"$b")" -gt 3
check_eq "the same ranking as the single index's export" "$(field ids <<<"$a")" "$(field ids <<<"$b")"

# The first page and its cursor; then the 15th hit (on the second page)
# changes on its shard: it no longer mentions oil.
first=$($PY "$PYDIR/export_pages.py" "$EP2" oil 10 first)
next=$(field next <<<"$first")
check_match "the first page has a cursor" '^[0-9]+\.10\.' "$next"
id=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["ids"][14])' "$b")
k=$(echo "$id" | $PY "$PYDIR/shard_of.py" 3)
$PY - "$TMP/part.jsonl" "$id" >"$TMP/changed.jsonl" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["id"] == sys.argv[2]:
        r["title"], r["body"] = "Changed", "This article now speaks of wheat alone."
        print(json.dumps(r))
PYEOF
"$INDEX" --db "$TMP/s$k" --shards 3 --shard "$k" --quiet "$TMP/changed.jsonl" 2>"$TMP/update.log"
check_eq "shard $k updated ($id changed)" 0 $?
gone() { ! "$CLIENT" --endpoint "$EP2" --json search --limit 30 oil | grep -q "\"$id\""; }
wait_for 5 gone
check "morgued serves the updated shard" gone

r=$($PY "$PYDIR/export_pages.py" "$EP2" oil 10 after "$next")
diag "the page after the old cursor: $r"
check_match "the page after a cursor from before the shard's update: stale_cursor" \
  '"code": "stale_cursor"' "$r"
check_match "saying the index changed" 'the index changed since' "$r"

c=$($PY "$PYDIR/export_pages.py" "$EP2" oil 10 all)
check_eq "an export started again runs to its end" null "$(field error <<<"$c")"
check "without the changed article" eval '! grep -q "\"$id\"" <<<"$c"'

stop_daemon "$R" remote
echo "1..$_tap_n"
