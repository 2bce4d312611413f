#!/bin/bash
# t_http_persist: session persistence over HTTP. HTTP_COOKIE inserts
# "Set-Cookie: SRV=<member id>; path=/; HttpOnly", honours it on new and
# keep-alive connections, and picks (and names) a new member when the one
# in the cookie is unknown, refuses connections or is in maintenance, while
# a draining member (weight 0) keeps its clients; APP_COOKIE learns
# JSESSIONID from the member's Set-Cookie and routes later requests that
# carry it to that member; SOURCE_IP keeps each client address on one
# member, request after request.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
E2E_TIMEOUT=${E2E_TIMEOUT:-60}
e2e_init
need_cmd python3

# A raw HTTP/1.x client for python3 snippets (VIP=PORT PYTHONPATH=$T
# python3 - <<'PY' ... PY): Conn(), request(), get(), check().
cp "$TOP_SRCDIR/tests/e2e/hlib.py" "$T/hlib.py"

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
dead=$(free_port)	# nothing listens there

# lbproxy instance NAME PERSISTENCE-JSON MEMBER...: sets VIP_<NAME>
start_vip() {
	local name=$1 persist=$2 port

	shift 2
	port=$(free_port)
	STATS_SOCK=$T/sock-$name VIP_EXTRA="\"session_persistence\": $persist" \
		write_pool "$T/pool-$name.json" "$port" HTTP ROUND_ROBIN "$@"
	STATS_SOCK=$T/sock-$name start_lbproxy "$T/pool-$name.json" -w 2
	eval "VIP_$name=$port"
}
start_vip cookie '{"type": "HTTP_COOKIE"}' "m1:$p1" "m2:$p2" "m3:$dead"
start_vip app '{"type": "APP_COOKIE", "cookie_name": "JSESSIONID"}' "m1:$p1" "m2:$p2"
start_vip src '{"type": "SOURCE_IP"}' "m1:$p1" "m2:$p2"
start_vip named '{"type": "HTTP_COOKIE", "cookie_name": "LBSRV"}' "m1:$p1" "m2:$p2"

note "HTTP_COOKIE with a configured cookie_name"
VIP=$VIP_named PYTHONPATH=$T python3 - <<'PY' || fail "HTTP_COOKIE cookie_name"
from hlib import *
ids = {"b1": "m1", "b2": "m2"}
r = get("/")
mid = ids[r.h["x-backend"]]
check(r.all("set-cookie") == ["LBSRV=%s; path=/; HttpOnly" % mid], "Set-Cookie %s" % r.all("set-cookie"))
for i in range(4):
    r = get("/", headers=["Cookie: LBSRV=%s" % mid])
    check(ids[r.h["x-backend"]] == mid and not r.all("set-cookie"), "LBSRV=%s went to %s" % (mid, r.h["x-backend"]))
PY

note "HTTP_COOKIE: SRV=<member id> inserted, honoured, replaced when its member is unusable"
VIP=$VIP_cookie PYTHONPATH=$T python3 - <<'PY' || fail "HTTP_COOKIE"
from hlib import *
ids = {"b1": "m1", "b2": "m2"}
r = get("/")
check(r.status == 200, "first request: %d" % r.status)
sc = r.all("set-cookie")
mid = ids[r.h["x-backend"]]
check(sc == ["SRV=%s; path=/; HttpOnly" % mid], "first response's Set-Cookie: %s" % sc)
# sticky across new connections and on one keep-alive connection
for i in range(8):
    r = get("/", headers=["Cookie: a=1; SRV=%s; b=2" % mid])
    check(ids[r.h["x-backend"]] == mid and not r.all("set-cookie"), "cookie SRV=%s: %s %s" % (mid, r.h["x-backend"], r.all("set-cookie")))
c = Conn()
for i in range(6):
    c.send(request("/", headers=["Cookie: SRV=%s" % mid]))
    r = c.response()
    check(ids[r.h["x-backend"]] == mid, "keep-alive with SRV=%s went to %s" % (mid, r.h["x-backend"]))
# without the cookie, both members are used, each response inserts the cookie
seen = set()
for i in range(6):
    r = get("/")
    seen.add(r.h["x-backend"])
    check(r.all("set-cookie") == ["SRV=%s; path=/; HttpOnly" % ids[r.h["x-backend"]]], "Set-Cookie %s" % r.all("set-cookie"))
check(seen == {"b1", "b2"}, "balancing without a cookie: %s" % seen)
# unknown member, and a member that refuses connections: a new member and a new cookie
for bad in ("nosuch", "m3"):
    for i in range(3):
        r = get("/", headers=["Cookie: SRV=%s" % bad])
        check(r.status == 200, "SRV=%s: %d" % (bad, r.status))
        check(r.all("set-cookie") == ["SRV=%s; path=/; HttpOnly" % ids[r.h["x-backend"]]],
              "SRV=%s: Set-Cookie %s" % (bad, r.all("set-cookie")))
PY
STATS_SOCK=$T/sock-cookie stats_cmd "disable server pool1/m1" >/dev/null
VIP=$VIP_cookie PYTHONPATH=$T python3 - <<'PY' || fail "HTTP_COOKIE with m1 in maintenance"
from hlib import *
# m1 in maintenance: its clients move to another member and get a new cookie
for i in range(3):
    r = get("/", headers=["Cookie: SRV=m1"])
    check(r.status == 200 and r.h["x-backend"] == "b2", "SRV=m1 (down): %d %s" % (r.status, r.h.get("x-backend")))
    check(r.all("set-cookie") == ["SRV=m2; path=/; HttpOnly"], "SRV=m1 (down): Set-Cookie %s" % r.all("set-cookie"))
