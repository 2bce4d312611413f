#!/bin/bash
# t_bench_tools: the pieces of bench/ that the numbers rest on, without
# running the benchmark: floor_relay relays both ways, round robin, passes
# a half-close and big transfers intact; bench/plot.py writes well-formed
# SVG; bench/run parses wrk and h2load output and knows its options.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd cc python3

BENCH=$TOP_SRCDIR/bench

note "floor_relay builds with -Werror"
cc -O2 -Wall -Wextra -Werror -o "$T/floor_relay" "$BENCH/floor_relay.c" \
    2>"$T/cc.log" || fail "floor_relay.c does not build: $(cat "$T/cc.log")"

start_backend a 0 tcp
pa=$BACKEND_PORT
start_backend b 0 tcp
pb=$BACKEND_PORT
vip=$(free_port)
bg_run floor "$T/floor_relay" -l "127.0.0.1:$vip" -w 2 \
    "127.0.0.1:$pa" "127.0.0.1:$pb"
wait_port "$vip" || fail "floor_relay does not listen"

note "floor_relay: echo, half-close, round robin"
# The backend greets, echoes, and answers our EOF with the byte count: the
# half-close went through and the relay then closed both sides.  With two
# processes each has its own rotation: four connections reach both members.
seen=
for i in 1 2 3 4; do
	out=$(tcp_exchange "$vip" 'ping\n') || fail "exchange $i: status $?"
	assert_contains "$out" "ping" "echo through floor_relay"
	assert_match "$out" '^bye (a|b) 5$' "half-close through floor_relay"
	seen="$seen $(printf '%s\n' "$out" | sed -n 's/^hello //p')"
done
assert_contains "$seen" "a" "round robin reaches a"
assert_contains "$seen" "b" "round robin reaches b"

note "floor_relay: 8 MiB each way, sent and read at once"
python3 - "$vip" <<'EOF' || fail "big transfer through floor_relay"
import socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
data = bytes(range(256)) * (8 * 4096)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = b""
while True:
    d = s.recv(1 << 16)
    if not d:
        break
    got += d
t.join()
head, rest = got.split(b"\n", 1)
assert head.startswith(b"hello "), head
bye = b"bye %s %d\n" % (head[6:], len(data))
assert rest == data + bye, (len(rest), rest[-40:])
EOF

note "plot.py: well-formed SVG, a bar per value"
python3 - "$BENCH" "$T/p.svg" <<'EOF' || fail "plot.py"
import sys
sys.path.insert(0, sys.argv[1])
sys.dont_write_bytecode = True
import plot
from xml.dom import minidom
g = [plot.Group("HTTP <&> keep-alive, 1 worker",
                [plot.Bar("lbproxy", "always", 70000, 6.5),
                 plot.Bar("haproxy", "safe", 50000, 9.8),
                 plot.Bar("floor", "-", 0, 0)])]
with open(sys.argv[2], "w") as f:
    f.write(plot.svg("title", "sub", g))
doc = minidom.parse(sys.argv[2])
rects = doc.getElementsByTagName("rect")
# background + a legend square per proxy shown + 3 bars in each panel
assert len(rects) == 1 + 3 + 6, len(rects)
texts = [t.firstChild.data for t in doc.getElementsByTagName("text")]
assert "70,000" in texts and "9.80" in texts, texts
assert "HTTP <&> keep-alive, 1 worker" in texts, texts
EOF
if command -v xmllint >/dev/null; then
	xmllint --noout "$T/p.svg" || fail "xmllint rejects the SVG"
fi

note "bench/run: options and output parsers"
out=$(python3 "$BENCH/run" --help) || fail "bench/run --help"
assert_contains "$out" "--quick"
assert_contains "$out" "--reuse"
rc=0; python3 "$BENCH/run" --reuse sometimes >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "bench/run refuses an unknown reuse policy"
python3 - "$BENCH/run" "$T" <<'EOF' || fail "bench/run parsers"
import importlib.machinery, importlib.util, os, sys
sys.dont_write_bytecode = True
loader = importlib.machinery.SourceFileLoader("benchrun", sys.argv[1])
spec = importlib.util.spec_from_loader("benchrun", loader)
run = importlib.util.module_from_spec(spec)
loader.exec_module(run)
w = run.parse_wrk("""Running 5s test @ http://127.0.0.1:1/
  Latency Distribution
     50%  600.00us
     99%    2.50ms
  291234 requests in 5.00s, 40.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  58246.80
""")
assert (w["requests"], w["rps"], w["p99_ms"], w["sockerr"], w["non2xx"]) \
    == (291234, 58246.8, 2.5, 4, 7), w
h = run.parse_h2load("""finished in 5.00s, 81096.20 req/s, 3.17MB/s
requests: 405481 total, 405545 started, 405481 done, 405400 succeeded, 81 failed, 2 errored, 1 timeout
status codes: 405400 2xx, 0 3xx, 5 4xx, 1 5xx
""")
assert (h["requests"], h["rps"], h["sockerr"], h["non2xx"]) == \
    (405481, 81096.2, 84, 6), h
log = os.path.join(sys.argv[2], "h2.log")
with open(log, "w") as f:
    for i in range(1, 101):
        f.write("1700000000000000\t200\t%d\n" % (i * 1000))
assert run.h2load_p99(log) == 99.0, run.h2load_p99(log)
assert set(run.ALIASES["h2"]) <= set(run.SCENARIOS)
EOF
