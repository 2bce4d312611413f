#!/bin/bash
# t_logging: lbproxy.log to a file: the start line and health transitions at
# notice, one access-log line per HTTP request in the documented format
# (client vip member "request line" status bytes time), per-connection lines
# at info naming the session, VIP, client and member; the level is honoured;
# the syslog target sends daemon.<level> datagrams to /dev/log.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl

start_backend b1 0 http; p1=$BACKEND_PORT
vip=$(free_port)
LB_EXTRA="\"log\": {\"target\": \"$T/lb-file.log\", \"level\": \"info\", \"access_log\": true}" \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/pool.json" -w 1
for i in 1 2 3; do http_get "http://127.0.0.1:$vip/echo?n=$i" >/dev/null; done
http_code "http://127.0.0.1:$vip/status/404" >/dev/null
wait_until 5 grep -q '/status/404' "$T/lb-file.log" || fail "no access-log line in the log file"
cat "$T/lb-file.log"
grep -q "notice: lbproxy .* started: vip vip1 HTTP 127.0.0.1:$vip" "$T/lb-file.log" ||
	fail "start line not in the log file"
assert_eq 3 "$(grep -cE "127\.0\.0\.1:[0-9]+ vip=vip1 member=m1 \"GET /echo\?n=[123] HTTP/1\.1\" 200 [0-9]+ [0-9]+ms$" "$T/lb-file.log")" \
	"access-log lines for the 3 GETs"
grep -qE "member=m1 \"GET /status/404 HTTP/1\.1\" 404 " "$T/lb-file.log" || fail "404 not logged"
# nothing of this goes to stderr when a file is the target
if grep -q "vip=vip1 member=m1" "$T/lbproxy.log"; then fail "access log went to stderr too"; fi
stop_lbproxy

# level notice: access log still written (it is asked for), info lines are not
rm -f "$T/lb-file.log"
LB_EXTRA="\"log\": {\"target\": \"$T/lb-file.log\", \"level\": \"notice\"}" \
	write_pool "$T/pool2.json" "$vip" HTTP ROUND_ROBIN "m1:$p1:1" "dead:$(free_port)"
start_lbproxy "$T/pool2.json" -w 1
for i in 1 2 3 4; do http_get "http://127.0.0.1:$vip/" >/dev/null || true; done
stop_lbproxy
grep -q "started" "$T/lb-file.log" || fail "notice line missing"
if grep -q "info:" "$T/lb-file.log"; then fail "info lines written at level notice"; fi
if grep -q '"GET /' "$T/lb-file.log"; then fail "access log written although not enabled"; fi

# Syslog target: the lines reach /dev/log with facility daemon, the process
# tag and the level's priority. /dev/log is a socket this test reads, put in
# place in a private mount namespace (root and unshare needed; else skipped).
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1 ||
    ! unshare -m true 2>/dev/null; then
	note "syslog target: skipped (needs root and unshare -m)"
	exit 0
fi
mkdir -p "$T/dev"
for n in null zero urandom random; do : >"$T/dev/$n"; done
python3 - "$T/dev/log" "$T/syslog.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "ab", buffering=0) as out:
    try:
        while True:
            out.write(s.recv(8192) + b"\n")
    except socket.timeout:
        pass
PY
track_pid $!
wait_until 5 test -S "$T/dev/log" || fail "syslog test socket not created"
# the same mounts as below, once, to skip where they are not allowed
if ! unshare -m --propagation private sh -c '
	for n in null zero urandom random; do mount --bind "/dev/$n" "$1/dev/$n" || exit 1; done
	mount --bind "$1/dev" /dev && test -S /dev/log' sh "$T" 2>/dev/null; then
	note "syslog target: skipped (bind mounts over /dev not allowed here)"
	exit 0
fi
LB_EXTRA='"log": {"target": "syslog", "access_log": true}' \
	write_pool "$T/pool3.json" "$vip" HTTP ROUND_ROBIN "m1:$p1"
# unshare execs sh, which execs lbproxy: $! is lbproxy
unshare -m --propagation private sh -c '
	for n in null zero urandom random; do mount --bind "/dev/$n" "$1/dev/$n" || exit 2; done
	mount --bind "$1/dev" /dev || exit 2
	exec "$2" -c "$3" -w 1' sh "$T" "$LBPROXY" "$T/pool3.json" >>"$T/lbproxy.log" 2>&1 &
sl_lb=$!
track_pid "$sl_lb"
wait_port "$vip" || fail "lbproxy with the syslog target did not start: $(tail -n 3 "$T/lbproxy.log")"
http_get "http://127.0.0.1:$vip/echo?syslog=1" >/dev/null || fail "request through lbproxy (syslog target)"
# daemon.notice = <29>, daemon.info = <30>
wait_until 5 grep -q 'syslog=1' "$T/syslog.out" || fail "access-log line did not reach syslog"
cat "$T/syslog.out"
grep -qE "^<29>.*lbproxy\[$sl_lb\]: lbproxy .* started: vip vip1" "$T/syslog.out" ||
	fail "start line not sent to syslog as daemon.notice with the pid"
grep -qE "^<30>.*lbproxy\[$sl_lb\]: 127\.0\.0\.1:[0-9]+ vip=vip1 member=m1 \"GET /echo\?syslog=1 HTTP/1\.1\" 200 " "$T/syslog.out" ||
	fail "access-log line not sent to syslog as daemon.info"
if grep -q 'syslog=1' "$T/lbproxy.log"; then fail "syslog target also wrote to stderr"; fi
kill "$sl_lb"
wait "$sl_lb" 2>/dev/null || true
