# SPDX-License-Identifier: GPL-2.0-or-later
"""One REQ socket to a morgued and a request on it, for the test scripts
beside this file (import reqsock)."""
import json

import zmq

_ctx = zmq.Context()


def connect(endpoint):
    """A REQ socket connected to endpoint, dropping what is unsent at close."""
    s = _ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    return s


def ask(s, req, timeout_ms=20000):
    """Send req (a dict; "v": 1 added) and return the reply as a dict, or
    None when none came within timeout_ms (the socket is then unusable)."""
    s.send(json.dumps(dict(req, v=1)).encode())
    if not s.poll(timeout_ms):
        return None
    return json.loads(s.recv())
