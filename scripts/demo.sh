#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job on the bundled corpus: install what is missing, build, index
# corpus/ and print the index summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -j"$(nproc 2>/dev/null || echo 2)" all
db=${MORGUE_DB:-$PWD/demo-db}
./build/morgue-index --db "$db" --rebuild corpus/
