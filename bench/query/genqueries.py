#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate the bench query set from a JSON Lines corpus, reproducibly.

  genqueries.py JSONL [N] [SEED] > queries.txt

N queries (default 1000), fixed seed (default 4242): each is drawn from a
document picked at random (documents with at least 8 usable words):
  35% one word, 25% two words, 15% three words (words from that document,
      ANDed by every engine),
  25% a phrase of 2 or 3 consecutive words, written "in quotes".
Usable words are whole lower-case alphabetic words of 3+ letters (a word
keeps only surrounding punctuation, no inner hyphen/apostrophe/dot), so every
engine's tokenizer sees the same tokens. Single and AND words skip a small
stopword list; a phrase may hold stopwords inside ("bank of england") but not
at its ends. The output uses only [a-z], spaces and double quotes: the same
line is valid morgue, Xapian QueryParser and Sphinx syntax, and the FTS5
harness quotes each word.
"""
import json
import random
import re
import sys

STOP = set("""a an and are as at be been but by for from had has have he her his i if in
into is it its not of on or our she so than that the their them then there these they this
to was we were what when which who will with would you your said also about after more
over such can may one two new all any reuter""".split())
WORD = re.compile(r"^[a-z]{3,}$")
EDGE = "\"'()[]<>.,;:!?"


def words_of(text):
    """(word, joined_to_next) for each whitespace token that is a usable word;
    joined_to_next is True when the next token follows with no punctuation
    between them."""
    toks = text.lower().split()
    out = []
    for i, t in enumerate(toks):
        core = t.strip(EDGE)
        if not WORD.match(core):
            out.append(None)
            continue
        clean_end = core == t.rstrip(EDGE) and t == t.rstrip(EDGE)
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        clean_next = nxt != "" and nxt == nxt.lstrip(EDGE)
        out.append((core, clean_end and clean_next))
    return out


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 4242
    docs = []
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            # None between title and body: no phrase spans the two.
            w = words_of(d.get("title") or "") + [None] + words_of(d.get("body") or "")
            if sum(1 for x in w if x) >= 8:
                docs.append(w)
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        w = docs[rng.randrange(len(docs))]
        kind = rng.random()
        content = [x[0] for x in w if x and x[0] not in STOP]
        if kind < 0.75:
            k = 1 if kind < 0.35 else 2 if kind < 0.60 else 3
            uniq = sorted(set(content))
            if len(uniq) < k:
                continue
            pick = []
            while len(pick) < k:
                c = content[rng.randrange(len(content))]
                if c not in pick:
                    pick.append(c)
            out.append(" ".join(pick))
        else:
            k = rng.choice((2, 3))
            starts = [i for i in range(len(w) - k + 1)
                      if all(w[i + j] for j in range(k))
                      and all(w[i + j][1] for j in range(k - 1))
                      and w[i][0] not in STOP and w[i + k - 1][0] not in STOP]
            if not starts:
                continue
            i = starts[rng.randrange(len(starts))]
            out.append('"' + " ".join(w[i + j][0] for j in range(k)) + '"')
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
