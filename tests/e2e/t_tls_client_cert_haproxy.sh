#!/bin/bash
# t_tls_client_cert_haproxy: client certificates at a terminating listener
# (SPEC 11 "Client certificates", issue 12) compared byte for byte with
# HAProxy 2.6 running Octavia's template lines:
#
#   bind ... ssl crt ... ca-file CA verify optional|required crl-file CRL
#   http-request set-header X-SSL-Client-Verify %[ssl_c_verify]   (and the other seven)
#
# lbproxy's side is tests/tools/lbtls-front (lbproxy's TLS modules:
# lb_tls_server_new, lb_tls_server_set_client_auth, lb_tls_cert_values),
# until the listener is wired. Both forward to lbtest-backend's /echo, and
# curl presents: no certificate, a valid one (every template field, UTCTime
# dates), one valid until 2051 (GeneralizedTime), one with control bytes,
# quotes, '%', two CNs and a multi-valued RDN, a UTF-8 one, an expired one, a
# revoked one, one from another CA. The X-SSL-* values must be identical
# (names compared without case: HAProxy writes them in lower case), and
# every handshake one side refuses the other refuses too. MANDATORY refuses
# no certificate, another CA's and a revoked one, naming why. Then the reload
# path: a session resumes across a SIGHUP that brings the same CRL, and not
# across one whose CRL revokes the client, who is then refused.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd openssl curl haproxy timeout
haproxy -v 2>/dev/null | grep -q "version 2\.6\." ||
    skip "needs HAProxy 2.6 ($(haproxy -v 2>&1 | head -n 1))"
LBTLS_FRONT=${LBTLS_FRONT:-./tests/tools/lbtls-front}
[ -x "$LBTLS_FRONT" ] || fail "LBTLS_FRONT ($LBTLS_FRONT) is not built (make check builds it)"

# --- a CA, certificates, a CRL (pki.sh: openssl ca keeps the revocation database) -----

. "$TOP_SRCDIR/tests/e2e/pki.sh"
P=$PKI
pki_ca ca "/C=US/O=Test CA/CN=Test Root"
pki_ca ca2 "/CN=Other Root"
pki_issue ca2 srv "/CN=localhost"

# client NAME SUBJECT START END [REQ-ARGS...]: NAME.pem/NAME.key signed by the CA
client() {
	local name=$1 subj=$2 start=$3 end=$4

	shift 4
	pki_issue ca "$name" "$subj" -s "$start" -e "$end" -- "$@"
}
client valid "/C=US/ST=CA/O=Example, Inc./OU=Eng/CN=client one/emailAddress=a@b.c" \
    20240101000000Z 20491231235959Z
client gentime "/CN=gentime" 20240101000000Z 20510101000000Z
client odd "/CN=a\"b%c"$'\t'"d"$'\x01'"e"$'\x7f'"f/CN=second/OU=x+O=y" \
    20240101000000Z 20491231235959Z
client utf8 "/CN=caf"$'\xc3\xa9'"/O=Z"$'\xc3\xbc'"rich" 20240101000000Z 20491231235959Z -utf8
client expired "/CN=expired" 20200101000000Z 20210101000000Z
client revoked "/CN=revoked" 20240101000000Z 20491231235959Z
pki_revoke ca revoked
pki_crl ca "$P/crl.pem"
pki_issue ca2 wrong "/CN=wrong"

# --- HAProxy and lbtls-front, OPTIONAL and MANDATORY ---------------------------

