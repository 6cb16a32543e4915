# SPDX-License-Identifier: GPL-2.0-or-later
"""morgue_client: talk to morgued from Python (docs/client.md).

Needs python3-zmq only. The same surface as libmorgue-client (C):

    from morgue_client import Client, ServerError
    with Client() as c:                      # $MORGUE_ENDPOINT or the defaults
        r = c.search("military parade", limit=5)
        for h in r["hits"]:
            print(h["id"], h["title"])
        try:
            c.get("no-such-id")
        except ServerError as e:
            print(e.server_code)             # "not_found"

Each call waits timeout_ms for a reply, then resends on a fresh socket up
to `retries` more times (Lazy Pirate); every call may set its own
timeout_ms, attempts and tag. For event loops, send() / recv() use a
DEALER socket of their own, replies matched by tag, and fileno() is the
descriptor to poll (ZeroMQ's ZMQ_FD: edge-triggered; when it is readable,
and after each send(), call recv() until it returns None). A client is not
thread-safe: use one per thread (they may share a zmq.Context).
"""
import json
import os
import time

import zmq

__all__ = ["Client", "MorgueError", "Timeout", "NoSocket", "ServerError", "ReplyError",
           "default_ipc", "read_key", "DEFAULT_TCP", "MAX_TAG"]

DEFAULT_TCP = "tcp://127.0.0.1:5555"
MAX_TAG = 256  # bytes of a tag, as the protocol caps it


class MorgueError(Exception):
    """Any failure; .code is the C library's name for it."""
    code = "error"


class Timeout(MorgueError):
    """No reply from any endpoint after every attempt (MG_CLIENT_ETIMEOUT)."""
    code = "timeout"


class NoSocket(MorgueError):
    """Every endpoint is an ipc:// socket file that does not exist
    (MG_CLIENT_ENOSOCK): said at once, without waiting for the timeouts."""
    code = "no_socket"


class ReplyError(MorgueError):
    """The reply is not a protocol reply (MG_CLIENT_EREPLY)."""
    code = "reply"


class ServerError(MorgueError):
    """The daemon answered with an error (MG_CLIENT_ESERVER); .server_code
    is the protocol's code ("not_found", "unbalanced_quote", ...) and
    .reply the whole reply."""
    code = "server"

    def __init__(self, server_code, message, reply=None):
        super().__init__("%s: %s" % (server_code, message))
        self.server_code = server_code
        self.message = message
        self.reply = reply


def default_ipc():
    """The default ipc endpoint, as morgued binds it."""
    run = os.environ.get("XDG_RUNTIME_DIR", "")
    if run.startswith("/") and os.path.isdir(run):
        return "ipc://%s/morgued.sock" % run
    return "ipc:///tmp/morgued-%d.sock" % os.getuid()


