#!/bin/bash
# t_tls: TLS termination at an HTTPS VIP (SPEC 2 "HTTPS semantics", 4 "TLS
# termination") with real clients (curl, openssl s_client, python ssl):
# TLS 1.2 and 1.3 only, Mozilla intermediate suites, members get plain HTTP
# with X-Forwarded-Proto: https, SNI picks the certificate (wildcards, unknown
# name -> default), ALPN http/1.1, session resumption (tickets, session cache,
# across worker threads, across a reload), keep-alive, close_notify on every
# close, plaintext on the TLS port closed at once, an absolute handshake
# deadline (stalled, trickling and vanishing clients) with no descriptor
# left behind, certificates re-read on SIGHUP, and `-t` errors for a
# missing certificate or a mismatched key.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd openssl curl python3 timeout

# --- certificates -----------------------------------------------------------

# mkcert NAME SUBJECT_CN [KEYTYPE [SAN]]: self-signed NAME.crt/NAME.key and
# NAME.pem (chain + key) in $T.
mkcert() {
	local name=$1 cn=$2 kt=${3:-ec} san=${4:-}
	local keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)

	[ "$kt" = rsa ] && keyopt=(-newkey rsa:2048)
	openssl req -x509 "${keyopt[@]}" -nodes -days 2 -subj "/CN=$cn" \
	    ${san:+-addext "subjectAltName=$san"} \
	    -keyout "$T/$name.key" -out "$T/$name.crt" >/dev/null 2>&1 ||
	    fail "openssl req for $name failed"
	cat "$T/$name.crt" "$T/$name.key" >"$T/$name.pem"
}

mkcert default default.test rsa
mkcert sni sni.test ec "DNS:sni.test,DNS:*.wild.test"
mkcert rotated rotated.test rsa
cp "$T/default.pem" "$T/vip.pem"	# the file the VIP uses; replaced on reload

# --- helper scripts -----------------------------------------------------------

# tls_close.py PORT VERSION MODE: one HTTPS request with python's ssl module,
# then read until the end. MODE close: "Connection: close" request; idle:
# keep-alive request, then wait for lbproxy's idle close. Prints the status
# line and "clean" (close_notify received), "noclosenotify" (SSLEOFError)
# or "error ...".
cat >"$T/tls_close.py" <<'EOF'
import socket, ssl, sys, time
port, version, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[version]
ctx.minimum_version = ctx.maximum_version = v
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=8),
                    server_hostname="sni.test", suppress_ragged_eofs=False)
conn = "close" if mode == "close" else "keep-alive"
s.sendall(("GET /echo HTTP/1.1\r\nHost: t\r\nConnection: %s\r\n\r\n" % conn).encode())
out, res = b"", "timeout"
try:
    while True:
        d = s.recv(65536)
        if not d:
            res = "clean"
            break
        out += d
except ssl.SSLEOFError:
    res = "noclosenotify"
except (OSError, ssl.SSLError) as e:
    res = "error %s" % e
print(out.split(b"\r\n")[0].decode("latin-1"))
print(res)
EOF

# deadline.py PORT: clients that never finish the handshake, in parallel;
# prints "CASE MS HOW" per case: how long until lbproxy closed on us.
cat >"$T/deadline.py" <<'EOF'
import os, socket, ssl, sys, threading, time
port = int(sys.argv[1])

def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname="sni.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()

def run(case, res):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t0 = time.monotonic()
    how = "eof"
    try:
        if case == "hello":        # whole ClientHello, then silence
            s.sendall(client_hello())
        elif case == "partial":    # a record header and part of a hello
            s.sendall(client_hello()[:20])
        elif case == "trickle":    # a hello one byte every 200 ms
            s.settimeout(0.2)
            for b in client_hello():
                s.sendall(bytes([b]))
                try:
                    if not s.recv(4096):
                        raise EOFError
                except socket.timeout:
                    pass
                if time.monotonic() - t0 > 6:
                    break
            s.settimeout(10)
        while s.recv(65536):
            pass
    except EOFError:
        pass
    except ConnectionResetError:
        how = "reset"
    except BrokenPipeError:
        how = "epipe"
    except socket.timeout:
        how = "hang"
    res[case] = (int((time.monotonic() - t0) * 1000), how)

