#!/bin/bash
# t_process: command line and process contract: exit statuses (1 bad config
# or usage, 2 runtime failure to start), one clear line per failure,
# pidfile written and removed, -D daemonizes after binding, -V, SIGTERM and
# SIGINT stop with status 0, SIGUSR1 drains: no new connections, open ones
# finish, then exit 0; the drain deadline closes what is left.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

start_backend b1 0 tcp; p1=$BACKEND_PORT
vip=$(free_port)
write_pool "$T/pool.json" "$vip" TCP ROUND_ROBIN "m1:$p1"

rc=0; "$LBPROXY" -V >"$T/v.out" || rc=$?
assert_eq 0 "$rc" "-V status"; assert_contains "$(cat "$T/v.out")" "lbproxy" "-V output"
rc=0; "$LBPROXY" >/dev/null 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "no -c is a usage error"
rc=0; "$LBPROXY" -c "$T/pool.json" -w zero 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "bad -w is a usage error"
echo '{"vip": ' >"$T/bad.json"
rc=0; "$LBPROXY" -c "$T/bad.json" 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "bad config exit status"
assert_match "$(cat "$T/err")" "bad.json: line [0-9]+, column [0-9]+" "syntax error with line and column"

# port already taken: exit 2, one line naming the address
bg_run blocker python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(30)' "$vip"
blocker=$BG_PID
wait_port "$vip" || fail "blocker did not listen"
rc=0; timeout 10 "$LBPROXY" -c "$T/pool.json" 2>"$T/err" || rc=$?
assert_eq 2 "$rc" "bind failure exit status"
assert_contains "$(cat "$T/err")" "cannot listen on 127.0.0.1:$vip" "bind failure message"
assert_eq 1 "$(wc -l <"$T/err")" "bind failure is one line"
kill "$blocker" 2>/dev/null || true
wait_port_free "$vip" || fail "blocker did not go away"

rc=0; "$LBPROXY" -c "$T/pool.json" --netns lbproxy-no-such-ns 2>"$T/err" || rc=$?
assert_eq 2 "$rc" "missing netns exit status"
assert_contains "$(cat "$T/err")" "lbproxy-no-such-ns" "netns failure names the namespace"

# -D returns only once the daemon has written its pidfile (callers read it at once)
rc=0; "$LBPROXY" -c "$T/pool.json" -D -p "$T/early.pid" 2>"$T/err" || rc=$?
assert_eq 0 "$rc" "-D exit status"
[ -s "$T/early.pid" ] || fail "-D returned before the pidfile was written"
kill -TERM "$(cat "$T/early.pid")"
wait_gone "$(cat "$T/early.pid")" || fail "daemon did not stop"

# -D -p: the foreground returns 0 once bound, the pidfile names the daemon
start_lbproxy "$T/pool.json" -D -p "$T/lb.pid"
assert_eq "$(cat "$T/lb.pid")" "$LB_PID" "pidfile content"
assert_contains "$(tcp_exchange "$vip" 'x')" "hello b1" "daemon serves"
kill -TERM "$LB_PID"
wait_gone "$LB_PID" || fail "daemon did not stop on SIGTERM"
[ ! -e "$T/lb.pid" ] || fail "pidfile not removed on clean exit"

# SIGINT: status 0
start_lbproxy "$T/pool.json" -p "$T/lb2.pid"
stop_lbproxy INT
assert_eq 0 "$LB_STATUS" "exit status after SIGINT"

# SIGUSR1: stop accepting, let the open connection finish, exit 0
start_lbproxy "$T/pool.json" -w 2
python3 - "$vip" "$LB_PID" <<'PY' || fail "graceful stop broke an open connection"
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
assert s.recv(64).startswith(b"hello")
os.kill(pid, signal.SIGUSR1)
time.sleep(0.5)
try:
    n = socket.create_connection(("127.0.0.1", port), timeout=2)
    n.settimeout(1)
    d = n.recv(64)
    raise SystemExit("new connection accepted during drain: %r" % d)
except (ConnectionRefusedError, ConnectionResetError):
    pass
s.sendall(b"still here")
s.shutdown(socket.SHUT_WR)
buf = b""
while True:
    d = s.recv(1000)
    if not d:
        break
    buf += d
assert buf.endswith(b"bye b1 10\n"), buf
PY
wait_gone "$LB_PID" 5 || fail "lbproxy did not exit after draining"
wait "$LB_PID" 2>/dev/null; LB_STATUS=$?
assert_eq 0 "$LB_STATUS" "exit status after SIGUSR1 drain"

# drain deadline: an idle connection is closed after timeouts_ms.drain
vip=$(free_port)
LB_EXTRA='"timeouts_ms": {"drain": 800}' write_pool "$T/d.json" "$vip" TCP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/d.json"
python3 - "$vip" "$LB_PID" <<'PY' || fail "drain deadline not honoured"
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
assert s.recv(64).startswith(b"hello")
t0 = time.time()
os.kill(pid, signal.SIGUSR1)
s.settimeout(5)
assert s.recv(64) == b""
dt = time.time() - t0
assert 0.6 < dt < 3, dt
PY
wait_gone "$LB_PID" 5 || fail "lbproxy did not exit at the drain deadline"
