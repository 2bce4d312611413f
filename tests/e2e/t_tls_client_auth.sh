#!/bin/bash
# t_tls_client_auth: client certificates, X-SSL-* headers, SSL_* L7 rules and
# HSTS on lbproxy's own TERMINATED_HTTPS listeners (SPEC 9, 10, 11; issue 12),
# read from an Octavia file, compared with HAProxy 2.6 running Octavia's
# template lines for the same certificates:
#
#   bind ... ssl crt ... ca-file CA verify optional|required crl-file CRL
#   http-request set-header X-SSL-Client-Verify %[ssl_c_verify]   (and the other seven)
#
# curl presents no certificate, a valid one, one valid until 2051
# (GeneralizedTime), one with control bytes, quotes, '%', two CNs and a
# multi-valued RDN, a UTF-8 one, an expired one, a revoked one
# (client_crl_file) and one of another CA, to OPTIONAL and MANDATORY
# listeners. The eight headers the echoing member (lbtest-backend /echo)
# receives must be the same bytes (names without case: HAProxy writes
# them in lower case), every handshake one side refuses the other refuses
# too. Then: a client's own X-SSL-* headers never get through;
# SSL_CONN_HAS_CERT and SSL_DN_FIELD rules route by certificate; over
# HTTP/2 (an h2 listener) each stream carries the same eight headers and
# is routed by the same rules;
# Strict-Transport-Security as Octavia's template words it on terminated
# listeners only (and replacing the member's own); SIGHUP after the
# client's serial joins the CRL refuses that client, also when it offers
# its earlier session.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd openssl curl python3 timeout
. "$TOP_SRCDIR/tests/e2e/pki.sh"
. "$TOP_SRCDIR/tests/e2e/xssl.sh"
xssl_need_haproxy
P=$PKI
xssl_pki
cp "$P/crl.pem" "$P/lb-crl.pem"	# the CRL lbproxy reads, replaced before the SIGHUP

# --- members, HAProxy, lbproxy ------------------------------------------------------------

start_backend b 0 http; B=$BACKEND_PORT		# HAProxy's and lbproxy's default
start_backend bcert 0 http; BC=$BACKEND_PORT	# SSL_CONN_HAS_CERT True
start_backend bcn 0 http; BN=$BACKEND_PORT	# SSL_DN_FIELD CN EQUAL_TO gentime
start_backend bou 0 http; BO=$BACKEND_PORT	# SSL_DN_FIELD OU STARTS_WITH En
# a member that sends its own Strict-Transport-Security
STS=$(free_port)
cat >"$T/sts.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Strict-Transport-Security", "max-age=1")
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"sts\n")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
bg_run sts python3 "$T/sts.py" "$STS"
wait_port "$STS" 5 || fail "the STS member did not start: $(cat "$T/sts.log")"

HA_OPT=$(free_port); HA_REQ=$(free_port); HA_STS=$(free_port)
hsts="max-age=31536000; includeSubDomains; preload;"
{
	xssl_haproxy "$HA_OPT" "$HA_REQ" "$P/crl.pem" "$B"
	# the same HSTS settings as lbproxy's "opt" listener, as Octavia writes them
	echo "frontend sts"
	echo "    bind 127.0.0.1:$HA_STS ssl crt $P/srv.full"
	echo "    http-response set-header Strict-Transport-Security \"$hsts\""
	echo "    default_backend sts"
	echo "backend sts"
	echo "    server s1 127.0.0.1:$STS"
} >"$T/haproxy.cfg"
haproxy -c -f "$T/haproxy.cfg" >"$T/haproxy-check.log" 2>&1 ||
    fail "haproxy -c: $(cat "$T/haproxy-check.log")"
bg_run haproxy haproxy -db -f "$T/haproxy.cfg"

LB_OPT=$(free_port); LB_REQ=$(free_port); LB_PLAIN=$(free_port); LB_H2=$(free_port)
ssl_all='"insert_headers": {"X-SSL-Client-Verify": "true", "X-SSL-Client-Has-Cert": "true",
      "X-SSL-Client-DN": "true", "X-SSL-Client-CN": "true", "X-SSL-Issuer": "true",
      "X-SSL-Client-SHA1": "true", "X-SSL-Client-Not-Before": "true",
      "X-SSL-Client-Not-After": "true"}'
