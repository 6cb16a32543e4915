#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Exploring coverage on Reuters-21578 from the terminal: facets in the CLI,
# timelines, through the daemon and with --db. The counts are checked
# against the hits themselves (the JSON of every hit, counted by a Python
# script).
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/py/daemon.bash"

DB=$TMP/reuters
build_index "$DB" "$REUTERS" 2>/dev/null
check_eq "index Reuters-21578" 3 "$?"
EP=ipc://$TMP/explore.sock
start_daemon d --db "$DB" --bind "$EP" --workers 1
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

  # the timeline's months are what counting the hits gives, empty months as 0
  "${M[@]}" --json search --limit 1000 cocoa >"$TMP/hits.json"
  "${M[@]}" timeline --csv cocoa >"$TMP/t.csv"
  check_eq "$via: timeline --csv exits 0" 0 "$?"
  out=$("$PY" - "$TMP/hits.json" "$TMP/t.csv" <<'PYEOF'
import json, sys, collections
r = json.load(open(sys.argv[1]))
c = collections.Counter(h["date"][:7] if h["date"] else "undated" for h in r["hits"])
assert r["total"]["exact"] and len(r["hits"]) + sum(h["collapsed"] for h in r["hits"]) == r["total"]["lower"], "hits"
rows = [l.split(",") for l in open(sys.argv[2]).read().split("\n")[1:] if l]
series = {k: int(v) for k, v in rows}
months = [k for k, _ in rows]
c.update({h["date"][:7]: h["collapsed"] for h in r["hits"] if h["collapsed"]})
print("ok" if months == sorted(months) else "order",
      "ok" if {k: v for k, v in series.items() if v} == dict(c) else "counts %s %s" % (series, c),
      "ok" if series.get("1987-05") == 0 else "no empty month")
PYEOF
)
  check_eq "$via: timeline series in order, adding up, with the empty month" "ok ok ok" "$out"

  "${M[@]}" timeline --by day --since 1987-03-01 --until 1987-03-07 cocoa >"$TMP/t.txt"
  check_eq "$via: timeline --by day over a week: 7 rows after the header" 8 "$(wc -l <"$TMP/t.txt")"
  check_match "$via: a day without a hit shows 0" '^1987-03-01 +0$' "$(sed -E 's/ +$//' "$TMP/t.txt")"
  check_match "$via: piped bars are plain #" '^1987-03-02  #+ +1$' "$(cat "$TMP/t.txt")"
  "${M[@]}" timeline --by day --since 1900 --until 1999 cocoa >/dev/null 2>"$TMP/err"
  check_eq "$via: too many periods: exit 2" 2 "$?"
  check_match "$via: too many periods: says so" 'more than 10000 periods' "$(cat "$TMP/err")"
  "${M[@]}" timeline --json --by year cocoa >"$TMP/t.json"
  check_eq "$via: timeline --json" \
    '{"interval":"year","total":129,"total_exact":true,"undated":0,"series":[{"period":"1987","count":129}]}' \
    "$(cat "$TMP/t.json")"
done

stop_daemon "$DPID" d
echo "1..$_tap_n"
