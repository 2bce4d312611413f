#!/bin/bash
# t_deploy_netns: examples/deploy/netns/ run for real, as an orchestrator
# would: two load balancers, each in its own namespace made by
# lb-netns-up.sh (veth to a "host" namespace standing in for the host, VIPs
# 10.233.1.2/30 and 10.233.2.2/30 that exist only in these namespaces),
# lbproxy started with --netns (its network namespace is the load
# balancer's, not the caller's), members = lbtest-backend on the host end
# of each veth. Curl from the host side reaches each VIP's own members
# only. lb-netns-reload.sh refuses a bad pool (exit 1, running config and
# file on disk unchanged) and applies a good one in place (same pid, new
# generation). lb-netns-down.sh drains (a request in flight completes),
# leaves no namespace, veth, process or file, and is idempotent. A start
# failure after the namespace exists is rolled back completely.
# Scale-out: both instances given one (anycast) VIP and the same member
# ids, every client gets the same SOURCE_IP member through either
# instance, and removing a member moves only that member's clients, on
# both alike (the route to the VIP stands in for an ECMP router).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_root_netns
need_cmd curl python3 sh

D=$TOP_SRCDIR/examples/deploy/netns
export LBPROXY
export LB_STATE_ROOT=$T/state
lb1=lbe2e-$$-lb1
lb2=lbe2e-$$-lb2
lbx=lbe2e-$$-lbx

# The "host": members and clients live here, so nothing touches the real
# host's interfaces.
netns_new host
host=$E2E_NETNS
export LB_HOST_NETNS=$host

# lib.sh deletes what is listed in $T/.netns.
for ns in "$lb1" "$lb2" "$lbx"; do
	echo "$ns" >>"$T/.netns"
done
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
trap '_rc=$?; set +eu; ns_cleanup "$lb1" "$lb2" "$lbx" "$host"; (exit $_rc); _e2e_cleanup' EXIT

# Run one of the scripts (tracked, so a test that stops early stops it too).
deploy() {
	local script=$1 pid

	shift
	sh "$D/$script" "$@" >>"$T/deploy.log" 2>&1 &
	pid=$!
	track_pid "$pid"
	wait "$pid"
}
up() {
	deploy lb-netns-up.sh "$@"
}
down() {
	deploy lb-netns-down.sh "$@"
}
reload() {
	deploy lb-netns-reload.sh "$@"
}

# Names of the members that answered N requests to URL, sorted, unique.
seen() {
	local url=$1 n=$2 i

	for ((i = 0; i < n; i++)); do
		http_get "$url" || echo "(no answer)"
	done | sort -u | tr '\n' ' '
}

# Field $2 of `show info` on load balancer $1's stats socket.
info_field() {
	stats_cmd "show info" "$LB_STATE_ROOT/$1/sock" | sed -n "s/^$2: //p"
}

# Host end of NAME's veth (what lb-netns-up.sh recorded).
host_if() {
	sed -n 's/^LB_HOST_IF=//p' "$LB_STATE_ROOT/$1/lb.env"
}

mkdir -p "$LB_STATE_ROOT/$lb1" "$LB_STATE_ROOT/$lb2" "$LB_STATE_ROOT/$lbx"

# --- a bad pool file creates nothing ---------------------------------------
echo '{"vip": {' >"$LB_STATE_ROOT/$lbx/pool.json"
rc=0; up "$lbx" 10.233.3.2/30 "$LB_STATE_ROOT/$lbx/pool.json" || rc=$?
assert_eq 1 "$rc" "up with a bad pool file"
[ ! -e "/var/run/netns/$lbx" ] || fail "bad pool file: namespace created"

# --- a start failure after the namespace exists is rolled back -----------
STATS_SOCK=$T/no/such/dir/sock VIP_ADDR=10.233.3.2 MEMBER_ADDR=10.233.3.1 \
    write_pool "$LB_STATE_ROOT/$lbx/pool.json" 80 HTTP ROUND_ROBIN m1:8081
