# SPDX-License-Identifier: GPL-2.0-or-later
"""Judge the requests shard_load.py recorded against the times a shard went
away and came back.

usage: shard_events.py EVENTS MARKS SHARD
MARKS: lines "NAME TIME" (time.time()), NAME one of away1, back1, away2,
back2 (two outages of SHARD, the name missing_shards gives it). Prints one
JSON object: requests, failed (never answered or not ok), partial_wrong
(partial replies that miss another shard, or none named, or to requests
made while every shard was up: answered before away1, or sent 2 s after a
back and answered before the next away), and for each
outage: partial (replies marked partial with SHARD missing among those
sent while it was away), full_after_s (from back to the first request sent
after it that got a full reply) and partial_late (partial replies to
requests sent 2 s or more after back and answered before the next away)."""
import json
import sys

events = json.load(open(sys.argv[1]))
marks = dict((l.split()[0], float(l.split()[1])) for l in open(sys.argv[2]) if l.strip())
shard = sys.argv[3]
out = {"requests": len(events), "failed": 0, "partial_wrong": 0}
for sent, answered, ok, partial, missing in events:
    if answered is None or not ok:
        out["failed"] += 1
    if partial and missing != [shard]:
        out["partial_wrong"] += 1
    # all up from its sending to its answer
    up = answered is not None and (
        answered < marks["away1"] or marks["back1"] + 2 <= sent and answered < marks["away2"] or
        sent >= marks["back2"] + 2)
    if partial and up:
        out["partial_wrong"] += 1
for k, nxt in (("1", marks["away2"]), ("2", float("inf"))):
    away, back = marks["away" + k], marks["back" + k]
    o = {"partial": 0, "full_after_s": None, "partial_late": 0, "during": 0}
    for sent, answered, ok, partial, missing in events:
        if away + 0.05 <= sent < back:
            o["during"] += 1
            o["partial"] += partial and missing == [shard]
        if sent >= back and not partial and ok and o["full_after_s"] is None:
            o["full_after_s"] = round(sent - back, 3)
        if back + 2 <= sent and (answered or sent) < nxt and partial:
            o["partial_late"] += 1
    out["outage" + k] = o
print(json.dumps(out))
