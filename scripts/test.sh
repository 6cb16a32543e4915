#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The test command: install what is missing, build, run every test, then
# build again under ASan+UBSan (build-san/) and run them all again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" all
make test
make -j"$jobs" all SANITIZE=address,undefined
make test SANITIZE=address,undefined
