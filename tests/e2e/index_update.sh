#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue-index updates in place: changed records replaced, new ones added,
# unchanged ones skipped; duplicate ids; --delete-missing, and no deletion at
# all when an input fails; the language of an index; SIGTERM commits; the
# ids of a text tree whose directories are reached through symbolic links.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

DB=$TMP/db
jget() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
count() { xapian-delve "$1" | sed -n 's/^number of documents = //p'; }
revision() { xapian-delve "$1" | sed -n 's/^revision = //p'; }
has_id() { [ "$(xapian-delve -1 -t "Q$2" "$1" | sed -n '2p')" != "" ]; }
lacks_id() { ! has_id "$@"; }
# ids of the documents holding term $2, sorted
ids_with() {
  local d
  for d in $(xapian-delve -1 -t "$2" "$1" | tail -n +2); do
    xapian-delve -r "$d" -VR4 "$1" | sed -n 's/^Value 4 for record #[0-9]*: //p'
  done | sort | tr '\n' ' '
}

cd "$TMP" || exit 1
head -n 2000 "$REUTERS" >s.jsonl
"$INDEX" --db "$DB" --quiet --json-stats s.jsonl >j0.json
check_eq "first index of 2000 records exits 0" 0 $?
check_eq "2000 documents" 2000 "$(count "$DB")"

# A copy with three bodies changed and two new records.
"$PY" - <<'PY'
import json
lines = open("s.jsonl").read().splitlines()
out = []
for l in lines:
    d = json.loads(l)
    if d["id"] in ("reuters-5", "reuters-6", "reuters-7"):
        d["body"] += " zanzibarish"
    out.append(json.dumps(d))
out.append(json.dumps({"id": "extra-1", "title": "Quokka census", "body": "Counted."}))
out.append(json.dumps({"id": "extra-2", "title": "Another one", "body": "Quokka again."}))
open("mod.jsonl", "w").write("\n".join(out) + "\n")
PY
rev0=$(revision "$DB")
"$INDEX" --db "$DB" --batch 500 --json-stats mod.jsonl >j1.json 2>e1
check_eq "update exits 0" 0 $?
check_eq "update: exactly the 3 changed records replaced" 3 "$(jget j1.json replaced)"
check_eq "update: the 2 new ids added" 2 "$(jget j1.json added)"
check_eq "update: the rest unchanged" 1997 "$(jget j1.json unchanged)"
check_eq "update: mode" update "$(jget j1.json mode)"
check_eq "update: 2002 documents" 2002 "$(count "$DB")"
check_eq "the new word is in exactly the changed documents" "reuters-5 reuters-6 reuters-7 " \
  "$(ids_with "$DB" zanzibarish)"
check_eq "the new records are searchable" "extra-1 extra-2 " "$(ids_with "$DB" quokka)"
check "a new revision was committed" [ "$(revision "$DB")" -gt "$rev0" ]

# Duplicate ids within one run: the later record wins, the warning names both lines.
printf '%s\n' '{"id":"dup-1","title":"Wombatfirst telling","body":"x"}' \
  '{"id":"other","title":"Other","body":"y"}' \
  '{"id":"dup-1","title":"Wombatsecond telling","body":"z"}' >dup.jsonl
"$INDEX" --db "$DB" --json-stats dup.jsonl >j2.json 2>e2
check_eq "duplicates: exit 0" 0 $?
check_eq "duplicate warning names both lines" \
  'dup.jsonl:3: duplicate id "dup-1" (first seen at dup.jsonl:1); the later record wins' \
  "$(grep duplicate e2)"
check_eq "duplicates: counted as a warning" 1 "$(jget j2.json warnings)"
check_eq "the later record wins" "dup-1 " "$(ids_with "$DB" wombatsecond)"
check_eq "the earlier one is gone" "" "$(ids_with "$DB" wombatfirst)"

# --delete-missing with a subset: everything else goes.
head -n 1500 s.jsonl >sub.jsonl
"$INDEX" --db "$DB" --delete-missing --max-delete 100% --json-stats sub.jsonl >j3.json 2>e3
check_eq "--delete-missing exits 0" 0 $?
check_eq "--delete-missing: 2004 - 1500 deleted" 504 "$(jget j3.json deleted)"
check_eq "--delete-missing: the 3 changed ones restored" 3 "$(jget j3.json replaced)"
check_eq "--delete-missing: 1500 documents left" 1500 "$(count "$DB")"
check "reuters-1500 kept" has_id "$DB" reuters-1500
check "reuters-1501 deleted" lacks_id "$DB" reuters-1501
check "extra-1 deleted" lacks_id "$DB" extra-1
check "dup-1 deleted" lacks_id "$DB" dup-1

