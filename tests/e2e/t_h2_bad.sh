#!/bin/bash
# t_h2_bad: malformed HTTP/2 requests and the known floods (SPEC 12), over
# raw frames (h2raw.py) and Node's http2 client (h2node.js), against an HTTP
# listener with alpn_protocols h2 (prior knowledge) and a TERMINATED_HTTPS
# one. Every malformed request of RFC 9113 §8 (connection-specific fields,
# te other than trailers, uppercase names, CR/LF/NUL in names or values,
# missing, duplicated, unknown or misplaced pseudo-headers, content-length
# against the DATA, :authority against host) is a stream error
# (RST_STREAM PROTOCOL_ERROR), the connection keeps serving, and no member
# sees it. Defences, each followed by a normal request from another client:
# rapid reset, SETTINGS, PING, PRIORITY and empty DATA floods end in GOAWAY
# ENHANCE_YOUR_CALM and a close; a CONTINUATION flood in GOAWAY or a close;
# a 200 KB header list (literal or an HPACK bomb) never reaches a member;
# stream 101 beyond SETTINGS_MAX_CONCURRENT_STREAMS 100 is refused while the
# 100 others are served; a zero-window stall is reset within the listener's
# timeout_client_data, buffers stay bounded and descriptors come back.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
E2E_TIMEOUT=${E2E_TIMEOUT:-60}
e2e_init
need_cmd python3 node curl openssl
. "$TOP_SRCDIR/tests/e2e/pki.sh"
cp "$TOP_SRCDIR/tests/e2e/h2raw.py" "$T/h2raw.py"	# importable by http_py scripts
export H2NODE=$TOP_SRCDIR/tests/e2e/h2node.js

pki_ca ca "/CN=H2 Test CA"
pki_issue ca srv "/CN=localhost" -a "DNS:localhost,IP:127.0.0.1"

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
export MEMBER_PORTS="$p1 $p2"	# for hlib.member_requests()
H2C=$(free_port)	# HTTP, alpn h2: the corpus and the floods
SLOW=$(free_port)	# the same with timeout_client_data 1000: the zero-window stall
TLS2=$(free_port)	# TERMINATED_HTTPS, alpn h2
export SLOW TLS2

# listener ID PROTOCOL PORT [EXTRA-JSON]
listener() {
	echo "{\"id\": \"$1\", \"protocol\": \"$2\", \"protocol_port\": $3, \"default_pool_id\": \"web\"${4:+, $4}}"
}
alpn='"alpn_protocols": ["h2", "http/1.1"]'
# timeout_client_data 20 s on the other listeners: a close within a few
# seconds there is a defence, not an idle timeout
cat >"$T/lb.json" <<EOF
{"loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1",
  "listeners": [
    $(listener h2c HTTP "$H2C" "$alpn, \"timeout_client_data\": 20000"),
    $(listener slow HTTP "$SLOW" "$alpn, \"timeout_client_data\": 1000"),
    $(listener tls2 TERMINATED_HTTPS "$TLS2" "$alpn, \"timeout_client_data\": 20000,
      \"tls\": {\"certificate_file\": \"$PKI/srv.full\"}")],
  "pools": [{"id": "web", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
    "members": [{"id": "b1", "address": "127.0.0.1", "protocol_port": $p1},
                {"id": "b2", "address": "127.0.0.1", "protocol_port": $p2}]}]},
 "lbproxy": {"stats_socket": "$T/sock"}}
EOF
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/lb.json" ||
    fail "lb.json is not valid JSON"
out=$("$LBPROXY" -t -c "$T/lb.json" 2>&1) || fail "-t refuses the configuration: $out"
LB_WAIT_PORT=$H2C start_lbproxy "$T/lb.json" -w 2
wait_port "$SLOW" || fail "listener slow not listening"
wait_port "$TLS2" || fail "listener tls2 not listening"
export LB_PID

