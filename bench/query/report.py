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
            peers = [r for s, r in rs.items() if not s.startswith("morgue")]
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
    """Rows carry a "round" when the systems took turns (daemon.sh): values
    are medians over rounds, targets medians of the same round's differences
    and ratios (with their range)."""
    corpora = [c for c in dict.fromkeys(r["corpus"] for r in rows) if c != "-"]
    by = {}  # (corpus, system, clients) -> {round: row}
    for r in rows:
        by.setdefault((r["corpus"], r["system"], r["clients"]), {})[r.get("round", 0)] = r
    nround = max(len(v) for v in by.values()) if by else 0
    print("Medians over %d round(s); targets are medians of per-round values (range)." % nround)
    print()
    print("| corpus | system | clients | QPS | p50 µs | p95 µs | p99 µs | failed |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    for (c, s, n), rs in by.items():
        m = {k: median([r[k] for r in rs.values()]) for k in ("qps", "p50_us", "p95_us", "p99_us")}
        print("| %s | %s | %d | %.0f | %.1f | %.1f | %.1f | %d |" % (
            c, s, n, m["qps"], m["p50_us"], m["p95_us"], m["p99_us"],
            sum(r["failed"] for r in rs.values())))

    def per_round(c, a, b, f):
        """median and range over rounds of f(a's row, b's row), or None."""
        ra, rb = by.get((c,) + a, {}), by.get((c,) + b, {})
        v = [f(ra[i], rb[i]) for i in ra if i in rb]
        return (median(v), min(v), max(v)) if v else None

    def fmt(r, unit, good):
        if not r:
            return "-"
        rng = "" if r[1] == r[2] else " (%.2f-%.2f)" % r[1:] if unit == "x" else \
            " (%.1f-%.1f)" % r[1:]
        return ("%.2fx" if unit == "x" else "%.1f µs") % r[0] + rng + \
            (" met" if good(r[0]) else " MISSED")

    print()
    print("| corpus | morgued p50 − in-process p50 (1 client; target ≤ 100 µs) | morgued QPS×4 / Sphinx (target ≥ 3x) | morgued QPS×4 / xapian-tcpsrv, ids (target > 1x) | morgued QPS×4 / xapian-tcpsrv, docids only |")
    print("|---|---|---|---|---|")
    md4 = ("morgued+snippets", 4)
    qps = (lambda x, y: x["qps"] / y["qps"] if y["qps"] > 0 else float("inf"))
    for c in corpora:
        cells = [fmt(per_round(c, ("morgued+snippets", 1), ("in-process+snippets", 1),
                               lambda x, y: x["p50_us"] - y["p50_us"]), "us", lambda d: d <= 100),
                 fmt(per_round(c, md4, ("sphinx-searchd", 4), qps), "x", lambda r: r >= 3),
                 fmt(per_round(c, md4, ("xapian-tcpsrv", 4), qps), "x", lambda r: r > 1),
                 fmt(per_round(c, md4, ("xapian-tcpsrv-docids", 4), qps), "x", lambda r: r > 1)]
        print("| %s | %s |" % (c, " | ".join(cells)))

    # What the machine allows: with 4 clients both cores are busy, so a
    # request costs 2 / QPS core-seconds. A search through the daemon costs
    # at least the engine's share (in-process, 4 threads) plus the messaging
    # share (a "ping" through the same sockets, 4 clients), so its QPS
    # cannot much exceed 1 / (1 / QPS_engine + 1 / QPS_ping): an estimate
    # that assumes the two costs add, taken from the same round.
    def ceiling(e, p):
        return 1 / (1 / e["qps"] + 1 / p["qps"]) if e["qps"] > 0 and p["qps"] > 0 else 0.0

    def spread(v, f):
        if not v:
            return "-"
        return f % median(v) + ("" if min(v) == max(v) else " (%s-%s)" % (f % min(v), f % max(v)))

    if not any(by.get((c, "morgued-ping", 4)) for c in corpora):
        return
    print()
    print("| corpus | ceiling QPS×4 = 1/(1/in-process + 1/ping) | ceiling / Sphinx | morgued+snippets / ceiling |")
    print("|---|---|---|---|")
    for c in corpora:
        eng, png = by.get((c, "in-process+snippets", 4), {}), by.get((c, "morgued-ping", 4), {})
        sph, md = by.get((c, "sphinx-searchd", 4), {}), by.get((c,) + md4, {})
        rounds = [i for i in eng if i in png and ceiling(eng[i], png[i]) > 0]
        cv = [ceiling(eng[i], png[i]) for i in rounds]
        vs = [ceiling(eng[i], png[i]) / sph[i]["qps"] for i in rounds if sph.get(i, {}).get("qps")]
        fr = [md[i]["qps"] / ceiling(eng[i], png[i]) for i in rounds if i in md]
        print("| %s | %s | %s | %s |" % (c, spread(cv, "%.0f"), spread(vs, "%.2fx"),
                                         spread(fr, "%.2f")))

def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("relevance", "sweep", "search", "daemon"):
        sys.exit(__doc__)
    globals()[sys.argv[1]](load(sys.argv[2]))


if __name__ == "__main__":
    main()
