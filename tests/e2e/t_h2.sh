#!/bin/bash
# t_h2: HTTP/2 on listeners (SPEC 12) with real clients. An Octavia file
# with a TERMINATED_HTTPS and an HTTP listener whose alpn_protocols list h2
# (ALPN h2 over TLS, prior knowledge in clear, HTTP/1.1 still served on both
# ports), and one of each without h2 (no h2 offered, no preface accepted).
# curl --http2 / --http2-prior-knowledge, nghttp -nv, h2load (2000 requests,
# all 2xx), Node's http2 client and raw frames (h2raw.py): every stream is
# one request balanced round robin over the pool; the member gets HTTP/1.1
# with Host from :authority, X-Forwarded-For/-Proto, cookie crumbs joined
# into one Cookie header, a body without content-length framed for HTTP/1.1;
# 1 MiB request and response bodies intact (sha256), chunked and
# close-delimited responses become DATA, statuses pass through; the access
# log says HTTP/2.0; the metrics count h2 connections and streams (also as
# requests) per listener. A reload (SIGHUP) sends GOAWAY to the connections of a
# listener it removed and serves new streams of a kept connection with the
# new pool; a graceful stop (SIGUSR1) sends GOAWAY; streams in flight
# finish in both cases.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
E2E_TIMEOUT=${E2E_TIMEOUT:-60}
e2e_init
need_cmd curl openssl python3 node nghttp h2load sha256sum timeout
curl --version | grep -qw HTTP2 || skip "curl without HTTP/2"
. "$TOP_SRCDIR/tests/e2e/pki.sh"
cp "$TOP_SRCDIR/tests/e2e/h2raw.py" "$T/h2raw.py"	# importable by http_py scripts
H2NODE=$TOP_SRCDIR/tests/e2e/h2node.js

pki_ca ca "/CN=H2 Test CA"
pki_issue ca srv "/CN=localhost" -a "DNS:localhost,IP:127.0.0.1"

start_backend w1 0 http; PW1=$BACKEND_PORT
start_backend w2 0 http; PW2=$BACKEND_PORT
export MEMBER_PORTS="$PW1 $PW2"	# for hlib.member_requests()
TLS2=$(free_port)	# TERMINATED_HTTPS, alpn h2 + http/1.1
H2C=$(free_port)	# HTTP, alpn h2 + http/1.1: prior knowledge
TLS1=$(free_port)	# TERMINATED_HTTPS, alpn http/1.1 only
PLAIN1=$(free_port)	# HTTP without alpn_protocols
GONE=$(free_port)	# TERMINATED_HTTPS, alpn h2: removed by the reload
MPORT=$(free_port)	# lbproxy.metrics.listen

# listener ID PROTOCOL PORT [EXTRA-JSON]
listener() {
	echo "{\"id\": \"$1\", \"protocol\": \"$2\", \"protocol_port\": $3, \"default_pool_id\": \"web\"${4:+, $4}}"
}
# member ID PORT
member() {
	echo "{\"id\": \"$1\", \"address\": \"127.0.0.1\", \"protocol_port\": $2}"
}
tls="\"tls\": {\"certificate_file\": \"$PKI/srv.full\"}"
alpn='"alpn_protocols": ["h2", "http/1.1"]'
xf='"insert_headers": {"X-Forwarded-For": "true", "X-Forwarded-Proto": "true"}'
# write_lb FILE a|b: b (the reload) drops listener "gone" and member w1
write_lb() {
	local gone="" members

	members="$(member w1 "$PW1"), $(member w2 "$PW2")"
	if [ "$2" = a ]; then
		gone=",
    $(listener gone TERMINATED_HTTPS "$GONE" "$tls, $alpn")"
	else
		members=$(member w2 "$PW2")
	fi
	cat >"$1.tmp" <<EOF
{"loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1",
  "listeners": [
    $(listener tls2 TERMINATED_HTTPS "$TLS2" "$tls, $alpn, $xf"),
    $(listener h2c HTTP "$H2C" "$alpn, $xf"),
    $(listener tls1 TERMINATED_HTTPS "$TLS1" "$tls, \"alpn_protocols\": [\"http/1.1\"]"),
    $(listener plain1 HTTP "$PLAIN1")$gone],
  "pools": [{"id": "web", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
    "members": [$members]}]},
 "lbproxy": {"stats_socket": "$T/sock", "log": {"access_log": true},
             "metrics": {"listen": "127.0.0.1:$MPORT"}}}
