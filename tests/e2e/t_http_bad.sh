#!/bin/bash
# t_http_bad: every bad input of SPEC section 7 over raw sockets. Ambiguous
# or malformed request heads (CL+TE, bad Content-Length, Transfer-Encoding
# other than chunked, whitespace before the colon, obs-fold, bare CR/LF,
# control characters, HTTP/0.9 and 2.0, Host count, a fragment or an
# absolute-form target whose authority is not the Host, 414/431 limits)
# get the right status and never reach a member; an error on a later
# request of a keep-alive connection is answered with its status too, then
# the connection closes; bad chunked bodies and framing trailers never
# smuggle a second request; nothing after Connection: close is forwarded;
# slowloris, slow POST and slow readers are bounded; member failures (reset
# mid-response, invalid responses, close, hang, none available, an idle
# connection closed under us) get 502/503/504 or an aborted transfer, never
# a complete fake response. After each case a normal request is still
# served.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
E2E_TIMEOUT=${E2E_TIMEOUT:-60}
e2e_init
need_cmd python3 curl

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
vip=$(free_port)
LB_EXTRA='"limits": {"max_header_lines": 20, "max_header_bytes": 2048, "max_uri_bytes": 512,
	"max_body_bytes": 4096},
	"timeouts_ms": {"http_request": 1500, "server": 1000, "client": 2000, "http_keep_alive": 2000}' \
	write_pool "$T/pool.json" "$vip" HTTP ROUND_ROBIN "m1:$p1" "m2:$p2"
start_lbproxy "$T/pool.json" -w 2
export MEMBER_PORTS="$p1 $p2"	# for hlib.member_requests()

