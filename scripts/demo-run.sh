#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon half of the main-job demo: start morgued on a temporary ipc
# socket over an index, wait until it is ready, query it with morgue, print
# the hits, stop it with SIGTERM.
#   scripts/demo-run.sh BUILD_DIR DB_PATH [QUERY...]   (default query: military parade)
set -euo pipefail
build=${1:?usage: scripts/demo-run.sh BUILD_DIR DB_PATH [QUERY...]}
db=${2:?usage: scripts/demo-run.sh BUILD_DIR DB_PATH [QUERY...]}
shift 2
[ $# -gt 0 ] || set -- military parade

dir=$(mktemp -d "${TMPDIR:-/tmp}/morgue-demo.XXXXXX")
endpoint=ipc://$dir/morgued.sock
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

echo "== starting morgued on $endpoint"
"$build/morgued" --db "$db" --bind "$endpoint" --pidfile "$dir/morgued.pid" 2>"$dir/morgued.log" &
pid=$!
# The pidfile appears once the daemon is ready to answer.
for ((i = 0; i < 600; i++)); do
  [ -s "$dir/morgued.pid" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then cat "$dir/morgued.log" >&2; exit 1; fi
  sleep 0.05
done
[ -s "$dir/morgued.pid" ] || { echo "morgued did not get ready" >&2; cat "$dir/morgued.log" >&2; exit 1; }
grep 'ready:' "$dir/morgued.log" | sed 's/^/   /'

echo "== morgue search $*"
status=0
"$build/morgue" --endpoint "$endpoint" search -- "$@" || status=$?

echo "== stopping morgued (SIGTERM)"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
sed -n 's/^.* info: \(stopped: .*\)$/   \1/p' "$dir/morgued.log"
if [ "$rc" -ne 0 ]; then echo "morgued exited with status $rc" >&2; exit 1; fi
# grep-like: 1 means no hits, which for a demo query is a failure too.
exit "$status"
