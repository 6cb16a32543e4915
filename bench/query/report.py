#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Markdown tables from the benchmarks' JSON lines (bench/out/*.jsonl).

  report.py relevance relevance.jsonl   per collection: MAP, P@10, nDCG@10, morgue/best peer
  report.py sweep sweep.jsonl           k1 x b grid of MAP and nDCG@10
  report.py search search.jsonl         p50/p99 per corpus, ratios to raw Xapian and FTS5
  report.py daemon daemon.jsonl         QPS and p50/p95/p99 per corpus and clients
"""
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def relevance(rows):
    colls = list(dict.fromkeys(r["collection"] for r in rows))
    print("| collection | system | MAP | P@10 | nDCG@10 |")
    print("|---|---|--:|--:|--:|")
    verdict = []
    for c in colls:
        rs = {r["system"]: r for r in rows if r["collection"] == c}
        for s, r in rs.items():
            print("| %s | %s | %.4f | %.4f | %.4f |" % (c, s, r["map"], r["p10"], r["ndcg10"]))
        if "morgue" in rs:
            peers = [r for s, r in rs.items() if s != "morgue"]
            bm = max(p["map"] for p in peers)
            bn = max(p["ndcg10"] for p in peers)
            m = rs["morgue"]
            verdict.append("| %s | %.4f / %.4f (%.3fx) | %.4f / %.4f (%.3fx) | %s |" % (
                c, m["map"], bm, m["map"] / bm, m["ndcg10"], bn, m["ndcg10"] / bn,
                "met" if m["map"] > bm and m["ndcg10"] > bn else "MISSED"))
    print()
    print("| collection | MAP morgue / best peer | nDCG@10 morgue / best peer | target (above both) |")
    print("|---|--:|--:|---|")
    print("\n".join(verdict))


def sweep(rows):
    k1s = sorted({r["k1"] for r in rows})
    bs = sorted({r["b"] for r in rows})
    get = {(r["k1"], r["b"]): r for r in rows}
    for metric in ("map", "ndcg10"):
        print("%s (rows k1, columns b)\n" % metric)
        print("| k1 \\ b | " + " | ".join("%g" % b for b in bs) + " |")
        print("|---|" + "--:|" * len(bs))
        for k in k1s:
            print("| %g | " % k + " | ".join("%.4f" % get[(k, b)][metric] if (k, b) in get else "-"
                                             for b in bs) + " |")
        print()
    best = max(rows, key=lambda r: r["map"] + r["ndcg10"])
    print("best MAP+nDCG@10: k1=%g b=%g (MAP %.4f, nDCG@10 %.4f)"
          % (best["k1"], best["b"], best["map"], best["ndcg10"]))


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def search(rows):
    """Rows carry a "round" when the engines took turns (search.sh): values
    are medians over rounds, ratios medians of the same round's ratios."""
    corpora = list(dict.fromkeys(r["corpus"] for r in rows))
    by = {}  # (corpus, system) -> {round: row}
    for r in rows:
        by.setdefault((r["corpus"], r["system"]), {})[r.get("round", 0)] = r

    def med(c, s, k):
        return median([r[k] for r in by[(c, s)].values()])

    def ratio(c, s, peer, k, kp=None):
        """median and range over rounds of s's k / peer's kp, or None."""
        a, b = by.get((c, s), {}), by.get((c, peer), {})
        v = [a[i][k] / b[i][kp or k] for i in a if i in b and b[i][kp or k] > 0]
        return (median(v), min(v), max(v)) if v else None

    def fmt(r):
        if not r:
            return "-"
        return "%.2fx" % r[0] if r[1] == r[2] else "%.2fx (%.2f-%.2f)" % r

    nround = max(len(v) for v in by.values()) if by else 0
    print("Medians over %d round(s); ratios are medians of per-round ratios (range)." % nround)
    print()
    print("| corpus | system | p50 µs | p99 µs | mean µs | avg hits | p50 / raw Xapian | p50 / FTS5 | p99 / FTS5 |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for c in corpora:
        for s in dict.fromkeys(r["system"] for r in rows if r["corpus"] == c):
            print("| %s | %s | %.1f | %.1f | %.1f | %.2f | %s | %s | %s |" % (
                c, s, med(c, s, "p50_us"), med(c, s, "p99_us"), med(c, s, "mean_us"),
                med(c, s, "avg_hits"), fmt(ratio(c, s, "xapian-raw", "p50_us")),
                fmt(ratio(c, s, "fts5", "p50_us")), fmt(ratio(c, s, "fts5", "p99_us"))))
    print()
    print("| corpus | morgue p50 / raw Xapian p50 (target ≤ 1.5x) | morgue+snippets p50 / FTS5 p50 (target < 1) | morgue+snippets p99 / FTS5 p99 (target < 1) |")
    print("|---|---|---|---|")
    for c in corpora:
        r1 = ratio(c, "morgue", "xapian-raw", "p50_us")
        r2 = ratio(c, "morgue+snippets", "fts5", "p50_us")
        r3 = ratio(c, "morgue+snippets", "fts5", "p99_us")
        if not (r1 and r2 and r3):
            continue
        print("| %s | %s %s | %s %s | %s %s |" % (
            c, fmt(r1), "met" if r1[0] <= 1.5 else "MISSED",
            fmt(r2), "met" if r2[0] < 1 else "MISSED",
            fmt(r3), "met" if r3[0] < 1 else "MISSED"))


def daemon(rows):
    corpora = [c for c in dict.fromkeys(r["corpus"] for r in rows) if c != "-"]
    print("| corpus | system | clients | QPS | p50 µs | p95 µs | p99 µs | failed |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        print("| %s | %s | %d | %.0f | %.1f | %.1f | %.1f | %d |" % (
            r["corpus"], r["system"], r["clients"], r["qps"], r["p50_us"], r["p95_us"],
            r["p99_us"], r["failed"]))
    print()
    print("| corpus | morgued p50 − in-process p50 (1 client; target ≤ 100 µs) | morgued QPS×4 / Sphinx (target ≥ 3x) | morgued QPS×4 / xapian-tcpsrv, ids (target > 1x) | morgued QPS×4 / xapian-tcpsrv, docids only |")
    print("|---|---|---|---|---|")
    for c in corpora:
        g = {(r["system"], r["clients"]): r for r in rows if r["corpus"] == c}
        md1, ip1 = g.get(("morgued+snippets", 1)), g.get(("in-process+snippets", 1))
        md4, sp4, xt4, xd4 = (g.get((s, 4)) for s in ("morgued+snippets", "sphinx-searchd",
                                                       "xapian-tcpsrv", "xapian-tcpsrv-docids"))
        cells = []
        if md1 and ip1:
            d = md1["p50_us"] - ip1["p50_us"]
            cells.append("%.1f µs %s" % (d, "met" if d <= 100 else "MISSED"))
        else:
            cells.append("-")
        for peer, need in ((sp4, 3.0), (xt4, 1.0), (xd4, 1.0)):
            if md4 and peer and peer["qps"] > 0:
                r = md4["qps"] / peer["qps"]
                ok = r >= need if need > 1 else r > need
                cells.append("%.2fx %s" % (r, "met" if ok else "MISSED"))
            else:
                cells.append("-")
        print("| %s | %s |" % (c, " | ".join(cells)))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("relevance", "sweep", "search", "daemon"):
        sys.exit(__doc__)
    globals()[sys.argv[1]](load(sys.argv[2]))


if __name__ == "__main__":
    main()
