# SPDX-License-Identifier: GPL-2.0-or-later
"""The shard of an article's id in an index of N shards, as docs/scaling.md
states it (lib/topology.c, mg_shard_of), written again from the text.

usage: shard_of.py N < IDS    prints the shard of each id, one a line"""
import sys

M = (1 << 64) - 1


def shard(ident, n):
    h = 0xcbf29ce484222325  # FNV-1a 64 of the id's bytes
    for b in ident.encode():
        h = ((h ^ b) * 0x100000001b3) & M
    h ^= h >> 33  # MurmurHash3's 64-bit finaliser
    h = (h * 0xff51afd7ed558ccd) & M
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & M
    h ^= h >> 33
    return h % n


if __name__ == "__main__":
    n = int(sys.argv[1])
    for line in sys.stdin:
        print(shard(line.rstrip("\n"), n))
