#!/usr/bin/env bash
# PROXY and PROXYV2 pools (SPEC 11): every member connection starts with the
# header naming the client and the VIP, TCP and HTTP listeners alike; checks
# send a LOCAL header; HTTP connections carrying a header are never shared by
# two clients. The members are lbtest-backend --proxy, which parses the
# header with lbproxy's parser and answers with what it read.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl

start_backend p1 0 http -P
p1=$BACKEND_PORT
start_backend p2 0 tcp -P
p2=$BACKEND_PORT
http=$(free_port)
tcp=$(free_port)
cat >"$T/lb.json" <<JSON
{"loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1",
  "listeners": [
    {"id": "web", "protocol": "HTTP", "protocol_port": $http, "default_pool_id": "pv1"},
    {"id": "raw", "protocol": "TCP", "protocol_port": $tcp, "default_pool_id": "pv2"}],
  "pools": [
    {"id": "pv1", "protocol": "PROXY", "lb_algorithm": "ROUND_ROBIN",
     "members": [{"address": "127.0.0.1", "protocol_port": $p1}],
     "healthmonitor": {"type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 1,
                       "url_path": "/"}},
    {"id": "pv2", "protocol": "PROXYV2", "lb_algorithm": "ROUND_ROBIN",
     "members": [{"address": "127.0.0.1", "protocol_port": $p2}],
     "healthmonitor": {"type": "TCP", "delay": 1, "timeout": 1, "max_retries": 1}}]},
 "lbproxy": {"stats_socket": "$T/sock"}}
JSON
LB_WAIT_PORT=$http start_lbproxy "$T/lb.json"
wait_port "$tcp" || fail "TCP listener not listening"

note "HTTP listener, PROXY v1 pool: the member sees the client and the VIP"
hdrs=$(http_headers "http://127.0.0.1:$http/" )
assert_contains "$hdrs" "X-Proxy-Version: 1" "v1 header read by the member"
assert_match "$hdrs" "X-Proxy-Src: 127\.0\.0\.1:[0-9]+" "client address in the header"
assert_contains "$hdrs" "X-Proxy-Dst: 127.0.0.1:$http" "VIP address in the header"

note "two requests on one client connection, two clients: no connection shared"
out=$(curl -s --max-time 5 -D - -o /dev/null "http://127.0.0.1:$http/a" -o /dev/null \
    "http://127.0.0.1:$http/b" | tr -d '\r' | grep '^X-Proxy-Src')
assert_eq 2 "$(printf '%s\n' "$out" | count_lines)" "each response names its client"
src1=$(http_headers "http://127.0.0.1:$http/" | grep '^X-Proxy-Src')
src2=$(http_headers "http://127.0.0.1:$http/" | grep '^X-Proxy-Src')
assert_ne "$src1" "$src2" "a second client is not sent over the first one's connection"

note "TCP listener, PROXYV2 pool"
reply=$(tcp_exchange "$tcp" "ping\n")
assert_match "$reply" "proxy 127\.0\.0\.1:[0-9]+ 127\.0\.0\.1:$tcp" "v2 header read by the TCP member"

note "health checks send a LOCAL header; no header refused"
wait_until 5 sh -c "curl -s --haproxy-protocol --max-time 2 http://127.0.0.1:$p1/stats | grep -q '^proxy_local [1-9]'" ||
    fail "the HTTP check sent no LOCAL header"
stats=$(curl -s --haproxy-protocol --max-time 2 "http://127.0.0.1:$p1/stats")
assert_contains "$stats" "proxy_invalid 0" "no header refused by the HTTP member"
state=$(stats_cmd "show stat" | grep '^pv2:raw,' | grep -v BACKEND)
assert_contains "$state" ",UP," "the PROXYV2 member is UP by its TCP check"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
