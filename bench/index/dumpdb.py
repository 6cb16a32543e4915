#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print what a Xapian database holds, in a form that two builds can be
compared with: one line per document (docid, data, values, and every term
with its wdf and positions), then one line per term of the whole database
(termfreq, collection freq), then the totals.

    dumpdb.py DB            the dump on stdout
    dumpdb.py --digest DB   one line: documents, terms, sha256 of the dump

Used to check that a change to the indexer leaves its output unchanged:
build the index before and after, and compare the digests."""
import hashlib
import sys

import xapian


def dump(path, out):
    db = xapian.Database(path)
    for did in range(1, db.get_lastdocid() + 1):
        try:
            doc = db.get_document(did)
        except xapian.DocNotFoundError:
            continue
        out(b"doc %d data %s\n" % (did, doc.get_data().hex().encode()))
        for v in doc.values():
            out(b"  value %d %s\n" % (v.num, v.value.hex().encode()))
        for t in doc.termlist():
            pos = b",".join(b"%d" % p for p in t.positer)
            out(b"  term %s wdf %d pos %s\n" % (t.term, t.wdf, pos))
    for t in db.allterms():
        out(b"all %s tf %d cf %d\n" % (t.term, t.termfreq, db.get_collection_freq(t.term)))
    out(b"docs %d avlen %.6f\n" % (db.get_doccount(), db.get_avlength()))
    return db.get_doccount()


def main():
    args = sys.argv[1:]
    if args and args[0] == "--digest" and len(args) == 2:
        h = hashlib.sha256()
        lines = [0]

        def out(b):
            h.update(b)
            lines[0] += 1

        n = dump(args[1], out)
        print("documents %d lines %d sha256 %s" % (n, lines[0], h.hexdigest()))
    elif len(args) == 1:
        dump(args[0], sys.stdout.buffer.write)
    else:
        sys.exit("usage: dumpdb.py [--digest] DB")


if __name__ == "__main__":
    main()
