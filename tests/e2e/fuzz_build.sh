#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make fuzz builds every libFuzzer target of tests/fuzz/ with clang into
# build-fuzz/ (docs/fuzzing.md), and each runs its seed corpus. Skipped
# without clang.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

if ! command -v "${FUZZ_CC:-clang}" >/dev/null || ! command -v "${FUZZ_CXX:-clang++}" >/dev/null; then
  echo "ok 1 # SKIP no clang"
  exit 0
fi
env -u MAKEFLAGS -u MFLAGS make -s -C "$MORGUE_ROOT" fuzz >"$TMP/make.log" 2>&1
ok $? "make fuzz"
[ -s "$TMP/make.log" ] && sed 's/^/# /' "$TMP/make.log" | tail -20
for src in "$MORGUE_ROOT"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  bin=$MORGUE_ROOT/build-fuzz/$name
  check "$name: built with libFuzzer" grep -q LLVMFuzzerRunDriver "$bin"
  "$bin" -runs=0 "$MORGUE_ROOT/tests/fuzz/corpus/${name#fuzz_}" >"$TMP/$name.log" 2>&1
  ok $? "$name: runs its seed corpus"
  check_match "$name: libFuzzer read the corpus" 'INITED cov: [1-9]' "$(cat "$TMP/$name.log")"
done