def read_key(file_or_key):
    """A Z85 CURVE key: file_or_key itself when it is 40 characters, else
    the first line of that file that is not a comment."""
    if len(file_or_key) == 40 and not os.path.exists(file_or_key):
        return file_or_key
    with open(file_or_key, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                if len(line) != 40:
                    raise MorgueError("%s: not a 40-character Z85 key" % file_or_key)
                return line
    raise MorgueError("%s: no key" % file_or_key)


def _ipc_missing(ep):
    return ep.startswith("ipc://") and not os.path.exists(ep[6:])


def _check_tag(tag):
    if tag is not None and (not isinstance(tag, str) or len(tag.encode()) > MAX_TAG):
        raise MorgueError("a tag is a string of at most %d bytes" % MAX_TAG)


def _encode(req, tag):
    if isinstance(req, (bytes, str)):
        req = json.loads(req)
    if not isinstance(req, dict):
        raise MorgueError("a request is a JSON object")
    if tag is not None:
        req = dict(req, tag=tag)
    return json.dumps(req, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _decode(frame):
    try:
        r = json.loads(frame.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ReplyError("the reply is not JSON: %s" % e) from None
    if not isinstance(r, dict) or r.get("v") != 1:
        raise ReplyError("the reply is not protocol version 1")
    return r


def _ok(reply):
    """The reply when "ok", else ServerError."""
    if reply.get("ok") is not True:
        e = reply.get("error") or {}
        raise ServerError(e.get("code", "unknown"), e.get("message", "the daemon reported an error"),
                          reply)
    return reply


class Client:
    def __init__(self, endpoints=None, timeout_ms=2000, retries=2, server_key=None,
                 public_key=None, secret_key=None, context=None, max_reply=64 << 20):
        if endpoints is None:
            env = os.environ.get("MORGUE_ENDPOINT", "")
            endpoints = env.replace(",", " ").split() or [default_ipc(), DEFAULT_TCP]
        elif isinstance(endpoints, str):
            endpoints = [endpoints]
        for ep in endpoints:
            if not (ep.startswith("tcp://") or ep.startswith("ipc://")) or len(ep) <= 6:
                raise MorgueError("bad endpoint '%s' (want tcp://HOST:PORT or ipc://PATH)" % ep)
        if not endpoints:
            raise MorgueError("no endpoint")
        self.endpoints = list(endpoints)
        self.timeout_ms = timeout_ms if timeout_ms > 0 else 2000
        self.retries = max(retries, 0)
        self.max_reply = max_reply
        self._curve = None
        if server_key or secret_key or public_key:
            if not (server_key and secret_key):
                raise MorgueError("CURVE needs the server's public key and this client's secret key")
            secret = read_key(secret_key)
            public = read_key(public_key) if public_key else zmq.curve_public(secret.encode()).decode()
            self._curve = (read_key(server_key), public, secret)
        self._own_ctx = context is None
        self._ctx = context or zmq.Context()
        self._sock = None
        self._async = None

    # ---- sockets ----

    def _open(self, kind):
        # REQ: ZMQ_IMMEDIATE keeps requests off endpoints that are down. The
        # DEALER queues them until its connections are up instead.
        s = self._ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.IMMEDIATE, 1 if kind == zmq.REQ else 0)
        s.setsockopt(zmq.MAXMSGSIZE, self.max_reply)
        s.setsockopt(zmq.IPV6, 1)
        if self._curve:
            s.curve_serverkey = self._curve[0].encode()
            s.curve_publickey = self._curve[1].encode()
            s.curve_secretkey = self._curve[2].encode()
        for ep in self.endpoints:
            s.connect(ep)
        return s

    def _check_sockets(self):
        if all(_ipc_missing(ep) for ep in self.endpoints):
            raise NoSocket("no daemon at %s (no such socket file)" % " ".join(self.endpoints))

    def close(self):
        for s in (self._sock, self._async):
            if s is not None:
                s.close(0)
        self._sock = self._async = None
        if self._own_ctx and self._ctx is not None:
            self._ctx.term()
        self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- requests ----

    def request(self, req, timeout_ms=None, attempts=None, tag=None):
        """Send one request (a dict, or JSON text) and return the reply as a
        dict, as is (an error reply too). With tag, a reply that does not
        carry it back is a ReplyError."""
        _check_tag(tag)
        body = _encode(req, tag)
        timeout_ms = timeout_ms or self.timeout_ms
        attempts = attempts or self.retries + 1
        self._check_sockets()
        for _ in range(attempts):
            if self._sock is None:
                self._sock = self._open(zmq.REQ)
            deadline = time.monotonic() + timeout_ms / 1000
            if self._sock.poll(timeout_ms, zmq.POLLOUT):
                self._sock.send(body, zmq.DONTWAIT)
                left = max(0, int((deadline - time.monotonic()) * 1000))
                if self._sock.poll(left, zmq.POLLIN):
                    frames = self._sock.recv_multipart(zmq.DONTWAIT)
                    if len(frames) != 1:
                        self._sock.close(0)
                        self._sock = None
                        raise ReplyError("reply from %s has several frames" % " ".join(self.endpoints))
                    reply = _decode(frames[0])
                    if tag is not None and reply.get("tag") != tag:
                        raise ReplyError("the reply does not carry the tag '%s'" % tag)
                    return reply
            # Lazy Pirate: a REQ socket that lost its reply is stuck
            self._sock.close(0)
            self._sock = None
        raise Timeout("no reply from %s (%d attempt%s of %d ms)" % (
            " ".join(self.endpoints), attempts, "" if attempts == 1 else "s", timeout_ms))

    def _call(self, req, timeout_ms, attempts, tag):
        return _ok(self.request(req, timeout_ms, attempts, tag))

    def search(self, query, timeout_ms=None, attempts=None, tag=None, **fields):
        """Run a search; fields are the protocol's (offset, limit, sort,
        since, until, source, facets, collapse, relax, snippet, cursor,
        after). Returns the reply dict (hits, total, facets, ...)."""
        return self._call(dict({"v": 1, "op": "search", "query": query}, **fields),
                          timeout_ms, attempts, tag)

    def get(self, id, timeout_ms=None, attempts=None, tag=None):
        """The stored article: the reply's "doc". A missing id raises
        ServerError with server_code "not_found"."""
        return self._call({"v": 1, "op": "get", "id": id}, timeout_ms, attempts, tag)["doc"]

    def stats(self, timeout_ms=None, attempts=None, tag=None):
        """The reply of "stats": "stats" (the index) and "daemon"."""
        return self._call({"v": 1, "op": "stats"}, timeout_ms, attempts, tag)

    def values(self, field, limit=100, timeout_ms=None, attempts=None, tag=None):
        return self._call({"v": 1, "op": "values", "field": field, "limit": limit},
                          timeout_ms, attempts, tag)

    def metrics(self, timeout_ms=None, attempts=None, tag=None):
        """The daemon's counters as Prometheus text."""
        return self._call({"v": 1, "op": "metrics"}, timeout_ms, attempts, tag)["metrics"]

    def ping(self, timeout_ms=None, attempts=None, tag=None):
        """Round trip time in microseconds."""
        t0 = time.monotonic()
        self._call({"v": 1, "op": "ping"}, timeout_ms, attempts, tag)
        return int((time.monotonic() - t0) * 1e6)

    # ---- event loops ----

    def _dealer(self):
        if self._async is None:
            self._async = self._open(zmq.DEALER)
        return self._async

    def fileno(self):
        """The descriptor to poll for reading (ZMQ_FD, edge-triggered)."""
        return self._dealer().getsockopt(zmq.FD)

    def send(self, req, tag=None):
        """Queue a request without waiting (it waits in the queue while no
        daemon is connected yet). False when the queue is full (1000
        requests): try again later."""
        _check_tag(tag)
        body = _encode(req, tag)
        self._check_sockets()
        try:
            self._dealer().send_multipart([b"", body], zmq.DONTWAIT)
        except zmq.Again:
            return False
        return True

    def recv(self):
        """(reply dict, tag or None) for a reply that has arrived, or None."""
        try:
            frames = self._dealer().recv_multipart(zmq.DONTWAIT)
        except zmq.Again:
            return None
        while frames and frames[0] == b"":
            frames = frames[1:]
        if len(frames) != 1:
            raise ReplyError("reply from %s has several frames" % " ".join(self.endpoints))
        reply = _decode(frames[0])
        return reply, reply.get("tag")
