#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mistakes in endpoints, keys and permissions get a message that names them
# (and, for endpoints and the client's keys, the usage exit status 2)
# instead of a silent wrong port, a timeout or a misleading cause.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
check "index the corpus" build_index "$DB" "$MORGUE_ROOT/corpus"

# refused EXIT NAME EXPECTED_MESSAGE CMD...: CMD exits EXIT and says why.
refused() {
  local want=$1 name=$2 msg=$3; shift 3
  timeout 20 "$@" >/dev/null 2>"$TMP/err.log" </dev/null
  check_eq "$name: exit $want" "$want" $?
  check_match "$name: says why" "$msg" "$(cat "$TMP/err.log")"
}

# morgued --bind: each refused before anything starts, exit 2.
bad_bind() { refused 2 "morgued --bind '$1'" "$2" "$DAEMON" --db "$DB" --bind "$1"; }
bad_bind 'tcp://127.0.0.1:0' "port 0 \\(for any free port, use tcp://HOST:\\*\\)"
bad_bind 'tcp://127.0.0.1:99999' "port '99999' is not a number in 1..65535"
bad_bind 'tcp://127.0.0.1:55x5' "port '55x5' is not a number"
bad_bind "tcp://127.0.0.1:5555$(printf '\001')" "holds a space, NUL or control character"
bad_bind 'tcp://127.0.0.1' "no port"
bad_bind 'ipc://' "no path"
bad_bind 'udp://127.0.0.1:5555' "want tcp://HOST:PORT or ipc://PATH"

# morgue COMMAND with the wrong number of arguments: said before any
# request, exit 2 (with no daemon there: not a timeout).
bad_args() { refused 2 "morgue ${*:3}" "morgue: $1 $2" "$CLIENT" --endpoint "ipc://$TMP/none.sock" "${@:3}"; }
bad_args get "needs exactly one id" get
bad_args get "needs exactly one id" get a b
bad_args search "needs a query" search
bad_args timeline "needs a query" timeline
bad_args terms "needs a query" terms
refused 2 "morgue --vs with search" "morgue: --vs is for timeline" \
  "$CLIENT" --endpoint "ipc://$TMP/none.sock" --vs b search a
refused 2 "morgue --vs eight times" "morgue: --vs: at most 7 queries beside the first" \
  "$CLIENT" --vs 1 --vs 2 --vs 3 --vs 4 --vs 5 --vs 6 --vs 7 --vs 8 timeline a
refused 2 "morgue --limit 0 terms" "morgue: terms: --limit is the number of words, 1 to 100" \
  "$CLIENT" --endpoint "ipc://$TMP/none.sock" --limit 0 terms x
refused 2 "morgue --limit 101 terms" "morgue: terms: --limit is the number of words, 1 to 100" \
  "$CLIENT" --endpoint "ipc://$TMP/none.sock" --limit 101 terms x
bad_args sources "takes no argument" sources x
bad_args categories "takes no argument" categories x
bad_args stats "takes no argument" stats x
bad_args ping "takes no argument" ping x
bad_args keygen "needs a PREFIX" keygen
bad_args keygen "needs a PREFIX" keygen a b
# Text that is not UTF-8 (a Latin-1 terminal's "Süddeutsche") cannot go
# into a request: refused by name, never dropped from the request (which
# counted every source).
NOTUTF=$(printf 'S\374ddeutsche')
bad_text() { refused 2 "morgue $1 not UTF-8" "morgue: $2 is not valid UTF-8" "$CLIENT" --db "$DB" "${@:3}"; }
bad_text --source --source --source "$NOTUTF" search kim
bad_text --since --since --since "2020$NOTUTF" search kim
bad_text --until --until --until "2020$NOTUTF" timeline kim
bad_text --added-since --added-since --added-since "2020$NOTUTF" search kim
bad_text --added-until --added-until --added-until "2020$NOTUTF" search kim
bad_text --vs --vs --vs "$NOTUTF" timeline kim
bad_text search "the query" search "$NOTUTF"
bad_text "search (a later word)" "the query" search kim "$NOTUTF"
bad_text terms "the query" terms "$NOTUTF"
bad_text timeline "the query" timeline "$NOTUTF"
bad_text get "the id" get "$NOTUTF"
bad_text "watch add" "the watch's name or query" watch add w "$NOTUTF"
# a path is the file system's: keygen takes a prefix of any bytes
check "morgue keygen: a prefix that is not UTF-8" "$CLIENT" keygen "$TMP/k$NOTUTF"
check "morgue keygen: wrote its files" test -s "$TMP/k$NOTUTF.key" -a -s "$TMP/k$NOTUTF.pub"
refused 2 "morgue search --format csv --limit 0" "morgue: --format with --limit 0 would export no hit" \
  "$CLIENT" --db "$DB" --format csv --limit 0 search kim
