#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every test program and end-to-end script; print one summary line.
#
# Every test speaks TAP ("ok ..." / "not ok ..."): the cmocka programs through
# CMOCKA_MESSAGE_OUTPUT=TAP, the fuzz replayers and tests/e2e/*.sh directly.
# A program that exits non-zero without reporting a failure counts as one.
#   tests/run.sh BUILD_DIR [FILTER]      FILTER: run only names matching it
set -u
B=${1:?usage: tests/run.sh BUILD_DIR [FILTER]}
filter=${2:-${T:-}}
export MORGUE_BUILD=$(cd "$B" && pwd)
export MORGUE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export MORGUE_CORPORA=${MORGUE_CORPORA:-$MORGUE_ROOT/../shared/corpora}
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log_dir=$MORGUE_BUILD/test-logs
mkdir -p "$log_dir"

passed=0 failed=0 skipped=0
failures=()
run_one() {
  local name=$1; shift
  local log=$log_dir/$name.log start end p f s rc
  start=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  end=$(date +%s)
  p=$(grep -aE '^ok ' "$log" | grep -vc '# SKIP' || true)
  s=$(grep -aE '^ok ' "$log" | grep -c '# SKIP' || true)
  f=$(grep -acE '^not ok ' "$log" || true)
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - $name exited with status $rc" >>"$log"
  fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
    f=1
    echo "not ok - $name reported no test" >>"$log"
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  printf '%-34s %4d passed %3d failed %3d skipped  %3ss\n' "$name" "$p" "$f" "$s" $((end - start))
  if [ "$f" -ne 0 ]; then
    failures+=("$name")
    grep -aE '^not ok |^# ' "$log" | head -40 | sed 's/^/    /'
    echo "    (full log: $log)"
  fi
}

for t in "$B"/tests/test_* "$B"/tests/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  [ -n "$filter" ] && [[ $name != *$filter* ]] && continue
  case $name in
    fuzz_*) run_one "$name" "$t" "$MORGUE_ROOT/tests/fuzz/corpus/${name#fuzz_}" ;;
    *)      run_one "$name" "$t" ;;
  esac
done
for t in "$MORGUE_ROOT"/tests/e2e/*.sh; do
  [ -f "$t" ] || continue
  [ "$(basename "$t")" = lib.sh ] && continue
  name=e2e_$(basename "$t" .sh)
  [ -n "$filter" ] && [[ $name != *$filter* ]] && continue
  run_one "$name" bash "$t"
done

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
