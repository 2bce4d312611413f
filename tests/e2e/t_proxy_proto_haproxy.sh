#!/bin/bash
# t_proxy_proto_haproxy: lbproxy's PROXY protocol module (src/proxy_proto.c)
# against HAProxy 2.6 as a real peer, both ways (issue 12).
#
# 1. HAProxy sends (send-proxy, send-proxy-v2, proxy-v2-options crc32c,
#    send-proxy-v2-ssl-cn with authority and the SSL sub-TLVs, from a TLS
#    frontend with a client certificate) to lbtest-backend --proxy, which
#    parses with lb_proxy_proto_parse: the addresses and TLVs it reports are
#    the client's, HAProxy's health checks arrive with v2 LOCAL (v1: the
#    check connection's own addresses) and still pass, and the bytes HAProxy sent equal what lbproxy's writer
#    builds for the same connection (lbtest-ppsend -p).
# 2. lbtest-ppsend sends headers built by lb_proxy_proto_v1_build /
#    _v2_build / _v2_local to an HAProxy frontend with accept-proxy: HAProxy
#    takes them (IPv4, IPv6, mixed families, TLVs, CRC32C, LOCAL) and reports
#    the addresses they carry; a header with a bad CRC32C is refused.
# 3. lbproxy itself, a TERMINATED_HTTPS listener (client certificate
#    OPTIONAL) in front of a PROXYV2 pool: the header it sends equals
#    HAProxy's for the same certificate (client bits 7, CN, algorithms),
#    5 on a resumed session, 1 and no certificate sub-TLVs without one.
# Skips without haproxy 2.6, curl or openssl.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd haproxy curl openssl
haproxy -v 2>/dev/null | grep -q "version 2\.6\." || skip "needs HAProxy 2.6 ($(haproxy -v 2>&1 | head -n 1))"
PPSEND=${LBTEST_PPSEND:-$(dirname "$LBTEST_BACKEND")/lbtest-ppsend}
[ -x "$PPSEND" ] || fail "no $PPSEND"
have6=
if nsrun bash -c 'exec 3<>/dev/tcp/::1/1' 2>&1 | grep -q refused; then
	have6=1
fi

# --- TLS material: a CA, the VIP's certificate, a client certificate ---------
ossl() {
	openssl "$@" >>"$T/openssl.log" 2>&1 || fail "openssl $1 failed"
}
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
    -keyout "$T/ca.key" -out "$T/ca.pem"
ossl req -newkey rsa:2048 -nodes -subj /CN=vip.example -keyout "$T/vip.key" -out "$T/vip.csr"
ossl x509 -req -in "$T/vip.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
    -days 2 -out "$T/vip.pem"
cat "$T/vip.pem" "$T/vip.key" >"$T/vip-full.pem"
ossl req -newkey rsa:2048 -nodes -subj /CN=client1 -keyout "$T/client.key" -out "$T/client.csr"
ossl x509 -req -in "$T/client.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
    -days 2 -out "$T/client.pem"

# --- part 1: HAProxy sends, lbtest-backend --proxy parses ----------------------
for b in v1 v2 v2c ssl; do
	start_backend "$b" 0 http --proxy
	eval "port_$b=\$BACKEND_PORT"
