#!/bin/bash
# t_deploy_systemd: examples/deploy/systemd/lbproxy@.service (and its
# lbproxy@.service.d/netns.conf drop-in). systemd is not PID 1 here, so:
#  - `systemd-analyze verify` accepts the unit, alone and with the drop-in,
#    without a single warning (skipped, with a note, where systemd-analyze
#    is missing);
#  - the unit says what the deployment story promises: Type=simple
#    (foreground), a -t check before start and before reload, SIGUSR1 stop
#    bounded by a TimeoutStopSec >= the default drain, KillSignal=SIGTERM,
#    Restart=on-failure, LimitNOFILE, CAP_SYS_ADMIN only in the drop-in;
#  - the unit's own ExecStartPre/ExecStart/ExecReload/ExecStop lines, read
#    from the file (%i, paths and the binary substituted), run in order as
#    systemd would (EnvironmentFile, $MAINPID), under the unit's
#    CapabilityBoundingSet and NoNewPrivileges (setpriv) in a private
#    namespace: the VIP on port 80 binds and a PING health check works with
#    only those capabilities; ExecReload refuses a bad file (non-zero, the
#    service keeps running its config) and applies a good one in place;
#    ExecStop drains (a request in flight completes) and returns once
#    lbproxy has exited 0; ExecStartPre refuses a bad file;
#  - the drop-in: --netns qlbaas-%i with its bounding set runs lbproxy in
#    that namespace; without CAP_SYS_ADMIN it cannot (exit 2);
#  - every system call lbproxy makes (start, traffic, health checks, stats,
#    reload, graceful stop; under strace) is in SystemCallFilter, and every
#    socket family in RestrictAddressFamilies.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "${E2E_LIB:-$0}")/unitlib.sh"
e2e_init
need_cmd python3 curl

UNIT_DIR=$TOP_SRCDIR/examples/deploy/systemd
UNIT=$UNIT_DIR/lbproxy@.service
DROPIN=$UNIT_DIR/lbproxy@.service.d/netns.conf
inst=lbe2e-$$
lib=$T/lib
dir=$lib/$inst

# The unit's paths, moved into $T: the binary, the state directory.
localize() {
	sed -e "s#/usr/sbin/lbproxy#$LBPROXY#g" -e "s#/var/lib/lbproxy#$lib#g"
}

info_field() {
	stats_cmd "show info" "$dir/sock" | sed -n "s/^$1: //p"
}