# Helpers shared by the scripts below (imported as h2bad).
cat >"$T/h2bad.py" <<'PY'
import json, os, subprocess, time
from hlib import check, member_requests, PORT
from h2raw import *


def still_serves(port=None, tls=False):
    """A normal request from a new client is answered by a member."""
    c = H2(port or PORT, tls=tls)
    s = c.response(c.request("/", scheme="https" if tls else "http"), 5)
    c.close()
    check(s.status == 200 and s.h("x-backend") in ("b1", "b2"),
          "lbproxy no longer serves over h2: %r (goaway %r, %s)" % (s, c.goaways, c.closed))


def stream_error(name, frames, port=None, tls=False):
    """frames (stream 1, sent in one write) get RST_STREAM PROTOCOL_ERROR on
    stream 1, no member sees the request, the connection still serves
    stream 3, and a new client is served."""
    before = member_requests()
    c = H2(port or PORT, tls=tls)
    c.send(frames)
    s = c.response(1, 3)
    if s.ended and s.rst is None:
        c.wait(lambda: s.rst is not None or c.closed, 1)  # a response may come before the reset
    check(s.rst == PROTOCOL_ERROR,
          "%s: expected RST_STREAM PROTOCOL_ERROR on stream 1, got %r (goaway %r, %s)"
          % (name, s, [(l, error_name(e)) for l, e in c.goaways], c.closed))
    check(s.status in (None, 400), "%s: answered %s before the reset" % (name, s.status))
    time.sleep(0.05)
    got = member_requests() - before
    check(got == 0, "%s: %d request(s) reached a member" % (name, got))
    c.next_sid = 3
    s3 = c.response(c.request("/", scheme="https" if tls else "http"), 3)
    check(s3.status == 200, "%s: a stream error closed the connection: %r (goaway %r, %s)"
          % (name, s3, c.goaways, c.closed))
    c.close()
    still_serves(port, tls)


def node(url, case, ca=None):
    """One request by Node's http2 client; its result (see h2node.js)."""
    cmd = ["node", os.environ["H2NODE"]] + (["--ca", ca] if ca else []) + [url, json.dumps([case])]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=15, check=True).stdout
    return json.loads(out.decode().splitlines()[0])


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return 0
PY

# --- the malformed corpus, raw frames -------------------------------------------

note "malformed requests: stream errors, never forwarded"
http_py "$H2C" <<'PY' || fail "malformed requests (raw frames)"
from h2bad import *

