#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write a synthetic news archive (JSON Lines) for morgue's bench-scale.

  synth_news.py [--corpora DIR] [--seed S] --n N [--update] [--out FILE]
  synth_news.py [--corpora DIR] [--seed S] --n N --check

Nothing here is copied from a real corpus: the statistics are DERIVED at run
time from the real corpora in DIR (default $MORGUE_CORPORA, else
../shared/corpora): Reuters-21578, AG News and BBC News (those present).

  vocabulary  whitespace tokens as they occur (case and trailing punctuation
              kept, so sentences and numbers look like news text), drawn from
              the empirical rank-frequency table of the real bodies (titles:
              of the real titles). Words seen once are replaced by a Zipfian
              tail: with the Good-Turing probability N1/N a token is a
              synthetic word of rank r > V2 (V2 = words seen twice or more;
              words are counted as the index sees them, case and punctuation
              folded),
              r drawn from a Pareto law whose exponent is the Zipf exponent
              fitted (least squares, log-log) to the real table from rank 1000
              to V2. So the vocabulary keeps growing with the archive, as a
              real one does (Heaps' law), instead of saturating.
  lengths     each article copies the shape of one real article picked at
              random: title and body length in tokens, paragraph count and
              separator, category field (Reuters topic list, AG/BBC category),
              whether it has an author. Headline-only wire flashes come out as
              they occur in Reuters.
  sources     the real source field, or the agency the real article names
              (AG News titles "... (AP)", bodies "CITY (Reuters) - ..."),
              with their real frequencies.
  dates       spread over 1985-2024 (more articles in later years, linearly
              rising to 3x), in date order as archives are; time of day from
              the real Reuters hours. The night's new articles are dated the
              day after the archive ends.

Determinism: the same corpora, seed and N give byte-identical output (one
random.Random stream; CPython's Mersenne Twister and random.choices()).

--update writes the "nightly" snapshot that follows the archive of the same
seed and N: every article of the base archive in the same order, except that
1% are gone (deleted), 1% have a new body (changed), and 1% new articles
(ids N, N+1, ...) follow at the end. Indexing it with --delete-missing gives
1% added, 1% replaced, 1% deleted, 97% unchanged.

--check generates N articles in memory and prints their statistics next to
the real corpora's (tokens per article, vocabulary size) instead of writing.
"""
import argparse
import collections
import datetime
import json
import math
import os
import random
import re
import sys

REAL_FILES = ("reuters21578/reuters21578.jsonl", "ag_news/ag_news.jsonl", "bbc/bbc.jsonl")
YEARS = (1985, 2024)
MASK64 = (1 << 64) - 1
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + \
            [c + v + "n" for c in "bdklmrst" for v in "aeiou"]

# An agency named in a title suffix "(AP)" or a body lead "WASHINGTON (AP) - ".
AGENCY_TITLE = re.compile(r"\(([A-Za-z][^()\d]{1,24})\)\s*$")
AGENCY_LEAD = re.compile(r"^[^()]{0,40}\(([A-Za-z][^()\d]{1,24})\)\s+-")


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


PUNCT = ".,;:!?\"'()<>[]{}*+-/"


def norm(token):
    """A token as the index sees it, roughly: no surrounding punctuation, lower case."""
    return token.strip(PUNCT).lower()


class Table:
    """An empirical token distribution with a synthetic Zipfian tail.

    Tokens are drawn with their real frequencies, except the words seen only
    once, which the tail replaces: new words come from it with the
    Good-Turing probability N1/N. Words are counted normalised (case and
    punctuation folded, as the index sees them): a surface form seen once
    ("Cocoa,") is usually a known word and stays in the table."""

    def __init__(self, counts, tail_s, words_for_rank, copy=0.0):
        ranked = counts.most_common()
        n_tokens = sum(counts.values())
        normed = collections.Counter()
        for w, k in ranked:
            normed[norm(w)] += k
        n1 = sum(1 for k in normed.values() if k == 1)
        ranked = [(w, k) for w, k in ranked if normed[norm(w)] >= 2]
        self.v2 = len(normed) - n1  # tail ranks follow the real vocabulary
        self.words = [w for w, _ in ranked] + [None]  # None: draw from the tail
        cw, s = [], 0
        for _, k in ranked:
            s += k
            cw.append(s)
        # A fraction `copy` of the tokens will repeat an earlier word of the
        # same article (never a new word), so the fresh draws carry the
        # unseen mass: N1/N / (1 - copy).
        self.p_tail = n1 / n_tokens if n_tokens else 0.0
        q = min(self.p_tail / (1.0 - copy), 0.5)
        cw.append(s + s * q / (1.0 - q))
        self.cum = cw
        self.copy = copy
        self.inv_a = 1.0 / max(tail_s - 1.0, 0.05)
        self.word_for_rank = words_for_rank

    def draw(self, rng, k):
        toks = rng.choices(self.words, cum_weights=self.cum, k=k)
        self.resolve_tail(rng, toks)
        if self.copy and k > 1:
            # Burstiness: an article repeats its own words (Simon's model).
            for p in sorted(rng.sample(range(1, k), int(self.copy * (k - 1) + 0.5))):
                toks[p] = toks[rng.randrange(p)]
        return toks

    def resolve_tail(self, rng, toks):
        ntail = toks.count(None)
        if ntail:
            v2, inv_a, wfr = self.v2, self.inv_a, self.word_for_rank
            i = -1
            for _ in range(ntail):
                i = toks.index(None, i + 1)
                toks[i] = wfr(v2 + int(v2 * ((1.0 - rng.random()) ** -inv_a - 1.0)) + 1)


class Model:
    """Everything derived from the real corpora."""

    def __init__(self, corpora):
        body, title = collections.Counter(), collections.Counter()
        hapax_kinds = collections.Counter()
        hours = collections.Counter()
        agency = collections.Counter()
        docs = []  # per real article: (source, title_len, body_len, npar, sep, catfield, cats, author)
        found = 0
        repeats = body_tokens = 0  # tokens that repeat a word of their own article
        for rel in REAL_FILES:
            path = os.path.join(corpora, rel)
            if not os.path.exists(path):
                continue
            found += 1
            with open(path, encoding="utf-8") as f:
                for line in f:
                    d = json.loads(line)
                    t, b = d.get("title") or "", d.get("body") or ""
                    btoks, ttoks = b.split(), t.split()
                    repeats += len(btoks) - len(set(map(norm, btoks)))
                    body_tokens += len(btoks)
                    body.update(btoks)
                    title.update(ttoks)
                    src = d.get("source") or ""
                    m = AGENCY_TITLE.search(t) or AGENCY_LEAD.search(b)
                    if m:
                        src = m.group(1).strip()
                    agency[src] += 1
                    date = d.get("date") or ""
                    if len(date) >= 13 and date[10] == "T":
                        hours[int(date[11:13])] += 1
                    if "\n    " in b:
                        sep, npar = "\n    ", b.count("\n    ") + 1
                    else:
                        sep, npar = "\n\n", b.count("\n\n") + 1
                    if "topics" in d:
                        catfield, cats = "topics", tuple(d["topics"])
                    elif d.get("category"):
                        catfield, cats = "category", (d["category"],)
                    else:
                        catfield, cats = None, ()
                    if not ttoks and not btoks:
                        continue  # neither title nor body: a bad record, not an article
                    docs.append([src, len(ttoks), len(btoks), npar, sep, catfield, cats,
                                 bool(d.get("author"))])
        if not found:
            sys.exit("synth_news: no real corpus found under %s" % corpora)
        # Sources named fewer than 5 times are title noise ("(Sat)", "(PDT)"):
        # such articles keep their corpus' own source.
        for doc in docs:
            if agency[doc[0]] < 5:
                doc[0] = None
        self.sources = [s for s, k in agency.items() if k >= 5]
        self.docs = docs
        for i, doc in enumerate(docs):
            if doc[0] is None:  # fall back to the nearest earlier article's source
                doc[0] = next((docs[j][0] for j in range(i - 1, -1, -1) if docs[j][0]), "Reuters")
        normed = collections.Counter()
        for w, k in body.items():
            normed[norm(w)] += k
        for w, k in body.items():
            if k == 1 and normed[norm(w)] == 1:
                hapax_kinds[self.kind(w)] += 1
        total = sum(hapax_kinds.values()) or 1
        self.kind_cum = []
        acc = 0
        for kind in ("number", "capital", "lower"):
            acc += hapax_kinds[kind] / total
            self.kind_cum.append((acc, kind))
        self.zipf_s = fit_zipf(normed)
        self.real_repeat = repeats / max(body_tokens, 1)
        self.body = Table(body, self.zipf_s, self.tail_word)
        self.body = Table(body, self.zipf_s, self.tail_word, self.fit_copy())
        self.title = Table(title, self.zipf_s, self.tail_word)
        self.hours = list(range(24))
        self.hour_cw = cumulate([hours.get(h, 0) + 1 for h in self.hours])
        self.real_tokens = sum(body.values()) + sum(title.values())
        self.real_vocab = len(set(map(norm, body)) | set(map(norm, title)))

    def fit_copy(self):
        """The share of body tokens that copy an earlier word of the same
        article, so that synthetic articles repeat their words as often as
        real ones: with independent draws a share R0 of the tokens repeat by
        chance; copying a share c gives R = c + (1 - c) R0 = real."""
        rng = random.Random(0)
        rep = tot = 0
        for _ in range(3000):
            blen = self.docs[rng.randrange(len(self.docs))][2]
            toks = self.body.draw(rng, blen)
            rep += len(toks) - len(set(map(norm, toks)))
            tot += len(toks)
        r0 = rep / max(tot, 1)
        return max(0.0, (self.real_repeat - r0) / (1.0 - r0))

    @staticmethod
    def kind(w):
        core = w.strip(".,;:!?\"'()<>[]")
        if core[:1].isdigit():
            return "number"
        if core[:1].isupper():
            return "capital"
        return "lower"

    def tail_word(self, rank):
        """The synthetic word of a tail rank: unique per rank, pronounceable,
        numbers/names/lower-case words in the proportions of the real hapaxes."""
        h = splitmix64(rank)
        u = (h & 0xFFFF) / 65536.0
        kind = next(k for c, k in self.kind_cum if u < c) if u < self.kind_cum[-1][0] else "lower"
        if kind == "number":
            return "{:,}".format(rank * 7 + (h >> 20) % 7)
        n, parts = rank, []
        while True:
            n, d = divmod(n, len(SYLLABLES))
            parts.append(SYLLABLES[d])
            if n == 0:
                break
        if len(parts) < 3:
            parts.append(SYLLABLES[(h >> 24) % len(SYLLABLES)])
        w = "".join(parts)
        return w.capitalize() if kind == "capital" else w


def cumulate(weights):
    out, acc = [], 0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def fit_zipf(counts):
    ranked = [k for _, k in counts.most_common()]
    xs, ys = [], []
    for i in range(999, len(ranked)):
        if ranked[i] < 2:
            break
        xs.append(math.log(i + 1))
        ys.append(math.log(ranked[i]))
    if len(xs) < 10:
        return 1.3
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return -sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-") or "news"


class Generator:
    def __init__(self, model, seed, n):
        self.m = model
        self.seed = seed
        self.n = n
        self.rng = random.Random(seed)
        self.start = datetime.datetime(YEARS[0], 1, 1)
        self.span_s = (datetime.datetime(YEARS[1] + 1, 1, 1) - self.start).total_seconds()

    def day(self, i, rng):
        """The day of article i: the archive is in date order, as archives
        are, over YEARS with a density rising linearly to 3x (the inverse of
        the CDF (x + x^2) / 2). Articles past n (the night's new ones) fall on
        the day after the archive ends."""
        if i >= self.n:
            return datetime.date(YEARS[1] + 1, 1, 1)
        t = (i + rng.random()) / self.n
        x = (math.sqrt(1.0 + 8.0 * t) - 1.0) / 2.0
        return (self.start + datetime.timedelta(seconds=x * self.span_s)).date()

    def body(self, rng, shape):
        _, _, blen, npar, sep, _, _, _ = shape
        if blen == 0:
            return ""
        toks = self.m.body.draw(rng, blen)
        npar = max(1, min(npar, blen))
        cuts = [blen * p // npar for p in range(npar + 1)]
        return sep.join(" ".join(toks[cuts[p]:cuts[p + 1]]) for p in range(npar))

    def article(self, i, rng=None):
        """Article i. Drawn from the main stream unless rng is given."""
        rng = rng or self.rng
        m = self.m
        shape = m.docs[rng.randrange(len(m.docs))]
        src, tlen, _, _, _, catfield, cats, has_author = shape
        day = self.day(i, rng)
        hour = rng.choices(m.hours, cum_weights=m.hour_cw)[0]
        minute, sec = rng.randrange(60), rng.randrange(60)
        aid = "synth-%08d" % i
        d = {
            "id": aid,
            "title": " ".join(m.title.draw(rng, tlen)),
            "date": "%sT%02d:%02d:%02d" % (day.isoformat(), hour, minute, sec),
            "source": src,
            "url": "https://%s.example.com/%04d/%02d/%s" % (slug(src), day.year, day.month, aid),
        }
        if catfield == "topics":
            d["topics"] = list(cats)
        elif catfield:
            d["category"] = cats[0]
        if has_author:
            a, b = m.tail_word(1000 + rng.randrange(50000)), m.tail_word(1000 + rng.randrange(50000))
            d["author"] = "By %s %s, %s" % (a.capitalize(), b.capitalize(), src)
        d["body"] = self.body(rng, shape)
        return d, shape

    def fate(self, i):
        """0: deleted, 1: changed, else kept, in the nightly update."""
        return splitmix64((self.seed << 32) ^ i) % 100


def write(model, seed, n, update, out):
    g = Generator(model, seed, n)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    for i in range(n):
        d, shape = g.article(i)
        if update:
            fate = g.fate(i)
            if fate == 0:
                continue
            if fate == 1:
                alt = random.Random(splitmix64(seed ^ 0x5EED) ^ i)
                d["body"] = g.body(alt, shape) or "Correction: " + d["title"]
        out.write(dumps(d))
        out.write("\n")
    if update:
        g2 = Generator(model, splitmix64(seed ^ 0x1EE7), n)
        for i in range(n, n + n // 100):
            out.write(dumps(g2.article(i)[0]))
            out.write("\n")


def check(model, seed, n):
    g = Generator(model, seed, n)
    vocab, tokens, empty, repeats, btokens = set(), 0, 0, 0, 0
    for i in range(n):
        d, _ = g.article(i)
        t, b = d["title"].split(), d["body"].split()
        tokens += len(t) + len(b)
        empty += not b
        repeats += len(b) - len(set(map(norm, b)))
        btokens += len(b)
        vocab.update(map(norm, t))
        vocab.update(map(norm, b))
    print("real corpora: %d articles, %d tokens, %d distinct tokens, %.3f of body tokens "
          "repeat a word of their article; zipf exponent %.3f, tail probability %.4f, "
          "copy share %.3f" % (len(model.docs), model.real_tokens, model.real_vocab,
                               model.real_repeat, model.zipf_s, model.body.p_tail,
                               model.body.copy))
    print("synthetic:    %d articles, %d tokens, %d distinct tokens, %.3f repeat, "
          "%d headline-only" % (n, tokens, len(vocab), repeats / max(btokens, 1), empty))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--corpora", default=os.environ.get(
        "MORGUE_CORPORA", os.path.join(here, "..", "..", "..", "shared", "corpora")))
    ap.add_argument("--seed", type=int, default=1987)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    model = Model(a.corpora)
    if a.check:
        check(model, a.seed, a.n)
        return 0
    if a.out == "-":
        write(model, a.seed, a.n, a.update, sys.stdout)
    else:
        with open(a.out, "w", encoding="utf-8", buffering=1 << 20) as f:
            write(model, a.seed, a.n, a.update, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
