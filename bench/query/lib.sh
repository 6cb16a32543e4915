# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the query benchmark drivers (sourced).

# morgue_index BUILD DB JSONL: a fresh morgue index. Exit status 3 (finished,
# some records skipped as bad: Reuters has one with neither title nor body)
# is accepted; the skipped records are printed by the indexer.
morgue_index() {
  local rc=0
  nice "$1/morgue-index" --db "$2" --rebuild --quiet "$3" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    echo "bench: morgue-index failed ($rc) on $3" >&2
    return 1
  fi
}
