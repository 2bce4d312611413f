# xssl.sh: the X-SSL-* client certificate headers of Octavia's HAProxy
# template, as HAProxy 2.6 sends them and as lbproxy's side does, for the
# client certificate tests. Source it after pki.sh (it uses $PKI).
#
#   xssl_need_haproxy	skip unless haproxy is HAProxy 2.6
#   xssl_pki		CA "ca" (/C=US/O=Test CA/CN=Test Root) and its
#			pki_client_set (crl.pem revokes "revoked"); CA "ca2"
#			(/CN=Other Root), which issues "wrong" and the servers'
#			certificate "srv" (CN localhost)
#   xssl_haproxy OPT REQ CRL BACKEND
#		print an HAProxy configuration: frontends on 127.0.0.1:OPT
#		(verify optional) and 127.0.0.1:REQ (verify required) with
#		$PKI/srv.full, CA $PKI/ca.pem and CRL, to 127.0.0.1:BACKEND
#		with Octavia's eight set-header lines
#   xssl_fetch PORT CERT OUT [CURL-ARGS...]
#		GET /echo (lbtest-backend) over https://127.0.0.1:PORT
#		presenting $PKI/CERT.pem (none: no certificate); OUT gets the
#		X-SSL-* lines, names in lower case (as HAProxy writes them),
#		OUT.raw the whole body. Returns curl's status.
#   xssl_same HA_PORT LB_PORT CERT
#		both sides accept CERT and send the same eight lines ($T/ha.CERT,
#		$T/lb.CERT; returns 0), or both refuse it (returns 1); fails
#		the test otherwise
#   xssl_resume PORT new|again
#		one request to 127.0.0.1:PORT as $PKI/valid.pem with openssl
#		s_client, saving a new session in $T/sess.pem or offering that
#		one; prints New or Reused (nothing if refused)

xssl_need_haproxy() {
	need_cmd haproxy
	haproxy -v 2>/dev/null | grep -q "version 2\.6\." ||
	    skip "needs HAProxy 2.6 ($(haproxy -v 2>&1 | head -n 1))"
}

xssl_pki() {
	pki_ca ca "/C=US/O=Test CA/CN=Test Root"
	pki_ca ca2 "/CN=Other Root"
	pki_issue ca2 srv "/CN=localhost"
	pki_client_set ca ca2
}

xssl_haproxy() {
	echo "defaults"
	echo "    mode http"
	echo "    timeout connect 5s"
	echo "    timeout client 5s"
	echo "    timeout server 5s"
	echo "frontend opt"
	echo "    bind 127.0.0.1:$1 ssl crt $PKI/srv.full ca-file $PKI/ca.pem verify optional crl-file $3"
	echo "    default_backend be"
	echo "frontend req"
	echo "    bind 127.0.0.1:$2 ssl crt $PKI/srv.full ca-file $PKI/ca.pem verify required crl-file $3"
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
	echo "    server s1 127.0.0.1:$4"
}

xssl_fetch() {
	local port=$1 cert=$2 out=$3 args=() rc=0

	shift 3
	[ "$cert" = none ] || args=(--cert "$PKI/$cert.pem" --key "$PKI/$cert.key")
	curl -sk --max-time 5 "${args[@]}" "$@" "https://127.0.0.1:$port/echo" >"$out.raw" || rc=$?
	grep -ai '^x-ssl-' "$out.raw" |
	    awk '{ i = index($0, ":"); printf "%s%s\n", tolower(substr($0, 1, i)), substr($0, i + 1) }' \
	    >"$out" || true
	return "$rc"
}

xssl_same() {
	local ha=0 lb=0

	xssl_fetch "$1" "$3" "$T/ha.$3" || ha=$?
	xssl_fetch "$2" "$3" "$T/lb.$3" || lb=$?
	if [ "$ha" -ne 0 ] || [ "$lb" -ne 0 ]; then
		[ "$ha" -ne 0 ] && [ "$lb" -ne 0 ] ||
		    fail "$3: HAProxy curl status $ha, lbproxy's $lb ($(head -c 300 "$T/lb.$3.raw"))"
		note "$3: refused by both (curl $ha / $lb)"
		return 1
	fi
	[ "$(wc -l <"$T/ha.$3")" -eq 8 ] || fail "$3: HAProxy sent $(cat "$T/ha.$3.raw")"
	cmp -s "$T/ha.$3" "$T/lb.$3" ||
	    fail "$3: values differ (< HAProxy, > lbproxy): $(diff "$T/ha.$3" "$T/lb.$3" | cat -A)"
	note "$3: identical: $(tr '\n' '|' <"$T/lb.$3" | cat -v)"
	return 0
}

xssl_resume() {
	local sess=(-sess_out "$T/sess.pem") out

	[ "$2" = new ] || sess=(-sess_in "$T/sess.pem")
	out=$(printf 'GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
	    timeout 10 openssl s_client -connect "127.0.0.1:$1" -ign_eof \
	    -cert "$PKI/valid.pem" -key "$PKI/valid.key" "${sess[@]}" 2>&1) || true
	case "$out" in
	*"HTTP/1.1 200"*) ;;
	*) return 0 ;;
	esac
	grep -oE '^(New|Reused),' <<<"$out" | head -n 1 | tr -d ,
}
