#!/bin/bash
# t_tcp_retry: a member that refuses connections, or never completes the
# handshake (connect timeout), is skipped: the connection is retried on the
# next member and the client never notices; with every member dead the
# client is closed after `retries`.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

start_backend b2 0 tcp; p2=$BACKEND_PORT
dead=$(free_port)	# nothing listens here: connection refused

# A listener that never accepts and whose backlog is full: SYNs are dropped.
bg_run blackhole python3 -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 0)); l.listen(0)
print(l.getsockname()[1], flush=True)
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(l.getsockname())
    except BlockingIOError: pass
    fill.append(c)
time.sleep(120)'
wait_until 5 test -s "$T/blackhole.log" || fail "blackhole listener did not start"
hole=$(head -1 "$T/blackhole.log")

vip=$(free_port)
LB_EXTRA='"retries": 3, "timeouts_ms": {"connect": 300}' \
	write_pool "$T/pool.json" "$vip" TCP ROUND_ROBIN "dead:$dead" "hole:$hole" "m2:$p2"
start_lbproxy "$T/pool.json" -w 1 -v

for i in $(seq 1 9); do
	out=$(tcp_exchange "$vip" 'x')
	assert_contains "$out" "hello b2" "connection $i reached the live member"
done
grep -q "connect to 127.0.0.1:$hole: timed out" "$T/lbproxy.log" || fail "no connect timeout logged"
grep -q "connect to 127.0.0.1:$dead" "$T/lbproxy.log" || fail "no refused connect logged"

# every member dead: closed, nothing relayed, and the process keeps serving
stop_backend b2
out=$(tcp_exchange -n "$vip" 'x' || true)
assert_eq "" "$out" "with every member dead nothing comes back"
start_backend b2 "$p2" tcp
sleep 2.2	# passive-failure avoidance window expires
out=$(tcp_exchange "$vip" 'x')
assert_contains "$out" "hello b2" "served again once the member is back"
kill -0 "$LB_PID" || fail "lbproxy died"
