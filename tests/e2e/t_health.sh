#!/bin/bash
# t_health: health monitors against a real lbproxy (SPEC sections 3 and 5).
# HTTP monitor (delay 1, timeout 1, max_retries 2, rise 2) over three HTTP
# members whose /health answers what a file says: a 500 (L7STS), a hang past
# the timeout (L7TOUT), a closed port (L4CON) and a close without answer
# (L7RSP) each take a member DOWN within delay*max_retries+timeout, with the
# exact transition line logged once, and new traffic moves off it while
# requests already on it complete; back to 200 brings it UP after `rise`
# successes.
# Nothing UP: 503 at once, or with fail_open balance over the DOWN ones. New
# members are CHECKING and take traffic only while no other member is UP. A
# TCP VIP with a TCP monitor closes connections when every member is DOWN,
# and a member going DOWN keeps its established connections.
#
# Detection and recovery times (config change -> transition line) are printed
# as "# time ..." lines; E2E_VERBOSE=1 shows them with the logs.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3

MON_HTTP='{"id": "hm1", "type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 2,
	    "url_path": "/health", "expected_codes": "200"}'
# Slack over the configured bound for timer jitter (10%) and scheduling.
SLACK_MS=1500

# set_health NAME VALUE: what backend NAME's /health answers (written
# atomically, so a check never reads a half-written file).
set_health() {
	printf '%s\n' "$2" >"$T/health-$1.tmp"
	mv -f "$T/health-$1.tmp" "$T/health-$1"
}

# hbackend NAME: an HTTP backend whose /health follows $T/health-NAME (200).
hbackend() {
	set_health "$1" 200
	start_backend "$1" 0 http -q -H "$T/health-$1"
}

# mark: remember the end of the log and the time; log_has and line_ms look
# only at what comes after.
mark() {
	touch "$T/lbproxy.log"
	MARK=$(wc -l <"$T/lbproxy.log")
	T0=$(date +%s%3N)
}

log_has() {
	tail -n +"$((MARK + 1))" "$T/lbproxy.log" | grep -qF -- "$1"
}

# wait_log SECS TEXT: fail unless TEXT is logged (after the mark) within SECS.
wait_log() {
	wait_until "$1" log_has "$2" ||
	    fail "not logged within $1 s: $2"
}

# line_ms TEXT: the time (epoch ms) of the first line after the mark with TEXT.
line_ms() {
	local ts

	ts=$(tail -n +"$((MARK + 1))" "$T/lbproxy.log" | grep -F -- "$1" |
	    head -n 1 | cut -d' ' -f1)
	date -d "${ts/T/ }" +%s%3N
}

# elapsed WHAT TEXT MIN MAX: the time from the mark to the TEXT line must be
# in MIN..MAX ms; printed for the record.
elapsed() {
	local dt

	dt=$(( $(line_ms "$2") - T0 ))
	note "time $1: $dt ms (allowed $3..$4)"
	assert_between "$dt" "$3" "$4" "$1 took $dt ms"
}

# transition ID PORT FROM TO REASON COUNT: the exact notice health.c logs.
transition() {
	echo "member $1 (127.0.0.1:$2) $3 -> $4: $5 ($6)"
}

# burst N: N HTTP requests to the VIP, one connection each; prints one line
# per request: "NAME 200" (the backend's answer) or "- CODE".
burst() {
	local i o

	for ((i = 0; i < $1; i++)); do
		o=$(http_get "http://127.0.0.1:$vip/" -w ' %{http_code}' || true)
		o=$(echo $o)
		case "$o" in
		*" 200") echo "${o%% *} 200" ;;
		*) echo "- ${o##* }" ;;
		esac
	done
}

# n_of OUTPUT NAME: how many requests NAME answered with 200.
n_of() {
	printf '%s\n' "$1" | grep -cx -- "$2 200" || true
}

