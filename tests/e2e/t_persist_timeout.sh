#!/bin/bash
# t_persist_timeout: an Octavia pool's session_persistence.persistence_timeout
# is how long a SOURCE_IP entry lasts without use (HAProxy's stick-table
# expire): within it the client keeps its member, even one draining at
# weight 0; after it the balancer picks again, so the draining member is
# left; a pool without one keeps the client for 30 minutes. Two pools of
# one process keep their own entries for the same client.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
short=$(free_port)
long=$(free_port)

# pool ID PERSISTENCE-JSON
pool() {
	echo "{\"id\": \"$1\", \"protocol\": \"HTTP\", \"lb_algorithm\": \"ROUND_ROBIN\",
	  \"session_persistence\": $2,
	  \"members\": [{\"id\": \"$1-m1\", \"address\": \"127.0.0.1\", \"protocol_port\": $p1},
	               {\"id\": \"$1-m2\", \"address\": \"127.0.0.1\", \"protocol_port\": $p2}]}"
}
cat >"$T/lb.json" <<JSON
{"loadbalancer": {"id": "lb", "vip_address": "127.0.0.1",
 "listeners": [
  {"id": "short", "protocol": "HTTP", "protocol_port": $short, "default_pool_id": "p-short"},
  {"id": "long", "protocol": "HTTP", "protocol_port": $long, "default_pool_id": "p-long"}],
 "pools": [
  $(pool p-short '{"type": "SOURCE_IP", "persistence_timeout": 2}'),
  $(pool p-long '{"type": "SOURCE_IP"}')]},
 "lbproxy": {"stats_socket": "$T/sock"}}
JSON
LB_WAIT_PORT=$short start_lbproxy "$T/lb.json" -w 2
wait_port "$long"

who() {
	http_get "http://127.0.0.1:$1/" | grep -o 'b[12]' | head -n 1
}
s1=$(who "$short"); l1=$(who "$long")
[ -n "$s1" ] && [ -n "$l1" ] || fail "no answer from a member"
# drain both remembered members: only persistence still sends to them
stats_cmd "set weight p-short:short/p-short-m${s1#b} 0" >/dev/null
stats_cmd "set weight p-long:long/p-long-m${l1#b} 0" >/dev/null
assert_eq "$s1" "$(who "$short")" "within persistence_timeout: the same (draining) member"
assert_eq "$l1" "$(who "$long")" "without persistence_timeout: the same (draining) member"
sleep 3.5	# whole seconds are counted: more than 2 of them
s2=$(who "$short")
assert_ne "$s1" "$s2" "after persistence_timeout: picked again, not the draining member"
assert_eq "$s2" "$(who "$short")" "the new pick is remembered"
assert_eq "$l1" "$(who "$long")" "without persistence_timeout: still the draining member"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
