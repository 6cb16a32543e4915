#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue-index --shards N (docs/scaling.md): a generation of N shard
# databases and a stub; every article in the shard its id hashes to (the
# documented function, computed here again in Python); an update with
# --delete-missing changes the right shards; --compact keeps the shards;
# --shard K builds one shard alone, the same as the K-th of a sharded
# build; the layouts are kept apart (a usage error, exit 2).
source "$MORGUE_ROOT/tests/e2e/lib.sh"
export PYDIR=$MORGUE_ROOT/tests/e2e/py

head -n 3000 "$REUTERS" >"$TMP/part.jsonl"
DB=$TMP/db

# in_right_shards DIR N: every id term of DIR/sK is in shard K by the
# documented function (and prints how many ids were looked at).
in_right_shards() {
  $PY - "$1" "$2" <<'PYEOF'
import subprocess, sys, os
sys.path.insert(0, os.environ["PYDIR"])
from shard_of import shard
d, n = sys.argv[1], int(sys.argv[2])
seen = wrong = 0
for k in range(n):
    out = subprocess.run(["xapian-delve", "-1", "-A", "Q", "%s/s%d" % (d, k)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    for t in out[1:]:  # after the heading
        seen += 1
        wrong += shard(t[1:], n) != k
print(seen if not wrong else "wrong: %d of %d" % (wrong, seen))
PYEOF
}
docs() { xapian-delve "$1" | sed -n 's/number of documents = //p'; }

"$INDEX" --db "$DB" --shards 3 --quiet "$TMP/part.jsonl" 2>"$TMP/err"
check_eq "a first index of 3 shards: exit 0" 0 $?
live=$(readlink -f "$DB")
check_eq "the generation holds a stub naming its shards" "auto s0 auto s1 auto s2" "$(tr '\n' ' ' <"$live/XAPIANDB" | sed 's/ $//')"
check_eq "every article is in the shard its id hashes to" 3000 "$(in_right_shards "$live" 3)"
check_eq "Xapian's tools open the stub: 3,000 documents" 3000 "$(docs "$DB")"
check "no shard is empty" test "$(docs "$live/s0")" -gt 500 -a "$(docs "$live/s1")" -gt 500 -a "$(docs "$live/s2")" -gt 500
out=$("$CLIENT" --db "$DB" get reuters-42 2>&1)
check_match "get by id through the stub" 'reuters-42' "$out"

# The night's archive: 50 articles changed, 30 gone, 20 new.
$PY - "$TMP/part.jsonl" "$TMP/night.jsonl" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[2], "w") as f:
    for i, r in enumerate(recs):
        if 100 <= i < 130:
            continue
        if i < 50:
            r["title"] = "Changed: " + r.get("title", "")
        f.write(json.dumps(r) + "\n")
    for i in range(20):
        f.write(json.dumps({"id": "night-%d" % i, "title": "Night item %d" % i,
                            "body": "A late story about zanzibarian shipping %d" % i}) + "\n")
PYEOF
gone=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[100])["id"])' "$TMP/part.jsonl")
"$INDEX" --db "$DB" --delete-missing --json-stats "$TMP/night.jsonl" >"$TMP/stats.json" 2>"$TMP/err"
check_eq "the update: exit 0" 0 $?
counts=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["added"], d["replaced"], d["deleted"], d["documents"])' "$TMP/stats.json")
check_eq "added 20, replaced 50, deleted 30, 2,990 documents" "20 50 30 2990" "$counts"
check_eq "the update kept the generation (in place)" "$live" "$(readlink -f "$DB")"
check_eq "after it every article is still in its shard" 2990 "$(in_right_shards "$live" 3)"
out=$("$CLIENT" --db "$DB" search zanzibarian 2>&1 | head -1)
check_match "the new articles are found through the stub" '^20 results' "$out"
"$CLIENT" --db "$DB" get "$gone" >/dev/null 2>&1
check_eq "a deleted article is gone (exit 1)" 1 $?
out=$("$INDEX" --db "$DB" --delete-missing "$TMP/night.jsonl" 2>&1)
check_match "the same input again changes nothing" 'no changes' "$out"

