#!/bin/bash
# t_tls_client_cert_haproxy: client certificates at a terminating listener
# (SPEC 11 "Client certificates", issue 12) compared byte for byte with
# HAProxy 2.6 running Octavia's template lines:
#
#   bind ... ssl crt ... ca-file CA verify optional|required crl-file CRL
#   http-request set-header X-SSL-Client-Verify %[ssl_c_verify]   (and the other seven)
#
# lbproxy's side is tests/tools/lbtls-front (lbproxy's TLS modules:
# lb_tls_server_new, lb_tls_server_set_client_auth, lb_tls_cert_values):
# the modules against the widest set of certificates, while
# t_tls_client_auth.sh compares lbproxy's own listeners with HAProxy on
# fewer. Both forward to lbtest-backend's /echo, and
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
need_cmd openssl curl timeout
. "$TOP_SRCDIR/tests/e2e/pki.sh"
. "$TOP_SRCDIR/tests/e2e/xssl.sh"
xssl_need_haproxy
LBTLS_FRONT=${LBTLS_FRONT:-./tests/tools/lbtls-front}
[ -x "$LBTLS_FRONT" ] || fail "LBTLS_FRONT ($LBTLS_FRONT) is not built (make check builds it)"

# --- a CA, certificates, a CRL (pki.sh: openssl ca keeps the revocation database) -----

P=$PKI
xssl_pki

# --- HAProxy and lbtls-front, OPTIONAL and MANDATORY ---------------------------

start_backend b 0 http
B=$BACKEND_PORT
HA_OPT=$(free_port)
HA_REQ=$(free_port)
LB_OPT=$(free_port)
LB_REQ=$(free_port)
xssl_haproxy "$HA_OPT" "$HA_REQ" "$P/crl.pem" "$B" >"$T/haproxy.cfg"
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

for cert in none valid gentime odd utf8; do
	xssl_same "$HA_OPT" "$LB_OPT" "$cert" || fail "$cert: refused with verify optional"
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
	! xssl_same "$HA_OPT" "$LB_OPT" "$cert" || fail "$cert: accepted with verify optional"
done
assert_contains "$(cat "$T/front-opt.log")" "certificate verify failed: certificate has expired"
assert_contains "$(cat "$T/front-opt.log")" "certificate verify failed: certificate revoked"

# MANDATORY: the good one passes with the same values, the rest is refused
xssl_same "$HA_REQ" "$LB_REQ" valid || fail "valid: refused with MANDATORY"
for cert in none wrong revoked expired; do
	! xssl_same "$HA_REQ" "$LB_REQ" "$cert" || fail "$cert: accepted with MANDATORY"
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

reloads_at_least() {
	[ "$(grep -c '^reloaded' "$T/front-opt.log")" -ge "$1" ]
}

# reload_front N: SIGHUP, wait for the Nth "reloaded"
reload_front() {
	kill -HUP "$FRONT_OPT"
	wait_until 5 reloads_at_least "$1" ||
	    fail "lbtls-front did not reload: $(tail -n 3 "$T/front-opt.log")"
}

assert_eq New "$(xssl_resume "$LB_OPT" new)" "first connection"
assert_eq Reused "$(xssl_resume "$LB_OPT" again)" "second connection"
reload_front 1	# same files: sessions stay good
assert_eq Reused "$(xssl_resume "$LB_OPT" again)" "after a reload with the same CRL"
pki_revoke ca valid
pki_crl ca "$P/front-crl.pem"
reload_front 2	# the CRL now revokes "valid": its session must not bring it back
assert_eq "" "$(xssl_resume "$LB_OPT" again)" "after a reload with a CRL revoking the client"
assert_eq "handshake failed: TLS handshake failed: certificate verify failed: certificate revoked" \
    "$(tail -n 1 "$T/front-opt.log")" "the refused resumption"
exit 0
