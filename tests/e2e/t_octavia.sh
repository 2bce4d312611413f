#!/bin/bash
# t_octavia: one lbproxy serving an Octavia load balancer file (SPEC 9, 10)
# against real lbtest-backend members on loopback: several listeners on
# their own ports, L7 routing by path, header, host and cookie to different
# pools, REJECT (403), REDIRECT_TO_URL and REDIRECT_PREFIX (code and
# Location), 503 on a listener without a default pool, allowed_cidrs closing
# a connection before a byte is read (counted in dcon), a per-listener
# connection_limit, a backup member used only while the primary is DOWN,
# Octavia's health meaning (max_retries successes to come back,
# max_retries_down failures to go), HAProxy-style stats naming (FRONTEND per
# listener id, BACKEND "<pool-id>:<listener-id>", "show servers state"),
# and a SIGHUP that adds a listener, removes one and changes a policy while
# wrk runs on a kept listener with zero errors, members keeping counters.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3 wrk

start_backend w1 0 http; pw1=$BACKEND_PORT
start_backend w2 0 http; pw2=$BACKEND_PORT
start_backend a1 0 http -H "$T/a1.health"; pa1=$BACKEND_PORT
start_backend a2 0 http; pa2=$BACKEND_PORT
start_backend c1 0 http; pc1=$BACKEND_PORT
start_backend i1 0 http; pi1=$BACKEND_PORT
start_backend b1 0 http; pb1=$BACKEND_PORT
start_backend t1 0 tcp; pt1=$BACKEND_PORT
web=$(free_port)	# HTTP, default pool web-pool, the L7 policies
tcp=$(free_port)	# TCP, default pool tcp-pool
nodef=$(free_port)	# HTTP without a default pool, connection_limit 1
guard=$(free_port)	# HTTP, allowed_cidrs 10.0.0.0/8 only
extra=$(free_port)	# HTTP, added by the reload

# One member object: member ID PORT [EXTRA-JSON].
member() {
	echo "{\"id\": \"$1\", \"address\": \"127.0.0.1\", \"protocol_port\": $2${3:+, $3}}"
}

# A policy with one rule: policy ID ACTION POSITION 'ACTION-FIELDS' TYPE COMPARE VALUE [KEY].
policy() {
	echo "{\"id\": \"$1\", \"action\": \"$2\", \"position\": $3, $4,
	  \"rules\": [{\"type\": \"$5\", \"compare_type\": \"$6\", \"value\": \"$7\"${8:+, \"key\": \"$8\"}}]}"
}