# --delete-missing when an input fails (a truncated LZ4 frame): nothing deleted.
head -n 1000 s.jsonl >small.jsonl
lz4 -q -c s.jsonl >s.jsonl.lz4
head -c 300000 s.jsonl.lz4 >broken.jsonl.lz4
rev1=$(revision "$DB")
"$INDEX" --db "$DB" --delete-missing --json-stats small.jsonl broken.jsonl.lz4 >j4.json 2>e4
check_eq "an input failing is fatal: exit 1" 1 $?
check_match "the broken input is named" 'broken.jsonl.lz4' "$(cat e4)"
check_match "says the deletion is skipped" 'not deleting missing documents' "$(cat e4)"
check_eq "nothing deleted" 0 "$(jget j4.json deleted)"
check_eq "still 1500 documents" 1500 "$(count "$DB")"
check_eq "no new revision (nothing changed)" "$rev1" "$(revision "$DB")"
"$INDEX" --db "$DB" --delete-missing small.jsonl no-such-file.jsonl 2>e5
check_eq "a missing input: exit 1" 1 $?
check_match "a missing input is named" 'cannot read no-such-file.jsonl' "$(cat e5)"
check_eq "a missing input: nothing deleted" 1500 "$(count "$DB")"

# The language is fixed at creation.
"$INDEX" --db "$DB" --lang french small.jsonl 2>e6
check_eq "another --lang on update: exit 2" 2 $?
check_match "another --lang needs --rebuild" 'stemmed for "english".*needs --rebuild' "$(cat e6)"
"$INDEX" --db "$DB" --lang english --quiet small.jsonl
check_eq "the same --lang is fine" 0 $?

# SIGTERM during an update: what was read is committed, exit 1.
mkfifo feed
"$INDEX" --db "$DB" --json-stats feed >j7.json 2>e7 &
pid=$!
exec 3>feed
printf '%s\n' '{"id":"late-1","title":"Late news","body":"b"}' '{"id":"late-2","title":"Later news","body":"b"}' >&3
wait_for 10 holds_lock "$DB.lock" "$pid"
wait_for 10 pipe_empty 3 # the indexer has read the two records
kill -TERM "$pid"
# The reader is blocked reading the idle pipe: the stop takes effect when it
# returns (data or end of input).
exec 3>&-
wait "$pid"
rc=$?
check_eq "SIGTERM: exit 1" 1 "$rc"
check_match "SIGTERM: says what was kept" 'interrupted: the documents read so far are committed' "$(cat e7)"
check_eq "SIGTERM: json interrupted" True "$(jget j7.json interrupted)"
check "SIGTERM: the records read are committed" has_id "$DB" late-2

# A text tree reaches a directory by several paths (symbolic links): the
# first path in bytewise order is kept, whatever order readdir gives, so a
# copy of the tree made in another order has the same ids and an update of
# it changes nothing. Each real directory zz/T is reached through links;
# the expected winner first: "d.e" < "d/x" and "j.k" < "j/k/l" ('.' sorts
# before '/'), "h-" < "h1" < "h_".
links=(b:G b.c:G p/x:G d.e:D d/x:D h-:H h2:H h_:H h1:H j.k:J j/k/l:J jj:J j0:J)
make_tree() { # make_tree DIR forward|reverse
  local l name up n=${#links[@]} i
  rm -rf "$1" && mkdir "$1" || return 1
  for ((i = 0; i < n; i++)); do
    l=${links[$([ "$2" = forward ] && echo $i || echo $((n - 1 - i)))]}
    name=${l%:*}
    up=$(echo "$name" | sed 's|[^/]*/|../|g; s|[^/]*$||')
    mkdir -p "$1/$(dirname "$name")" && ln -s "${up}zz/${l#*:}" "$1/$name" || return 1
  done
  for t in G D H J; do
    mkdir -p "$1/zz/$t" && printf '%s\nbody\n' "$t" >"$1/zz/$t/$t.txt" || return 1
  done
}
q_terms() { xapian-delve -a -1 "$1" | grep '^Q' | sort | tr '\n' ' '; }
want="Qb/G.txt Qd.e/D.txt Qh-/H.txt Qj.k/J.txt "
make_tree tree reverse
"$INDEX" --db treedb --quiet tree
check_eq "a tree with links: the first path in bytewise order is each id" "$want" \
  "$(q_terms treedb)"
make_tree tree forward
"$INDEX" --db treedb --json-stats tree >j8.json 2>/dev/null
check_eq "the tree made in another order: nothing added" 0 "$(jget j8.json added)"
check_eq "the tree made in another order: same ids" "$want" "$(q_terms treedb)"
