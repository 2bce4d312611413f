#!/bin/sh
# lb-netns-reload.sh NAME [NEW_POOL_JSON]
#
# Apply a changed pool to the lbproxy that lb-netns-up.sh NAME started,
# without dropping a connection (SIGHUP: in-process reload).
#
# With NEW_POOL_JSON: check it with `lbproxy -t`; if it is bad, exit 1 and
# change nothing (the pool file on disk and the running config stay as
# they were); if it is good, copy it over the registered pool file (atomic
# rename, so the file on disk always matches what runs) and send SIGHUP.
# Keep NEW_POOL_JSON in the same directory as the pool file when it names
# files by relative path (certificates, stats socket): they resolve against
# the file's own directory.
#
# Without: check the registered pool file in place, then SIGHUP.
#
# lbproxy checks the file again itself and keeps the running config if it
# is bad, so a file that changed between the check and the signal is
# still safe; the check here is what gives the caller an exit status.
#
# Environment: LBPROXY (default lbproxy), LB_STATE_ROOT (default
# /var/lib/lbproxy). Exit status: 0 reloaded, 1 bad file or usage,
# 2 not running.
set -eu

prog=${0##*/}
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $prog NAME [NEW_POOL_JSON]" >&2; exit 1; }
name=$1
new=${2:-}
case $name in
''|*[!A-Za-z0-9_.-]*|.*) echo "$prog: bad NAME '$name'" >&2; exit 1 ;;
esac
lbproxy=${LBPROXY:-lbproxy}
state=${LB_STATE_ROOT:-/var/lib/lbproxy}/$name

[ -f "$state/lb.env" ] || { echo "$prog: $name is not up ($state/lb.env)" >&2; exit 2; }
LB_POOL=
# shellcheck disable=SC1091 # written by lb-netns-up.sh
. "$state/lb.env"
pid=$(cat "$state/pid" 2>/dev/null || true)
case $pid in
''|*[!0-9]*) echo "$prog: $name: no pidfile $state/pid" >&2; exit 2 ;;
esac
[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = lbproxy ] ||
    { echo "$prog: $name: lbproxy (pid $pid) is not running" >&2; exit 2; }

if [ -n "$new" ]; then
	"$lbproxy" -t -c "$new" >/dev/null || exit 1
	cp "$new" "$LB_POOL.$$.tmp"
	mv "$LB_POOL.$$.tmp" "$LB_POOL"
else
	"$lbproxy" -t -c "$LB_POOL" >/dev/null || exit 1
fi
kill -HUP "$pid"
echo "$name: reload sent to lbproxy $pid"