# Write the load balancer file $1; variant a (first) or b (after the reload).
write_lb() {
	local file=$1 variant=$2 block=X-Block listeners

	[ "$variant" = b ] && block=X-Deny
	listeners="
    {\"id\": \"web\", \"protocol\": \"HTTP\", \"protocol_port\": $web,
     \"default_pool_id\": \"web-pool\",
     \"insert_headers\": {\"X-Forwarded-For\": \"true\"},
     \"l7policies\": [
      $(policy to-api REDIRECT_TO_POOL 1 '"redirect_pool_id": "api"' PATH STARTS_WITH /api),
      $(policy canary REDIRECT_TO_POOL 2 '"redirect_pool_id": "canary"' HEADER EQUAL_TO 1 X-Canary),
      $(policy images REDIRECT_TO_POOL 3 '"redirect_pool": {"name": "images"}' HOST_NAME EQUAL_TO images.example),
      $(policy beta REDIRECT_TO_POOL 4 '"redirect_pool_id": "beta"' COOKIE EQUAL_TO yes beta),
      $(policy block REJECT 5 '"name": "block"' HEADER EQUAL_TO 1 "$block"),
      $(policy moved REDIRECT_TO_URL 6 '"redirect_url": "https://new.example/moved", "redirect_http_code": 301' PATH EQUAL_TO /old),
      $(policy old-host REDIRECT_PREFIX 7 '"redirect_prefix": "https://www.example.com", "redirect_http_code": 308' HOST_NAME EQUAL_TO old.example),
      $(policy api-hosts REDIRECT_TO_POOL 8 '"redirect_pool_id": "api"' HOST_NAME REGEX '^api[0-9]+[.]example$')
     ]},
    {\"id\": \"tcp\", \"protocol\": \"TCP\", \"protocol_port\": $tcp,
     \"default_pool\": {\"name\": \"tcp-pool\"}},
    {\"id\": \"guarded\", \"protocol\": \"HTTP\", \"protocol_port\": $guard,
     \"default_pool_id\": \"web-pool\", \"allowed_cidrs\": [\"10.0.0.0/8\"]}"
	if [ "$variant" = a ]; then
		listeners+=",
    {\"id\": \"nodefault\", \"protocol\": \"HTTP\", \"protocol_port\": $nodef,
     \"connection_limit\": 1, \"l7policies\": [
      $(policy nd-api REDIRECT_TO_POOL 1 '"redirect_pool_id": "api"' PATH STARTS_WITH /api)]}"
	else
		listeners+=",
    {\"id\": \"extra\", \"protocol\": \"HTTP\", \"protocol_port\": $extra,
     \"default_pool_id\": \"web-pool\"}"
	fi
	cat >"$file.tmp" <<EOF
{"loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1",
  "listeners": [$listeners],
  "pools": [
    {"id": "web-pool", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
     "members": [$(member w1 "$pw1"), $(member w2 "$pw2")]},
    {"id": "api", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
     "members": [$(member a1 "$pa1"), $(member a2 "$pa2" '"backup": "true"')],
     "healthmonitor": {"type": "HTTP", "delay": "1", "timeout": 1,
                       "max_retries": 3, "max_retries_down": 2,
                       "url_path": "/health", "expected_codes": "200"}},
    {"id": "canary", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
     "members": [$(member c1 "$pc1")]},
    {"id": "img-1", "name": "images", "protocol": "HTTP",
     "lb_algorithm": "LEAST_CONNECTIONS", "members": [$(member i1 "$pi1")]},
    {"id": "beta", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
     "members": [$(member b1 "$pb1")]},
    {"id": "tcp-pool", "name": "tcp-pool", "protocol": "TCP",
     "lb_algorithm": "SOURCE_IP", "members": [$(member t1 "$pt1")]}
  ]},
 "lbproxy": {"stats_socket": "$T/sock"}}
EOF
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$file.tmp" ||
	    fail "write_lb: $file is not valid JSON"
	mv "$file.tmp" "$file"
}

# Print field FIELD of the "show stat" row PXNAME,SVNAME (nothing if there is no such row).
stat_get() {
	stats_cmd "show stat" | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
head = [h.lstrip("# ") for h in rows[0]]
for r in rows[1:]:
    if len(r) == len(head) and r[0] == sys.argv[1] and r[1] == sys.argv[2]:
        print(r[head.index(sys.argv[3])])
' "$1" "$2" "$3"
}

# The body of GET URL with curl options (the member's name, as lbtest-backend answers).
who() {
	http_get "$@" | tr -d '\n'
}

# Who answers four GETs of URL, one name a line, into FILE.
four() {
	local i

	for i in 1 2 3 4; do
		who "$1"
		echo
	done >"$2"
}

write_lb "$T/lb.json" a
"$LBPROXY" -t -c "$T/lb.json" >/dev/null || fail "lbproxy -t refuses the file"
LB_WAIT_PORT=$web start_lbproxy "$T/lb.json" -w 2
for p in "$tcp" "$nodef" "$guard"; do
	wait_port "$p" || fail "listener on port $p not listening"
done

# --- L7 routing -----------------------------------------------------------
note "routing by path, header, host and cookie"
u="http://127.0.0.1:$web"
assert_eq a1 "$(who "$u/api/v1/x")" "PATH STARTS_WITH /api"
assert_eq c1 "$(who "$u/" -H 'X-Canary: 1')" "HEADER X-Canary"
assert_eq i1 "$(who "$u/" -H 'Host: images.example')" "HOST_NAME"
assert_eq i1 "$(who "$u/" -H 'Host: IMAGES.example:8080')" "HOST_NAME without case or port"
assert_eq a1 "$(who "$u/" -H 'Host: API7.Example:8080')" "HOST_NAME REGEX without case or port"
assert_eq b1 "$(who "$u/" -H 'Cookie: a=1; beta=yes')" "COOKIE beta"
case "$(who "$u/" -H 'Cookie: beta=no')" in
w1|w2) ;;
*) fail "no policy matched: the default pool should answer" ;;
esac
four "$u/" "$T/rr.out"
assert_eq 2 "$(count_lines w1 "$T/rr.out")" "round robin over the default pool (w1)"
assert_eq 2 "$(count_lines w2 "$T/rr.out")" "round robin over the default pool (w2)"
assert_contains "$(http_get "$u/echo")" "X-Forwarded-For: 127.0.0.1" "insert_headers"