PY
STATS_SOCK=$T/sock-cookie stats_cmd "enable server pool1/m1" >/dev/null
STATS_SOCK=$T/sock-cookie stats_cmd "set weight pool1/m2 0" >/dev/null
VIP=$VIP_cookie PYTHONPATH=$T python3 - <<'PY' || fail "HTTP_COOKIE with m2 draining"
from hlib import *
# m2 at weight 0 (drain): no new clients, its persistent clients still accepted
for i in range(3):
    r = get("/", headers=["Cookie: SRV=m1"])
    check(r.h["x-backend"] == "b1" and not r.all("set-cookie"), "SRV=m1 back up: %s" % r.h.get("x-backend"))
    r = get("/", headers=["Cookie: SRV=m2"])
    check(r.status == 200 and r.h["x-backend"] == "b2" and not r.all("set-cookie"), "SRV=m2 (drain): %s" % r.h.get("x-backend"))
    r = get("/")
    check(r.h["x-backend"] == "b1", "a new client went to the draining member")
PY
STATS_SOCK=$T/sock-cookie stats_cmd "set weight pool1/m2 1" >/dev/null

note "APP_COOKIE: JSESSIONID learned from the member's Set-Cookie"
VIP=$VIP_app PYTHONPATH=$T python3 - <<'PY' || fail "APP_COOKIE"
from hlib import *
r = get("/setcookie/JSESSIONID=abc")
check(r.status == 200 and r.all("set-cookie") == ["JSESSIONID=abc; Path=/"], "setcookie: %s" % r.headers)
x = r.h["x-backend"]
# a second session issued by the other member
for i in range(4):
    r = get("/setcookie/JSESSIONID=def")
    if r.h["x-backend"] != x:
        break
y = r.h["x-backend"]
check(y != x, "second session landed on the same member")
for i in range(6):
    r = get("/", headers=["Cookie: JSESSIONID=abc"])
    check(r.h["x-backend"] == x, "JSESSIONID=abc (from %s) went to %s" % (x, r.h["x-backend"]))
    r = get("/", headers=["Cookie: other=1; JSESSIONID=def"])
    check(r.h["x-backend"] == y, "JSESSIONID=def (from %s) went to %s" % (y, r.h["x-backend"]))
c = Conn()
for i in range(6):
    sid = ("abc", "def")[i % 2]
    c.send(request("/", headers=["Cookie: JSESSIONID=%s" % sid]))
    r = c.response()
    check(r.h["x-backend"] == (x, y)[i % 2], "keep-alive, JSESSIONID=%s went to %s" % (sid, r.h["x-backend"]))
# an unknown session is balanced
seen = set(get("/", headers=["Cookie: JSESSIONID=zzz"]).h["x-backend"] for i in range(6))
check(seen == {"b1", "b2"}, "unknown JSESSIONID: %s" % seen)
PY

note "SOURCE_IP: one client address, one member"
T=$T VIP=$VIP_src PYTHONPATH=$T python3 - <<'PY' || fail "SOURCE_IP"
from hlib import *
def from_src(src, path="/"):
    s = socket.socket()
    s.settimeout(5)
    s.bind((src, 0))
    s.connect(("127.0.0.1", PORT))
    c = Conn.__new__(Conn)
    c.s, c.buf, c.eof, c.reset = s, b"", False, False
    return c
seen = {}
for n in range(1, 17):
    src = "127.0.0.%d" % n
    got = set()
    for i in range(3):
        c = from_src(src)
        c.send(request("/", headers=["Connection: close"]))
        got.add(c.response().h["x-backend"])
    c = from_src(src)
    for i in range(3):
        c.send(request("/"))
        got.add(c.response().h["x-backend"])
    check(len(got) == 1, "client %s reached %s" % (src, got))
    seen[src] = got.pop()
check(set(seen.values()) == {"b1", "b2"}, "16 client addresses all on one member: %s" % seen)
open(os.environ["T"] + "/src-seen", "w").write(repr(seen))
PY
# drain m2 (weight 0): its known clients stay, new client addresses never reach it
STATS_SOCK=$T/sock-src stats_cmd "set weight pool1/m2 0" >/dev/null
T=$T VIP=$VIP_src PYTHONPATH=$T python3 - <<'PY' || fail "SOURCE_IP persistence while draining"
from hlib import *
import ast
seen = ast.literal_eval(open(os.environ["T"] + "/src-seen").read())
def from_src(src):
    s = socket.socket()
    s.settimeout(5)
    s.bind((src, 0))
    s.connect(("127.0.0.1", PORT))
    c = Conn.__new__(Conn)
    c.s, c.buf, c.eof, c.reset = s, b"", False, False
    c.send(request("/", headers=["Connection: close"]))
    return c.response().h["x-backend"]
for src, b in seen.items():
    check(from_src(src) == b, "known client %s moved off %s while it drains" % (src, b))
for n in range(20, 36):
    check(from_src("127.0.0.%d" % n) == "b1", "new client 127.0.0.%d sent to the draining member" % n)
PY
STATS_SOCK=$T/sock-src stats_cmd "set weight pool1/m2 1" >/dev/null
