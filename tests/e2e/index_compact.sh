#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# morgue-index --compact: an update followed by a compaction into a new
# generation, published atomically. The result holds what the same update
# without --compact holds, in less space; it is skipped when the index is
# compact already; with --rebuild it adds nothing; and when compacting fails
# (a write refused: the file size limit) or is interrupted (SIGINT), the live
# generation stays, with the update committed in it, and nothing is left over.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

jget() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
count() { xapian-delve "$1" | sed -n 's/^number of documents = //p'; }
revision() { xapian-delve "$1" | sed -n 's/^revision = //p'; }
has_id() { [ "$(xapian-delve -1 -t "Q$2" "$1" | sed -n '2p')" != "" ]; }
gens() { ls "$1.gens" | tr '\n' ' ' | sed 's/ $//'; }
bytes() { find -L "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { print n }'; }
search() { "$CLIENT" --db "$1" --limit 20 --color never search "$2" | grep -E '^ +id: ' | tr -d ' '; }

cd "$TMP" || exit 1
# 4000 Reuters articles; the next night: every 10th body changed, 300 new,
# the last 200 gone.
head -n 4000 "$REUTERS" >night1.jsonl
"$PY" - "$REUTERS" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
out = []
for i, l in enumerate(lines[:3800]):
    d = json.loads(l)
    if i % 10 == 0:
        d["body"] = (d.get("body") or "") + " zanzibarish revision"
    out.append(json.dumps(d))
out += lines[4000:4300]
open("night2.jsonl", "w").write("\n".join(out) + "\n")
PY

"$INDEX" --db base --quiet night1.jsonl
check_eq "first index exits 0" 0 $?
# fresh DB: a copy of that first index, as DB (its own generations).
fresh() { rm -rf "$1" "$1.gens" && cp -a base.gens "$1.gens" && ln -s "$1.gens/g000001" "$1"; }
fresh plain
fresh comp
check_eq "the first index is compact (revision 1)" 1 "$(revision comp)"

# The same update, without and with --compact.
"$INDEX" --db plain --delete-missing --json-stats night2.jsonl >p.json 2>p.err
check_eq "update without --compact exits 0" 0 $?
check_eq "without --compact: compaction none" none "$(jget p.json compaction)"
check_eq "without --compact: same generation" plain.gens/g000001 "$(readlink plain)"
"$INDEX" --db comp --delete-missing --compact --json-stats night2.jsonl >c.json 2>c.err
check_eq "update with --compact exits 0" 0 $?
check_eq "--compact: compaction done" done "$(jget c.json compaction)"
check_eq "--compact: DIR points to a new generation" comp.gens/g000002 "$(readlink comp)"
check_eq "--compact: the generation compacted from is removed, no temporary left" g000002 "$(gens comp)"
check_eq "--compact: the new generation is compact (revision 1)" 1 "$(revision comp)"
check_eq "json: generation" "$(realpath comp.gens/g000002)" "$(jget c.json generation)"
for k in added replaced deleted unchanged documents; do
  check_eq "same $k with and without --compact" "$(jget p.json $k)" "$(jget c.json $k)"
done
check_eq "the update did replace, add and delete" "300 380 200" \
  "$(jget c.json added) $(jget c.json replaced) $(jget c.json deleted)"
check_eq "same document count" "$(count plain)" "$(count comp)"
check_eq "4100 documents" 4100 "$(count comp)"
for id in reuters-1 reuters-11 reuters-3800 reuters-4300; do
  check "$id is in the compacted index" has_id comp "$id"
done
check "reuters-3801 was deleted before compacting" test -z "$(xapian-delve -1 -t Qreuters-3801 comp | sed -n 2p)"
xapian-delve -a -vv -1 plain | awk '{print $1, $2, $3}' >terms.plain
xapian-delve -a -vv -1 comp | awk '{print $1, $2, $3}' >terms.comp
check "the term list is not trivial" [ "$(wc -l <terms.comp)" -gt 10000 ]
check "identical terms with identical frequencies" cmp -s terms.plain terms.comp
for q in zanzibarish "oil prices" 'cocoa OR coffee' '"crude oil"'; do
  a=$(search plain "$q"); b=$(search comp "$q")
  check "search '$q' finds something" test -n "$b"
  check_eq "search '$q': same hits with and without --compact" "$a" "$b"
done
sp=$(bytes plain) sc=$(bytes comp)
diag "index after the update: $sp bytes; with --compact: $sc bytes"
check "--compact: the index is smaller than after the same update without it" [ "$sc" -lt "$sp" ]
check_eq "json: index_bytes is the compacted size" "$sc" "$(jget c.json index_bytes)"
before=$(jget c.json index_bytes_before_compact)
check "json: size before compaction is larger than after" [ "$before" -gt "$sc" ]
check_match "json: compact_s is a time" '^[0-9.e-]+$' "$(jget c.json compact_s)"
"$INDEX" --db comp --compact --delete-missing night2.jsonl 2>h.err
check_eq "summary: compaction not needed on a re-run" 0 $?
check_match "summary line when already compact" '^  compact already: not compacted again$' "$(cat h.err)"
fresh comp
"$INDEX" --db comp --delete-missing --compact night2.jsonl 2>h.err
check_match "summary line of a compaction" '^  compacted in [0-9.]+ s: index [0-9.]+ MB -> [0-9.]+ MB$' "$(cat h.err)"

# Nothing committed since the last compaction: nothing to do.
"$INDEX" --db comp --compact --json-stats night2.jsonl >n.json
check_eq "re-run with --compact exits 0" 0 $?
check_eq "re-run: compaction not needed" "not needed" "$(jget n.json compaction)"
check_eq "re-run: still the same generation" comp.gens/g000002 "$(readlink comp)"
# Committed to by an earlier run without --compact: compacted even with no
# change in this run.
"$INDEX" --db plain --compact --json-stats night2.jsonl >pc.json
check_eq "--compact after an update without it exits 0" 0 $?
check_eq "it compacts what earlier updates left" "done 0 0 0" \
  "$(jget pc.json compaction) $(jget pc.json added) $(jget pc.json replaced) $(jget pc.json deleted)"
check_eq "and publishes a new generation" plain.gens/g000002 "$(readlink plain)"
check_eq "the same size as an update with --compact" "$(bytes comp)" "$(bytes plain)"
# The next night: a third generation, and only it stays.
"$INDEX" --db plain --compact --json-stats night1.jsonl >p3.json
check_eq "third generation: exit 0, compacted" "0 done" "$? $(jget p3.json compaction)"
check_eq "third generation: only the live one is kept" g000003 "$(gens plain)"
check_eq "third generation: DIR points to it" plain.gens/g000003 "$(readlink plain)"

# With --rebuild, --compact adds nothing: one new compact generation.
"$INDEX" --db comp --rebuild --compact --json-stats night1.jsonl >r.json
check_eq "--rebuild --compact exits 0" 0 $?
check_eq "--rebuild --compact: mode rebuild" rebuild "$(jget r.json mode)"
check_eq "--rebuild --compact: compaction not needed" "not needed" "$(jget r.json compaction)"
check_eq "--rebuild --compact: one new generation" comp.gens/g000003 "$(readlink comp)"
check_eq "--rebuild --compact: two generations kept" "g000002 g000003" "$(gens comp)"
check_eq "--rebuild --compact: the rebuilt documents" 4000 "$(count comp)"

# A plain Xapian directory cannot be switched atomically: usage error.
cp -r comp.gens/g000003 xdir
"$INDEX" --db xdir --compact night1.jsonl 2>x.err
check_eq "--compact on a plain database: exit 2" 2 $?
check_match "--compact on a plain database says why" 'plain Xapian database.*--compact' "$(cat x.err)"

# Compacting fails: every write past 256 KiB is refused (RLIMIT_FSIZE, with
# SIGXFSZ ignored so that write(2) fails with EFBIG as on a full disk). The
# run changes nothing itself, so the only writes are the compaction's.
fresh f
"$INDEX" --db f --quiet night2.jsonl
rev=$(revision f) docs=$(count f)
check "f: an update left the index uncompacted" [ "$rev" -gt 1 ]
(trap '' XFSZ; ulimit -f 256; exec "$INDEX" --db f --compact --json-stats night2.jsonl) >f.json 2>f.err
check_eq "failed compaction: exit 1" 1 $?
check_match "failed compaction: the error says why and what stays" \
  '^morgue-index: compacting failed: .*File too large.*; the live index stays as it was, not compacted$' \
  "$(cat f.err)"
check_eq "failed compaction: json" "failed False" "$(jget f.json compaction) $(jget f.json interrupted)"
check_eq "failed compaction: DIR still points to the live generation" f.gens/g000001 "$(readlink f)"
check_eq "failed compaction: no partial generation left" g000001 "$(gens f)"
check_eq "failed compaction: the live index is untouched" "$docs $rev" "$(count f) $(revision f)"
"$INDEX" --db f --compact --quiet night2.jsonl
check_eq "without the limit, the same run compacts" "0 f.gens/g000002 1" "$? $(readlink f) $(revision f)"

# Interrupted while compacting, after this run committed an update. The
# compacting child is frozen (SIGSTOP) as soon as it exists, so the
# interruption surely comes before the compaction ends.
fresh s
"$INDEX" --db s --delete-missing --compact --json-stats night2.jsonl >s.json 2>s.err &
pid=$!
child=
for ((i = 0; i < 2000000; i++)); do
  read -r child _ <"/proc/$pid/task/$pid/children" 2>/dev/null
  [ -n "$child" ] && break
  kill -0 "$pid" 2>/dev/null || break
done
check "the compaction runs in a child process" test -n "$child"
[ -n "$child" ] && kill -STOP "$child"
check "a temporary generation is being written" compgen -G 's.gens/tmp-*' >/dev/null
kill -INT "$pid"
wait "$pid"
check_eq "interrupted compaction: exit 1" 1 $?
check_match "interrupted compaction: the error says the update stays" \
  '^morgue-index: interrupted while compacting: the update is committed and stays live, not compacted$' \
  "$(cat s.err)"
check_eq "interrupted compaction: json" "interrupted True True 380" \
  "$(jget s.json compaction) $(jget s.json interrupted) $(jget s.json changed) $(jget s.json replaced)"
check "interrupted compaction: the child is gone" test ! -e "/proc/$child"
check_eq "interrupted compaction: DIR still points to the live generation" s.gens/g000001 "$(readlink s)"
check_eq "interrupted compaction: no partial generation left" g000001 "$(gens s)"
check_eq "interrupted compaction: the update is committed in the live index" 4100 "$(count s)"
check "interrupted compaction: an added article is there" has_id s reuters-4300
check_match "the summary says the update is complete" 's: updated .*compaction interrupted after' \
  "$(tr '\n' ' ' <s.err)"
"$INDEX" --db s --compact --json-stats night2.jsonl >s2.json
check_eq "the next run with --compact compacts" "0 done s.gens/g000002" \
  "$? $(jget s2.json compaction) $(readlink s)"
