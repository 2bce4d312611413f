#!/bin/bash
# t_tls_members: re-encryption to members (SPEC 11 "Re-encryption", issue
# 12) in a real lbproxy read from an Octavia file, against real TLS members:
# nginx (three server blocks: a certificate of the pool's CA, a revoked one,
# one of another CA) and `openssl s_server -www` asking for a client
# certificate.
#
# - A TERMINATED_HTTPS listener to a pool with tls_enabled, ca_file,
#   crl_file, certificate_file and alpn_protocols: the member sees TLS 1.3,
#   lbproxy's client certificate, ALPN http/1.1 and the request's Host as SNI;
#   a Host the member's certificate does not name is refused (the
#   certificate must match the SNI when verifying); new member connections
#   resume the member's session.
# - ca_file of another CA, and crl_file revoking the member's certificate:
#   the HTTPS check fails with L6RSP (show stat check_status and the log),
#   requests are refused, and the member never sees a request, in plain text
#   or otherwise.
# - No ca_file: encrypt only, the same member works.
# - HTTPS checks use the pool's context: s_server that requires a client
#   certificate is UP for the pool that has one and DOWN (L6RSP) for the
#   pool that has none; nginx sees the check present lbproxy's certificate.
# - A verified session and a verified idle connection are not reused for a
#   Host the member's certificate does not name.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd openssl curl nginx python3 timeout
. "$TOP_SRCDIR/tests/e2e/pki.sh"

# --- certificates -------------------------------------------------------------

pki_ca mca "/CN=Member CA"
pki_ca rogue "/CN=Rogue CA"
pki_ca lbca "/CN=LB Client CA"
pki_issue mca good "/CN=member.test" -a "DNS:member.test"
pki_issue mca revoked "/CN=member.test" -a "DNS:member.test"
pki_revoke mca revoked
pki_crl mca "$PKI/mca.crl"
pki_issue rogue bad "/CN=member.test" -a "DNS:member.test"
pki_issue lbca lbclient "/CN=lbproxy-client"
pki_issue lbca vip "/CN=vip.test" -a "DNS:vip.test"

# --- members ----------------------------------------------------------------------

# nginx: one process, three TLS server blocks, each with its own access log
# line "REUSED PROTOCOL sni=SNI alpn=ALPN client=DN \"REQUEST\"".
pG=$(free_port)		# certificate of the Member CA
pV=$(free_port)		# certificate of the Member CA, revoked
pR=$(free_port)		# certificate of the Rogue CA, for the encrypt-only pool
pX=$(free_port)		# the same, for the verifying pools: must stay silent
N=$T/nginx
mkdir -p "$N"
# server_block PORT NAME CERT
server_block() {
	cat <<EOF
    server {
        listen 127.0.0.1:$1 ssl;
        ssl_certificate $PKI/$3.pem;
        ssl_certificate_key $PKI/$3.key;
        ssl_client_certificate $PKI/lbca.pem;
        ssl_verify_client optional;
        access_log $T/nginx-$2.access m;
        location / {
            return 200 "member=$2 reused=\$ssl_session_reused proto=\$ssl_protocol sni=\$ssl_server_name alpn=\$ssl_alpn_protocol client=\$ssl_client_s_dn\n";
        }
    }
EOF
}
{
	cat <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $N/nginx.pid;
error_log $T/nginx.log info;
events { worker_connections 256; }
http {
    client_body_temp_path $N/body;
    proxy_temp_path $N/proxy;
    fastcgi_temp_path $N/fastcgi;
    uwsgi_temp_path $N/uwsgi;
    scgi_temp_path $N/scgi;
    log_format m '\$ssl_session_reused \$ssl_protocol sni=\$ssl_server_name alpn=\$ssl_alpn_protocol client=\$ssl_client_s_dn "\$request"';
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:S:1m;
    keepalive_requests 10000;
EOF
	server_block "$pG" good good
	server_block "$pV" revoked revoked
	server_block "$pR" rogue bad
	server_block "$pX" silent bad
	echo "}"
} >"$N/nginx.conf"
: >"$T/nginx-silent.access"
bg_run nginx nginx -p "$N" -c "$N/nginx.conf" -e "$T/nginx.log"
for p in "$pG" "$pV" "$pR" "$pX"; do
	wait_port "$p" 5 || fail "nginx does not listen on $p: $(tail -n 5 "$T/nginx.log")"
done

# s_server: serves its status page (which says New or Reused) to clients
# with a certificate of the LB Client CA only.
pS=$(free_port)
bg_run s_server openssl s_server -accept "127.0.0.1:$pS" -cert "$PKI/good.pem" \
    -key "$PKI/good.key" -Verify 1 -CAfile "$PKI/lbca.pem" -www
wait_port "$pS" 5 || fail "s_server did not start: $(cat "$T/s_server.log")"

# --- lbproxy ----------------------------------------------------------------------

vT=$(free_port); vV=$(free_port); vX=$(free_port); vX2=$(free_port)
vE=$(free_port); vS=$(free_port); vS2=$(free_port)
# hm: an HTTPS monitor every second, DOWN after two failures
hm='"healthmonitor": {"type": "HTTPS", "delay": 1, "timeout": 1, "max_retries": 1,
    "max_retries_down": 2, "url_path": "/check", "expected_codes": "200"}'
