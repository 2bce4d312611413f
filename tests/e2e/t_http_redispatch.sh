#!/usr/bin/env bash
# A member that accepts and closes without answering (a dying one): an
# idempotent request goes to another member (SPEC 3 redispatch, issue 15.16)
# instead of a 502, and the dying member is counted and avoided; without
# redispatch the client gets the 502.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3

start_backend good 0 http
good=$BACKEND_PORT
dying=$(free_port)
bg_run dying python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.recv(65536); c.close()
' "$dying"
wait_port "$dying" || fail "the dying member does not listen"
vip=$(free_port)

run() {	# LB_EXTRA: print the status codes of 10 GETs on fresh connections
	LB_EXTRA=$1 write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN d:"$dying" g:"$good"
	start_lbproxy "$T/pool.json"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		http_code "http://127.0.0.1:$vip/r$i"
		echo
	done
	stats_cmd "show stat" >"$T/stat"
	stop_lbproxy
}

note "redispatch (the default): every request answered by the good member"
codes=$(run '"retries": 3')
assert_eq 10 "$(printf '%s\n' "$codes" | count_lines 200)" "all 200: $codes"
assert_match "$(cat "$T/stat")" '^pool1,g,' "stats row"
wredis=$(awk -F, 'NR==1 { for (i = 1; i <= NF; i++) if ($i == "wredis") c = i }
    $2 == "g" { print $c }' "$T/stat")
assert_between "$wredis" 1 10 "redispatches counted on the member that took them"
econ=$(awk -F, 'NR==1 { for (i = 1; i <= NF; i++) if ($i == "econ") c = i }
    $2 == "d" { print $c }' "$T/stat")
assert_between "$econ" 1 10 "the dying member's passive failures counted (econ)"

note "without redispatch the dying member's requests get 502"
codes=$(run '"retries": 3, "redispatch": false')
assert_between "$(printf '%s\n' "$codes" | count_lines 502)" 1 10 "some 502: $codes"
