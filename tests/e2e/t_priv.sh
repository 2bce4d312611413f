#!/bin/bash
# t_priv: lbproxy.user (SPEC 13) with a real unprivileged user, lbtest (a
# system user this test creates when missing, and keeps: parallel runs share
# it). lbproxy runs in a private network namespace with an HTTPS VIP and a
# PING monitor on its members. Once started it runs as lbtest: the Uid/Gid
# lines of /proc/PID/status, only the capabilities the config needs in
# CapEff, CapPrm and the bounding set (CAP_NET_RAW while ping_group_range
# refuses ICMP datagram sockets, none once it allows them, and
# CAP_NET_BIND_SERVICE for a VIP on port 443), no_new_privs (that setuid(0)
# then fails is tested by test_priv, and checked by lbproxy itself, which
# aborts otherwise: a debugger cannot call into a non-dumpable process here).
# Traffic flows, PING checks work either way, a SIGHUP reload re-reads the
# config and the certificate as lbtest (a certificate lbtest cannot read
# fails the reload, the old one keeps serving), and -sf takeover works from
# a process started as root and from one started as lbtest itself.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl openssl python3 setpriv
[ "$(id -u)" -eq 0 ] || skip "needs root to switch users"
need_root_netns
if ! id lbtest >/dev/null 2>&1; then
	need_cmd useradd
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin lbtest 2>/dev/null || id lbtest >/dev/null 2>&1 ||
	    skip "cannot create the user lbtest"
fi
U=$(id -u lbtest) G=$(id -g lbtest)
note "lbtest is uid $U gid $G"

netns_new lb
# lbtest reaches its directory through $T; the directory is its own
chmod 711 "$T"
D=$T/lb
install -d -o lbtest -g lbtest -m 750 "$D"

# cert NAME CN: a self-signed key and certificate, readable by lbtest's group only
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj "/CN=$2" -keyout "$D/$1.key" -out "$D/$1.pem" 2>/dev/null ||
	    fail "openssl req for $1"
	chown root:lbtest "$D/$1.key" "$D/$1.pem"
	chmod 640 "$D/$1.key" "$D/$1.pem"
}
cert one one.example
cert two two.example

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
# pool VIP_PORT CERT [LBPROXY_EXTRA]: the pool file, as root writes it
pool() {
	cat >"$D/pool.json" <<EOF
{
  "vip": {"id": "vip1", "address": "127.0.0.1", "protocol_port": $1, "protocol": "HTTPS",
          "tls": {"certificate_file": "$2.pem", "private_key_file": "$2.key"}},
  "pool": {"id": "pool1", "protocol": "HTTP", "lb_method": "ROUND_ROBIN"},
  "members": [{"id": "m1", "address": "127.0.0.1", "protocol_port": $p1},
              {"id": "m2", "address": "127.0.0.1", "protocol_port": $p2}],
  "healthmonitors": [{"id": "hm1", "type": "PING", "delay": 1, "timeout": 1, "max_retries": 2}],
  "lbproxy": {"stats_socket": "sock", "user": "lbtest", "health": {"rise": 1}${3:+, $3}}
}
EOF
}
STATS_SOCK=$D/sock

# field NAME: the value of NAME in lbproxy's /proc status, blanks squeezed
field() {
	awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$LB_PID/status"
}
# caps HEX: CapEff, CapPrm and CapBnd are HEX; nothing inheritable or ambient
assert_caps() {
	assert_eq "$1" "$(field CapEff)" "CapEff"
	assert_eq "$1" "$(field CapPrm)" "CapPrm"
	assert_eq "$1" "$(field CapBnd)" "CapBnd"
	assert_eq 0000000000000000 "$(field CapInh)" "CapInh"
	assert_eq 0000000000000000 "$(field CapAmb)" "CapAmb"
}
assert_user() {
	assert_eq "$U	$U	$U	$U" "$(awk '$1 == "Uid:" { print $2 "\t" $3 "\t" $4 "\t" $5 }' \
	    "/proc/$LB_PID/status")" "Uid (real, effective, saved, fs)"
	assert_eq "$G	$G	$G	$G" "$(awk '$1 == "Gid:" { print $2 "\t" $3 "\t" $4 "\t" $5 }' \
	    "/proc/$LB_PID/status")" "Gid"
	assert_eq 1 "$(field NoNewPrivs)" "no_new_privs"
	[ "$(stat -c %U "$D/sock")" = lbtest ] || fail "the stats socket is not lbtest's"
}
# serves CN: an HTTPS request through the VIP answers, with certificate CN
serves() {
	local out
	out=$(nsrun curl -sk --noproxy '*' --max-time 5 -w ' %{http_code}' "https://127.0.0.1:$vip/")
	out=$(echo $out)
	assert_match "$out" '^b[12] 200$' "HTTPS through the VIP"
	out=$(nsrun openssl s_client -connect "127.0.0.1:$vip" </dev/null 2>/dev/null |
	    grep -m1 '^subject=')
	assert_contains "$out" "CN = $1" "the certificate served"
}
checks_up() {
	stats_cmd "show stat" | awk -F, '$2 == "m1" || $2 == "m2" { print $18 "/" $37 }' |
	    tr '\n' ' '
}
checks_ok() {
	[ "$(checks_up)" = "UP/L4OK UP/L4OK " ]
}
wait_checks() {
	wait_until 6 checks_ok || fail "PING checks do not work as lbtest: $(checks_up)"
}
# reloads N: the log says "reloaded: generation 2" N times
reloads() {
	[ "$(grep -c 'reloaded: generation 2' "$T/lbproxy.log")" -ge "$1" ]
}
vip_closed() {
	[ "$(nsrun ss -Hltn "sport = :$vip" | wc -l)" -eq 0 ]
}

