# lib.sh: shared helpers for lbproxy's end-to-end tests (bash, hitch style).
#
# Every tests/e2e/t_*.sh starts with:
#
#	[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
#	. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
#	e2e_init
#
# and exits 0 (pass), 1 (fail, via `fail`) or 77 (skip, via `skip`).
#
# Environment (set by `make check`; the defaults suit running a test by hand
# from the build directory, e.g. `bash ../tests/e2e/t_backend.sh`):
#	LBPROXY		lbproxy binary		(default ./lbproxy)
#	LBTEST_BACKEND	test backend binary	(default ./lbtest-backend)
#	TOP_SRCDIR	source tree		(default: two levels above lib.sh)
#	E2E_TIMEOUT	whole-test watchdog in seconds (default 120)
#	E2E_KEEP=1	keep the temp dir $T after the test
#	E2E_VERBOSE=1	dump the logs even when the test passes
#
# Everything is bounded in time and talks only to 127.0.0.1 / ::1 (or to a
# private network namespace, see netns_new).
#
# Functions (arguments in CAPS, [optional]):
#
#   e2e_init			set -eu; $T = private temp dir; EXIT trap that
#				kills every tracked process, deletes netns made
#				by netns_new, removes $T and, on failure, dumps
#				$T/*.log to stderr; starts the watchdog.
#   fail MSG...			print "FAIL: MSG" to stderr, exit 1
#   skip MSG...			print "SKIP: MSG", exit 77
#   note MSG...			print "# MSG" (progress, goes to the test log)
#   need_cmd CMD...		skip unless every CMD is in $PATH
#   need_root_netns		skip unless root and `ip netns add` works
#   netns_new [NAME]		create netns "lbe2e-$$-NAME" with lo up, set
#				E2E_NETNS to it (do not call inside $(...)).
#				From then on start_backend, start_lbproxy,
#				bg_run, wait_port, free_port, http_*,
#				tcp_exchange run inside it; nsrun CMD... runs
#				any other command there.
#   track_pid PID...		kill PID on exit too
#   bg_run NAME CMD...		run CMD in the background, output to
#				$T/NAME.log, tracked; sets BG_PID
#   free_port			print a TCP port free now on 127.0.0.1 (below
#				the ephemeral range, from a per-test block
#				derived from $$; safe in $(...))
#   wait_port PORT [SECS=5]	wait until something listens on PORT (checked
#				with ss, without connecting); 1 on timeout
#   wait_port_free PORT [SECS=5] wait until nothing listens on PORT
#   wait_gone PID [SECS=5]	wait until PID has exited; 1 on timeout
#   wait_file PATH [SECS=5]	wait until PATH exists; 1 on timeout
#   wait_until SECS CMD...	run CMD every 50 ms until it succeeds; 1 on
#				timeout
#   start_backend NAME PORT [tcp|http] [ARGS...]
#				start lbtest-backend -l 127.0.0.1:PORT -n NAME
#				-m MODE -p $T/backend-NAME.pid ARGS..., log
#				$T/backend-NAME.log (appended), wait (5 s) for
#				its "listening" line; PORT 0 = any port. Sets
#				BACKEND_PID and BACKEND_PORT (call it directly,
#				not inside $(...)). Extra -l ADDR:PORT in ARGS
#				add listeners (e.g. -l '[::1]:0').
#   stop_backend NAME [SIG=TERM] kill that backend, wait until it is gone
#   backend_pid NAME / backend_port NAME	print them
#   write_pool FILE VIP_PORT PROTO METHOD MEMBER...
#				write a Neutron-style pool file (see below)
#   start_lbproxy CONF [ARGS...]
#				run $LBPROXY -c CONF ARGS... in the background,
#				log $T/lbproxy.log (appended), set LB_PID and
#				wait (5 s) until the VIP port listens; fail with
#				the log if lbproxy exits first (see below)
#   stop_lbproxy [SIG=TERM] [SECS=5]
#				signal LB_PID, wait until it is gone, set
#				LB_STATUS to its exit status
#   stats_cmd CMD [SOCK=$STATS_SOCK or $T/sock]
#				send one stats-socket command, print the reply
#   http_get URL [CURL-ARGS...]	curl -s --max-time 5 URL: print the body
#   http_code URL [CURL-ARGS...]	print only the status code (000 = none)
#   http_headers URL [CURL-ARGS...] print the response head (CRs removed),
#				the body is discarded
#   http_py PORT [ARGS...]	run the python3 script on stdin (<<'PY' ... PY)
#				with tests/e2e/hlib.py importable (`from hlib
#				import *`: Conn, request, get, check,
#				member_requests, still_serves, refused; see its
#				docstrings) and VIP=PORT, the port its clients
#				connect to. Status: the script's.
#   lb_hwm			print the peak resident memory of lbproxy
#				($LB_PID) in KiB (VmHWM)
#   tcp_exchange [-n] PORT DATA [HOST=127.0.0.1]
#				connect, send DATA (printf %b escapes), shut
#				down the write side and print all that comes
#				back until EOF (5 s at most). Status 0, 1 on
#				timeout, 2 if the peer reset the connection
#				(what arrived before is still printed).
#				-n: no half-close; read until EOF or 1 s idle.
#   count_lines [PATTERN [FILE]]	number of lines of FILE (or stdin),
#				only those containing PATTERN if given
#   assert_eq EXPECTED ACTUAL [MSG]	assert_ne UNEXPECTED ACTUAL [MSG]
#   assert_contains HAYSTACK NEEDLE [MSG]	(fixed string)
#   assert_not_contains HAYSTACK NEEDLE [MSG]
#   assert_match HAYSTACK ERE [MSG]	(grep -E, any line)
#   assert_between VALUE MIN MAX [MSG]	(integers, inclusive)
#
# write_pool FILE VIP_PORT PROTO METHOD MEMBER...
#	PROTO is the vip and pool protocol (TCP, HTTP, HTTPS), or VIP/POOL
#	(e.g. HTTPS/HTTP). METHOD is ROUND_ROBIN, LEAST_CONNECTIONS or
#	SOURCE_IP. Each MEMBER is "id:port[:weight[:admin]]", address
#	127.0.0.1, weight default 1, admin up|down (default up). Writes vip
#	"vip1" (127.0.0.1:VIP_PORT), pool "pool1", the members and
#	"lbproxy": {"stats_socket": "$T/sock"}. Optional environment:
#	  VIP_ADDR	vip address (default 127.0.0.1; e.g. ::1)
#	  MEMBER_ADDR	member address (default 127.0.0.1)
#	  VIP_ADMIN	vip admin_state_up (default true)
#	  POOL_ADMIN	pool admin_state_up (default true)
#	  STATS_SOCK	stats socket path (default $T/sock)
#	  VIP_EXTRA	JSON members added inside "vip", e.g.
#			'"session_persistence": {"type": "HTTP_COOKIE"}'
#	  POOL_OBJ_EXTRA JSON members added inside "pool"
#	  LB_EXTRA	JSON members added inside "lbproxy", e.g.
#			'"retries": 1, "timeouts_ms": {"server": 500}'
#	  POOL_EXTRA	JSON members added at the top level, e.g.
#			'"healthmonitors": [{"id": "h1", "type": "HTTP",
#			"delay": 1, "timeout": 1, "max_retries": 2}]'
#	The *_EXTRA texts must not repeat a key write_pool writes itself
#	(lbproxy rejects duplicate keys). The file is checked to be valid JSON
#	when python3 is available. Example:
#	  POOL_EXTRA='"healthmonitors": [...]' write_pool "$T/pool.json" \
#	      "$vip" HTTP ROUND_ROBIN m1:"$p1" m2:"$p2":2 m3:"$p3":1:down
#
# start_lbproxy CONF [ARGS...]
#	The port waited for is LB_WAIT_PORT if set, otherwise the vip's
#	protocol_port (or Contrail "port") read from CONF. LB_WAIT_PORT=none
#	waits for the stats socket ($STATS_SOCK or $T/sock) instead (a vip
#	that is admin down listens on nothing). With -D in ARGS, the
#	foreground process must exit 0 within 5 s and LB_PID is read from the
#	-p PIDFILE given in ARGS (required then).