res = {}
cases = ["idle", "hello", "partial", "trickle"]
ts = [threading.Thread(target=run, args=(c, res)) for c in cases]
for t in ts:
    t.start()
for t in ts:
    t.join()
for c in cases:
    print(c, *res.get(c, (99999, "none")))
EOF

# abort.py PORT N PID: N handshakes that go wrong in different ways, one at
# a time; the "stall" ones are left open for lbproxy's deadline to close.
# Prints "held H fds F": stalled connections and PID's descriptors then.
cat >"$T/abort.py" <<'EOF'
import os, socket, ssl, struct, sys, time
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
held = []
# the stalling clients come last, so none reaches the 1 s deadline before
# the descriptors are counted (a slow, sanitized build needs the margin)
order = [i for i in range(n) if i % 6 != 5] + [i for i in range(n) if i % 6 == 5]
for i in order:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname="sni.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    k = i % 6
    if k == 0:      # connect and go
        pass
    elif k == 1:    # half a hello, then go
        s.sendall(hello[:len(hello) // 2])
    elif k == 2:    # garbage record
        s.sendall(b"\x16\x03\x01\x00\x05garbage-garbage")
    elif k == 3:    # hello, read the server's first flight, leave (RST)
        s.sendall(hello)
        s.recv(65536)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif k == 4:    # hello, leave without reading (FIN)
        s.sendall(hello)
    else:           # hello, then stall: the deadline closes it
        s.sendall(hello)
        held.append(s)
        continue
    s.close()
# peak over a short window: the last clients may not be accepted yet
peak = 0
for _ in range(40):
    peak = max(peak, len(os.listdir("/proc/%s/fd" % pid)))
    time.sleep(0.02)
print("held", len(held), "fds", peak, flush=True)
# wait (bounded) until lbproxy closed every stalled one
for s in held:
    s.settimeout(5)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
EOF

# --- lbproxy ------------------------------------------------------------------

start_backend b1 0 http; p1=$BACKEND_PORT
vip=$(free_port)
VIP_EXTRA="\"tls\": {\"certificate_file\": \"$T/vip.pem\",
                    \"sni_certificate_files\": [\"$T/sni.pem\"]}" \
LB_EXTRA='"timeouts_ms": {"tls_handshake": 1000, "http_keep_alive": 1500}' \
    write_pool "$T/pool.json" "$vip" HTTPS/HTTP ROUND_ROBIN "m1:$p1"
out=$("$LBPROXY" -t -c "$T/pool.json" 2>&1) || fail "-t rejects a valid TLS config: $out"
start_lbproxy "$T/pool.json" -w 2 -v -v	# debug: session ids show the worker

# s_client ARGS...: one handshake with the VIP, nothing sent; its report.
s_client() {
	timeout 10 openssl s_client -connect "127.0.0.1:$vip" "$@" </dev/null 2>&1 || true
}

# cn_of ARGS...: the CN of the certificate the VIP presents to s_client ARGS.
cn_of() {
	s_client "$@" | sed -n 's/^subject=.*CN *= *\([^,/]*\).*/\1/p'
}

fdcount() {
	find "/proc/$LB_PID/fd" -mindepth 1 -maxdepth 1 | wc -l
}

# --- handshake deadline and descriptors (first, while nothing else is open) ----

base_fds=$(fdcount)
python3 "$T/deadline.py" "$vip" >"$T/deadline.out" || fail "deadline.py failed"
cat "$T/deadline.out"
for c in idle hello partial trickle; do
	line=$(grep "^$c " "$T/deadline.out") || fail "deadline.py: no result for $c"
	read -r _ ms how <<<"$line"
	assert_between "$ms" 800 3000 "handshake deadline (1000 ms), client '$c' closed after $ms ms ($how)"
done

python3 "$T/abort.py" "$vip" 50 "$LB_PID" >"$T/abort.out" 2>&1 ||
    fail "abort.py: $(cat "$T/abort.out")"
read -r _ held _ peak <"$T/abort.out"
assert_between "$peak" $((base_fds + held)) 100000 "descriptors while $held handshakes stall"
fd_back() { [ "$(fdcount)" -le "$base_fds" ]; }
wait_until 5 fd_back ||
    fail "descriptors leaked after 50 aborted handshakes: $base_fds before, $(fdcount) after"
note "descriptors: $base_fds before and $(fdcount) after 50 aborted handshakes"
body=$(http_get "https://127.0.0.1:$vip/" -k) || true
assert_eq b1 "$body" "served after the aborted handshakes"

# plaintext HTTP on the TLS port: closed at once, not at the deadline
python3 - "$vip" >"$T/plain.out" <<'EOF' || fail "plaintext probe: $(cat "$T/plain.out")"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t0 = time.monotonic()
s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
try:
    while s.recv(65536):
        pass
except ConnectionResetError:
    pass
print(int((time.monotonic() - t0) * 1000))
EOF
assert_between "$(cat "$T/plain.out")" 0 500 "ms until plaintext HTTP on the TLS port is closed"
assert_eq b1 "$(http_get "https://127.0.0.1:$vip/" -k)" "served after plaintext on the TLS port"

# --- versions and suites ----------------------------------------------------------

for v in 1.2 1.3; do
	if [ $v = 1.2 ]; then vopt=(--tlsv1.2 --tls-max 1.2); else vopt=(--tlsv1.3); fi
	out=$(curl -sk -v --noproxy '*' --max-time 5 "${vopt[@]}" -o "$T/echo.out" \
	    "https://127.0.0.1:$vip/echo" 2>&1) || fail "curl TLS $v failed: $out"
	assert_contains "$out" "SSL connection using TLSv$v" "curl TLS $v"
	# /echo's body is the request head as the member received it
	echo=$(tr -d '\r' <"$T/echo.out")
	assert_eq "GET /echo HTTP/1.1" "$(head -n 1 <<<"$echo")" "member saw plain HTTP over TLS $v"
	assert_eq 1 "$(count_lines "X-Forwarded-Proto: https" <<<"$echo")" "X-Forwarded-Proto over TLS $v: $echo"
	assert_eq 1 "$(count_lines "X-Forwarded-Proto" <<<"$echo")" "one X-Forwarded-Proto over TLS $v: $echo"
done

if openssl s_client -help 2>&1 | grep -q -- '-tls1_1'; then
	for v in tls1 tls1_1; do
		out=$(s_client -"$v" -cipher 'DEFAULT:@SECLEVEL=0')
		assert_contains "$out" "alert protocol version" "-$v must be refused by the server"
		assert_not_contains "$out" "no protocols available" "-$v refused by the client itself"
	done
else
	note "openssl lacks -tls1_1: TLS 1.0/1.1 refusal not checked"
fi
out=$(s_client -tls1_2 -cipher 'DEFAULT:@SECLEVEL=0')
assert_match "$out" '^New, TLSv1\.2, Cipher is ECDHE-' "TLS 1.2 with the permissive client cipher list"
for c in AES128-SHA ECDHE-RSA-AES128-SHA AES128-GCM-SHA256; do
	out=$(s_client -tls1_2 -cipher "$c:@SECLEVEL=0")
	assert_not_contains "$out" "Cipher is $c" "non-ECDHE/non-AEAD suite $c accepted"
done

# --- SNI, ALPN ------------------------------------------------------------------

assert_eq sni.test "$(cn_of -servername sni.test)" "SNI sni.test"
assert_eq sni.test "$(cn_of -servername SNI.Test)" "SNI is case-insensitive"
assert_eq sni.test "$(cn_of -servername x.wild.test)" "SNI x.wild.test (wildcard)"
assert_eq default.test "$(cn_of -servername a.b.wild.test)" "a wildcard covers one label only"
assert_eq default.test "$(cn_of -servername wild.test)" "a wildcard does not cover its parent"
assert_eq default.test "$(cn_of -servername unknown.test)" "unknown SNI gets the default"
assert_eq default.test "$(cn_of -noservername)" "no SNI gets the default"
assert_eq sni.test "$(cn_of -tls1_2 -servername x.wild.test)" "SNI over TLS 1.2"

assert_contains "$(s_client -alpn h2,http/1.1)" "ALPN protocol: http/1.1" "ALPN"
assert_contains "$(s_client -alpn h2,http/1.1 -servername sni.test)" "ALPN protocol: http/1.1" "ALPN on an SNI certificate"
out=$(s_client -alpn h2)
assert_contains "$out" "No ALPN negotiated" "ALPN h2 only"
assert_match "$out" '^New, TLSv1\.3' "h2-only ALPN still completes the handshake"

# --- session resumption ---------------------------------------------------------

# resume N ARGS...: a full handshake (with a request, reading to the end so
# TLS 1.3 tickets arrive) saving the session, then N handshakes offering it.
# Sets RESUMED to how many of those were resumed.
resume() {
	local n=$1 i

	shift
	RESUMED=0
	rm -f "$T/sess"
	printf 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
	    timeout 10 openssl s_client -connect "127.0.0.1:$vip" -ign_eof \
	    -sess_out "$T/sess" "$@" >"$T/first.out" 2>&1 || true
	grep -q '^New,' "$T/first.out" || fail "resume $*: first handshake failed: $(tail -n 5 "$T/first.out")"
	[ -s "$T/sess" ] || fail "resume $*: no session saved"
	for ((i = 0; i < n; i++)); do
		if s_client -sess_in "$T/sess" "$@" | grep -q '^Reused,'; then
			RESUMED=$((RESUMED + 1))
		fi
	done
}

# workers_since LINE: how many worker threads accepted TLS sessions after
# log line LINE (session ids are worker << 48 | n, in hex).
workers_since() {
	tail -n +"$(($1 + 1))" "$T/lbproxy.log" |
	    sed -n 's/.* s\([0-9a-f]*\): new -> tls-handshake.*/\1/p' |
	    awk '{ print (length($1) > 12 ? substr($1, 1, length($1) - 12) : 0) }' |
	    sort -u | wc -l
}

# Each run must reach both workers (the session cache and the ticket keys
# are shared by all threads); accept order is up to the kernel, so a run
# that landed on one worker only is repeated (up to 3 times).
for mode in "-tls1_2" "-tls1_2 -no_ticket" "-tls1_3" \
    "-tls1_2 -servername sni.test" "-tls1_2 -no_ticket -servername sni.test" \
    "-tls1_3 -servername x.wild.test"; do
	for _ in 1 2 3; do
		mark=$(wc -l <"$T/lbproxy.log")
		# shellcheck disable=SC2086
		resume 20 $mode
		assert_eq 20 "$RESUMED" "sessions resumed with $mode"
		nw=$(workers_since "$mark")
		note "$mode: $RESUMED/20 resumed on $nw worker(s)"
		[ "$nw" -ge 2 ] && break
	done
	assert_eq 2 "$nw" "resumption with $mode across worker threads"
done

# A client that keeps only its newest ticket (wrk, curl, browsers) offers,
# each time, the ticket the last resumed connection gave it: a resumed TLS
# 1.3 connection must issue one, or every other connection is a full
# handshake.
resume 0 -tls1_3
for i in 1 2 3 4; do
	cp "$T/sess" "$T/chain.in"
	rm -f "$T/sess"
	out=$(printf 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
	    timeout 10 openssl s_client -connect "127.0.0.1:$vip" -ign_eof -tls1_3 \
	    -sess_in "$T/chain.in" -sess_out "$T/sess" 2>&1) || true
	assert_match "$out" '^Reused, TLSv1\.3' "TLS 1.3 ticket chain, link $i resumed"
	[ -s "$T/sess" ] || fail "TLS 1.3 ticket chain, link $i: the resumed connection issued no ticket"
done

# --- keep-alive, close_notify -------------------------------------------------------

out=$(curl -sk -v --noproxy '*' --max-time 5 "https://127.0.0.1:$vip/a" \
    "https://127.0.0.1:$vip/b" 2>&1) || fail "curl keep-alive: $out"
assert_contains "$out" "Re-using existing connection" "two requests on one TLS connection"
assert_eq 2 "$(printf '%s\n' "$out" | count_lines 'HTTP/1.1 200 OK')" "both answered"

for v in 1.2 1.3; do
	out=$(python3 "$T/tls_close.py" "$vip" "$v" close)
	assert_eq $'HTTP/1.1 200 OK\nclean' "$out" "close_notify after Connection: close, TLS $v"
done
out=$(python3 "$T/tls_close.py" "$vip" 1.3 idle)
assert_eq $'HTTP/1.1 200 OK\nclean' "$out" "close_notify on the keep-alive idle close"

# --- reload re-reads the certificate; tickets survive it ---------------------------

resume 0 -tls1_3	# saves $T/sess from the current configuration
cp "$T/sess" "$T/sess13"
resume 0 -tls1_2
cp "$T/sess" "$T/sess12"
cp "$T/rotated.pem" "$T/vip.pem.new"
mv "$T/vip.pem.new" "$T/vip.pem"
kill -HUP "$LB_PID"
wait_until 5 grep -q 'reloaded: generation 2' "$T/lbproxy.log" || fail "reload not applied"
assert_eq rotated.test "$(cn_of -noservername)" "default certificate after reload"
assert_eq sni.test "$(cn_of -servername sni.test)" "SNI certificate after reload"
assert_contains "$(s_client -tls1_3 -sess_in "$T/sess13")" "Reused, TLSv1.3" "TLS 1.3 ticket from before the reload"
assert_contains "$(s_client -tls1_2 -sess_in "$T/sess12")" "Reused, TLSv1.2" "TLS 1.2 ticket from before the reload"
assert_eq b1 "$(http_get "https://127.0.0.1:$vip/" -k)" "served after reload"

# a broken certificate on reload: reported, the running one stays
echo "not a certificate" >"$T/vip.pem"
kill -HUP "$LB_PID"
wait_until 5 grep -q 'reload failed' "$T/lbproxy.log" || fail "bad certificate on reload not reported"
grep -q 'vip.tls.certificate_file' "$T/lbproxy.log" || fail "reload error does not name vip.tls.certificate_file"
assert_eq rotated.test "$(cn_of -noservername)" "certificate kept after a failed reload"
cp "$T/rotated.pem" "$T/vip.pem"

stop_lbproxy
assert_eq 0 "$LB_STATUS" "lbproxy exit status"
if grep -q 'AddressSanitizer\|runtime error:\|LeakSanitizer' "$T/lbproxy.log"; then
	fail "sanitizer report in lbproxy.log"
fi

# --- -t: missing certificate, mismatched key --------------------------------------

# check_bad NAME CERTFILE EXPECTED: -t on a pool whose certificate_file is
# CERTFILE exits 1 with exactly one line containing EXPECTED.
check_bad() {
	local rc=0 out

	VIP_EXTRA="\"tls\": {\"certificate_file\": \"$2\"}" \
	    write_pool "$T/$1.json" "$vip" HTTPS/HTTP ROUND_ROBIN "m1:$p1"
	out=$("$LBPROXY" -t -c "$T/$1.json" 2>&1) || rc=$?
	assert_eq 1 "$rc" "$1: -t exit status (output: $out)"
	assert_eq 1 "$(printf '%s\n' "$out" | count_lines)" "$1: one line, got: $out"
	assert_contains "$out" "vip.tls.certificate_file" "$1: names the field"
	assert_contains "$out" "$3" "$1: says why"
	rc=0
	out=$(timeout 5 "$LBPROXY" -c "$T/$1.json" 2>&1) || rc=$?
	assert_ne 0 "$rc" "$1: lbproxy started with a bad certificate"
	assert_eq 1 "$(printf '%s\n' "$out" | count_lines)" "$1: one line at start, got: $out"
}
check_bad missing "$T/nonexistent.pem" "No such file or directory"
cat "$T/default.crt" "$T/sni.key" >"$T/mismatch-type.pem"	# RSA cert, EC key
check_bad mismatch-type "$T/mismatch-type.pem" "does not match"
cat "$T/default.crt" "$T/rotated.key" >"$T/mismatch.pem"	# both RSA
check_bad mismatch "$T/mismatch.pem" "does not match"
check_bad nokey "$T/default.crt" "no private key"
exit 0
