#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The end-to-end scripts wait for a condition with a deadline (lib.sh's
# wait_for), never for a fixed time, which is too short on a busy machine
# and wasted on an idle one: no sleep command but wait_for's own, and those
# on lines marked "# not a wait" (a deliberate delay, such as a random
# moment to kill a process at). Then wait_for itself.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

cd "$MORGUE_ROOT/tests/e2e" || exit 1
bare=$(grep -nE '(^|[;&|({]|\bthen|\bdo|\belse)[[:space:]]*sleep[[:space:]]+[0-9.$]' ./*.sh ./*.bash |
         grep -v '# not a wait' | grep -v '^\./lib\.sh:.*sleep 0\.02$')
check_eq "no bare sleep in tests/e2e" "" "$bare"

check "wait_for: a condition already true" wait_for 1 true
start=$(date +%s%N)
wait_for 0.3 false
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "wait_for: a condition never true fails" 1 "$rc"
ok $(( ms >= 300 && ms < 3000 ? 0 : 1 )) "wait_for: ... after its deadline (${ms} ms for 0.3 s)"
touch "$TMP/later" && rm "$TMP/later"
( t=$(date +%s%N); while [ $(( $(date +%s%N) - t )) -lt 200000000 ]; do :; done; touch "$TMP/later" ) &
check "wait_for: a condition that becomes true" wait_for 5 test -e "$TMP/later"
wait
