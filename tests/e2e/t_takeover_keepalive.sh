#!/usr/bin/env bash
# Keep-alive clients across takeovers (issue 15.15): wrk keeps 20
# connections busy while lbproxy is replaced with -sf three times; every
# response sent once a stop has begun says Connection: close and idle
# connections are not cut under a client, so wrk sees no error at all.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd wrk

start_backend b1 0 http -q
p1=$BACKEND_PORT
start_backend b2 0 http -q
p2=$BACKEND_PORT
vip=$(free_port)
write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN b1:"$p1" b2:"$p2"
start_lbproxy "$T/pool.json" -w 2
bg_run wrk wrk -t2 -c20 -d7s --latency "http://127.0.0.1:$vip/"
load=$BG_PID
for i in 1 2 3; do
	sleep 1.5
	old=$LB_PID
	LB_WAIT_PORT=none start_lbproxy "$T/pool.json" -w 2 -sf "$old"
	wait_gone "$old" 10 || fail "takeover $i: the old process did not finish"
done
wait_gone "$load" 20 || fail "wrk did not finish"
cat "$T/wrk.log"
reqs=$(awk '/requests in/ {print $1}' "$T/wrk.log")
assert_between "$reqs" 1000 100000000 "requests through three takeovers"
if grep -q "Socket errors" "$T/wrk.log"; then
	fail "wrk saw socket errors across the takeovers: $(grep 'Socket errors' "$T/wrk.log")"
fi
if grep -q "Non-2xx" "$T/wrk.log"; then
	fail "wrk saw non-2xx answers: $(grep 'Non-2xx' "$T/wrk.log")"
fi
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
