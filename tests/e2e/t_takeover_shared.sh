#!/bin/bash
# t_takeover_shared: -sf takes over only from the process it names (SPEC 6).
# Two load balancers, "pool A" and "pool B" (different VIP ports), share one
# stats socket path by mistake; B bound it last. A new A started with
# `-sf <A's pid>` reaches B on that path: B must refuse to hand its listener
# over (it is not the pid asked for), the new A must bind its VIP afresh
# beside the old A (SO_REUSEPORT) and serve, the old A must drain and exit,
# and B must keep serving untouched.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3

start_backend a1 0 http; pa=$BACKEND_PORT
start_backend b1 0 http; pb=$BACKEND_PORT
vip_a=$(free_port)
vip_b=$(free_port)
STATS_SOCK=$T/shared.sock
export STATS_SOCK
write_pool "$T/a.json" "$vip_a" HTTP ROUND_ROBIN "a1:$pa"
write_pool "$T/b.json" "$vip_b" HTTP ROUND_ROBIN "b1:$pb"
sed -i 's/"vip1"/"vip-a"/; s/"pool1"/"pool-a"/' "$T/a.json"
sed -i 's/"vip1"/"vip-b"/; s/"pool1"/"pool-b"/' "$T/b.json"

start_lbproxy "$T/a.json" -w 1
old_a=$LB_PID
start_lbproxy "$T/b.json" -w 1
pid_b=$LB_PID
assert_match "$(stats_cmd "show info")" "^Pid: $pid_b\$" "the shared path is B's"
assert_eq a1 "$(http_get "http://127.0.0.1:$vip_a/")" "A serves"
assert_eq b1 "$(http_get "http://127.0.0.1:$vip_b/")" "B serves"

note "new A with -sf $old_a reaches B on the shared path"
n0=$(wc -l <"$T/lbproxy.log")
start_lbproxy "$T/a.json" -w 1 -sf "$old_a"
new_a=$LB_PID
wait_gone "$old_a" 10 || fail "old A did not finish after -sf"
kill -0 "$new_a" 2>/dev/null || fail "new A exited: $(tail -n 5 "$T/lbproxy.log")"
kill -0 "$pid_b" 2>/dev/null || fail "B exited"
log=$(tail -n +$((n0 + 1)) "$T/lbproxy.log")
assert_contains "$log" "_getsocks for pid $old_a refused: this is pid $pid_b" "B refused"
assert_not_contains "$log" "handed" "B handed nothing over"
assert_contains "$log" "takeover: no listener from $T/shared.sock (pid $pid_b); binding anew"
assert_not_contains "$log" "taken over from the previous process"

assert_eq a1 "$(http_get "http://127.0.0.1:$vip_a/")" "new A serves its VIP"
assert_eq b1 "$(http_get "http://127.0.0.1:$vip_b/")" "B keeps serving"
stats_cmd "show info" | grep -q "^Pid: $new_a" || fail "the shared path is not the new A's"
stats_cmd "show stat -1 1 -1" | grep -q "^vip-a,FRONTEND," || fail "new A's stats"
for i in 1 2 3 4 5 6; do
	assert_eq b1 "$(http_get "http://127.0.0.1:$vip_b/")" "B request $i"
done

LB_PID=$new_a
stop_lbproxy
assert_eq 0 "$LB_STATUS" "new A exit status"
LB_PID=$pid_b
stop_lbproxy
assert_eq 0 "$LB_STATUS" "B exit status"
