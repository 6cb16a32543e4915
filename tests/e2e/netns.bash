# SPDX-License-Identifier: GPL-2.0-or-later
# Hosts for multi-host tests, made of network namespaces (sourced after
# tests/e2e/lib.sh). Not a test itself: tests/run.sh runs tests/e2e/*.sh only.
#
# netns_init makes a switch: a namespace holding a bridge; netns_host NAME N
# makes a host: a namespace whose eth0 (10.77.0.N/24) is a veth pair with its
# other end on the bridge, plus its loopback. Nothing is added to the
# namespace the test runs in (no address, no route, no bridge there), so the
# hosts see only each other's traffic. Every namespace, and every process
# started with netns_spawn, goes when the script ends.
#
#   netns_init || skip_all "$NETNS_WHY"
#   netns_host shard1 2
#   netns_spawn shard1 xapian-tcpsrv --port 7000 DB     # sets SPAWNED (pid)
#   netns_run shard1 ip addr                            # in the foreground
#   netns_link shard1 down                              # cut its cable
#
# Names are made unique per test run (the namespace of host NAME is
# ${NETNS_PREFIX}NAME), so tests may run side by side.

NETNS_PREFIX=mg$$-
NETNS_WHY=
_netns_list=()

# netns_init: 0 when namespaces can be made here (root, ip netns, veth,
# bridge), and the switch made; else 1 with the reason in NETNS_WHY.
netns_init() {
  if [ "$(id -u)" != 0 ]; then NETNS_WHY="not root: network namespaces need CAP_SYS_ADMIN"; return 1; fi
  if ! command -v ip >/dev/null; then NETNS_WHY="no ip(8) (iproute2)"; return 1; fi
  local sw=${NETNS_PREFIX}sw
  if ! ip netns add "$sw" 2>"$TMP/netns.err"; then
    NETNS_WHY="ip netns add failed: $(head -1 "$TMP/netns.err")"; return 1
  fi
  _netns_list+=("$sw")
  at_exit "_netns_cleanup"
  if ! ip -n "$sw" link add br0 type bridge 2>"$TMP/netns.err" || ! ip -n "$sw" link set br0 up ||
     ! ip -n "$sw" link set lo up; then
    NETNS_WHY="no bridge in a namespace: $(head -1 "$TMP/netns.err")"; return 1
  fi
  return 0
}

# netns_host NAME N: host NAME at 10.77.0.N on the switch.
netns_host() {
  local name=$1 n=$2 ns=${NETNS_PREFIX}$1 sw=${NETNS_PREFIX}sw
  local a=v$$h${n}a b=v$$h${n}b
  ip netns add "$ns" || return 1
  _netns_list+=("$ns")
  ip link add "$a" type veth peer name "$b" || return 1
  ip link set "$a" netns "$ns" || return 1
  ip link set "$b" netns "$sw" || return 1
  ip -n "$ns" link set "$a" name eth0 || return 1
  ip -n "$sw" link set "$b" name "p$n" || return 1
  ip -n "$sw" link set "p$n" master br0 || return 1
  ip -n "$sw" link set "p$n" up || return 1
  ip -n "$ns" addr add "10.77.0.$n/24" dev eth0 || return 1
  ip -n "$ns" link set eth0 up || return 1
  ip -n "$ns" link set lo up || return 1
}

# netns_run NAME CMD...: run CMD in host NAME, in the foreground.
netns_run() { local ns=${NETNS_PREFIX}$1; shift; ip netns exec "$ns" "$@"; }

# netns_spawn NAME CMD...: start CMD in host NAME in the background, in a
# session of its own (a server that signals its process group must not hit
# the test); SPAWNED is its pid; it is killed (SIGKILL) at the end.
netns_spawn() {
  local ns=${NETNS_PREFIX}$1; shift
  setsid ip netns exec "$ns" "$@" &
  SPAWNED=$!
  at_exit "kill -9 $SPAWNED 2>/dev/null"
}

# netns_link NAME up|down: plug or unplug host NAME's cable (its eth0).
netns_link() { ip -n "${NETNS_PREFIX}$1" link set eth0 "$2"; }

# netns_wait_port NAME ADDR PORT: wait (up to 5 s) until a TCP server
# answers at ADDR:PORT, seen from host NAME.
netns_wait_port() {
  wait_for 5 netns_run "$1" $PY -c "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.2).close()" "$2" "$3" 2>/dev/null
}

_netns_cleanup() {
  local ns pid
  for ns in "${_netns_list[@]+"${_netns_list[@]}"}"; do
    # whatever still runs in it (servers started otherwise than by netns_spawn)
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  _netns_list=()
}