# stat MEMBER FIELD: a field of MEMBER's "show stat" row (empty if none).
stat() {
	stats_cmd "show stat" 2>/dev/null | awk -F, -v m="$1" -v f="$2" '
	    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
	    $2 == m { print $(col[f]); exit }'
}

STATS_OK=
if_stats() {
	if [ -z "$STATS_OK" ]; then
		if stats_cmd "show stat" 2>/dev/null | head -n 1 |
		    grep -q '^# pxname,svname,'; then
			STATS_OK=yes
		else
			STATS_OK=no
			note "show stat does not answer yet: stats assertions skipped"
		fi
	fi
	[ "$STATS_OK" = yes ]
}

# assert_stat MEMBER STATUS CHECK_STATUS
assert_stat() {
	if_stats || return 0
	assert_eq "$2" "$(stat "$1" status)" "show stat status of $1"
	assert_eq "$3" "$(stat "$1" check_status)" "show stat check_status of $1"
}

# reload FILE: SIGHUP, wait until the new generation is in force.
reload() {
	local gen=$1

	mark
	kill -HUP "$LB_PID"
	wait_log 5 "reloaded: generation $gen,"
}

# --- 1. HTTP VIP, HTTP monitor over three members ------------------------
hbackend b1; p1=$BACKEND_PORT
hbackend b2; p2=$BACKEND_PORT
hbackend b3; p3=$BACKEND_PORT
vip=$(free_port)
POOL_EXTRA="\"healthmonitors\": [$MON_HTTP]" LB_EXTRA='"health": {"rise": 2}' \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN m1:"$p1" m2:"$p2" m3:"$p3"
mark
start_lbproxy "$T/pool.json" -w 2
for m in "m1 $p1" "m2 $p2" "m3 $p3"; do
	set -- $m
	line=$(transition "$1" "$2" CHECKING UP "HTTP status 200" "first check")
	wait_log 3 "$line"
	elapsed "first verdict of $1 (delay 1)" "$line" 0 $((1000 + SLACK_MS))
done
out=$(burst 30)
for b in b1 b2 b3; do
	assert_eq 10 "$(n_of "$out" $b)" "round robin over three UP members ($b)"
done
assert_stat m1 UP L7OK

# 1a. /health answers 500: DOWN after max_retries failures, L7STS.
# Three slow requests (one per member, round robin) are in flight meanwhile:
# the one on m1 must complete although m1 goes DOWN under it.
slow=()
for i in 1 2 3; do
	http_get "http://127.0.0.1:$vip/delay/4000" -w ' %{http_code}' \
	    >"$T/slow$i.out" 2>&1 &
	slow+=($!)
	track_pid $!
done
mark
set_health b1 500
line=$(transition m1 "$p1" UP DOWN "HTTP status 500, expected 200" 2/2)
wait_log 5 "$line"
# at least one interval (the second failure), at most delay*max_retries+timeout
elapsed "detect HTTP 500" "$line" 800 $((3000 + SLACK_MS))
for i in 1 2 3; do
	[ ! -s "$T/slow$i.out" ] ||
	    fail "slow request $i ended before m1 went DOWN: $(cat "$T/slow$i.out")"
done
out=$(burst 20)
assert_eq 0 "$(n_of "$out" b1)" "a DOWN member gets no traffic"
assert_eq 20 $(( $(n_of "$out" b2) + $(n_of "$out" b3) )) "all 200 from b2/b3: $out"
assert_stat m1 DOWN L7STS
if if_stats; then
	assert_eq 500 "$(stat m1 check_code)" "show stat check_code of m1"
fi
for i in 1 2 3; do
	wait "${slow[$((i - 1))]}" || true
done
out=$(for i in 1 2 3; do echo $(cat "$T/slow$i.out"); done | sort)
assert_eq "$(printf 'b1 200\nb2 200\nb3 200')" "$out" \
    "requests in flight on a member going DOWN complete"
