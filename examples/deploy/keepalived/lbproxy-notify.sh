#!/bin/sh
# lbproxy-notify.sh DIR TYPE NAME STATE [PRIORITY]   (keepalived notify)
# lbproxy-notify.sh DIR check                        (vrrp_script)
# lbproxy-notify.sh DIR start                        (by hand)
#
# Glue between keepalived (VRRP owns the VIP) and the lbproxy serving that
# VIP on this node. DIR is the load balancer's directory, e.g.
# /var/lib/lbproxy/web1, holding:
#   pool.json     the pool (required)
#   pid           lbproxy's pidfile (written by lbproxy -p)
#   lbproxy.env   optional, shell assignments, the file the systemd unit
#                 reads too: LBPROXY (binary, default lbproxy), LBPROXY_OPTS
#                 (extra options), LBPROXY_UNIT (e.g. lbproxy@web1: manage
#                 lbproxy through systemctl instead of the pidfile),
#                 LB_NOTIFY_LOG (default DIR/notify.log)
#
# keepalived appends TYPE (INSTANCE or GROUP), NAME, STATE and PRIORITY to
# the notify command. On:
#   MASTER  make sure lbproxy runs, and runs the current pool file (checked,
#           then SIGHUP: the file may have changed while this node was
#           standby). Nothing needs binding: lbproxy's VIP listener uses
#           IP_FREEBIND, so it has been listening on the VIP all along and
#           serves as soon as keepalived adds the address.
#   BACKUP  make sure lbproxy runs (a warm standby takes over at once).
#   FAULT   make sure lbproxy runs: the usual fault is the track_script
#           saying lbproxy died (or, at boot, that it is not started yet).
#           Once it runs, the check passes `rise` times, the node returns
#           to BACKUP and, if it has the higher priority, takes the VIP back
#           (preemption). If lbproxy cannot start (bad pool file), the node
#           stays in FAULT and the log says why. Under systemd
#           (LBPROXY_UNIT) this is `systemctl start`, a no-op while
#           Restart=on-failure is already at it.
#   STOP    log only (keepalived is shutting down).
# Every transition is logged to LB_NOTIFY_LOG and, if logger(1) exists, to
# syslog.
#
# `check` exits 0 while lbproxy runs (for vrrp_script + track_script: a
# node whose lbproxy died gives up the VIP); `start` makes sure it runs.
#
# keepalived runs this as root (script_user) from its own network
# namespace, so lbproxy started from here lands in the right one.
set -u

[ $# -ge 2 ] || { echo "usage: ${0##*/} DIR TYPE NAME STATE [PRIORITY] | DIR check | DIR start" >&2; exit 1; }
dir=$1
shift
LBPROXY=lbproxy
LBPROXY_OPTS=
LBPROXY_UNIT=
LB_NOTIFY_LOG=$dir/notify.log
if [ -f "$dir/lbproxy.env" ]; then
	# shellcheck disable=SC1091 # the operator's file
	. "$dir/lbproxy.env"
fi
pool=$dir/pool.json
pidfile=$dir/pid

log() {
	printf '%s %s: %s\n' "$(date '+%Y-%m-%dT%H:%M:%S')" "${dir##*/}" "$*" >>"$LB_NOTIFY_LOG"
	if command -v logger >/dev/null 2>&1; then
		logger -t lbproxy-notify -- "${dir##*/}: $*" 2>/dev/null || true
	fi
}

# Print the pid of the running lbproxy; status 1 if there is none.
running_pid() {
	if [ -n "$LBPROXY_UNIT" ]; then
		systemctl is-active --quiet "$LBPROXY_UNIT" || return 1
		systemctl show -p MainPID --value "$LBPROXY_UNIT"
		return 0
	fi
	p=$(cat "$pidfile" 2>/dev/null) || return 1
	case $p in
	''|*[!0-9]*) return 1 ;;
	esac
	# not a recycled pid: it must be an lbproxy
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = lbproxy ] || return 1
	echo "$p"
}

# Start lbproxy unless it runs; say what happened.
ensure_running() {
	if p=$(running_pid); then
		echo "lbproxy running (pid $p)"
		return 0
	fi
	if [ -n "$LBPROXY_UNIT" ]; then
		systemctl start "$LBPROXY_UNIT" || { echo "systemctl start $LBPROXY_UNIT failed"; return 1; }
	else
		# shellcheck disable=SC2086 # LBPROXY_OPTS is a list of words
		"$LBPROXY" -c "$pool" -D -p "$pidfile" $LBPROXY_OPTS 2>&1 ||
		    { echo "lbproxy failed to start (status $?)"; return 1; }
		# -D returns once bound; the daemon writes its pidfile just after.
		i=0
		until p=$(running_pid); do
			i=$((i + 1))
			[ $i -le 30 ] || { echo "lbproxy started but wrote no pidfile"; return 1; }
			sleep 0.1
		done
	fi
	echo "lbproxy started (pid $(running_pid))"
}

# Make the running lbproxy use the pool file as it is now.
reload() {
	p=$(running_pid) || return 0
	if "$LBPROXY" -t -c "$pool" >/dev/null 2>&1; then
		kill -HUP "$p" && echo "reloaded (pid $p)"
	else
		echo "pool file does not check, running config kept: $("$LBPROXY" -t -c "$pool" 2>&1 | head -n 1)"
	fi
}

case $1 in
check)
	running_pid >/dev/null
	exit
	;;
start)
	log "start: $(ensure_running)"
	running_pid >/dev/null
	exit
	;;
INSTANCE|GROUP)
	[ $# -ge 3 ] || { echo "${0##*/}: $1 needs NAME STATE" >&2; exit 1; }
	name=$2
	state=$3
	prio=${4:-}
	;;
*)
	echo "${0##*/}: unknown action $1" >&2
	exit 1
	;;
esac

what="$name -> $state${prio:+ (priority $prio)}"
case $state in
MASTER)
	msg=$(ensure_running)
	case $msg in
	*"running (pid"*) msg="$msg; $(reload)" ;;
	esac
	log "$what: $msg"
	;;
BACKUP|FAULT)
	log "$what: $(ensure_running)"
	;;
STOP|*)
	log "$what"
	;;
esac
exit 0
