#!/bin/bash
# t_stats: the stats socket and the metrics endpoint against real traffic
# (SPEC section 6). The socket is read the way the Neutron LBaaS haproxy
# driver reads HAProxy's: "show stat -1 6 -1", recv() in 1024-byte chunks
# until a short one, strip the "# ", split on ',' into dicts. Counters must
# match the traffic sent; disable/enable server must steer traffic.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3

# Print the rows of CMD on socket SOCK as JSON, parsed like Neutron's driver.
neutron_stats() {
	python3 - "$1" "$2" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.send((sys.argv[2] + "\n").encode())
raw = b""
while True:                     # neutron_lbaas/drivers/haproxy/namespace_driver.py
    chunk = s.recv(1024)
    raw += chunk
    if len(chunk) < 1024:
        break
lines = raw.decode().splitlines()
names = [n.strip("# ") for n in lines[0].split(",")]
rows = []
for line in lines[1:]:
    if not line:
        continue
    rows.append(dict(zip(names, [v.strip() for v in line.split(",")])))
print(json.dumps(rows))
EOF
}

# True if "show stat -1 -1 -1" (read with csv.DictReader) meets expectations:
# stats_ok SOCK 'python expression over fe, be, sv (rows by svname)'...
stats_ok() {
	local sock=$1

	shift
	python3 - "$sock" "$@" <<'EOF'
import csv, io, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"show stat -1 -1 -1\n")
raw = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    raw += d
text = raw.decode()
assert text.startswith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,"), text[:80]
header = text.splitlines()[0]
ncols = header.count(",")
for line in text.splitlines()[1:]:
    assert line == "" or line.count(",") == ncols, "column count: " + line
rows = list(csv.DictReader(io.StringIO(text[2:])))
fe = [r for r in rows if r["svname"] == "FRONTEND"][0]
be = [r for r in rows if r["svname"] == "BACKEND"][0]
sv = {r["svname"]: r for r in rows if r["type"] == "2"}
for expr in sys.argv[2:]:
    if not eval(expr):
        print("FAILED: %s\n  fe=%s\n  be=%s\n  sv=%s" % (expr,
            {k: fe[k] for k in ("status", "scur", "stot", "bin", "bout", "req_tot", "hrsp_2xx")},
            {k: be[k] for k in ("status", "scur", "stot", "bin", "bout", "act", "econ", "hrsp_2xx")},
            {n: {k: r[k] for k in ("status", "scur", "stot", "bin", "bout", "weight",
                "check_status", "check_code")} for n, r in sv.items()}), file=sys.stderr)
        sys.exit(1)
EOF
}

check_stats() {
	stats_ok "$@" || fail "stats check failed (see above)"
}

# --- TCP VIP ------------------------------------------------------------------

note "TCP VIP: counters match the traffic"
vport=$(free_port)
start_backend t1 0 tcp
p1=$BACKEND_PORT
start_backend t2 0 tcp
p2=$BACKEND_PORT
STATS_SOCK=$T/tcp.sock
export STATS_SOCK
write_pool "$T/tcp.json" "$vport" TCP ROUND_ROBIN t1:"$p1" t2:"$p2"
start_lbproxy "$T/tcp.json" -w 1
[ -S "$T/tcp.sock" ] || fail "no stats socket at $T/tcp.sock"

# N connections of SIZE bytes each; record who answered and the bytes back.
tcp_load() {
	python3 - "$vport" "$1" "$2" "$T/tcp.out" <<'EOF'
import socket, sys
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
back, who = 0, []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"x" * size)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    assert out.endswith(b" %d\n" % size), out[-40:]
    back += len(out)
    who.append(out.split(b"\n", 1)[0].decode().split()[1])
open(sys.argv[4], "w").write("%d %s\n" % (back, " ".join(who)))
EOF
}

tcp_load 6 100
read -r bout1 who <"$T/tcp.out"
assert_eq 3 "$(printf '%s\n' $who | count_lines t1)" "round robin t1"
assert_eq 3 "$(printf '%s\n' $who | count_lines t2)" "round robin t2"

# sessions end asynchronously after the client saw EOF: wait until all closed
wait_until 5 stats_ok "$T/tcp.sock" 'fe["scur"] == "0"' 'be["scur"] == "0"' \
    'fe["stot"] == "6"' 2>/dev/null || true
