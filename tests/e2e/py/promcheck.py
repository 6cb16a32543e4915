# SPDX-License-Identifier: GPL-2.0-or-later
"""Check a Prometheus text exposition (format 0.0.4) read from stdin.

Every line is a HELP or TYPE comment or a sample `name{labels} value`; a
sample's metric has a TYPE line before it; counters end in _total;
histograms have cumulative _bucket{le=...} samples in increasing le, the
last le="+Inf" and equal to _count, and a _sum. Prints "ok" and then
"name value" for each sample without labels, or the first problem and exits 1.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(%s)(\{(.*)\})? (\S+)$" % NAME)
LABEL = re.compile(r'^(%s)="((?:[^"\\\n]|\\.)*)"$' % NAME)


def fail(msg):
    print(msg)
    sys.exit(1)


def main():
    types, helps, plain = {}, set(), []
    hist = {}
    text = sys.stdin.read()
    if not text.endswith("\n"):
        fail("the text does not end in a newline")
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                fail("line %d: bad TYPE line: %s" % (n, line))
            if parts[2] in types:
                fail("line %d: second TYPE for %s" % (n, parts[2]))
            types[parts[2]] = parts[3]
            continue
        if line.startswith("#") or not line:
            fail("line %d: not a sample: %r" % (n, line))
        m = SAMPLE.match(line)
        if not m:
            fail("line %d: not `name{labels} value`: %r" % (n, line))
        name, labels, value = m.group(1), m.group(3), m.group(4)
        try:
            v = float(value)
        except ValueError:
            fail("line %d: value %r is not a number" % (n, value))
        lab = {}
        if labels:
            for part in labels.split(","):
                lm = LABEL.match(part)
                if not lm:
                    fail("line %d: bad label %r" % (n, part))
                lab[lm.group(1)] = lm.group(2)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        kind = types.get(name) or types.get(base)
        if kind is None:
            fail("line %d: %s has no TYPE line before it" % (n, name))
        if name not in helps and base not in helps:
            fail("line %d: %s has no HELP line" % (n, name))
        if kind == "counter" and not name.endswith("_total"):
            fail("line %d: counter %s does not end in _total" % (n, name))
        if kind == "counter" and v < 0:
            fail("line %d: counter %s is negative" % (n, name))
        if kind == "histogram":
            h = hist.setdefault(base, {"buckets": [], "sum": None, "count": None})
            if name.endswith("_bucket"):
                if "le" not in lab:
                    fail("line %d: bucket without le" % n)
                h["buckets"].append((float(lab["le"]), v))
            elif name.endswith("_sum"):
                h["sum"] = v
            elif name.endswith("_count"):
                h["count"] = v
            else:
                fail("line %d: %s is not a histogram sample" % (n, name))
        elif not labels:
            plain.append((name, value))
    for base, h in hist.items():
        b = h["buckets"]
        if not b or not math.isinf(b[-1][0]):
            fail("%s: the last bucket is not le=\"+Inf\"" % base)
        for (le0, c0), (le1, c1) in zip(b, b[1:]):
            if le1 <= le0:
                fail("%s: le %g after %g" % (base, le1, le0))
            if c1 < c0:
                fail("%s: bucket le=%g holds %g, fewer than le=%g (%g)" % (base, le1, c1, le0, c0))
        if h["count"] is None or h["sum"] is None:
            fail("%s: no _count or _sum" % base)
        if h["count"] != b[-1][1]:
            fail("%s: _count %g != +Inf bucket %g" % (base, h["count"], b[-1][1]))
        plain.append((base + "_count", "%d" % h["count"]))
    print("ok")
    for name, value in plain:
        print(name, value)


main()
