# SPDX-License-Identifier: GPL-2.0-or-later
"""Bursts of client connections: ROUNDS times, N connections opened at once
(each sends a ping), held 0.3 s, closed.

usage: fd_burst.py ENDPOINT N ROUNDS"""
import sys
import time

from flood import context, flood

endpoint, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ctx = context(n)
for r in range(rounds):
    socks = flood(ctx, endpoint, n)
    time.sleep(0.3)  # not a wait: each burst is held 0.3 s
    for s in socks:
        s.close()
    time.sleep(0.05)
ctx.term()
print("bursts done", flush=True)
