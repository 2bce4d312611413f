#!/usr/bin/env bash
# lbproxy.accept_proxy (SPEC 11): a trusted upstream's PROXY v1/v2 header
# names the client (X-Forwarded-For, source persistence, logs); a malformed
# or truncated header closes the connection, logged and counted, nothing
# forwarded; a header that arrives in pieces is waited for without
# spinning; sources outside accept_proxy are not asked for one, and an
# HTTP listener refuses a header from them as a bad request.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl
PPSEND=${LBTEST_PPSEND:-$(dirname "$LBPROXY")/lbtest-ppsend}
[ -x "$PPSEND" ] || skip "no lbtest-ppsend"

# send the header PPSEND builds (-p: hex), then DATA, without half-closing
pp_send() {	# VERSION SRC DATA
	local hex
	hex=$("$PPSEND" -"$1" -p -s "$2" -d 127.0.0.1:"$vip")
	python3 - "$vip" "$hex" "$3" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(bytes.fromhex(sys.argv[2]) + sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except socket.timeout:
    pass
sys.stdout.write(out.decode("latin-1"))
PY
}

start_backend m1 0 http
m1=$BACKEND_PORT
vip=$(free_port)
trusted='"accept_proxy": ["127.0.0.0/8"], "timeouts_ms": {"tls_handshake": 1000}'

LB_EXTRA=$trusted write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN m1:"$m1"
start_lbproxy "$T/pool.json"

note "v1 and v2 headers from a trusted upstream name the client"
for v in 1 2; do
	out=$(pp_send $v 203.0.113.7:4000 'GET /echo HTTP/1.0\r\nHost: x\r\n\r\n')
	assert_contains "$out" "X-Forwarded-For: 203.0.113.7" "v$v: the header's client is forwarded"
done

note "a malformed header: closed, counted, nothing forwarded"
before=$(curl -s --max-time 2 "http://127.0.0.1:$m1/stats" | awk '$1 == "requests" { print $2 }')
reply=$(tcp_exchange "$vip" 'PROXY TCP4 1.2.3.4 bad\r\nGET / HTTP/1.0\r\n\r\n' || true)
assert_eq "" "$reply" "no answer to a malformed header"
reply=$(tcp_exchange "$vip" 'GET / HTTP/1.0\r\n\r\n' || true)
assert_eq "" "$reply" "no answer without a header from a trusted source"
after=$(curl -s --max-time 2 "http://127.0.0.1:$m1/stats" | awk '$1 == "requests" { print $2 }')
assert_eq "$((before + 1))" "$after" "nothing reached the member (only the /stats query itself)"
dcon=$(stats_cmd "show stat" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "dcon") c = i }
    $2 == "FRONTEND" { print $c }')
assert_eq 2 "$dcon" "refused headers counted"
assert_match "$(cat "$T/lbproxy.log")" "PROXY header refused" "refusals logged"

note "a truncated header times out (tls_handshake), closed"
reply=$(tcp_exchange -n "$vip" 'PROXY TCP4 1.2.3.4 ' || true)
assert_eq "" "$reply" "no answer to a truncated header"
wait_until 3 grep -q "PROXY header refused: truncated header" "$T/lbproxy.log" ||
    fail "truncated header not logged"

note "a header in two pieces half a second apart: no spinning meanwhile, then served"
# The first piece stays in the socket (peeked): lbproxy must wait for the
# rest by polling, not by a read event that fires at once, forever.
cpu() { awk '{ print $14 + $15 }' "/proc/$LB_PID/stat"; }
c0=$(cpu)
out=$(python3 - "$vip" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"PROXY TCP4 203.0.113.9 ")
time.sleep(0.5)
s.sendall(b"127.0.0.1 4000 80\r\nGET /echo HTTP/1.0\r\nHost: x\r\n\r\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode("latin-1"))
PY
)
c1=$(cpu)
assert_contains "$out" "X-Forwarded-For: 203.0.113.9" "the header completed later names the client"
assert_between "$((c1 - c0))" 0 15 "CPU ticks (1/100 s) of lbproxy while the header was partial"

note "untrusted sources are not asked for a header"
stop_lbproxy
LB_EXTRA='"accept_proxy": ["10.0.0.0/8"]' write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN m1:"$m1"
start_lbproxy "$T/pool.json"
assert_eq m1 "$(http_get "http://127.0.0.1:$vip/")" "a plain request from an untrusted source"
out=$(pp_send 1 203.0.113.7:4000 'GET /echo HTTP/1.0\r\n\r\n' || true)
assert_contains "$out" "400" "a header from an untrusted source is a bad request"
assert_not_contains "$out" "203.0.113.7" "and never believed"
stop_lbproxy
