#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-search: in-process top-10 latency on AG News and Reuters-21578 over the
# generated query set (genqueries.py, fixed seed): morgue with and without
# snippets, raw libxapian on the same index (the floor), libxapian on its own
# TermGenerator index, SQLite FTS5. Every engine ANDs the words; the
# "-relaxed" rows are morgue's default (the OR's other matches ranked after
# the AND's), for what that costs. The engines take turns: in each of 5
# rounds every engine runs one warm-up pass and one timed pass over every
# query, so a change in the machine's speed during the run (common on a
# shared host) touches all of them alike. The report gives, per engine, the
# median over rounds of each round's p50/p99, and every ratio as the median
# of the same round's ratios (with their range).
#   search.sh BUILD OUT [CORPUS...]     (default: ag_news reuters21578)
# The morgue index is always rebuilt; the peers' indexes are reused unless
# BQ_REINDEX=1. Results: OUT/search.jsonl, OUT/search.md. BQ_ROUNDS
# overrides 5, BQ_PASSES (timed passes per turn, median of them) 1.
set -euo pipefail
B=$1 OUT=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
C=${MORGUE_CORPORA:?set MORGUE_CORPORA}
BQ=$B/bench/query
W=$OUT/search
P=${BQ_PASSES:-1}
R=${BQ_ROUNDS:-5}
PY=/usr/bin/python3
source "$here/lib.sh"
mkdir -p "$W"
[ $# -gt 0 ] || set -- ag_news reuters21578

: > "$OUT/search.jsonl"
echo "start: $(date -u +%FT%TZ) uptime:$(uptime)" > "$OUT/search.env"
for c in "$@"; do
  src=$C/$c/$c.jsonl q=$OUT/queries-$c.txt
  $PY "$here/genqueries.py" "$src" > "$q"
  echo "== $c: queries md5 $(md5sum < "$q" | cut -c1-12), indexing" >&2
  morgue_index "$B" "$W/$c.morgue" "$src"
  [ -e "$W/$c.xapian" ] && [ "${BQ_REINDEX:-0}" = 0 ] ||
    nice "$BQ/xap_bench" index "$W/$c.xapian" "$src" 2>/dev/null
  [ -e "$W/$c.fts5" ] && [ "${BQ_REINDEX:-0}" = 0 ] ||
    nice "$BQ/fts5_bench" index "$W/$c.fts5" "$src" 2>/dev/null
  echo "== $c: timing, $R rounds" >&2
  for round in $(seq "$R"); do
    {
      "$BQ/mg_bench" lat "$W/$c.morgue" "$q" "$c" 0 "$P"
      "$BQ/mg_bench" lat "$W/$c.morgue" "$q" "$c" 1 "$P"
      "$BQ/mg_bench" proto "$W/$c.morgue" "$q" "$c" "$P"
      BQ_RELAX=1 "$BQ/mg_bench" lat "$W/$c.morgue" "$q" "$c" 0 "$P"
      BQ_RELAX=1 "$BQ/mg_bench" lat "$W/$c.morgue" "$q" "$c" 1 "$P"
      "$BQ/xap_bench" lat "$W/$c.morgue" "$q" "$c" morgue "$P"
      "$BQ/xap_bench" lat "$W/$c.xapian" "$q" "$c" own "$P"
      "$BQ/fts5_bench" lat "$W/$c.fts5" "$q" "$c" "$P"
    } | sed "s/^{/{\"round\":$round,/" | tee -a "$OUT/search.jsonl" >&2
  done
done
echo "end: $(date -u +%FT%TZ) uptime:$(uptime)" >> "$OUT/search.env"
{
  cat "$OUT/search.env"
  echo
  $PY "$here/report.py" search "$OUT/search.jsonl"
} | tee "$OUT/search.md"
