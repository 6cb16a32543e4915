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
