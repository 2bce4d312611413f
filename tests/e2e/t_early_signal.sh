#!/bin/bash
# t_early_signal: an orchestrator may send SIGHUP (reload) or SIGUSR1 as
# soon as the VIP listens. The signals are held from the start until their
# handlers exist, so such a signal is acted on, never fatal: with a pool big
# enough that start-up goes on well after the VIP is bound, a SIGHUP sent
# the moment the port listens leaves lbproxy running and reloaded. The
# reload of those 100,000 members is bounded too (matching them by id was
# quadratic: more than a minute).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd python3

vip=$(free_port)
# 100,000 members (no monitor, so nothing is probed or connected)
python3 - "$T/pool.json" "$vip" "$T/sock" <<'PY'
import json, sys
path, vip, sock = sys.argv[1], int(sys.argv[2]), sys.argv[3]
members = [{"id": "m%d" % i, "address": "127.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256),
            "protocol_port": 9} for i in range(100000)]
json.dump({"vip": {"id": "v", "address": "127.0.0.1", "protocol_port": vip, "protocol": "TCP"},
           "pool": {"id": "p", "protocol": "TCP", "lb_method": "ROUND_ROBIN"},
           "members": members, "lbproxy": {"stats_socket": sock}}, open(path, "w"))
PY

# start lbproxy, poll /proc/net/tcp for the listening VIP (no connection
# made), signal it within a millisecond of the bind
bg_run lbproxy "$LBPROXY" -c "$T/pool.json" -w 2
lb=$BG_PID
python3 - "$lb" "$vip" <<'PY' || fail "the VIP never listened"
import os, signal, sys, time
pid, port = int(sys.argv[1]), int(sys.argv[2])
want = ":%04X" % port
deadline = time.time() + 60
while time.time() < deadline:
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(want) and fields[3] == "0A":
                os.kill(pid, signal.SIGHUP)
                sys.exit(0)
    time.sleep(0.001)
sys.exit(1)
PY
reloaded_or_dead() {
	grep -q "reloaded: generation 2" "$T/lbproxy.log" || ! kill -0 "$lb" 2>/dev/null
}
wait_until 60 reloaded_or_dead || fail "no reload after the early SIGHUP"
kill -0 "$lb" 2>/dev/null || fail "lbproxy is gone after the early SIGHUP"
kill -TERM "$lb"
wait_gone "$lb" 30 || fail "lbproxy did not stop on SIGTERM"
rc=0; wait "$lb" || rc=$?
assert_eq 0 "$rc" "exit status after SIGTERM"
