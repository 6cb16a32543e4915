#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What a replica fetches each night (docs/replication.md): Reuters-21578 is
# indexed, a replica follows it with xapian-replicate through a relay that
# counts bytes (tests/e2e/py/tcpcount.py), and NIGHTS nightly updates of 1%
# of the articles are made, each followed by one replication pass:
#   edit     216 articles edited (a sentence added to the body), --changesets
#   new      216 new articles (copies of existing ones under new ids), --changesets
#   compact  the edits again, with --changesets --compact each night
# For each night: the index size (without its changesets), the changeset
# written and the bytes the index host sent. Prints a Markdown table.
#
# usage: bench/replica.sh [BUILD_DIR [NIGHTS]]     (about a minute per mode)
set -eu
B=$(cd "${1:-build}" && pwd)
NIGHTS=${2:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REUTERS=$ROOT/../shared/corpora/reuters21578/reuters21578.jsonl
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/morgue-bench-replica.XXXXXX")
pids=()
trap 'for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# night MODE N OUT: the night's 1% of Reuters (every 100th article from N).
night() {
  $PY - "$REUTERS" "$@" <<'PYEOF'
import json, sys
src, mode, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open(src) as f, open(out, "w") as o:
    for i, line in enumerate(f):
        if i % 100 != n % 100:
            continue
        r = json.loads(line)
        if mode == "new":
            r["id"] = "%s-night%d" % (r["id"], n)
        else:
            r["body"] = (r.get("body") or "") + " Corrected on night %d." % n
        o.write(json.dumps(r) + "\n")
PYEOF
}

echo "| mode | night | index bytes | changeset bytes | sent to the replica | how |"
echo "| --- | --: | --: | --: | --: | --- |"
for mode in edit new compact; do
  d=$T/$mode
  mkdir -p "$d/rep"
  "$B/morgue-index" --db "$d/idx/db" --quiet "$REUTERS" 2>/dev/null || [ $? = 3 ]
  port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
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
  echo "| $mode | 0 (rebuild) | $(size) | | $sent | $how |"
  inputs=()
  for ((n = 1; n <= NIGHTS; n++)); do
    night "${mode/compact/edit}" "$n" "$d/night$n.jsonl"
    extra=()
    if [ "$mode" = new ]; then inputs+=("$d/night$n.jsonl"); else inputs=("$d/night$n.jsonl"); fi
    [ "$mode" = compact ] && extra=(--compact)
    # "new" gives the whole archive each night, as a nightly resync would
    if [ "$mode" = new ]; then set -- "$REUTERS" "${inputs[@]}"; else set -- "${inputs[@]}"; fi
    "$B/morgue-index" --db "$d/idx/db" --changesets 10 "${extra[@]+"${extra[@]}"}" --quiet "$@" 2>/dev/null ||
      [ $? = 3 ]
    last=$(ls -v "$(realpath "$d/idx/db")" | grep '^changes' | tail -1 || true)
    cs=$([ -n "$last" ] && stat -c %s "$(realpath "$d/idx/db")/$last" || echo "")
    read -r sent how <<<"$(pass)"
    echo "| $mode | $n | $(size) | $cs | $sent | $how |"
  done
done
