#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Check for the Debian packages morgue builds, tests and runs with; install
# the missing ones with apt-get when root, or print the one command to run.
#
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --bench    also the peers the benchmarks compare against
set -euo pipefail
# Tests use Debian's own interpreter (/usr/bin/python3), which sees python3-zmq.

# package  check (a command -v name, a header path, or a pkg-config module)
want=(
  "build-essential:cmd:cc"
  "g++:cmd:g++"
  "make:cmd:make"
  "pkg-config:cmd:pkg-config"
  "libxapian-dev:cmd:xapian-config"
  "libzmq3-dev:pc:libzmq"
  "liblz4-dev:pc:liblz4"
  "libstemmer-dev:hdr:/usr/include/libstemmer.h"
  "libutf8proc-dev:pc:libutf8proc"
  "libjansson-dev:pc:jansson"
  "libcmocka-dev:pc:cmocka"
  "xapian-tools:cmd:xapian-delve"
  "python3:hdr:/usr/bin/python3"
  "python3-zmq:py:zmq"
  "lz4:cmd:lz4"
  "jq:cmd:jq"
  "python3-xapian:py:xapian"
  "valgrind:cmd:valgrind"
  "strace:cmd:strace"
  "scdoc:cmd:scdoc"
  "man-db:cmd:man"
  "groff-base:cmd:groff"
  "systemd:cmd:systemd-analyze"
  "dpkg-dev:cmd:dpkg-buildpackage"
  "debhelper:cmd:dh"
  "lintian:cmd:lintian"
)
if [ "${1:-}" = "--bench" ]; then
  want+=(
    "xapian-omega:cmd:scriptindex"
    "sqlite3:cmd:sqlite3"
    "sphinxsearch:cmd:searchd"
    "libsqlite3-dev:hdr:/usr/include/sqlite3.h"
    "libmariadb-dev:pc:libmariadb"
    "time:hdr:/usr/bin/time"
  )
fi

missing=()
for w in "${want[@]}"; do
  pkg=${w%%:*}; rest=${w#*:}; kind=${rest%%:*}; what=${rest#*:}
  case $kind in
    cmd) command -v "$what" >/dev/null 2>&1 && continue ;;
    hdr) [ -e "$what" ] && continue ;;
    pc)  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$what" && continue ;;
    py)  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $what" 2>/dev/null && continue ;;
  esac
  missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "morgue: missing Debian packages: ${missing[*]}" >&2
  echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "morgue: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
