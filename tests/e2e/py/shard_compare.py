# SPDX-License-Identifier: GPL-2.0-or-later
"""Ask two morgued the same requests and compare the replies: a single
index (ENDPOINT_A) and the same articles split into shards (ENDPOINT_B).

usage: shard_compare.py ENDPOINT_A ENDPOINT_B QUERIES N [recency|recency-remote]

For each of the first N lines of QUERIES: a search of the top 100 (ids in
order and scores within 1e-9, what each hit shows of its article alike,
totals), then for every 10th query a page
with facets (source, category, year, month), sorted newest first, with
the 20 words that set its best matches apart (terms), and with copies apart, the pages at offsets 10 and 20 and at offset 10 newest
first, and `get` of its top hit, with and without its copies. With
"recency" (local shards, which rank it in two stages as one index does)
also the top 100 sorted by relevance+recency and its pages at offsets 10
and 990 (across the candidates' end), and in every reply each hit's
percentage and copy count. With
"recency-remote" (remote shards, where it is a re-ranking of the best
1,000 hits by relevance: docs/scaling.md) the same pages of ENDPOINT_B
are checked against that re-ranking done here, from its first 2,000 hits
by relevance (the hits with every word and, after them, those with some
of the words re-ranked apart), and "recency_moved" counts the first pages
that differ from the single index's by relevance. Prints one
JSON line: {"requests": N, "differ": [the first few differences],
"max_score_diff": X, "partial": replies marked partial}."""
import calendar
import json
import math
import sys

import reqsock

ep_a, ep_b, qfile, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
recency = sys.argv[5:] == ["recency"]
recency_remote = sys.argv[5:] == ["recency-remote"]
sa, sb = reqsock.connect(ep_a), reqsock.connect(ep_b)
out = {"requests": 0, "differ": [], "max_score_diff": 0.0, "partial": 0}


def ask(s, req):
    r = reqsock.ask(s, req)
    if r is None:
        raise SystemExit("no reply to %r" % req)
    return r


SHOWN = ("collapsed", "rank", "id", "title", "date", "source", "url", "categories", "snippet", "matched")


def differ(what, req, a, b):
    if len(out["differ"]) < 5:
        out["differ"].append({"what": what, "request": req, "single": a, "sharded": b})


# Over local shards also each hit's percentage (over remote ones Xapian
# computes it from each shard's view: docs/scaling.md).
SHOWN_LOCAL = SHOWN + ("percent",)


def compare(req, facets=False, shown=None, terms=False):
    shown = shown or (SHOWN_LOCAL if recency else SHOWN)
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
        rest_x = {k: x.get(k) for k in shown}
        rest_y = {k: y.get(k) for k in shown}
        if rest_x != rest_y:
            differ("hit", req, rest_x, rest_y)
            break
    for k in ("total", "total_all"):
        if a[k]["exact"] and a[k] != b[k]:
            differ(k, req, a[k], b[k])
    if facets and a.get("facets") != b.get("facets"):
        differ("facets", req, a.get("facets"), b.get("facets"))
    if terms and (a.get("terms") is None or (a.get("terms"), a.get("terms_sample")) !=
                  (b.get("terms"), b.get("terms_sample"))):
        differ("terms", req, a.get("terms"), b.get("terms"))
    return a


def days(date):
    """Days since 1970 of a hit's date, to the minute (as the index's date
    slot gives it), or None."""
    if not date:
        return None
    d = date.replace("T", " ")
    t = calendar.timegm((int(d[0:4]), int(d[5:7]), int(d[8:10]), 0, 0, 0))
    hm = int(d[11:13]) * 60 + int(d[14:16]) if len(d) >= 16 else 0
    return t / 86400.0 + hm / 1440.0


def reranked(hits, half=30.0):
    """The hits (the first 1,000 by relevance) ranked by their score times
    2^(-age / half), the age from the newest, undated ones as old as the
    oldest; ties by id: (id, score) in that order."""
    ds = [days(h.get("date")) for h in hits]
    dated = [d for d in ds if d is not None]
    newest, oldest = (max(dated), min(dated)) if dated else (0, 0)
    out = []
    for h, d in zip(hits, ds):
        age = newest - (oldest if d is None else d) if dated else 0
        key = math.log2(max(h["score"], 1e-300)) - age / half
        out.append((-key, h["id"], h["score"] * 2 ** (-age / half)))
    out.sort()
    return [(i, s) for _, i, s in out]


def check_remote_recency(q):
    """A relaxed query is ranked in two parts, the hits with every word
    first, then those with some: each part re-ranked on its own."""
    hits = []
    for offset in (0, 1000):
        top = ask(sb, {"op": "search", "query": q, "limit": 1000, "offset": offset})
        out["requests"] += 1
        if not top.get("ok"):
            differ("not ok", q, None, top.get("error"))
            return
        hits += top["hits"]
    want = []
    for part in ("all", "some"):
        ph = [h for h in hits if h["matched"] == part]
        want += reranked(ph[:1000]) + [(h["id"], h["score"]) for h in ph[1000:]]
    for offset, limit in ((0, 100), (10, 10), (990, 20)):
        req = {"op": "search", "query": q, "limit": limit, "offset": offset,
               "sort": "relevance+recency"}
        got = ask(sb, req)
        out["requests"] += 1
        exp = want[offset:offset + limit]
        ids = [h["id"] for h in got.get("hits", [])]
        if ids != [i for i, _ in exp]:
            differ("recency ids", req, [i for i, _ in exp][:10], ids[:10])
            continue
        for h, (_, s) in zip(got["hits"], exp):
            if abs(h["score"] - s) > 1e-9 * max(s, 1e-300):
                differ("recency score", req, s, h["score"])
                break
        if offset == 0 and len(ids) > 1:
            plain = ask(sa, {"op": "search", "query": q, "limit": limit})
            out["requests"] += 1
            out["recency_moved"] = out.get("recency_moved", 0) + (
                [h["id"] for h in plain["hits"]] != ids)


with open(qfile) as f:
    queries = [line.strip() for line in f if line.strip()][:n]
for i, q in enumerate(queries):
    a = compare({"op": "search", "query": q, "limit": 100})
    if recency_remote:
        check_remote_recency(q)
    if recency:
        for offset, limit in ((0, 100), (10, 10), (990, 20)):
            compare({"op": "search", "query": q, "limit": limit, "offset": offset,
                     "sort": "relevance+recency"})
    if i % 10:
        continue
    compare({"op": "search", "query": q, "limit": 10,
             "facets": ["source", "category", "year", "month"]}, facets=True)
    compare({"op": "search", "query": q, "limit": 20, "sort": "newest"})
    compare({"op": "search", "query": q, "limit": 5, "terms": 20}, terms=True)
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
