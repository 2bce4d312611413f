#!/bin/sh
# lb-netns-down.sh [--fast] NAME
#
# Undo lb-netns-up.sh NAME: stop lbproxy through its pidfile (SIGUSR1, a
# graceful stop: the VIP stops accepting, requests in flight finish; after
# LB_STOP_TIMEOUT seconds SIGTERM, then SIGKILL), delete the namespace
# (which deletes the veth pair with it), remove the state files this
# script family wrote. The pool file itself belongs to the orchestrator
# and is left alone. --fast: SIGTERM straight away.
#
# Safe to run twice, and on a half-built load balancer.
#
# Environment: LB_STATE_ROOT (default /var/lib/lbproxy), LB_STOP_TIMEOUT
# (default 35: the default lbproxy.timeouts_ms.drain of 30 s, plus margin).
set -eu

prog=${0##*/}
fast=
if [ "${1:-}" = --fast ]; then
	fast=1
	shift
fi
[ $# -eq 1 ] || { echo "usage: $prog [--fast] NAME" >&2; exit 1; }
name=$1
case $name in
''|*[!A-Za-z0-9_.-]*|.*) echo "$prog: bad NAME '$name'" >&2; exit 1 ;;
esac
state=${LB_STATE_ROOT:-/var/lib/lbproxy}/$name
timeout=${LB_STOP_TIMEOUT:-35}

LB_HOST_IF=
LB_HOST_NETNS=
if [ -f "$state/lb.env" ]; then
	# shellcheck disable=SC1091 # written by lb-netns-up.sh
	. "$state/lb.env"
fi

# True while $1 is a running lbproxy (not a recycled pid).
is_lbproxy() {
	[ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = lbproxy ]
}

# Wait up to $2 seconds for pid $1 to go away.
wait_gone() {
	n=$(($2 * 10))
	while is_lbproxy "$1"; do
		[ "$n" -gt 0 ] || return 1
		n=$((n - 1))
		sleep 0.1
	done
}

rc=0
pid=
if [ -s "$state/pid" ]; then
	pid=$(cat "$state/pid")
	case $pid in
	''|*[!0-9]*) pid= ;;
	esac
fi
if [ -n "$pid" ] && is_lbproxy "$pid"; then
	if [ -z "$fast" ]; then
		kill -USR1 "$pid" 2>/dev/null || true
		wait_gone "$pid" "$timeout" ||
		    echo "$prog: $name: lbproxy $pid still draining after ${timeout}s, stopping it" >&2
	fi
	if is_lbproxy "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		wait_gone "$pid" 5 || { kill -KILL "$pid" 2>/dev/null || true; rc=2; }
	fi
fi
rm -f "$state/pid"

if [ -e "/var/run/netns/$name" ]; then
	# Anything else still in there keeps the namespace alive: say so.
	left=$(ip netns pids "$name" 2>/dev/null | tr '\n' ' ')
	if [ -n "$left" ]; then
		echo "$prog: $name: processes still inside: $left" >&2
		rc=2
	fi
	ip netns del "$name" || rc=2
fi
# The veth pair goes with the namespace; a half-built one may be left.
if [ -n "$LB_HOST_IF" ]; then
	if [ -n "$LB_HOST_NETNS" ]; then
		ip -n "$LB_HOST_NETNS" link del "$LB_HOST_IF" 2>/dev/null || true
	else
		ip link del "$LB_HOST_IF" 2>/dev/null || true
	fi
fi
rm -f "$state/lb.env"
rmdir "$state" 2>/dev/null || true	# kept if the pool file lives there
[ "$rc" -ne 0 ] || echo "$name: down"
exit "$rc"
