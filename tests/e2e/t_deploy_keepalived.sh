#!/bin/bash
# t_deploy_keepalived: examples/deploy/keepalived/ run for real: VRRP
# active/standby of one VIP between two lbproxy nodes.
#
# Four private namespaces: "br" holds a bridge with a veth to each of
# "lb-a", "lb-b" and "client" (10.233.3.0/24; the VIP is 10.233.3.100).
# Each lb-* runs keepalived --vrrp with the example configuration (MASTER
# on lb-a, BACKUP on lb-b; only paths, VIP and interface substituted) and
# lbproxy on the VIP with a member (lbtest-backend) of its own, so the
# answer names the node that served. Proves:
#  - both keepalived configurations pass `keepalived -t`;
#  - lbproxy starts on a node that does not own the VIP (IP_FREEBIND): on
#    lb-a before keepalived runs (lbproxy-notify.sh DIR start), on lb-b by
#    the notify script when lb-b's track_script puts it in FAULT at boot;
#  - the client reaches the MASTER (lb-a);
#  - lb-a's lbproxy dies -> track_script -> lb-a FAULT, the VIP moves to
#    lb-b, the client is served by lb-b within seconds;
#  - lb-a heals itself: the notify script (FAULT) restarts lbproxy, the
#    check passes, lb-a preempts, the client is served by lb-a again;
#  - lb-a's keepalived killed (SIGKILL, a crash) -> the VIP moves to lb-b;
#  - the notify script logged each transition (MASTER, BACKUP, FAULT, STOP)
#    and what it did about lbproxy;
#  - keepalived never touched the caller's interfaces; everything started
#    is gone at the end (also on failure).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_root_netns
need_cmd keepalived curl python3 sh

D=$TOP_SRCDIR/examples/deploy/keepalived
VIP=10.233.3.100
PORT=80

# --- topology -------------------------------------------------------------
netns_new br; nsbr=$E2E_NETNS
netns_new lb-a; nsa=$E2E_NETNS
netns_new lb-b; nsb=$E2E_NETNS
netns_new client; nsc=$E2E_NETNS
E2E_NETNS=

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
trap '_rc=$?; set +eu; ns_cleanup "$nsa" "$nsb" "$nsc" "$nsbr"; (exit $_rc); _e2e_cleanup' EXIT

links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
addrs_before=$(ip -o addr show | awk '{print $2, $4}' | sort | tr '\n' ' ')

ip -n "$nsbr" link add br0 type bridge
ip -n "$nsbr" link set br0 up
plug() {	# plug NS ADDR: veth NS/eth0 <-> br/ADDR's port on br0
	local ns=$1 addr=$2 port=p${3}

	ip -n "$nsbr" link add "$port" type veth peer name eth0 netns "$ns"
	ip -n "$nsbr" link set "$port" master br0 up
	ip -n "$ns" addr add "$addr/24" dev eth0
	ip -n "$ns" link set eth0 up
}
plug "$nsa" 10.233.3.2 a
plug "$nsb" 10.233.3.3 b
plug "$nsc" 10.233.3.10 c

# --- each node: a member, a pool, the notify script's directory -----------
# The notify script is installed as an operator would (root-owned, in a
# root-only directory), so keepalived's enable_script_security accepts it.
mkdir -p "$T/sbin"
install -m 0755 "$D/lbproxy-notify.sh" "$T/sbin/lbproxy-notify.sh"
for n in a b; do
	ns=$nsa
	[ $n = a ] || ns=$nsb
	E2E_NETNS=$ns
	start_backend "web-$n" 0 http
	mkdir -p "$T/$n"
	STATS_SOCK=$T/$n/sock VIP_ADDR=$VIP \
	    write_pool "$T/$n/pool.json" "$PORT" HTTP ROUND_ROBIN "m-$n:$BACKEND_PORT"
	printf 'LBPROXY=%s\nLBPROXY_OPTS="-w 1"\n' "$LBPROXY" >"$T/$n/lbproxy.env"
	role=master
	[ $n = a ] || role=backup
	sed -e "s#/usr/local/sbin/lbproxy-notify.sh#$T/sbin/lbproxy-notify.sh#g" \
	    -e "s#/var/lib/lbproxy/web1#$T/$n#g" \
	    -e "s#192\.0\.2\.100/24#$VIP/24#g" \
	    "$D/keepalived-$role.conf" >"$T/$n/keepalived.conf"
	rc=0
	ip netns exec "$ns" keepalived -t -f "$T/$n/keepalived.conf" \
	    >"$T/$n-config-test.log" 2>&1 || rc=$?
	assert_eq "0" "$rc" "keepalived -t keepalived-$role.conf: $(cat "$T/$n-config-test.log")"
done
E2E_NETNS=

# lbproxy on lb-a before anything owns the VIP: it listens on an address
# the node does not have (IP_FREEBIND).
ip netns exec "$nsa" sh "$T/sbin/lbproxy-notify.sh" "$T/a" start ||
    fail "lbproxy-notify.sh start on lb-a: $(cat "$T/a/notify.log")"
assert_contains "$(cat "$T/a/notify.log")" "start: lbproxy started (pid $(cat "$T/a/pid"))" \
    "lbproxy-notify.sh start"
track_pid "$(cat "$T/a/pid")"
assert_eq "" "$(ip -n "$nsa" -o addr show to "$VIP")" "VIP already on lb-a"
assert_contains "$(ip netns exec "$nsa" ss -Hltn "sport = :$PORT")" "$VIP:$PORT" \
    "lbproxy listens on a VIP lb-a does not own"