done
fe=$(free_port)
fetls=$(free_port)
fein=$(free_port)
bind6() {
	[ -z "$have6" ] || printf '    bind [::1]:%s%s\n' "$1" "${2:-}"
}
{
	printf 'global\n    stats socket %s mode 600 level admin\n' "$T/ha.sock"
	printf 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n'
	printf 'frontend plain\n    bind 127.0.0.1:%s\n' "$fe"
	bind6 "$fe"
	printf '    use_backend v1 if { path_beg /v1 }\n    use_backend v2c if { path_beg /v2c }\n'
	printf '    default_backend v2\n'
	printf 'frontend tls\n    bind 127.0.0.1:%s ssl crt %s ca-file %s verify optional alpn http/1.1\n' \
	    "$fetls" "$T/vip-full.pem" "$T/ca.pem"
	printf '    default_backend ssl\n'
	# TCP checks (v1: "PROXY UNKNOWN"), HTTP checks (v2: LOCAL, then GET /health)
	printf 'backend v1\n    server s 127.0.0.1:%s send-proxy check inter 300ms\n' "$port_v1"
	printf 'backend v2\n    option httpchk GET /health\n'
	printf '    server s 127.0.0.1:%s send-proxy-v2 check inter 300ms\n' "$port_v2"
	printf 'backend v2c\n    server s 127.0.0.1:%s send-proxy-v2 proxy-v2-options crc32c\n' "$port_v2c"
	printf 'backend ssl\n    server s 127.0.0.1:%s send-proxy-v2-ssl-cn proxy-v2-options authority,ssl-cipher,cert-sig,cert-key\n' \
	    "$port_ssl"
	# part 2: HAProxy receives
	printf 'frontend in\n    bind 127.0.0.1:%s accept-proxy\n' "$fein"
	bind6 "$fein" " accept-proxy"
	printf '    http-request return status 200 content-type text/plain lf-string "src=%%[src] sport=%%[src_port] dst=%%[dst] dport=%%[dst_port] authority=%%[fc_pp_authority]\\n"\n'
} >"$T/haproxy.cfg"
haproxy -c -f "$T/haproxy.cfg" >"$T/haproxy-check.log" 2>&1 || fail "haproxy -c: $(cat "$T/haproxy-check.log")"
bg_run haproxy haproxy -db -f "$T/haproxy.cfg"
wait_port "$fein" 5 || fail "haproxy did not start"

# curl through HAProxy: the response head, then "lport=N" (curl's own port)
via() {
	curl -s --max-time 5 -D - -o /dev/null -w 'lport=%{local_port}\n' "$@" | tr -d '\r'
}
hdr() {
	sed -n "s/^$1: //Ip" <<<"$2"	# HAProxy lowercases names
}
lport() {
	sed -n 's/^lport=//p' <<<"$1"
}
# the hex of the header lbtest-backend NAME logged for the connection from :PORT
logged_hdr() {
	grep "PROXY v.* $2 -> .* hdr " "$T/backend-$1.log" | tail -n 1 | sed 's/.* hdr //'
}

note "send-proxy (v1) over IPv4"
r=$(via "http://127.0.0.1:$fe/v1")
p=$(lport "$r")
assert_eq "1" "$(hdr X-Proxy-Version "$r")" "v1 version"
assert_eq "127.0.0.1:$p" "$(hdr X-Proxy-Src "$r")" "v1 source is the client"
assert_eq "127.0.0.1:$fe" "$(hdr X-Proxy-Dst "$r")" "v1 destination is HAProxy's VIP"
want=$(printf 'PROXY TCP4 127.0.0.1 127.0.0.1 %s %s\r\n' "$p" "$fe" | od -An -tx1 | tr -d ' \n')
assert_eq "$want" "$(logged_hdr v1 "127.0.0.1:$p")" "HAProxy's v1 line"
assert_eq "$want" "$("$PPSEND" -p -1 -s "127.0.0.1:$p" -d "127.0.0.1:$fe")" \
    "lbproxy's v1 line equals HAProxy's"

note "send-proxy-v2 over IPv4: bytes equal to lbproxy's writer"
r=$(via "http://127.0.0.1:$fe/v2")
p=$(lport "$r")
assert_eq "2" "$(hdr X-Proxy-Version "$r")"
assert_eq "127.0.0.1:$p" "$(hdr X-Proxy-Src "$r")" "v2 source is the client"
assert_eq "127.0.0.1:$fe" "$(hdr X-Proxy-Dst "$r")"
assert_eq "$("$PPSEND" -p -2 -s "127.0.0.1:$p" -d "127.0.0.1:$fe")" \
    "$(logged_hdr v2 "127.0.0.1:$p")" "lbproxy's v2 header equals HAProxy's"

