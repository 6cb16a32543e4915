#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A replica following the index host with Xapian's replication
# (docs/replication.md), on localhost: xapian-replicate-server serves the
# index's parent directory, so "db" (the symlink morgue-index switches) is
# the live generation under a stable name; xapian-replicate keeps a copy of
# it; a morgued serves the copy while clients query it in a loop. Every
# connection of the replica goes through a relay that counts the bytes.
#  - a 1% update (216 Reuters articles edited) made with --changesets
#    reaches the replica as one changeset, far smaller than the index, and
#    the replica's morgued serves it (the master's Xapian revision);
#  - an update with --compact and a rebuild (each a new generation) reach
#    it as a full copy (a new replica_N directory and its XAPIANDB stub
#    switched), and morgued switches to it;
#  - no request fails meanwhile.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

out=$("$INDEX" --db "$TMP/none" --changesets 0 "$REUTERS" 2>&1)
check_eq "--changesets 0: usage error, exit 2" 2 $?
check_match "--changesets 0: says the range" 'changesets must be a number from 1 to 100000' "$out"
out=$("$INDEX" --db "$TMP/dry" --changesets 5 --dry-run --quiet "$MORGUE_ROOT/corpus/samples.jsonl" 2>&1)
check_eq "--changesets with a first index: accepted, exit 0" 0 $?

if ! command -v xapian-replicate >/dev/null || ! command -v xapian-replicate-server >/dev/null; then
  echo "ok - replica # SKIP xapian-replicate or xapian-replicate-server is missing (Debian's xapian-tools)"
  exit 0
fi

# xrev DB: the Xapian revision of the database (xapian-delve).
xrev() { xapian-delve "$1" | sed -n 's/^revision = //p'; }
# replicate NAME: one pass of xapian-replicate through the relay; its
# verbose output in $TMP/NAME.out, and REP_BYTES the bytes the index host
# sent in it.
replicate() {
  local before
  before=$(wc -l 2>/dev/null <"$TMP/relay.log" || echo 0)
  xapian-replicate -h 127.0.0.1 -p "$RELAY" -m db -o -v -t 20 "$TMP/rep/db" >"$TMP/$1.out" 2>&1
  local rc=$?
  relay_logged() { [ "$(wc -l 2>/dev/null <"$TMP/relay.log" || echo 0)" -gt "$before" ]; }
  wait_for 5 relay_logged
  REP_BYTES=$(tail -1 "$TMP/relay.log" | cut -d' ' -f1)
  return $rc
}
# served_revision: the revision the replica's morgued reports.
served_revision() {
  $PY - "$IPC" <<'PYEOF'
import json, sys
import zmq
s = zmq.Context().socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 5000)
s.connect(sys.argv[1])
s.send(b'{"v":1,"op":"stats"}')
print(json.loads(s.recv())["stats"]["revision"])
PYEOF
}

DB=$TMP/idx/db
build_index "$DB" "$REUTERS" 2>/dev/null
check_eq "index Reuters: exit 3 (its one bad record)" 3 $?
size=$(du -sb "$(realpath "$DB")" | cut -f1)

port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# In a session of its own: on SIGTERM the server kills its process group.
setsid xapian-replicate-server -I 127.0.0.1 -p "$port" "$TMP/idx" >"$TMP/server.log" 2>&1 &
at_exit "kill $! 2>/dev/null"
$PY "$PYDIR/tcpcount.py" "$port" "$TMP/relay.port" "$TMP/relay.log" &
at_exit "kill $! 2>/dev/null"
check "the byte-counting relay listens" wait_file "$TMP/relay.port" 10
RELAY=$(cat "$TMP/relay.port")
server_listens() {
  $PY -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null
}
wait_for 5 server_listens

mkdir -p "$TMP/rep"
replicate first
check_eq "first replication: xapian-replicate exit 0" 0 $?
check_match "first replication: a full copy" 'Update complete: 1 copies, 0 changesets' \
  "$(cat "$TMP/first.out")"
diag "index $size bytes; first full copy: $REP_BYTES bytes sent"

IPC=ipc://$TMP/replica.sock
start_daemon d --db "$TMP/rep/db" --bind "$IPC" --workers 2
ok $? "morgued on the replica gets ready"
check_match "morgued opens the copy the replica's stub names" \
  "ready: .*index $TMP/rep/db/replica_[01] " "$(cat "$TMP/d.log")"

# The night's update: 1% of the articles edited, one of them with a word
# the loader probes for.
$PY - "$REUTERS" "$TMP/update.jsonl" <<'PYEOF' >"$TMP/update.id"
import json, sys
first = None
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for i, line in enumerate(f):
        if i % 100 != 7:
            continue
        r = json.loads(line)
        word = "correction" if first else "zanzibarian"
        first = first or r["id"]
        r["body"] = (r.get("body") or "") + " A %s was issued." % word
        out.write(json.dumps(r) + "\n")
print(first)
PYEOF
printf '{"id":"new-1","title":"The quuxlandia report","body":"A story about quuxlandia.","date":"1987-03-01"}\n' \
  >"$TMP/new.jsonl"
