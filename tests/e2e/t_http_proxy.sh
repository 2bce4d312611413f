#!/bin/bash
# t_http_proxy: the HTTP/1.1 proxy end to end. Per-request balancing on one
# keep-alive client connection, member connections reused from the idle
# pool, pipelined requests answered in order, request and response bodies
# streamed intact in every framing (5 MiB uploads with bounded memory,
# chunk extensions with whitespace, chunk sizes with leading zeros),
# HEAD/204/304 without bodies, Expect: 100-continue, a WebSocket upgrade
# tunnelled after the 101, HTTP/1.0 with and without keep-alive, the
# regenerated request head (hop-by-hop fields removed, X-Forwarded-*,
# exactly one framing header, an absolute-form target sent in origin-form
# with its authority as Host) and the access log line.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
E2E_TIMEOUT=${E2E_TIMEOUT:-60}
e2e_init
need_cmd python3 curl

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
vip=$(free_port)
LB_EXTRA='"insert_headers": {"X-Forwarded-Port": true}, "log": {"access_log": true},
	"timeouts_ms": {"http_keep_alive": 1000}' \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN "m1:$p1" "m2:$p2"
start_lbproxy "$T/pool.json" -w 1	# one idle pool: reuse is deterministic

note "per-request balancing on one keep-alive connection, member connections reused"
http_py "$vip" <<'PY' || fail "per-request balancing / member connection reuse"
from hlib import *
c = Conn()
seen = []
for i in range(6):
    c.send(request("/"))
    r = c.response()
    check(r.status == 200, "status %d" % r.status)
    seen.append((r.h["x-backend"], int(r.h["x-conn-id"]), int(r.h["x-conn-req"])))
    check(r.body == (r.h["x-backend"] + "\n").encode(), "body %r" % r.body)
backends = [b for b, _, _ in seen]
check(all(backends[i] != backends[i + 1] for i in range(5)), "not alternating: %s" % backends)
for b in ("b1", "b2"):
    mine = [(cid, n) for x, cid, n in seen if x == b]
    check(len(set(cid for cid, _ in mine)) == 1, "%s: member connection not reused: %s" % (b, mine))
    check([n for _, n in mine] == sorted(n for _, n in mine) and mine[-1][1] - mine[0][1] == 2,
          "%s: X-Conn-Req does not increase: %s" % (b, mine))
check(not c.closed(0.3), "client connection closed after keep-alive responses")
PY
# http_reuse "safe" (the default): a new client's first request gets a member
# connection of its own; "always": it takes an idle one
reqs=$(http_headers "http://127.0.0.1:$vip/" | sed -n 's/^X-Conn-Req: //p')
assert_eq 1 "${reqs:-0}" "safe: a new client's first request on a fresh member connection"
stop_lbproxy
LB_EXTRA='"insert_headers": {"X-Forwarded-Port": true}, "log": {"access_log": true},
	"timeouts_ms": {"http_keep_alive": 1000}, "http_reuse": "always"' \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN "m1:$p1" "m2:$p2"
start_lbproxy "$T/pool.json" -w 1
http_get "http://127.0.0.1:$vip/" >/dev/null
http_get "http://127.0.0.1:$vip/" >/dev/null
reqs=$(http_headers "http://127.0.0.1:$vip/" | sed -n 's/^X-Conn-Req: //p')
[ "${reqs:-0}" -gt 1 ] || fail "always: new client connection did not reuse an idle member connection (X-Conn-Req $reqs)"

note "keep-alive: bodiless POST, half-closed client, idle timeout"
http_py "$vip" <<'PY' || fail "keep-alive"
from hlib import *
c = Conn()
c.send(request("/", method="POST", headers=["Content-Length: 0"]))
r = c.response()
check(r.status == 200 and r.h.get("connection") is None, "POST with Content-Length: 0: %d %s" % (r.status, r.headers))
c.send(request("/status/202"))
r = c.response()
check(r.status == 202, "request after a bodiless POST: %d" % r.status)
# a client that half-closes after its request still gets all of a large
# response, even when it reads slowly
n = 3000000
c = Conn(rcvbuf=8192)
c.send(request("/bytes/%d" % n))
c.s.shutdown(socket.SHUT_WR)
time.sleep(1.5)
r = c.response()
check(r.status == 200 and len(r.body) == n, "half-closed client got %d of %d bytes" % (len(r.body), n))
check(c.closed(), "not closed after the half-closed client's response")
# keep-alive idle timeout (1 s): silent close; a slow reader's response is not cut by it
c = Conn(rcvbuf=8192)
c.send(request("/bytes/%d" % n))
time.sleep(1.5)
r = c.response()
check(r.status == 200 and len(r.body) == n, "slow keep-alive reader got %d of %d bytes" % (len(r.body), n))
t0 = time.time()
check(c.closed(3) and c.buf == b"" and not c.reset, "idle keep-alive connection not closed silently")
# the idle time starts once the response is handed to the kernel, which may
# hold all of it for a slow reader: the close can follow the last byte at once
check(time.time() - t0 <= 2.5, "keep-alive idle close after %.2fs" % (time.time() - t0))
PY