start_backend b 0 http
B=$BACKEND_PORT
HA_OPT=$(free_port)
HA_REQ=$(free_port)
LB_OPT=$(free_port)
LB_REQ=$(free_port)
{
	echo "defaults"
	echo "    mode http"
	echo "    timeout connect 5s"
	echo "    timeout client 5s"
	echo "    timeout server 5s"
	echo "frontend opt"
	echo "    bind 127.0.0.1:$HA_OPT ssl crt $P/srv.full ca-file $P/ca.pem verify optional crl-file $P/crl.pem"
	echo "    default_backend be"
	echo "frontend req"
	echo "    bind 127.0.0.1:$HA_REQ ssl crt $P/srv.full ca-file $P/ca.pem verify required crl-file $P/crl.pem"
	echo "    default_backend be"
	echo "backend be"
	# Octavia's combined_listeners template, every insert_headers entry "true"
	echo "    http-request set-header X-SSL-Client-Verify %[ssl_c_verify]"
	echo "    http-request set-header X-SSL-Client-Has-Cert %[ssl_c_used]"
	echo "    http-request set-header X-SSL-Client-DN %{+Q}[ssl_c_s_dn]"
	echo "    http-request set-header X-SSL-Client-CN %{+Q}[ssl_c_s_dn(cn)]"
	echo "    http-request set-header X-SSL-Issuer %{+Q}[ssl_c_i_dn]"
	echo "    http-request set-header X-SSL-Client-SHA1 %{+Q}[ssl_c_sha1,hex]"
	echo "    http-request set-header X-SSL-Client-Not-Before %{+Q}[ssl_c_notbefore]"
	echo "    http-request set-header X-SSL-Client-Not-After %{+Q}[ssl_c_notafter]"
	echo "    server s1 127.0.0.1:$B"
} >"$T/haproxy.cfg"
haproxy -c -f "$T/haproxy.cfg" >"$T/haproxy-check.log" 2>&1 ||
    fail "haproxy -c: $(cat "$T/haproxy-check.log")"
bg_run haproxy haproxy -db -f "$T/haproxy.cfg"
cp "$P/crl.pem" "$P/front-crl.pem"	# replaced for the reload test
bg_run front-opt "$LBTLS_FRONT" -l "127.0.0.1:$LB_OPT" -c "$P/srv.full" -a OPTIONAL \
    -A "$P/ca.pem" -C "$P/front-crl.pem" -b "127.0.0.1:$B"
FRONT_OPT=$BG_PID
bg_run front-req "$LBTLS_FRONT" -l "127.0.0.1:$LB_REQ" -c "$P/srv.full" -a MANDATORY \
    -A "$P/ca.pem" -C "$P/crl.pem" -b "127.0.0.1:$B"
for port in "$HA_OPT" "$HA_REQ" "$LB_OPT" "$LB_REQ"; do
	wait_port "$port" 5 || fail "nothing listens on $port: $(cat "$T"/haproxy.log "$T"/front-*.log)"
done

# fetch PORT CERT OUT: GET /echo through PORT presenting CERT (none: nothing);
# OUT gets the X-SSL-* lines, names in lower case. Returns curl's status.
fetch() {
	local port=$1 cert=$2 out=$3 args=() rc=0

	[ "$cert" = none ] || args=(--cert "$P/$cert.pem" --key "$P/$cert.key")
	curl -sk --max-time 5 "${args[@]}" "https://127.0.0.1:$port/echo" >"$out.raw" || rc=$?
	grep -ai '^x-ssl-' "$out.raw" |
	    awk '{ i = index($0, ":"); printf "%s%s\n", tolower(substr($0, 1, i)), substr($0, i + 1) }' \
	    >"$out" || true
	return "$rc"
}

# same PORT_HA PORT_LB CERT: both accept with the same values, or both refuse
same() {
	local ha=0 lb=0

	fetch "$1" "$3" "$T/ha.$3" || ha=$?
	fetch "$2" "$3" "$T/lb.$3" || lb=$?
	if [ "$ha" -ne 0 ] || [ "$lb" -ne 0 ]; then
		[ "$ha" -ne 0 ] && [ "$lb" -ne 0 ] ||
		    fail "$3: HAProxy curl status $ha, lbproxy's $lb"
		note "$3: refused by both (curl $ha / $lb)"
		return 1
	fi
	[ "$(wc -l <"$T/ha.$3")" -eq 8 ] || fail "$3: HAProxy sent $(cat "$T/ha.$3.raw")"
	cmp -s "$T/ha.$3" "$T/lb.$3" ||
	    fail "$3: values differ: $(diff "$T/ha.$3" "$T/lb.$3" | cat -A)"
	note "$3: identical: $(tr '\n' '|' <"$T/lb.$3" | cat -v)"
	return 0
}

for cert in none valid gentime odd utf8; do
	same "$HA_OPT" "$LB_OPT" "$cert" || fail "$cert: refused with verify optional"
