#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a replica fetches (docs/replication.md): Reuters-21578 is indexed, a
# replica follows it with xapian-replicate through a relay that counts bytes
# (tests/e2e/py/tcpcount.py), and a series of updates is made, each followed
# by one replication pass. The modes:
#   edits          NIGHTS nights of 216 articles (1%) edited: a sentence
#                  added to the body; --changesets
#   mixed          NIGHTS nights of a resync with --delete-missing of an
#                  archive where 1% of the articles went, 1% were rewritten
#                  (another article's body) and 1% are new; --changesets
#   mixed-compact  the same nights with --compact as well
#   hourly         HOURS hourly feeds of 9 new articles (1% a day);
#                  --changesets
# For each step: the index size (without its changesets), the changeset
# written, the bytes the index host sent and how. Prints a Markdown table.
#
# usage: bench/replica.sh [BUILD_DIR [NIGHTS [HOURS]]]   (3-4 minutes)
set -eu
B=$(cd "${1:-build}" && pwd)
NIGHTS=${2:-5}
HOURS=${3:-12}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REUTERS=$ROOT/../shared/corpora/reuters21578/reuters21578.jsonl
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/morgue-bench-replica.XXXXXX")
pids=()
trap 'for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# step KIND PREV N OUT: write the input of step N after the archive PREV.
#   edits: the articles of the night, each with a sentence more
#   mixed: the whole archive of the night (PREV less 1%, 1% rewritten, 1% new)
#   hourly: the hour's 9 new articles
step() {
  $PY - "$@" <<'PYEOF'
import json, sys
kind, prev, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
recs = [json.loads(line) for line in open(prev)]
m = len(recs)
body = lambda i: recs[i % m].get("body") or "text"
rows = []
if kind == "edits":
    for i, r in enumerate(recs):
        if i % 100 == n % 100:
            rows.append(dict(r, body=(r.get("body") or "") + " Corrected on night %d." % n))
elif kind == "mixed":
    for i, r in enumerate(recs):
        if i % 100 == n * 7 % 100:
            continue
        rows.append(dict(r, body=body(i * 31 + n)) if i % 100 == (n * 7 + 33) % 100 else r)
    for i in range(0, m, 100):
        rows.append(dict(recs[(i + n * 13) % m], id="night%d-%d" % (n, i), body=body(i * 17 + n * 5 + 1)))
else:
    for k in range(9):
        i = (n * 9 + k) * 97
        rows.append(dict(recs[i % m], id="hour%d-%d" % (n, k), body=body(i * 13 + 7)))
with open(out, "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PYEOF
}

echo "| mode | step | index bytes | changeset bytes | sent to the replica | how |"
echo "| --- | --: | --: | --: | --: | --- |"
for mode in edits mixed mixed-compact hourly; do
  d=$T/$mode
  mkdir -p "$d/rep"
  "$B/morgue-index" --db "$d/idx/db" --quiet "$REUTERS" 2>/dev/null || [ $? = 3 ]
  port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # a session of its own: on SIGTERM the server kills its process group
  setsid xapian-replicate-server -I 127.0.0.1 -p "$port" "$d/idx" >"$d/server.log" 2>&1 &
  pids+=($!)
  $PY "$ROOT/tests/e2e/py/tcpcount.py" "$port" "$d/relay.port" "$d/relay.log" &
  pids+=($!)
  until [ -s "$d/relay.port" ]; do sleep 0.05; done
  sleep 0.3
  relay=$(cat "$d/relay.port")
  pass() { # one replication pass: "BYTES_SENT how"
    local n
    n=$(wc -l 2>/dev/null <"$d/relay.log" || echo 0)
    xapian-replicate -h 127.0.0.1 -p "$relay" -m db -o -v "$d/rep/db" >"$d/pass.out" 2>&1
    until [ "$(wc -l 2>/dev/null <"$d/relay.log" || echo 0)" -gt "$n" ]; do sleep 0.05; done
    echo "$(tail -1 "$d/relay.log" | cut -d' ' -f1) $(sed -n 's/^Update complete: \([0-9]* copies, [0-9]* changesets\).*/\1/p' "$d/pass.out")"
  }
  size() { du -sb --exclude='changes*' "$(realpath "$d/idx/db")" | cut -f1; }
  read -r sent how <<<"$(pass)"
  echo "| $mode | rebuild | $(size) | | $sent | $how |"
  prev=$REUTERS steps=$NIGHTS
  [ "$mode" = hourly ] && steps=$HOURS
  for ((n = 1; n <= steps; n++)); do
    case $mode in
      edits) step edits "$REUTERS" "$n" "$d/in$n.jsonl"; opts=() ;;
      hourly) step hourly "$REUTERS" "$n" "$d/in$n.jsonl"; opts=() ;;
      mixed) step mixed "$prev" "$n" "$d/in$n.jsonl"; opts=(--delete-missing --max-delete 5%) ;;
      mixed-compact) step mixed "$prev" "$n" "$d/in$n.jsonl"; opts=(--delete-missing --max-delete 5% --compact) ;;
    esac
    prev=$d/in$n.jsonl
    "$B/morgue-index" --db "$d/idx/db" --changesets 30 "${opts[@]+"${opts[@]}"}" --quiet "$prev" 2>/dev/null ||
      [ $? = 3 ]
    last=$(ls -v "$(realpath "$d/idx/db")" | grep '^changes' | tail -1 || true)
    cs=$([ -n "$last" ] && stat -c %s "$(realpath "$d/idx/db")/$last" || echo "")
    read -r sent how <<<"$(pass)"
    echo "| $mode | $n | $(size) | $cs | $sent | $how |"
  done
done
