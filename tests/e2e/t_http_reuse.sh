#!/bin/bash
# t_http_reuse: lbproxy.http_reuse (issue 16 item 1) with HAProxy's meanings,
# the member connections counted by the member itself (lbtest-backend's
# /stats conns_total, X-Conn-Id and X-Conn-Req on every response):
#
#   safe    (the default) a new client's first request opens a member
#           connection of its own, even with idle ones there; the later
#           requests of a keep-alive client reuse one
#   always  a new client's first request takes an idle connection too
#   never   one member connection per request, none kept idle (HAProxy's
#           never keeps one private to each client instead, lbproxy(8)
#           says so: only "never shared by two clients" is common)
#
# One worker, so that every request sees the same idle pool. The same
# client run goes through HAProxy 2.6 with `http-reuse` set alike, and for
# safe and always the connections each proxy opened must agree.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3 curl haproxy

start_backend b1 0 http; p1=$BACKEND_PORT
vip=$(free_port)
ha=$(free_port)

# run PORT MODE lbproxy|haproxy: a warm-up client (one request, then it leaves: its member
# connection stays idle), then client A (three requests on one connection)
# and client B (one request, A still open). Checks what MODE promises and
# prints "new N": the member connections A and B made the proxy open.
run() {
	MEMBER_PORTS=$p1 http_py "$1" "$2" "$3" <<'PY'
from hlib import *
import sys
mode, who = sys.argv[1], sys.argv[2]

def conns():
    c = Conn(int(os.environ["MEMBER_PORTS"]))
    c.send(request("/stats", headers=["Connection: close"]))
    body = c.response().body.decode()
    return {k: int(v) for k, v in (l.split() for l in body.splitlines()) if v.isdigit()}

def ask(c, path):
    c.send(request(path))
    r = c.response()
    check(r.status == 200, "%s: status %d" % (path, r.status))
    return int(r.h["x-conn-id"]), int(r.h["x-conn-req"])

w = Conn()
wid, _ = ask(w, "/w")
w.s.close()
time.sleep(0.2)          # the proxy has seen the client go; its member connection is idle
base = conns()["conns_total"]
a = Conn()
A = [ask(a, "/a%d" % i) for i in range(3)]
b = Conn()
B = [ask(b, "/b")]
st = conns()
new = st["conns_total"] - base - 1   # the /stats read itself is one
print("warm-up %d, A %s, B %s, new %d, active %d" % (wid, A, B, new, st["conns_active"] - 1),
      file=sys.stderr)
ids = [i for i, _ in A + B]
if mode == "safe":
    check(A[0][1] == 1 and A[0][0] != wid, "safe: A's first request reused %s" % (A[0],))
    check(A[1][0] == A[2][0] and A[2][1] > 1, "safe: A's later requests not reused: %s" % A)
    check(B[0][1] == 1 and B[0][0] not in (wid, A[0][0]),
          "safe: B's first request reused an idle connection: %s" % B)
    check(new == 2, "safe: %d new member connections, expected 2 (A's first, B's first)" % new)
elif mode == "always":
    check(A[0] == (wid, 2), "always: A's first request did not take the idle one: %s" % (A[0],))
    check(all(i == wid for i in ids), "always: not one connection for all: %s %s" % (A, B))
    check(new == 0, "always: %d new member connections, expected 0" % new)
else:
    # both proxies: a connection is never shared by two clients
    aset = set(i for i, _ in A)
    check(wid not in aset and B[0][0] not in aset | {wid} and B[0][1] == 1,
          "never: a connection served two clients: warm-up %d, %s %s" % (wid, A, B))
    if who == "haproxy":
        sys.exit(0)  # HAProxy's never keeps A's own connection for A (lbproxy(8) says so)
    check(all(n == 1 for _, n in A + B), "never: a member connection served two requests: %s %s" % (A, B))
    check(len(set(ids)) == 4, "never: connections shared: %s" % ids)
    check(new == 4, "never: %d new member connections, expected 4" % new)
    time.sleep(0.2)
    left = conns()["conns_active"] - 1
    check(left == 0, "never: %d member connections kept open with A and B idle" % left)
print("new", new)
PY
}

LB_EXTRA='"http_reuse": "sometimes"' write_pool "$T/bad.json" "$vip" HTTP ROUND_ROBIN "m1:$p1"
rc=0
out=$("$LBPROXY" -t -c "$T/bad.json" 2>&1) || rc=$?
assert_eq 1 "$rc" "-t with http_reuse \"sometimes\" ($out)"
assert_contains "$out" "lbproxy.http_reuse" "the error names the field"

for mode in safe always never; do
	note "http_reuse $mode"
	extra="\"http_reuse\": \"$mode\""
	[ "$mode" = safe ] && extra='"retries": 1'	# safe is the default: not named
	LB_EXTRA=$extra write_pool "$T/pool-$mode.json" "$vip" HTTP ROUND_ROBIN "m1:$p1"
	start_lbproxy "$T/pool-$mode.json" -w 1
	lb=$(run "$vip" "$mode" lbproxy 2>"$T/run-lb-$mode.log") ||
	    fail "lbproxy, http_reuse $mode: $(cat "$T/run-lb-$mode.log")"
	note "lbproxy: $(cat "$T/run-lb-$mode.log")"
	stop_lbproxy

	cat >"$T/haproxy-$mode.cfg" <<EOF
global
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
    http-reuse $mode
frontend fe
    bind 127.0.0.1:$ha
    default_backend be
backend be
    server m1 127.0.0.1:$p1
EOF
	bg_run "haproxy-$mode" haproxy -db -f "$T/haproxy-$mode.cfg"
	hp=$BG_PID
	wait_port "$ha" 5 || fail "HAProxy did not start: $(cat "$T/haproxy-$mode.log")"
	hx=$(run "$ha" "$mode" haproxy 2>"$T/run-ha-$mode.log") ||
	    fail "HAProxy, http-reuse $mode (the reference): $(cat "$T/run-ha-$mode.log")"
	note "HAProxy: $(cat "$T/run-ha-$mode.log")"
	kill "$hp"
	wait_gone "$hp" 5 || fail "HAProxy did not exit"
	wait_port_free "$ha" 5 || fail "HAProxy's port still listening"
	[ "$mode" = never ] ||
	    assert_eq "$hx" "$lb" "http_reuse $mode: member connections opened, HAProxy vs lbproxy"
done
exit 0