# Stop what runs in the namespaces given and lib.sh does not track (daemons,
# keepalived's children), so nothing outlives the test; lib.sh then stops
# the tracked ones and deletes the namespaces. Should $T be gone, do it
# all here.
ns_cleanup() {
	local ns p tracked=

	[ -f "$T/.pids" ] && tracked=1
	for ns in "$@"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			[ -n "$tracked" ] && grep -qx "$p" "$T/.pids" && continue
			kill -KILL "$p" 2>/dev/null
		done
		[ -n "$tracked" ] || ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# --- 1. systemd-analyze verify ---------------------------------------------
mkdir -p "$T/units/lbproxy@.service.d"
localize <"$UNIT" >"$T/units/lbproxy@.service"
if _have systemd-analyze; then
	rc=0
	systemd-analyze verify --man=no "$T/units/lbproxy@$inst.service" \
	    >"$T/verify.log" 2>&1 || rc=$?
	assert_eq "0:" "$rc:$(cat "$T/verify.log")" "systemd-analyze verify lbproxy@.service"
	# The drop-in is found through the unit path, as in /etc/systemd/system.
	localize <"$DROPIN" >"$T/units/lbproxy@.service.d/netns.conf"
	rc=0
	SYSTEMD_UNIT_PATH=$T/units: systemd-analyze verify --man=no \
	    "$T/units/lbproxy@$inst.service" >"$T/verify.log" 2>&1 || rc=$?
	assert_eq "0:" "$rc:$(cat "$T/verify.log")" "systemd-analyze verify with netns.conf"
	printf '[Service]\nNoSuchSetting=1\n' >"$T/units/lbproxy@.service.d/zz-typo.conf"
	SYSTEMD_UNIT_PATH=$T/units: systemd-analyze verify --man=no \
	    "$T/units/lbproxy@$inst.service" >"$T/verify.log" 2>&1 || true
	assert_contains "$(cat "$T/verify.log")" "NoSuchSetting" "verify reads the drop-in directory"
	rm -rf "$T/units/lbproxy@.service.d"
else
	note "systemd-analyze is missing: unit not verified (commands still tested)"
fi

# --- 2. what the unit promises ---------------------------------------------
assert_eq simple "$(unit_value Type "$UNIT")" "Type"
assert_match "$(unit_value ExecStartPre "$UNIT")" '^/usr/sbin/lbproxy -t -c /var/lib/lbproxy/'"$inst"'/pool\.json$' "ExecStartPre"
assert_match "$(unit_value ExecStart "$UNIT")" '^/usr/sbin/lbproxy -c /var/lib/lbproxy/'"$inst"'/pool\.json( |$)' "ExecStart"
assert_not_contains "$(unit_value ExecStart "$UNIT")" " -D" "ExecStart stays in the foreground"
assert_contains "$(unit_value ExecReload "$UNIT")" "lbproxy -t -c /var/lib/lbproxy/$inst/pool.json && /bin/kill -HUP" "ExecReload"
assert_contains "$(unit_value ExecStop "$UNIT")" "-USR1" "ExecStop"
assert_eq SIGTERM "$(unit_value KillSignal "$UNIT")" "KillSignal"
assert_eq on-failure "$(unit_value Restart "$UNIT")" "Restart"
assert_match "$(unit_value LimitNOFILE "$UNIT")" '^[0-9]+$' "LimitNOFILE"
stop_s=$(unit_value TimeoutStopSec "$UNIT")
stop_s=${stop_s%s}
assert_between "$stop_s" 31 120 "TimeoutStopSec vs the default drain (30 s)"
caps=$(unit_values CapabilityBoundingSet "$UNIT" | tr '\n' ' ')
assert_contains "$caps" CAP_NET_BIND_SERVICE "bounding set"
assert_contains "$caps" CAP_NET_RAW "bounding set"
assert_not_contains "$caps" CAP_SYS_ADMIN "base unit bounding set"
assert_contains "$(unit_values CapabilityBoundingSet "$UNIT" "$DROPIN" | tr '\n' ' ')" \
    CAP_SYS_ADMIN "netns.conf bounding set"
assert_eq net "$(unit_values RestrictNamespaces "$UNIT" "$DROPIN" | tr '\n' ' ' | xargs)" \
    "netns.conf allows network namespaces only"

# --- 3. the commands, in order ----------------------------------------------
# In a private namespace (VIP on port 80) when we can make one.
use_netns=
if [ "$(id -u)" -eq 0 ] && _have ip && ip netns add "lbe2e-probe-$$" 2>/dev/null; then
	ip netns del "lbe2e-probe-$$"
	use_netns=1
	netns_new sd
	vip=80
	trap '_rc=$?; set +eu; ns_cleanup "lbe2e-$$-sd" "qlbaas-$inst"; (exit $_rc); _e2e_cleanup' EXIT
else
	note "no network namespace: VIP on a high port, no capability sandbox"
	vip=$(free_port)
fi
sandbox_for "$UNIT"
[ ${#SETPRIV[@]} -gt 0 ] || note "not root or no setpriv: capabilities not restricted"

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
mkdir -p "$dir"
# PING needs a raw socket (CAP_NET_RAW) where ping sockets are refused:
# with root, that is what shows the bounding set is enough.
hm_type=TCP
[ "$(id -u)" -ne 0 ] || hm_type=PING
hm='"healthmonitors": [{"id": "hm", "type": "'$hm_type'", "delay": 1, "timeout": 1, "max_retries": 1}]'
STATS_SOCK=$dir/sock POOL_EXTRA=$hm LB_EXTRA='"timeouts_ms": {"drain": 5000}' \
    write_pool "$T/v1.json" "$vip" HTTP ROUND_ROBIN "m1:$p1"
STATS_SOCK=$dir/sock POOL_EXTRA=$hm LB_EXTRA='"timeouts_ms": {"drain": 5000}' \
    write_pool "$T/v2.json" "$vip" HTTP ROUND_ROBIN "m2:$p2"
echo '{"vip": {"id": "v1", "protocol_port": 0}}' >"$T/bad.json"
echo 'LBPROXY_OPTS="-w 2"' >"$dir/lbproxy.env"

# A bad file never starts.
cp "$T/bad.json" "$dir/pool.json"
rc=0; run_control ExecStartPre "$UNIT" || rc=$?
assert_eq 1 "$rc" "ExecStartPre on a bad file"

cp "$T/v1.json" "$dir/pool.json"
run_control ExecStartPre "$UNIT" || fail "ExecStartPre: $(tail -n 3 "$T/unit.log")"
start_main "$UNIT"
wait_port "$vip" || fail "ExecStart did not bind port $vip: $(tail -n 3 "$T/unit.log")"
assert_eq "b1" "$(http_get "http://127.0.0.1:$vip/")" "served after ExecStart"
assert_eq 2 "$(info_field Nbthread)" "EnvironmentFile's LBPROXY_OPTS reached lbproxy"
if [ ${#SETPRIV[@]} -gt 0 ]; then
	# CAP_NET_BIND_SERVICE is bit 10, CAP_NET_RAW bit 13.
	assert_eq 0000000000002400 "$(sed -n 's/^CapBnd:\s*//p' "/proc/$MAINPID/status")" \
	    "lbproxy runs with NET_BIND_SERVICE and NET_RAW only"
fi
# With root, the PING check needs a raw socket (ping_group_range refuses
# ping sockets in a new namespace): it works with the unit's capabilities.
m1_up() {
	stats_cmd "show stat" "$dir/sock" | grep -q '^pool1,m1,.*,UP,'
}
wait_until 5 m1_up || fail "PING check under the unit's capabilities: $(stats_cmd "show stat" "$dir/sock")"

# ExecReload: a bad file is refused and changes nothing.
gen=$(info_field Generation)
cp "$T/bad.json" "$dir/pool.json"
rc=0; run_control ExecReload "$UNIT" || rc=$?
assert_ne 0 "$rc" "ExecReload on a bad file"
kill -0 "$MAINPID" 2>/dev/null || fail "service died on a refused reload"
assert_eq "$gen" "$(info_field Generation)" "refused reload changed the generation"
assert_eq "b1" "$(http_get "http://127.0.0.1:$vip/")" "served after a refused reload"

# ExecReload: a good file is applied in place.
cp "$T/v2.json" "$dir/pool.json"
run_control ExecReload "$UNIT" || fail "ExecReload: $(tail -n 3 "$T/unit.log")"
reloaded() {
	[ "$(info_field Generation)" -gt "$gen" ]
}
wait_until 5 reloaded || fail "ExecReload did not reload"
assert_eq "b2" "$(http_get "http://127.0.0.1:$vip/")" "served after the reload"
assert_eq "$MAINPID" "$(info_field Pid)" "reload in place"

# ExecStop: graceful; a request in flight completes, ExecStop returns once
# lbproxy is gone, within TimeoutStopSec.
nsrun curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$vip/delay/1000" >"$T/slow.code" 2>&1 &
slow=$!
track_pid "$slow"
busy() {
	[ "$(info_field CurrConns)" -ge 1 ]
}
wait_until 5 busy || fail "slow request did not reach lbproxy"
t0=$(date +%s)
run_control ExecStop "$UNIT" &
stopper=$!
track_pid "$stopper"
wait_gone "$stopper" "$stop_s" || fail "ExecStop exceeded TimeoutStopSec ($stop_s s)"
wait "$stopper" || fail "ExecStop failed: $(tail -n 3 "$T/unit.log")"
kill -0 "$MAINPID" 2>/dev/null && fail "ExecStop returned while lbproxy still runs"
assert_between $(($(date +%s) - t0)) 0 4 "ExecStop duration"
reap_main || fail "lbproxy did not exit"
assert_eq 0 "$MAIN_STATUS" "exit status after ExecStop"
wait "$slow" || true
assert_eq 200 "$(cat "$T/slow.code")" "request in flight during ExecStop"
[ ! -e "$dir/sock" ] || fail "stats socket left after stop"

# --- 4. the netns drop-in ----------------------------------------------------
if [ -n "$use_netns" ]; then
	ns=qlbaas-$inst
	ip netns add "$ns" || fail "ip netns add $ns"
	echo "$ns" >>"$T/.netns"
	ip -n "$ns" link set lo up
	hostns=$E2E_NETNS
	E2E_NETNS=$ns
	start_backend b3 0 http; p3=$BACKEND_PORT
	STATS_SOCK=$dir/sock write_pool "$dir/pool.json" 80 HTTP ROUND_ROBIN "m3:$p3"
	E2E_NETNS=
	rm -f "$dir/lbproxy.env"

	# The base unit's capabilities are not enough for --netns.
	printf 'LBPROXY_OPTS="--netns %s"\n' "$ns" >"$dir/lbproxy.env"
	start_main "$UNIT"
	reap_main || fail "lbproxy --netns without CAP_SYS_ADMIN did not exit"
	if [ ${#SETPRIV[@]} -gt 0 ]; then
		assert_eq 2 "$MAIN_STATUS" "--netns without CAP_SYS_ADMIN"
		assert_contains "$(tail -n 1 "$T/unit.log")" "cannot enter network namespace $ns" \
		    "--netns refusal message"
	fi
	rm -f "$dir/lbproxy.env"

	start_main "$UNIT" "$DROPIN"
	E2E_NETNS=$ns
	wait_port 80 || fail "drop-in: nothing listens on 80 in $ns: $(tail -n 3 "$T/unit.log")"
	assert_eq "b3" "$(http_get http://127.0.0.1:80/)" "served through the drop-in"
	assert_eq "$(stat -L -c %i "/var/run/netns/$ns")" "$(stat -L -c %i "/proc/$MAINPID/ns/net")" \
	    "drop-in: lbproxy runs in $ns"
	E2E_NETNS=
	run_control ExecReload "$UNIT" "$DROPIN" || fail "drop-in ExecReload"
	run_control ExecStop "$UNIT" "$DROPIN" || fail "drop-in ExecStop"
	reap_main || fail "drop-in: lbproxy did not exit"
	assert_eq 0 "$MAIN_STATUS" "drop-in: exit status"
	E2E_NETNS=$hostns
fi

# --- 5. SystemCallFilter and RestrictAddressFamilies vs. what lbproxy does ---
if _have strace systemd-analyze; then
	# Start lbproxy on pool file $1 under strace (output $T/strace-$1.out);
	# sets TRACER and LB.
	traced_start() {
		cp "$T/$1.json" "$dir/pool.json"
		# LeakSanitizer cannot run under ptrace: off for traced sanitized builds
		bg_run "strace-$1" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    strace -f -qq -o "$T/strace-$1.out" "$LBPROXY" -c "$dir/pool.json" -w 2
		TRACER=$BG_PID
		wait_port "$vip" 10 || fail "lbproxy under strace did not start"
		LB=$(pgrep -P "$TRACER" | head -n 1)
		[ -n "$LB" ] || fail "no lbproxy under strace"
	}
	traced_stop() {
		kill -USR1 "$LB"
		wait_gone "$TRACER" 10 || fail "lbproxy under strace did not stop"
	}

	# HTTP, PING checks, stats, reload, graceful stop.
	traced_start v1
	http_get "http://127.0.0.1:$vip/" >/dev/null
	wait_until 5 m1_up || true
	stats_cmd "show stat" "$dir/sock" >/dev/null
	gen=$(info_field Generation)
	cp "$T/v2.json" "$dir/pool.json"
	kill -HUP "$LB"
	wait_until 5 reloaded || true
	http_get "http://127.0.0.1:$vip/" >/dev/null
	traced_stop

	# TLS termination and HTTPS health checks.
	STATS_SOCK=$dir/sock LB_EXTRA='"timeouts_ms": {"drain": 5000}' \
	    VIP_EXTRA="\"tls\": {\"certificate_file\": \"$TOP_SRCDIR/examples/demo.pem\"}" \
	    POOL_EXTRA='"healthmonitors": [{"id": "h", "type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 1}]' \
	    write_pool "$T/tls.json" "$vip" HTTPS/HTTP ROUND_ROBIN "m1:$p1"
	traced_start tls
	assert_eq b1 "$(http_get "https://127.0.0.1:$vip/" -k)" "HTTPS under strace"
	traced_stop

	filter=$(unit_values SystemCallFilter "$UNIT" | tr '\n' ' ')
	families=$(unit_values RestrictAddressFamilies "$UNIT" | tr '\n' ' ')
	python3 - "$filter" "$families" "$T"/strace-*.out <<'EOF' || fail "the unit's sandbox would break lbproxy"
import re, subprocess, sys
filt, fams, traces = sys.argv[1].split(), set(sys.argv[2].split()), sys.argv[3:]

def expand(name, seen=None):
    """Syscalls of a systemd syscall set (@group, recursively) or a name."""
    seen = seen if seen is not None else set()
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                         capture_output=True, text=True).stdout.splitlines()
    calls = set()
    for line in out[1:]:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        calls |= expand(s, seen)
    return calls

allowed = set()
for f in filt:
    allowed |= expand(f)
used, fam_used, wx = set(), set(), []
for trace in traces:
    for line in open(trace):
        m = re.match(r"\d+\s+([a-z0-9_]+)\((.*)", line)
        if not m:
            continue
        used.add(m.group(1))
        if m.group(1) in ("socket", "socketpair"):
            fam_used.add(m.group(2).split(",")[0])
        # MemoryDenyWriteExecute: no mapping both writable and executable.
        if m.group(1) in ("mmap", "mprotect") and "PROT_WRITE" in line and "PROT_EXEC" in line:
            wx.append(line.strip())
# execve of lbproxy itself happens before the filter applies.
bad = sorted(used - allowed - {"execve"})
badfam = sorted(fam_used - fams)
print("syscalls used: %d, families: %s" % (len(used), " ".join(sorted(fam_used))))
if bad:
    print("not in SystemCallFilter: " + " ".join(bad))
if badfam:
    print("not in RestrictAddressFamilies: " + " ".join(badfam))
if wx:
    print("writable and executable mappings (MemoryDenyWriteExecute): " + wx[0])
sys.exit(1 if bad or badfam or wx else 0)
EOF
else
	note "strace or systemd-analyze missing: syscall filter not checked"
fi
note "lbproxy@.service verified and its commands run in order"
