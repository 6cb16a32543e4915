#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages (man/*.scd, built into BUILD/man/) render with man -l without
# a warning, and each program's page documents exactly the options its
# --help lists; morgue-protocol(7) names every operation and error code of
# docs/protocol.md.
source "$MORGUE_ROOT/tests/e2e/lib.sh"

# help_opts PROGRAM: the options --help lists (an indented "--name" or "-h, --name").
help_opts() { "$MORGUE_BUILD/$1" --help | grep -oE '^ {2}(-[a-z], )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u; }
# man_opts FILE: the options the rendered page describes (items of OPTIONS).
man_opts() {
  awk '/^[A-Z]/ { on = ($0 == "OPTIONS") } on' <<<"$1" |
    grep -oE '^ {7}(-[a-z], )?--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u
}

for page in morgue.1 morgue-index.1 morgued.8 morgue-protocol.7; do
  f=$MORGUE_BUILD/man/$page
  check "$page: built" test -s "$f"
  out=$(set -o pipefail; MANWIDTH=80 man --warnings -l "$f" 2>"$TMP/man.err" | col -bx); rc=$?
  check_eq "$page: man -l exit 0" 0 "$rc"
  check_eq "$page: no warning from man/groff" "" "$(cat "$TMP/man.err")"
  check_match "$page: NAME section" "^NAME\$" "$out"
  check_match "$page: the header names the page" "^${page%.*}\\(${page##*.}\\) " "$out"
  printf '%s\n' "$out" >"$TMP/$page.txt"
done

for prog in morgue:morgue.1 morgue-index:morgue-index.1 morgued:morgued.8; do
  p=${prog%%:*} page=${prog#*:}
  want=$(help_opts "$p")
  check_match "$p --help lists options" '^--help$' "$want"
  check_eq "$page documents exactly the options of $p --help" "$want" "$(man_opts "$(cat "$TMP/$page.txt")")"
done

proto=$(cat "$TMP/morgue-protocol.7.txt")
codes=$(grep -oE '^\| `[a-z_]+`(, `[a-z_]+`)* \|' "$MORGUE_ROOT/docs/protocol.md" |
        sed -n '/bad_json/,$p' | grep -oE '[a-z_]+' | sort -u)
missing=""
for c in $codes; do grep -qw -- "$c" <<<"$proto" || missing="$missing $c"; done
check_eq "morgue-protocol(7) names every error code of docs/protocol.md" "" "$missing"
missing=""
for op in $(grep -oE '^### `[a-z]+`' "$MORGUE_ROOT/docs/protocol.md" | tr -d '#` '); do
  grep -qE "^ {7}$op\$" <<<"$proto" || missing="$missing $op"
done
check_eq "morgue-protocol(7) describes every operation" "" "$missing"
