#!/bin/bash
# t_tcp_relay: a TCP VIP relays bytes both ways unchanged (large payloads
# too), propagates half-close (after the client's FIN the member's reply
# still arrives), and closes at once when no member is eligible.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

vip=$(free_port)
start_backend b1 0 tcp
p1=$BACKEND_PORT
write_pool "$T/pool.json" "$vip" TCP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/pool.json" -w 2

# Small exchange with half-close: the greeting, the echo, then "bye" after our FIN.
out=$(tcp_exchange "$vip" 'ping\n')
assert_contains "$out" "hello b1" "greeting relayed member -> client"
assert_contains "$out" "ping" "echo relayed client -> member -> client"
assert_contains "$out" "bye b1 5" "member's reply after the client's FIN (half-close)"

# 4 MiB each way through bounded buffers: byte-exact.
big_exchange() {
python3 - "$1" <<'PY'
import hashlib, os, socket, sys, threading
port = int(sys.argv[1])
data = os.urandom(4 << 20)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
got = bytearray()
def reader():
    while True:
        d = s.recv(1 << 16)
        if not d:
            return
        got.extend(d)
t = threading.Thread(target=reader)
t.start()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
t.join(20)
text = bytes(got)
hello = b"hello b1\n"
assert text.startswith(hello), text[:40]
body = text[len(hello):]
tail = b"bye b1 %d\n" % len(data)
assert body.endswith(tail), body[-40:]
assert hashlib.sha256(body[:-len(tail)]).digest() == hashlib.sha256(data).digest()
PY
}
big_exchange "$vip" || fail "large payload not relayed intact"

# Bulk data between plain sockets went through splice() (SPEC 4), with no
# pipe left in use once the transfer is over.
info=$(stats_cmd "show info")
spliced=$(printf '%s\n' "$info" | sed -n 's/^SplicedBytes: //p')
[ -n "$spliced" ] && [ "$spliced" -ge $((1 << 20)) ] ||
    fail "4 MiB each way, but only '${spliced}' bytes spliced"
assert_contains "$info" "PipesUsed: 0" "pipes given back after the transfer"
note "spliced $spliced of $((8 << 20)) bytes"


# Clients that vanish mid-transfer (reset, or close with unread data) while
# data is being spliced both ways: nothing leaks, every pipe comes back, and
# the next transfer is intact.
# descriptors other than the pipes kept for reuse (PipesFree, two each)
fds_now() {
	local free
	free=$(stats_cmd "show info" | sed -n 's/^PipesFree: //p')
	echo $(( $(ls "/proc/$LB_PID/fd" | wc -l) - 2 * ${free:-0} ))
}
fds0=$(fds_now)
python3 - "$vip" <<'PY' || fail "aborted bulk transfers"
import os, socket, struct, sys, threading, time
port = int(sys.argv[1])
def victim(i):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        chunk = os.urandom(256 << 10)
        for _ in range(4 + i % 5):
            s.sendall(chunk)
            s.recv(1 << 16)
    except OSError:
        pass
    if i % 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
ts = [threading.Thread(target=victim, args=(i,)) for i in range(16)]
for t in ts: t.start()
for t in ts: t.join(30)
PY
fds_back() { [ "$(fds_now)" -le "$fds0" ]; }
wait_until 10 fds_back ||
    fail "descriptors after aborted transfers: $(fds_now), before $fds0 (pipes kept for reuse not counted)"
assert_contains "$(stats_cmd "show info")" "PipesUsed: 0" "pipes given back after aborted transfers"
big_exchange "$vip" || fail "large payload not relayed intact after aborted transfers"

# The member half-closes first: the client still can send, then gets "bye".
# (The backend replies "bye" only after our FIN, so check the reverse with a
# raw client that keeps writing after reading the greeting.)
python3 - "$vip" <<'PY' || fail "client -> member direction broke"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
assert s.recv(64).startswith(b"hello")
for i in range(20):
    s.sendall(b"x" * 1000)
time.sleep(0.1)
s.shutdown(socket.SHUT_WR)
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
assert buf.endswith(b"bye b1 20000\n"), buf[-30:]
PY

# No eligible member: the connection is closed at once (no hang).
stop_backend b1
start=$(date +%s%N)
out=$(tcp_exchange -n "$vip" 'x' || true)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq "" "$out" "nothing comes back without a member"
assert_between "$ms" 0 1500 "close without a member took ${ms} ms"
grep -q "no member available" "$T/lbproxy.log" || fail "no log line for the refused connection"

stop_lbproxy TERM
assert_eq 0 "$LB_STATUS" "exit status after SIGTERM"

# "splice": false copies everything (and still relays it intact).
start_backend b1 0 tcp
p1=$BACKEND_PORT
vip2=$(free_port)
LB_EXTRA='"splice": false' write_pool "$T/copy.json" "$vip2" TCP ROUND_ROBIN "m1:$p1"
start_lbproxy "$T/copy.json" -w 1
big_exchange "$vip2" || fail "large payload not relayed intact without splice"
assert_contains "$(stats_cmd "show info")" "SplicedBytes: 0" "splice false: nothing spliced"
stop_lbproxy