EOF
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1.tmp" ||
	    fail "write_lb: $1 is not valid JSON"
	mv "$1.tmp" "$1"
}
write_lb "$T/lb.json" a
out=$("$LBPROXY" -t -c "$T/lb.json" 2>&1) || fail "-t refuses alpn_protocols with h2: $out"
assert_not_contains "$out" "warning" "-t warns about h2"
LB_WAIT_PORT=$TLS2 start_lbproxy "$T/lb.json" -w 2
for p in "$H2C" "$TLS1" "$PLAIN1" "$GONE"; do
	wait_port "$p" || fail "listener on port $p not listening"
done

# c2 URL [CURL-ARGS...]: curl over HTTP/2 (ALPN over https, prior knowledge over http).
c2() {
	local url=$1 how=(--http2-prior-knowledge)

	shift
	case $url in
	https:*) how=(--http2 --cacert "$PKI/ca.pem") ;;
	esac
	curl -s -g --noproxy '*' --max-time 10 "${how[@]}" "$@" "$url"
}

# reqs PORT: requests member PORT has parsed, its own /stats reads included.
reqs() {
	curl -s --noproxy '*' --max-time 5 "http://127.0.0.1:$1/stats" |
	    awk '$1 == "requests" {print $2}'
}

s_client_alpn() {
	{ timeout 10 openssl s_client -connect "127.0.0.1:$1" -alpn "$2" </dev/null 2>&1 || true; } | tr -d '\000'
}

U2=https://127.0.0.1:$TLS2
UC=http://127.0.0.1:$H2C

# --- negotiation ------------------------------------------------------------

note "ALPN offers h2 only where alpn_protocols has it"
assert_contains "$(s_client_alpn "$TLS2" h2,http/1.1)" "ALPN protocol: h2" "ALPN h2 on tls2"
assert_contains "$(s_client_alpn "$TLS2" http/1.1)" "ALPN protocol: http/1.1" "ALPN http/1.1 on tls2"
assert_contains "$(s_client_alpn "$TLS1" h2,http/1.1)" "ALPN protocol: http/1.1" "tls1 must not select h2"
assert_contains "$(s_client_alpn "$TLS1" h2)" "No ALPN negotiated" "tls1 offered only h2"

note "curl: version 2 where h2 is on, 1.1 elsewhere, both served"
assert_eq 2 "$(c2 "$U2/" -o /dev/null -w '%{http_version}')" "curl --http2 to tls2"
assert_eq 2 "$(c2 "$UC/" -o /dev/null -w '%{http_version}')" "curl --http2-prior-knowledge to h2c"
assert_eq "200 1.1" "$(curl -s --noproxy '*' --max-time 10 --http1.1 -o /dev/null -w '%{http_code} %{http_version}' "$UC/")" \
    "HTTP/1.1 on the h2c port"
assert_eq "200 1.1" "$(curl -s --noproxy '*' --max-time 10 --http1.1 --cacert "$PKI/ca.pem" -o /dev/null \
    -w '%{http_code} %{http_version}' "$U2/")" "HTTP/1.1 on the tls2 port"
assert_eq "200 1.1" "$(curl -s --noproxy '*' --max-time 10 --http2 --cacert "$PKI/ca.pem" -o /dev/null \
    -w '%{http_code} %{http_version}' "https://127.0.0.1:$TLS1/")" "curl --http2 to tls1 falls back to 1.1"
# curl --http2 over http asks for Upgrade: h2c; whatever the answer, it is served
assert_eq 200 "$(curl -s --noproxy '*' --max-time 10 --http2 -o /dev/null -w '%{http_code}' "$UC/")" \
    "Upgrade: h2c request on the h2c port"
ver=$(curl -s --noproxy '*' --max-time 5 --http2-prior-knowledge -o /dev/null -w '%{http_version}' \
    "http://127.0.0.1:$PLAIN1/" || true)
assert_ne 2 "$ver" "prior-knowledge h2 accepted by a listener without h2"

http_py "$PLAIN1" <<'PY' || fail "prior knowledge on a listener without h2"
from hlib import *
from h2raw import *
before = member_requests()
c = H2(PORT)
c.send(headers(1, req("/"), es=True))
c.wait(lambda: c.settings_seen or c.not_h2 is not None, 3)
check(not c.settings_seen, "a listener without h2 answered the preface with SETTINGS")
check(member_requests() == before, "the preface reached a member")
PY

# --- streams are requests, balanced ------------------------------------------