note "REJECT, and it comes before REDIRECT_TO_POOL"
assert_eq 403 "$(http_code "$u/" -H 'X-Block: 1')" "REJECT"
assert_eq 403 "$(http_code "$u/api/x" -H 'X-Block: 1')" "REJECT before the /api pool"

note "redirects"
h=$(http_headers "$u/old")
assert_match "$h" '^HTTP/1\.1 301 ' "REDIRECT_TO_URL code"
assert_match "$h" '^Location: https://new\.example/moved$' "REDIRECT_TO_URL Location"
h=$(http_headers "$u/a/b?c=d" -H 'Host: old.example')
assert_match "$h" '^HTTP/1\.1 308 ' "REDIRECT_PREFIX code"
assert_match "$h" '^Location: https://www\.example\.com/a/b\?c=d$' "REDIRECT_PREFIX keeps path and query"

note "no default pool: 503 when no policy matches"
assert_eq 503 "$(http_code "http://127.0.0.1:$nodef/")" "no default pool"
assert_eq a1 "$(who "http://127.0.0.1:$nodef/api")" "its policy still routes"

note "the TCP listener relays bytes"
out=$(tcp_exchange "$tcp" 'ping\n') || true
assert_contains "$out" "hello t1" "TCP listener reaches its pool"

# --- allowed_cidrs -----------------------------------------------------------
note "allowed_cidrs: closed at accept, nothing answered, counted"
dcon0=$(stat_get guarded FRONTEND dcon)
rc=0
out=$(tcp_exchange -n "$guard" 'GET / HTTP/1.1\r\nHost: a\r\n\r\n') || rc=$?
assert_eq "" "$out" "a client outside allowed_cidrs got an answer"
[ "$rc" -ne 1 ] || fail "a client outside allowed_cidrs was left open (no EOF)"
dcon_above() {
	[ "$(stat_get guarded FRONTEND dcon)" -gt "$1" ]
}
wait_until 5 dcon_above "${dcon0:-0}" || fail "dcon did not count the closed connection"
assert_eq 0 "$(stat_get guarded FRONTEND stot)" "a closed connection is no session"
assert_eq 200 "$(http_code "$u/")" "the other listeners still serve"

# --- connection_limit ---------------------------------------------------------
note "connection_limit 1: the second client waits until the first leaves"
assert_eq 1 "$(stat_get nodefault FRONTEND slim)" "slim is the listener's limit"
http_py "$nodef" <<'PY' || fail "connection_limit"
import socket
from hlib import *
c1 = Conn()
c1.send(request("/api"))
check(c1.response().status == 200, "first client served")
c2 = Conn()
c2.send(request("/api"))
c2.s.settimeout(1)
try:
    d = c2.s.recv(1)
    raise SystemExit("second client answered while the first is connected: %r" % d)
except socket.timeout:
    pass
c2.s.settimeout(5)
c1.s.close()
check(c2.response().status == 200, "second client served once the first left")
PY
assert_eq 200 "$(http_code "$u/")" "other listeners have their own limit"

# --- backup member, Octavia's health meaning ----------------------------------
note "backup member: only while the primary is DOWN"
four "$u/api" "$T/api.out"
assert_eq 4 "$(count_lines a1 "$T/api.out")" "a1 UP: the backup takes nothing"
echo 500 >"$T/a1.health"
wait_until 10 grep -q 'member a1 .*UP -> DOWN' "$T/lbproxy.log" ||
    fail "a1 did not go DOWN"
# max_retries_down 2: two failures take it down
assert_match "$(grep 'member a1 .*UP -> DOWN' "$T/lbproxy.log")" '\(2/2\)' "max_retries_down is the fall count"
four "$u/api" "$T/api.out"
assert_eq 4 "$(count_lines a2 "$T/api.out")" "the backup serves while a1 is DOWN"
rm -f "$T/a1.health"
wait_until 15 grep -q 'member a1 .*DOWN -> UP' "$T/lbproxy.log" ||
    fail "a1 did not come back"
# max_retries 3: three successes bring it back (Octavia), not lbproxy.health.rise
assert_match "$(grep 'member a1 .*DOWN -> UP' "$T/lbproxy.log")" '\(3/3\)' "max_retries is the rise count"
four "$u/api" "$T/api.out"
assert_eq 4 "$(count_lines a1 "$T/api.out")" "a1 serves again, the backup does not"

