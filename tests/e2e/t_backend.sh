#!/bin/bash
# t_backend: self-test of tests/e2e/lib.sh and of lbtest-backend, the member
# every other e2e test and the benchmark rely on. No lbproxy involved.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3

# --- lib.sh -----------------------------------------------------------------

note "lib.sh: fail, skip, assertions"
rc=0; (fail "expected failure") 2>/dev/null || rc=$?
assert_eq 1 "$rc" "fail exit status"
rc=0; (skip "expected skip") >/dev/null || rc=$?
assert_eq 77 "$rc" "skip exit status"
rc=0; (assert_eq a b) 2>/dev/null || rc=$?
assert_eq 1 "$rc" "assert_eq on a mismatch"
rc=0; (assert_contains "abc" "x") 2>/dev/null || rc=$?
assert_eq 1 "$rc" "assert_contains on a mismatch"
assert_contains "hello world" "o w"
assert_not_contains "hello" "x"
assert_match $'a\nport 123\nb' '^port [0-9]+$'
assert_between 5 5 6
assert_eq 3 "$(printf 'a\nb\nc\n' | count_lines)" "count_lines"
assert_eq 2 "$(printf 'xa\nb\nax\n' | count_lines a)" "count_lines PATTERN"
assert_eq 0 "$(printf 'b\n' | count_lines a)" "count_lines without a match"

note "lib.sh: free_port"
p1=$(free_port)
p2=$(free_port)
assert_ne "$p1" "$p2" "free_port twice"
assert_between "$p1" 1024 65535 "free_port range"

note "lib.sh: write_pool"
POOL_EXTRA='"healthmonitors": [{"id": "h1", "type": "TCP", "delay": 1, "timeout": 1, "max_retries": 2}]' \
LB_EXTRA='"retries": 1' VIP_EXTRA='"connection_limit": 5' \
    write_pool "$T/pool.json" "$p1" HTTPS/HTTP LEAST_CONNECTIONS \
    m1:"$p2" m2:"$p2":3 m3:"$p2":0:down
python3 - "$T/pool.json" "$p1" "$p2" "$T/sock" <<'EOF' || fail "write_pool output"
import json, sys
c = json.load(open(sys.argv[1]))
vp, mp, sock = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
assert c["vip"] == {"id": "vip1", "address": "127.0.0.1", "protocol_port": vp,
    "protocol": "HTTPS", "admin_state_up": True, "connection_limit": 5}, c["vip"]
assert c["pool"]["id"] == "pool1" and c["pool"]["protocol"] == "HTTP"
assert c["pool"]["lb_method"] == "LEAST_CONNECTIONS"
m = c["members"]
assert [x["id"] for x in m] == ["m1", "m2", "m3"]
assert [x["weight"] for x in m] == [1, 3, 0]
assert [x["admin_state_up"] for x in m] == [True, True, False]
assert all(x["protocol_port"] == mp and x["address"] == "127.0.0.1" for x in m)
assert c["lbproxy"] == {"stats_socket": sock, "retries": 1}
assert c["healthmonitors"][0]["type"] == "TCP"
EOF
rc=0; (write_pool "$T/bad.json" 1 TCP ROUND_ROBIN "m1") 2>/dev/null || rc=$?
assert_eq 1 "$rc" "write_pool with a bad member"

# --- HTTP mode ----------------------------------------------------------------

note "backend: HTTP mode"
port=$(free_port)
echo 200 >"$T/health"
start_backend b1 "$port" http -H "$T/health" -l '[::1]:0'
assert_eq "$port" "$BACKEND_PORT" "BACKEND_PORT"
assert_eq "$BACKEND_PID" "$(backend_pid b1)" "pidfile"
wait_port "$port" 1
base="http://127.0.0.1:$port"

assert_eq "b1" "$(http_get "$base/")" "default body"
h=$(http_headers "$base/anything?x=1")
assert_contains "$h" "HTTP/1.1 200 OK"
assert_contains "$h" "X-Backend: b1"
assert_contains "$h" "Content-Length: 3"