# an option of another command is refused by name, not ignored
misplaced() { refused 2 "morgue $1 with $2" "morgue: $1 is for $3" "$CLIENT" --db "$DB" "${@:4}"; }
misplaced --svg search timeline --svg "$TMP/x.svg" search kim
misplaced --csv search timeline --csv search kim
misplaced --csv sources timeline --csv sources
misplaced --format sources search --format csv sources
misplaced --format timeline search --format csv timeline kim
misplaced --snippets "search without --format" "search --format" --snippets search kim
misplaced --copies search get --copies search kim
check "morgue --svg with search: no file written" test ! -e "$TMP/x.svg"
refused 2 "morgue --db with --endpoint" "morgue: --db searches an index here, --endpoint asks a daemon: not both" \
  "$CLIENT" --db "$DB" --endpoint "ipc://$TMP/none.sock" search kim
# an export whose daemon is away writes nothing, not a header that looks
# like an empty export; once the index answers, the header comes first
"$CLIENT" --endpoint "ipc://$TMP/none.sock" --format csv search kim >"$TMP/away.csv" 2>/dev/null
check_eq "morgue --format csv, no daemon: exit 3 and an empty file" "3 0" "$? $(wc -c <"$TMP/away.csv")"
check_eq "morgue --format csv via --db: the header first" "rank,id,date,source,title,url,score,matched" \
  "$("$CLIENT" --db "$DB" --format csv search kim | head -1)"
refused 2 "morgue frobnicate" "unknown command 'frobnicate'" "$CLIENT" frobnicate

# morgue --endpoint: the same checks, exit 2 (not a timeout, exit 3).
bad_ep() { refused 2 "morgue --endpoint '$1'" "$2" "$CLIENT" --endpoint "$1" --timeout 200 --retries 0 ping; }
bad_ep 'tcp://127.0.0.1:0' "port 0 cannot be connected to"
bad_ep 'tcp://127.0.0.1:99999' "port '99999' is not a number in 1..65535"
bad_ep 'tcp://127.0.0.1:5555junk' "port '5555junk' is not a number"
bad_ep 'tcp://:5555' "bad host ''"
MORGUE_ENDPOINT='tcp://127.0.0.1:70000' "$CLIENT" --timeout 200 --retries 0 ping >/dev/null 2>"$TMP/ep.log"
check_eq "MORGUE_ENDPOINT with a bad port: exit 2" 2 $?

# Keys.
K=$TMP/keys
check "CURVE keys made" make_keys "$K" server alice bob
curve=("$CLIENT" --endpoint tcp://127.0.0.1:9 --curve-server-key "$K/server.pub" --curve-key)
refused 2 "--curve-key given a public key file" 'alice.pub is a public key file: a secret key is needed here' \
  "${curve[@]}" "$K/alice.pub" ping
{ head -1 "$K/alice.key"; tail -1 "$K/bob.key"; } >"$K/mixed.key"
refused 2 "--curve-key whose key is not the pair's it names" "mixed.key: its key does not give the public key the file names" \
  "${curve[@]}" "$K/mixed.key" ping
refused 2 "--curve-key of 40 non-Z85 characters (not 'Invalid argument')" "is neither a key file nor a 40-character Z85 key" \
  "${curve[@]}" "$(printf '~%.0s' $(seq 40))" ping
refused 1 "morgued --curve-secret given a public key file: does not start" 'server.pub is a public key file' \
  "$DAEMON" --db "$DB" --bind 'tcp://127.0.0.1:*' --curve-secret "$K/server.pub" --curve-allow "$K/alice.pub"

# An index whose lock file this user may not open: "permission denied", not
# "locked by another writer". Needs another user than root to try it.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null && id nobody >/dev/null 2>&1; then
  chmod 755 "$TMP"
  mkdir "$TMP/shared" && chmod 777 "$TMP/shared"
  build_index "$TMP/shared/db" "$MORGUE_ROOT/corpus"
  chmod 666 "$TMP/shared/db.lock"
  out=$(runuser -u nobody -- "$INDEX" --db "$TMP/shared/db" --quiet "$MORGUE_ROOT/corpus" 2>&1)
  check_match "index not writable by this user: permission denied" 'permission denied: cannot take the write lock' "$out"
  ok "$(echo "$out" | grep -q 'locked by another writer'; echo $((1 - $?)))" "index not writable by this user: not called locked"
else
  ok 0 "index not writable by this user # SKIP needs root and runuser to act as nobody"
fi