check_stats "$T/tcp.sock" \
    'fe["pxname"] == "vip1"' 'fe["status"] == "OPEN"' 'fe["type"] == "0"' \
    'fe["scur"] == "0"' 'fe["stot"] == "6"' 'fe["bin"] == "600"' "fe['bout'] == '$bout1'" \
    'fe["mode"] == "tcp"' 'fe["iid"] == "1"' \
    'be["pxname"] == "pool1"' 'be["status"] == "UP"' 'be["type"] == "1"' 'be["iid"] == "2"' \
    'be["stot"] == "6"' 'be["bin"] == "600"' "be['bout'] == '$bout1'" 'be["act"] == "2"' \
    'sorted(sv) == ["t1", "t2"]' \
    'all(r["pxname"] == "pool1" and r["iid"] == "2" for r in sv.values())' \
    'sv["t1"]["sid"] != sv["t2"]["sid"]' \
    'sv["t1"]["status"] == "no check" and sv["t2"]["status"] == "no check"' \
    'sv["t1"]["stot"] == "3" and sv["t2"]["stot"] == "3"' \
    'sv["t1"]["bin"] == "300" and sv["t2"]["bin"] == "300"' \
    "int(sv['t1']['bout']) + int(sv['t2']['bout']) == $bout1" \
    'sv["t1"]["addr"] == "127.0.0.1:'"$p1"'"' \
    'sv["t1"]["weight"] == "1" and sv["t1"]["check_status"] == ""'

note "TCP VIP: the Neutron driver's request and parser"
rows=$(neutron_stats "$T/tcp.sock" "show stat -1 6 -1")
python3 - "$rows" <<'EOF' || fail "Neutron-style parse of show stat -1 6 -1"
import json, sys
rows = json.loads(sys.argv[1])
# STATS_TYPE_BACKEND_RESPONSE = '1', STATS_TYPE_SERVER_RESPONSE = '2'
be = [r for r in rows if r["type"] == "1" and r["pxname"] == "pool1"]
assert len(be) == 1, rows
stats = {"active_connections": be[0]["scur"], "total_connections": be[0]["stot"],
         "bytes_in": be[0]["bin"], "bytes_out": be[0]["bout"]}
assert stats["total_connections"] == "6" and stats["bytes_in"] == "600", stats
members = {r["svname"]: {"status": "INACTIVE" if r["status"] == "DOWN" else "ACTIVE",
                         "health": r["check_status"], "failed_checks": r["chkfail"]}
           for r in rows if r["type"] == "2"}
assert members["t1"]["status"] == "ACTIVE" and members["t2"]["status"] == "ACTIVE", members
assert not [r for r in rows if r["svname"] == "FRONTEND"], "type filter 6 returned a FRONTEND"
EOF

note "TCP VIP: disable server -> MAINT and no traffic; enable -> back"
out=$(stats_cmd "disable server pool1/t1" "$T/tcp.sock")
assert_eq "" "$out" "disable server answers an empty line"
check_stats "$T/tcp.sock" 'sv["t1"]["status"] == "MAINT"' 'sv["t2"]["status"] == "no check"' \
    'be["act"] == "1"' 'be["status"] == "UP"'
tcp_load 4 10
read -r _ who <"$T/tcp.out"
assert_eq 0 "$(printf '%s\n' $who | count_lines t1)" "no traffic to a disabled member"
wait_until 5 stats_ok "$T/tcp.sock" 'fe["scur"] == "0"' 2>/dev/null || true
check_stats "$T/tcp.sock" 'sv["t1"]["stot"] == "3"' 'sv["t2"]["stot"] == "7"' 'fe["stot"] == "10"'

stats_cmd "enable server pool1/t1" "$T/tcp.sock" >/dev/null
check_stats "$T/tcp.sock" 'sv["t1"]["status"] == "no check"' 'be["act"] == "2"'
tcp_load 4 10
read -r _ who <"$T/tcp.out"
assert_eq 2 "$(printf '%s\n' $who | count_lines t1)" "traffic to the re-enabled member"

note "TCP VIP: set weight"
out=$(stats_cmd "set weight pool1/t1 300" "$T/tcp.sock")
assert_contains "$out" "Absolute weight can only be between 0 and 256 inclusive."
stats_cmd "set weight pool1/t1 0" "$T/tcp.sock" >/dev/null
# HAProxy 2.6: weight 0 keeps its status (no check here) with weight 0 (DRAIN is an
# admin state), and is not counted in the backend
check_stats "$T/tcp.sock" 'sv["t1"]["status"] == "no check"' 'sv["t1"]["weight"] == "0"' \
    'be["act"] == "1"' 'be["weight"] == "1"'
tcp_load 3 10
read -r _ who <"$T/tcp.out"
assert_eq 0 "$(printf '%s\n' $who | count_lines t1)" "no traffic at weight 0"
stats_cmd "set weight pool1/t1 1" "$T/tcp.sock" >/dev/null
assert_eq "1 (initial 1)" "$(stats_cmd "get weight pool1/t1" "$T/tcp.sock")" "get weight"