done
# spot checks of what both wrote, against the formats Octavia's users parse
assert_contains "$(cat "$T/lb.none")" "x-ssl-client-has-cert: 0"
assert_contains "$(cat "$T/lb.none")" "x-ssl-client-dn: "
assert_contains "$(cat "$T/lb.valid")" \
    "x-ssl-client-dn: /C=US/ST=CA/O=Example, Inc./OU=Eng/CN=client one/emailAddress=a@b.c"
assert_contains "$(cat "$T/lb.valid")" "x-ssl-client-not-after: 491231235959Z"
assert_contains "$(cat "$T/lb.gentime")" "x-ssl-client-not-after: 510101000000Z"
assert_contains "$(cat "$T/lb.odd")" "x-ssl-client-cn: a\"b%c"$'\t'"d%01e%7Ff"
sha=$(openssl x509 -in "$P/valid.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
assert_contains "$(cat "$T/lb.valid")" "x-ssl-client-sha1: $sha"
for cert in expired revoked wrong; do
	! same "$HA_OPT" "$LB_OPT" "$cert" || fail "$cert: accepted with verify optional"
done
assert_contains "$(cat "$T/front-opt.log")" "certificate verify failed: certificate has expired"
assert_contains "$(cat "$T/front-opt.log")" "certificate verify failed: certificate revoked"

# MANDATORY: the good one passes with the same values, the rest is refused
same "$HA_REQ" "$LB_REQ" valid || fail "valid: refused with MANDATORY"
for cert in none wrong revoked expired; do
	! same "$HA_REQ" "$LB_REQ" "$cert" || fail "$cert: accepted with MANDATORY"
	[ ! -s "$T/lb.$cert.raw" ] || fail "$cert: lbproxy's side answered $(cat "$T/lb.$cert.raw")"
done
assert_contains "$(cat "$T/front-req.log")" "peer did not return a certificate"
assert_contains "$(cat "$T/front-req.log")" \
    "certificate verify failed: unable to get local issuer certificate"
assert_contains "$(cat "$T/front-req.log")" "certificate verify failed: certificate revoked"
# the backend saw only the requests that passed: 5 + 1 on each side, and this one
assert_eq 13 "$(curl -s --max-time 5 "http://127.0.0.1:$B/stats" |
    awk '$1 == "requests" { print $2 }')" "requests the backend saw"

# --- the reload path -------------------------------------------------------------

# resume new|again: one request as "valid" with openssl s_client, a new
# session saved in $T/sess.pem, or that one resumed; prints New or Reused
# (nothing if refused).
resume() {
	local sess=(-sess_out "$T/sess.pem") out

	[ "$1" = new ] || sess=(-sess_in "$T/sess.pem")
	out=$(printf 'GET /echo HTTP/1.1\r\nHost: t\r\n\r\n' |
	    timeout 10 openssl s_client -connect "127.0.0.1:$LB_OPT" -ign_eof \
	    -cert "$P/valid.pem" -key "$P/valid.key" "${sess[@]}" 2>&1) || true
	case "$out" in
	*"HTTP/1.1 200"*) ;;
	*) return 0 ;;
	esac
	grep -oE '^(New|Reused),' <<<"$out" | head -n 1 | tr -d ,
}

reloads_at_least() {
	[ "$(grep -c '^reloaded' "$T/front-opt.log")" -ge "$1" ]
}

# reload_front N: SIGHUP, wait for the Nth "reloaded"
reload_front() {
	kill -HUP "$FRONT_OPT"
	wait_until 5 reloads_at_least "$1" ||
	    fail "lbtls-front did not reload: $(tail -n 3 "$T/front-opt.log")"
}

assert_eq New "$(resume new)" "first connection"
assert_eq Reused "$(resume again)" "second connection"
reload_front 1	# same files: sessions stay good
assert_eq Reused "$(resume again)" "after a reload with the same CRL"
pki_revoke ca valid
pki_crl ca "$P/front-crl.pem"
reload_front 2	# the CRL now revokes "valid": its session must not bring it back
assert_eq "" "$(resume again)" "after a reload with a CRL revoking the client"
assert_eq "handshake failed: TLS handshake failed: certificate verify failed: certificate revoked" \
    "$(tail -n 1 "$T/front-opt.log")" "the refused resumption"
exit 0
