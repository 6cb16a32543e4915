#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue-index --rebuild: the symlink switch while a reader holds the old
# database open, generations kept and pruned, stale leftovers removed, an
# abandoned rebuild leaves the old index live, a plain database refuses and
# so does a symlink that is not ours (an absolute one to our generation is), and
# the index does not depend on --threads.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

count() { xapian-delve "$1" | sed -n 's/^number of documents = //p'; }
cd "$TMP" || exit 1
head -n 3000 "$REUTERS" >s3.jsonl
head -n 1000 "$REUTERS" >s1.jsonl

# The same input with 1 and 2 threads: identical terms and statistics.
"$INDEX" --db t1 --threads 1 --quiet s3.jsonl
check_eq "--threads 1 first index exits 0" 0 $?
"$INDEX" --db t2 --threads 2 --quiet s3.jsonl
check_eq "--threads 2 first index exits 0" 0 $?
check_eq "same document count" "$(count t1)" "$(count t2)"
stats() { xapian-delve "$1" | grep -E '^(number of documents|average document length|document length (lower|upper) bound) '; }
check_eq "same collection statistics" "$(stats t1)" "$(stats t2)"
# every term with its term frequency and collection frequency
xapian-delve -a -vv -1 t1 | awk '{print $1, $2, $3}' >terms1
xapian-delve -a -vv -1 t2 | awk '{print $1, $2, $3}' >terms2
check "the term list is not trivial" [ "$(wc -l <terms1)" -gt 10000 ]
check "identical per-term statistics" cmp -s terms1 terms2
for t in cocoa Scocoa oil Kcrude XSreuters D19870302 trade; do
  check_eq "term $t: same frequencies" "$(grep "^$t " terms1)" "$(grep "^$t " terms2)"
done

# --rebuild while another process holds the old database open.
mkfifo go done
"$PY" - t2 <<'PY' >holder.out 2>&1 &
import sys, xapian
path = sys.argv[1]
old = xapian.Database(path)
print("before", old.get_doccount(), flush=True)
open("done", "w").close()          # tell the test we hold it open
open("go").read()                   # wait until the rebuild is published
n = sum(1 for _ in old.allterms("Q"))
doc = old.get_document(next(iter(old.postlist("Qreuters-2000"))).docid)
print("after", old.get_doccount(), n, doc.get_value(4).decode(), flush=True)
print("new", xapian.Database(path).get_doccount(), flush=True)
PY
holder=$!
cat done >/dev/null
"$INDEX" --db t2 --rebuild --max-delete 100% --quiet --json-stats s1.jsonl >r.json
check_eq "--rebuild exits 0" 0 $?
echo >go
wait "$holder"
check_eq "the old reader keeps working on the old index" \
  "before 3000|after 3000 3000 reuters-2000|new 1000" "$(tr '\n' '|' <holder.out | sed 's/|$//')"
check_eq "the symlink switched to generation 2" t2.gens/g000002 "$(readlink t2)"
check_eq "new opens see the new index" 1000 "$(count t2)"
check "the previous generation is kept" test -d t2.gens/g000001

# A third generation: the oldest goes; leftovers of a killed run go too.
mkdir t2.gens/tmp-999999 && touch t2.gens/tmp-999999/junk
mkdir t2.gens/g000009    # an unpublished generation (killed before the switch)
ln -s t2.gens/g000001 t2.new-999999
"$INDEX" --db t2 --rebuild --quiet s1.jsonl
check_eq "third rebuild exits 0" 0 $?
check_eq "generations kept: the live one and the one before" "g000002 g000003" \
  "$(ls t2.gens | tr '\n' ' ' | sed 's/ $//')"
check_eq "symlink to the newest" t2.gens/g000003 "$(readlink t2)"
check "stale temporary symlink removed" test ! -e t2.new-999999
check "unpublished generation removed" test ! -e t2.gens/g000009

# An abandoned rebuild (interrupted) leaves the old index live.
mkfifo feed
"$INDEX" --db t2 --rebuild --json-stats feed >int.json 2>int.err &
pid=$!
exec 3>feed
head -n 50 s3.jsonl >&3
wait_for 10 holds_lock t2.lock "$pid"
wait_for 10 pipe_empty 3 # the rebuild has read what was written
kill -INT "$pid"
exec 3>&-
wait "$pid"
check_eq "interrupted rebuild exits 1" 1 $?
check_match "says nothing was published" 'interrupted: nothing published; the old index stays live' "$(cat int.err)"
check_eq "the old index is still live" t2.gens/g000003 "$(readlink t2)"
check_eq "with its documents" 1000 "$(count t2)"
check_eq "json: the live index's documents, nothing added, not changed, interrupted" "1000 0 False True" \
  "$("$PY" -c 'import json; j=json.load(open("int.json")); print(j["documents"], j["added"], j["changed"], j["interrupted"])')"
check_eq "no temporary build left" "g000002 g000003" "$(ls t2.gens | tr '\n' ' ' | sed 's/ $//')"

# A plain Xapian database (made by other tools): updated in place, never rebuilt.
cp -r t2.gens/g000003 plain
"$INDEX" --db plain --quiet --json-stats s3.jsonl >p.json
check_eq "update of a plain database exits 0" 0 $?
check_eq "plain database updated in place" 3000 "$(count plain)"
check "plain database is still a directory" test -d plain -a ! -L plain
"$INDEX" --db plain --rebuild s1.jsonl 2>p.err
check_eq "--rebuild of a plain database: exit 2" 2 $?
check_match "--rebuild of a plain database says why" 'plain Xapian database.*--rebuild' "$(cat p.err)"
check_eq "plain database unchanged" 3000 "$(count plain)"

# A symlink of the operator's to a database that is not one of our
# generations: updated in place, but a --rebuild or --compact would replace
# the link, so they refuse (exit 2) and leave it.
ln -s t2.gens/g000003 mylink
"$INDEX" --db mylink --quiet s1.jsonl
check_eq "update through another symlink exits 0" 0 $?
for opt in --rebuild --compact; do
  "$INDEX" --db mylink $opt s1.jsonl 2>l.err
  check_eq "$opt through another symlink: exit 2" 2 $?
  check_match "$opt through another symlink says where it points" \
    "mylink is a symlink to t2.gens/g000003, not to a generation in mylink.gens: $opt would replace that link" \
    "$(cat l.err)"
  check_eq "$opt through another symlink: the link is left" t2.gens/g000003 "$(readlink mylink)"
  check "$opt through another symlink: no generations made" test ! -e mylink.gens
done

# An absolute symlink to one of our generations is ours: an update keeps
# that generation (it is the live one), a --rebuild switches it.
ln -sfn "$TMP/t2.gens/g000003" t2
"$INDEX" --db t2 --quiet s1.jsonl
check_eq "update through an absolute link to our generation exits 0" 0 $?
check_eq "the live generation is kept" 1000 "$(count t2)"
"$INDEX" --db t2 --rebuild --quiet s1.jsonl
check_eq "--rebuild through an absolute link to our generation exits 0" 0 $?
check_eq "--rebuild switched to a new generation" t2.gens/g000004 "$(readlink t2)"