tls="\"tls\": {\"certificate_file\": \"$P/srv.full\", \"client_ca_file\": \"$P/ca.pem\",
      \"client_crl_file\": \"$P/lb-crl.pem\"}"
# rule TYPE COMPARE VALUE [KEY]
rule() {
	echo "{\"type\": \"$1\", \"compare_type\": \"$2\", \"value\": \"$3\"${4:+, \"key\": \"$4\"}}"
}
# to_pool POSITION POOL RULE...
to_pool() {
	local pos=$1 pool=$2 rules="" r

	shift 2
	for r in "$@"; do rules+="${rules:+, }$r"; done
	echo "{\"position\": $pos, \"action\": \"REDIRECT_TO_POOL\", \"redirect_pool_id\": \"$pool\", \"rules\": [$rules]}"
}
# pool ID PORT
pool() {
	echo "{\"id\": \"$1\", \"protocol\": \"HTTP\", \"lb_algorithm\": \"ROUND_ROBIN\",
	  \"members\": [{\"id\": \"m-$1\", \"address\": \"127.0.0.1\", \"protocol_port\": $2}]}"
}
cat >"$T/lb.json" <<EOF
{"loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1",
  "listeners": [
    {"id": "opt", "protocol": "TERMINATED_HTTPS", "protocol_port": $LB_OPT,
     "default_pool_id": "echo", "client_authentication": "OPTIONAL", $tls, $ssl_all,
     "hsts_max_age": 31536000, "hsts_include_subdomains": true, "hsts_preload": true,
     "l7policies": [
       $(to_pool 1 sts "$(rule PATH STARTS_WITH /sts)"),
       $(to_pool 2 cn "$(rule PATH EQUAL_TO /route)" "$(rule SSL_DN_FIELD EQUAL_TO gentime CN)"),
       $(to_pool 3 ou "$(rule PATH EQUAL_TO /route)" "$(rule SSL_DN_FIELD STARTS_WITH En OU)"),
       $(to_pool 4 cert "$(rule PATH EQUAL_TO /route)" "$(rule SSL_CONN_HAS_CERT EQUAL_TO True)")]},
    {"id": "h2", "protocol": "TERMINATED_HTTPS", "protocol_port": $LB_H2,
     "alpn_protocols": ["h2", "http/1.1"], "default_pool_id": "echo",
     "client_authentication": "OPTIONAL", $tls, $ssl_all,
     "l7policies": [$(to_pool 1 ou "$(rule PATH EQUAL_TO /route)" "$(rule SSL_DN_FIELD STARTS_WITH En OU)")]},
    {"id": "req", "protocol": "TERMINATED_HTTPS", "protocol_port": $LB_REQ,
     "default_pool_id": "echo", "client_authentication": "MANDATORY", $tls, $ssl_all,
     "hsts_max_age": 600},
    {"id": "plain", "protocol": "HTTP", "protocol_port": $LB_PLAIN,
     "default_pool_id": "echo", "hsts_max_age": 600,
     "l7policies": [$(to_pool 1 sts "$(rule PATH STARTS_WITH /sts)")]}],
  "pools": [$(pool echo "$B"), $(pool cert "$BC"), $(pool cn "$BN"), $(pool ou "$BO"),
            $(pool sts "$STS")]},
 "lbproxy": {"stats_socket": "$T/sock"}}
EOF
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/lb.json" ||
    fail "lb.json is not valid JSON"
out=$("$LBPROXY" -t -c "$T/lb.json" 2>&1) || fail "-t refuses the configuration: $out"
LB_WAIT_PORT=$LB_OPT start_lbproxy "$T/lb.json"
for port in "$HA_OPT" "$HA_REQ" "$HA_STS" "$LB_REQ" "$LB_PLAIN" "$LB_H2"; do
	wait_port "$port" 5 || fail "nothing listens on $port: $(cat "$T"/haproxy.log)"
done

# --- X-SSL-* headers: byte for byte as HAProxy's ---------------------------------------

for cert in none valid gentime odd utf8; do
	xssl_same "$HA_OPT" "$LB_OPT" "$cert" || fail "$cert: refused with OPTIONAL"