# pool ID PORT TLS [HM]: a pool of one member 127.0.0.1:PORT with tls_enabled
pool() {
	echo "{\"id\": \"$1\", \"protocol\": \"HTTP\", \"lb_algorithm\": \"ROUND_ROBIN\",
	  \"tls_enabled\": true, \"tls\": {$3}${4:+, $4},
	  \"members\": [{\"id\": \"m-$1\", \"address\": \"127.0.0.1\", \"protocol_port\": $2}]}"
}
# listener ID PROTOCOL PORT POOL
listener() {
	echo "{\"id\": \"$1\", \"protocol\": \"$2\", \"protocol_port\": $3, \"default_pool_id\": \"$4\"${5:-}}"
}
ca="\"ca_file\": \"$PKI/mca.pem\""
crl="\"crl_file\": \"$PKI/mca.crl\""
cert="\"certificate_file\": \"$PKI/lbclient.full\""
cat >"$T/lb.json" <<EOF
{"loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1",
  "listeners": [
    $(listener tls TERMINATED_HTTPS "$vT" verified ",
      \"tls\": {\"certificate_file\": \"$PKI/vip.full\"}"),
    $(listener revk HTTP "$vV" crl),
    $(listener rogue HTTP "$vX" rogue),
    $(listener rogue2 HTTP "$vX2" rogue_nohm),
    $(listener enc HTTP "$vE" encrypt),
    $(listener ss HTTP "$vS" ss),
    $(listener ssnc HTTP "$vS2" ss_nocert)],
  "pools": [
    $(pool verified "$pG" "$ca, $crl, $cert" "\"alpn_protocols\": [\"http/1.1\"], $hm"),
    $(pool crl "$pV" "$ca, $crl" "$hm"),
    $(pool rogue "$pX" "$ca" "$hm"),
    $(pool rogue_nohm "$pX" "$ca"),
    $(pool encrypt "$pR" "" "$hm"),
    $(pool ss "$pS" "$ca, $cert" "$hm"),
    $(pool ss_nocert "$pS" "$ca" "$hm")]},
 "lbproxy": {"stats_socket": "$T/sock", "retries": 1,
             "timeouts_ms": {"connect": 2000, "server": 3000}}}
EOF
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/lb.json" ||
    fail "lb.json is not valid JSON"
out=$("$LBPROXY" -t -c "$T/lb.json" 2>&1) || fail "-t refuses the configuration: $out"
# one worker: one session cache, so resumption is deterministic
LB_WAIT_PORT=$vT start_lbproxy "$T/lb.json" -w 1 -v
for p in "$vV" "$vX" "$vX2" "$vE" "$vS" "$vS2"; do
	wait_port "$p" 5 || fail "lbproxy does not listen on $p"
done