note "backend: /echo returns the request head as received"
body=$(http_get "$base/echo?q=1" -H 'X-Forwarded-For: 192.0.2.1' -H 'Connection: keep-alive, X-Hop')
assert_contains "$body" "GET /echo?q=1 HTTP/1.1"
assert_contains "$body" "X-Forwarded-For: 192.0.2.1"
assert_contains "$body" "Connection: keep-alive, X-Hop"
h=$(http_headers "$base/echo" -d hello)
assert_contains "$h" "X-Body-Bytes: 5"
h=$(http_headers "$base/echo" -H 'Transfer-Encoding: chunked' --data-binary @"$T/pool.json")
assert_contains "$h" "X-Body-Bytes: $(wc -c <"$T/pool.json")"
http_get "$base/echobody" -H 'Transfer-Encoding: chunked' \
    --data-binary @"$T/pool.json" >"$T/echobody.out"
cmp "$T/pool.json" "$T/echobody.out" || fail "/echobody changed the body"

note "backend: Expect: 100-continue"
out=$(tcp_exchange "$port" 'POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc')
assert_match "$out" $'^HTTP/1.1 100 Continue\r$'
assert_match "$out" $'^X-Body-Bytes: 3\r$'

note "backend: /status, /chunked, /bytes, /setcookie, /close-delimited"
assert_eq 503 "$(http_code "$base/status/503")" "/status/503"
assert_eq "503 b1" "$(http_get "$base/status/503")" "/status/503 body"
assert_eq 204 "$(http_code "$base/status/204")" "/status/204"
assert_eq 400 "$(http_code "$base/status/abc")" "/status/abc"
h=$(http_headers "$base/chunked")
assert_contains "$h" "Transfer-Encoding: chunked"
assert_eq "b1" "$(http_get "$base/chunked")" "/chunked body"
assert_eq 1000 "$(http_get "$base/bytes/1000" | wc -c)" "/bytes/1000 length"
http_get "$base/bytes/1048576" >"$T/bytes.out"
yes abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk |
    head -c 1048576 >"$T/bytes.ref"
cmp "$T/bytes.ref" "$T/bytes.out" || fail "/bytes/1048576 content"
h=$(http_headers "$base/setcookie/SRV=abc?x=y")
assert_contains "$h" "Set-Cookie: SRV=abc; Path=/"
assert_eq "b1" "$(http_get "$base/close-delimited")" "/close-delimited body"
h=$(http_headers "$base/close-delimited")
assert_not_contains "$h" "Content-Length"

note "backend: keep-alive and pipelining"
h=$(http_headers "$base/a" -o /dev/null "$base/b")
assert_contains "$h" "X-Conn-Req: 2" "curl reused the connection"
out=$(tcp_exchange "$port" 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/404 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.0\r\n\r\n')
assert_eq 3 "$(printf '%s\n' "$out" | count_lines 'HTTP/1.1 ')" "pipelined"
assert_match "$out" $'^HTTP/1.1 404 Not Found\r$'
assert_match "$out" $'^X-Conn-Req: 3\r$'
assert_match "$out" $'^Connection: close\r$'

note "backend: /delay, /hang, /close, /reset, /invalid"
t=$(http_get "$base/delay/300" -o /dev/null -w '%{time_total}')
python3 -c "import sys; sys.exit(0 if $t >= 0.29 else 1)" ||
    fail "/delay/300 answered after ${t}s"
rc=0; http_get "$base/hang" --max-time 1 >/dev/null || rc=$?
assert_eq 28 "$rc" "/hang: curl timeout"
rc=0; http_get "$base/close" >/dev/null || rc=$?
assert_eq 52 "$rc" "/close: curl empty reply"
rc=0; out=$(http_get "$base/reset") || rc=$?
assert_eq "0123456789" "$out" "/reset partial body"
case $rc in
18|56) ;;
*) fail "/reset: curl exit $rc, expected 18 or 56" ;;
esac
rc=0; out=$(tcp_exchange "$port" 'GET /reset HTTP/1.1\r\nHost: x\r\n\r\n') || rc=$?
assert_eq 2 "$rc" "/reset: connection reset"
assert_contains "$out" "Content-Length: 100000"
out=$(tcp_exchange "$port" 'GET /invalid HTTP/1.1\r\nHost: x\r\n\r\n')
assert_eq $'HTTP/1.1 2x0 Broken\r\nContent-Length: 3\r\n\r\nabc' "$out" "/invalid"
out=$(tcp_exchange "$port" 'GET /invalid2 HTTP/1.1\r\nHost: x\r\n\r\n')
assert_contains "$out" "Transfer-Encoding: chunked"
assert_contains "$out" "Content-Length: 3"

