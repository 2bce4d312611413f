#!/bin/bash
# t_status_page: the live status page on the metrics listener (issue 14),
# in a real browser. Headless Chromium loads "/", its script fetches
# status.json and draws the frontend, the backend and both members; a
# screenshot is taken (kept as tests/e2e/t_status_page.png in the build
# tree, and t_status_page-down.png at the end) and the DOM after the script ran shows both members UP, then, once
# one member's backend is stopped and its checks fail, that member DOWN.
# curl checks the JSON. Skips without chromium.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
e2e_init
need_cmd curl python3
CHROMIUM=${CHROMIUM:-}
for c in chromium chromium-browser google-chrome; do
	[ -n "$CHROMIUM" ] || ! command -v "$c" >/dev/null 2>&1 || CHROMIUM=$c
done
[ -n "$CHROMIUM" ] || skip "needs chromium (Debian package chromium)"

start_backend m1 0 http -q
p1=$BACKEND_PORT
start_backend m2 0 http -q
p2=$BACKEND_PORT
vport=$(free_port)
mport=$(free_port)
POOL_EXTRA='"healthmonitors": [{"id": "hm1", "type": "HTTP", "delay": 1, "timeout": 1,
    "max_retries": 1, "url_path": "/health", "expected_codes": "200"}]' \
LB_EXTRA='"metrics": {"listen": "127.0.0.1:'"$mport"'"}, "health": {"rise": 1}' \
    write_pool "$T/pool.json" "$vport" HTTP ROUND_ROBIN m1:"$p1" m2:"$p2"
start_lbproxy "$T/pool.json" -w 1
url="http://127.0.0.1:$mport/"

# status.json's status and check result of pool member $1, "UP L7OK"
member_status() {
	curl -s --max-time 5 "${url}status.json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [r for r in d["rows"] if r["svname"] == sys.argv[1]][0]
print(r["status"], r.get("check_status"))' "$1"
}
member_is() {
	[ "$(member_status "$1" 2>/dev/null)" = "$2" ]
}
wait_until 10 member_is m1 "UP L7OK" || fail "m1 not UP: $(member_status m1)"
wait_until 10 member_is m2 "UP L7OK" || fail "m2 not UP: $(member_status m2)"
for i in 1 2 3 4 5 6; do
	http_get "http://127.0.0.1:$vport/" >/dev/null
done

note "status.json"
curl -s --max-time 5 -D "$T/json.head" "${url}status.json" >"$T/status.json"
assert_contains "$(cat "$T/json.head")" "Content-Type: application/json"
python3 - "$T/status.json" <<'PY' || fail "status.json: $(cat "$T/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
rows = {r["svname"]: r for r in d["rows"]}
assert set(rows) == {"FRONTEND", "m1", "m2", "BACKEND"}, rows.keys()
assert rows["FRONTEND"]["pxname"] == "vip1" and rows["FRONTEND"]["status"] == "OPEN"
assert rows["BACKEND"]["pxname"] == "pool1" and rows["BACKEND"]["status"] == "UP"
assert rows["m1"]["check_status"] == "L7OK" and rows["m1"]["weight"] == 1
assert rows["FRONTEND"]["req_tot"] == 6, rows["FRONTEND"]
assert sum(d["latency"]["counts"]) >= 6 and len(d["latency"]["le_ms"]) == 13
assert d["info"]["Name"] == "lbproxy" and d["info"]["Pid"] > 0
PY

# chrome ARGS...: headless Chromium on the page, 60 s at most
chrome() {
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
	    --disable-dev-shm-usage --user-data-dir="$T/chrome" --window-size=1280,800 \
	    "$@" "$url" 2>>"$T/chromium.log"
}
# the DOM once the page's script has polled a few times (virtual time: 4 s)
dom() {
	chrome --virtual-time-budget=4000 --dump-dom >"$T/dom.html" || true
}
# the data-status of the member row data-id=pool1/$1 in $T/dom.html
dom_status() {
	python3 - "$T/dom.html" "$1" <<'PY'
import html.parser, sys

class P(html.parser.HTMLParser):
    found = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("data-id") == "pool1/" + sys.argv[2]:
            self.found = a.get("data-status")

p = P()
p.feed(open(sys.argv[1]).read())
print(p.found or "")
PY
}
polls() {
	sed -n 's/.*<body data-polls="\([0-9]*\)".*/\1/p' "$T/dom.html"
}

note "Chromium: screenshot"
shot=$T/status.png
(cd "$T" && chrome --virtual-time-budget=3000 --screenshot="$shot") >/dev/null ||
    fail "chromium --screenshot failed: $(tail -5 "$T/chromium.log")"
[ -s "$shot" ] || fail "no screenshot"
size=$(wc -c <"$shot")
note "screenshot: $size bytes"
assert_eq "89504e47" "$(od -An -tx1 -N4 "$shot" | tr -d ' \n')" "the screenshot is a PNG"
# a blank 1280x800 page compresses to a few KiB; tables and colours take more
assert_between "$size" 20000 5000000 "screenshot size"
if [ -d tests/e2e ]; then
	cp "$shot" tests/e2e/t_status_page.png
fi

note "Chromium: both members UP in the DOM"
dom
assert_eq "UP" "$(dom_status m1)" "m1 in the page"
assert_eq "UP" "$(dom_status m2)" "m2 in the page"
assert_between "$(polls)" 2 100 "the page refreshed itself from status.json"
assert_contains "$(cat "$T/dom.html")" 'data-id="vip1" data-status="OPEN"'
assert_contains "$(cat "$T/dom.html")" '<section class="backend" data-id="pool1">'

note "m2's backend stops: the page shows it DOWN"
stop_backend m2
wait_until 10 member_is m2 "DOWN L4CON" || fail "m2 not DOWN: $(member_status m2)"
dom
assert_eq "DOWN" "$(dom_status m2)" "m2 DOWN in the page"
assert_eq "UP" "$(dom_status m1)" "m1 still UP in the page"
assert_match "$(cat "$T/dom.html")" 'data-id="pool1/m2" data-status="DOWN" data-check="L4CON"'
if [ -d tests/e2e ]; then
	(cd "$T" && chrome --virtual-time-budget=3000 --screenshot="$T/down.png") >/dev/null &&
	    cp "$T/down.png" tests/e2e/t_status_page-down.png
fi
note "ok"