note "pipelined requests answered in order"
http_py "$vip" <<'PY' || fail "pipelining"
from hlib import *
c = Conn()
t0 = time.time()
c.send(request("/delay/200") + request("/echo?second") + request("/status/201", headers=["Connection: close"]))
r1 = c.response(); r2 = c.response(); r3 = c.response()
check(r1.status == 200 and r1.body in (b"b1\n", b"b2\n"), "first: %d %r" % (r1.status, r1.body))
check(time.time() - t0 >= 0.2, "first response came before its delay")
check(r2.status == 200 and b"GET /echo?second HTTP/1.1" in r2.body, "second: %d %r" % (r2.status, r2.body))
check(r3.status == 201 and r3.body.startswith(b"201 "), "third: %d %r" % (r3.status, r3.body))
check(r3.h.get("connection") == "close" and c.closed(), "not closed after Connection: close")
# requests with bodies in the pipeline: each body ends where its framing says
c = Conn()
c.send(request("/echobody", method="POST", body=b"hello") +
       request("/echobody", method="POST", headers=["Transfer-Encoding: chunked"], body=b"3\r\nabc\r\n0\r\n\r\n") +
       request("/echo?third", headers=["Connection: close"]))
for want in (b"hello", b"abc", b"GET /echo?third HTTP/1.1\r\n"):
    r = c.response()
    check(r.status == 200 and r.body.startswith(want), "pipelined bodies: %d %r, expected %r" % (r.status, r.body[:30], want))
PY

note "request bodies: Content-Length, chunked, Expect: 100-continue, 5 MiB streamed"
head -c 300000 /dev/urandom >"$T/body"
head -c $((5 << 20)) /dev/urandom >"$T/big"
http_get "http://127.0.0.1:$vip/echobody" --data-binary @"$T/body" -o "$T/out" ||
	fail "POST with Content-Length failed"
cmp -s "$T/body" "$T/out" || fail "Content-Length body not intact"
http_get "http://127.0.0.1:$vip/echobody" -H 'Transfer-Encoding: chunked' \
	--data-binary @"$T/body" -o "$T/out" || fail "chunked POST failed"
cmp -s "$T/body" "$T/out" || fail "chunked body not intact"
out=$(nsrun curl -sv --noproxy '*' --max-time 5 -H 'Expect: 100-continue' \
	--data-binary @"$T/body" "http://127.0.0.1:$vip/echobody" -o "$T/out" 2>&1) ||
	fail "Expect: 100-continue POST failed"
assert_contains "$out" "< HTTP/1.1 100 Continue" "100 Continue relayed"
assert_contains "$out" "< HTTP/1.1 200 OK" "final 200 after the 100"
cmp -s "$T/body" "$T/out" || fail "body sent after 100 Continue not intact"
http_py "$vip" <<'PY' || fail "raw Expect: 100-continue"
from hlib import *
c = Conn()
c.send(request("/echobody", method="POST", headers=["Expect: 100-continue", "Content-Length: 5"]))
c.s.settimeout(2)
check(c.line() == b"HTTP/1.1 100 Continue", "no 100 Continue before the body")
check(c.line() == b"", "100 Continue head")
c.send(b"hello")
r = c.response()
check(r.status == 200 and r.body == b"hello", "%d %r" % (r.status, r.body))
PY
http_py "$vip" <<'PY' || fail "chunked body with BWS in extensions and leading zeros"
from hlib import *
# valid chunked framing (RFC 9112 7.1, 7.1.1): the member decodes the same body
body = (b"000000000000000000000a ; ext = \"v\"\t;x\r\n0123456789\r\n"
        b"5;a =b\r\nhello\r\n"
        b"0000000000000000000000 ;last\r\n\r\n")
c = Conn()
c.send(request("/echobody", method="POST", headers=["Transfer-Encoding: chunked"], body=body))
r = c.response()
check(r.status == 200 and r.body == b"0123456789hello", "%d %r" % (r.status, r.body))
PY
hwm0=$(lb_hwm)
for te in "" "Transfer-Encoding: chunked"; do
	hdrs=$(http_headers "http://127.0.0.1:$vip/echobody" ${te:+-H "$te"} --data-binary @"$T/big" --max-time 20)
	assert_contains "$hdrs" "HTTP/1.1 200 OK" "5 MiB upload ${te:-with Content-Length}"
	assert_contains "$hdrs" "X-Body-Bytes: $((5 << 20))" "5 MiB upload ${te:-with Content-Length} complete at the member"