printf '{"id":"new-2","title":"The frobozzian report","body":"A story about frobozzian.","date":"1987-03-02"}\n' \
  >"$TMP/new2.jsonl"

mkdir -p "$TMP/state"
$PY "$PYDIR/loader.py" "$IPC" "$TMP/state" "cocoa bahia" reuters-1 \
  zanzibarian="$(cat "$TMP/update.id")" quuxlandia=new-1 frobozzian=new-2 >"$TMP/loader.out" 2>&1 &
loader=$!
at_exit "touch $TMP/state/stop; kill $loader 2>/dev/null"
check "the clients are getting answers" wait_file "$TMP/state/started" 20

"$INDEX" --db "$DB" --changesets 10 --json-stats --quiet "$TMP/update.jsonl" >"$TMP/update.json" \
  2>"$TMP/update.err"
check_eq "update with --changesets: exit 0" 0 $?
check_match "update: 1% of the articles replaced" '"replaced":21[0-9],' "$(cat "$TMP/update.json")"
gen=$(realpath "$DB")
check "update: a changeset is kept in the live generation" test -s "$gen/changes1"
master_rev=$(xrev "$DB")

replicate update
check_eq "update: xapian-replicate exit 0" 0 $?
check_match "update: caught up by a changeset, no copy" 'Update complete: 0 copies, 1 changesets' \
  "$(cat "$TMP/update.out")"
diag "1% update: changeset $(stat -c %s "$gen/changes1") bytes, $REP_BYTES bytes sent to the replica (index $size bytes)"
ok "$((REP_BYTES * 2 < size ? 0 : 1))" "update: the catch-up sent $REP_BYTES bytes, under half the index ($size)"
check_eq "update: the replica is at the index's Xapian revision" "$master_rev" "$(xrev "$TMP/rep/db")"
check "update: the replica's morgued serves the edited article" wait_file "$TMP/state/seen-zanzibarian" 10
serves_master() { [ "$(served_revision)" = "$master_rev" ]; }
wait_for 2 serves_master
check_eq "update: the replica's morgued serves the new revision" "$master_rev" "$(served_revision)"

# The nightly run as decided (docs/replication.md): an update with
# --compact, a new generation, so a full copy.
old_copy=$(sed -n 's/^auto //p' "$TMP/rep/db/XAPIANDB")
"$INDEX" --db "$DB" --compact --json-stats --quiet "$TMP/new2.jsonl" >"$TMP/compact.json" 2>"$TMP/compact.err"
check_eq "update with --compact: exit 0" 0 $?
check_match "update with --compact: compacted" '"compaction":"done"' "$(cat "$TMP/compact.json")"
replicate compact
check_eq "compact: xapian-replicate exit 0" 0 $?
check_match "compact: a full copy" 'Update complete: 1 copies, 0 changesets' "$(cat "$TMP/compact.out")"
diag "update with --compact: full copy $REP_BYTES bytes sent"
check "compact: the replica's morgued serves the new article" wait_file "$TMP/state/seen-frobozzian" 10
copy=$(sed -n 's/^auto //p' "$TMP/rep/db/XAPIANDB")
[ "$copy" != "$old_copy" ]
ok $? "compact: the copy is a new directory ($old_copy -> $copy)"
check_match "compact: morgued switched to the new copy" \
  "reload: index changed; index $TMP/rep/db/$copy at revision 1, 21578 documents" "$(cat "$TMP/d.log")"

"$INDEX" --db "$DB" --rebuild --quiet "$REUTERS" "$TMP/update.jsonl" "$TMP/new.jsonl" "$TMP/new2.jsonl" \
  2>"$TMP/rebuild.err"
check_eq "rebuild: exit 3 (Reuters' one bad record)" 3 $?
size2=$(du -sb "$(realpath "$DB")" | cut -f1)
replicate rebuild
check_eq "rebuild: xapian-replicate exit 0" 0 $?
check_match "rebuild: a full copy" 'Update complete: 1 copies, 0 changesets' \
  "$(cat "$TMP/rebuild.out")"
diag "rebuild: full copy $REP_BYTES bytes sent (index $size2 bytes)"
ok "$((REP_BYTES * 10 > size2 * 9 ? 0 : 1))" "rebuild: the full copy sent the whole index ($REP_BYTES of $size2 bytes)"
check "rebuild: the replica's morgued serves the new article" wait_file "$TMP/state/seen-quuxlandia" 10
copy=$(sed -n 's/^auto //p' "$TMP/rep/db/XAPIANDB")
check_match "rebuild: morgued switched to the new copy" \
  "reload: index changed; index $TMP/rep/db/$copy at revision 1, 21579 documents" "$(cat "$TMP/d.log")"

stop_loader $loader "$TMP/state" "$TMP/loader.out" "the catch-up and the full copies"
check_eq "morgued logged no failed reopen" 0 "$(grep -c 'reopen failed' "$TMP/d.log")"
stop_daemon "$DPID" d
