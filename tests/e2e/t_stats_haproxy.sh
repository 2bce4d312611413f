#!/bin/bash
# t_stats_haproxy: the stats socket answers as HAProxy 2.6 does (issue 15
# items 10 and 11). lbproxy and the haproxy binary run side by side with
# the same members, checks and admin commands, and the columns agents
# compare must agree: "show stat" status, weight, chkfail, chkdown and
# check_status (and the BACKEND's act and weight), and "show servers state"
# wherever the fields can agree. Members: UP; first check fails (then fails
# more); UP then DOWN (then fails more); weight 0; admin down in the file;
# disabled and drained on the socket. Skips without haproxy.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3 haproxy
haproxy -v 2>/dev/null | grep -q "version 2\.6\." || skip "needs HAProxy 2.6 ($(haproxy -v 2>&1 | head -n 1))"

ids="up first later w0 maint cli drain"
for id in $ids; do
	echo 200 >"$T/health-$id"
	start_backend "$id" 0 http -H "$T/health-$id" -q
	eval "port_$id=\$BACKEND_PORT"
done
echo 503 >"$T/health-first"

# lbproxy: delay 1 s, fall 3, rise 2
vip=$(free_port)
members=$(for id in $ids; do
	eval "p=\$port_$id"
	w=1; a=true
	[ "$id" = w0 ] && w=0
	[ "$id" = maint ] && a=false
	printf '{"id": "%s", "address": "127.0.0.1", "protocol_port": %s, "weight": %s, "admin_state_up": %s},' \
	    "$id" "$p" "$w" "$a"
done)
cat >"$T/pool.json" <<JSON
{
  "vip": {"id": "vip1", "address": "127.0.0.1", "protocol_port": $vip, "protocol": "HTTP"},
  "pool": {"id": "pool1", "protocol": "HTTP", "lb_method": "ROUND_ROBIN"},
  "members": [${members%,}],
  "healthmonitors": [{"id": "hm1", "type": "HTTP", "delay": 1, "timeout": 1, "max_retries": 3,
                      "url_path": "/health", "expected_codes": "200"}],
  "lbproxy": {"stats_socket": "$T/lb.sock", "health": {"rise": 2}}
}
JSON
STATS_SOCK=$T/lb.sock start_lbproxy "$T/pool.json" -w 1

# HAProxy: the same, with the proxy ids lbproxy uses (frontend 1, backend 2)
hvip=$(free_port)
{
	printf 'global\n    stats socket %s mode 600 level admin\n' "$T/ha.sock"
	printf 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n'
	printf 'frontend vip1\n    id 1\n    bind 127.0.0.1:%s\n    default_backend pool1\n' "$hvip"
	printf 'backend pool1\n    id 2\n    balance roundrobin\n    option httpchk GET /health\n'
	printf '    default-server inter 1s rise 2 fall 3\n'
	for id in $ids; do
		eval "p=\$port_$id"
		extra=""
		[ "$id" = w0 ] && extra=" weight 0"
		[ "$id" = maint ] && extra=" disabled"
		printf '    server %s 127.0.0.1:%s check%s\n' "$id" "$p" "$extra"
	done
} >"$T/haproxy.cfg"
haproxy -c -f "$T/haproxy.cfg" >"$T/haproxy-check.log" 2>&1 || fail "haproxy -c: $(cat "$T/haproxy-check.log")"
bg_run haproxy haproxy -db -f "$T/haproxy.cfg"
wait_file "$T/ha.sock" 5 || fail "haproxy did not start: $(cat "$T/haproxy.log")"

# compare.py LB HA (the files fetch saves): print the differences between the two, fail if any;
# compare.py LB HA sv=STATUS...: only check that both show those states;
# compare.py LB expect sv=STATUS,WEIGHT,CHKFAIL,CHKDOWN,CHECK_STATUS...
cat >"$T/compare.py" <<'PY'
import csv, io, sys

def ask(side, what):
    return open("%s.%s" % (side, what)).read()

def stat(side):
    text = ask(side, "stat")
    rows = csv.DictReader(io.StringIO(text[2:]))
    return {r["svname"]: r for r in rows if r.get("pxname") == "pool1"}

FIELDS = ("be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
          "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
          "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
          "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr "
          "srv_agent_addr srv_agent_port").split()

def servers_state(side):
    lines = ask(side, "state").splitlines()
    assert lines[0] == "1", lines[:2]
    assert lines[1] == "# " + " ".join(FIELDS), lines[1]
    rows = {}
    for line in lines[2:]:
        if line:
            r = dict(zip(FIELDS, line.split(" ")))
            # HAProxy sets CHK_ST_INPROGRESS (1) while a check runs, its result
            # reading 0 (unknown) meanwhile
            r["running"] = int(r["srv_check_state"]) & 1
            r["srv_check_state"] = str(int(r["srv_check_state"]) & ~1)
            rows[r["srv_name"]] = r
    return rows

lb, ha = sys.argv[1], sys.argv[2]
if ha == "expect":
    rows = stat(lb)
    for arg in sys.argv[3:]:
        sv, w = arg.split("=")
        r = rows[sv]
        got = ",".join(r[c] for c in ("status", "weight", "chkfail", "chkdown", "check_status"))
        if got != w:
            print("%s: %s, expected %s" % (sv, got, w))
            sys.exit(1)
    sys.exit(0)
