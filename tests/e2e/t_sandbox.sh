#!/bin/bash
# t_sandbox: the seccomp allowlists (SPEC 13). Once started, every thread of
# lbproxy (main and workers) is under exactly one seccomp filter with
# no_new_privs; it serves HTTP, runs health checks, answers the
# stats socket and reloads without tripping it. A forbidden call does kill
# it: gdb makes a worker thread, then the main thread, call execve(2) (no
# hidden trigger in the binary: the debugger makes the call), and lbproxy
# dies of SIGSYS after one log line naming the call and the thread.
# "sandbox": false leaves every thread unfiltered. An Octavia file takes
# "sandbox" in its "lbproxy" block too, and a reload that adds an L7
# REGEX rule (PCRE2's JIT wants an executable mapping, refused in the main
# thread) keeps lbproxy alive and routing by the new rule. 1 MiB responses
# under wrk through one fresh worker (whose heap glibc then shrinks,
# opening /proc/sys/vm/overcommit_memory: refused with EACCES, not fatal)
# leave it alive, silent, and exiting with status 0.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
vip=$(free_port)
hm='"healthmonitors": [{"id": "h1", "type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 1}]'
POOL_EXTRA=$hm write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN "m1:$p1" "m2:$p2"

# threads FIELD: FIELD of /proc/PID/task/*/status, one line per thread
threads() {
	awk -v f="$1:" '$1 == f { print $2 }' /proc/"$LB_PID"/task/*/status
}
# confined N: all N threads are under one filter, with no_new_privs
assert_confined() {
	assert_eq "$1" "$(threads Seccomp | grep -c '^2$')" "threads in seccomp filter mode"
	assert_eq "$1" "$(threads Seccomp_filters | grep -c '^1$')" "threads with one filter"
	assert_eq "$1" "$(threads NoNewPrivs | grep -c '^1$')" "threads with no_new_privs"
}
# a day of work: traffic, health, stats, reload
day() {
	local i
	for i in 1 2 3 4; do
		assert_match "$(http_get "http://127.0.0.1:$vip/")" '^b[12]$' "HTTP through the VIP"
	done
	assert_match "$(stats_cmd "show stat")" '^# pxname,' "show stat"
	assert_match "$(stats_cmd "show info")" '^Pid: ' "show info"
	stats_cmd "set weight pool1/m1 2" >/dev/null
	stats_cmd "disable server pool1/m2" >/dev/null
	stats_cmd "enable server pool1/m2" >/dev/null
	kill -HUP "$LB_PID"
	wait_until 5 grep -q "reloaded: generation 2" "$T/lbproxy.log" || fail "reload failed"
	wait_until 5 grep -q "member m1 .* -> UP" "$T/lbproxy.log" || fail "no health check verdict"
	assert_match "$(http_get "http://127.0.0.1:$vip/")" '^b[12]$' "HTTP after the reload"
	kill -0 "$LB_PID" || fail "lbproxy died: $(tail -n 3 "$T/lbproxy.log")"
	! grep -q "sandbox:" "$T/lbproxy.log" || fail "sandbox tripped: $(grep sandbox: "$T/lbproxy.log")"
}

# --- 1. everything works under the filters -------------------------------------
start_lbproxy "$T/pool.json" -w 2
stats_cmd "show info" >/dev/null	# answered from the loop: the main thread is confined
assert_confined 3
day
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status under the sandbox"
! grep -q "sandbox:" "$T/lbproxy.log" || fail "sandbox tripped at exit: $(grep sandbox: "$T/lbproxy.log")"

# --- 2. a forbidden call kills the process, with its name in the log -------------
# inject THREAD WHO: gdb makes thread THREAD call execve; lbproxy must die of
# SIGSYS (status 128 + 31) saying "... execve (59) in WHO: killing the process"
inject() {
	local out
	start_lbproxy "$T/pool.json" -w 2
	stats_cmd "show info" >/dev/null
	out=$(timeout 30 gdb -q -batch -p "$LB_PID" -ex 'handle SIGSYS nostop noprint pass' \
	    -ex "thread $1" -ex 'call (long)syscall(59, 0, 0, 0)' 2>&1 || true)
	wait_gone "$LB_PID" 5 || fail "lbproxy survived execve in $2: $out"
	LB_STATUS=0
	wait "$LB_PID" 2>/dev/null || LB_STATUS=$?
	assert_eq 159 "$LB_STATUS" "killed by SIGSYS after execve in $2"
	assert_eq 1 "$(grep -c "error: sandbox: forbidden system call execve (59) in $2: killing the process" \
	    "$T/lbproxy.log")" "the log line for execve in $2"
	: >"$T/lbproxy.log"
}
if command -v gdb >/dev/null 2>&1; then
	inject 2 "a worker thread"
	inject 1 "the main thread"
else
	note "no gdb: the forbidden call is only tested by tests/unit/test_sandbox"
fi

# --- 2b. big bodies: a worker's heap grows and shrinks ---------------------------
if command -v wrk >/dev/null 2>&1; then
	: >"$T/lbproxy.log"
	# big buffers on the heap, a low trim threshold: the worker's first
	# large free shrinks its heap
	GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=65536 \
	    start_lbproxy "$T/pool.json" -w 1
	wrk -t2 -c16 -d3s --timeout 5s "http://127.0.0.1:$vip/bytes/1048576" >"$T/wrk.log" 2>&1 ||
	    fail "wrk: $(cat "$T/wrk.log")"
	kill -0 "$LB_PID" 2>/dev/null || fail "lbproxy died under 1 MiB bodies: $(tail -n 3 "$T/lbproxy.log")"
	assert_match "$(grep -c 'requests in' "$T/wrk.log")" '^1$' "wrk ran"
	stop_lbproxy
	assert_eq 0 "$LB_STATUS" "exit status after 1 MiB bodies"
	! grep -q "sandbox:" "$T/lbproxy.log" || fail "sandbox tripped: $(grep sandbox: "$T/lbproxy.log")"
else
	note "no wrk: big bodies not tested"
fi

# --- 3. "sandbox": false ---------------------------------------------------------
LB_EXTRA='"sandbox": false' POOL_EXTRA=$hm write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN \
    "m1:$p1" "m2:$p2"
start_lbproxy "$T/pool.json" -w 2
stats_cmd "show info" >/dev/null
assert_eq 3 "$(threads Seccomp | grep -c '^0$')" "no thread filtered with sandbox false"
grep -q "sandbox: off (lbproxy.sandbox is false)" "$T/lbproxy.log" || fail "sandbox off not logged"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status without the sandbox"

# --- 4. Octavia: the lbproxy block, a reload adding a REGEX rule -------------------
# v2file FILE [POLICIES]: listener web (HTTP, default pool pa = b1), pool pb = b2
v2file() {
	cat >"$1" <<-EOF
	{"lbproxy": {"stats_socket": "$T/sock", "sandbox": true},
	 "loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1", "admin_state_up": true,
	  "listeners": [{"id": "web", "protocol": "HTTP", "protocol_port": $vip,
	    "admin_state_up": true, "default_pool_id": "pa", "l7policies": [${2:-}]}],
	  "pools": [
	    {"id": "pa", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", "admin_state_up": true,
	     "members": [{"id": "m1", "address": "127.0.0.1", "protocol_port": $p1}]},
	    {"id": "pb", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", "admin_state_up": true,
	     "members": [{"id": "m2", "address": "127.0.0.1", "protocol_port": $p2}]}]}}
	EOF
}
v2file "$T/lb.json"
: >"$T/lbproxy.log"
LB_WAIT_PORT=$vip start_lbproxy "$T/lb.json" -w 2
stats_cmd "show info" >/dev/null
assert_confined 3
assert_eq b1 "$(http_get "http://127.0.0.1:$vip/app/x")" "no policy yet: the default pool"
v2file "$T/lb.json" '{"id": "re", "action": "REDIRECT_TO_POOL", "position": 1,
    "redirect_pool_id": "pb", "admin_state_up": true,
    "rules": [{"id": "re-1", "type": "PATH", "compare_type": "REGEX", "value": "^/(app|ui)/"}]}'
kill -HUP "$LB_PID"
wait_until 5 grep -q "reloaded: generation 2" "$T/lbproxy.log" || fail "reload failed"
kill -0 "$LB_PID" || fail "lbproxy died on reload: $(tail -n 3 "$T/lbproxy.log")"
assert_eq b2 "$(http_get "http://127.0.0.1:$vip/app/x")" "REGEX rule added by the reload"
assert_eq b2 "$(http_get "http://127.0.0.1:$vip/ui/")" "REGEX rule, other branch"
assert_eq b1 "$(http_get "http://127.0.0.1:$vip/other")" "REGEX rule not matching"
! grep -q "sandbox:" "$T/lbproxy.log" || fail "sandbox tripped: $(grep sandbox: "$T/lbproxy.log")"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status of the Octavia load balancer"