done
hwm1=$(lb_hwm)
note "lbproxy peak RSS ${hwm0} -> ${hwm1} KiB"
[ $((hwm1 - hwm0)) -lt $((30 << 10)) ] || fail "lbproxy memory grew by $((hwm1 - hwm0)) KiB for streamed uploads"

note "response bodies: Content-Length, chunked, close-delimited; HEAD, 204, 304"
http_get "http://127.0.0.1:$vip/bytes/3000000" -o "$T/out" || fail "GET /bytes failed"
http_get "http://127.0.0.1:$p1/bytes/3000000" -o "$T/direct" || fail "GET /bytes from the member failed"
cmp -s "$T/out" "$T/direct" || fail "Content-Length response body differs from the member's"
http_py "$vip" <<'PY' || fail "response framings"
from hlib import *
c = Conn()
c.send(request("/chunked"))
r = c.response()
check(r.status == 200 and r.framing == "chunked", "chunked response: %d %s" % (r.status, r.framing))
check(r.body == (r.h["x-backend"] + "\n").encode(), "chunked body %r" % r.body)
check(len(r.all("transfer-encoding")) == 1 and "content-length" not in r.h, "chunked framing headers %s" % r.headers)
c.send(request("/bytes/100", method="HEAD"))
r = c.response("HEAD")
check(r.status == 200 and r.h.get("content-length") == "100", "HEAD: %d %s" % (r.status, r.headers))
for code in (204, 304):
    c.send(request("/status/%d" % code))
    r = c.response()
    check(r.status == code and "transfer-encoding" not in r.h, "%d: %s" % (code, r.headers))
    check(code == 304 or "content-length" not in r.h, "204 with Content-Length")
# no stray body bytes after HEAD/204/304: the next response parses
c.send(request("/status/202"))
r = c.response()
check(r.status == 202 and c.buf == b"", "after HEAD/204/304: %d, extra %r" % (r.status, c.buf))
c.send(request("/close-delimited"))
r = c.response()
check(r.status == 200 and r.framing == "close", "close-delimited: %s" % r.headers)
check(r.body == (r.h["x-backend"] + "\n").encode(), "close-delimited body %r" % r.body)
check(r.h.get("connection") == "close" and c.eof and not c.reset, "close-delimited end")
PY

note "Upgrade: websocket tunnelled after 101"
http_py "$vip" <<'PY' || fail "upgrade"
from hlib import *
c = Conn()
c.send(request("/upgrade", headers=["Upgrade: websocket", "Connection: Upgrade"]))
r = c.response()
check(r.status == 101, "status %d" % r.status)
check(r.h.get("upgrade") == "websocket" and "upgrade" in r.h.get("connection", "").lower(), "101 head %s" % r.headers)
for msg in (b"\x81\x05hello", b"x" * 100000, b"\x00\xff binary"):
    c.send(msg)
    check(c.take(len(msg)) == msg, "tunnel echo")
c.s.shutdown(socket.SHUT_WR)
check(c.rest() == b"", "tunnel end")
# bytes the client sends right after its upgrade request reach the member after the 101
c = Conn()
c.send(request("/upgrade", headers=["Upgrade: websocket", "Connection: Upgrade"]) + b"early bytes")
r = c.response()
check(r.status == 101 and c.take(11) == b"early bytes", "early tunnel bytes")
# no Upgrade without Connection: upgrade
c = Conn()
c.send(request("/upgrade", headers=["Upgrade: websocket", "Connection: close"]))
r = c.response()
check(r.status == 426, "Upgrade without Connection: upgrade was forwarded: %d" % r.status)
PY

note "HTTP/1.0 clients"
http_py "$vip" <<'PY' || fail "HTTP/1.0"
from hlib import *
c = Conn()
c.send(request("/echo", version="1.0", host=None))
r = c.response()
check(r.version == "HTTP/1.0" and r.status == 200, "1.0: %s %d" % (r.version, r.status))
check(r.h.get("connection", "").lower() == "close" and c.closed(), "1.0 without keep-alive not closed")
check(r.body.startswith(b"GET /echo HTTP/1.0\r\n"), "forwarded as %r" % r.body[:30])
c = Conn()
c.send(request("/", version="1.0", headers=["Connection: keep-alive"]))
r = c.response()
check(r.status == 200 and r.h.get("connection", "").lower() == "keep-alive", "1.0 keep-alive: %s" % r.headers)
c.send(request("/chunked", version="1.0", headers=["Connection: keep-alive"]))
r = c.response()
check(r.status == 200 and r.framing != "chunked" and r.body.startswith(r.h["x-backend"].encode()),
      "1.0 client got %s %r" % (r.framing, r.body))
