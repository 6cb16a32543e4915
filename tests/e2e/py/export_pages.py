# SPDX-License-Identifier: GPL-2.0-or-later
"""Export cursors against one morgued (docs/protocol.md, "cursor").

usage: export_pages.py ENDPOINT QUERY LIMIT all
           every page of QUERY in pages of LIMIT, each from the last
           one's "next": prints {"ids": [...], "pages": N, "error": null
           or the error of the page that failed}
       export_pages.py ENDPOINT QUERY LIMIT first
           the first page with a cursor: prints {"ids": [...], "next": ...}
       export_pages.py ENDPOINT QUERY LIMIT after CURSOR
           the page after CURSOR: prints {"ids": [...], "next": ...} or
           {"error": {...}}"""
import json
import sys

import reqsock

ep, query, limit, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = reqsock.connect(ep)


def page(after=None):
    req = {"op": "search", "query": query, "limit": limit, "cursor": True}
    if after:
        req["after"] = after
    r = reqsock.ask(s, req)
    if r is None:
        raise SystemExit("no reply to %r" % req)
    return r


if mode == "all":
    out = {"ids": [], "pages": 0, "error": None}
    after = None
    while True:
        r = page(after)
        if not r.get("ok"):
            out["error"] = r.get("error")
            break
        out["pages"] += 1
        out["ids"] += [h["id"] for h in r["hits"]]
        after = r.get("next")
        if not after:
            break
    print(json.dumps(out))
else:
    r = page(sys.argv[5] if mode == "after" else None)
    if r.get("ok"):
        print(json.dumps({"ids": [h["id"] for h in r["hits"]], "next": r.get("next")}))
    else:
        print(json.dumps({"error": r.get("error")}))
