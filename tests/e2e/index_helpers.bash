# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the morgue-index end-to-end tests (source after lib.sh).

# jget FILE KEY: a field of a --json-stats object.
jget() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# jerr FILE: the "error" code of a --json-stats object, or None.
jerr() { "$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; print(e and e["code"])' "$1"; }
# count DB, revision DB: as xapian-delve reports them.
count() { xapian-delve "$1" | sed -n 's/^number of documents = //p'; }
revision() { xapian-delve "$1" | sed -n 's/^revision = //p'; }
# gens DB: the entries of DB.gens, on one line.
gens() { ls "$1.gens" | tr '\n' ' ' | sed 's/ $//'; }
# amend_body IN OUT ID TEXT: the JSON Lines of IN into OUT, with TEXT
# appended to the body of the record ID (a changed article).
amend_body() {
  "$PY" - "$@" <<'PY'
import json, sys
src, dst, rid, text = sys.argv[1:5]
with open(src) as f, open(dst, "w") as o:
    for line in f:
        r = json.loads(line)
        if r["id"] == rid:
            r["body"] = (r.get("body") or "") + text
        o.write(json.dumps(r) + "\n")
PY
}