note "TCP VIP: show info, unknown command, several commands"
info=$(stats_cmd "show info" "$T/tcp.sock")
assert_match "$info" '^Name: lbproxy$'
assert_match "$info" "^Pid: $LB_PID\$"
assert_match "$info" '^Uptime_sec: [0-9]+$'
assert_match "$info" '^CumConns: 17$'
assert_match "$info" '^CurrConns: 0$'
out=$(stats_cmd "show nonsense" "$T/tcp.sock")
assert_match "$out" '^Unknown command'
out=$(stats_cmd "show info; show stat -1 1 -1" "$T/tcp.sock")
assert_match "$out" '^Name: lbproxy$'
assert_match "$out" '^vip1,FRONTEND,'

note "TCP VIP: set server state drain -> DRAIN and no new traffic; ready -> back"
assert_eq "" "$(stats_cmd "set server pool1/t1 state drain" "$T/tcp.sock")" "set server state drain"
check_stats "$T/tcp.sock" 'sv["t1"]["status"] == "DRAIN"' 'sv["t1"]["weight"] == "1"' 'be["act"] == "1"'
tcp_load 3 10
read -r _ who <"$T/tcp.out"
assert_eq 0 "$(printf '%s\n' $who | count_lines t1)" "no traffic to a drained member"
stats_cmd "set server pool1/t1 state maint" "$T/tcp.sock" >/dev/null
check_stats "$T/tcp.sock" 'sv["t1"]["status"] == "MAINT"'
stats_cmd "set server pool1/t1 state ready" "$T/tcp.sock" >/dev/null
check_stats "$T/tcp.sock" 'sv["t1"]["status"] == "no check"' 'be["act"] == "2"'

stop_lbproxy TERM
[ ! -e "$T/tcp.sock" ] || fail "stats socket left behind after exit"
stop_backend t1
stop_backend t2

# --- HTTP VIP with health checks and metrics ------------------------------------

note "HTTP VIP: counters, health states, JSON"
vport=$(free_port)
mport=$(free_port)
echo 200 >"$T/health1"
echo 503 >"$T/health2"
start_backend h1 0 http -H "$T/health1"
p1=$BACKEND_PORT
start_backend h2 0 http -H "$T/health2"
p2=$BACKEND_PORT
STATS_SOCK=$T/http.sock
POOL_EXTRA='"healthmonitors": [{"id": "hm1", "type": "HTTP", "delay": 1, "timeout": 1,
    "max_retries": 2, "url_path": "/health", "expected_codes": "200"}]' \
LB_EXTRA='"metrics": {"listen": "127.0.0.1:'"$mport"'"}, "health": {"rise": 1}' \
    write_pool "$T/http.json" "$vport" HTTP ROUND_ROBIN h1:"$p1" h2:"$p2"
start_lbproxy "$T/http.json" -w 1
# a member being checked for the first time shows UP with check_status INI, like HAProxy
wait_until 10 stats_ok "$T/http.sock" 'sv["h1"]["check_status"] != "INI"' \
    'sv["h2"]["check_status"] != "INI"' 2>/dev/null || true
check_stats "$T/http.sock" 'sv["h1"]["status"] == "UP"' 'sv["h2"]["status"] == "DOWN"'
check_stats "$T/http.sock" \
    'sv["h1"]["check_status"] == "L7OK" and sv["h1"]["check_code"] == "200"' \
    'sv["h2"]["check_status"] == "L7STS" and sv["h2"]["check_code"] == "503"' \
    'int(sv["h2"]["chkfail"]) >= 1' 'sv["h2"]["check_duration"] != ""' \
    'be["status"] == "UP"' 'be["act"] == "1"' 'fe["mode"] == "http"'

bin=0
bout=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	out=$(http_get "http://127.0.0.1:$vport/bytes/$((i * 100))" \
	    -o /dev/null -w '%{http_code} %{size_request} %{size_header} %{size_download}')
	read -r code rq hd dl <<<"$out"
	assert_eq 200 "$code" "request $i"
	bin=$((bin + rq))
	bout=$((bout + hd + dl))
done
wait_until 5 stats_ok "$T/http.sock" 'fe["scur"] == "0"' 2>/dev/null || true
check_stats "$T/http.sock" \
    'fe["stot"] == "10"' 'fe["req_tot"] == "10"' 'fe["hrsp_2xx"] == "10"' \
    'be["hrsp_2xx"] == "10"' 'sv["h1"]["hrsp_2xx"] == "10"' 'sv["h2"]["hrsp_2xx"] == "0"' \
    'sv["h2"]["stot"] == "0"'
# As in HAProxy, a request dispatched to a member is a session of that member
# and of the backend (Neutron's total_connections), however many client or
# member connections carried them; bytes are those received from and sent to
# clients (head and body), the same on the frontend, backend and member rows.
check_stats "$T/http.sock" 'be["stot"] == "10"' 'sv["h1"]["stot"] == "10"' \
    "fe['bin'] == '$bin'" "fe['bout'] == '$bout'" \
    "be['bin'] == '$bin'" "be['bout'] == '$bout'" \
    "sv['h1']['bin'] == '$bin'" "sv['h1']['bout'] == '$bout'"

