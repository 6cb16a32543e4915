# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the end-to-end tests of sharded indexes on this host's
# loopback (sourced after tests/e2e/lib.sh). Not a test itself: tests/run.sh
# runs tests/e2e/*.sh only.

# need_tcpsrv WHAT: end the test, WHAT skipped, without xapian-tcpsrv.
need_tcpsrv() {
  command -v xapian-tcpsrv >/dev/null && return 0
  echo "ok 1 - $1 # SKIP no xapian-tcpsrv (Debian's xapian-tools)"; echo "1..1"; exit 0
}
# free_ports N: PORTS, an array of N TCP ports free on the loopback now.
free_ports() {
  read -r -a PORTS <<<"$($PY -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1")"
}
# serve_db PORT DB: xapian-tcpsrv for DB on the loopback's PORT, in a
# session of its own (it signals its process group when it stops), killed
# with its connections at exit; SERVED is its pid.
serve_db() {
  setsid xapian-tcpsrv --quiet --interface 127.0.0.1 --port "$1" "$2" >>"$TMP/srv.log" 2>&1 &
  SERVED=$!
  at_exit "kill -9 -- -$SERVED 2>/dev/null"
}
# wait_port PORT: wait (5 s at most) until PORT on the loopback takes
# connections.
port_open() { $PY -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.2).close()" "$1" 2>/dev/null; }
wait_port() { wait_for 5 port_open "$1"; }