# --- basics ---------------------------------------------------------------

note() {
	echo "# $*"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# True if every argument is a command in $PATH.
_have() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || return 1
	done
}

need_cmd() {
	local c
	for c in "$@"; do
		_have "$c" || skip "needs $c"
	done
}

need_root_netns() {
	local probe="lbe2e-probe-$$"

	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
	_have ip || skip "needs ip (iproute2)"
	ip netns add "$probe" >/dev/null 2>&1 ||
	    skip "ip netns add does not work here"
	ip netns del "$probe" >/dev/null 2>&1 || true
}

# Set the array NSPFX to the command prefix that enters E2E_NETNS (or to
# nothing). Background jobs use it rather than nsrun, so that $! is the
# process itself and not a subshell around it.
_nspfx() {
	NSPFX=()
	if [ -n "${E2E_NETNS:-}" ]; then
		NSPFX=(ip netns exec "$E2E_NETNS")
	fi
}

# Run a command inside E2E_NETNS when one was made, else directly.
nsrun() {
	if [ -n "${E2E_NETNS:-}" ]; then
		ip netns exec "$E2E_NETNS" "$@"
	else
		"$@"
	fi
}

netns_new() {
	local ns="lbe2e-$$-${1:-ns}"

	need_root_netns
	ip netns add "$ns" || fail "ip netns add $ns"
	echo "$ns" >>"$T/.netns"
	ip -n "$ns" link set lo up || fail "ip -n $ns link set lo up"
	E2E_NETNS=$ns
}