PY

note "regenerated request head: hop-by-hop removed, X-Forwarded-*, one framing header"
http_py "$vip" <<'PY' || fail "request head"
import os
from hlib import *
vip = os.environ["VIP"]
r = get("/echo", headers=["Connection: x-secret, keep-alive", "X-Secret: 1", "Keep-Alive: timeout=5",
                          "Proxy-Connection: keep-alive", "TE: trailers, deflate", "Upgrade: websocket",
                          "X-Forwarded-For: 10.1.2.3", "X-Forwarded-For: 10.4.5.6",
                          "X-Forwarded-Proto: https", "X-Forwarded-Port: 1", "X-Keep: yes"])
check(r.status == 200, "status %d" % r.status)
head = r.body.decode("latin-1")
lines = head.split("\r\n")
lower = [l.lower() for l in lines]
for bad in ("x-secret", "keep-alive:", "proxy-connection", "upgrade", "deflate", "connection: close",
            "connection: x-secret"):
    check(not any(bad in l for l in lower), "%r forwarded:\n%s" % (bad, head))
check("X-Keep: yes" in lines, "end-to-end field lost:\n" + head)
check("TE: trailers" in lines, "TE: trailers not kept:\n" + head)
check(lower.count("x-forwarded-for: 10.1.2.3, 10.4.5.6, 127.0.0.1") == 1, "X-Forwarded-For:\n" + head)
check(lower.count("x-forwarded-proto: http") == 1 and "x-forwarded-proto: https" not in lower, "X-Forwarded-Proto:\n" + head)
check(lower.count("x-forwarded-port: %s" % vip) == 1 and "x-forwarded-port: 1" not in lower, "X-Forwarded-Port:\n" + head)
check(sum(1 for l in lower if l.startswith("host:")) == 1, "Host:\n" + head)
for te, body in (("Content-Length: 5", b"hello"), ("Transfer-Encoding: chunked", b"5\r\nhello\r\n0\r\n\r\n")):
    r = get("/echo", method="POST", headers=[te], body=body)
    lower = r.body.decode("latin-1").lower().split("\r\n")
    n_cl = sum(1 for l in lower if l.startswith("content-length:"))
    n_te = sum(1 for l in lower if l.startswith("transfer-encoding:"))
    check(r.status == 200 and n_cl + n_te == 1 and r.h.get("x-body-bytes") == "5",
          "%s: %d CL, %d TE, %s bytes" % (te, n_cl, n_te, r.h.get("x-body-bytes")))
PY

note "absolute-form target: forwarded in origin-form, its authority as Host"
http_py "$vip" <<'PY' || fail "absolute-form target"
from hlib import *
def head_at_member(target, host, version="1.1"):
    r = get(target, host=host, version=version)
    check(r.status == 200, "%s: status %d" % (target, r.status))
    lines = r.body.decode("latin-1").split("\r\n")
    return lines[0], [l for l in lines if l.lower().startswith("host:")]
line, hosts = head_at_member("http://b.example/echo?abs=1", "b.example")
check(line == "GET /echo?abs=1 HTTP/1.1", "request line at the member: %r" % line)
check(hosts == ["Host: b.example"], "Host at the member: %s" % hosts)
# the Host field agrees case-insensitively; the member gets the target's authority
line, hosts = head_at_member("HTTP://B.Example:81/echo", "b.example:81")
check(line == "GET /echo HTTP/1.1" and hosts == ["Host: B.Example:81"], "%r %s" % (line, hosts))
# an HTTP/1.0 client without Host: the authority becomes the Host
line, hosts = head_at_member("http://c.example/echo", None, version="1.0")
check(line == "GET /echo HTTP/1.0" and hosts == ["Host: c.example"], "1.0: %r %s" % (line, hosts))
# no path: "/" (the member's default answer, not a 400)
for target in ("http://b.example", "http://b.example?q"):
    r = get(target, host="b.example")
    check(r.status == 200 and r.body == (r.h["x-backend"] + "\n").encode(), "%s: %d %r" % (target, r.status, r.body))
PY

note "access log"
http_get "http://127.0.0.1:$vip/echo?log-me" >/dev/null
wait_until 2 grep -qE ' 127\.0\.0\.1:[0-9]+ vip=vip1 member=m[12] "GET /echo\?log-me HTTP/1\.1" 200 [0-9]+ [0-9]+ms$' "$T/lbproxy.log" ||
	fail "no access log line for GET /echo?log-me"
kill -0 "$LB_PID" || fail "lbproxy died"
