#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Exploring coverage on Reuters-21578 from the terminal: facets in the CLI,
# timelines, through the daemon and with --db. The counts are checked
# against the hits themselves (the JSON of every hit, counted by a Python
# script).
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/reuters
build_index "$DB" "$REUTERS" 2>/dev/null
check_eq "index Reuters-21578" 3 "$?"
EP=ipc://$TMP/explore.sock
# Exports of 1,000-hit pages: under ASan on a busy machine a page can take
# longer than the default 200 ms budget, and a cut page is an error
# (too_costly) by design; this test is about the pages' content.
start_daemon d --db "$DB" --bind "$EP" --workers 1 --query-budget-ms 20000
ok $? "morgued serves the index"

for via in daemon db; do
  if [ $via = daemon ]; then M=("$CLIENT" --endpoint "$EP"); else M=("$CLIENT" --db "$DB"); fi

  # facets: date buckets in date order, undated last, adding up to the total
  "${M[@]}" --json search --limit 0 --facets source,category,year,month,week,day cocoa brazil \
    >"$TMP/f.json"
  check_eq "$via: --limit 0 --facets exits 0" 0 "$?"
  out=$("$PY" - "$TMP/f.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
total = r["total"]["lower"]
bad = []
if r["hits"]:
    bad.append("hits with limit 0")
if not r["relaxed"] or r["total_all"]["lower"] >= total:
    bad.append("not relaxed")
for name in ("year", "month", "week", "day"):
    vals = [v["value"] for v in r["facets"][name]]
    dated = [v for v in vals if v != "undated"]
    if dated != sorted(dated) or ("undated" in vals and vals[-1] != "undated"):
        bad.append(name + " not in date order")
    if sum(v["count"] for v in r["facets"][name]) != total:
        bad.append(name + " does not add up to " + str(total))
src = r["facets"]["source"]
if src != sorted(src, key=lambda v: (-v["count"], v["value"])):
    bad.append("source not by count")
print(" ".join(bad) or "ok")
PYEOF
)
  check_eq "$via: date facets in date order, adding up to the total (partial matches included)" ok "$out"

  # the human table: each facet after the header (in the protocol's order)
  "${M[@]}" search --limit 0 --facets year,source cocoa >"$TMP/f.txt"
  check_eq "$via: facet tables alone with --limit 0" \
    "$(printf '129 results\n\nsource\n  Reuters  129\n\nyear\n  1987  129')" \
    "$(without_ms <"$TMP/f.txt")"

  # export: every hit once, in rank order, the pages' concatenation
  "${M[@]}" search --format csv oil >"$TMP/oil.csv"
  check_eq "$via: --format csv exits 0" 0 "$?"
  "${M[@]}" search --format jsonl oil >"$TMP/oil.jsonl"
  "${M[@]}" search --format tsv --snippets oil >"$TMP/oil.tsv"
  for p in 1 2; do "${M[@]}" --json search --limit 1000 --page $p oil >"$TMP/oil.$p.json"; done
  out=$("$PY" - "$TMP" <<'PYEOF'
import csv, json, sys
t = sys.argv[1]
rows = list(csv.DictReader(open(t + "/oil.csv", newline="")))
lines = [json.loads(l) for l in open(t + "/oil.jsonl")]
tsv = open(t + "/oil.tsv").read().split("\n")[:-1]
pages = sum((json.load(open("%s/oil.%d.json" % (t, p)))["hits"] for p in (1, 2)), [])
ids = [r["id"] for r in rows]
bad = []
if len(ids) < 1000 or len(set(ids)) != len(ids):
    bad.append("not each once")
if ids != [h["id"] for h in pages]:
    bad.append("not the pages")
if [int(r["rank"]) for r in rows] != list(range(1, len(rows) + 1)):
    bad.append("ranks")
if [h["id"] for h in lines] != ids or [h["title"] for h in lines] != [r["title"] for r in rows]:
    bad.append("jsonl")
if not any("," in r["title"] for r in rows):
    bad.append("no title with a comma")
if len(tsv) != len(rows) + 1 or any(l.count("\t") != 8 for l in tsv):
    bad.append("tsv")
print(" ".join(bad) or "ok")
PYEOF
)
  check_eq "$via: oil exported by csv, tsv and jsonl: each hit once, in rank order, as the pages" ok "$out"

  # past the 10,000 window: the cursor pages on
  "${M[@]}" search --format csv --no-collapse 'mln OR dlrs OR pct' >"$TMP/big.csv"
  for p in $(seq 1 10); do
    "${M[@]}" --json search --no-collapse --limit 1000 --page "$p" 'mln OR dlrs OR pct'
  done >"$TMP/big.json"
  out=$("$PY" - "$TMP" <<'PYEOF'
import csv, json, sys
t = sys.argv[1]
rows = list(csv.DictReader(open(t + "/big.csv", newline="")))
pages = [h["id"] for l in open(t + "/big.json") for h in json.loads(l)["hits"]]
ids = [r["id"] for r in rows]
bad = []
if len(ids) <= 10000 or len(set(ids)) != len(ids):
    bad.append("%d hits, %d ids" % (len(ids), len(set(ids))))
if ids[:10000] != pages:
    bad.append("not the pages")
s = [float(r["score"]) for r in rows]
if any(s[i] < s[i + 1] for i in range(len(s) - 1)):
    bad.append("not by score")
print(" ".join(bad) or "ok")
PYEOF
)
  check_eq "$via: an export past 10,000 hits: each once, by score, its start as the pages" ok "$out"
  "${M[@]}" search --format csv oil >/dev/full 2>"$TMP/err"
  check_eq "$via: an export that cannot be written: exit 2" 2 "$?"

  # the timeline's months are what counting the exported hits gives
  "${M[@]}" search --format jsonl --no-collapse oil >"$TMP/all.jsonl"
  "${M[@]}" timeline --csv oil >"$TMP/t.csv"
  check_eq "$via: timeline --csv exits 0" 0 "$?"
  out=$("$PY" - "$TMP/all.jsonl" "$TMP/t.csv" <<'PYEOF'
import json, sys, collections
c = collections.Counter()
for l in open(sys.argv[1]):
    h = json.loads(l)
    c[h["date"][:7] if h["date"] else "undated"] += 1
rows = [l.split(",") for l in open(sys.argv[2]).read().split("\n")[1:] if l]
series = {k: int(v) for k, v in rows}
months = [k for k, _ in rows]
print("ok" if months == sorted(months) else "order",
      "ok" if {k: v for k, v in series.items() if v} == dict(c) else "counts %s %s" % (series, c),
      "ok" if 0 in series.values() else "no empty month")
PYEOF
)
  check_eq "$via: timeline series in order, as counting the hits, with empty months" "ok ok ok" "$out"

  "${M[@]}" timeline --by day --since 1987-03-01 --until 1987-03-07 cocoa >"$TMP/t.txt"
  check_eq "$via: timeline --by day over a week: 7 rows after the header" 8 "$(wc -l <"$TMP/t.txt")"
  check_match "$via: a day without a hit shows 0" '^1987-03-01 +0$' "$(sed -E 's/ +$//' "$TMP/t.txt")"
  check_match "$via: piped bars are plain #" '^1987-03-02  #+ +1$' "$(cat "$TMP/t.txt")"
  "${M[@]}" timeline --by day --since 1900 --until 1999 cocoa >/dev/null 2>"$TMP/err"
  check_eq "$via: too many periods: exit 2" 2 "$?"
  check_match "$via: too many periods: says so" 'more than 10000 periods' "$(cat "$TMP/err")"
  "${M[@]}" timeline --csv cocoa brazil >"$TMP/t2.csv"
  check_eq "$via: a timeline counts the articles with every word" \
    "$("${M[@]}" search --strict --limit 0 cocoa brazil | without_ms)" \
    "$(tail -n +2 "$TMP/t2.csv" | awk -F, '{n += $2} END {print n " results"}')"
  "${M[@]}" timeline --svg "$TMP/t.svg" --csv 'cocoa & <sugar>' >"$TMP/t3.csv"
  out=$("$PY" - "$TMP/t.svg" "$TMP/t3.csv" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
svg = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
rows = [l.split(",") for l in open(sys.argv[2]).read().split("\n")[1:] if l]
rects = svg.findall(ns + "rect")
texts = [t.text for t in svg.findall(ns + "text")]
widths = [float(r.get("width")) for r in rects]
big = max(range(len(rows)), key=lambda i: int(rows[i][1]))
print("ok" if len(rects) == len(rows) and texts[0].startswith("cocoa & <sugar>")
      and widths[big] == max(widths) and [t for t in texts[1::2]] == [r[0] for r in rows]
      else "%d rects %d rows %s" % (len(rects), len(rows), texts[:3]))
PYEOF
)
  check_eq "$via: timeline --svg draws a bar per period, the title escaped" ok "$out"
  "${M[@]}" timeline --json --by year cocoa >"$TMP/t.json"
  check_eq "$via: timeline --json" \
    '{"interval":"year","total":129,"total_exact":true,"undated":0,"series":[{"period":"1987","count":129}]}' \
    "$(cat "$TMP/t.json")"

  # a --source that no source starts with: the sources holding it offered
  "${M[@]}" search --source euters oil >/dev/null 2>"$TMP/err"
  check_eq "$via: --source euters: a note offers Reuters" \
    "morgue: note: no source is called 'euters' or starts with it; did you mean --source \"Reuters\"" \
    "$(cat "$TMP/err")"
  "${M[@]}" search --source REU --limit 1 oil >/dev/null 2>"$TMP/err"
  check_eq "$via: --source REU: the start of the name in any case, no note" "" "$(cat "$TMP/err")"

  # the sources and categories, with their counts
  check_eq "$via: morgue sources" "$(printf '1 source\n  Reuters  21,577')" "$("${M[@]}" sources)"
  "${M[@]}" --json categories --limit 1000 >"$TMP/cats.json"
  out=$("$PY" - "$REUTERS" "$TMP/cats.json" <<'PYEOF'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    if d.get("title") or d.get("body"):
        c.update(set(x.lower() for x in d.get("topics", [])))
r = json.load(open(sys.argv[2]))
got = {v["value"].lower(): v["count"] for v in r["values"]}
counts = [v["count"] for v in r["values"]]
print("ok" if got == dict(c) and r["total"] == len(c) and counts == sorted(counts, reverse=True)
      else "%s %s" % (sorted(got.items())[:5], sorted(c.items())[:5]))
PYEOF
)
  check_eq "$via: morgue categories: every topic with its article count, most frequent first" ok "$out"
  check_eq "$via: morgue categories --limit 3" \
    "$(printf '120 categories, the 3 with the most articles (--limit for more)\n  earn      3,987\n  acq       2,448\n  money-fx    801')" \
    "$("${M[@]}" categories --limit 3)"

  # paging for people: rank numbers, "results 11-20 of N" and the next page
  out=$("${M[@]}" search --page 2 cocoa)
  check_match "$via: hits numbered by rank" '^11\. 1987-[0-9-]+  Reuters  ' "$out"
  check_eq "$via: ranks 11 to 20 on page 2" "$(seq 11 20 | tr '\n' ' ')" \
    "$(grep -oE '^[0-9]+\.' <<<"$out" | tr -d . | tr '\n' ' ')"
  check_eq "$via: the footer says which results and the next page" \
    "results 11-20 of 129; next: --page 3" "$(tail -1 <<<"$out")"
  # at the ranking's reach (offset+limit 10,000) the footer names no page
  # the engine would refuse: the last one cut to fit, then none
  out=$("${M[@]}" search --page 1000 said)
  check_match "$via: page 1000 of 'said': no next page past 10,000" \
    '^results 9991-10000 of [0-9,]+; pages stop at 10000: narrow the query, or --format exports every hit$' "$(tail -1 <<<"$out")"
  out=$("${M[@]}" search --limit 30 --page 333 said)
  check_match "$via: a next page that would reach past 10,000 is cut to fit" \
    '^results 9961-9990 of [0-9,]+; next: --offset 9990 --limit 10$' "$(tail -1 <<<"$out")"
  "${M[@]}" search --offset 9990 --limit 10 said >/dev/null
  check_eq "$via: and that page is served" 0 $?
  out=$("${M[@]}" search --offset 125 cocoa)
  check_match "$via: the last page has no next" '^results 126-[0-9]+ of 129$' "$(tail -1 <<<"$out")"

  # timeline --vs: the queries side by side over one range of periods,
  # each column the query's own timeline
  "${M[@]}" timeline --csv --by month iran --vs iraq --vs "oil price" >"$TMP/vs.csv"
  check_eq "$via: timeline --vs --csv exits 0" 0 "$?"
  out=$("$PY" - "$TMP/vs.csv" "$TMP" "${M[@]}" <<'PYEOF'
import csv, subprocess, sys
rows = list(csv.reader(open(sys.argv[1])))
bad = []
if rows[0] != ["period", "iran", "iraq", "oil price"]:
    bad.append("header %r" % rows[0])
for col, q in ((1, "iran"), (2, "iraq"), (3, "oil price")):
    own = dict(r for r in csv.reader(subprocess.run(sys.argv[3:] + ["timeline", "--csv", "--by", "month", q],
               stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()))
    own.pop("period")
    got = {r[0]: r[col] for r in rows[1:]}
    if any(got.get(p, "0") != n for p, n in own.items()) or any(n != "0" for p, n in got.items() if p not in own):
        bad.append("%s differs from its own timeline" % q)
if [r[0] for r in rows[1:]] != sorted(r[0] for r in rows[1:]) or len(rows) != 10:
    bad.append("periods %r" % [r[0] for r in rows[1:]])
print(" ".join(bad) or "ok")
PYEOF
)
  check_eq "$via: timeline --vs: each column is its query's own timeline, over one range" ok "$out"
  out=$("${M[@]}" timeline --by year cocoa --vs coffee)
  check_eq "$via: timeline --vs: the counts side by side" \
    "$(printf 'results by year: cocoa 129, coffee 230\nperiod  cocoa  coffee\n1987      129     230')" "$out"
  out=$("${M[@]}" --json timeline --by year cocoa --vs coffee)
  check_eq "$via: timeline --vs --json" \
    '{"interval":"year","queries":[{"query":"cocoa","total":129,"total_exact":true,"undated":0},{"query":"coffee","total":230,"total_exact":true,"undated":0}],"series":[{"period":"1987","counts":[129,230]}]}' \
    "$out"

  out=$("${M[@]}" timeline --svg "$TMP/vs.svg" cocoa --vs coffee 2>&1)
  check_eq "$via: timeline --vs --svg is a usage error" 2 "$?"
  check_eq "$via: saying why" "morgue: --svg draws one query, not a comparison (--csv gives the table)" "$out"
  "${M[@]}" timeline zzqqxy --vs qqzzyx >/dev/null
  check_eq "$via: timeline --vs where nothing matches exits 1" 1 "$?"

  # terms: the words that set the best 100 cocoa articles apart, with
  # how many of them hold each; the filters narrow the sample
  out=$("${M[@]}" terms --limit 5 cocoa)
  check_eq "$via: terms exits 0" 0 "$?"
  check_eq "$via: terms says what the sample is" \
    "Words that set apart the best 100 of the 129 articles with all the words" "$(head -1 <<<"$out")"
  check_eq "$via: terms --limit 5: five words, the cocoa buffer stock first" \
    "buffer:49 icco:42 delegates:30 stock:50 tonnes:43" \
    "$(tail -n +2 <<<"$out" | awk '{printf "%s%s:%s", (NR > 1 ? " " : ""), $1, $2}')"
  "${M[@]}" --json terms --limit 3 --since 1987-04 cocoa >"$TMP/t.json"
  check_eq "$via: terms --json exits 0" 0 "$?"
  out=$("$PY" - "$TMP/t.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
n, sample = r["total_all"]["lower"], r["terms_sample"]
bad = []
if r["hits"]:
    bad.append("hits")
if not 0 < n < 129 or sample != min(n, 100):
    bad.append("sample %d of %d" % (sample, n))
if len(r["terms"]) != 3 or any(not 0 < t["docs"] <= sample or t["stem"] == "cocoa" for t in r["terms"]):
    bad.append("terms %r" % r["terms"])
print(" ".join(bad) or "ok")
PYEOF
)
  check_eq "$via: terms --since: a sample of the articles since April only" ok "$out"
  out=$("${M[@]}" terms zzzqqqxy 2>&1)
  check_eq "$via: terms with no match exits 1" 1 "$?"
  check_eq "$via: terms with no match says so" "no articles match" "$out"
done

# no daemon at the default endpoints: said at once, not after the timeouts
# (unless another daemon happens to listen on the default tcp port)
if "$PY" -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1",5555)) != 0)'; then
  echo "ok $((_tap_n += 1)) - # skip port 5555 is in use on this machine"
else
  env -u MORGUE_ENDPOINT XDG_RUNTIME_DIR="$TMP" "$CLIENT" --timeout 3000 --retries 0 search cocoa 2>"$TMP/err"
  check_eq "no daemon at the default endpoints: exit 3" 3 "$?"
  check_match "no daemon: says so, naming the endpoints" \
    "^morgue: no daemon at ipc://$TMP/morgued.sock tcp://127.0.0.1:5555 " "$(cat "$TMP/err")"
fi

# a cursor of the daemon goes stale when the index changes under it
ask() { "$PY" -c '
import json, sys, zmq
s = zmq.Context().socket(zmq.REQ); s.setsockopt(zmq.LINGER, 0); s.setsockopt(zmq.RCVTIMEO, 60000)
s.connect(sys.argv[1]); s.send(sys.argv[2].encode()); print(s.recv().decode())' "$EP" "$1"; }
next=$(ask '{"v":1,"op":"search","query":"oil","limit":5,"cursor":true,"snippet":false}' |
  "$PY" -c 'import json,sys; print(json.load(sys.stdin)["next"])')
req='{"v":1,"op":"search","query":"oil","limit":5,"snippet":false,"after":"'$next'"}'
check_match "daemon: the page after a cursor" '"rank":6,' "$(ask "$req")"
rev=$(ask '{"v":1,"op":"stats"}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["stats"]["revision"])')
echo '{"id":"explore-1","title":"Oil news","body":"oil and more oil"}' >"$TMP/more.jsonl"
"$INDEX" --db "$DB" --quiet "$TMP/more.jsonl"
check_eq "an update of the index" 0 "$?"
# reopened: SIGHUP, then whether the daemon's revision moved
reopened() {
  kill -HUP "$DPID"
  [ "$(ask '{"v":1,"op":"stats"}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["stats"]["revision"])')" != "$rev" ]
}
wait_for 10 reopened
check_match "daemon: after the update, the cursor is stale" '"code":"stale_cursor"' "$(ask "$req")"

stop_daemon "$DPID" d
echo "1..$_tap_n"
