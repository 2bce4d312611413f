#!/bin/bash
# t_tcp_limits: vip.connection_limit and lbproxy.maxconn: excess connections
# wait in the kernel backlog (never accepted and reset) and are served as
# soon as a slot frees up.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

start_backend b1 0 tcp; p1=$BACKEND_PORT

check_limit() {
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
port, limit = int(sys.argv[1]), int(sys.argv[2])
held = []
for i in range(limit):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert s.recv(64).startswith(b"hello"), "held connection %d not served" % i
    held.append(s)
extra = socket.create_connection(("127.0.0.1", port), timeout=5)
extra.settimeout(0.8)
try:
    d = extra.recv(64)
    raise SystemExit("connection over the limit was served (or closed): %r" % d)
except socket.timeout:
    pass
held.pop().close()
extra.settimeout(5)
d = extra.recv(64)
assert d.startswith(b"hello"), "waiting connection not served after a slot freed: %r" % d
extra.sendall(b"abc")
extra.shutdown(socket.SHUT_WR)
rest = b""
while True:
    x = extra.recv(100)
    if not x:
        break
    rest += x
assert rest.endswith(b"bye b1 3\n"), rest
PY
}

vip=$(free_port)
VIP_EXTRA='"connection_limit": 3' write_pool "$T/cl.json" "$vip" TCP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/cl.json" -w 2
check_limit "$vip" 3 || fail "connection_limit not enforced as a backlog"
stop_lbproxy

vip=$(free_port)
LB_EXTRA='"maxconn": 2' write_pool "$T/mc.json" "$vip" TCP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/mc.json" -w 2
check_limit "$vip" 2 || fail "maxconn not enforced as a backlog"
stop_lbproxy
