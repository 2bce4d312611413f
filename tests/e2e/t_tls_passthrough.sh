#!/bin/bash
# t_tls_passthrough: an HTTPS VIP without a certificate, or with tls.mode
# "passthrough" (its certificate then ignored), relays TCP untouched to TLS
# members (SPEC 2 "HTTPS semantics"): the client's handshake reaches the
# member (the client sees the member's certificate, the member sees the
# client's SNI and ALPN offer), the request bytes arrive unmodified (no
# X-Forwarded-*), sessions resume against the member, the member's
# close_notify reaches the client, and a 1 MiB response arrives whole.
# Members: a python3 ssl server and `openssl s_server -www`.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd openssl curl python3 timeout

# mkcert NAME CN: self-signed EC certificate NAME.crt/NAME.key, NAME.pem.
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -days 2 -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
	    -keyout "$T/$1.key" -out "$T/$1.crt" >/dev/null 2>&1 ||
	    fail "openssl req for $1 failed"
	cat "$T/$1.crt" "$T/$1.key" >"$T/$1.pem"
}
mkcert member member.test
mkcert sserver sserver.test
mkcert lb lbproxy.test		# given to the tls.mode passthrough VIP; must not be used

# member.py PORT CERT KEY: a threaded TLS 1.2/1.3 HTTP server. Logs one
# line per handshake ("hs sni=... alpn=... version=..."); answers
# /bytes/N with N bytes, anything else with the handshake facts and the
# request head; Connection: close, then close_notify.
cat >"$T/member.py" <<'EOF'
import socket, ssl, sys, threading
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.set_alpn_protocols(["h2", "http/1.1"])
sni = {}
def on_sni(obj, name, c):
    sni[id(obj)] = name
ctx.sni_callback = on_sni

def serve(raw):
    raw.settimeout(10)
    try:
        s = ctx.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError):
        raw.close()
        return
    facts = "sni=%s alpn=%s version=%s reused=%s" % (
        sni.pop(id(s._sslobj), None) or sni.pop(id(s), None) or "-",
        s.selected_alpn_protocol(), s.version(), s.session_reused)
    print("hs", facts, flush=True)
    head = b""
    try:
        while b"\r\n\r\n" not in head:
            d = s.recv(65536)
            if not d:
                break
            head += d
        path = head.split(b" ")[1].decode() if head.count(b" ") >= 2 else "/"
        if path.startswith("/bytes/"):
            body = (b"0123456789abcdef" * 65536)[:int(path[7:])]
        else:
            body = ("member %s\n" % facts).encode() + head
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                  % len(body) + body)
        s.settimeout(2)
        s.unwrap()      # close_notify
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            s.close()
        except OSError:
            pass

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(64)
print("listening", port, flush=True)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF

mport=$(free_port)
bg_run member python3 "$T/member.py" "$mport" "$T/member.crt" "$T/member.key"
wait_port "$mport" || fail "python member did not start: $(cat "$T/member.log")"
sport=$(free_port)
bg_run sserver openssl s_server -accept "127.0.0.1:$sport" -cert "$T/sserver.crt" \
    -key "$T/sserver.key" -www -quiet
wait_port "$sport" || fail "openssl s_server did not start: $(cat "$T/sserver.log")"

# --- HTTPS VIP without a certificate -> python member ----------------------------

vip=$(free_port)
write_pool "$T/pt.json" "$vip" HTTPS ROUND_ROBIN "m1:$mport"
out=$("$LBPROXY" -t -c "$T/pt.json" 2>&1) || fail "-t rejects a passthrough VIP: $out"
start_lbproxy "$T/pt.json" -w 2

s_client() {
	timeout 10 openssl s_client -connect "127.0.0.1:$vip" "$@" </dev/null 2>&1 || true
}