# only the change is logged, not every failing check after it
assert_eq 1 "$(tail -n +"$((MARK + 1))" "$T/lbproxy.log" | count_lines "member m1 (")" \
    "m1's transition is logged once"

# 1b. /health hangs past the timeout: DOWN with a timeout reason, L7TOUT.
mark
set_health b2 hang
line=$(transition m2 "$p2" UP DOWN "HTTP response timeout" 2/2)
wait_log 6 "$line"
# each of the two failing checks waits out the 1 s timeout
elapsed "detect hang (timeout 1)" "$line" 1500 $((3000 + SLACK_MS))
out=$(burst 20)
assert_eq 20 "$(n_of "$out" b3)" "only b3 is UP: $out"
assert_stat m2 DOWN L7TOUT

# 1c. Recovery: back to 200, UP after rise (2) consecutive successes.
mark
set_health b1 200
set_health b2 200
line1=$(transition m1 "$p1" DOWN UP "HTTP status 200" 2/2)
line2=$(transition m2 "$p2" DOWN UP "HTTP status 200" 2/2)
wait_log 6 "$line1"
wait_log 6 "$line2"
# rise*delay, plus a hanging check still running for up to the timeout
elapsed "recover from 500 (rise 2)" "$line1" 800 $((2000 + SLACK_MS))
elapsed "recover from hang (rise 2)" "$line2" 800 $((3000 + SLACK_MS))
out=$(burst 30)
for b in b1 b2 b3; do
	assert_eq 10 "$(n_of "$out" $b)" "traffic back on every member ($b)"
done
assert_stat m2 UP L7OK

# 1d. The port closes: DOWN with "connection refused", L4CON.
mark
stop_backend b3
line=$(transition m3 "$p3" UP DOWN "connection refused" 2/2)
wait_log 5 "$line"
elapsed "detect closed port" "$line" 800 $((3000 + SLACK_MS))
out=$(burst 20)
assert_eq 10 "$(n_of "$out" b1)" "b1 takes half once m3 is DOWN: $out"
assert_eq 10 "$(n_of "$out" b2)" "b2 takes half once m3 is DOWN: $out"
assert_stat m3 DOWN L4CON

# 1e. Nothing UP: 503 at once. (b2 closes the check connection without
# answering: L7RSP.)
mark
set_health b1 500
set_health b2 close
wait_log 5 "$(transition m1 "$p1" UP DOWN "HTTP status 500, expected 200" 2/2)"
wait_log 5 "$(transition m2 "$p2" UP DOWN "connection closed without response" 2/2)"
assert_stat m2 DOWN L7RSP
for i in 1 2 3; do
	t=$(date +%s%3N)
	code=$(http_code "http://127.0.0.1:$vip/")
	dt=$(( $(date +%s%3N) - t ))
	assert_eq 503 "$code" "every member DOWN: 503"
	assert_between "$dt" 0 999 "the 503 came after $dt ms"
done
note "time 503 with every member DOWN: $dt ms"

# 1f. A new member is CHECKING until its first verdict, and takes traffic
# while no other member is UP. Its /health hangs and the timeout is 5 s, so
# it stays CHECKING for at least 5 s after the reload.
hbackend b4; p4=$BACKEND_PORT
set_health b4 hang
MON5='{"id": "hm1", "type": "HTTP", "delay": 5, "timeout": 5, "max_retries": 2,
	"url_path": "/health", "expected_codes": "200"}'
POOL_EXTRA="\"healthmonitors\": [$MON5]" LB_EXTRA='"health": {"rise": 2}' \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN m1:"$p1" m2:"$p2" m3:"$p3" m4:"$p4"
reload 2
out=$(burst 10)
log_has "member m4 (127.0.0.1:$p4) CHECKING ->" &&
    fail "m4 had a verdict within 5 s although its check hangs"
assert_eq 10 "$(n_of "$out" b4)" "a CHECKING member takes traffic when none is UP: $out"
if if_stats; then
	assert_eq INI "$(stat m4 check_status)" "show stat check_status of m4 before its first check ends"
fi