# stat POOL MEMBER FIELD: a field of the member's "show stat" row
stat() {
	stats_cmd "show stat" 2>/dev/null | awk -F, -v px="$1" -v m="$2" -v f="$3" '
	    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
	    $1 == px && $2 == m { print $(col[f]); exit }'
}

log_has() {
	grep -qF -- "$1" "$T/lbproxy.log"
}

# get VIP [CURL-ARGS...]: the body through listener VIP (http), or nothing
get() {
	local port=$1

	shift
	curl -s --max-time 8 "$@" "http://127.0.0.1:$port/" || true
}

# --- HTTPS checks: UP with the pool's context, DOWN with L6RSP ----------------------

# chk_is POOL:LISTENER MEMBER STATUS CHECK_STATUS
chk_is() {
	[ "$(stat "$1" "$2" status)" = "$3" ] && [ "$(stat "$1" "$2" check_status)" = "$4" ]
}
for ps in "verified:tls m-verified UP L7OK" "encrypt:enc m-encrypt UP L7OK" \
    "ss:ss m-ss UP L7OK" "crl:revk m-crl DOWN L6RSP" "rogue:rogue m-rogue DOWN L6RSP" \
    "ss_nocert:ssnc m-ss_nocert DOWN L6RSP"; do
	read -r px m want chk <<<"$ps"
	wait_until 15 chk_is "$px" "$m" "$want" "$chk" ||
	    fail "$m is $(stat "$px" "$m" status) ($(stat "$px" "$m" check_status):" \
	    "$(stat "$px" "$m" last_chk)), expected $want ($chk)"
	note "$m: $want, $chk, $(stat "$px" "$m" last_chk)"
done
log_has "member m-rogue (127.0.0.1:$pX) CHECKING -> DOWN:" ||
    fail "m-rogue's verdict not logged"
grep -F "member m-rogue (127.0.0.1:$pX)" "$T/lbproxy.log" | grep -q "certificate verify failed" ||
    fail "m-rogue: the log does not say the certificate failed verification"
grep -F "member m-crl (127.0.0.1:$pV)" "$T/lbproxy.log" | grep -q "certificate revoked" ||
    fail "m-crl: the log does not say the certificate is revoked"
# checks through the pool's context present lbproxy's client certificate
wait_until 5 grep -q '"GET /check HTTP/1\.[01]"' "$T/nginx-good.access" ||
    fail "no HTTPS check reached nginx"
chk=$(grep '"GET /check HTTP/1\.[01]"' "$T/nginx-good.access" | tail -n 1)
assert_contains "$chk" "TLSv1.3" "the check over TLS 1.3"
assert_contains "$chk" "client=CN=lbproxy-client" "the check presents the pool's certificate"
note "check as nginx saw it: $chk"
# checks resume their session too
wait_until 5 grep -q '^r .*"GET /check ' "$T/nginx-good.access" ||
    fail "HTTPS checks never resumed: $(cat "$T/nginx-good.access")"

# --- a verified member: SNI, ALPN, client certificate, resumption -------------------

# hostname refused first, while no session of the member is cached
code=$(curl -sk --max-time 8 -o /dev/null -w '%{http_code}' -H 'Host: other.test' \
    "https://127.0.0.1:$vT/")
assert_ne 200 "$code" "Host other.test: the member's certificate does not name it"

body=$(curl -sk --max-time 8 -H 'Host: member.test' "https://127.0.0.1:$vT/") || true
assert_contains "$body" "member=good reused=. proto=TLSv1.3 sni=member.test alpn=http/1.1 client=CN=lbproxy-client" \
    "first request to the verified member"
reused=0
for i in 1 2 3 4 5; do
	body=$(curl -sk --max-time 8 -H 'Host: member.test' "https://127.0.0.1:$vT/") || true
	assert_contains "$body" "member=good" "request $i to the verified member"
	case "$body" in *"reused=r "*) reused=$((reused + 1)) ;; esac
done
assert_eq 5 "$reused" "new member connections resumed (safe: one per new client)"
# an IP literal is no SNI: nothing to match, the chain is still verified
body=$(curl -sk --max-time 8 "https://127.0.0.1:$vT/") || true
assert_contains "$body" "member=good" "Host 127.0.0.1"
assert_contains "$body" "sni= " "no SNI for an address"

