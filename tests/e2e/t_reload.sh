#!/bin/bash
# t_reload: SIGHUP (and SIGUSR2) reload in place without failing a request:
# wrk runs while the pool file is rewritten and reloaded repeatedly (members
# added, removed, reweighted); zero socket errors, zero non-2xx. A bad file
# is reported and the running config stays. Members matched by id keep
# their counters. A removed member gets no new traffic.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd wrk python3 curl

start_backend b1 0 http; p1=$BACKEND_PORT
start_backend b2 0 http; p2=$BACKEND_PORT
start_backend b3 0 http; p3=$BACKEND_PORT
vip=$(free_port)
write_pool "$T/a.json" "$vip" HTTP ROUND_ROBIN "m1:$p1" "m2:$p2"
write_pool "$T/b.json" "$vip" HTTP ROUND_ROBIN "m1:$p1:3" "m2:$p2" "m3:$p3"
write_pool "$T/c.json" "$vip" HTTP LEAST_CONNECTIONS "m2:$p2:2" "m3:$p3"
cp "$T/a.json" "$T/pool.json"
start_lbproxy "$T/pool.json" -w 2

bg_run wrk wrk -t2 -c20 -d8s --timeout 5s "http://127.0.0.1:$vip/"
wrk_pid=$BG_PID
sleep 0.5
t0=$(date +%s%N)
i=0
while kill -0 "$wrk_pid" 2>/dev/null && [ $i -lt 30 ]; do
	case $((i % 3)) in
	0) cp "$T/b.json" "$T/pool.json.new" ;;
	1) cp "$T/c.json" "$T/pool.json.new" ;;
	2) cp "$T/a.json" "$T/pool.json.new" ;;
	esac
	mv "$T/pool.json.new" "$T/pool.json"
	if [ $((i % 2)) = 0 ]; then kill -HUP "$LB_PID"; else kill -USR2 "$LB_PID"; fi
	i=$((i + 1))
	sleep 0.2
done
wait_gone "$wrk_pid" 15 || fail "wrk did not finish"
cat "$T/wrk.log"
note "$i reloads during the wrk run"
assert_between "$i" 10 100 "reloads during the run"
reqs=$(awk '/requests in/ {print $1}' "$T/wrk.log")
assert_between "${reqs:-0}" 1000 100000000 "requests completed"
if grep -q "Socket errors" "$T/wrk.log"; then fail "socket errors during reloads: $(grep 'Socket errors' "$T/wrk.log")"; fi
if grep -q "Non-2xx" "$T/wrk.log"; then fail "non-2xx during reloads: $(grep 'Non-2xx' "$T/wrk.log")"; fi
assert_eq "$i" "$(grep -c 'reloaded: generation' "$T/lbproxy.log")" "every reload logged as applied"

# the last file applied was c.json (m1 removed): m1 gets nothing new
cp "$T/c.json" "$T/pool.json"; kill -HUP "$LB_PID"
wait_until 5 grep -q "generation $((i + 2))" "$T/lbproxy.log" || fail "final reload not applied"
for n in $(seq 1 12); do http_get "http://127.0.0.1:$vip/"; done >"$T/after.out"
assert_eq 0 "$(count_lines b1 "$T/after.out")" "removed member still got requests"
assert_eq 12 "$(( $(count_lines b2 "$T/after.out") + $(count_lines b3 "$T/after.out") ))" "all requests served"

# a bad file: reported with its JSON path, old config stays
echo '{"vip": {"id": "v"}, "pool": {"id": "p", "lb_method": "NOPE"}, "members": []}' >"$T/pool.json"
kill -HUP "$LB_PID"
wait_until 5 grep -q "reload failed" "$T/lbproxy.log" || fail "bad reload not reported"
grep -q "pool.lb_method" "$T/lbproxy.log" || fail "bad reload error lacks the JSON path"
for n in $(seq 1 6); do http_get "http://127.0.0.1:$vip/"; done >"$T/bad.out"
assert_eq 6 "$(( $(count_lines b2 "$T/bad.out") + $(count_lines b3 "$T/bad.out") ))" "old config still serving"

# a changed VIP port rebinds; the old port stops listening at once although a
# keep-alive client of the old config is still connected (and still served)
vip2=$(free_port)
write_pool "$T/pool.json" "$vip2" HTTP ROUND_ROBIN "m1:$p1"
python3 - "$vip" "$vip2" "$LB_PID" <<'PY' || fail "VIP move broke the old keep-alive client"
import http.client, os, signal, socket, sys, time
old, new, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", old, timeout=5)
c.request("GET", "/"); r = c.getresponse(); r.read(); assert r.status == 200
os.kill(pid, signal.SIGHUP)
for i in range(100):
    try:
        socket.create_connection(("127.0.0.1", new), timeout=1).close()
        break
    except OSError:
        time.sleep(0.05)
time.sleep(0.2)
try:
    socket.create_connection(("127.0.0.1", old), timeout=1).close()
    raise SystemExit("old VIP port still accepts")
except ConnectionRefusedError:
    pass
c.request("GET", "/"); r = c.getresponse(); r.read(); assert r.status == 200
PY
assert_eq "b1" "$(http_get "http://127.0.0.1:$vip2/")" "new VIP serves"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "reload test done in ${ms} ms"
stop_lbproxy
assert_eq 0 "$LB_STATUS" "exit status"
