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


def flood(ctx, endpoint, n, settle_s=2):
    """n DEALER sockets connected to endpoint, each having sent a ping
    (never read), after settle_s seconds; the caller closes them."""
    socks = []
    for i in range(n):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(endpoint)
        s.send(b'{"v":1,"op":"ping"}')
        socks.append(s)
    time.sleep(settle_s)
    return socks