note "proxy-v2-options crc32c: the checksum HAProxy computed matches ours"
r=$(via "http://127.0.0.1:$fe/v2c")
p=$(lport "$r")
assert_eq "ok" "$(hdr X-Proxy-Crc32c "$r")" "CRC32C verified"
assert_eq "127.0.0.1:$p" "$(hdr X-Proxy-Src "$r")"
assert_eq "$("$PPSEND" -p -2 -C -s "127.0.0.1:$p" -d "127.0.0.1:$fe")" \
    "$(logged_hdr v2c "127.0.0.1:$p")" "lbproxy's CRC32C header equals HAProxy's"

if [ -n "$have6" ]; then
	note "IPv6 clients: TCP6 in both versions"
	r=$(via -g "http://[::1]:$fe/v1")
	p=$(lport "$r")
	assert_eq "[::1]:$p" "$(hdr X-Proxy-Src "$r")" "v1 IPv6 source"
	assert_eq "[::1]:$fe" "$(hdr X-Proxy-Dst "$r")"
	assert_eq "$("$PPSEND" -p -1 -s "[::1]:$p" -d "[::1]:$fe")" \
	    "$(logged_hdr v1 "\[::1\]:$p")" "lbproxy's v1 TCP6 line equals HAProxy's"
	r=$(via -g "http://[::1]:$fe/v2")
	p=$(lport "$r")
	assert_eq "[::1]:$p" "$(hdr X-Proxy-Src "$r")" "v2 IPv6 source"
	assert_eq "$("$PPSEND" -p -2 -s "[::1]:$p" -d "[::1]:$fe")" \
	    "$(logged_hdr v2 "\[::1\]:$p")" "lbproxy's v2 TCP6 header equals HAProxy's"
fi

note "send-proxy-v2-ssl-cn from a TLS frontend: ALPN, authority, SSL sub-TLVs"
r=$(via -k --http1.1 --resolve "vip.example:$fetls:127.0.0.1" --cert "$T/client.pem" \
    --key "$T/client.key" "https://vip.example:$fetls/")
p=$(lport "$r")
assert_eq "127.0.0.1:$p" "$(hdr X-Proxy-Src "$r")"
assert_eq "http/1.1" "$(hdr X-Proxy-Alpn "$r")" "ALPN TLV"
assert_eq "vip.example" "$(hdr X-Proxy-Authority "$r")" "authority TLV (SNI)"
ssl=$(hdr X-Proxy-Ssl "$r")
assert_match "$ssl" '^client=7 verify=0 version=TLSv1\.[23] cn=client1 cipher=[A-Z0-9_-]+ sig_alg=RSA-SHA256 key_alg=RSA2048$' \
    "SSL TLV (client bits, verify, version, CN, cipher, signature and key algorithms)"
got=$(logged_hdr ssl "127.0.0.1:$p")
ver=$(sed 's/.* version=\([^ ]*\).*/\1/' <<<"$ssl")
cipher=$(sed 's/.* cipher=\([^ ]*\).*/\1/' <<<"$ssl")
assert_eq "$("$PPSEND" -p -2 -s "127.0.0.1:$p" -d "127.0.0.1:$fetls" -a http/1.1 -A vip.example \
    -S 7:0 -V "$ver" -N client1 -K RSA2048 -G RSA-SHA256 -c "$cipher")" "$got" \
    "lbproxy's v2 header with the TLS TLVs equals HAProxy's"
note "HAProxy: $got"
r=$(via -k --http1.1 --resolve "vip.example:$fetls:127.0.0.1" "https://vip.example:$fetls/")
assert_match "$(hdr X-Proxy-Ssl "$r")" '^client=1 verify=0 version=TLSv1\.[23] cn= ' \
    "no client certificate: CERT bits clear, no CN"