settle = len(sys.argv) > 3
want = dict(arg.split("=") for arg in sys.argv[3:])
a, b = stat(lb), stat(ha)
if settle:
    for sv, st in want.items():
        for side, rows in (("lbproxy", a), ("haproxy", b)):
            r = rows.get(sv, {})
            if r.get("status") != st or r.get("check_status") == "INI":
                print("waiting: %s %s is %s/%s" % (side, sv, r.get("status"), r.get("check_status")))
                sys.exit(1)
    sys.exit(0)
bad = []
assert len(a) == len(b) == 8, (sorted(a), sorted(b))	# 7 servers and the BACKEND
for sv in sorted(set(a) | set(b)):
    cols = ["status", "weight", "act", "chkfail", "chkdown", "check_status"]
    if sv != "BACKEND":
        cols += ["check_code", "check_rise", "check_fall", "check_health"]
    # HAProxy marks a check in progress with "* " before its last status
    # and reads check_code 0 meanwhile; lbproxy shows the last result
    running = b.get(sv, {}).get("check_status", "").startswith("* ")
    for col in cols:
        x, y = a.get(sv, {}).get(col), b.get(sv, {}).get(col)
        if running and col == "check_status":
            y = y[2:]
        if running and col == "check_code":
            continue
        if sv == "BACKEND" and col in ("chkfail", "chkdown", "check_status"):
            continue	# HAProxy's backend down transitions are not tracked by lbproxy
        if x != y:
            bad.append("show stat %s %s: lbproxy %r, haproxy %r" % (sv, col, x, y))
a, b = servers_state(lb), servers_state(ha)
assert len(a) == len(b) == 7, (sorted(a), sorted(b))
for sv in sorted(set(a) | set(b)):
    for f in FIELDS:
        # seconds since the last change: the two were started apart; the
        # backend id is forced in haproxy.cfg (lbproxy's ids are its own)
        if f in ("srv_time_since_last_change", "bk_f_forced_id"):
            continue
        # HAProxy never checks a server disabled in its file, lbproxy does
        if sv == "maint" and f in ("srv_check_status", "srv_check_result"):
            continue
        if f == "srv_check_result" and b.get(sv, {}).get("running"):
            continue
        x, y = a.get(sv, {}).get(f), b.get(sv, {}).get(f)
        if x != y:
            bad.append("show servers state %s %s: lbproxy %r, haproxy %r" % (sv, f, x, y))
for line in bad:
    print(line)
sys.exit(1 if bad else 0)
PY

# The two answers, saved to $T/{lb,ha}.{stat,state}.
fetch() {
	local side

	for side in lb ha; do
		stats_cmd "show stat" "$T/$side.sock" >"$T/$side.stat"
		stats_cmd "show servers state pool1" "$T/$side.sock" >"$T/$side.state"
	done
}

compare() {
	fetch
	python3 "$T/compare.py" "$T/lb" "$T/ha" "$@"
}

note "first verdicts: UP, first check fails, weight 0, admin down"
wait_until 15 compare up=UP first=DOWN later=UP w0=UP maint=MAINT cli=UP drain=UP ||
    { compare up=UP first=DOWN later=UP w0=UP maint=MAINT cli=UP drain=UP; fail "not settled"; }
# the first member fails more: its counters stay (chkfail 1, chkdown 1)
sleep 2.2
compare || fail "lbproxy and haproxy disagree (first verdicts)"

note "disable server, set server state drain, then UP -> DOWN and more failures"
for sock in "$T/lb.sock" "$T/ha.sock"; do
	assert_eq "" "$(stats_cmd "disable server pool1/cli" "$sock")" "disable server on $sock"
	assert_eq "" "$(stats_cmd "set server pool1/drain state drain" "$sock")" "drain on $sock"
done
echo 500 >"$T/health-later"
wait_until 15 compare later=DOWN cli=MAINT drain=DRAIN ||
    { compare later=DOWN cli=MAINT drain=DRAIN; fail "not settled"; }
sleep 2.2
compare || fail "lbproxy and haproxy disagree (after DOWN, MAINT and DRAIN)"
# and the values they agree on are HAProxy's: status,weight,chkfail,chkdown,check_status
python3 "$T/compare.py" "$T/lb" expect up=UP,1,0,0,L7OK first=DOWN,1,1,1,L7STS \
    later=DOWN,1,3,1,L7STS w0=UP,0,0,0,L7OK maint=MAINT,1,0,0, cli=MAINT,1,0,1, \
    drain=DRAIN,1,0,0,L7OK || fail "the compared values are not the expected ones"

note "ready again"
for sock in "$T/lb.sock" "$T/ha.sock"; do
	stats_cmd "set server pool1/cli state ready; set server pool1/drain state ready" "$sock" >/dev/null
done
wait_until 15 compare cli=UP drain=UP || { compare cli=UP drain=UP; fail "not settled"; }
compare || fail "lbproxy and haproxy disagree (ready again)"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
