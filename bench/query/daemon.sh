#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench-daemon: QPS and p50/p95/p99 of morgued (snippets on) under 1 and 4
# concurrent clients for a fixed time, on AG News and Reuters-21578, beside
# Sphinx searchd (SphinxQL), xapian-tcpsrv (Xapian's remote backend, serving
# the morgue index) and the in-process engine (the floor). Every server binds
# 127.0.0.1 only and is stopped on exit.
#   daemon.sh BUILD OUT [CORPUS...]    (default: ag_news reuters21578)
# The systems take turns: in each of BQ_ROUNDS (default 3) rounds every
# measurement runs once for BQ_SECONDS (default 5) after a 1 s warm-up, so a
# change in the machine's speed during the run (common on a shared host)
# touches all of them alike. The report gives medians over rounds, and each
# target as the median of the same round's differences or ratios (with their
# range). The morgue index is always rebuilt; the peers' indexes are reused
# unless BQ_REINDEX=1. Results: OUT/daemon.jsonl, OUT/daemon.md.
set -euo pipefail
B=$1 OUT=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
C=${MORGUE_CORPORA:?set MORGUE_CORPORA}
BQ=$B/bench/query
W=$OUT/daemon
S=${BQ_SECONDS:-5}
R=${BQ_ROUNDS:-3}
PY=/usr/bin/python3
source "$here/lib.sh"
mkdir -p "$W"
[ $# -gt 0 ] || set -- ag_news reuters21578

pids=()
sphinx_dirs=()
cleanup() {
  for d in "${sphinx_dirs[@]}"; do bash "$here/sphinx.sh" stop "$d" || true; done
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=() sphinx_dirs=()
}
trap cleanup EXIT INT TERM

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_tcp() { # port
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "daemon.sh: nothing listens on 127.0.0.1:$1" >&2; return 1
}
wait_morgued() { # endpoint: a "ping" answered
  $PY - "$1" <<'PYEOF'
import sys, time, zmq
ctx = zmq.Context()
for _ in range(100):
    s = ctx.socket(zmq.REQ); s.setsockopt(zmq.LINGER, 0); s.connect(sys.argv[1])
    s.send(b'{"v":1,"op":"ping"}')
    if s.poll(200):
        print("morgued ready:", s.recv()[:80].decode(), file=sys.stderr); sys.exit(0)
    s.close(); time.sleep(0.05)
sys.exit("morgued did not answer a ping")
PYEOF
}

: > "$OUT/daemon.jsonl"
echo "start: $(date -u +%FT%TZ) uptime:$(uptime)" > "$OUT/daemon.env"
for c in "$@"; do
  src=$C/$c/$c.jsonl q=$OUT/queries-$c.txt db=$W/$c.morgue
  $PY "$here/genqueries.py" "$src" > "$q"
  echo "== $c: indexing" >&2
  morgue_index "$B" "$db" "$src"
  sp_port=$(free_port)
  [ -e "$W/$c.sphinx/bench.spd" ] && [ "${BQ_REINDEX:-0}" = 0 ] &&
    sed -i "s/listen *= *127.0.0.1:[0-9]*:mysql41/listen          = 127.0.0.1:$sp_port:mysql41/" \
      "$W/$c.sphinx/sphinx.conf" ||
    nice bash "$here/sphinx.sh" index "$W/$c.sphinx" "$src" "$sp_port" 2>&1 | grep -v 'switching to none docinfo' >&2 || true

  md_port=$(free_port)
  ep=tcp://127.0.0.1:$md_port
  "$B/morgued" --db "$db" --bind "$ep" 2> "$W/$c.morgued.log" &
  pids+=($!)
  wait_morgued "$ep"
  xt_port=$(free_port)
  # Its own session: on SIGTERM xapian-tcpsrv signals its whole process
  # group, which would otherwise include this script and make.
  setsid xapian-tcpsrv --port "$xt_port" --interface 127.0.0.1 --quiet "$(realpath "$db")" \
    > "$W/$c.tcpsrv.log" 2>&1 &
  pids+=($!)
  wait_tcp "$xt_port"
  sphinx_dirs+=("$W/$c.sphinx")
  bash "$here/sphinx.sh" start "$W/$c.sphinx"

  echo "== $c: load, $R rounds, $S s per measurement" >&2
  for round in $(seq "$R"); do
    {
      for n in 1 4; do
        "$BQ/loadgen" ping "$ep" "$n" "$S" | sed "s/\"corpus\":\"-\"/\"corpus\":\"$c\"/"
      done
      for n in 1 4; do
        "$BQ/mg_bench" load "$db" "$q" "$c" 1 "$n" "$S"
        "$BQ/loadgen" morgued "$ep" "$q" "$c" "$n" "$S" 1
        "$BQ/loadgen" morgued "$ep" "$q" "$c" "$n" "$S" 0
        "$BQ/xap_bench" remote 127.0.0.1 "$xt_port" "$q" "$c" morgue "$n" "$S"
        BQ_XAP_DOCIDS=1 "$BQ/xap_bench" remote 127.0.0.1 "$xt_port" "$q" "$c" morgue "$n" "$S"
        "$BQ/loadgen" sphinx "$sp_port" "$q" "$c" "$n" "$S"
      done
    } | sed "s/^{/{\"round\":$round,/" | tee -a "$OUT/daemon.jsonl" >&2
  done
  cleanup
done
echo "end: $(date -u +%FT%TZ) uptime:$(uptime)" >> "$OUT/daemon.env"
{
  cat "$OUT/daemon.env"
  echo
  $PY "$here/report.py" daemon "$OUT/daemon.jsonl"
} | tee "$OUT/daemon.md"