# --- stats naming -------------------------------------------------------------
note "stats: FRONTEND per listener, BACKEND <pool-id>:<listener-id>"
stats_cmd "show stat" >"$T/stat.csv"
for row in web,FRONTEND tcp,FRONTEND guarded,FRONTEND nodefault,FRONTEND \
    web-pool:web,BACKEND web-pool:web,w1 web-pool:web,w2 web-pool:guarded,BACKEND \
    api:web,BACKEND api:web,a1 api:web,a2 api:nodefault,BACKEND api:nodefault,a1 \
    canary:web,c1 img-1:web,i1 beta:web,b1 tcp-pool:tcp,BACKEND tcp-pool:tcp,t1; do
	grep -q "^$row," "$T/stat.csv" || fail "show stat has no row $row: $(cat "$T/stat.csv")"
done
assert_eq 0 "$(grep -c '^web-pool:tcp,\|^tcp-pool:web,\|^api:guarded,' "$T/stat.csv" || true)" \
    "rows for pools a listener does not use"
assert_eq UP "$(stat_get api:web a1 status)" "a1 status"
assert_eq 1 "$(stat_get canary:web BACKEND stot)" "requests the canary policy routed"
stats_cmd "show servers state" >"$T/state.txt"
assert_eq 1 "$(head -n 1 "$T/state.txt")" "show servers state version"
assert_match "$(sed -n 2p "$T/state.txt")" '^# be_id be_name srv_id srv_name srv_addr srv_op_state ' "show servers state header"
assert_match "$(cat "$T/state.txt")" '^[0-9]+ api:web [0-9]+ a1 127\.0\.0\.1 2 ' "a1 in api:web, running"
assert_match "$(cat "$T/state.txt")" '^[0-9]+ tcp-pool:tcp [0-9]+ t1 127\.0\.0\.1 ' "t1 in tcp-pool:tcp"
st=$(stats_cmd "show servers state api:nodefault")
assert_eq 2 "$(grep -c ' api:nodefault ' <<<"$st")" "show servers state of one backend"
assert_eq 0 "$(grep -c ' api:web ' <<<"$st" || true)" "only the backend asked for"

# --- reload under load ----------------------------------------------------------
note "SIGHUP: add a listener, remove one, change a policy while wrk runs"
a1_before=$(stat_get api:web a1 stot)
assert_between "${a1_before:-0}" 9 1000 "a1 requests before the reload"
write_lb "$T/lb.json" b
bg_run wrk wrk -t2 -c10 -d4s --timeout 5s "$u/"
wrk_pid=$BG_PID
sleep 1
kill -HUP "$LB_PID"
wait_until 5 grep -q 'reloaded: generation 2' "$T/lbproxy.log" || fail "reload not applied"
wait_port "$extra" || fail "the added listener does not listen"
wait_port_free "$nodef" || fail "the removed listener still listens"
case "$(who "http://127.0.0.1:$extra/")" in
w1|w2) ;;
*) fail "the added listener does not answer from its pool" ;;
esac
assert_eq 000 "$(http_code "http://127.0.0.1:$nodef/api")" "the removed listener refuses"
assert_eq 403 "$(http_code "$u/" -H 'X-Deny: 1')" "the changed policy rejects X-Deny"
case "$(who "$u/" -H 'X-Block: 1')" in
w1|w2) ;;
*) fail "X-Block is no longer rejected after the reload" ;;
esac
wait_gone "$wrk_pid" 15 || fail "wrk did not finish"
cat "$T/wrk.log"
reqs=$(awk '/requests in/ {print $1}' "$T/wrk.log")
assert_between "${reqs:-0}" 500 100000000 "requests during the reload"
if grep -q "Socket errors" "$T/wrk.log"; then fail "wrk errors across the reload: $(grep 'Socket errors' "$T/wrk.log")"; fi
if grep -q "Non-2xx" "$T/wrk.log"; then fail "non-2xx across the reload: $(grep 'Non-2xx' "$T/wrk.log")"; fi

note "members keep their counters, stats follow the listeners"
assert_eq "$a1_before" "$(stat_get api:web a1 stot)" "a1's counter across the reload"
assert_eq UP "$(stat_get api:web a1 status)" "a1's health across the reload"
stats_cmd "show stat" >"$T/stat2.csv"
grep -q '^extra,FRONTEND,' "$T/stat2.csv" || fail "no FRONTEND row for the added listener"
grep -q '^web-pool:extra,BACKEND,' "$T/stat2.csv" || fail "no BACKEND row web-pool:extra"
if grep -q '^nodefault,\|^api:nodefault,' "$T/stat2.csv"; then fail "rows of the removed listener remain"; fi

stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