note "round robin per stream, on one connection"
# (nghttp: one connection per authority; curl 7.88 fails reusing an h2 connection)
for u in "$U2" "$UC"; do
	out=$(timeout 10 nghttp -nv "$u/?1" "$u/?2" "$u/?3" "$u/?4" 2>&1) || fail "nghttp $u: $out"
	assert_eq 4 "$(count_lines ' :status: 200' <<<"$out")" "$u: four streams answered"
	assert_eq 2 "$(count_lines ' x-backend: w1' <<<"$out")" "$u: four streams, w1"
	assert_eq 2 "$(count_lines ' x-backend: w2' <<<"$out")" "$u: four streams, w2"
done
http_py "$H2C" <<'PY' || fail "concurrent streams"
from hlib import *
from h2raw import *
c = H2(PORT)
sids = [c.request("/") for _ in range(4)]	# all four in flight at once
got = [c.response(s) for s in sids]
check(all(s.status == 200 for s in got), "four concurrent streams: %r" % got)
names = sorted(s.h("x-backend") for s in got)
check(names == ["w1", "w1", "w2", "w2"], "concurrent streams balanced: %r" % names)
PY

# --- what the member receives ------------------------------------------------

note "h2 -> HTTP/1.1: request line, Host from :authority, X-Forwarded-*, cookies"
http_py "$H2C" <<'PY' || fail "translation (raw frames)"
from hlib import *
from h2raw import *

def fields(s, name):
    """The values of field name (any case) in the request head /echo returned."""
    head = s.body.decode("latin-1").split("\r\n\r\n")[0].split("\r\n")
    return head[0], [l.split(":", 1)[1].strip() for l in head[1:]
                     if l.split(":", 1)[0].lower() == name]

c = H2(PORT)
sid = c.request("/echo?q=1", authority="h2.example:8443",
                extra=[("cookie", "a=1"), ("x-custom", "v1"), ("cookie", "b=2"), ("te", "trailers")])
s = c.response(sid)
check(s.status == 200, "GET /echo: %r" % s)
line, host = fields(s, "host")
check(line == "GET /echo?q=1 HTTP/1.1", "request line: %r" % line)
check(host == ["h2.example:8443"], "Host from :authority: %r" % bytes(s.body))
check(fields(s, "cookie")[1] == ["a=1; b=2"], "cookie crumbs joined in order: %r" % bytes(s.body))
check(fields(s, "x-custom")[1] == ["v1"], "x-custom passed: %r" % bytes(s.body))
check(fields(s, "x-forwarded-for")[1] == ["127.0.0.1"], "X-Forwarded-For: %r" % bytes(s.body))
check(fields(s, "x-forwarded-proto")[1] == ["http"], "X-Forwarded-Proto http: %r" % bytes(s.body))
check(b"\r\n:" not in bytes(s.body), "a pseudo-header reached the member: %r" % bytes(s.body))

# a body without content-length, in two DATA frames: framed for HTTP/1.1, intact
for path in ("/echo", "/echobody"):
    sid = c.request(path, method="POST", authority="h2.example", body=b"hello ", es=False)
    c.send(data(sid, b"world", es=True))
    s = c.response(sid)
    check(s.status == 200, "POST %s without content-length: %r" % (path, s))
    if path == "/echo":
        check(fields(s, "content-length")[1] == ["11"] or fields(s, "transfer-encoding")[1] == ["chunked"],
              "body not framed for HTTP/1.1: %r" % bytes(s.body))
    else:
        check(bytes(s.body) == b"hello world", "POST body: %r" % bytes(s.body))

# no :authority: the host field is the Host
sid = c.request("/echo", authority=None, extra=[("host", "only-host.example")])
s = c.response(sid)
check(s.status == 200 and fields(s, "host")[1] == ["only-host.example"],
      "host without :authority: %r %r" % (s, bytes(s.body)))
PY

node "$H2NODE" "$UC" '[{"name": "crumbs", "path": "/echo",
    "headers": {"cookie": ["a=1", "b=2", "c=3"], ":authority": "node.example"}}]' >"$T/node.out"
python3 - "$T/node.out" <<'PY' || fail "translation (Node's client)"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["status"] == 200, r
head = r["body"].split("\r\n\r\n")[0].split("\r\n")
def fields(name):
    return [l.split(":", 1)[1].strip() for l in head[1:] if l.split(":", 1)[0].lower() == name]
assert fields("cookie") == ["a=1; b=2; c=3"], head
assert fields("host") == ["node.example"], head
PY

