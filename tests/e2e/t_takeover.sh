#!/bin/bash
# t_takeover: `lbproxy -sf OLDPID` takes the listening socket over the old
# process's stats socket (SCM_RIGHTS) instead of binding beside it, then the
# old process drains and exits. New connections opened continuously through
# the takeover: none refused, none reset, every request answered.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
vip=$(free_port)
write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN "m1:$p1" "m2:$p2"
start_lbproxy "$T/pool.json" -w 2 -p "$T/lb.pid"
old=$LB_PID

# A client opening a new connection every 2 ms for 4 s, one request each.
cat >"$T/client.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
ok = bad = 0
errs = {}
end = time.time() + 4
while time.time() < end:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        buf = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        s.close()
        if buf.startswith(b"HTTP/1.1 200"):
            ok += 1
        else:
            bad += 1
            errs["bad response"] = errs.get("bad response", 0) + 1
    except OSError as e:
        bad += 1
        errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
    time.sleep(0.002)
print("ok", ok, "bad", bad, errs, flush=True)
sys.exit(1 if bad else 0)
PY
bg_run client python3 "$T/client.py" "$vip"
client=$BG_PID
sleep 1.5
LB_WAIT_PORT=none start_lbproxy "$T/pool.json" -w 2 -p "$T/lb.pid" -sf "$old"
new=$LB_PID
wait_gone "$old" 10 || fail "old process did not finish after -sf"
wait_gone "$client" 10 || fail "client did not finish"
cat "$T/client.log"
grep -q "^ok [0-9]* bad 0 " "$T/client.log" || fail "connections failed during takeover: $(cat "$T/client.log")"
n=$(awk '/^ok/ {print $2}' "$T/client.log")
assert_between "$n" 200 100000 "requests through the takeover"
grep -q "taken over from the previous process" "$T/lbproxy.log" || fail "new process bound anew instead of taking over"
assert_eq "$new" "$(cat "$T/lb.pid")" "pidfile names the new process"
assert_eq "b1" "$(http_get "http://127.0.0.1:$vip/" | sed 's/b2/b1/')" "new process serves"
stats_cmd "show info" | grep -q "^Pid: $new" || fail "stats socket is not the new process's"
LB_PID=$new
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