# --- setup and cleanup ----------------------------------------------------

e2e_init() {
	set -eu
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy \
	    ALL_PROXY no_proxy NO_PROXY

	: "${TOP_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
	: "${LBPROXY:=$PWD/lbproxy}"
	: "${LBTEST_BACKEND:=$PWD/lbtest-backend}"
	E2E_NETNS=${E2E_NETNS:-}
	E2E_NAME=$(basename "$0" .sh)
	LB_PID=
	LB_STATUS=
	BG_PID=
	BACKEND_PID=
	BACKEND_PORT=

	T=$(mktemp -d "${TMPDIR:-/tmp}/lbe2e-$E2E_NAME.XXXXXX")
	: >"$T/.pids"
	trap _e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	_e2e_watchdog "${E2E_TIMEOUT:-120}"
}

# Stop the whole test (TERM to this shell, hence cleanup) after $1 seconds.
_e2e_watchdog() {
	local secs=$1 top=$$

	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$secs" &
		sp=$!
		wait "$sp"
		echo "FAIL: $E2E_NAME: timed out after ${secs}s" >&2
		kill -TERM "$top"
	) &
	track_pid $!
}

track_pid() {
	local p
	for p in "$@"; do
		echo "$p" >>"$T/.pids"
	done
}

# EXIT trap: kill what we started, delete namespaces, dump logs on failure.
_e2e_cleanup() {
	local rc=$? p="" f pids="" i

	set +eu
	if [ -f "$T/.pids" ]; then
		pids=$(cat "$T/.pids")
	fi
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for ((i = 0; i < 60; i++)); do
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -z "$p" ] && break
		sleep 0.05
	done
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ -f "$T/.netns" ]; then
		while read -r f; do
			ip netns del "$f" 2>/dev/null
		done <"$T/.netns"
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] || [ -n "${E2E_VERBOSE:-}" ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "----- $f (last 200 lines)" >&2
			tail -n 200 "$f" >&2
		done
		echo "----- end of logs ($E2E_NAME exit $rc)" >&2
	fi
	if [ -n "${E2E_KEEP:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}

bg_run() {
	local name=$1

	shift
	_nspfx
	${NSPFX[@]+"${NSPFX[@]}"} "$@" >>"$T/$name.log" 2>&1 &
	BG_PID=$!
	track_pid "$BG_PID"
}

# --- waiting ----------------------------------------------------------------

wait_until() {
	local secs=$1 i

	shift
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# True if something listens on TCP port $1 (any address).
_port_listening() {
	if _have ss; then
		[ -n "$(nsrun ss -Hltn "sport = :$1" 2>/dev/null)" ]
	else
		nsrun bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
	fi
}

_port_not_listening() {
	! _port_listening "$1"
}

wait_port() {
	wait_until "${2:-5}" _port_listening "$1" && return 0
	echo "wait_port: nothing listens on port $1 after ${2:-5}s" >&2
	return 1
}

wait_port_free() {
	wait_until "${2:-5}" _port_not_listening "$1" && return 0
	echo "wait_port_free: port $1 still listening after ${2:-5}s" >&2
	return 1
}

_pid_gone() {
	! kill -0 "$1" 2>/dev/null
}

wait_gone() {
	wait_until "${2:-5}" _pid_gone "$1" && return 0
	echo "wait_gone: process $1 still running after ${2:-5}s" >&2
	return 1
}

wait_file() {
	wait_until "${2:-5}" test -e "$1" && return 0
	echo "wait_file: $1 does not exist after ${2:-5}s" >&2
	return 1
}

# --- ports ------------------------------------------------------------------

# True if no TCP socket (any state, any address) uses local port $1.
_port_unused() {
	if _have ss; then
		[ -z "$(nsrun ss -Htan "sport = :$1" 2>/dev/null)" ]
	else
		! nsrun bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
	fi
}

free_port() {
	local lo=32768 hi=60999 base range start n p i

	if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
		read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	fi
	if [ "$lo" -gt 12000 ]; then
		base=10000
		range=$((lo - base))
	elif [ "$hi" -lt 64000 ]; then
		base=$((hi + 1))
		range=$((65536 - base))
	else
		base=20000
		range=10000
	fi
	# Each test walks its own block; the counter survives $(...).
	start=$(( ($$ * 64) % range ))
	n=$(cat "$T/.port" 2>/dev/null || echo 0)
	for ((i = 0; i < 500; i++)); do
		p=$((base + (start + n + i) % range))
		if _port_unused "$p"; then
			echo $((n + i + 1)) >"$T/.port"
			echo "$p"
			return 0
		fi
	done
	fail "free_port: no free port found"
}

# --- backends ---------------------------------------------------------------

start_backend() {
	local name=$1 port=$2 mode=http log pid i line

	shift 2
	case "${1:-}" in
	tcp|http)
		mode=$1
		shift
		;;
	esac
	[ -x "$LBTEST_BACKEND" ] ||
	    fail "LBTEST_BACKEND ($LBTEST_BACKEND) is not built"
	log="$T/backend-$name.log"
	echo "=== start_backend $name 127.0.0.1:$port $mode $*" >>"$log"
	rm -f "$T/backend-$name.pid" "$T/backend-$name.port"
	_nspfx
	${NSPFX[@]+"${NSPFX[@]}"} "$LBTEST_BACKEND" -l "127.0.0.1:$port" \
	    -n "$name" -m "$mode" -p "$T/backend-$name.pid" "$@" \
	    >>"$log" 2>&1 &
	pid=$!
	track_pid "$pid"

	# The pidfile is written after every listener is bound.
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/backend-$name.pid" ] && break
		kill -0 "$pid" 2>/dev/null ||
		    fail "backend $name exited: $(tail -n 5 "$log")"
		sleep 0.05
	done
	[ -s "$T/backend-$name.pid" ] ||
	    fail "backend $name not ready after 5s: $(tail -n 5 "$log")"
	line=$(grep '^listening 127\.0\.0\.1:' "$log" | tail -n 1)
	BACKEND_PORT=${line##*:}
	BACKEND_PID=$pid
	echo "$BACKEND_PORT" >"$T/backend-$name.port"
}

backend_pid() {
	cat "$T/backend-$1.pid"
}

backend_port() {
	cat "$T/backend-$1.port"
}

stop_backend() {
	local pid

	pid=$(cat "$T/backend-$1.pid" 2>/dev/null) ||
	    fail "stop_backend: no backend $1 running"
	kill -"${2:-TERM}" "$pid" 2>/dev/null || true
	wait_gone "$pid" 5 || fail "stop_backend: $1 (pid $pid) did not exit"
	rm -f "$T/backend-$1.pid"
}

# --- lbproxy ----------------------------------------------------------------

write_pool() {
	local file=$1 vport=$2 proto=$3 method=$4 vproto pproto
	local spec id port weight admin extra members="" sep=""

	shift 4
	vproto=${proto%%/*}
	pproto=${proto#*/}
	for spec in "$@"; do
		IFS=: read -r id port weight admin extra <<<"$spec"
		[ -n "$id" ] && [ -n "$port" ] && [ -z "$extra" ] ||
		    fail "write_pool: bad member '$spec' (id:port[:weight[:admin]])"
		case "${admin:-up}" in
		up|true|1) admin=true ;;
		down|false|0) admin=false ;;
		*) fail "write_pool: bad admin state in '$spec' (up|down)" ;;
		esac
		members+="$sep    {\"id\": \"$id\", \"address\": \"${MEMBER_ADDR:-127.0.0.1}\", \"protocol_port\": $port, \"weight\": ${weight:-1}, \"admin_state_up\": $admin}"
		sep=$',\n'
	done
	cat >"$file" <<EOF
{
  "vip": {"id": "vip1", "address": "${VIP_ADDR:-127.0.0.1}", "protocol_port": $vport,
          "protocol": "$vproto", "admin_state_up": ${VIP_ADMIN:-true}${VIP_EXTRA:+,
          $VIP_EXTRA}},
  "pool": {"id": "pool1", "protocol": "$pproto", "lb_method": "$method",
           "admin_state_up": ${POOL_ADMIN:-true}${POOL_OBJ_EXTRA:+,
           $POOL_OBJ_EXTRA}},
  "members": [
$members
  ],
  "lbproxy": {"stats_socket": "${STATS_SOCK:-$T/sock}"${LB_EXTRA:+,
              $LB_EXTRA}}${POOL_EXTRA:+,
  $POOL_EXTRA}
}
EOF
	if _have python3; then
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
		    "$file" || fail "write_pool: $file is not valid JSON"
	fi
}

