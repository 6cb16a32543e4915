#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Score TREC runs against TREC qrels: MAP, P@10, nDCG@10 (trec_eval conventions).

  eval.py QRELS RUN...              one line of metrics per run
  eval.py --json QRELS RUN...       the same as JSON lines
  eval.py --per-query QRELS A B     per-query AP of run A vs run B, largest gaps first

Conventions (as trec_eval -c -M1000): every query with at least one relevant
judgment counts, a query missing from the run scores 0; each run is cut at rank
1000, in the order of its rank column (duplicate documents: first kept); MAP is
the mean over queries of AP = sum of P@k at each relevant rank k / #relevant;
P@10 counts relevant documents among the first 10 over 10; nDCG@10 uses the
judged relevance as gain and log2(rank+1) as discount, divided by the ideal
DCG of the judged relevant documents.
"""
import json
import math
import sys
from collections import defaultdict

CUTOFF = 1000


def read_qrels(path):
    rel = defaultdict(dict)
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 4:
                continue
            rel[p[0]][p[2]] = int(p[3])
    return {q: d for q, d in rel.items() if any(v > 0 for v in d.values())}


def read_run(path):
    rows = defaultdict(list)
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 6:
                continue
            rows[p[0]].append((int(p[3]), p[2]))
    run = {}
    for q, r in rows.items():
        r.sort()
        seen, docs = set(), []
        for _, d in r:
            if d not in seen:
                seen.add(d)
                docs.append(d)
        run[q] = docs[:CUTOFF]
    return run


def ap(docs, rel):
    nrel = sum(1 for v in rel.values() if v > 0)
    hits, s = 0, 0.0
    for k, d in enumerate(docs, 1):
        if rel.get(d, 0) > 0:
            hits += 1
            s += hits / k
    return s / nrel


def p_at(docs, rel, k=10):
    return sum(1 for d in docs[:k] if rel.get(d, 0) > 0) / k


def ndcg_at(docs, rel, k=10):
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(docs[:k]) if rel.get(d, 0) > 0)
    ideal = sorted((v for v in rel.values() if v > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def score(qrels, run):
    per = {}
    for q, rel in qrels.items():
        docs = run.get(q, [])
        per[q] = (ap(docs, rel), p_at(docs, rel), ndcg_at(docs, rel))
    n = len(per)
    mean = [sum(v[i] for v in per.values()) / n for i in range(3)]
    return {"queries": n, "answered": sum(1 for q in qrels if run.get(q)),
            "map": mean[0], "p10": mean[1], "ndcg10": mean[2]}, per


def main(argv):
    as_json = per_query = False
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        as_json |= opt == "--json"
        per_query |= opt == "--per-query"
    if len(argv) < 2:
        sys.exit(__doc__)
    qrels = read_qrels(argv[0])
    if per_query:
        _, a = score(qrels, read_run(argv[1]))
        _, b = score(qrels, read_run(argv[2]))
        gaps = sorted(qrels, key=lambda q: a[q][0] - b[q][0])
        print("qid   AP(A)   AP(B)  A-B    nDCG(A) nDCG(B)")
        for q in gaps:
            print("%-5s %.3f   %.3f  %+.3f  %.3f   %.3f" % (q, a[q][0], b[q][0], a[q][0] - b[q][0],
                                                        a[q][2], b[q][2]))
        return
    for path in argv[1:]:
        m, _ = score(qrels, read_run(path))
        m["run"] = path
        if as_json:
            print(json.dumps(m))
        else:
            print("%-40s queries %3d answered %3d  MAP %.4f  P@10 %.4f  nDCG@10 %.4f"
                  % (path, m["queries"], m["answered"], m["map"], m["p10"], m["ndcg10"]))


if __name__ == "__main__":
    main(sys.argv[1:])
