#!/usr/bin/env bash
# Watch mode, in tmux, on two real replicated clusters: a local watcher and
# a watcher over the TLS feed see the driver's phase change within 2 s and
# cannot act (every acting key changes nothing in the state or the log); a
# plain-text client and a wrong token are refused and logged; a watcher
# that stops reading is dropped while the driver keeps answering.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/replica.sh"
. "$TOP_SRCDIR/tests/ui/lib.sh"

replica_up "$TOP_SRCDIR/tests/data/validate-schema.sql" \
	"$TOP_SRCDIR/tests/data/validate-data.sql" || bail_out "cannot set up replication"
psql_app src -c 'alter table audit_log replica identity full' >/dev/null
W=$PG_TMP/watch
mkdir -p "$W"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1,DNS:localhost \
	-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 || bail_out "openssl req failed"
openssl rand -hex 24 >"$W/token"
echo wrong-token-0123456789 >"$W/bad-token"
chmod 600 "$W"/*
PORT=$(free_port)
cat >>"$CONF" <<CONF
[switch]
method = command
command = true
[watch]
listen = 127.0.0.1:$PORT
cert_file = $W/cert.pem
key_file = $W/key.pem
token_file = $W/token
CONF
"$CUTOVER" -c "$CONF" setup >/dev/null 2>&1 || bail_out "cutover setup failed"
wait_replicated
ST=$(dirname "$CONF")/state
C="$CUTOVER -c $CONF"

term_start drv 120 40 || bail_out "tmux did not start"
term_run drv "CUTOVER_FEED_QUEUE=65536 $C console"
wait_screen drv 'public\.accounts' 20 || bail_out "the driver did not start"

# A local watcher.
term_start loc 120 40
term_run loc "$C watch"
wait_screen loc 'public\.accounts +replicating +20,000 +20,000' 15
ok $? = 0 "the local watcher shows the tables from the driver's snapshot"
S=$(screen loc)
like "$S" 'READ-ONLY' "the local watcher says READ-ONLY"
like "$S" "driver $(id -un)@" "the local watcher names the driver"
unlike "$(last_line loc)" 'Run|Rollback|Validate|Disarm' "no acting key in the watcher's function bar"

# Over the feed, with the watcher's own file: its [hooks] (watch --hooks)
# and its /metrics.
MPORT=$(free_port)
# shellcheck disable=SC2016 # the hook's variables are the hook's to expand
printf '[hooks]\nany = echo "$CUTOVER_EVENT_SEQ $CUTOVER_EVENT_KIND $CUTOVER_PHASE" >> %s/feed-hooks\n[metrics]\nlisten = :%s\n' \
	"$W" "$MPORT" >"$W/watcher.conf"
term_start feed 120 40
term_run feed "$CUTOVER -c $W/watcher.conf watch --hooks --connect 127.0.0.1:$PORT --token-file $W/token --ca-file $W/cert.pem"
wait_screen feed 'public\.accounts +replicating +20,000 +20,000' 15
ok $? = 0 "the feed watcher shows the tables"
like "$(screen feed)" "feed 127\\.0\\.0\\.1:$PORT" "the feed watcher names the feed it follows"
like "$(screen feed)" 'READ-ONLY' "the feed watcher says READ-ONLY"
wait_screen drv 'watchers 1' 5
ok $? = 0 "the driver counts the watcher"
like "$(grep -c '"kind":"watch.joined"' "$ST/events.jsonl")" '^1$' "the join is logged (watch.joined)"
ok -z "$(grep -l "$(cat "$W/token")" "$ST"/* 2>/dev/null)" "the token is in no file of the state directory"

# The driver runs pre_validation: both watchers see it within 2 s.
keys drv Enter
wait_screen drv 'Run phase 1/8' 10
keys drv Tab
sleep 0.2
keys drv Enter
for _ in $(seq 1 600); do
	grep -q '"kind":"phase.done"' "$ST/events.jsonl" && break
	if screen drv | grep -q 'warnings: go on'; then keys drv Tab; sleep 0.2; keys drv Enter; fi
	sleep 0.05
done
t0=$(date +%s.%N)
wait_screen loc 'phase 2/8 sync_wait' 2
ok $? = 0 "the local watcher shows the new phase within 2 s"
wait_screen feed 'phase 2/8 sync_wait' 2
ok $? = 0 "the feed watcher shows the new phase within 2 s"
diag "seen after $(echo "$(date +%s.%N) - $t0" | bc) s"
for _ in $(seq 1 50); do grep -q 'phase.done pre_validation' "$W/feed-hooks" 2>/dev/null && break; sleep 0.1; done
like "$(tr '\n' ' ' <"$W/feed-hooks" 2>/dev/null)" 'phase\.started pre_validation .*phase\.done pre_validation' \
	"watch --hooks over the feed ran the watcher's hook for the phase's events"
unlike "$(cat "$W/feed-hooks" 2>/dev/null)" 'console\.opened' "and not for the history sent when it joined"
like "$(curl -s "http://127.0.0.1:$MPORT/metrics")" $'\ncutover_phase_number 2\n' "the feed watcher serves /metrics from its own file"

# Acting keys in the watchers change nothing.
sleep 1.5
before=$(fingerprint "$ST")
for w in loc feed; do
	for k in Enter R a v V C-m; do keys "$w" "$k"; sleep 0.1; done
	keys "$w" Tab
	keys "$w" Enter
done
sleep 2
is "$(fingerprint "$ST")" "$before" "acting keys in both watchers change neither state.json nor the log"
unlike "$(screen loc)$(screen feed)" 'This will:' "no confirmation dialog ever opens in a watcher"

# A plain-text client and a wrong token are refused and logged.
python3 - "$PORT" "$(cat "$W/token")" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(("CUTOVER-WATCH 1 %s\n" % sys.argv[2]).encode())
try:
    s.recv(100)
except Exception:
    pass
s.close()
PY
for _ in $(seq 1 40); do grep -q 'TLS handshake failed' "$ST/events.jsonl" && break; sleep 0.1; done
like "$(grep '"kind":"watch.refused"' "$ST/events.jsonl")" 'TLS handshake failed' "a plain-text client is refused and logged"
sleep 1.1
run timeout 10 python3 - "$PORT" "$W/cert.pem" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
s.sendall(b"CUTOVER-WATCH 1 wrong-token\n")
print(s.recv(200).decode())
PY
like "$OUT" '"type":"refused","reason":"wrong token"' "a wrong token is refused with a reason"
for _ in $(seq 1 40); do grep -q 'refused: wrong token' "$ST/events.jsonl" && break; sleep 0.1; done
like "$(grep '"kind":"watch.refused"' "$ST/events.jsonl")" 'wrong token' "the wrong token is logged"
unlike "$(cat "$ST/events.jsonl")" 'wrong-token' "the token a client sent is never logged"

# 20 watchers and one that stops reading: the driver keeps answering, the
# stalled one is dropped, the others stay.
python3 - "$PORT" "$W/cert.pem" "$(cat "$W/token")" >"$PG_TMP/many.out" 2>&1 <<'PY' &
import socket, ssl, sys, time, select
port, ca, tok = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
def connect(rcvbuf=None):
    raw = socket.socket()
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.connect(("127.0.0.1", port))
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    s.sendall(("CUTOVER-WATCH 1 %s\n" % tok).encode())
    return s
readers = [connect() for _ in range(20)]
stalled = connect(4096)
end = time.time() + 40
got = [0] * 20
while time.time() < end:
    r, _, _ = select.select(readers, [], [], 0.5)
    for s in r:
        try:
            got[readers.index(s)] += len(s.recv(1 << 16))
        except ssl.SSLWantReadError:
            pass
print("readers", sum(1 for g in got if g > 0))
PY
many=$!
wait_screen drv 'watchers 2[0-9]' 10
ok $? = 0 "the driver counts 20 more watchers"
keys drv '?'
wait_screen drv 'cutover keys' 2
ok $? = 0 "with 21 watchers the driver still answers a key within 2 s"
keys drv Escape
for _ in $(seq 1 400); do grep -q 'too slow' "$ST/events.jsonl" && break; sleep 0.1; done
like "$(grep '"kind":"watch.left"' "$ST/events.jsonl")" 'too slow' "the watcher that stopped reading is dropped (watch.left)"
wait "$many"
like "$(cat "$PG_TMP/many.out")" 'readers 20' "the 20 reading watchers kept receiving"
keys drv '?'
wait_screen drv 'cutover keys' 2
ok $? = 0 "after dropping it the driver still answers"
keys drv Escape

# The feed watcher reconnects by itself after the driver restarts.
keys drv q
wait_screen drv 'PROMPT\$ *$' 5
wait_screen feed 'again in' 10
ok $? = 0 "the feed watcher sees the feed lost and retries"
like "$(grep '"kind":"watch.left"' "$ST/events.jsonl" | tail -1)$(tail -3 "$ST/events.jsonl")" 'console.closed' "the driver closed cleanly"
term_run drv "$C console"
wait_screen feed "feed 127\\.0\\.0\\.1:$PORT" 40 && wait_screen drv 'watchers [1-9]' 10
ok $? = 0 "the feed watcher reconnected by itself"
sleep 1
is "$(grep -c 'phase.done pre_validation' "$W/feed-hooks")" 1 "after reconnecting, the watcher's hooks did not run again for what they had seen"
keys feed q
keys loc q
keys drv q
wait_screen feed 'PROMPT\$ *$' 5
ok "$(alternate_on feed)" = 0 "q in a watcher gives the terminal back"

done_testing