# Print the vip port of pool file $1 (Neutron or Contrail dialect).
_conf_vip_port() {
	if _have python3; then
		python3 - "$1" <<'EOF'
import json, sys
vip = json.load(open(sys.argv[1])).get("vip", {})
print(vip.get("protocol_port", vip.get("port", "")))
EOF
	else
		grep -o '"protocol_port": *[0-9]*' "$1" | head -n 1 |
		    grep -o '[0-9]*$'
	fi
}

start_lbproxy() {
	local conf=$1 port pid daemon="" pidfile="" a prev="" i

	shift
	[ -x "$LBPROXY" ] || fail "LBPROXY ($LBPROXY) is not built"
	for a in "$@"; do
		[ "$a" = -D ] && daemon=1
		[ "$prev" = -p ] && pidfile=$a
		prev=$a
	done
	port=${LB_WAIT_PORT:-$(_conf_vip_port "$conf")}
	[ -n "$port" ] || fail "start_lbproxy: no vip port in $conf"

	echo "=== start_lbproxy -c $conf $*" >>"$T/lbproxy.log"
	_nspfx
	${NSPFX[@]+"${NSPFX[@]}"} "$LBPROXY" -c "$conf" "$@" \
	    >>"$T/lbproxy.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	if [ -n "$daemon" ]; then
		[ -n "$pidfile" ] || fail "start_lbproxy: -D needs -p PIDFILE"
		wait_gone "$pid" 5 || fail "start_lbproxy: -D did not return"
		wait "$pid" || fail "lbproxy -D exited $?: $(tail -n 5 "$T/lbproxy.log")"
		wait_file "$pidfile" 5 || fail "start_lbproxy: no $pidfile"
		pid=$(cat "$pidfile")
		track_pid "$pid"
	fi
	LB_PID=$pid

	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null ||
		    fail "lbproxy exited early: $(tail -n 5 "$T/lbproxy.log")"
		if [ "$port" = none ]; then
			[ -S "${STATS_SOCK:-$T/sock}" ] && return 0
		else
			_port_listening "$port" && return 0
		fi
		sleep 0.05
	done
	fail "lbproxy not ready (port $port) after 5s: $(tail -n 5 "$T/lbproxy.log")"
}