still_serves()
G = [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", "/echo")]
P = [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", "/echobody")]
cases = [
    ("connection", headers(1, G + [("connection", "keep-alive")], es=True)),
    ("keep-alive", headers(1, G + [("keep-alive", "timeout=5")], es=True)),
    ("proxy-connection", headers(1, G + [("proxy-connection", "keep-alive")], es=True)),
    ("transfer-encoding", headers(1, P + [("transfer-encoding", "chunked")]) +
        data(1, b"5\r\nhello\r\n0\r\n\r\n", es=True)),
    ("upgrade", headers(1, G + [("upgrade", "websocket")], es=True)),
    ("te: gzip", headers(1, G + [("te", "gzip")], es=True)),
    ("te: trailers, gzip", headers(1, G + [("te", "trailers, gzip")], es=True)),
    ("uppercase name", headers(1, G + [("X-Upper", "1")], es=True)),
    ("uppercase pseudo-header", headers(1, [(":method", "GET"), (":scheme", "http"),
        (":authority", "127.0.0.1"), (":PATH", "/")], es=True)),
    ("CR in a value", headers(1, G + [("x-a", "a\rb")], es=True)),
    ("LF in a value", headers(1, G + [("x-a", "a\nx-injected: 1")], es=True)),
    ("CRLF in a value", headers(1, G + [("x-a", "a\r\nx-injected: 1")], es=True)),
    ("NUL in a value", headers(1, G + [("x-a", "a\0b")], es=True)),
    ("CR in a name", headers(1, G + [("x-a\rb", "1")], es=True)),
    ("LF in a name", headers(1, G + [("x-a\nx-injected", "1")], es=True)),
    ("NUL in a name", headers(1, G + [("x-a\0b", "1")], es=True)),
    ("LF in :path", headers(1, G[:3] + [(":path", "/a\r\nx-injected: 1")], es=True)),
    ("no :path", headers(1, G[:3], es=True)),
    ("no :method", headers(1, G[1:], es=True)),
    ("no :scheme", headers(1, [G[0]] + G[2:], es=True)),
    ("empty :path", headers(1, G[:3] + [(":path", "")], es=True)),
    ("two :path", headers(1, G + [(":path", "/other")], es=True)),
    ("two :method", headers(1, [(":method", "GET")] + G, es=True)),
    ("pseudo-header after a field", headers(1, G[:3] + [("x-a", "1"), (":path", "/echo")], es=True)),
    ("unknown pseudo-header", headers(1, G + [(":foo", "bar")], es=True)),
    ("response pseudo-header", headers(1, G + [(":status", "200")], es=True)),
    ("content-length above the DATA", headers(1, P + [("content-length", "10")]) +
        data(1, b"hello", es=True)),
    ("content-length below the DATA", headers(1, P + [("content-length", "2")]) +
        data(1, b"hello", es=True)),
    ("content-length on a bodiless request, then DATA", headers(1, P + [("content-length", "0")]) +
        data(1, b"x", es=True)),
    ("two content-lengths that differ", headers(1, P + [("content-length", "5"), ("content-length", "6")]) +
        data(1, b"hello", es=True)),
    (":authority and host disagree", headers(1, G + [("host", "other.example")], es=True)),
]
for name, frames in cases:
    stream_error(name, frames)

# controls: the same requests, well-formed, are served
c = H2(PORT)
ok = [
    ("te: trailers", G + [("te", "trailers")], None),
    ("content-length matching the DATA", P + [("content-length", "5")], b"hello"),
    (":authority and host agree", G + [("host", "127.0.0.1")], None),
]
for name, hdrs, body in ok:
    sid = c.next_sid
    c.next_sid += 2
    if body is None:
        c.send(headers(sid, hdrs, es=True))
    else:
        c.send(headers(sid, hdrs) + data(sid, body, es=True))
    s = c.response(sid)
    check(s.status == 200, "control %s: %r" % (name, s))

# a space or a colon inside a field name: refused, or at least never passed on as such
for name, field in (("space in a name", "x-a b"), ("colon in a name", "x-a:b")):
    before = member_requests()
    c = H2(PORT)
    c.send(headers(1, G + [(field, "1")], es=True))
    s = c.response(1, 3)
    if s.rst is None:
        check(s.status == 200, "%s: %r" % (name, s))
        check(field.encode() not in bytes(s.body) and b"\r\nx-a" not in bytes(s.body).lower(),
              "%s: forwarded to the member: %r" % (name, bytes(s.body)))
    else:
        check(s.rst == PROTOCOL_ERROR, "%s: %r" % (name, s))
        check(member_requests() == before, "%s: reached a member" % name)
    still_serves()
PY

# --- the malformed corpus, Node's client ------------------------------------------

note "malformed requests from Node's encoder (Huffman, dynamic table)"
http_py "$H2C" <<'PY' || fail "malformed requests (Node)"
from h2bad import *

url = "http://127.0.0.1:%d" % PORT
r = node(url, {"name": "control", "path": "/echo", "headers": {"x-a": "1"}})
check(r["status"] == 200, "Node control request: %r" % r)
cases = [
    {"name": "CR in a value", "headers": {"x-a": "a\rb"}},
    {"name": "LF in a value", "headers": {"x-a": "a\nx-injected: 1"}},
    {"name": "NUL in a value", "headers": {"x-a": "a\u0000b"}},
    {"name": "content-length above the DATA", "path": "/echobody", "method": "POST",
     "headers": {"content-length": "10"}, "body": "hello"},
    {"name": "content-length below the DATA", "path": "/echobody", "method": "POST",
     "headers": {"content-length": "2"}, "body": "hello"},
    {"name": ":authority and host disagree", "headers": {":authority": "a.example", "host": "b.example"}},
]
for case in cases:
    case.setdefault("path", "/echo")
    before = member_requests()
    r = node(url, case)
    check(not (r["error"] or "").startswith("THROW"), "%s: Node refused to send it: %r" % (case["name"], r))
    check(r["rst"] == PROTOCOL_ERROR and r["status"] is None,
          "%s: expected RST_STREAM PROTOCOL_ERROR, got %r" % (case["name"], r))
    check(r["goaway"] is None, "%s: a connection error: %r" % (case["name"], r))
    time.sleep(0.05)
    check(member_requests() == before, "%s: reached a member" % case["name"])
    still_serves()
PY

note "over TLS: the same checks behind ALPN h2"
http_py "$TLS2" <<'PY' || fail "raw frames over TLS"
from h2bad import *
c = H2(PORT, tls=True)
check(c.alpn == "h2", "ALPN: %r" % c.alpn)
s = c.response(c.request("/", scheme="https"))
check(s.status == 200, "a raw request over TLS: %r" % s)
G = [(":method", "GET"), (":scheme", "https"), (":authority", "127.0.0.1"), (":path", "/echo")]
stream_error("uppercase name over TLS", headers(1, G + [("X-Upper", "1")], es=True), tls=True)
stream_error("connection over TLS", headers(1, G + [("connection", "close")], es=True), tls=True)
PY

# --- defences ----------------------------------------------------------------------

note "floods: GOAWAY ENHANCE_YOUR_CALM, then the connection closes"
http_py "$H2C" <<'PY' || fail "floods"
from h2bad import *


def flood(name, frames, first=b"", codes=(ENHANCE_YOUR_CALM,), closed_ok=False):
    """Send first, then frames 100 at a time (stopping at a GOAWAY); expect
    a GOAWAY with one of codes (or, with closed_ok, a close without one)
    within 5 s and then the close; a new client is served afterwards."""
    c = H2(PORT)
    c.sync()
    if first:
        c.send(first)
    t0 = time.monotonic()
    n = c.send_paced(frames)
    c.wait(lambda: bool(c.goaways), 5)
    closed = c.wait_close(3)
    ga = [(l, error_name(e)) for l, e in c.goaways]
    print("# %s: %d frames sent, GOAWAY %r, %s after %.2fs" % (name, n, ga, c.closed, time.monotonic() - t0))
    if c.goaways:
        check(c.goaway_code() in codes, "%s: GOAWAY %r, expected %s" % (name, ga, [error_name(x) for x in codes]))
    else:
        check(closed_ok and closed, "%s: no GOAWAY after %d frames (%s)" % (name, n, c.closed or "still open"))
    check(closed, "%s: the connection stays open after GOAWAY" % name)
    c.close()
    still_serves()


flood("rapid reset", [headers(i, req("/delay/100"), es=True) + rst(i, CANCEL) for i in range(1, 2000, 2)])
flood("SETTINGS flood", [settings(enable_push=0) for _ in range(1000)])
flood("PING flood", [ping(b"flood%03d" % (i % 1000)) for i in range(1000)])
flood("PRIORITY flood", [priority(i, 0, 16) for i in range(1, 2000, 2)])
flood("empty DATA flood", [data(1) for _ in range(1000)],
      first=headers(1, req("/echobody", method="POST")))
# 100 CONTINUATIONs of one header block that never ends; each fragment small,
# so a header-list limit is not what stops it
flood("CONTINUATION flood", [continuation(1, [("x-c%03d" % i, "v")]) for i in range(100)],
      first=headers(1, req("/"), eh=False), codes=range(256), closed_ok=True)
PY

note "a 200 KB header list never reaches a member"
http_py "$H2C" <<'PY' || fail "header list too big"
from h2bad import *


def too_big(name, frames):
    """frames carry a ~200 KB header list on stream 1: RST_STREAM or 431 on
    it, or a GOAWAY / close; no member sees it; a new client is served."""
    before = member_requests()
    c = H2(PORT)
    c.sync()
    c.send(frames)
    s = c.response(1, 5)
    how = "RST_STREAM %s" % error_name(s.rst) if s.rst is not None else \
        "status %s" % s.status if s.status else \
        "GOAWAY %r" % c.goaways if c.goaways else c.closed or "nothing"
    print("# %s: %s" % (name, how))
    check(s.rst is not None or s.status == 431 or c.goaways or c.closed,
          "%s: no RST_STREAM, 431 or GOAWAY on stream 1: %r" % (name, s))
    check(s.status in (None, 431), "%s: answered %s" % (name, s.status))
    time.sleep(0.1)
    got = member_requests() - before
    check(got == 0, "%s: %d request(s) reached a member" % (name, got))
    c.close()
    still_serves()


big = req("/echo") + [("x-big-%03d" % i, "a" * 1000) for i in range(200)]
too_big("200 literal fields of 1000 bytes", headers_split(1, big, es=True))
# the same decoded size from 1.2 KB on the wire: one field added to the
# dynamic table, then referenced 199 times (an HPACK bomb)
bomb = block(req("/echo")) + lit("x-bomb", "a" * 1000, kind="incr") + idx(62) * 199
too_big("HPACK bomb (1 field, 199 references)", headers(1, bomb, es=True))
PY

note "SETTINGS_MAX_CONCURRENT_STREAMS 100: stream 101 refused, the 100 others served"
http_py "$H2C" <<'PY' || fail "concurrent streams"
from h2bad import *
before = member_requests()
c = H2(PORT, timeout=10)
# all 101 in the first flight, as a client does that has not yet read the
# server's SETTINGS: the extra stream is refused, not the connection
c.send([headers(i, req("/delay/2000"), es=True) for i in range(1, 203, 2)])
s = c.response(201, 5)
check(c.server_settings.get("MAX_CONCURRENT_STREAMS") == 100,
      "SETTINGS_MAX_CONCURRENT_STREAMS: %r" % c.server_settings)
check(s.rst == REFUSED_STREAM, "stream 101 (id 201): expected REFUSED_STREAM, got %r (goaway %r)" % (s, c.goaways))
c.wait(lambda: all(c.streams.get(i) and c.streams[i].done for i in range(1, 201, 2)), 8)
bad = [c.streams.get(i) for i in range(1, 201, 2) if not (c.streams.get(i) and c.streams[i].status == 200
                                                          and c.streams[i].ended)]
check(not bad, "%d of the 100 streams not served: %r (goaway %r)" % (len(bad), bad[:3], c.goaways))
check(not c.goaways, "GOAWAY: %r" % c.goaways)
got = member_requests() - before
check(got == 100, "%d requests reached the members, expected 100" % got)
c.next_sid = 203
sid = c.request("/")
check(c.response(sid).status == 200, "the connection serves after the refusal")
c.close()

# once the client has ACKed the SETTINGS, going over is its fault: the extra
# stream is reset (or the connection closed), and never reaches a member
before = member_requests()
c = H2(PORT, timeout=10)
c.sync()
c.send([headers(i, req("/delay/1000"), es=True) for i in range(1, 203, 2)])
c.wait(lambda: c.streams.get(201) and c.streams[201].done or bool(c.goaways) or c.closed, 5)
s = c.streams.get(201)
print("# after the ACK: stream 201 %r, GOAWAY %r" % (s, [(l, error_name(e)) for l, e in c.goaways]))
check((s is not None and s.rst in (REFUSED_STREAM, PROTOCOL_ERROR)) or
      c.goaway_code() in (PROTOCOL_ERROR, ENHANCE_YOUR_CALM, REFUSED_STREAM),
      "stream 101 after the ACK: %r, GOAWAY %r" % (s, c.goaways))
check(s is None or s.status is None, "stream 101 after the ACK was answered: %r" % s)
c.wait(lambda: c.closed or all(c.streams.get(i) and c.streams[i].done for i in range(1, 201, 2)), 5)
c.close()
time.sleep(0.2)
got = member_requests() - before
check(got <= 100, "%d requests reached the members, at most 100 expected" % got)
still_serves()
PY

note "zero-window stall: reset within timeout_client_data, bounded buffers, no descriptor kept"
http_py "$SLOW" <<'PY' || fail "zero-window stall"
from h2bad import *
pid = int(os.environ["LB_PID"])
still_serves()
time.sleep(0.5)
fds0, rss0 = fd_count(pid), rss_kib(pid)
# the client's stream windows start at 0 and it never sends WINDOW_UPDATE;
# eight 4 MiB responses wait at lbproxy (more than any buffer should hold)
c = H2(PORT, settings=[(SETTING_IDS["INITIAL_WINDOW_SIZE"], 0)], window=False, timeout=10)
t0 = time.monotonic()
sids = [c.request("/bytes/4194304") for _ in range(8)]
c.wait(lambda: False, 0.6)
rss = rss_kib(pid)
c.wait(lambda: all(c.streams[s].done for s in sids) or c.closed is not None, 6)
dt = time.monotonic() - t0
states = ["%d:%s" % (s, "rst " + error_name(c.streams[s].rst) if c.streams[s].rst is not None else
                     "ended" if c.streams[s].ended else "open") for s in sids]
print("# stall: %.2fs, %s, GOAWAY %r, %s; RSS %d -> %d KiB; body bytes %d" % (
    dt, states, c.goaways, c.closed, rss0, rss, sum(len(c.streams[s].body) for s in sids)))
check(not any(c.streams[s].ended for s in sids),
      "a stalled stream ended with END_STREAM, as if complete: %s" % states)
check(c.closed is not None or all(c.streams[s].rst is not None for s in sids),
      "stalled streams not reset after %.1fs: %s" % (dt, states))
check(dt <= 5.5, "stall ended after %.1fs (timeout_client_data 1000)" % dt)
check(rss - rss0 < 16384, "RSS grew by %d KiB while 32 MiB of responses were stalled" % (rss - rss0))
c.close()
deadline = time.monotonic() + 5
while fd_count(pid) > fds0 and time.monotonic() < deadline:
    time.sleep(0.1)
check(fd_count(pid) <= fds0, "descriptors: %d before the stall, %d after" % (fds0, fd_count(pid)))
print("# descriptors: %d before, %d after" % (fds0, fd_count(pid)))
still_serves()
still_serves(int(os.environ["TLS2"]), tls=True)
PY

note "idle past the keep-alive time (timeout_client_data 1000): GOAWAY NO_ERROR"
http_py "$SLOW" <<'PY' || fail "idle connection"
from h2bad import *
c = H2(PORT, timeout=10)
sid = c.request("/")
c.wait(lambda: c.streams[sid].done, 3)
check(c.streams[sid].ended, "the request before the idle time was not answered")
t0 = time.monotonic()
c.wait(lambda: False, 4)
dt = time.monotonic() - t0
print("# idle: GOAWAY %r after %.2fs, closed %r" % (c.goaways, dt, c.closed))
check(c.goaways and c.goaways[-1][1] == 0, "no GOAWAY NO_ERROR on an idle connection: %r %r"
      % (c.goaways, c.closed))
check(0.5 <= dt <= 3.5, "GOAWAY after %.2fs of idleness (keep-alive 1 s)" % dt)
c.close()
PY

stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"
if grep -q 'AddressSanitizer\|runtime error:\|LeakSanitizer' "$T/lbproxy.log"; then
	fail "sanitizer report in lbproxy.log"
fi
exit 0