out=$(s_client -servername client.test -alpn h2,http/1.1)
assert_contains "$out" "subject=CN = member.test" "client sees the member's certificate"
# lbproxy, terminating, only ever selects http/1.1
assert_contains "$out" "ALPN protocol: h2" "ALPN answered by the member"
wait_until 5 grep -q 'hs sni=client.test alpn=h2' "$T/member.log" ||
    fail "member did not see the client's SNI/ALPN: $(cat "$T/member.log")"

for v in 1.2 1.3; do
	if [ $v = 1.2 ]; then vopt=(--tlsv1.2 --tls-max 1.2); else vopt=(--tlsv1.3); fi
	out=$(curl -sk -v --noproxy '*' --max-time 5 --http1.1 "${vopt[@]}" \
	    -H 'X-Test: passthrough' "https://127.0.0.1:$vip/hello" 2>&1) ||
	    fail "curl through the passthrough VIP (TLS $v): $out"
	assert_contains "$out" "SSL connection using TLSv$v" "curl TLS $v"
	assert_contains "$out" "subject: CN=member.test" "curl sees the member's certificate"
	assert_contains "$out" "member sni=-" "answered by the member"
	assert_contains "$out" "GET /hello HTTP/1.1" "request reached the member"
	assert_contains "$out" "X-Test: passthrough" "request headers unchanged"
	assert_not_contains "$out" "X-Forwarded" "a passthrough VIP does not touch the request"
done

# resumption is between the client and the member
rm -f "$T/sess"
printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' |
    timeout 10 openssl s_client -connect "127.0.0.1:$vip" -ign_eof -sess_out "$T/sess" \
    >"$T/first.out" 2>&1 || true
[ -s "$T/sess" ] || fail "no session saved: $(tail -n 5 "$T/first.out")"
assert_contains "$(s_client -sess_in "$T/sess")" "Reused," "session resumed with the member"

# close_notify from the member reaches the client; a 1 MiB body arrives whole
python3 - "$vip" >"$T/big.out" 2>&1 <<'EOF' || fail "big response: $(cat "$T/big.out")"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8),
                    server_hostname="big.test", suppress_ragged_eofs=False)
s.sendall(b"GET /bytes/1048576 HTTP/1.1\r\nHost: t\r\n\r\n")
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except ssl.SSLEOFError:
    sys.exit("no close_notify from the member")
head, _, body = out.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), head
assert body == (b"0123456789abcdef" * 65536)[:1048576], "body: %d bytes" % len(body)
print("ok", len(body))
EOF
assert_eq "ok 1048576" "$(cat "$T/big.out")" "1 MiB through the passthrough VIP"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"

# --- tls.mode passthrough with a certificate given -> openssl s_server -www ------------

vip=$(free_port)
VIP_EXTRA="\"tls\": {\"mode\": \"passthrough\", \"certificate_file\": \"$T/lb.pem\"}" \
STATS_SOCK="$T/sock2" write_pool "$T/pt2.json" "$vip" HTTPS ROUND_ROBIN "s1:$sport"
out=$("$LBPROXY" -t -c "$T/pt2.json" 2>&1) || fail "-t rejects tls.mode passthrough: $out"
assert_contains "$out" "certificate_file" "-t warns that the certificate is ignored"
STATS_SOCK="$T/sock2" start_lbproxy "$T/pt2.json" -w 2

out=$(s_client -servername lbproxy.test)
assert_contains "$out" "subject=CN = sserver.test" "client sees s_server's certificate, not lbproxy's"
assert_not_contains "$out" "CN = lbproxy.test" "lbproxy's certificate used in passthrough"
out=$(curl -sk --noproxy '*' --max-time 5 "https://127.0.0.1:$vip/") ||
    fail "curl through tls.mode passthrough to s_server -www failed"
assert_contains "$out" "s_server" "page served by openssl s_server -www"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"
if grep -q 'AddressSanitizer\|runtime error:\|LeakSanitizer' "$T/lbproxy.log"; then
	fail "sanitizer report in lbproxy.log"
fi
exit 0
