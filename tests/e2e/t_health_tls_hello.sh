#!/bin/bash
# t_health_tls_hello: the TLS-HELLO health monitor (SPEC 9 healthmonitor
# types, issue 12: HAProxy's ssl-hello-chk for HTTPS passthrough pools) in a
# real lbproxy: a TCP VIP whose members are an `openssl s_server` (UP, L6OK,
# "TLS handshake done (TLSv1.3)") and a plain TCP server that greets first (DOWN, L6RSP,
# "TLS handshake failed: ..."), both the first verdict logged; traffic goes
# to the TLS member only; the TLS member stopped goes DOWN with L4CON.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd openssl curl

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=member.test" -keyout "$T/srv.key" -out "$T/srv.crt" >/dev/null 2>&1 ||
    fail "openssl req failed"
TLS_PORT=$(free_port)
bg_run s_server openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$T/srv.crt" \
    -key "$T/srv.key" -quiet -www
S_SERVER=$BG_PID
wait_port "$TLS_PORT" 5 || fail "s_server did not start: $(cat "$T/s_server.log")"
start_backend plain 0 tcp
PLAIN_PORT=$BACKEND_PORT

VIP=$(free_port)
POOL_EXTRA='"healthmonitors": [{"id": "hm1", "type": "TLS-HELLO", "delay": 1, "timeout": 1,
    "max_retries": 1}]' \
    write_pool "$T/pool.json" "$VIP" TCP/TCP ROUND_ROBIN "tls:$TLS_PORT" "plain:$PLAIN_PORT"
start_lbproxy "$T/pool.json"

log_has() {
	grep -qF -- "$1" "$T/lbproxy.log"
}

# stat MEMBER FIELD: a field of MEMBER's "show stat" row
stat() {
	stats_cmd "show stat" 2>/dev/null | awk -F, -v m="$1" -v f="$2" '
	    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
	    $2 == m { print $(col[f]); exit }'
}

up="member tls (127.0.0.1:$TLS_PORT) CHECKING -> UP: TLS handshake done (TLSv1.3) (first check)"
down="member plain (127.0.0.1:$PLAIN_PORT) CHECKING -> DOWN: TLS handshake failed: "
wait_until 5 log_has "$up" || fail "not logged: $up"
wait_until 5 log_has "$down" || fail "not logged: $down"
assert_eq L6OK "$(stat tls check_status)" "check_status of the TLS member"
assert_eq UP "$(stat tls status)" "status of the TLS member"
assert_eq L6RSP "$(stat plain check_status)" "check_status of the plain member"
assert_eq DOWN "$(stat plain status)" "status of the plain member"
note "plain member: $(grep -F "$down" "$T/lbproxy.log")"

# only the TLS member gets traffic (s_server -www answers and closes: it serves one at a time)
for i in 1 2 3; do
	assert_contains "$(curl -sk --max-time 5 "https://127.0.0.1:$VIP/")" "s_server" \
	    "answer through the VIP"
done

kill "$S_SERVER"
wait_gone "$S_SERVER" 5 || fail "s_server did not exit"
gone="member tls (127.0.0.1:$TLS_PORT) UP -> DOWN: connection refused (1/1)"
wait_until 5 log_has "$gone" || fail "not logged: $gone"
assert_eq L4CON "$(stat tls check_status)" "check_status once s_server is gone"
stop_lbproxy
exit 0
