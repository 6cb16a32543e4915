#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""JSON Lines corpus -> Sphinx tsvpipe rows: docid (line number), title, body.
Tabs and line breaks become spaces (tsvpipe has no escaping)."""
import json
import sys

with open(sys.argv[1]) as f:
    for n, line in enumerate(f, 1):
        d = json.loads(line)
        clean = [" ".join((d.get(k) or "").split()) for k in ("title", "body")]
        sys.stdout.write("%d\t%s\t%s\n" % (n, clean[0], clean[1]))