note "backend: /upgrade"
out=$(tcp_exchange "$port" 'GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nraw\001bytes')
assert_match "$out" $'^HTTP/1.1 101 Switching Protocols\r$'
assert_contains "$out" $'\r\n\r\nraw\001bytes'
assert_eq 426 "$(http_code "$base/upgrade")" "/upgrade without Upgrade"

note "backend: /health follows the health file"
assert_eq 200 "$(http_code "$base/health")"
echo 503 >"$T/health"
assert_eq 503 "$(http_code "$base/health")"
echo close >"$T/health"
assert_eq 000 "$(http_code "$base/health")"
echo hang >"$T/health"
assert_eq 000 "$(http_code "$base/health" --max-time 0.5)"
rm "$T/health"
assert_eq 200 "$(http_code "$base/health")"

note "backend: bad requests"
out=$(tcp_exchange "$port" 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n')
assert_match "$out" '^HTTP/1.1 400 '
out=$(tcp_exchange "$port" 'GET / HTTP/2.0\r\n\r\n')
assert_match "$out" '^HTTP/1.1 505 '
assert_eq "b1" "$(http_get "$base/")" "still serving"

note "backend: IPv6 listener and /stats"
port6=$(sed -n 's/^listening \[::1\]://p' "$T/backend-b1.log")
[ -n "$port6" ] || fail "no [::1] listener in the log"
assert_eq "b1" "$(http_get "http://[::1]:$port6/")" "IPv6"
out=$(http_get "$base/stats")
assert_match "$out" '^name b1$'
assert_match "$out" '^conns_active [1-9]'

note "backend: SIGTERM exits 0 and removes the pidfile"
pid=$BACKEND_PID
kill -TERM "$pid"
wait_gone "$pid"
rc=0; wait "$pid" || rc=$?
assert_eq 0 "$rc" "exit status after SIGTERM"
[ ! -e "$T/backend-b1.pid" ] || fail "pidfile left behind"
wait_port_free "$port" 1

note "backend: port 0"
start_backend b0 0 -q
[ "$BACKEND_PORT" -gt 0 ] || fail "no port for -l 127.0.0.1:0"
assert_eq "b0" "$(http_get "http://127.0.0.1:$BACKEND_PORT/")" "port 0"
stop_backend b0

note "backend: start_backend fails when the port is taken"
port=$(free_port)
start_backend b2 "$port"
rc=0; (start_backend b3 "$port") 2>/dev/null || rc=$?
assert_eq 1 "$rc" "start_backend on a used port"
assert_contains "$(cat "$T/backend-b3.log")" "Address already in use"

# --- TCP mode -----------------------------------------------------------------

note "backend: TCP mode, echo and half-close"
port=$(free_port)
start_backend t1 "$port" tcp
out=$(tcp_exchange "$port" 'abc\n')
assert_eq $'hello t1\nabc\nbye t1 4' "$out" "reply after the client's FIN"
out=$(tcp_exchange -n "$port" 'no half-close\n')
assert_eq $'hello t1\nno half-close' "$out" "echo without half-close"
head -c 3000000 /dev/urandom >"$T/big"
python3 - "$port" "$T/big" <<'EOF' || fail "TCP echo of 3 MB"
import socket, sys, threading
data = open(sys.argv[2], "rb").read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
out = b""
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    out += d
t.join()
expect = b"hello t1\n" + data + b"bye t1 %d\n" % len(data)
sys.exit(0 if out == expect else 1)
EOF
stop_backend t1

note "ok"
