# SPDX-License-Identifier: GPL-2.0-or-later
"""Many client connections to one morgued, for the descriptor tests
(fd_flood.py, fd_reload.py). Not a test itself."""
import resource
import time

import zmq


def context(n):
    """A ZeroMQ context that may hold n connections and a few more (this
    process's descriptor limit raised to its hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = zmq.Context()
    ctx.setsockopt(zmq.MAX_SOCKETS, n + 64)
    return ctx


def flood(ctx, endpoint, n):
    """n DEALER sockets connected to endpoint, each having sent a ping
    (never read); the caller closes them. ZeroMQ connects them in the
    background: wait_flooded() waits until the daemon has seen them."""
    socks = []
    for i in range(n):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(endpoint)
        s.send(b'{"v":1,"op":"ping"}')
        socks.append(s)
    return socks


def wait_flooded(stats, n, timeout_s=15):
    """Wait until the daemon holds n more connections than the one stats()
    asks on, or as many as its cap allows (it has refused one). stats()
    returns the "daemon" object of a stats reply. False when timeout_s
    passes first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        d = stats()
        if d.get("connections_refused", 0) > 0 or d.get("connections", 0) >= n + 1:
            return True
        time.sleep(0.05)
    return False


def wait_until(cond, timeout_s=15):
    """Poll cond() until it is true (True) or timeout_s passes (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False