# --- verification failures: refused, nothing reaches the member ------------------------

for v in "$vX2" "$vX" "$vV"; do
	for i in 1 2 3; do
		code=$(curl -s --max-time 8 -o /dev/null -w '%{http_code}' -H 'Host: member.test' \
		    "http://127.0.0.1:$v/")
		assert_between "$code" 500 599 "request $i through port $v (member fails verification)"
	done
done
assert_eq 0 "$(count_lines "" "$T/nginx-silent.access")" \
    "requests reached the member that failed verification: $(cat "$T/nginx-silent.access")"
assert_eq 0 "$(count_lines '"GET' "$T/nginx-revoked.access")" \
    "requests reached the revoked member: $(cat "$T/nginx-revoked.access")"
grep -q "plain HTTP request was sent to HTTPS port" "$T/nginx.log" &&
    fail "lbproxy sent plain HTTP to a TLS member"
grep -q "SSL_do_handshake() failed" "$T/nginx.log" ||
    fail "nginx saw no failed handshake from lbproxy"

# --- encrypt only ------------------------------------------------------------------------

body=$(get "$vE" -H 'Host: member.test')
assert_contains "$body" "member=rogue reused=" "encrypt-only pool, another CA's certificate"
assert_contains "$body" "proto=TLSv1.3 sni=member.test" "encrypt-only: TLS and SNI"
assert_match "$body" "client=$" "no client certificate when the pool has none"
body=$(get "$vE" -H 'Host: anything.test')
assert_contains "$body" "member=rogue" "encrypt-only: any Host"

# --- s_server: the client certificate of the pool, resumption --------------------------

body=$(get "$vS")
assert_contains "$body" "s_server" "s_server's page through the pool with a certificate"
body=$(get "$vS")
assert_match "$body" "^Reused, TLSv1\.3" "s_server: the second connection resumed"
code=$(curl -s --max-time 8 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$vS2/")
assert_between "$code" 500 599 "the pool without a certificate"

# --- verified sessions and connections are for their SNI only ------------------------------

# A new client (safe: a new member connection) with a Host the certificate
# does not name: the session saved under member.test must not be resumed
# for it, or no certificate would be checked against other.test.
code=$(curl -sk --max-time 8 -o "$T/other.body" -w '%{http_code}' -H 'Host: other.test' \
    "https://127.0.0.1:$vT/")
assert_ne 200 "$code" "Host other.test over a session resumed from member.test ($(cat "$T/other.body"))"
# A keep-alive client: its idle member connection, verified for
# member.test, must not carry a request for other.test.
http_py "$vT" >"$T/ka.out" <<'PY' || fail "keep-alive client: $(cat "$T/ka.out")"
from hlib import *
import ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = Conn()
c.s = ctx.wrap_socket(c.s)
c.send(request("/a", host="member.test"))
r = c.response()
check(r.status == 200 and b"member=good" in r.body, "first: %d %r" % (r.status, r.body))
c.send(request("/b", host="other.test"))
try:
    r = c.response()
    print(r.status, r.body.decode("latin-1").strip())
except (EOFError, OSError) as e:
    print("closed", e)
PY
out=$(cat "$T/ka.out")
note "keep-alive client, Host other.test after member.test: $out"
assert_not_contains "$out" "member=good" \
    "Host other.test over a member connection verified for member.test"

# --- the log says why a member connection failed ---------------------------------------

# (the checks' verdicts are above; these are requests' own connections)
reqlog=$(grep -F " listener=" "$T/lbproxy.log")
assert_contains "$reqlog" "certificate verify failed: hostname mismatch" \
    "why the request for Host other.test found no member"
assert_contains "$reqlog" "certificate verify failed: unable to get local issuer certificate" \
    "why the requests to m-rogue_nohm found no member"

stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"
if grep -q 'AddressSanitizer\|runtime error:\|LeakSanitizer' "$T/lbproxy.log"; then
	fail "sanitizer report in lbproxy.log"
fi
exit 0
