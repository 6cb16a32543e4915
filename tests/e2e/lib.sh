# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for end-to-end tests: TAP output, temporary directories, binaries.
# Source it from a test script; tests/run.sh sets MORGUE_BUILD, MORGUE_ROOT
# and MORGUE_CORPORA.
set -u
: "${MORGUE_BUILD:?run through tests/run.sh or make test}"
: "${MORGUE_ROOT:?}"
: "${MORGUE_CORPORA:?}"
INDEX=$MORGUE_BUILD/morgue-index
DAEMON=$MORGUE_BUILD/morgued
CLIENT=$MORGUE_BUILD/morgue
PY=/usr/bin/python3
REUTERS=$MORGUE_CORPORA/reuters21578/reuters21578.jsonl
SEED=$MORGUE_CORPORA/seed
TMP=$(mktemp -d "${TMPDIR:-/tmp}/morgue-e2e.XXXXXX")
_tap_n=0
_cleanups=()
trap '_e2e_exit' EXIT
_e2e_exit() {
  local c
  for c in "${_cleanups[@]+"${_cleanups[@]}"}"; do eval "$c" || true; done
  rm -rf "$TMP"
}
# at_exit CMD: run CMD (a string) when the script ends.
at_exit() { _cleanups+=("$1"); }

# ok COND_EXIT_STATUS NAME: record a result.
ok() {
  _tap_n=$((_tap_n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"; else echo "not ok $_tap_n - $2"; fi
}
# check NAME CMD...: run CMD, pass when it exits 0.
check() {
  local name=$1; shift
  if "$@"; then ok 0 "$name"; else ok 1 "$name"; fi
}
# check_eq NAME EXPECTED ACTUAL
check_eq() {
  if [ "$2" = "$3" ]; then ok 0 "$1"; else ok 1 "$1"; echo "# expected: $2"; echo "# actual:   $3"; fi
}
# check_match NAME REGEX TEXT
check_match() {
  if printf '%s' "$3" | grep -qE -- "$2"; then ok 0 "$1"; else ok 1 "$1"; echo "# no match for /$2/ in:"; printf '%s\n' "$3" | head -20 | sed 's/^/#   /'; fi
}
diag() { printf '# %s\n' "$*"; }
# wait_for SECONDS CMD...: run CMD until it exits 0 (return 0) or SECONDS
# (a decimal) have passed (return 1), every 20 ms. The tests wait for a
# condition this way, never for a fixed time.
wait_for() {
  local end
  end=$(( $(date +%s%N) + $(LC_ALL=C awk -v s="$1" 'BEGIN { printf "%d", s * 1e9 }') ))
  shift
  until "$@"; do
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    sleep 0.02
  done
}
# holds_lock FILE PID: the lock file names PID (a running indexer).
holds_lock() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
# pipe_empty FD: nothing is left unread in the pipe open on FD.
pipe_empty() {
  "$PY" -c 'import fcntl, struct, sys, termios
n = struct.unpack("i", fcntl.ioctl(int(sys.argv[1]), termios.FIONREAD, b"\0\0\0\0"))[0]
sys.exit(0 if n == 0 else 1)' "$1"
}
