#!/bin/bash
# t_health_ping: the PING monitor (SPEC section 5) over a veth pair between
# two private network namespaces: lbproxy in one, the "member host" in the
# other. The host answers ICMP and ICMPv6 echo on 10.231.0.2 and fd00:231::2
# and serves HTTP there; 10.231.0.3 and fd00:231::3 are in the same subnets
# but nobody has them. Answering members are UP and take all the traffic,
# silent ones are DOWN (timeout); a host that stops answering echo
# (icmp_echo_ignore_all) or whose link goes down goes DOWN, and comes back.
# Both socket kinds are covered: raw sockets (ping_group_range refuses ping
# sockets, the default in a new namespace) and ICMP datagram "ping" sockets.
# Every address lives only inside the test's own namespaces.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3
need_root_netns

SLACK_MS=1500

netns_new host; HOSTNS=$E2E_NETNS
netns_new lb; LBNS=$E2E_NETNS	# lbproxy and the clients run here

ip -n "$LBNS" link add vlb type veth peer name vhost netns "$HOSTNS" 2>/dev/null ||
    skip "cannot create a veth pair"
ip -n "$LBNS" addr add 10.231.0.1/29 dev vlb
ip -n "$HOSTNS" addr add 10.231.0.2/29 dev vhost
V6=yes
ip -n "$LBNS" addr add fd00:231::1/64 dev vlb nodad 2>/dev/null &&
    ip -n "$HOSTNS" addr add fd00:231::2/64 dev vhost nodad 2>/dev/null || V6=
ip -n "$LBNS" link set vlb up
ip -n "$HOSTNS" link set vhost up
[ -n "$V6" ] || note "no IPv6 in the namespaces: IPv4 only"

# hostns CMD...: run CMD on the member host.
hostns() {
	ip netns exec "$HOSTNS" "$@"
}

# The member host's HTTP servers: h4 on IPv4, h6 on IPv6 (the 127.0.0.1
# listener start_backend adds is unused).
E2E_NETNS=$HOSTNS start_backend h4 0 http -q -l 10.231.0.2:8080
if [ -n "$V6" ]; then
	E2E_NETNS=$HOSTNS start_backend h6 0 http -q -l '[fd00:231::2]:8080'
fi
# reach URL NAME: NAME answers at URL from lbproxy's namespace.
reach() {
	[ "$(nsrun curl -s -g --noproxy '*' --max-time 1 "$1")" = "$2" ]
}
# A link that just came up may lose the first packets (IPv6 neighbour
# discovery while the link-local address is tentative): wait until both
# paths carry traffic, so the first checks are not lost before lbproxy runs.
wait_until 5 reach http://10.231.0.2:8080/ h4 ||
    fail "the member host is not reachable over the veth pair (IPv4)"
if [ -n "$V6" ]; then
	wait_until 5 reach 'http://[fd00:231::2]:8080/' h6 ||
	    fail "the member host is not reachable over the veth pair (IPv6)"
fi

vip=$(free_port)
members='{"id": "m1", "address": "10.231.0.2", "protocol_port": 8080},
    {"id": "m2", "address": "10.231.0.3", "protocol_port": 8080}'
if [ -n "$V6" ]; then
	members+=',
    {"id": "m3", "address": "fd00:231::2", "protocol_port": 8080},
    {"id": "m4", "address": "fd00:231::3", "protocol_port": 8080}'
fi
cat >"$T/pool.json" <<EOF
{
  "vip": {"id": "vip1", "address": "127.0.0.1", "protocol_port": $vip, "protocol": "HTTP"},
  "pool": {"id": "pool1", "protocol": "HTTP", "lb_method": "ROUND_ROBIN"},
  "members": [
    $members
  ],
  "healthmonitors": [{"id": "hm1", "type": "PING", "delay": 1, "timeout": 1, "max_retries": 2}],
  "lbproxy": {"stats_socket": "$T/sock", "health": {"rise": 2}}
}
EOF