# --- 1. raw ICMP sockets: CAP_NET_RAW is all that stays ------------------------
nsrun sysctl -qw net.ipv4.ping_group_range="1 0"
vip=$(free_port)
pool "$vip" one
start_lbproxy "$D/pool.json" -w 2 -p "$D/lb.pid"
wait_until 5 grep -q "running as user lbtest" "$T/lbproxy.log" || fail "no privilege drop logged"
assert_contains "$(cat "$T/lbproxy.log")" \
    "running as user lbtest (uid $U, gid $G), capabilities kept: cap_net_raw"
assert_user
assert_caps 0000000000002000
for t in /proc/"$LB_PID"/task/*; do
	assert_eq "$U" "$(awk '$1 == "Uid:" { print $3 }' "$t/status")" "thread $t runs as lbtest"
	assert_eq 0000000000002000 "$(awk '$1 == "CapEff:" { print $2 }' "$t/status")" "thread $t caps"
done
serves one.example
wait_checks

assert_eq 2 "$(field Seccomp)" "the sandbox is on as lbtest"

# reload as lbtest: a new certificate and a weight change are read by lbtest
pool "$vip" two
kill -HUP "$LB_PID"
wait_until 5 grep -q "reloaded: generation 2" "$T/lbproxy.log" ||
    fail "reload as lbtest failed: $(grep -E 'error|reload' "$T/lbproxy.log" | tail -n 5)"
serves two.example
# a key lbtest cannot read: the reload fails and says why, the running config stays
chmod 600 "$D/one.key"
pool "$vip" one
kill -HUP "$LB_PID"
wait_until 5 grep -q "reload failed" "$T/lbproxy.log" || fail "an unreadable key did not fail the reload"
assert_match "$(cat "$T/lbproxy.log")" "one.key.*[Pp]ermission denied" "why the reload failed"
serves two.example
chmod 640 "$D/one.key"

# takeover by a process started as root that drops to lbtest too
pool "$vip" two
old=$LB_PID
LB_WAIT_PORT=none start_lbproxy "$D/pool.json" -w 2 -p "$D/lb.pid" -sf "$old"
wait_gone "$old" 10 || fail "old process did not finish after -sf"
grep -q "taken over from the previous process" "$T/lbproxy.log" ||
    fail "the successor bound anew instead of taking over"
assert_user
serves two.example
wait_checks
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status as lbtest"

# --- 2. ping sockets allowed: no capability at all ---------------------------------
nsrun sysctl -qw net.ipv4.ping_group_range="0 2147483647"
start_lbproxy "$D/pool.json" -w 1 -p "$D/lb.pid"
wait_until 5 grep -q "capabilities kept: none" "$T/lbproxy.log" || fail "capabilities were kept"
assert_user
assert_caps 0000000000000000
serves two.example
wait_checks

# takeover between two processes both running as lbtest (started as it, as
# systemd's User= would): the stats socket is lbtest's, so is the directory
cat >"$T/as-lbtest" <<EOF
#!/bin/sh
exec setpriv --reuid=lbtest --regid=lbtest --init-groups "$LBPROXY" "\$@"
EOF
chmod 755 "$T/as-lbtest"
old=$LB_PID
LBPROXY=$T/as-lbtest LB_WAIT_PORT=none start_lbproxy "$D/pool.json" -w 1 -p "$D/lb.pid" -sf "$old"
wait_gone "$old" 10 || fail "old process did not finish after -sf (started as lbtest)"
grep -q "taken over from the previous process" "$T/lbproxy.log" ||
    fail "the successor started as lbtest bound anew instead of taking over"
assert_user
# what it was given stays out of reach: nothing permitted, no_new_privs (the
# bounding set is the caller's: shrinking it takes CAP_SETPCAP)
assert_eq 0000000000000000 "$(field CapEff)" "CapEff (started as lbtest)"
assert_eq 0000000000000000 "$(field CapPrm)" "CapPrm (started as lbtest)"
serves two.example
wait_checks
kill -HUP "$LB_PID"
wait_until 5 reloads 2 ||
    fail "reload of the process started as lbtest failed"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status (started as lbtest)"

# --- 3. a VIP on a privileged port keeps CAP_NET_BIND_SERVICE for reloads ----------
vip=443
pool 443 two
start_lbproxy "$D/pool.json" -w 1
wait_until 5 grep -q "capabilities kept: cap_net_bind_service" "$T/lbproxy.log" ||
    fail "CAP_NET_BIND_SERVICE not kept for port 443"
assert_caps 0000000000000400
serves two.example
# admin down, then up again: the VIP is bound afresh as lbtest, on port 443
pool 443 two
sed -i 's/"protocol": "HTTPS",/"protocol": "HTTPS", "admin_state_up": false,/' "$D/pool.json"
kill -HUP "$LB_PID"
wait_until 5 vip_closed || fail "VIP still listening when admin down"
pool 443 two
kill -HUP "$LB_PID"
wait_port 443 5 || fail "the VIP on port 443 was not bound again as lbtest: $(tail -n 3 "$T/lbproxy.log")"
serves two.example
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status (port 443)"

# --- 4. -u wins over lbproxy.user; an unknown user is a config error --------------
sed -i 's/"user": "lbtest"/"user": "no-such-user-lbtest"/' "$D/pool.json"
out=$("$LBPROXY" -t -c "$D/pool.json" 2>&1) && fail "-t accepted an unknown user"
assert_contains "$out" "user no-such-user-lbtest: no such user 'no-such-user-lbtest'"
out=$("$LBPROXY" -t -c "$D/pool.json" -u lbtest 2>&1) || fail "-u lbtest did not win: $out"