rc=0; up "$lbx" 10.233.3.2/30 "$LB_STATE_ROOT/$lbx/pool.json" || rc=$?
assert_eq 2 "$rc" "up when lbproxy cannot start"
[ ! -e "/var/run/netns/$lbx" ] || fail "failed start: namespace left behind"
assert_eq "" "$(ip -n "$host" -o link show type veth)" "failed start: veth left behind"
assert_eq "pool.json" "$(ls -A "$LB_STATE_ROOT/$lbx")" "failed start: files left behind"
assert_contains "$(cat "$T/deploy.log")" "rolled back" "rollback reported"

# --- two load balancers ------------------------------------------------------
STATS_SOCK=$LB_STATE_ROOT/$lb1/sock VIP_ADDR=10.233.1.2 MEMBER_ADDR=10.233.1.1 \
    write_pool "$LB_STATE_ROOT/$lb1/pool.json" 80 HTTP ROUND_ROBIN \
    web1a:8081 web1b:8082
STATS_SOCK=$LB_STATE_ROOT/$lb2/sock VIP_ADDR=10.233.2.2 MEMBER_ADDR=10.233.2.1 \
    write_pool "$LB_STATE_ROOT/$lb2/pool.json" 80 HTTP ROUND_ROBIN web2a:8081
STATS_SOCK=$LB_STATE_ROOT/$lb2/sock VIP_ADDR=10.233.2.2 MEMBER_ADDR=10.233.2.1 \
    write_pool "$LB_STATE_ROOT/$lb2/pool.json.new" 80 HTTP ROUND_ROBIN web2b:8082
echo '{"vip": {"id": "v"}}' >"$LB_STATE_ROOT/$lb2/pool.json.bad"

up "$lb1" 10.233.1.2/30 "$LB_STATE_ROOT/$lb1/pool.json" ||
    fail "lb-netns-up.sh $lb1: $(tail -n 3 "$T/deploy.log")"
up "$lb2" 10.233.2.2/30 "$LB_STATE_ROOT/$lb2/pool.json" ||
    fail "lb-netns-up.sh $lb2: $(tail -n 3 "$T/deploy.log")"
pid1=$(cat "$LB_STATE_ROOT/$lb1/pid")
pid2=$(cat "$LB_STATE_ROOT/$lb2/pid")
track_pid "$pid1" "$pid2"
if1=$(host_if "$lb1")
if2=$(host_if "$lb2")

# The plumbing: VIP inside, derived host address outside, default route.
assert_contains "$(ip -n "$lb1" -o addr show dev eth0)" "inet 10.233.1.2/30" "VIP of $lb1"
assert_contains "$(ip -n "$lb2" -o addr show dev eth0)" "inet 10.233.2.2/30" "VIP of $lb2"
assert_contains "$(ip -n "$host" -o addr show dev "$if1")" "inet 10.233.1.1/30" "host end of $lb1"
assert_contains "$(ip -n "$host" -o addr show dev "$if2")" "inet 10.233.2.1/30" "host end of $lb2"
assert_contains "$(ip -n "$lb1" route show default)" "via 10.233.1.1" "default route of $lb1"
! ip -o addr show | grep -qF 10.233. || fail "a test address leaked into the caller's namespace"