note "ambiguous or malformed request heads are refused before any member sees them"
http_py "$vip" <<'PY' || fail "bad request heads"
from hlib import *
H = b"Host: a\r\n"
cases = [
    ("CL + TE", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE + CL", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("differing CL", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    ("CL list", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3, 4\r\n\r\nabcd", 400),
    ("CL +3", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: +3\r\n\r\nabc", 400),
    ("CL -1", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\nabc", 400),
    ("CL hex", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 0x3\r\n\r\nabc", 400),
    ("CL empty", b"POST / HTTP/1.1\r\n" + H + b"Content-Length:\r\n\r\nabc", 400),
    ("CL 2^64", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 18446744073709551619\r\n\r\nabc", 400),
    ("TE gzip", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n", 501),
    ("TE gzip, chunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    ("TE chunked, gzip", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
    ("TE xchunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501),
    ("TE repeated", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE in HTTP/1.0", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    ("tab before colon", b"GET / HTTP/1.1\r\n" + H + b"Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\n" + H + b"X-A: b\r\n c\r\n\r\n", 400),
    ("obs-fold of TE", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400),
    ("bare LF", b"GET / HTTP/1.1\nHost: a\n\n", 400),
    ("bare LF in a field", b"GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400),
    ("bare CR", b"GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n", 400),
    ("NUL in a value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", 400),
    ("control char in a value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\n\r\n", 400),
    ("DEL in a value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x7fb\r\n\r\n", 400),
    ("control char in the target", b"GET /a\x01b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("NUL in a name", b"GET / HTTP/1.1\r\n" + H + b"X-\x00A: b\r\n\r\n", 400),
    ("HTTP/0.9", b"GET /\r\n\r\n", 400),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505),
    ("HTTP/3.0", b"GET / HTTP/3.0\r\n" + H + b"\r\n", 505),
    ("HTTP/1.10", b"GET / HTTP/1.10\r\n" + H + b"\r\n", 400),
    ("lowercase http", b"GET / http/1.1\r\n" + H + b"\r\n", 400),
    ("no Host", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("two Hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("Host list", b"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400),
    ("absolute-form, other Host", b"GET http://b.example/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("absolute-form, Host with a port", b"GET http://b.example/ HTTP/1.1\r\nHost: b.example:80\r\n\r\n", 400),
    ("absolute-form with userinfo", b"GET http://u@b.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n", 400),
    ("fragment", b"GET /a#f HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("fragment in an absolute-form target", b"GET http://a/b#f HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("414", b"GET /" + b"a" * 600 + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    ("414 before the line ends", b"GET /" + b"a" * 600, 414),
    ("431 long line", b"GET / HTTP/1.1\r\n" + H + b"X-Long: " + b"a" * 2100 + b"\r\n\r\n", 431),
    ("431 before the line ends", b"GET / HTTP/1.1\r\n" + H + b"X-Long: " + b"a" * 2100, 431),
    ("431 too many lines", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: 1\r\n" % i for i in range(25)) + b"\r\n", 431),
    ("431 huge head", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 150) for i in range(15)) + b"\r\n", 431),
]
for name, data, status in cases:
    refused(name, data, status)
# just under the limits still passes
r = get("/" + "a" * 500, headers=["X-%d: %s" % (i, "v" * 100) for i in range(12)])
check(r.status == 200, "a head within the limits was refused: %d" % r.status)
PY

note "an error on a later request of a keep-alive connection is answered, then the connection closes"
http_py "$vip" <<'PY' || fail "errors on a second request"
from hlib import *
H = b"Host: a\r\n"
cases = [
    ("400", b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    ("414", b"GET /" + b"a" * 600 + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    ("431", b"GET / HTTP/1.1\r\n" + H + b"X-Long: " + b"a" * 2100 + b"\r\n\r\n", 431),
    ("501", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n", 501),
    ("505", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505),
    ("408", b"GET / HTTP/1.1\r\n" + H, 408),	# the head never ends: 1.5 s deadline
]
for pipelined in (False, True):
    for name, data, status in cases:
        name = "%s on a %ssecond request" % (name, "pipelined " if pipelined else "")
        c = Conn()
        if pipelined:
            c.send(request("/") + data)
        else:
            c.send(request("/"))
        r = c.response()
        check(r.status == 200 and r.h.get("connection") is None, "%s: first response %d %s" % (name, r.status, r.headers))
        if not pipelined:
            c.send(data)
        try:
            answered(name, c, status)
        except (EOFError, ConnectionResetError):
            check(False, "%s: no response (%s)" % (name, "reset" if c.reset else "closed"))
still_serves()
PY

note "bad chunked bodies and framing trailers: refused, nothing smuggled"
http_py "$vip" <<'PY' || fail "bad request bodies"
from hlib import *
head = b"POST /echobody HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
smuggle = b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
cases = [
    ("chunk size not hex", head + b"zz\r\nabc\r\n0\r\n\r\n" + smuggle),
    ("chunk size with a space", head + b"3 \r\nabc\r\n0\r\n\r\n" + smuggle),
    ("negative chunk size", head + b"-3\r\nabc\r\n0\r\n\r\n" + smuggle),
    ("chunk size overflow", head + b"10000000000000003\r\nabc\r\n0\r\n\r\n" + smuggle),
    ("chunk size overflow after zeros", head + b"00010000000000000003\r\nabc\r\n0\r\n\r\n" + smuggle),
    ("chunk size with a space, no extension", head + b"3 \t \r\nabc\r\n0\r\n\r\n" + smuggle),
    ("chunk extension with a space before CRLF", head + b"3;a=b \r\nabc\r\n0\r\n\r\n" + smuggle),
    ("chunk size line bare LF", head + b"3\nabc\r\n0\r\n\r\n" + smuggle),
    ("chunk data without CRLF", head + b"3\r\nabc" + smuggle + b"0\r\n\r\n"),
    ("chunk data too long", head + b"3\r\nabcdef\r\n0\r\n\r\n" + smuggle),
    ("trailer Content-Length", head + b"3\r\nabc\r\n0\r\nContent-Length: 40\r\n\r\n" + smuggle),
    ("trailer Transfer-Encoding", head + b"3\r\nabc\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggle),
    ("trailer obs-fold", head + b"3\r\nabc\r\n0\r\nX-T: a\r\n b\r\n\r\n" + smuggle),
]
for name, data in cases:
    # the head may have been forwarded before the body went wrong: at most
    # that one request reaches a member, never the smuggled one
    refused(name, data, 400, reach=1)
# a harmless trailer passes
c = Conn()
c.send(head + b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n")
r = c.response()
check(r.status == 200 and r.body == b"abc", "trailer X-T: %d %r" % (r.status, r.body))
PY

note "limits.max_body_bytes: 413, and an oversized body never reaches a member whole"
http_py "$vip" <<'PY' || fail "413 body limit"
from hlib import *
before = member_requests()
# Content-Length over the limit: refused from the head, nothing forwarded
c = Conn()
c.send(b"POST /echobody HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
r = c.response()
check(r.status == 413 and c.closed(), "CL 5000: %d" % r.status)
# with Expect: 100-continue the client learns it before sending the body
c = Conn()
c.send(b"POST /echobody HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
r = c.response()
check(r.status == 413, "100-continue with CL 5000: %d" % r.status)
check(member_requests() == before, "a body over the limit reached a member")
# chunked: refused once the chunk sizes pass the limit, the member connection dropped
c = Conn()
c.send(b"POST /echobody HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
       b"800\r\n" + b"y" * 2048 + b"\r\n" + b"1000\r\n" + b"z" * 4096 + b"\r\n0\r\n\r\n")
r = c.response()
check(r.status == 413 and c.closed(), "chunked over the limit: %d" % r.status)
# at the limit: served, both framings
c = Conn()
c.send(b"POST /echobody HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\n" + b"q" * 4096)
r = c.response()
check(r.status == 200 and r.body == b"q" * 4096, "CL 4096 at the limit: %d" % r.status)
c = Conn()
c.send(b"POST /echobody HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
       b"800\r\n" + b"y" * 2048 + b"\r\n800\r\n" + b"z" * 2048 + b"\r\n0\r\n\r\n")
r = c.response()
check(r.status == 200 and r.body == b"y" * 2048 + b"z" * 2048, "chunked 4096 at the limit: %d" % r.status)
still_serves()
PY

note "nothing after Connection: close is forwarded"
http_py "$vip" <<'PY' || fail "requests after Connection: close"
from hlib import *
before = member_requests()
c = Conn()
c.send(request("/status/201", headers=["Connection: close"]) + request("/echo?after-close"))
r = c.response()
check(r.status == 201 and r.h.get("connection") == "close", "first: %d %s" % (r.status, r.headers))
check(c.closed(), "connection not closed after Connection: close")
check(c.buf == b"", "a second response came: %r" % c.buf[:40])
time.sleep(0.1)
check(member_requests() - before == 1, "the request after Connection: close reached a member")
# HTTP/1.0 without keep-alive likewise
before = member_requests()
c = Conn()
c.send(request("/", version="1.0") + request("/echo?after-1.0"))
r = c.response()
check(r.status == 200 and c.closed() and c.buf == b"", "HTTP/1.0 pipelined")
time.sleep(0.1)
check(member_requests() - before == 1, "the request after an HTTP/1.0 request reached a member")
PY

note "slowloris: absolute request-head deadline"
http_py "$vip" <<'PY' || fail "slowloris"
from hlib import *
before = member_requests()
c = Conn()
data = b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"a" * 40
t0 = time.time()
c.s.settimeout(0.3)
out = b""
for i in range(len(data)):
    try:
        c.send(data[i:i + 1])
    except (BrokenPipeError, ConnectionResetError):
        break
    try:
        d = c.s.recv(4096)
        if not d:
            break
        out += d
        break
    except socket.timeout:
        pass
dt = time.time() - t0
check(out.startswith(b"HTTP/1.1 408 "), "no 408: %r after %.2fs" % (out[:40], dt))
check(1.3 <= dt <= 2.8, "408 after %.2fs, deadline 1.5s" % dt)
check(member_requests() == before, "slowloris request reached a member")
still_serves()
PY

note "slow POST: a stalled body ends with 408, the member is not blamed"
http_py "$vip" <<'PY' || fail "slow POST"
from hlib import *
c = Conn()
c.send(b"POST /echobody HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
for i in range(6):		# 1.8 s of trickle: longer than the member timeout (1 s)
    time.sleep(0.3)
    c.send(b"x")
t0 = time.time()
c.s.settimeout(5)
r = c.response()
dt = time.time() - t0
check(r.status == 408 and c.closed(), "stalled body: %d" % r.status)
check(1.5 <= dt <= 3.5, "stalled body answered after %.2fs, client timeout 2s" % dt)
still_serves()
PY

note "slow reader: bounded memory, closed on the write timeout"
hwm0=$(lb_hwm)
http_py "$vip" <<'PY' || fail "slow reader"
from hlib import *
c = Conn(rcvbuf=4096)
c.send(request("/bytes/%d" % (50 << 20)))
time.sleep(4)
n = 0
c.s.settimeout(5)
try:
    while True:
        d = c.s.recv(1 << 20)
        if not d:
            break
        n += len(d)
except ConnectionResetError:
    pass
check(n < (50 << 20), "a reader that stalled 4s got all %d bytes" % n)
PY
hwm1=$(lb_hwm)
note "lbproxy peak RSS ${hwm0} -> ${hwm1} KiB"
[ $((hwm1 - hwm0)) -lt $((30 << 10)) ] || fail "slow reader: lbproxy grew by $((hwm1 - hwm0)) KiB"

note "member failures: reset mid-response, invalid responses, close, hang"
http_py "$vip" <<'PY' || fail "member failures"
from hlib import *
for i in range(4):
    c = Conn()
    c.send(request("/reset"))
    try:
        r = c.response()
        check(False, "/reset: a complete response with %d body bytes" % len(r.body))
    except (EOFError, ConnectionResetError):
        pass
    still_serves()
for path, status in (("/invalid", 502), ("/invalid2", 502), ("/close", 502)):
    c = Conn()
    c.send(request(path))
    r = c.response()
    check(r.status == status and "x-backend" not in r.h and c.closed(), "%s: %d %s" % (path, r.status, r.headers))
    still_serves()
c = Conn()
t0 = time.time()
c.send(request("/hang"))
r = c.response()
dt = time.time() - t0
check(r.status == 504 and 0.9 <= dt <= 2.5, "/hang: %d after %.2fs" % (r.status, dt))
still_serves()
PY
# curl must report the cut transfer as an error
for i in 1 2 3; do
	rc=0
	nsrun curl -s --noproxy '*' --max-time 5 -o /dev/null "http://127.0.0.1:$vip/reset" || rc=$?
	[ "$rc" -ne 0 ] || fail "curl saw /reset complete"
done

note "no member available: 503 at once"
stats_cmd "disable server pool1/m1" >/dev/null
stats_cmd "disable server pool1/m2" >/dev/null
t0=$(date +%s%N)
code=$(http_code "http://127.0.0.1:$vip/")
dt=$((($(date +%s%N) - t0) / 1000000))
assert_eq 503 "$code" "no member: status"
[ "$dt" -lt 1000 ] || fail "503 took ${dt} ms"
stats_cmd "enable server pool1/m1" >/dev/null
stats_cmd "enable server pool1/m2" >/dev/null
assert_eq 200 "$(http_code "http://127.0.0.1:$vip/")" "served again after enable"

note "misbehaving member: cut close-delimited/chunked bodies, bad chunks, extra bytes, idle close"
# A member (python) that, per connection, answers the first request with
# keep-alive and closes the connection unanswered when the second one
# arrives (the race of an idle connection closed by the member as a
# request is sent); /cd-reset, /chunk-reset: part of a close-delimited or
# chunked body, then a reset; /bad-chunk: a malformed chunk; /split: a
# Content-Length body followed by an unrequested second response.
bg_run evil python3 -c '
import socket, struct, threading, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 0)); l.listen(64)
print(l.getsockname()[1], flush=True)
def rst(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
def serve(c, cid):
    buf, i = b"", 0
    while True:
        while b"\r\n\r\n" not in buf:
            d = c.recv(65536)
            if not d:
                c.close(); return
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        path = head.split(b" ")[1]
        if path == b"/cd-reset":
            c.sendall(b"HTTP/1.1 200 OK\r\n\r\npartial"); time.sleep(0.3); rst(c); return
        if path == b"/chunk-reset":
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n")
            time.sleep(0.3); rst(c); return
        if path == b"/bad-chunk":
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\npartial\r\nzz\r\n")
            time.sleep(1); c.close(); return
        if path == b"/split":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                      b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsmuggle")
            i += 1; continue
        if i == 1:
            c.close(); return
        body = b"conn %d\n" % cid
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        i += 1
n = 0
while True:
    c, _ = l.accept(); n += 1
    threading.Thread(target=serve, args=(c, n), daemon=True).start()'
wait_until 5 test -s "$T/evil.log" || fail "python member did not start"
eport=$(head -1 "$T/evil.log")
vip2=$(free_port)
STATS_SOCK=$T/sock2 write_pool "$T/pool2.json" "$vip2" HTTP ROUND_ROBIN "e1:$eport"
LB_PID1=$LB_PID
start_lbproxy "$T/pool2.json" -w 1
http_py "$vip2" <<'PY' || fail "misbehaving member"
from hlib import *
# idle connection closed by the member: idempotent requests are retried on
# a fresh connection, a POST is not
c = Conn()
c.send(request("/a"))
r = c.response()
check(r.status == 200 and r.body.startswith(b"conn "), "first: %d %r" % (r.status, r.body))
for method in ("GET", "HEAD", "DELETE"):
    c.send(request("/again", method=method))	# reuses the idle connection, which the member closes
    r = c.response(method)
    check(r.status == 200, "%s on a closed idle connection: %d" % (method, r.status))
c.send(request("/post", method="POST", body=b"data"))	# not idempotent: never retried
r = c.response()
check(r.status == 502, "POST retried: %d" % r.status)
# a close-delimited body cut by a reset must reach the client as a reset,
# never as a clean end
for i in range(3):
    c = Conn()
    c.send(request("/cd-reset"))
    check(c.line() == b"HTTP/1.1 200 OK", "cd-reset status")
    while c.line() != b"":
        pass
    body = c.rest()
    check(c.reset, "cut close-delimited body %r ended cleanly" % body)
for path in ("/chunk-reset", "/bad-chunk"):
    c = Conn()
    c.send(request(path))
    try:
        r = c.response()
        check(False, "%s: a complete response %r" % (path, r.body))
    except (EOFError, ConnectionResetError):
        pass
# bytes after a complete response are not passed on as the next response
c = Conn()
c.send(request("/split"))
r = c.response()
check(r.status == 200 and r.body == b"hello", "split: %d %r" % (r.status, r.body))
time.sleep(0.2)
c.send(request("/next"))
r = c.response()
check(r.status == 200 and r.body.startswith(b"conn "), "after the extra bytes: %d %r" % (r.status, r.body))
PY
kill -0 "$LB_PID1" || fail "lbproxy died"
kill -0 "$LB_PID" || fail "lbproxy (second) died"