# --- helpers (as in t_health.sh) -------------------------------------------
mark() {
	touch "$T/lbproxy.log"
	MARK=$(wc -l <"$T/lbproxy.log")
	T0=$(date +%s%3N)
}

log_has() {
	tail -n +"$((MARK + 1))" "$T/lbproxy.log" | grep -qF -- "$1"
}

wait_log() {
	wait_until "$1" log_has "$2" ||
	    fail "not logged within $1 s: $2"
}

line_ms() {
	local ts

	ts=$(tail -n +"$((MARK + 1))" "$T/lbproxy.log" | grep -F -- "$1" |
	    head -n 1 | cut -d' ' -f1)
	date -d "${ts/T/ }" +%s%3N
}

elapsed() {
	local dt

	dt=$(( $(line_ms "$2") - T0 ))
	note "time $1: $dt ms (allowed $3..$4)"
	assert_between "$dt" "$3" "$4" "$1 took $dt ms"
}

# burst N: prints "NAME 200" or "- CODE" per request.
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

n_of() {
	printf '%s\n' "$1" | grep -cx -- "$2 200" || true
}

stat() {
	stats_cmd "show stat" 2>/dev/null | awk -F, -v m="$1" -v f="$2" '
	    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
	    $2 == m { print $(col[f]); exit }'
}

assert_stat() {
	if ! stats_cmd "show stat" 2>/dev/null | head -n 1 | grep -q '^# pxname,svname,'; then
		note "show stat does not answer yet: stats assertion skipped"
		return 0
	fi
	assert_eq "$2" "$(stat "$1" status)" "show stat status of $1"
	assert_eq "$3" "$(stat "$1" check_status)" "show stat check_status of $1"
}

N4="10.231.0.2:8080" G4="10.231.0.3:8080" N6="[fd00:231::2]:8080" G6="[fd00:231::3]:8080"

# first_verdicts: every member's first check says UP (answering) or DOWN.
first_verdicts() {
	wait_log 3 "member m1 ($N4) CHECKING -> UP: echo reply (first check)"
	wait_log 3 "member m2 ($G4) CHECKING -> DOWN: no echo reply (first check)"
	if [ -n "$V6" ]; then
		wait_log 3 "member m3 ($N6) CHECKING -> UP: echo reply (first check)"
		wait_log 3 "member m4 ($G6) CHECKING -> DOWN: no echo reply (first check)"
	fi
}

# expect_traffic: 20 requests, all 200, only from the answering members.
expect_traffic() {
	local out

	out=$(burst 20)
	if [ -n "$V6" ]; then
		assert_eq 10 "$(n_of "$out" h4)" "traffic to the answering IPv4 member: $out"
		assert_eq 10 "$(n_of "$out" h6)" "traffic to the answering IPv6 member: $out"
	else
		assert_eq 20 "$(n_of "$out" h4)" "traffic to the answering member: $out"
	fi
}

# sockets_in FILE: whether lbproxy's namespace has a socket listed in
# /proc/net/FILE (a check waiting for a silent member holds one for 1 s).
sockets_in() {
	[ "$(nsrun awk 'NR > 1' "/proc/net/$1" | wc -l)" -gt 0 ]
}

# --- 1. raw ICMP sockets ----------------------------------------------------
nsrun sysctl -qw net.ipv4.ping_group_range="1 0"
mark
start_lbproxy "$T/pool.json" -w 2
first_verdicts
elapsed "first verdict of a silent member (timeout 1)" \
    "member m2 ($G4) CHECKING -> DOWN" 900 $((2000 + SLACK_MS))
wait_until 3 sockets_in raw || fail "no raw ICMP socket seen"
sockets_in icmp && fail "a ping socket although ping_group_range refuses them"
expect_traffic
assert_stat m1 UP L4OK
assert_stat m2 DOWN L4TOUT