note "lbproxy's own PROXYV2 pool behind a terminated listener: HAProxy's bytes"
# The same client certificate through a TERMINATED_HTTPS listener with
# client_authentication OPTIONAL: the header lbproxy sends is, byte for
# byte, the one HAProxy's send-proxy-v2-ssl-cn (authority, ssl-cipher,
# cert-sig, cert-key) sent above for its own connection.
start_backend lbssl 0 http --proxy
lbtls=$(free_port)
cat >"$T/lb.json" <<JSON
{"loadbalancer": {"id": "lb1", "vip_address": "127.0.0.1",
  "listeners": [{"id": "tls", "protocol": "TERMINATED_HTTPS", "protocol_port": $lbtls,
    "default_pool_id": "pv2", "alpn_protocols": ["http/1.1"],
    "client_authentication": "OPTIONAL",
    "tls": {"certificate_file": "$T/vip-full.pem", "client_ca_file": "$T/ca.pem"}}],
  "pools": [{"id": "pv2", "protocol": "PROXYV2", "lb_algorithm": "ROUND_ROBIN",
    "members": [{"address": "127.0.0.1", "protocol_port": $BACKEND_PORT}]}]},
 "lbproxy": {"stats_socket": "$T/sock"}}
JSON
LB_WAIT_PORT=$lbtls start_lbproxy "$T/lb.json"
r=$(via -k --http1.1 --resolve "vip.example:$lbtls:127.0.0.1" --cert "$T/client.pem" \
    --key "$T/client.key" "https://vip.example:$lbtls/")
p=$(lport "$r")
ssl=$(hdr X-Proxy-Ssl "$r")
assert_match "$ssl" '^client=7 verify=0 version=TLSv1\.[23] cn=client1 cipher=[A-Z0-9_-]+ sig_alg=RSA-SHA256 key_alg=RSA2048$' \
    "lbproxy's SSL TLV: client bits, verify, version, CN, cipher, algorithms"
ver=$(sed 's/.* version=\([^ ]*\).*/\1/' <<<"$ssl")
cipher=$(sed 's/.* cipher=\([^ ]*\).*/\1/' <<<"$ssl")
got=$(logged_hdr lbssl "127.0.0.1:$p")
assert_eq "$("$PPSEND" -p -2 -s "127.0.0.1:$p" -d "127.0.0.1:$lbtls" -a http/1.1 -A vip.example \
    -S 7:0 -V "$ver" -N client1 -K RSA2048 -G RSA-SHA256 -c "$cipher")" "$got" \
    "lbproxy's v2 header with the TLS TLVs is HAProxy's"
note "lbproxy: $got"
# a resumed session (curl's second connection offers the first one's):
# the certificate is the session's, not this connection's (CERT_SESS only)
r=$(curl -s --max-time 5 -k --http1.1 --resolve "vip.example:$lbtls:127.0.0.1" \
    --cert "$T/client.pem" --key "$T/client.key" -H "Connection: close" -D - -o /dev/null \
    "https://vip.example:$lbtls/a" -D - -o /dev/null "https://vip.example:$lbtls/b" | tr -d '\r')
assert_eq 2 "$(grep -ci '^X-Proxy-Ssl: client=' <<<"$r")" "two connections answered"
assert_match "$(grep -i '^X-Proxy-Ssl: ' <<<"$r" | tail -n 1)" 'client=5 verify=0 .* cn=client1 ' \
    "resumed session: CERT_SESS without CERT_CONN, as HAProxy"
r=$(via -k --http1.1 --resolve "vip.example:$lbtls:127.0.0.1" "https://vip.example:$lbtls/")
assert_match "$(hdr X-Proxy-Ssl "$r")" '^client=1 verify=0 version=TLSv1\.[23] cn= cipher=[A-Z0-9_-]+ sig_alg= key_alg=$' \
    "no client certificate: CERT bits and certificate sub-TLVs absent"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy's exit status"

note "health checks: v2 LOCAL, v1 the check's own addresses, and the servers are UP"
wait_until 5 grep -q 'PROXY v2 LOCAL -> LOCAL hdr 0d0a0d0a000d0a515549540a2000' \
    "$T/backend-v2.log" || fail "no v2 LOCAL health check"
# v1 has no LOCAL: HAProxy names the check connection itself (src = its peer address)
wait_until 5 grep -Eq "conn [0-9]+ (127\.0\.0\.1:[0-9]+): PROXY v1 \1 -> 127\.0\.0\.1:$port_v1 " \
    "$T/backend-v1.log" || fail "no v1 health check header"