echo_tls=$(c2 "$U2/echo" | tr -d '\r')
assert_eq "GET /echo HTTP/1.1" "$(head -n 1 <<<"$echo_tls")" "member gets HTTP/1.1 from an h2 TLS client"
assert_match "$echo_tls" "^[Hh][Oo][Ss][Tt]: 127\.0\.0\.1:$TLS2$" "Host from curl's :authority"
assert_match "$echo_tls" '^[Xx]-[Ff]orwarded-[Pp]roto: https$' "X-Forwarded-Proto over TLS"
assert_eq 1 "$(tr '[:upper:]' '[:lower:]' <<<"$echo_tls" | count_lines 'x-forwarded-proto:')" "one X-Forwarded-Proto"

# --- bodies --------------------------------------------------------------------

note "1 MiB up and down, intact"
head -c 1048576 /dev/urandom >"$T/up.bin"
want_up=$(sha256sum <"$T/up.bin" | cut -d' ' -f1)
want_down=$(curl -s --noproxy '*' --max-time 10 "http://127.0.0.1:$PW1/bytes/1048576" | sha256sum | cut -d' ' -f1)
for u in "$U2" "$UC"; do
	got=$(c2 "$u/echobody" --data-binary @"$T/up.bin" -H 'Content-Type: application/octet-stream' |
	    sha256sum | cut -d' ' -f1)
	assert_eq "$want_up" "$got" "$u: 1 MiB POST body"
	got=$(c2 "$u/bytes/1048576" | sha256sum | cut -d' ' -f1)
	assert_eq "$want_down" "$got" "$u: 1 MiB response body"
done
node "$H2NODE" --ca "$PKI/ca.pem" "$U2" "[{\"name\": \"up\", \"path\": \"/echobody\", \"method\": \"POST\",
    \"bodyFile\": \"$T/up.bin\"}, {\"name\": \"down\", \"path\": \"/bytes/1048576\"}]" >"$T/node.out"
sha_of() {
	python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2])])["sha256"])' "$T/node.out" "$1"
}
assert_eq "$want_up" "$(sha_of 0)" "1 MiB POST from Node (no content-length)"
assert_eq "$want_down" "$(sha_of 1)" "1 MiB response to Node"

note "chunked and close-delimited responses, statuses"
for p in chunked close-delimited; do
	for u in "$U2" "$UC"; do
		out=$(c2 "$u/$p" -w ' %{http_code} %{http_version}') || fail "$u/$p: curl failed"
		assert_match "$out" '^w[12]$' "$u/$p body"
		assert_match "$out" ' 200 2$' "$u/$p status over h2"
	done
done
for code in 204 404 503; do
	assert_eq "$code" "$(c2 "$UC/status/$code" -o /dev/null -w '%{http_code}')" "status $code over h2"
done
h=$(c2 "$UC/" -D - -o /dev/null | tr -d '\r')
assert_match "$h" '^HTTP/2 200' "response head over h2"
assert_match "$h" '^x-backend: w[12]$' "member's fields, lower case"
assert_not_contains "$h" "transfer-encoding" "connection-specific field in an h2 response"
assert_not_contains "$h" "connection:" "connection-specific field in an h2 response"
assert_not_contains "$h" "keep-alive" "connection-specific field in an h2 response"

# --- access log -------------------------------------------------------------------

note "access log: HTTP/2.0 in the request line"
c2 "$U2/h2-log-tls" >/dev/null
c2 "$UC/h2-log-clear" >/dev/null
curl -s --noproxy '*' --max-time 5 --http1.1 "$UC/h1-log" >/dev/null
wait_until 5 grep -qF '/h1-log ' "$T/lbproxy.log" || fail "no access-log line for /h1-log"
# (origin form as for HTTP/1.1; the absolute form built from :scheme and :authority is accepted)
grep -qE "\"GET (https://127\.0\.0\.1:$TLS2)?/h2-log-tls HTTP/2\.0\" 200 " "$T/lbproxy.log" ||
    fail "access log of an h2 request over TLS"
grep -qE "\"GET (http://127\.0\.0\.1:$H2C)?/h2-log-clear HTTP/2\.0\" 200 " "$T/lbproxy.log" ||
    fail "access log of an h2 request in clear"
grep -qF '"GET /h1-log HTTP/1.1" 200 ' "$T/lbproxy.log" || fail "access log of HTTP/1.1 on the h2c port"

# --- nghttp, h2load --------------------------------------------------------------

