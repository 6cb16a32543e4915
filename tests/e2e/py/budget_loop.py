# SPDX-License-Identifier: GPL-2.0-or-later
"""Searches in a loop against one morgued, each waited for: first pages,
later pages, facets, newest first (a fixed cycle of requests).

usage: budget_loop.py ENDPOINT N [REFERENCE_ENDPOINT]

Sends N searches. With REFERENCE_ENDPOINT (a morgued without a time
budget), each reply's ids and totals must equal the reference's for the
same request. Prints one JSON line: {"sent": N, "ok": replies ok,
"partial": replies marked partial, "differ": the first few differences,
"error": why it stopped early, or null}; exit status 1 when a request got
no reply within 20 s."""
import json
import sys

import reqsock

ep, n = sys.argv[1], int(sys.argv[2])
ref_ep = sys.argv[3] if len(sys.argv) > 3 else None
REQUESTS = [
    {"query": "oil"},
    {"query": "oil", "offset": 10},
    {"query": "bank rates", "limit": 20, "offset": 20},
    {"query": "trade OR tariff", "facets": ["source", "year", "month"]},
    {"query": "price", "sort": "newest", "offset": 10},
    {"query": "the", "limit": 50},
    {"query": "\"crude oil\"", "offset": 5, "limit": 5},
    {"query": "grain wheat corn", "collapse": False},
]


def ask(s, req):
    return reqsock.ask(s, dict(req, op="search"))


s = reqsock.connect(ep)
ref = reqsock.connect(ref_ep) if ref_ep else None
out = {"sent": 0, "ok": 0, "partial": 0, "differ": [], "error": None}
expected = {}
for i in range(n):
    req = REQUESTS[i % len(REQUESTS)]
    out["sent"] += 1
    r = ask(s, req)
    if r is None:
        out["error"] = "no reply to %r" % req
        break
    out["ok"] += r.get("ok") is True
    out["partial"] += bool(r.get("partial"))
    if not ref or r.get("ok") is not True:
        continue
    key = json.dumps(req, sort_keys=True)
    if key not in expected:
        a = ask(ref, req)
        expected[key] = a and ([h["id"] for h in a["hits"]], a["total"], a.get("total_all"))
    got = ([h["id"] for h in r["hits"]], r["total"], r.get("total_all"))
    if got != expected[key] and len(out["differ"]) < 3:
        out["differ"].append({"request": req, "reference": expected[key], "got": got})
print(json.dumps(out))
sys.exit(1 if out["error"] else 0)