# lbproxy entered the namespace itself (--netns), it was not started by
# `ip netns exec`: its network namespace is the load balancer's, its
# command line says --netns, and the VIP listens there.
for pair in "$pid1:$lb1" "$pid2:$lb2"; do
	p=${pair%%:*}
	ns=${pair#*:}
	assert_eq "$(stat -L -c %i "/var/run/netns/$ns")" \
	    "$(stat -L -c %i "/proc/$p/ns/net")" "lbproxy $p runs in $ns"
	assert_contains "$(tr '\0' ' ' <"/proc/$p/cmdline")" "--netns $ns" "lbproxy $p command line"
	assert_contains "$(ip netns exec "$ns" ss -Hltn 'sport = :80')" ":80" "VIP listens in $ns"
done
assert_ne "$(stat -L -c %i /proc/self/ns/net)" "$(stat -L -c %i "/proc/$pid1/ns/net")" \
    "lbproxy is not in the caller's namespace"

# Members on the host ends (the namespace for start_backend is "host").
start_backend web1a 0 http -l 10.233.1.1:8081
start_backend web1b 0 http -l 10.233.1.1:8082
start_backend web2a 0 http -l 10.233.2.1:8081
start_backend web2b 0 http -l 10.233.2.1:8082

# Curl from the host side: each VIP shows its own members only.
assert_eq "web1a web1b " "$(seen http://10.233.1.2/ 6)" "members behind $lb1"
assert_eq "web2a " "$(seen http://10.233.2.2/ 4)" "members behind $lb2"
info=$(stats_cmd "show info" "$LB_STATE_ROOT/$lb1/sock")
assert_contains "$info" "Pid: $pid1" "stats socket of $lb1"

# --- reload lb2 --------------------------------------------------------------
cp "$LB_STATE_ROOT/$lb2/pool.json" "$T/lb2-v1.json"
gen=$(info_field "$lb2" Generation)
rc=0; reload "$lb2" "$LB_STATE_ROOT/$lb2/pool.json.bad" || rc=$?
assert_eq 1 "$rc" "reload with a bad pool file"
cmp -s "$T/lb2-v1.json" "$LB_STATE_ROOT/$lb2/pool.json" || fail "bad reload changed the pool file"
assert_eq "$gen" "$(info_field "$lb2" Generation)" "bad reload changed the running generation"
assert_eq "web2a " "$(seen http://10.233.2.2/ 2)" "after the refused reload"

reload "$lb2" "$LB_STATE_ROOT/$lb2/pool.json.new" ||
    fail "lb-netns-reload.sh $lb2: $(tail -n 3 "$T/deploy.log")"
cmp -s "$LB_STATE_ROOT/$lb2/pool.json.new" "$LB_STATE_ROOT/$lb2/pool.json" ||
    fail "good reload did not install the new pool file"
reloaded() {
	[ "$(info_field "$lb2" Generation)" -gt "$gen" ]
}
wait_until 5 reloaded ||
    fail "lbproxy of $lb2 did not reload"
assert_eq "web2b " "$(seen http://10.233.2.2/ 4)" "members behind $lb2 after reload"
assert_eq "$pid2" "$(cat "$LB_STATE_ROOT/$lb2/pid")" "reload is in place (same pid)"
assert_eq "web1a web1b " "$(seen http://10.233.1.2/ 4)" "$lb1 untouched by $lb2's reload"
rm -f "$LB_STATE_ROOT/$lb2/pool.json.new" "$LB_STATE_ROOT/$lb2/pool.json.bad"

# --- scale-out: two instances, one VIP, SOURCE_IP agrees ---------------------
# Both load balancers get the same (anycast) VIP and the same member ids;
# the host's route to the VIP plays the ECMP router, switched by hand so
# each client is sent through each instance in turn. Members s1..s3 are
# one backend each, reachable from both namespaces, answering their id.
AVIP=10.233.9.100
ip -n "$lb1" addr add "$AVIP/32" dev eth0
ip -n "$lb2" addr add "$AVIP/32" dev eth0
start_backend s1 0 http -l 10.233.1.1:8091 -l 10.233.2.1:8091
start_backend s2 0 http -l 10.233.1.1:8092 -l 10.233.2.1:8092
start_backend s3 0 http -l 10.233.1.1:8093 -l 10.233.2.1:8093
for pair in "$lb1:10.233.1.1" "$lb2:10.233.2.1"; do
	ns=${pair%%:*}
	STATS_SOCK=$LB_STATE_ROOT/$ns/sock VIP_ADDR=$AVIP MEMBER_ADDR=${pair#*:} \
	    write_pool "$LB_STATE_ROOT/$ns/pool.json.new" 80 HTTP SOURCE_IP \
	    s1:8091 s2:8092 s3:8093:2
	STATS_SOCK=$LB_STATE_ROOT/$ns/sock VIP_ADDR=$AVIP MEMBER_ADDR=${pair#*:} \
	    write_pool "$LB_STATE_ROOT/$ns/pool.json.less" 80 HTTP SOURCE_IP \
	    s1:8091 s3:8093:2
done
clients=""
nclients=0
for i in $(seq 11 34); do
	ip -n "$host" addr add "10.233.8.$i/32" dev lo
	clients+=" 10.233.8.$i"
	nclients=$((nclients + 1))
done

# Print "client=member" for every client, through the instance $1 (lb1|lb2).
choices() {
	local via=10.233.1.2 c

	[ "$1" = lb1 ] || via=10.233.2.2
	ip -n "$host" route replace "$AVIP/32" via "$via"
	for c in $clients; do
		echo "$c=$(http_get "http://$AVIP/" --interface "$c" || echo none)"
	done
}
# The VIP moved: reload rebinds it (both instances).
reload "$lb1" "$LB_STATE_ROOT/$lb1/pool.json.new" || fail "reload $lb1 to the anycast VIP"
reload "$lb2" "$LB_STATE_ROOT/$lb2/pool.json.new" || fail "reload $lb2 to the anycast VIP"
anycast_up() {
	ip netns exec "$lb1" ss -Hltn "src $AVIP" | grep -q ":80" &&
	    ip netns exec "$lb2" ss -Hltn "src $AVIP" | grep -q ":80"
}
wait_until 5 anycast_up || fail "the anycast VIP is not listening in both instances"
c1=$(choices lb1)
c2=$(choices lb2)
assert_eq "$c1" "$c2" "SOURCE_IP choices of the two instances"
assert_not_contains "$c1" "=none" "every client served"
assert_eq 3 "$(echo "$c1" | cut -d= -f2 | sort -u | wc -l)" "clients spread over s1..s3"

# Removing s2 moves s2's clients only, identically on both instances.
reload "$lb1" "$LB_STATE_ROOT/$lb1/pool.json.less" || fail "reload $lb1 without s2"
reload "$lb2" "$LB_STATE_ROOT/$lb2/pool.json.less" || fail "reload $lb2 without s2"
no_s2() {
	[ "$(info_field "$lb1" Members)" = 2 ] && [ "$(info_field "$lb2" Members)" = 2 ]
}
wait_until 5 no_s2 || fail "s2 still in a pool after the reload"
d1=$(choices lb1)
d2=$(choices lb2)
assert_eq "$d1" "$d2" "SOURCE_IP choices of the two instances without s2"
moved=0
for line in $c1; do
	before=${line#*=}
	after=$(echo "$d1" | grep -F "${line%%=*}=" | cut -d= -f2)
	if [ "$before" = s2 ]; then
		assert_ne s2 "$after" "client ${line%%=*} still on the removed s2"
		moved=$((moved + 1))
	else
		assert_eq "$before" "$after" "client ${line%%=*} moved although its member stayed"
	fi
done
note "scale-out: $moved of $nclients clients moved (those of s2), both instances agree"
rm -f "$LB_STATE_ROOT"/*/pool.json.new "$LB_STATE_ROOT"/*/pool.json.less

# --- teardown ----------------------------------------------------------------
# A request in flight when lb-netns-down.sh runs still completes (SIGUSR1).
ip -n "$host" route replace "$AVIP/32" via 10.233.1.2
nsrun curl -s --noproxy '*' --max-time 10 -o "$T/slow.out" -w '%{http_code}' \
    "http://$AVIP/delay/1500" >"$T/slow.code" 2>&1 &
slow=$!
track_pid "$slow"
busy() {
	[ "$(info_field "$lb1" CurrConns)" -ge 1 ]
}
wait_until 5 busy || fail "slow request did not reach lbproxy"
down "$lb1" || fail "lb-netns-down.sh $lb1: $(tail -n 3 "$T/deploy.log")"
wait "$slow" || true
assert_eq 200 "$(cat "$T/slow.code")" "request in flight during lb-netns-down.sh"
down "$lb2" || fail "lb-netns-down.sh $lb2: $(tail -n 3 "$T/deploy.log")"

for pair in "$pid1:$lb1:$if1" "$pid2:$lb2:$if2"; do
	IFS=: read -r p ns hif <<<"$pair"
	! kill -0 "$p" 2>/dev/null || fail "lbproxy $p still running after down"
	[ ! -e "/var/run/netns/$ns" ] || fail "namespace $ns left behind"
	assert_not_contains "$(ip netns list)" "$ns" "namespace list after down"
	! ip -n "$host" link show "$hif" >/dev/null 2>&1 || fail "veth $hif left behind"
	assert_eq "pool.json" "$(ls -A "$LB_STATE_ROOT/$ns")" "files left in $LB_STATE_ROOT/$ns"
done
# lb-netns-down.sh is idempotent.
down "$lb1" || fail "second lb-netns-down.sh $lb1"
note "two load balancers up, served, reloaded, drained and removed"
