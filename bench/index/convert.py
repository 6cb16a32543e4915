#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Convert morgue JSON Lines into the input formats of the peers in bench-index.

  convert.py scriptindex IN.jsonl OUT.dump   Omega scriptindex dump (name=value
                                             records, blank-line separated)
  convert.py csv IN.jsonl OUT.csv            RFC 4180 CSV for sqlite3 .import
                                             (columns as in fts5.sql)

Both carry the same fields morgue indexes and stores: id, title, body, date,
source, categories (topics/category, joined by '|'), author, url. The
conversion is not part of any timed run (bench/README.md says so).
"""
import csv
import json
import sys


def fields(d):
    cats = d.get("topics", d.get("category", []))
    if isinstance(cats, str):
        cats = [cats]
    date = d.get("date") or ""
    return {
        "id": str(d.get("id", "")),
        "title": d.get("title") or "",
        "body": d.get("body") or "",
        "date": date[0:4] + date[5:7] + date[8:10] if len(date) >= 10 else "",
        "isodate": date,
        "source": d.get("source") or "",
        "category": "|".join(c for c in cats if isinstance(c, str) and c),
        "author": d.get("author") or "",
        "url": d.get("url") or "",
    }


DUMP_FIELDS = ("id", "title", "body", "date", "source", "category", "author", "url")
CSV_FIELDS = ("id", "title", "body", "isodate", "source", "category", "author", "url")


def to_dump(inp, out):
    for line in inp:
        if not line.strip():
            continue
        f = fields(json.loads(line))
        for k in DUMP_FIELDS:
            v = f[k]
            if v:
                # scriptindex: a newline inside a value is continued by "=".
                out.write(k + "=" + v.replace("\r", "").replace("\n", "\n=") + "\n")
        out.write("\n")


def to_csv(inp, out):
    w = csv.writer(out, lineterminator="\n")
    for line in inp:
        if not line.strip():
            continue
        f = fields(json.loads(line))
        w.writerow([f[k] for k in CSV_FIELDS])


def main(argv):
    if len(argv) != 4 or argv[1] not in ("scriptindex", "csv"):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[2], encoding="utf-8") as inp, \
         open(argv[3], "w", encoding="utf-8", newline="") as out:
        (to_dump if argv[1] == "scriptindex" else to_csv)(inp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