# 1g. fail_open: every member DOWN -> balance over all admin-up members.
# (m3's port is closed: connections to it fail over to the next member.)
POOL_EXTRA="\"healthmonitors\": [$MON_HTTP]" \
	LB_EXTRA='"health": {"rise": 2, "fail_open": true}' \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN m1:"$p1" m2:"$p2" m3:"$p3"
reload 3
assert_stat m1 DOWN L7STS
out=$(burst 20)
assert_eq 20 $(( $(n_of "$out" b1) + $(n_of "$out" b2) )) "fail_open: all 200 from DOWN members: $out"
assert_between "$(n_of "$out" b1)" 6 14 "fail_open balances over the DOWN members: $out"
assert_eq 0 "$(n_of "$out" b4)" "a removed member gets no traffic"
# ... and only while nothing is UP
mark
set_health b1 200
wait_log 5 "$(transition m1 "$p1" DOWN UP "HTTP status 200" 2/2)"
out=$(burst 10)
assert_eq 10 "$(n_of "$out" b1)" "fail_open ends once a member is UP: $out"
stop_lbproxy
stop_backend b4

# --- 2. New members are CHECKING: no traffic while others are UP ----------
# delay 5 leaves a new member CHECKING for up to 5 s after the reload; b5
# answers 500, b6 hangs (so m6 stays CHECKING for at least 5 s).
set_health b1 200
set_health b2 200
vip=$(free_port)
POOL_EXTRA="\"healthmonitors\": [$MON_HTTP]" \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN m1:"$p1" m2:"$p2"
mark
start_lbproxy "$T/pool.json" -w 2
wait_log 3 "member m1 (127.0.0.1:$p1) CHECKING -> UP"
wait_log 3 "member m2 (127.0.0.1:$p2) CHECKING -> UP"
hbackend b5; p5=$BACKEND_PORT
hbackend b6; p6=$BACKEND_PORT
set_health b5 500
set_health b6 hang
POOL_EXTRA="\"healthmonitors\": [$MON5]" \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN m1:"$p1" m2:"$p2" m5:"$p5" m6:"$p6"
reload 2
out=$(burst 20)
if log_has "member m5 (127.0.0.1:$p5) CHECKING"; then
	note "m5's first check ended before the requests did (random start)"
fi
assert_eq 0 "$(n_of "$out" b5)" "a CHECKING member gets no traffic while others are UP"
assert_eq 0 "$(n_of "$out" b6)" "a CHECKING member gets no traffic while others are UP"
assert_eq 20 $(( $(n_of "$out" b1) + $(n_of "$out" b2) )) "all 200 from the UP members: $out"
line=$(transition m5 "$p5" CHECKING DOWN "HTTP status 500, expected 200" "first check")
wait_log 6 "$line"
elapsed "first verdict after the reload (delay 5)" "$line" 0 $((5000 + SLACK_MS))
assert_stat m5 DOWN L7STS
out=$(burst 10)
assert_eq 0 $(( $(n_of "$out" b5) + $(n_of "$out" b6) )) "no traffic to m5/m6: $out"
stop_lbproxy
stop_backend b5
stop_backend b6

# --- 3. TCP VIP, TCP monitor ------------------------------------------------
# greet N: open N connections to the VIP; print who greeted each ("-" if the
# connection was closed without a greeting) and the ms until it ended.
greet() {
	python3 - "$vip" "$1" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    t = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        line = s.makefile("rb").readline().split()
    except (ConnectionResetError, socket.timeout):
        line = []
    ms = int((time.monotonic() - t) * 1000)
    print(line[1].decode() if len(line) > 1 else "-", ms)
    s.close()
PY
}

start_backend t1 0 tcp -q; q1=$BACKEND_PORT
start_backend t2 0 tcp -q; q2=$BACKEND_PORT
vip=$(free_port)
POOL_EXTRA='"healthmonitors": [{"id": "hm2", "type": "TCP", "delay": 1, "timeout": 1, "max_retries": 2}]' \
	write_pool "$T/pool.json" "$vip" TCP ROUND_ROBIN m1:"$q1" m2:"$q2"
