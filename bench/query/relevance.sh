#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-relevance: MAP, P@10, nDCG@10 of morgue, Xapian (TermGenerator +
# QueryParser, BM25) and SQLite FTS5 (bm25(), porter) on TIME, CISI, MED, NPL.
#   relevance.sh BUILD OUT [COLLECTION...]     (default: time cisi med npl)
#   relevance.sh BUILD OUT --sweep [COLL...]   k1,b grid for morgue (default: all four)
# Indexes and runs go to OUT/rel/; the table to OUT/relevance.md, the numbers
# to OUT/relevance.jsonl. MORGUE_BM25="k1,b" in the environment overrides the
# engine's defaults (mg_bench reads it, as morgued does).
set -euo pipefail
B=$1 OUT=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
C=${MORGUE_CORPORA:?set MORGUE_CORPORA}
BQ=$B/bench/query
W=$OUT/rel
mkdir -p "$W"
PY=/usr/bin/python3
source "$here/lib.sh"

build_indexes() { # collection
  local c=$1 src=$C/$1/$1.jsonl
  morgue_index "$B" "$W/$c.morgue" "$src"
  nice "$BQ/xap_bench" index "$W/$c.xapian" "$src" 2>/dev/null
  nice "$BQ/fts5_bench" index "$W/$c.fts5" "$src" 2>/dev/null
}

morgue_run() { # collection name -> run file
  "$BQ/mg_bench" rel "$W/$1.morgue" "$C/$1/$1.queries.tsv" "$2" > "$W/$1.$2.run" 2> "$W/$1.$2.log"
  tail -1 "$W/$1.$2.log" >&2
}

if [ "${1:-}" = "--sweep" ]; then
  # The grid the defaults were chosen on, every collection (or those named).
  shift
  [ $# -gt 0 ] || set -- time cisi med npl
  for c in "$@"; do
    build_indexes $c
    : > "$OUT/relevance-sweep-$c.jsonl"
    for k1 in 0.8 1.0 1.2 1.4 1.6 1.8 2.0; do
      for b in 0.5 0.6 0.7 0.75 0.8 0.9; do
        MORGUE_BM25="$k1,$b" morgue_run $c "sweep-$k1-$b" 2>/dev/null
        $PY "$here/eval.py" --json "$C/$c/$c.qrels" "$W/$c.sweep-$k1-$b.run" |
          sed "s/^{/{\"k1\": $k1, \"b\": $b, /" >> "$OUT/relevance-sweep-$c.jsonl"
      done
    done
    { echo "== $c"; $PY "$here/report.py" sweep "$OUT/relevance-sweep-$c.jsonl"; } |
      tee "$OUT/relevance-sweep-$c.md"
  done
  exit 0
fi

[ $# -gt 0 ] || set -- time cisi med npl
: > "$OUT/relevance.jsonl"
for c in "$@"; do
  echo "== $c" >&2
  build_indexes "$c"
  morgue_run "$c" morgue
  # BQ_REL_ALT="VAR=value ...": morgue again under that environment, in the
  # same run (an A/B of engine settings, e.g. MORGUE_RESCORE=0)
  systems="morgue xapian fts5"
  if [ -n "${BQ_REL_ALT:-}" ]; then
    env $BQ_REL_ALT "$BQ/mg_bench" rel "$W/$c.morgue" "$C/$c/$c.queries.tsv" morgue-alt \
      > "$W/$c.morgue-alt.run" 2> "$W/$c.morgue-alt.log"
    systems="$systems morgue-alt"
  fi
  "$BQ/xap_bench" rel "$W/$c.xapian" "$C/$c/$c.queries.tsv" xapian > "$W/$c.xapian.run"
  "$BQ/fts5_bench" rel "$W/$c.fts5" "$C/$c/$c.queries.tsv" fts5 > "$W/$c.fts5.run"
  for s in $systems; do
    $PY "$here/eval.py" --json "$C/$c/$c.qrels" "$W/$c.$s.run" |
      sed "s/^{/{\"collection\": \"$c\", \"system\": \"$s\", /" >> "$OUT/relevance.jsonl"
  done
  # How each query fared against the best peer, for the analysis.
  $PY "$here/eval.py" --per-query "$C/$c/$c.qrels" "$W/$c.morgue.run" "$W/$c.fts5.run" \
    > "$W/$c.morgue-vs-fts5.txt"
done
{
  echo "MORGUE_BM25=${MORGUE_BM25:-(engine default)}  ${BQ_REL_ALT:+morgue-alt: $BQ_REL_ALT}  $(date -u +%FT%TZ)"
  echo
  $PY "$here/report.py" relevance "$OUT/relevance.jsonl"
} | tee "$OUT/relevance.md"