done
# spot checks, against the formats Octavia's users parse
sha=$(openssl x509 -in "$P/valid.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
lb_valid=$(tr -d '\r' <"$T/lb.valid")
for want in "x-ssl-client-verify: 0" "x-ssl-client-has-cert: 1" \
    "x-ssl-client-dn: /C=US/ST=CA/O=Example, Inc./OU=Eng/CN=client one/emailAddress=a@b.c" \
    "x-ssl-client-cn: client one" "x-ssl-issuer: /C=US/O=Test CA/CN=Test Root" \
    "x-ssl-client-sha1: $sha" "x-ssl-client-not-before: 240101000000Z" \
    "x-ssl-client-not-after: 491231235959Z"; do
	assert_contains "$lb_valid" "$want" "valid certificate's headers"
done
assert_contains "$(tr -d '\r' <"$T/lb.none")" "x-ssl-client-has-cert: 0" "no certificate"
assert_contains "$(cat "$T/lb.gentime")" "x-ssl-client-not-after: 510101000000Z" "GeneralizedTime"
# Octavia's names, as lbproxy writes them
for h in X-SSL-Client-Verify X-SSL-Client-Has-Cert X-SSL-Client-DN X-SSL-Client-CN \
    X-SSL-Issuer X-SSL-Client-SHA1 X-SSL-Client-Not-Before X-SSL-Client-Not-After; do
	grep -q "^$h: " "$T/lb.valid.raw" || fail "lbproxy did not send $h: $(cat "$T/lb.valid.raw")"
done
for cert in expired revoked wrong; do
	! xssl_same "$HA_OPT" "$LB_OPT" "$cert" || fail "$cert: accepted with OPTIONAL"
done
cp "$T/lb.none" "$T/opt.none"	# what the MANDATORY listener does not accept

# MANDATORY: the valid one passes with the same values, the rest is refused unanswered
xssl_same "$HA_REQ" "$LB_REQ" valid || fail "valid: refused with MANDATORY"
for cert in none wrong revoked expired; do
	! xssl_same "$HA_REQ" "$LB_REQ" "$cert" || fail "$cert: accepted with MANDATORY"
	[ ! -s "$T/lb.$cert.raw" ] || fail "$cert: lbproxy answered $(cat "$T/lb.$cert.raw")"
done

# --- the same over HTTP/2: a stream's session sees the connection's certificate -----------

for cert in none valid gentime; do
	xssl_fetch "$LB_H2" "$cert" "$T/h2.$cert" --http2 -D "$T/h2.$cert.head" ||
	    fail "$cert: h2 request refused"
	grep -q '^HTTP/2 200' "$T/h2.$cert.head" || fail "$cert: not HTTP/2: $(head -1 "$T/h2.$cert.head")"
	# what the OPTIONAL listener sent over HTTP/1.1 (lb.none is MANDATORY's refusal by now)
	ref=$T/lb.$cert
	[ "$cert" != none ] || ref=$T/opt.none
	cmp -s "$ref" "$T/h2.$cert" ||
	    fail "$cert: X-SSL-* over h2 differ (< HTTP/1.1, > h2): $(diff "$ref" "$T/h2.$cert")"
done
assert_eq bou "$(curl -sk --http2 --max-time 5 --cert "$P/valid.pem" --key "$P/valid.key" \
    "https://127.0.0.1:$LB_H2/route")" "h2: SSL_DN_FIELD OU STARTS_WITH En routes the stream"

# --- a client's own X-SSL-* headers ------------------------------------------------------

cp "$T/lb.valid" "$T/opt.valid"
for cert in none valid; do
	xssl_fetch "$LB_OPT" "$cert" "$T/own.$cert" -H 'X-SSL-Client-DN: /CN=admin' \
	    -H 'x-ssl-client-verify: 0' -H 'X-SSL-Client-CN: admin' -H 'X-SSL-Other: x' ||
	    fail "$cert: request with X-SSL-* headers of its own refused"
	assert_eq 8 "$(count_lines "" "$T/own.$cert")" "$cert: X-SSL-* fields the member got: $(cat "$T/own.$cert")"
	cmp -s "$T/opt.$cert" "$T/own.$cert" ||
	    fail "$cert: the client's X-SSL-* headers got through: $(diff "$T/opt.$cert" "$T/own.$cert")"
	assert_not_contains "$(cat "$T/own.$cert.raw")" "admin" "$cert: the client's value reached the member"
done

# --- SSL_* rules -------------------------------------------------------------------------

# routed CERT: the member that answered /route
routed() {
	local args=()

	[ "$1" = none ] || args=(--cert "$P/$1.pem" --key "$P/$1.key")
	curl -sk --max-time 5 "${args[@]}" "https://127.0.0.1:$LB_OPT/route" || true
}
assert_eq b "$(routed none)" "no certificate: the default pool"
assert_eq bcn "$(routed gentime)" "SSL_DN_FIELD CN EQUAL_TO gentime"
assert_eq bou "$(routed valid)" "SSL_DN_FIELD OU STARTS_WITH En (OU=Eng)"
assert_eq bcert "$(routed odd)" "SSL_CONN_HAS_CERT True (CN a\"b..., OU x)"
assert_eq bcert "$(routed utf8)" "SSL_CONN_HAS_CERT True (no OU)"

# --- HSTS --------------------------------------------------------------------------------

# sts PORT SCHEME PATH: the Strict-Transport-Security lines of the response,
# the name in lower case (as HAProxy writes it)
sts() {
	local cert=()

	[ "$1" != "$LB_REQ" ] || cert=(--cert "$P/gentime.pem" --key "$P/gentime.key")
	curl -sk --max-time 5 -o /dev/null -D - "${cert[@]}" "$2://127.0.0.1:$1$3" |
	    tr -d '\r' | sed -n 's/^strict-transport-security:/strict-transport-security:/ip'
}
ha_sts=$(sts "$HA_STS" https /sts)
assert_eq "strict-transport-security: $hsts" "$ha_sts" "HAProxy's HSTS over a member's own"
assert_eq "$ha_sts" "$(sts "$LB_OPT" https /)" "HSTS with includeSubDomains and preload"
assert_eq "strict-transport-security: max-age=600;" "$(sts "$LB_REQ" https /)" \
    "HSTS with max-age only"
assert_eq "" "$(sts "$LB_PLAIN" http /)" "HSTS on a plain HTTP listener (hsts_max_age ignored)"
assert_eq "strict-transport-security: max-age=1" "$(sts "$LB_PLAIN" http /sts)" \
    "the member's own HSTS passes a plain HTTP listener untouched"

# --- SIGHUP: the CRL revokes the client ----------------------------------------------------

assert_eq New "$(xssl_resume "$LB_OPT" new)" "first connection as valid"
assert_eq Reused "$(xssl_resume "$LB_OPT" again)" "second connection as valid"
pki_revoke ca valid
pki_crl ca "$P/lb-crl.pem"
serial=$(pki_serial valid)
openssl crl -in "$P/lb-crl.pem" -noout -text | grep -q "Serial Number: $serial" ||
    fail "the new CRL does not list valid's serial $serial"
note "valid's serial $serial added to the CRL; SIGHUP"
kill -HUP "$LB_PID"
wait_until 5 grep -q 'reloaded: generation 2' "$T/lbproxy.log" ||
    fail "reload not applied: $(tail -n 5 "$T/lbproxy.log")"
assert_eq "" "$(xssl_resume "$LB_OPT" again)" "valid's session after a reload whose CRL revokes it"
for port in "$LB_OPT" "$LB_REQ"; do
	rc=0
	xssl_fetch "$port" valid "$T/after" || rc=$?
	assert_ne 0 "$rc" "valid after the reload revoking it, port $port ($(cat "$T/after.raw"))"
done
xssl_fetch "$LB_OPT" gentime "$T/after" || fail "gentime refused after the reload"
xssl_fetch "$LB_OPT" none "$T/after" || fail "no certificate refused after the reload"

# HSTS replaces the member's own header (set-header), it is not added after it
assert_eq "$ha_sts" "$(sts "$LB_OPT" https /sts)" \
    "HSTS over a member's own: set, as HAProxy's set-header does, not added"

stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"
if grep -q 'AddressSanitizer\|runtime error:\|LeakSanitizer' "$T/lbproxy.log"; then
	fail "sanitizer report in lbproxy.log"
fi
exit 0
