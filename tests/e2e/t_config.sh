#!/bin/bash
# t_config: `lbproxy -t -c FILE` accepts every example, and on a bad pool
# file prints every problem as "FILE: json.path: reason" (line and column for
# JSON syntax errors) and exits 1. Nothing is bound.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init

[ -x "$LBPROXY" ] || fail "no lbproxy binary at $LBPROXY"

# Run lbproxy -t -c FILE; sets RC and ERR (its stderr).
check() {
	RC=0
	"$LBPROXY" -t -c "$1" >"$T/out" 2>"$T/err" || RC=$?
	ERR=$(cat "$T/err")
}

# FILE must be valid, with nothing on stderr (no error, no warning).
check_ok() {
	check "$1"
	assert_eq 0 "$RC" "exit status of -t on $1 (stderr: $ERR)"
	assert_eq "" "$ERR" "stderr of -t on $1"
}

# FILE must be invalid with exactly these errors (each "FILE: " + LINE).
check_bad() {
	local file=$1 line n=0
	shift
	check "$file"
	assert_eq 1 "$RC" "exit status of -t on $file"
	for line in "$@"; do
		grep -Fxq -- "$file: $line" "$T/err" ||
		    fail "missing line '$file: $line' in: $ERR"
		n=$((n + 1))
	done
	assert_eq "$n" "$(grep -Fv ': warning: ' "$T/err" | count_lines)" \
	    "number of errors for $file (stderr: $ERR)"
}

# --- every example is valid -------------------------------------------------