note "nghttp -nv"
for u in "$U2" "$UC"; do
	timeout 10 nghttp -nv "$u/" >"$T/nghttp.out" 2>&1 || fail "nghttp $u: $(tail -n 20 "$T/nghttp.out")"
	out=$(cat "$T/nghttp.out")
	assert_contains "$out" "recv SETTINGS frame" "nghttp $u: server SETTINGS"
	assert_contains "$out" "[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100]" "nghttp $u: 100 concurrent streams"
	assert_match "$out" 'recv \(stream_id=[0-9]+\) :status: 200' "nghttp $u: status"
	assert_match "$out" 'recv \(stream_id=[0-9]+\) x-backend: w[12]' "nghttp $u: a member answered"
	assert_not_contains "$out" "[ERROR]" "nghttp $u"
done
timeout 10 nghttp -nv "$U2/" 2>&1 | grep -q "The negotiated protocol: h2" ||
    fail "nghttp did not negotiate h2 over TLS"

# metric NAME LISTENER: its value in lbproxy's Prometheus exposition
metric() {
	curl -s --noproxy '*' --max-time 5 "http://127.0.0.1:$MPORT/metrics" |
	    sed -n "s/^$1{listener=\"$2\"} //p"
}

note "h2load -n 2000 -c 4 -m 16, counted in the metrics"
for u in "$U2" "$UC"; do
	case $u in "$U2") lid=tls2 ;; *) lid=h2c ;; esac
	c0=$(metric lbproxy_frontend_h2_connections_total "$lid")
	s0=$(metric lbproxy_frontend_h2_streams_total "$lid")
	r0=$(metric lbproxy_frontend_requests_total "$lid")
	b1=$(reqs "$PW1"); b2=$(reqs "$PW2")
	timeout 60 h2load -n 2000 -c 4 -m 16 "$u/" >"$T/h2load.out" 2>&1 ||
	    fail "h2load $u: $(tail -n 20 "$T/h2load.out")"
	cat "$T/h2load.out"
	out=$(cat "$T/h2load.out")
	assert_match "$out" '^requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout' \
	    "h2load $u requests"
	assert_match "$out" '^status codes: 2000 2xx, 0 3xx, 0 4xx, 0 5xx' "h2load $u statuses"
	assert_match "$out" '^Application protocol: h2c?$' "h2load $u spoke h2"
	d1=$(( $(reqs "$PW1") - b1 - 1 )); d2=$(( $(reqs "$PW2") - b2 - 1 ))
	assert_eq 2000 $((d1 + d2)) "h2load $u: requests the members got"
	assert_between "$d1" 700 1300 "h2load $u: share of w1"
	assert_eq 4 $(( $(metric lbproxy_frontend_h2_connections_total "$lid") - ${c0:-0} )) \
	    "h2load $u: h2 connections counted for $lid"
	assert_eq 2000 $(( $(metric lbproxy_frontend_h2_streams_total "$lid") - ${s0:-0} )) \
	    "h2load $u: h2 streams counted for $lid"
	assert_eq 2000 $(( $(metric lbproxy_frontend_requests_total "$lid") - ${r0:-0} )) \
	    "h2load $u: h2 streams are requests of $lid too"
done

# --- reload and graceful stop -------------------------------------------------------

# inflight NAME PORT tls|plain MODE PATH: a raw client with one stream to PATH
# in flight, in the background; $T/NAME.ready once lbproxy has the request,
# the verdict in $T/NAME.log ("RESULT ok" or what went wrong). MODE goaway:
# a GOAWAY (NO_ERROR, last stream id >= the stream's) comes while the
# stream is in flight, the stream finishes with 200, the connection closes.
# MODE kept: the stream finishes with 200, no GOAWAY, and once $T/NAME.go
# exists two new streams on the connection are answered, their members
# printed ("MEMBERS w2 w2").
cat >"$T/inflight.py" <<'PY'
import os, sys, time
from h2raw import *
port, tls, mode, path, name = int(sys.argv[1]), sys.argv[2] == "tls", sys.argv[3], sys.argv[4], sys.argv[5]
scheme = "https" if tls else "http"
c = H2(port, tls=tls, timeout=10)
sid = c.request(path, scheme=scheme)
c.sync()
open(name + ".ready", "w").close()
s = c.response(sid, 10)
end = next((i for i, f in enumerate(c.frames) if f.sid == sid and f.type in (DATA, HEADERS)
            and f.flags & END_STREAM), None)
ga = next((i for i, f in enumerate(c.frames) if f.type == GOAWAY), None)
print("stream", s, "goaways", c.goaways)
if s.status != 200 or not s.ended:
    print("RESULT the stream in flight did not finish: %r" % s)