st=$(printf 'show stat\n' | nsrun python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())
print(s.makefile().read())' "$T/ha.sock")
assert_match "$st" '^v1,s,([^,]*,){15}UP,' "v1 server UP after PROXY-headed TCP checks"
assert_match "$st" '^v2,s,([^,]*,){15}UP,' "v2 server UP after LOCAL-headed HTTP checks"
assert_eq 0 "$(grep -c 'PROXY header refused' "$T"/backend-*.log | awk -F: '{s += $2} END {print s}')" \
    "no header from HAProxy refused"

# --- part 2: lbproxy's writer sends, HAProxy accept-proxy receives -------------
# send ARGS...: the body HAProxy answers for a header built from ARGS
send() {
	printf 'GET / HTTP/1.0\r\n\r\n' | "$PPSEND" "$@" "127.0.0.1:$fein" | tr -d '\r' | tail -n 1
}
note "accept-proxy takes lbproxy's headers"
assert_eq "src=192.0.2.1 sport=4000 dst=198.51.100.2 dport=80 authority=" \
    "$(send -1 -s 192.0.2.1:4000 -d 198.51.100.2:80)" "v1 TCP4"
assert_eq "src=2001:db8::1 sport=4000 dst=2001:db8::2 dport=443 authority=" \
    "$(send -1 -s '[2001:db8::1]:4000' -d '[2001:db8::2]:443')" "v1 TCP6"
assert_eq "src=::ffff:192.0.2.1 sport=4000 dst=2001:db8::2 dport=80 authority=" \
    "$(send -1 -s 192.0.2.1:4000 -d '[2001:db8::2]:80')" "v1 mixed families (IPv4-mapped)"
assert_eq "src=192.0.2.1 sport=65535 dst=198.51.100.2 dport=1 authority=" \
    "$(send -2 -s 192.0.2.1:65535 -d 198.51.100.2:1)" "v2 TCP4"
assert_eq "src=2001:db8::1 sport=1 dst=2001:db8::2 dport=2 authority=" \
    "$(send -2 -s '[2001:db8::1]:1' -d '[2001:db8::2]:2')" "v2 TCP6"
assert_eq "src=2001:db8::1 sport=1 dst=::ffff:10.0.0.1 dport=2 authority=" \
    "$(send -2 -s '[2001:db8::1]:1' -d 10.0.0.1:2)" "v2 mixed families (IPv4-mapped)"
assert_eq "src=192.0.2.7 sport=5 dst=198.51.100.2 dport=443 authority=www.example.com" \
    "$(send -2 -C -a h2 -A www.example.com -S 7:0 -V TLSv1.3 -N client1 -K RSA2048 \
        -G RSA-SHA256 -c TLS_AES_128_GCM_SHA256 -s 192.0.2.7:5 -d 198.51.100.2:443)" \
    "v2 with CRC32C, ALPN, authority and SSL TLVs"
assert_match "$(send -L)" '^src=127\.0\.0\.1 sport=[0-9]+ dst=127\.0\.0\.1 dport='"$fein"' authority=$' \
    "v2 LOCAL: HAProxy keeps the connection's own addresses"
assert_match "$(send -1)" '^src=127\.0\.0\.1 sport=[0-9]+ dst=127\.0\.0\.1 ' \
    "v1 UNKNOWN: the connection's own addresses"
assert_eq "" "$(send -2 -C -x -s 192.0.2.1:1 -d 198.51.100.2:2 || true)" \
    "a header with a wrong CRC32C is refused (HAProxy checks what we compute)"
if [ -n "$have6" ]; then
	assert_eq "src=192.0.2.1 sport=4000 dst=198.51.100.2 dport=80 authority=" \
	    "$(printf 'GET / HTTP/1.0\r\n\r\n' | "$PPSEND" -2 -s 192.0.2.1:4000 \
	        -d 198.51.100.2:80 "[::1]:$fein" | tr -d '\r' | tail -n 1)" \
	    "an IPv4 header over an IPv6 connection"
fi
note "ok"
