#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CURVE: keys from `morgue keygen`; morgued encrypts its tcp:// endpoint and
# lets in only the client keys on its allow-list (ZAP). An allowed client
# (ours and python3-zmq) gets answers; any other gets nothing and times out.
source "$MORGUE_ROOT/tests/e2e/lib.sh"
source "$MORGUE_ROOT/tests/e2e/daemon_helpers.bash"

DB=$TMP/db
check "index the corpus" build_index "$DB" "$MORGUE_ROOT/corpus"

K=$TMP/keys
mkdir -p "$K/allowed"
for who in server alice mallory; do
  "$CLIENT" keygen "$K/$who" >/dev/null
  check_eq "keygen $who: exit 0" 0 $?
done
check_eq "secret key file is private (0600)" 600 "$(stat -c %a "$K/alice.key")"
check_match "public key file: one Z85 key" '^[^[:space:]]{40}$' "$(cat "$K/alice.pub")"
"$CLIENT" keygen "$K/alice" >/dev/null 2>"$TMP/err"; rc=$?
check_eq "keygen refuses to overwrite a key (exit 2)" 2 "$rc"
cp "$K/alice.pub" "$K/allowed/"

IPC=ipc://$TMP/morgued.sock
start_daemon d --db "$DB" --bind 'tcp://127.0.0.1:*' --bind "$IPC" \
  --curve-secret "$K/server.key" --curve-allow "$K/allowed"
ok $? "morgued with CURVE gets ready"
check_match "ready line marks the CURVE endpoint" 'tcp://127.0.0.1:[0-9]+ \(CURVE\)' "$(cat "$TMP/d.log")"

out=$("$CLIENT" --endpoint "$TCP_EP" --curve-server-key "$K/server.pub" --curve-key "$K/alice.key" \
  search military parade); rc=$?
check_eq "allowed client key: exit 0" 0 "$rc"
check_match "allowed client key: hits" 'id: pd-2025-0001' "$out"
"$CLIENT" --endpoint "$TCP_EP" --curve-server-key "$(cat "$K/server.pub")" --curve-key "$K/alice.key" ping >/dev/null
check_eq "server key given inline works too" 0 $?

"$CLIENT" --endpoint "$TCP_EP" --curve-server-key "$K/server.pub" --curve-key "$K/mallory.key" \
  --timeout 300 --retries 1 search military parade >"$TMP/out" 2>"$TMP/err"; rc=$?
check_eq "key not on the allow-list: nothing, exit 3" 3 "$rc"
check_eq "key not on the allow-list: no output" "" "$(cat "$TMP/out")"
check_match "refusal logged with the key" "CURVE client .* refused: public key $(sed 's/[][\.*^$+?(){}|/]/\\&/g' "$K/mallory.pub") is not allowed" "$(cat "$TMP/d.log")"
"$CLIENT" --endpoint "$TCP_EP" --timeout 300 --retries 0 ping >/dev/null 2>&1
check_eq "plain (no CURVE) client on the CURVE endpoint: exit 3" 3 $?
"$CLIENT" --endpoint "$TCP_EP" --curve-server-key "$K/alice.pub" --curve-key "$K/alice.key" \
  --timeout 300 --retries 0 ping >/dev/null 2>&1
check_eq "wrong server key: exit 3" 3 $?
"$CLIENT" --endpoint "$TCP_EP" --curve-server-key "$K/server.pub" ping >/dev/null 2>&1
check_eq "half the CURVE options: usage error, exit 2" 2 $?
"$CLIENT" --endpoint "$IPC" ping >/dev/null
check_eq "the local ipc endpoint needs no keys" 0 $?

# python3-zmq as a CURVE client.
pyout=$($PY - "$TCP_EP" "$K/server.pub" "$K/alice.key" "$K/mallory.key" <<'PYEOF'
import json, sys, zmq
ep, server, good, bad = sys.argv[1:]
def key(path):
    return [l.strip() for l in open(path) if l.strip() and not l.startswith("#")][0].encode()
ctx = zmq.Context()
for name, secret in (("alice", key(good)), ("mallory", key(bad))):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_secretkey = secret
    s.curve_publickey = zmq.curve_public(secret)
    s.curve_serverkey = key(server)
    s.connect(ep)
    s.send(json.dumps({"v": 1, "op": "search", "query": "military parade"}).encode())
    if s.poll(1500):
        r = json.loads(s.recv())
        print(name, "ok" if r["ok"] and r["hits"] else "bad")
    else:
        print(name, "timeout")
    s.close()
ctx.term()
PYEOF
)
check_match "python3-zmq: allowed key gets hits" '^alice ok$' "$pyout"
check_match "python3-zmq: other key gets nothing" '^mallory timeout$' "$pyout"
stop_daemon "$DPID" d

# The allow-list as a file; bad key material refused at start.
grep -hv '^#' "$K/alice.pub" >"$K/allow.txt"
start_daemon f --db "$DB" --bind 'tcp://127.0.0.1:*' --curve-secret "$K/server.key" --curve-allow "$K/allow.txt"
ok $? "morgued with an allow-list file gets ready"
"$CLIENT" --endpoint "$TCP_EP" --curve-server-key "$K/server.pub" --curve-key "$K/alice.key" ping >/dev/null
check_eq "allow-list file: allowed client answered" 0 $?
stop_daemon "$DPID" f
echo "not a key" >"$K/bad.key"
timeout 20 "$DAEMON" --db "$DB" --bind 'tcp://127.0.0.1:*' --curve-secret "$K/bad.key" --curve-allow "$K/allowed" 2>"$TMP/bad.log"
rc=$?; ok $((rc == 0 || rc == 124)) "a malformed secret key file is refused"
check_match "malformed key: says so" 'not a 40-character Z85' "$(cat "$TMP/bad.log")"
timeout 20 "$DAEMON" --db "$DB" --bind 'tcp://127.0.0.1:*' --curve-secret "$K/server.key" 2>"$TMP/noallow.log"
rc=$?; ok $((rc == 0 || rc == 124)) "--curve-secret without --curve-allow is refused"

# A public address is fine with CURVE (and with --insecure without it).
start_daemon p --db "$DB" --bind 'tcp://0.0.0.0:*' --curve-secret "$K/server.key" --curve-allow "$K/allowed"
ok $? "non-loopback bind with CURVE is allowed"
stop_daemon "$DPID" p
start_daemon i --db "$DB" --bind 'tcp://0.0.0.0:*' --insecure
ok $? "non-loopback bind without CURVE with --insecure is allowed"
stop_daemon "$DPID" i
