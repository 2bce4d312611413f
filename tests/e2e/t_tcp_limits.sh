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

# Out of descriptors (EMFILE): accepting pauses and resumes later, without a
# busy loop; clients that could not be accepted wait in the backlog and are
# served once descriptors free up. Two limits of different parity: the last
# descriptor goes either to accept() or to the member socket of a client
# already accepted, which must then wait for one, not be closed.
if command -v prlimit >/dev/null 2>&1; then
    for nofile in 48 49; do
	n0=$(wc -l <"$T/lbproxy.log")
	vip=$(free_port)
	LB_EXTRA='"maxconn": 1000' write_pool "$T/mf.json" "$vip" TCP ROUND_ROBIN "m1:$p1"
	start_lbproxy "$T/mf.json" -w 1
	prlimit --pid "$LB_PID" --nofile=$nofile:$nofile || fail "prlimit failed"
	python3 - "$vip" "$LB_PID" "$nofile" <<'PY' || fail "EMFILE handling ($nofile descriptors)"
import socket, sys, time
port, pid, nofile = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def cpu():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
socks = []
for i in range(60):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    socks.append(s)
served, waiting = [], []
time.sleep(0.5)
for s in socks:
    s.settimeout(0.05)
    try:
        d = s.recv(64)
        (served if d.startswith(b"hello") else waiting).append(s)
    except socket.timeout:
        waiting.append(s)
assert 0 < len(served) < 60, "served %d of 60 with %d descriptors" % (len(served), nofile)
c0 = cpu()
time.sleep(1.5)
spent = cpu() - c0
assert spent < 0.5, "lbproxy used %.2f s of CPU in 1.5 s while out of descriptors" % spent
for s in served:
    s.close()
got = 0
deadline = time.time() + 10
for s in waiting:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        if s.recv(64).startswith(b"hello"):
            got += 1
    except socket.timeout:
        pass
    s.close()
    time.sleep(0.01)
assert got == len(waiting), "only %d of %d waiting clients served after descriptors freed" % (got, len(waiting))
print("%d descriptors: served %d at first, %d after descriptors freed, %.2f s CPU while waiting" % (nofile, len(served), got, spent))
PY
	tail -n +$((n0 + 1)) "$T/lbproxy.log" | grep -Eq "(accept|member socket): Too many open files" ||
	    fail "EMFILE not logged"
	stop_lbproxy
    done
fi
