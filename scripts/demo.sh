#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job on the bundled corpus: install what is missing, build, index
# corpus/ (a fresh rebuild into ./demo-db, or $MORGUE_DB), start morgued,
# run a query through the morgue client, show the hits, stop the daemon.
#   scripts/demo.sh [QUERY...]          (default query: military parade)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -j"$(nproc 2>/dev/null || echo 2)" all
db=${MORGUE_DB:-$PWD/demo-db}
echo "== morgue-index --db $db --rebuild corpus/"
./build/morgue-index --db "$db" --rebuild corpus/
exec bash scripts/demo-run.sh build "$db" "$@"