n=0
for f in "$TOP_SRCDIR"/examples/*.json; do
	note "example $(basename "$f")"
	check_ok "$f"
	n=$((n + 1))
done
assert_between "$n" 8 1000 "number of examples"

# Relative paths resolve against the config file's directory, not the cwd.
note "relative certificate path, run from another directory"
mkdir "$T/site"
cp "$TOP_SRCDIR/examples/https.json" "$TOP_SRCDIR/examples/demo.pem" \
    "$TOP_SRCDIR/examples/demo-sni.pem" "$T/site/"
(cd / && check_ok "$T/site/https.json")

# --- several errors in one file, all reported with their paths ----------------

note "several errors in one file"
cat >"$T/bad.json" <<'EOF'
{
  "pool": {"id": "p1", "lb_method": "RANDOM", "admin_state_up": "yes"},
  "vip": {"address": "127.0.0.1", "protocol_port": 70000, "protocol": "FTP"},
  "members": [
    {"id": "m1", "address": "127.0.0.1", "protocol_port": 8081},
    {"id": "m1", "address": "127.0.0.1", "protocol_port": 8082},
    {"id": "m3", "address": "127.0.0.1", "protocol_port": 8081, "weight": 300}
  ],
  "healthmonitors": [
    {"type": "HTTP", "delay": 5, "timeout": 10, "max_retries": 0,
     "expected_codes": "2xx"}
  ],
  "lbproxy": {"stats_socket_mode": "rw", "timeouts_ms": {"connect": 0},
              "log": {"level": "loud"}, "metrics": {"listen": "localhost"}}
}
EOF
check_bad "$T/bad.json" \
    'pool.lb_method: "RANDOM" is not one of ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP' \
    'pool.admin_state_up: expected a boolean, got string' \
    'vip.id: missing (required)' \
    'vip.protocol_port: 70000 is out of range 1..65535' \
    'vip.protocol: "FTP" is not one of TCP, HTTP, HTTPS' \
    'members[1].id: "m1" is already used by members[0]' \
    'members[2].weight: 300 is out of range 0..256' \
    'members[2]: 127.0.0.1:8081 is already used by members[0]' \
    'healthmonitors[0].timeout: 10 must not exceed delay (5)' \
    'healthmonitors[0].max_retries: 0 is out of range 1..10' \
    'healthmonitors[0].expected_codes: "2xx" is not a list of status codes like "200", "200,202" or "200-299"' \
    'lbproxy.stats_socket_mode: "rw" is not an octal mode like "0660"' \
    'lbproxy.timeouts_ms.connect: 0 must be 1 or more' \
    'lbproxy.log.level: "loud" is not one of err, warning, notice, info, debug' \
    'lbproxy.metrics.listen: "localhost" is not "address:port" (like "127.0.0.1:9101" or "[::1]:9101")'

note "missing objects"
echo '{"members": []}' >"$T/empty.json"
check_bad "$T/empty.json" 'pool: missing (required)' 'vip: missing (required)'

note "HTTPS semantics: protocol mismatch, APP_COOKIE without a name"
cat >"$T/mismatch.json" <<'EOF'
{
  "pool": {"id": "p1", "protocol": "HTTP", "lb_method": "ROUND_ROBIN"},
  "vip": {"id": "v1", "address": "127.0.0.1", "protocol_port": 8443,
          "protocol": "HTTPS",
          "session_persistence": {"type": "APP_COOKIE"}}
}
EOF
check_bad "$T/mismatch.json" \
    'pool.protocol: HTTP does not fit a TLS passthrough VIP (use HTTPS or TCP, or give vip.tls.certificate_file to terminate TLS)' \
    'vip.session_persistence.cookie_name: missing (required for APP_COOKIE)'
# as Neutron's HAProxy driver did, cookie persistence on an L4 VIP is ignored, said once
grep -Fxq "$T/mismatch.json: warning: vip.session_persistence.type: APP_COOKIE ignored: the TLS passthrough VIP relays bytes (it needs HTTP)" "$T/err" ||
    fail "no warning for APP_COOKIE on a passthrough VIP in: $ERR"

note "missing certificate, reported with its resolved path"
cat >"$T/nocert.json" <<'EOF'
{
  "pool": {"id": "p1", "protocol": "HTTP", "lb_method": "ROUND_ROBIN"},
  "vip": {"id": "v1", "address": "127.0.0.1", "protocol_port": 8443,
          "protocol": "HTTPS", "tls": {"certificate_file": "missing.pem"}}
}
EOF
check_bad "$T/nocert.json" \
    "vip.tls.certificate_file: $T/missing.pem: No such file or directory"

# --- the Contrail dialect ------------------------------------------------------

note "Contrail names in messages, custom-attributes warnings"
cat >"$T/contrail.json" <<'EOF'
{
  "pool": {"id": "p1", "protocol": "HTTP", "method": "ROUND_ROBIN", "admin-state": true},
  "vip": {"id": "v1", "address": "127.0.0.1", "port": 0, "protocol": "HTTP",
          "connection-limit": -1, "admin-state": true, "persistence-type": null},
  "members": [{"id": "m1", "address": "127.0.0.1", "port": 8081, "weight": 1,
               "admin-state": "true"}],
  "healthmonitors": [{"type": "HTTP", "delay": 5, "timeout": 3, "max-retries": 11,
                      "http-method": "GET", "url": "/", "expected-codes": "200",
                      "admin-state": true}],
  "custom-attributes": {"max_conn": "lots", "bogus": "1"}
}
EOF
check_bad "$T/contrail.json" \
    'vip.port: 0 is out of range 1..65535' \
    'members[0].admin-state: expected a boolean, got string' \
    'healthmonitors[0].max-retries: 11 is out of range 1..10'
grep -Fxq "$T/contrail.json: warning: custom-attributes.max_conn: expected an integer, got string; ignored" "$T/err" ||
    fail "no warning for max_conn in: $ERR"
grep -Fxq "$T/contrail.json: warning: custom-attributes.bogus: unknown attribute; ignored" "$T/err" ||
    fail "no warning for bogus in: $ERR"

note "warnings alone do not make a file invalid"
cat >"$T/warn.json" <<'EOF'
{
  "pool": {"id": "p1", "protocol": "TCP", "method": "ROUND_ROBIN"},
  "vip": {"id": "v1", "address": "127.0.0.1", "port": 9000, "protocol": "TCP"},
  "members": [{"id": "m1", "address": "127.0.0.1", "port": 9001}],
  "custom-attributes": {"max_conn_rate": "100", "client_timeout": "60000"}
}
EOF
check "$T/warn.json"
assert_eq 0 "$RC" "exit status with warnings only (stderr: $ERR)"
assert_contains "$ERR" "$T/warn.json: warning: custom-attributes.max_conn_rate: not supported by lbproxy; ignored"

# --- JSON syntax and I/O errors -------------------------------------------------

note "JSON syntax error: line and column"
printf '{\n  "pool": {"id": "p1"},\n  "vip": {"id" "v1"}\n}\n' >"$T/syntax.json"
check "$T/syntax.json"
assert_eq 1 "$RC" "exit status on a syntax error"
assert_match "$ERR" "^$T/syntax.json: line 3, column [0-9]+: "
assert_eq 1 "$(count_lines <"$T/err")" "one line for a syntax error (stderr: $ERR)"

note "duplicate key"
printf '{"pool": {"id": "p1"},\n "pool": {"id": "p2"}}\n' >"$T/dup.json"
check "$T/dup.json"
assert_eq 1 "$RC" "exit status on a duplicate key"
assert_match "$ERR" "^$T/dup.json: line 2, column [0-9]+: duplicate"

note "missing file"
check "$T/nonexistent.json"
assert_eq 1 "$RC" "exit status on a missing file"
assert_contains "$ERR" "$T/nonexistent.json: cannot open: No such file or directory"

note "ok"
