#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sphinx searchd for the daemon benchmark: index a JSON Lines corpus and serve
# it with SphinxQL on a loopback port.
#   sphinx.sh index DIR JSONL PORT    write DIR/sphinx.conf, build the index
#   sphinx.sh start DIR               start searchd, wait until it answers
#   sphinx.sh stop DIR                stop it (waits for the exit)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=$1 dir=$(realpath -m "$2")
conf=$dir/sphinx.conf
case $cmd in
index)
  jsonl=$(realpath "$3") port=$4
  mkdir -p "$dir"
  cat > "$conf" <<CONF
source bench_src
{
    type            = tsvpipe
    tsvpipe_command = /usr/bin/python3 $here/sphinx_tsv.py $jsonl
    tsvpipe_field   = title
    tsvpipe_field   = body
}
index bench
{
    source          = bench_src
    path            = $dir/bench
    morphology      = stem_en
    min_word_len    = 1
    html_strip      = 0
}
indexer
{
    mem_limit       = 256M
}
searchd
{
    listen          = 127.0.0.1:$port:mysql41
    log             = $dir/searchd.log
    pid_file        = $dir/searchd.pid
    binlog_path     =
    workers         = threads
    max_children    = 16
    read_timeout    = 5
    client_timeout  = 60
    watchdog        = 0
}
CONF
  indexer --config "$conf" --all --quiet
  ;;
start)
  port=$(sed -n 's/.*listen *= *127.0.0.1:\([0-9]*\):mysql41/\1/p' "$conf")
  searchd --config "$conf" >"$dir/searchd.out" 2>&1
  for _ in $(seq 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then exit 0; fi
    sleep 0.1
  done
  echo "sphinx.sh: searchd did not start (see $dir/searchd.log)" >&2; exit 1
  ;;
stop)
  [ -f "$dir/searchd.pid" ] || exit 0
  searchd --config "$conf" --stopwait >/dev/null 2>&1 || kill "$(cat "$dir/searchd.pid")" 2>/dev/null || true
  ;;
*) echo "usage: sphinx.sh index DIR JSONL PORT | start DIR | stop DIR" >&2; exit 2 ;;
esac
