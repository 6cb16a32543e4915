# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile clients against a running morgued, written with python3-zmq (a
ZeroMQ client that is not ours). Prints TAP lines ("ok - ..." / "not ok -
...") and exits 1 if any case failed.

usage: hostile.py ENDPOINT CHECK_QUERY CHECK_ID WILDCARD_QUERY MAX_MSG
After every case a fresh client runs CHECK_QUERY and must see CHECK_ID among
the hits: the daemon keeps answering everyone else correctly."""
import json
import socket
import sys
import threading
import time

import zmq

ENDPOINT, CHECK_QUERY, CHECK_ID, WILDCARD, MAX_MSG = sys.argv[1:6]
MAX_MSG = int(MAX_MSG)
ctx = zmq.Context()
failed = 0


def tap(ok, name, detail=""):
    global failed
    print(("ok - " if ok else "not ok - ") + name, flush=True)
    if not ok:
        failed += 1
        for line in str(detail)[:600].splitlines()[:10]:
            print("# " + line, flush=True)


def sock(kind=zmq.REQ):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(ENDPOINT)
    return s


def exchange(frames, kind=zmq.REQ, timeout=5000):
    """Send frames; return the reply frames or None on timeout."""
    s = sock(kind)
    try:
        s.send_multipart(frames)
        if s.poll(timeout, zmq.POLLIN):
            return s.recv_multipart()
        return None
    finally:
        s.close()


def is_error_reply(frames, code=None):
    if not frames or len(frames) != 1:
        return False, "reply frames: %r" % (frames,)
    try:
        r = json.loads(frames[0])
    except ValueError as e:
        return False, "reply is not JSON: %r (%s)" % (frames[0][:200], e)
    e = r.get("error") or {}
    ok = (r.get("v") == 1 and r.get("ok") is False and isinstance(e.get("code"), str)
          and e.get("code") and isinstance(e.get("message"), str) and e.get("message")
          and isinstance(r.get("took_us"), int))
    if code is not None:
        ok = ok and e.get("code") == code
    return ok, r


def healthy():
    frames = exchange([json.dumps({"v": 1, "op": "search", "query": CHECK_QUERY,
                                   "limit": 50}).encode()])
    if not frames:
        return False, "no reply"
    r = json.loads(frames[0])
    ids = [h.get("id") for h in r.get("hits", [])]
    return r.get("ok") is True and CHECK_ID in ids, r


def case(name, ok_detail):
    ok, detail = ok_detail
    tap(ok, name, detail)
    ok, detail = healthy()
    tap(ok, "daemon still answers correctly after: " + name, detail)
    if not ok and not healthy()[0]:
        # The daemon is gone or broken: the remaining cases would only time out.
        tap(False, "the daemon stopped answering; remaining cases not run")
        sys.exit(1)


def error_case(name, frames, kind=zmq.REQ, code=None):
    case(name, is_error_reply(exchange(frames, kind), code))


error_case("not JSON", [b"hello, daemon"])
error_case("invalid UTF-8", [b'{"v":1,"op":"search","query":"\xff\xfe\xc3"}'])
error_case("invalid UTF-8 outside strings", [b'{"v":1,"op":"search",\xff"query":"x"}'])
error_case("wrong type: query is a number", [b'{"v":1,"op":"search","query":5}'])
error_case("wrong type: limit is a string", [b'{"v":1,"op":"search","query":"x","limit":"ten"}'])
error_case("wrong type: request is an array", [b'[1,2,3]'])
error_case("unknown op", [b'{"v":1,"op":"drop_tables"}'])
error_case("missing op", [b'{"v":1}'])
error_case("missing query", [b'{"v":1,"op":"search"}'])
error_case("missing id", [b'{"v":1,"op":"get"}'])
error_case("wrong protocol version", [b'{"v":99,"op":"ping"}'])
error_case("deeply nested JSON", [b'{"v":1,"op":"search","query":' + b"[" * 20000 + b"]" * 20000 + b"}"])
error_case("NUL bytes in the request", [b'{"v":1,"op":"ping"}\x00\x00junk'])
error_case("multi-frame message (REQ)", [b'{"v":1,"op":"ping"}', b'{"v":1,"op":"ping"}'],
           code="bad_request")
error_case("empty frame (REQ)", [b""], code="bad_request")
error_case("empty frame (DEALER)", [b""], kind=zmq.DEALER, code="bad_request")
error_case("multi-frame message (DEALER)", [b"a", b"b", b"c"], kind=zmq.DEALER,
           code="bad_request")

# A DEALER that frames like REQ (empty delimiter) gets the delimiter back.
frames = exchange([b"", b'{"v":1,"op":"ping"}'], kind=zmq.DEALER)
case("DEALER with an empty delimiter gets [\"\", reply]",
     (bool(frames) and len(frames) == 2 and frames[0] == b"" and json.loads(frames[1])["ok"],
      frames))
frames = exchange([b'{"v":1,"op":"ping"}'], kind=zmq.DEALER)
case("DEALER without delimiter gets [reply]",
     (bool(frames) and len(frames) == 1 and json.loads(frames[0])["ok"], frames))

# Over ZMQ_MAXMSGSIZE: libzmq closes that connection; no reply, no harm.
big = b'{"v":1,"op":"search","query":"' + b"a" * (MAX_MSG + 1024) + b'"}'
frames = exchange([big], timeout=1500)
case("message over --max-msg gets a clean disconnect (no reply)", (frames is None, frames))

# Just under the cap: a proper (error) reply for the overlong query.
under = b'{"v":1,"op":"search","query":"' + b"a " * ((MAX_MSG - 100) // 2) + b'"}'
frames = exchange([under])
case("request just under --max-msg with an overlong query gets an error reply",
     is_error_reply(frames))

# A word* matching more terms than the cap: an error, quickly.
t0 = time.time()
frames = exchange([json.dumps({"v": 1, "op": "search", "query": WILDCARD}).encode()])
ok, detail = is_error_reply(frames)
case("wildcard over a huge term set is refused (%.0f ms)" % ((time.time() - t0) * 1000),
     (ok and time.time() - t0 < 5, detail))

# terms (the words that set the matches apart): out of range, and the most
# words of the commonest word, which must come back whole.
error_case("terms over the cap", [b'{"v":1,"op":"search","query":"x","terms":1000000}'],
           code="bad_request")
error_case("terms negative", [b'{"v":1,"op":"search","query":"x","terms":-1}'], code="bad_request")
frames = exchange([json.dumps({"v": 1, "op": "search", "query": "the", "terms": 100,
                               "limit": 0}).encode()])
r = json.loads(frames[0]) if frames else {}
case("terms: 100 words of the commonest word",
     (r.get("ok") is True and 0 < len(r.get("terms", [])) <= 100
      and 0 < r.get("terms_sample", 0) <= 100, r.get("error") or r.get("terms_sample")))

# Clients that send and disconnect before the reply.
for i in range(50):
    s = sock()
    s.send(json.dumps({"v": 1, "op": "search", "query": CHECK_QUERY}).encode())
    s.close()
# not a wait: ZeroMQ may drop a departed peer's request unread, so there is no
# count to wait for; a moment for any the daemon does take to be answered
time.sleep(0.2)
case("50 clients that send and disconnect before the reply", (True, ""))

# Garbage on the TCP port (not ZMTP at all), when the endpoint is TCP.
if ENDPOINT.startswith("tcp://"):
    host, port = ENDPOINT[6:].rsplit(":", 1)
    raw = socket.create_connection((host.strip("[]"), int(port)))
    raw.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 64)
    time.sleep(0.1)  # not a wait: the bytes stay on the wire a moment before the close
    raw.close()
    case("raw non-ZMTP bytes on the TCP port", (True, ""))

# 100 clients at once, each on its own thread and socket.
results = [None] * 100


def one(i):
    try:
        frames = exchange([json.dumps({"v": 1, "op": "search", "query": CHECK_QUERY}).encode()],
                          timeout=30000)
        r = json.loads(frames[0]) if frames else None
        results[i] = bool(r and r.get("ok") and any(h.get("id") == CHECK_ID for h in r["hits"]))
    except Exception as e:  # noqa: BLE001 - report any failure as a failed client
        results[i] = e


threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
for t in threads:
    t.start()
for t in threads:
    t.join()
good = sum(1 for r in results if r is True)
case("100 concurrent clients all get a correct reply (%d/100)" % good,
     (good == 100, [r for r in results if r is not True][:5]))

ctx.destroy(linger=0)
sys.exit(1 if failed else 0)
