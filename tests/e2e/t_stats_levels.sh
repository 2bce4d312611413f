#!/bin/bash
# t_stats_levels: HAProxy's stats socket levels (SPEC 13). The main socket at
# "stats_socket_level": "operator", a read-only monitoring socket (level
# user by default, mode 0666) and an admin socket from "stats_sockets".
# Each command runs where its level allows and is refused elsewhere with
# HAProxy 2.6's exact reply (checked against a real haproxy when there is
# one); "_getsocks" is admin only, so a -sf takeover through an operator
# socket binds afresh instead.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
vip=$(free_port)
LB_EXTRA="\"stats_socket_level\": \"operator\",
    \"stats_sockets\": [{\"path\": \"$T/mon.sock\", \"mode\": \"0666\"},
                        {\"path\": \"$T/admin.sock\", \"level\": \"admin\", \"mode\": \"0600\"}]" \
    write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN "m1:$p1" "m2:$p2"
start_lbproxy "$T/pool.json" -w 1 -p "$T/lb.pid"
for s in sock mon.sock admin.sock; do
	wait_file "$T/$s" || fail "no stats socket $s"
done
assert_eq 660 "$(stat -c %a "$T/sock")" "main socket mode"
assert_eq 666 "$(stat -c %a "$T/mon.sock")" "monitoring socket mode"
assert_eq 600 "$(stat -c %a "$T/admin.sock")" "admin socket mode"

DENIED=$'Permission denied\n\n|'
# on SOCK CMD: the reply and a "|", so that $(...) keeps its newlines
on() {
	stats_cmd "$2" "$T/$1"
	printf '|'
}
status_of() {
	on "$1" "show stat" | awk -F, -v m="$2" '$2 == m { print $18 }'
}

# --- user (the monitoring socket): everything that reads, nothing that changes
assert_match "$(on mon.sock "show stat")" '^# pxname,svname,' "show stat at level user"
assert_match "$(on mon.sock "show info")" '^Pid: ' "show info at level user"
assert_match "$(on mon.sock "show servers state")" '^1$' "show servers state at level user"
assert_eq $'1 (initial 1)\n\n|' "$(on mon.sock "get weight pool1/m1")" "get weight at level user"
for cmd in "disable server pool1/m1" "enable server pool1/m1" "set weight pool1/m1 0" \
    "set server pool1/m1 state drain" "clear counters" "clear counters all" "_getsocks"; do
	assert_eq "$DENIED" "$(on mon.sock "$cmd")" "'$cmd' at level user"
done
assert_eq "no check" "$(status_of sock m1)" "a refused disable changed nothing"
help=$(on mon.sock "help")
assert_contains "$help" "show stat"
assert_not_contains "$help" "disable server"
assert_not_contains "$help" "clear counters"
# one refusal does not stop the next command on the line
assert_eq "${DENIED%|}"$'1 (initial 1)\n\n|' "$(on mon.sock "set weight pool1/m1 3; get weight pool1/m1")" \
    "commands after a refused one"

# --- operator (the main socket): plus clear counters
assert_eq $'\n|' "$(on sock "clear counters")" "clear counters at level operator"
grep -q "max counters cleared from the stats socket" "$T/lbproxy.log" || fail "clear counters not logged"
assert_eq "$DENIED" "$(on sock "disable server pool1/m1")" "disable server at level operator"
assert_eq "$DENIED" "$(on sock "clear counters all")" "clear counters all at level operator"
assert_contains "$(on sock "help")" "clear counters"

# --- admin: everything
assert_eq $'\n|' "$(on admin.sock "disable server pool1/m1")" "disable server at level admin"
assert_eq "MAINT" "$(status_of mon.sock m1)" "m1 disabled from the admin socket"
assert_eq $'\n|' "$(on admin.sock "enable server pool1/m1")" "enable server at level admin"
assert_eq $'\n|' "$(on admin.sock "set weight pool1/m2 5")" "set weight at level admin"
assert_eq $'5 (initial 1)\n\n|' "$(on mon.sock "get weight pool1/m2")" "the new weight, read at level user"
assert_contains "$(on admin.sock "clear counters all")" "monotonic"

# --- the same refusals from HAProxy 2.6 itself, byte for byte
if command -v haproxy >/dev/null 2>&1 && haproxy -v 2>/dev/null | grep -q "version 2\.6\."; then
	hvip=$(free_port)
	{
		printf 'global\n    stats socket %s mode 600 level user\n' "$T/ha-user.sock"
		printf '    stats socket %s mode 600 level operator\n' "$T/ha-oper.sock"
		printf 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n'
		printf 'frontend vip1\n    bind 127.0.0.1:%s\n    default_backend pool1\n' "$hvip"
		printf 'backend pool1\n    server m1 127.0.0.1:%s\n    server m2 127.0.0.1:%s\n' "$p1" "$p2"
	} >"$T/haproxy.cfg"
	bg_run haproxy haproxy -db -f "$T/haproxy.cfg"
	wait_file "$T/ha-oper.sock" 5 || fail "haproxy did not start: $(cat "$T/haproxy.log")"
	for cmd in "disable server pool1/m1" "enable server pool1/m1" "set weight pool1/m1 0" \
	    "set server pool1/m1 state drain" "clear counters"; do
		assert_eq "$(on ha-user.sock "$cmd")" "$(on mon.sock "$cmd")" "'$cmd' at level user, as HAProxy"
	done
	for cmd in "disable server pool1/m1" "set weight pool1/m1 0" "clear counters all" "clear counters"; do
		assert_eq "$(on ha-oper.sock "$cmd")" "$(on sock "$cmd")" "'$cmd' at level operator, as HAProxy"
	done
else
	note "no HAProxy 2.6: replies compared with the documented text only"
fi

# --- takeover needs admin: through the operator socket, the successor binds anew
old=$LB_PID
LB_WAIT_PORT=none start_lbproxy "$T/pool.json" -w 1 -p "$T/lb.pid" -sf "$old"
new=$LB_PID
wait_gone "$old" 10 || fail "old process did not finish after -sf"
grep -q "takeover: cannot fetch listeners from $T/sock" "$T/lbproxy.log" ||
    fail "a takeover through an operator socket was not refused"
assert_eq "b1" "$(http_get "http://127.0.0.1:$vip/" | sed 's/b2/b1/')" "the successor serves"
assert_match "$(on mon.sock "show info")" "^Pid: $new\$" "the monitoring socket is the successor's"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
for s in sock mon.sock admin.sock; do
	[ ! -e "$T/$s" ] || fail "$s left behind at exit"
done