json=$(stats_cmd "show stat json" "$T/http.sock")
python3 - "$json" <<'EOF' || fail "show stat json"
import json, sys
rows = json.loads(sys.argv[1])
assert [r["svname"] for r in rows] == ["FRONTEND", "h1", "h2", "BACKEND"], rows
assert rows[0]["stot"] == 10 and rows[0]["status"] == "OPEN"
assert rows[2]["status"] == "DOWN" and rows[2]["check_status"] == "L7STS"
EOF
health=$(stats_cmd "show health" "$T/http.sock")
assert_match "$health" "^pool1/h1 127.0.0.1:$p1 UP UP L7OK 200 "
assert_match "$health" "^pool1/h2 127.0.0.1:$p2 DOWN DOWN L7STS 503 "

note "HTTP VIP: the member comes back UP"
echo 200 >"$T/health2"
wait_until 10 stats_ok "$T/http.sock" 'sv["h2"]["status"] == "UP"' 2>/dev/null ||
    check_stats "$T/http.sock" 'sv["h2"]["status"] == "UP"'
# HAProxy 2.6 counts a first verdict of DOWN as a down transition
check_stats "$T/http.sock" 'be["act"] == "2"' 'sv["h2"]["chkdown"] == "1"' \
    'sv["h2"]["check_status"] == "L7OK"'

note "HTTP VIP: UP -> DOWN counts in chkdown"
echo 500 >"$T/health2"
wait_until 10 stats_ok "$T/http.sock" 'sv["h2"]["status"] == "DOWN"' 2>/dev/null ||
    check_stats "$T/http.sock" 'sv["h2"]["status"] == "DOWN"'
check_stats "$T/http.sock" 'sv["h2"]["chkdown"] == "2"' 'sv["h2"]["check_code"] == "500"' \
    'be["act"] == "1"' 'sv["h1"]["chkdown"] == "0"'

note "metrics endpoint"
m=$(curl -s --noproxy '*' --max-time 5 "http://127.0.0.1:$mport/metrics")
assert_match "$m" '^lbproxy_up 1$'
assert_match "$m" '^lbproxy_info\{version="[^"]+"\} 1$'
assert_match "$m" '^lbproxy_frontend_connections_total\{vip="vip1"\} 10$'
assert_match "$m" "^lbproxy_frontend_bytes_in_total\\{vip=\"vip1\"\\} $bin\$"
assert_match "$m" "^lbproxy_member_up\\{pool=\"pool1\",member=\"h1\",address=\"127.0.0.1:$p1\"\\} 1\$"
assert_match "$m" "^lbproxy_member_state\\{pool=\"pool1\",member=\"h1\",address=\"127.0.0.1:$p1\",state=\"UP\"\\} 1\$"
assert_match "$m" "^lbproxy_member_responses_total\\{pool=\"pool1\",member=\"h1\",address=\"127.0.0.1:$p1\",code=\"2xx\"\\} 10\$"
assert_match "$m" '^lbproxy_http_request_duration_seconds_bucket\{vip="vip1",le="\+Inf"\} 10$'
assert_match "$m" '^lbproxy_http_request_duration_seconds_count\{vip="vip1"\} 10$'
assert_match "$m" '^# TYPE lbproxy_http_request_duration_seconds histogram$'
h=$(curl -s --noproxy '*' --max-time 5 -D - -o /dev/null "http://127.0.0.1:$mport/metrics")
assert_contains "$h" "Content-Type: text/plain; version=0.0.4"
assert_eq 405 "$(curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' \
    -X POST "http://127.0.0.1:$mport/metrics")" "POST /metrics"

# A response lbproxy refuses (101 to a request that asked for no upgrade)
# is one 502, counted once: not also under the member's own status.
assert_eq 502 "$(http_code "http://127.0.0.1:$vport/switch")" "101 without an upgrade request"
check_stats "$T/http.sock" 'fe["hrsp_5xx"] == "1"' 'fe["hrsp_1xx"] == "0"' \
    'sv["h1"]["hrsp_1xx"] == "0"' 'sv["h1"]["hrsp_5xx"] == "1"'

note "the socket survives a slow client"
python3 - "$T/http.sock" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.send(b"show st")
time.sleep(3)
EOF
slow=$!
track_pid "$slow"
sleep 0.2
assert_match "$(stats_cmd "show info" "$T/http.sock")" '^Name: lbproxy$'
wait "$slow" || true

stop_lbproxy TERM
assert_eq 0 "$LB_STATUS" "exit status"
note "ok"
