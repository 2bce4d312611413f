#!/bin/bash
# t_http_keepalive: how long a keep-alive client may stay, and how it ends.
# - With no keep-alive timeout configured, an idle client gets the client
#   timeout (Contrail's custom-attributes client_timeout, as HAProxy's
#   "timeout client" applies when "timeout http-keep-alive" is unset), not
#   the 10 s default (issue 15.3).
# - A graceful stop (SIGUSR1) ends keep-alive clients without an error
#   (issue 15.15): a response in flight when the stop begins carries
#   "Connection: close" and then the connection ends in order; a client
#   idle at that moment is closed between requests (FIN, no reset), and a
#   request it sends first is still answered, with "Connection: close".
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

start_backend b1 0 http; p1=$BACKEND_PORT
vip=$(free_port)
cat >"$T/pool.json" <<JSON
{"vip": {"id": "v", "address": "127.0.0.1", "protocol_port": $vip, "protocol": "HTTP"},
 "pool": {"id": "p", "protocol": "HTTP", "lb_method": "ROUND_ROBIN"},
 "members": [{"id": "m1", "address": "127.0.0.1", "protocol_port": $p1}],
 "custom-attributes": {"client_timeout": "1500"},
 "lbproxy": {"stats_socket": "$T/sock"}}
JSON
start_lbproxy "$T/pool.json"

note "idle keep-alive client: closed after the client timeout"
idle=$(http_py "$vip" <<'PY'
import time
from hlib import Conn, request
c = Conn(timeout=15)
c.send(request("/"))
r = c.response()
assert r.status == 200, r.status
t = time.time()
assert c.closed(wait=15), "not closed"
print("%.1f" % (time.time() - t))
PY
) || fail "idle client: $idle"
assert_match "$idle" '^(1\.[0-9]|2\.[0-9]|3\.[0-9])$' "idle keep-alive client closed after 1.5 s (client_timeout), not 10 s: $idle s"

note "graceful stop under keep-alive clients (keep-alive timeout 10 s)"
stop_lbproxy
write_pool "$T/pool2.json" "$vip" HTTP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/pool2.json"
http_py "$vip" "$LB_PID" >"$T/stop.out" 2>&1 <<'PY' || { cat "$T/stop.out" >&2; fail "keep-alive clients across a stop"; }
import os, signal, time
from hlib import Conn, request
busy, idle, late = Conn(), Conn(), Conn()
for c in (busy, idle, late):
    c.send(request("/"))
    assert c.response().status == 200
busy.send(request("/delay/800"))
time.sleep(0.2)
os.kill(int(os.sys.argv[1]), signal.SIGUSR1)
time.sleep(0.1)
late.send(request("/"))
r = late.response()
assert r.status == 200, "late: %d" % r.status
assert r.h.get("connection") == "close", "late: Connection %r" % r.h.get("connection")
assert late.closed(wait=3) and not late.reset, "late: not closed in order"
r = busy.response()
assert r.status == 200, "busy: %d" % r.status
assert r.h.get("connection") == "close", "busy: Connection %r" % r.h.get("connection")
assert busy.closed(wait=3) and not busy.reset, "busy: not closed in order"
assert idle.closed(wait=3) and not idle.reset, "idle: not closed in order"
print("ok")
PY
assert_eq ok "$(cat "$T/stop.out")" "keep-alive clients across a stop"
wait_gone "$LB_PID" 10 || fail "lbproxy did not finish its graceful stop"