# The host stops answering IPv4 echo: m1 DOWN, traffic on m3 only.
mark
hostns sysctl -qw net.ipv4.icmp_echo_ignore_all=1
line="member m1 ($N4) UP -> DOWN: no echo reply (2/2)"
wait_log 6 "$line"
elapsed "detect silent host (IPv4)" "$line" 1500 $((3000 + SLACK_MS))
if [ -n "$V6" ]; then
	out=$(burst 10)
	assert_eq 10 "$(n_of "$out" h6)" "only the IPv6 member is UP: $out"

	mark
	hostns sysctl -qw net.ipv6.icmp.echo_ignore_all=1
	line="member m3 ($N6) UP -> DOWN: no echo reply (2/2)"
	wait_log 6 "$line"
	elapsed "detect silent host (IPv6)" "$line" 1500 $((3000 + SLACK_MS))
fi
t=$(date +%s%3N)
code=$(http_code "http://127.0.0.1:$vip/")
dt=$(( $(date +%s%3N) - t ))
assert_eq 503 "$code" "every member DOWN: 503"
assert_between "$dt" 0 999 "the 503 came after $dt ms"

# Answering again: UP after rise (2) replies.
mark
hostns sysctl -qw net.ipv4.icmp_echo_ignore_all=0
[ -z "$V6" ] || hostns sysctl -qw net.ipv6.icmp.echo_ignore_all=0
line="member m1 ($N4) DOWN -> UP: echo reply (2/2)"
wait_log 6 "$line"
elapsed "recover (IPv4, rise 2)" "$line" 800 $((3000 + SLACK_MS))
if [ -n "$V6" ]; then
	line="member m3 ($N6) DOWN -> UP: echo reply (2/2)"
	wait_log 6 "$line"
	elapsed "recover (IPv6, rise 2)" "$line" 800 $((3000 + SLACK_MS))
fi
expect_traffic

# The host's link goes down: everything on it DOWN, whatever the reason.
# (IPv6 addresses would be flushed with the link unless told to stay.)
[ -z "$V6" ] || hostns sysctl -qw net.ipv6.conf.vhost.keep_addr_on_down=1
mark
ip -n "$HOSTNS" link set vhost down
wait_log 6 "member m1 ($N4) UP -> DOWN: "
[ -z "$V6" ] || wait_log 6 "member m3 ($N6) UP -> DOWN: "
note "link down: $(tail -n +"$((MARK + 1))" "$T/lbproxy.log" | grep -F 'UP -> DOWN' |
    sed 's/.*notice: //' | tr '\n' ';')"
mark
ip -n "$HOSTNS" link set vhost up
wait_log 8 "member m1 ($N4) DOWN -> UP: echo reply (2/2)"
[ -z "$V6" ] || wait_log 8 "member m3 ($N6) DOWN -> UP: echo reply (2/2)"
expect_traffic
stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"

# --- 2. ICMP datagram ("ping") sockets ---------------------------------------
nsrun sysctl -qw net.ipv4.ping_group_range="0 2147483647"
mark
start_lbproxy "$T/pool.json" -w 2
first_verdicts
wait_until 3 sockets_in icmp || fail "no ping socket seen"
if [ -n "$V6" ]; then
	wait_until 3 sockets_in icmp6 || fail "no IPv6 ping socket seen"
fi
sockets_in raw && fail "a raw socket although ping sockets are allowed"
expect_traffic
mark
hostns sysctl -qw net.ipv4.icmp_echo_ignore_all=1
line="member m1 ($N4) UP -> DOWN: no echo reply (2/2)"
wait_log 6 "$line"
elapsed "detect silent host (ping socket)" "$line" 1500 $((3000 + SLACK_MS))
assert_stat m1 DOWN L4TOUT
if [ -n "$V6" ]; then
	out=$(burst 10)
	assert_eq 10 "$(n_of "$out" h6)" "only the IPv6 member is UP: $out"
fi
kill -0 "$LB_PID" || fail "lbproxy died"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"
