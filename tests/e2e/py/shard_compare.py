# SPDX-License-Identifier: GPL-2.0-or-later
"""Ask two morgued the same requests and compare the replies: a single
index (ENDPOINT_A) and the same articles split into shards (ENDPOINT_B).

usage: shard_compare.py ENDPOINT_A ENDPOINT_B QUERIES N

For each of the first N lines of QUERIES: a search of the top 100 (ids in
order and scores within 1e-9, what each hit shows of its article alike,
totals), then for every 10th query a page
with facets (source, category, year, month), sorted newest first, and with
copies apart, the pages at offsets 10 and 20 and at offset 10 newest
first, and `get` of its top hit, with and without its copies. Prints one
JSON line: {"requests": N, "differ": [the first few differences],
"max_score_diff": X, "partial": replies marked partial}."""
import json
import sys

import reqsock

ep_a, ep_b, qfile, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sa, sb = reqsock.connect(ep_a), reqsock.connect(ep_b)
out = {"requests": 0, "differ": [], "max_score_diff": 0.0, "partial": 0}


def ask(s, req):
    r = reqsock.ask(s, req)
    if r is None:
        raise SystemExit("no reply to %r" % req)
    return r


SHOWN = ("rank", "id", "title", "date", "source", "url", "categories", "snippet", "matched")


def differ(what, req, a, b):
    if len(out["differ"]) < 5:
        out["differ"].append({"what": what, "request": req, "single": a, "sharded": b})


def compare(req, facets=False):
    a, b = ask(sa, req), ask(sb, req)
    out["requests"] += 1
    out["partial"] += bool(b.get("partial"))
    if not a.get("ok") or not b.get("ok"):
        differ("not ok", req, a.get("error"), b.get("error"))
        return a
    ha, hb = a["hits"], b["hits"]
    if [h["id"] for h in ha] != [h["id"] for h in hb]:
        differ("ids", req, [h["id"] for h in ha][:10], [h["id"] for h in hb][:10])
    for x, y in zip(ha, hb):
        d = abs(x["score"] - y["score"])
        out["max_score_diff"] = max(out["max_score_diff"], d)
        if d > 1e-9:
            differ("score", req, x, y)
            break
    # what each hit shows of its article (its document, fetched from its shard)
    for x, y in zip(ha, hb):
        rest_x = {k: x.get(k) for k in SHOWN}
        rest_y = {k: y.get(k) for k in SHOWN}
        if rest_x != rest_y:
            differ("hit", req, rest_x, rest_y)
            break
    for k in ("total", "total_all"):
        if a[k]["exact"] and a[k] != b[k]:
            differ(k, req, a[k], b[k])
    if facets and a.get("facets") != b.get("facets"):
        differ("facets", req, a.get("facets"), b.get("facets"))
    return a


with open(qfile) as f:
    queries = [line.strip() for line in f if line.strip()][:n]
for i, q in enumerate(queries):
    a = compare({"op": "search", "query": q, "limit": 100})
    if i % 10:
        continue
    compare({"op": "search", "query": q, "limit": 10,
             "facets": ["source", "category", "year", "month"]}, facets=True)
    compare({"op": "search", "query": q, "limit": 20, "sort": "newest"})
    compare({"op": "search", "query": q, "limit": 20, "collapse": False})
    for offset in (10, 20):
        compare({"op": "search", "query": q, "limit": 10, "offset": offset})
    compare({"op": "search", "query": q, "limit": 10, "offset": 10, "sort": "newest"})
    for h in a.get("hits", [])[:1]:
        for req in ({"op": "get", "id": h["id"]}, {"op": "get", "id": h["id"], "copies": True}):
            ra, rb = ask(sa, req), ask(sb, req)
            out["requests"] += 1
            ra.pop("took_us", None)
            rb.pop("took_us", None)
            if ra != rb:
                differ("get", req, ra, rb)
print(json.dumps(out))
