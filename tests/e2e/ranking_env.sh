#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The ranking settings of the environment (MORGUE_RANKING, MORGUE_BM25,
# MORGUE_STOPWORDS, MORGUE_PROXIMITY) are read by the programs, morgued and
# the offline `morgue --db`, which pass them to the library: each changes
# the scores of a query it concerns, and morgued started with it ranks as
# the offline client run with it.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
check "index the bundled corpus" build_index "$DB" "$MORGUE_ROOT/corpus"

# scores QUERY [ENDPOINT]: the hits' ids and scores, one line each.
scores() {
  local where=(--db "$DB")
  [ -n "${2:-}" ] && where=(--endpoint "$2")
  "$CLIENT" "${where[@]}" --json search -- "$1" |
    $PY -c 'import json, sys
for h in json.load(sys.stdin)["hits"]: print(h["id"], round(h["score"], 9))'
}

# Each setting with a query whose scores it changes.
settings=(
  "MORGUE_RANKING=dfr|the military parade"
  "MORGUE_BM25=1.2,0.5|the military parade"
  "MORGUE_STOPWORDS=0|which parade"
  "MORGUE_PROXIMITY=0|military OR parade"
)
n=0
for s in "${settings[@]}"; do
  var=${s%%|*} q=${s#*|}
  plain=$(scores "$q")
  check_match "$var: [$q] has hits" '[0-9]' "$plain"
  export "${var?}"
  set_on=$(scores "$q")
  [ "$plain" != "$set_on" ]
  ok $? "$var changes the offline scores of [$q]"
  ep=ipc://$TMP/d$n.sock
  start_daemon "d$n" --db "$DB" --bind "$ep"
  ok $? "morgued starts with $var"
  unset "${var%%=*}"
  check_eq "morgued started with $var ranks [$q] as morgue --db with it" "$set_on" "$(scores "$q" "$ep")"
  stop_daemon "$DPID" "d$n"
  n=$((n + 1))
done