stop_lbproxy() {
	[ -n "$LB_PID" ] || fail "stop_lbproxy: lbproxy is not running"
	kill -"${1:-TERM}" "$LB_PID" 2>/dev/null || true
	wait_gone "$LB_PID" "${2:-5}" ||
	    fail "stop_lbproxy: lbproxy (pid $LB_PID) did not exit"
	LB_STATUS=0
	wait "$LB_PID" 2>/dev/null || LB_STATUS=$?
}

stats_cmd() {
	_have python3 || skip "needs python3 (stats socket client)"
	python3 - "${2:-${STATS_SOCK:-$T/sock}}" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode("utf-8", "replace"))
EOF
}

# --- clients ----------------------------------------------------------------

http_get() {
	local url=$1

	shift
	nsrun curl -s -g --noproxy '*' --max-time 5 "$@" "$url"
}

http_code() {
	local url=$1

	shift
	nsrun curl -s -g --noproxy '*' --max-time 5 -o /dev/null \
	    -w '%{http_code}' "$@" "$url" || true
}

http_headers() {
	local url=$1

	shift
	nsrun curl -s -g --noproxy '*' --max-time 5 -o /dev/null -D - \
	    "$@" "$url" | tr -d '\r'
}

http_py() {
	local port=$1

	shift
	_have python3 || skip "needs python3 (http_py)"
	[ -f "$T/hlib.py" ] || cp "$TOP_SRCDIR/tests/e2e/hlib.py" "$T/hlib.py"
	VIP=$port PYTHONPATH=$T nsrun python3 - "$@"
}