elif mode == "goaway":
    c.wait_close(5)
    print("closed", c.closed)
    if ga is None:
        print("RESULT no GOAWAY")
    elif ga > end:
        print("RESULT GOAWAY only after the stream ended")
    elif any(code != NO_ERROR for _, code in c.goaways):
        print("RESULT GOAWAY with an error: %r" % c.goaways)
    elif c.goaways[-1][0] < sid:
        print("RESULT GOAWAY last_stream_id %d excludes the stream in flight" % c.goaways[-1][0])
    elif not c.closed:
        print("RESULT the connection stays open after GOAWAY and its last stream")
    else:
        print("RESULT ok")
else:
    deadline = time.monotonic() + 10
    while not os.path.exists(name + ".go") and time.monotonic() < deadline:
        c.poll(0.1)
    got = [c.response(c.request("/", scheme=scheme), 5) for _ in range(2)]
    print("MEMBERS", " ".join(str(g.h("x-backend")) for g in got))
    if c.goaways:
        print("RESULT GOAWAY on a kept listener: %r" % c.goaways)
    elif not all(g.status == 200 for g in got):
        print("RESULT new streams after the reload: %r" % got)
    else:
        print("RESULT ok")
PY
inflight() {
	rm -f "$T/$1.ready" "$T/$1.go"
	bg_run "$1" env PYTHONPATH="$T" PYTHONDONTWRITEBYTECODE=1 \
	    python3 "$T/inflight.py" "$2" "$3" "$4" "$5" "$T/$1"
	eval "INFLIGHT_$1=\$BG_PID"
	wait_file "$T/$1.ready" 5 || fail "$1: the request was not sent: $(cat "$T/$1.log")"
}
inflight_ok() {
	local pid

	eval "pid=\$INFLIGHT_$1"
	wait_gone "$pid" 15 || fail "$1: the client did not finish"
	grep -q '^RESULT ok$' "$T/$1.log" || fail "$1: $(cat "$T/$1.log")"
}

note "reload: a removed listener's connections get GOAWAY, a kept one follows the new pool"
inflight kept "$H2C" plain kept /delay/2000
inflight gone "$GONE" tls goaway /delay/2000
bg_run nghttp-gone timeout 10 nghttp -nv "https://127.0.0.1:$GONE/delay/2000"
ng=$BG_PID
sleep 0.5	# the requests are at the members
write_lb "$T/lb.json" b
kill -HUP "$LB_PID"
wait_until 5 grep -q 'reloaded: generation 2' "$T/lbproxy.log" || fail "reload not applied"
touch "$T/kept.go"
inflight_ok gone
inflight_ok kept
assert_eq "MEMBERS w2 w2" "$(grep '^MEMBERS' "$T/kept.log")" "new streams on a kept connection use the new pool"
wait_gone "$ng" 15 || fail "nghttp across the reload did not finish"
assert_match "$(cat "$T/nghttp-gone.log")" 'recv \(stream_id=[0-9]+\) :status: 200' "nghttp's stream across the reload"
assert_contains "$(cat "$T/nghttp-gone.log")" "recv GOAWAY frame" "nghttp got GOAWAY: its listener went"
wait_port_free "$GONE" || fail "the removed listener still listens"
assert_eq "w2 2" "$(c2 "$UC/" -w ' %{http_version}' | tr -d '\n')" "h2 after the reload, from the new pool"

note "graceful stop (SIGUSR1): GOAWAY, the streams in flight finish, exit 0"
bg_run nghttp-stop timeout 10 nghttp -nv "$U2/delay/2000"
ng=$BG_PID
inflight stop "$H2C" plain goaway /delay/1500
inflight stop2 "$TLS2" tls goaway /delay/1500
sleep 0.5
stop_lbproxy USR1 10
assert_eq 0 "$LB_STATUS" "exit status after the graceful stop"
inflight_ok stop
inflight_ok stop2
wait_gone "$ng" 15 || fail "nghttp across the stop did not finish"
assert_match "$(cat "$T/nghttp-stop.log")" 'recv \(stream_id=[0-9]+\) :status: 200' "nghttp's stream across the stop"
assert_contains "$(cat "$T/nghttp-stop.log")" "recv GOAWAY frame" "nghttp got GOAWAY on the stop"
if grep -q 'AddressSanitizer\|runtime error:\|LeakSanitizer' "$T/lbproxy.log"; then
	fail "sanitizer report in lbproxy.log"
fi
exit 0
