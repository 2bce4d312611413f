#!/bin/bash
# t_tcp_accept_log: out of descriptors (EMFILE), every worker pauses and
# retries accept() every 100 ms for as long as it lasts; the log must not
# get a line per pause and worker (up to 20 a second with two workers) but
# at most one every 5 s for the whole process, counting the pauses since
# the previous line (issue 15 item 18). The listener is HTTP and the clients
# send nothing, so accept() is the only call that takes descriptors: with a
# TCP listener each client also takes a member socket, and which of the two
# calls runs out first would depend on the workers' interleaving.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3 prlimit

start_backend b1 0; p1=$BACKEND_PORT
vip=$(free_port)
LB_EXTRA='"maxconn": 1000' write_pool "$T/mf.json" "$vip" HTTP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/mf.json" -w 2
n0=$(wc -l <"$T/lbproxy.log")
prlimit --pid "$LB_PID" --nofile=48:48 || fail "prlimit failed"

# 60 clients, most of them left in the backlog, for 6.5 s: over a whole
# 5 s interval and into the next one.
python3 - "$vip" <<'PY' || fail "EMFILE setup"
import socket, sys, time
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(60)]
time.sleep(6.5)
for s in socks:
    s.close()
PY
log=$(tail -n +$((n0 + 1)) "$T/lbproxy.log")
lines=$(printf '%s\n' "$log" | count_lines "Too many open files")
note "$lines out-of-descriptors lines in 6.5 s"
printf '%s\n' "$log" | grep "Too many open files" || true
assert_between "$lines" 1 2 "out-of-descriptors lines in 6.5 s"
# the first line counts its own pause (and the other worker's if it paused at
# the same moment); the next one all since (many, from two workers)
assert_match "$log" "accept: Too many open files; accepting paused 100 ms \(pauses since the last such line: [12],"
if [ "$lines" -eq 2 ]; then
	n=$(printf '%s\n' "$log" | sed -n 's/.*Too many open files.*such line: \([0-9]*\),.*/\1/p' | tail -n 1)
	assert_between "$n" 10 1000 "pauses counted in the second line"
fi
# still serving once descriptors are back
assert_eq 200 "$(http_code "http://127.0.0.1:$vip/")" "served after the pause"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