# --- keepalived -----------------------------------------------------------
# keepalived in the foreground (-n: lib.sh tracks it), VRRP only, logging
# to its log file only, pid files of its own.
start_keepalived() {	# start_keepalived a|b NS: sets BG_PID
	bg_run "keepalived-$1" ip netns exec "$2" keepalived -n -l -D -G --vrrp \
	    -f "$T/$1/keepalived.conf" -p "$T/$1/keepalived.pid" -r "$T/$1/vrrp.pid"
}
start_keepalived a "$nsa"
ka_a=$BG_PID
start_keepalived b "$nsb"
ka_b=$BG_PID

has_vip() {	# has_vip NS
	[ -n "$(ip -n "$1" -o addr show to "$VIP")" ]
}
served_by() {	# served_by NAME: the client gets NAME from the VIP
	[ "$(ip netns exec "$nsc" curl -s --noproxy '*' --max-time 1 "http://$VIP:$PORT/")" = "$1" ]
}
notified() {	# notified a|b WORD: the node's notify log has WORD
	grep -q -- "$2" "$T/$1/notify.log" 2>/dev/null
}
t_start() {
	t0=$(date +%s%N)
}
t_ms() {
	echo $((($(date +%s%N) - t0) / 1000000))
}

wait_until 10 has_vip "$nsa" || fail "lb-a never became MASTER"
wait_until 5 served_by web-a || fail "client not served by lb-a"
# lb-b booted into FAULT (no lbproxy yet): its notify started lbproxy,
# the check passed, lb-b is BACKUP, without the VIP.
wait_until 5 notified b "web1 -> FAULT (priority 100): lbproxy started" ||
    fail "notify on FAULT did not start lbproxy on lb-b"
wait_until 5 notified b "web1 -> BACKUP (priority 100): lbproxy running" ||
    fail "lb-b did not become BACKUP"
pid_b=$(cat "$T/b/pid")
assert_eq "$(stat -L -c %i "/var/run/netns/$nsb")" "$(stat -L -c %i "/proc/$pid_b/ns/net")" \
    "notify started lbproxy in lb-b's namespace"
! has_vip "$nsb" || fail "VIP on both nodes"
wait_until 5 notified a "web1 -> MASTER (priority 150): lbproxy running" ||
    fail "notify on MASTER did not run on lb-a"
note "lb-a MASTER, lb-b BACKUP with lbproxy warm"

# --- 1. lb-a's lbproxy dies: track_script -> FAULT -> VIP to lb-b -------------
t_start
kill -KILL "$(cat "$T/a/pid")"
wait_until 10 served_by web-b || fail "client not served by lb-b after lb-a's lbproxy died"
note "lbproxy on lb-a killed: served by lb-b after $(t_ms) ms"
wait_until 5 notified b "web1 -> MASTER (priority 100)" || fail "no MASTER notification on lb-b"
wait_until 5 notified a "web1 -> FAULT (priority 150): lbproxy started" ||
    fail "notify on FAULT did not restart lb-a's lbproxy"

# --- 2. lb-a heals: lbproxy restarted by notify, check passes, preemption ---
t_start
wait_until 15 served_by web-a || fail "lb-a did not take the VIP back"
note "lb-a healed: served by lb-a again after $(t_ms) ms"
track_pid "$(cat "$T/a/pid")"
! has_vip "$nsb" || fail "VIP still on lb-b after preemption"
b_backup_again() {
	[ "$(count_lines "web1 -> BACKUP" "$T/b/notify.log")" -ge 2 ]
}
wait_until 5 b_backup_again || fail "no BACKUP notification on lb-b after preemption"
# Let the election settle (a few adverts) before the next failure.
sleep 2
if ! has_vip "$nsa" || has_vip "$nsb"; then
	fail "VIP not (only) on lb-a after preemption"
fi
served_by web-a || fail "client not served by lb-a after preemption"

# --- 3. lb-a's keepalived crashes: VIP to lb-b -------------------------------
t_start
# Every keepalived process of lb-a (parent and VRRP child), frozen first:
# killed one after the other, the child would see its parent die and shut
# down gracefully (priority-0 advert) in between. Here lb-b has to notice
# the silence, as after a crash.
ka_pids=()
for p in $(ip netns pids "$nsa"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" != keepalived ] || ka_pids+=("$p")
done
assert_contains " ${ka_pids[*]} " " $ka_a " "keepalived processes of lb-a"
{
	kill -STOP "${ka_pids[@]}"
	kill -KILL "${ka_pids[@]}"
	wait "$ka_a"	# reaped here, so bash's "Killed" notice goes nowhere
} 2>/dev/null || true
wait_until 10 served_by web-b || fail "client not served by lb-b after lb-a's keepalived died"
note "keepalived on lb-a killed: served by lb-b after $(t_ms) ms"
has_vip "$nsb" || fail "VIP not on lb-b"

# --- the notify logs, the caller's interfaces ------------------------------
for n in a b; do
	sed "s/^/# $n: /" "$T/$n/notify.log"
done
assert_eq "$links_before" "$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" \
    "the caller's interfaces changed"
assert_eq "$addrs_before" "$(ip -o addr show | awk '{print $2, $4}' | sort | tr '\n' ' ')" \
    "the caller's addresses changed"

# --- shut down: keepalived (SIGTERM) and lbproxy (SIGUSR1) on lb-b -----------
kill -TERM "$ka_b"
wait_gone "$ka_b" 5 || fail "keepalived on lb-b did not stop"
wait_until 5 notified b "web1 -> STOP" || fail "no STOP notification on lb-b"
! has_vip "$nsb" || fail "keepalived left the VIP on lb-b"
kill -USR1 "$pid_b"
wait_gone "$pid_b" 5 || fail "lbproxy on lb-b did not stop"
note "VRRP failover: track_script, preemption, crash"