"$INDEX" --db "$DB" --compact --quiet "$TMP/night.jsonl" 2>"$TMP/err"
check_eq "--compact: exit 0" 0 $?
new=$(readlink -f "$DB")
check "--compact published a new generation" test "$new" != "$live"
check_eq "of 3 shards still, every article in its own" 2990 "$(in_right_shards "$new" 3)"

"$INDEX" --db "$DB" --shards 2 "$TMP/night.jsonl" >/dev/null 2>"$TMP/err"
check_eq "an update may not change the number of shards (exit 2)" 2 $?
check_match "and says so" 'has 3 shards: --shards 2 needs --rebuild' "$(cat "$TMP/err")"
"$INDEX" --db "$DB" --shards 2 --rebuild --quiet "$TMP/night.jsonl" 2>"$TMP/err"
check_eq "--rebuild --shards 2 changes it" "auto s0 auto s1" "$(tr '\n' ' ' <"$(readlink -f "$DB")/XAPIANDB" | sed 's/ $//')"
check_eq "every article in its shard of 2" 2990 "$(in_right_shards "$(readlink -f "$DB")" 2)"
"$INDEX" --db "$DB" --rebuild --quiet "$TMP/night.jsonl" 2>"$TMP/err"
check "a --rebuild without --shards keeps the layout" test -f "$(readlink -f "$DB")/XAPIANDB"

# One shard alone, for the host that serves it.
"$INDEX" --db "$TMP/one" --shards 3 --shard 1 "$TMP/part.jsonl" 2>"$TMP/one.err"
check_eq "--shards 3 --shard 1: exit 0" 0 $?
xapian-delve -1 -A Q "$TMP/one" >"$TMP/one.ids"
"$INDEX" --db "$TMP/three" --shards 3 --quiet "$TMP/part.jsonl" 2>/dev/null
xapian-delve -1 -A Q "$(readlink -f "$TMP/three")/s1" >"$TMP/three.ids"
check "it holds exactly the articles of shard 1 of a 3-shard build" cmp -s "$TMP/one.ids" "$TMP/three.ids"
check_match "it says how many articles were another shard's" \
  "$((3000 - $(docs "$TMP/one"))) records of the other shards passed over" "$(cat "$TMP/one.err")"
check_eq "its metadata names it" 1/3 "$(xapian-metadata get "$TMP/one" morgue.shard)"
"$INDEX" --db "$TMP/one" --shards 3 --shard 1 --delete-missing --quiet "$TMP/night.jsonl" 2>"$TMP/err"
check_eq "its update with --delete-missing: exit 0" 0 $?
sed -n '101,130p' "$TMP/part.jsonl" | $PY -c 'import json,sys; [print("Q"+json.loads(l)["id"]) for l in sys.stdin]' >"$TMP/gone.ids"
check_eq "deletes only its own shard's missing articles, adds only its new ones" \
  "$(( $(tail -n +2 "$TMP/three.ids" | grep -cvxFf "$TMP/gone.ids") + $(for i in $(seq 0 19); do echo night-$i; done | $PY "$PYDIR/shard_of.py" 3 | grep -cx 1) ))" "$(docs "$TMP/one")"
"$INDEX" --db "$TMP/one" --shards 3 --shard 2 "$TMP/part.jsonl" >/dev/null 2>"$TMP/err"
check_eq "updating it as another shard is refused (exit 2)" 2 $?
check_match "naming the shard it holds" 'holds shard 1/3, not shard 2/3' "$(cat "$TMP/err")"
"$INDEX" --db "$TMP/one" "$TMP/part.jsonl" >/dev/null 2>"$TMP/err"
check_eq "updating it as a whole index is refused (exit 2)" 2 $?
"$INDEX" --db "$TMP/x" --shard 1 "$TMP/part.jsonl" >/dev/null 2>"$TMP/err"
check_eq "--shard without --shards: exit 2" 2 $?
"$INDEX" --db "$TMP/x" --shards 3 --shard 3 "$TMP/part.jsonl" >/dev/null 2>"$TMP/err"
check_eq "--shard past the last: exit 2" 2 $?

echo "1..$_tap_n"