mark
start_lbproxy "$T/pool.json" -w 2
wait_log 3 "$(transition m1 "$q1" CHECKING UP connected "first check")"
wait_log 3 "$(transition m2 "$q2" CHECKING UP connected "first check")"
out=$(greet 10)
assert_eq 5 "$(printf '%s\n' "$out" | grep -c '^t1 ')" "TCP round robin: $out"

mark
stop_backend t1
line=$(transition m1 "$q1" UP DOWN "connection refused" 2/2)
wait_log 5 "$line"
elapsed "TCP monitor: detect closed port" "$line" 800 $((3000 + SLACK_MS))
assert_stat m1 DOWN L4CON
out=$(greet 10)
assert_eq 10 "$(printf '%s\n' "$out" | grep -c '^t2 ')" "connections go to t2 only: $out"

mark
stop_backend t2
wait_log 5 "$(transition m2 "$q2" UP DOWN "connection refused" 2/2)"
out=$(greet 3)
while read -r who ms; do
	assert_eq - "$who" "every member DOWN: closed without a greeting"
	assert_between "$ms" 0 999 "every member DOWN: closed at once ($ms ms)"
done <<<"$out"
note "time TCP close with every member DOWN: $(echo $out)"
stop_lbproxy

# --- 4. A member going DOWN keeps its established connections --------------
# TCP VIP, HTTP monitor: the members' HTTP servers answer both the checks and
# the relayed connections. A raw connection through the VIP sends one request,
# the member goes DOWN, then a second request on the same connection.
hbackend d1; r1=$BACKEND_PORT
hbackend d2; r2=$BACKEND_PORT
vip=$(free_port)
POOL_EXTRA="\"healthmonitors\": [$MON_HTTP]" \
	write_pool "$T/pool.json" "$vip" TCP ROUND_ROBIN m1:"$r1" m2:"$r2"
mark
start_lbproxy "$T/pool.json" -w 2
wait_log 3 "member m1 (127.0.0.1:$r1) CHECKING -> UP"
wait_log 3 "member m2 (127.0.0.1:$r2) CHECKING -> UP"

cat >"$T/keep.py" <<'PY'
import os, socket, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
def req(n):
    s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\n\r\n")
    status = f.readline().split()
    who, length = "-", 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        k, _, v = h.decode().partition(":")
        if k.lower() == "x-backend":
            who = v.strip()
        elif k.lower() == "content-length":
            length = int(v)
    f.read(length)
    print(n, status[1].decode() if len(status) > 1 else "-", who, flush=True)
req(1)
deadline = time.time() + 30
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.05)
req(2)
PY
bg_run keep python3 "$T/keep.py" "$vip" "$T/go"
keep_pid=$BG_PID
wait_until 5 grep -q '^1 ' "$T/keep.log" || fail "no first answer on the kept connection"
first=$(head -n 1 "$T/keep.log")
set -- $first
assert_eq 200 "$2" "first request on the kept connection"
who=$3
case "$who" in
d1) id=m1 port=$r1 other=d2 ;;
d2) id=m2 port=$r2 other=d1 ;;
*) fail "kept connection: unexpected backend '$who'" ;;
esac
mark
set_health "$who" 500
wait_log 5 "$(transition "$id" "$port" UP DOWN "HTTP status 500, expected 200" 2/2)"
touch "$T/go"
wait_gone "$keep_pid" 5 || fail "no second answer on the kept connection"
assert_eq "2 200 $who" "$(sed -n 2p "$T/keep.log")" \
    "the connection to the DOWN member still works"
out=$(tcp_exchange "$vip" 'GET / HTTP/1.0\r\n\r\n' | tr -d '\r' | grep '^X-Backend:')
assert_eq "X-Backend: $other" "$out" "new connections avoid the DOWN member"
kill -0 "$LB_PID" || fail "lbproxy died"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"
