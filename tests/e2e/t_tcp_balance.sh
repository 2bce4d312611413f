#!/bin/bash
# t_tcp_balance: distribution over real TCP connections for every method:
# weighted round robin in exact proportions (across worker threads), least
# connections relative to weight, SOURCE_IP consistent across processes;
# weight 0 and admin-down members get no new connections.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

start_backend b1 0 tcp; p1=$BACKEND_PORT
start_backend b2 0 tcp; p2=$BACKEND_PORT
start_backend b3 0 tcp; p3=$BACKEND_PORT
start_backend b4 0 tcp; p4=$BACKEND_PORT

# greet PORT N [SRC...]: open N connections (from each SRC address in turn),
# print the member name that greeted each.
greet() {
	python3 - "$@" <<'PY'
import socket, sys
port, n, srcs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:] or [None]
for i in range(n):
    src = srcs[i % len(srcs)]
    s = socket.socket()
    s.settimeout(5)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    line = s.makefile().readline().split()
    print(line[1] if len(line) > 1 else "-")
    s.close()
PY
}

# hold PORT N: keep N connections open together; print who greeted each.
hold() {
	python3 - "$@" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    socks.append(s)
    print(s.makefile().readline().split()[1], flush=True)
    time.sleep(0.02)
PY
}

# --- ROUND_ROBIN 3:1:0, one member admin down, two workers -----------------
vip=$(free_port)
write_pool "$T/rr.json" "$vip" TCP ROUND_ROBIN "m1:$p1:3" "m2:$p2:1" "m3:$p3:0" "m4:$p4:1:down"
start_lbproxy "$T/rr.json" -w 2
greet "$vip" 40 >"$T/rr.out"
assert_eq 30 "$(count_lines b1 "$T/rr.out")" "weight 3 member's share of 40"
assert_eq 10 "$(count_lines b2 "$T/rr.out")" "weight 1 member's share of 40"
assert_eq 0 "$(count_lines b3 "$T/rr.out")" "weight 0 member got connections"
assert_eq 0 "$(count_lines b4 "$T/rr.out")" "admin-down member got connections"
# smooth: never more than 3 in a row for the heavy member
run=$(awk '$1=="b1"{c++; if(c>m)m=c; next}{c=0} END{print m+0}' "$T/rr.out")
assert_between "$run" 1 3 "longest run of the weight-3 member"
stop_lbproxy

# --- LEAST_CONNECTIONS 1:1 with held connections -----------------------------
vip=$(free_port)
write_pool "$T/lc.json" "$vip" TCP LEAST_CONNECTIONS "m1:$p1:1" "m2:$p2:1" "m3:$p3:2"
start_lbproxy "$T/lc.json" -w 2
hold "$vip" 12 >"$T/lc.out"
assert_eq 3 "$(count_lines b1 "$T/lc.out")" "least-conn: m1 (weight 1) of 12 held"
assert_eq 3 "$(count_lines b2 "$T/lc.out")" "least-conn: m2 (weight 1) of 12 held"
assert_eq 6 "$(count_lines b3 "$T/lc.out")" "least-conn: m3 (weight 2) of 12 held"
stop_lbproxy

# --- SOURCE_IP: same client -> same member, in every process ------------------
vip=$(free_port)
write_pool "$T/sip.json" "$vip" TCP SOURCE_IP "m1:$p1" "m2:$p2" "m3:$p3"
srcs=$(seq -f '127.0.0.%g' 2 41)
start_lbproxy "$T/sip.json" -w 2
greet "$vip" 40 $srcs >"$T/sip1.out"
greet "$vip" 40 $srcs >"$T/sip2.out"
stop_lbproxy
start_lbproxy "$T/sip.json" -w 1
greet "$vip" 40 $srcs >"$T/sip3.out"
cmp -s "$T/sip1.out" "$T/sip2.out" || fail "SOURCE_IP: a client changed member between connections"
cmp -s "$T/sip1.out" "$T/sip3.out" || fail "SOURCE_IP: another process chose differently"
for b in b1 b2 b3; do
	assert_between "$(count_lines "$b" "$T/sip1.out")" 4 30 "SOURCE_IP share of $b over 40 addresses"
done
stop_lbproxy

# removing m3 moves only m3's clients
write_pool "$T/sip2.json" "$vip" TCP SOURCE_IP "m1:$p1" "m2:$p2"
start_lbproxy "$T/sip2.json"
greet "$vip" 40 $srcs >"$T/sip4.out"
paste "$T/sip1.out" "$T/sip4.out" | awk '$1!="b3" && $1!=$2 {bad++} END{exit bad>0}' ||
	fail "SOURCE_IP: removing m3 moved clients of other members"
stop_lbproxy

# --- SOURCE_IP_PORT (load balancer file): one address, its source ports spread
# greet_ports PORT N: N connections from 127.0.0.2, each from a fixed source
# port 41000 + i, twice over: "port member" lines
greet_ports() {
	python3 - "$@" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(5)
    s.bind(("127.0.0.2", 41000 + i))
    s.connect(("127.0.0.1", port))
    line = s.makefile().readline().split()
    print(41000 + i, line[1] if len(line) > 1 else "-")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    s.close()
PY
}
# v2file METHOD
v2file() {
	cat >"$T/lb.json" <<-JSON
	{"loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1",
	  "listeners": [{"id": "l1", "protocol": "TCP", "protocol_port": $vip, "default_pool_id": "p"}],
	  "pools": [{"id": "p", "protocol": "TCP", "lb_algorithm": "$1",
	    "members": [{"id": "m1", "address": "127.0.0.1", "protocol_port": $p1},
	                {"id": "m2", "address": "127.0.0.1", "protocol_port": $p2}]}]},
	 "lbproxy": {"stats_socket": "$T/sock"}}
	JSON
}
v2file SOURCE_IP_PORT
LB_WAIT_PORT=$vip start_lbproxy "$T/lb.json"
greet_ports "$vip" 30 >"$T/sipp1.out"
greet_ports "$vip" 30 >"$T/sipp2.out"
cmp -s "$T/sipp1.out" "$T/sipp2.out" || fail "SOURCE_IP_PORT: one address and port changed member"
for b in b1 b2; do
	assert_between "$(awk -v b=$b '$2==b' "$T/sipp1.out" | count_lines)" 5 25 "SOURCE_IP_PORT share of $b over 30 ports of one address"
done
stop_lbproxy
v2file SOURCE_IP
LB_WAIT_PORT=$vip start_lbproxy "$T/lb.json"
greet_ports "$vip" 30 >"$T/sip5.out"
assert_eq 1 "$(awk '{ print $2 }' "$T/sip5.out" | sort -u | wc -l)" "SOURCE_IP: every port of one address on one member"
stop_lbproxy
