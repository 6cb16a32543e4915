# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the morgued end-to-end tests (sourced after tests/e2e/lib.sh).
# Not a test itself: tests/run.sh runs tests/e2e/*.sh only.

export PYDIR=$MORGUE_ROOT/tests/e2e/py

# build_index DB INPUT...: a fresh index of the inputs.
build_index() {
  local db=$1; shift
  "$INDEX" --db "$db" --rebuild --quiet "$@"
}

# gen_articles OUT N PREFIX BODY: N generated articles as JSON Lines in OUT,
# ids PREFIX-0.., titles "Generated item I", dated 2001-01-01, source
# "Generator"; BODY is a Python expression of i (the article's number).
gen_articles() {
  $PY - "$@" <<'PYEOF'
import json, sys
out, n, prefix, body = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(out, "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": "%s-%d" % (prefix, i), "title": "Generated item %d" % i,
                            "body": eval(body, {"i": i}), "date": "2001-01-01",
                            "source": "Generator"}) + "\n")
PYEOF
}

# make_keys DIR NAME...: `morgue keygen` DIR/NAME.key and .pub for each
# NAME, and an empty DIR/allowed/ for an allow-list. Fails if any keygen did.
make_keys() {
  local dir=$1 who; shift
  mkdir -p "$dir/allowed" || return 1
  for who in "$@"; do "$CLIENT" keygen "$dir/$who" >/dev/null || return 1; done
}

# start_daemon NAME ARGS...: start morgued with ARGS, log to $TMP/NAME.log,
# wait until it has written its pidfile (it does so only once it is ready).
# Sets DPID and, when it binds a tcp wildcard port, TCP_EP (the real
# endpoint, read from the "ready" line). Returns 1 if it did not get ready.
# ready_or_gone PIDFILE PID: the daemon wrote its pidfile, or exited.
ready_or_gone() { [ -s "$1" ] || ! kill -0 "$2" 2>/dev/null; }

start_daemon() {
  local name=$1; shift
  local pidf=$TMP/$name.pid
  rm -f "$pidf"
  "$DAEMON" --pidfile "$pidf" "$@" 2>"$TMP/$name.log" &
  DPID=$!
  at_exit "kill -9 $DPID 2>/dev/null"
  wait_for 30 ready_or_gone "$pidf" "$DPID"
  if [ ! -s "$pidf" ]; then
    diag "morgued did not get ready:"; sed 's/^/#   /' "$TMP/$name.log"
    return 1
  fi
  TCP_EP=$(grep -o 'ready: .*' "$TMP/$name.log" | grep -o 'tcp://[^ ]*' | head -1)
  return 0
}

# stop_daemon PID NAME: SIGTERM, then check exit status 0 within 2 s.
stop_daemon() {
  local pid=$1 name=$2 t0 t1 rc
  t0=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid"; rc=$?
  t1=$(date +%s%N)
  check_eq "$name: morgued exits 0 on SIGTERM" 0 "$rc"
  # (the daemon's last words when it did not: a sanitizer's report, say)
  [ "$rc" = 0 ] || tail -n 60 "$TMP/$name.log" | sed 's/^/#   /'
  ok $(( (t1 - t0) < 2000000000 ? 0 : 1 )) "$name: morgued stops within 2 s ($(( (t1 - t0) / 1000000 )) ms)"
}

# without_took FILE: the text with "took_us":N removed (it is a timing).
without_took() { sed -E 's/"took_us":[0-9]+,?//g' "$@"; }
# without_ms: human output without the "(N.NN ms)" of the header.
without_ms() { sed -E '1s/ \([0-9.]+ ms\)$//' "$@"; }

# wait_file FILE SECONDS: wait until FILE exists.
wait_file() { wait_for "$2" test -e "$1"; }

# stop_loader PID STATEDIR OUT WHAT: stop a py/loader.py run (PID, writing
# to OUT) and check it: exit 0, more than 30 replies during WHAT, none bad.
stop_loader() {
  local pid=$1 state=$2 out=$3 what=$4 summary replies nbad
  touch "$state/stop"
  wait "$pid"
  check_eq "loader exit 0" 0 $?
  summary=$(tail -1 "$out")
  read -r replies nbad <<<"$($PY -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["replies"], d["nbad"])' <<<"$summary")"
  ok "$((replies > 30 ? 0 : 1))" "clients got $replies replies during $what"
  check_eq "every reply during $what was ok and right" 0 "$nbad"
  [ "$nbad" = 0 ] || diag "$summary"
}