lb_hwm() {
	awk '/^VmHWM:/ {print $2}' "/proc/$LB_PID/status"
}

tcp_exchange() {
	local half=1 data

	if [ "${1:-}" = -n ]; then
		half=
		shift
	fi
	_have python3 || skip "needs python3 (tcp_exchange)"
	# The x keeps trailing newlines through $(...).
	data=$(printf '%bx' "$2")
	nsrun python3 - "${3:-127.0.0.1}" "$1" "${data%x}" "$half" <<'EOF'
import os, socket, sys, time
host, port, half = sys.argv[1], int(sys.argv[2]), sys.argv[4]
data = os.fsencode(sys.argv[3])
s = socket.create_connection((host, port), timeout=5)
out, rc = b"", 0
try:
    s.sendall(data)
    if half:
        s.shutdown(socket.SHUT_WR)
except OSError:
    rc = 2  # reset (or closed) before we were done sending
if not half:
    s.settimeout(1)
deadline = time.time() + 5
try:
    while time.time() < deadline:
        d = s.recv(65536)
        if not d:
            break
        out += d
    else:
        rc = 1
except socket.timeout:
    rc = 1 if half else rc
except ConnectionResetError:
    rc = 2
sys.stdout.write(out.decode("latin-1"))
sys.exit(rc)
EOF
}

# --- assertions -------------------------------------------------------------

count_lines() {
	local n

	if [ $# -eq 0 ]; then
		n=$(wc -l)
	elif [ $# -eq 1 ]; then
		n=$(grep -cF -- "$1" || true)
	else
		n=$(grep -cF -- "$1" "$2" || true)
	fi
	echo $((n + 0))
}

assert_eq() {
	[ "$1" = "$2" ] ||
	    fail "${3:-assert_eq}: expected '$1', got '$2'"
}

assert_ne() {
	[ "$1" != "$2" ] ||
	    fail "${3:-assert_ne}: got '$2', expected something else"
}

assert_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-assert_contains}: '$2' not found in: $1" ;;
	esac
}

assert_not_contains() {
	case "$1" in
	*"$2"*) fail "${3:-assert_not_contains}: '$2' found in: $1" ;;
	esac
}

assert_match() {
	printf '%s\n' "$1" | grep -qE -- "$2" ||
	    fail "${3:-assert_match}: /$2/ does not match: $1"
}

assert_between() {
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ] ||
	    fail "${4:-assert_between}: $1 is not in $2..$3"
}
