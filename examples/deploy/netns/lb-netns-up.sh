#!/bin/sh
# lb-netns-up.sh NAME VIP_CIDR POOL_JSON
#
# What an orchestrator (the Neutron LBaaS haproxy namespace driver, the
# Contrail vrouter agent, a script) does to bring up one load balancer:
#
#   1. check the pool file (lbproxy -t) before touching anything;
#   2. create the network namespace NAME with lo up;
#   3. create a veth pair: the "host" end stays outside (in the namespace
#      this script runs in, or LB_HOST_NETNS), the other end goes into NAME
#      as LB_IFNAME (default eth0);
#   4. put VIP_CIDR on the inner end, an address of the same subnet on the
#      host end (or enslave the host end to the bridge LB_BRIDGE), bring
#      both up and route the namespace's default traffic via the host end;
#   5. start lbproxy --netns NAME -c POOL_JSON -D -p STATE/pid (lbproxy
#      enters the namespace itself, no `ip netns exec`), and wait for the
#      pidfile.
#
# Any failure undoes what was done so far. lb-netns-down.sh NAME undoes it
# all; lb-netns-reload.sh NAME [NEW_POOL_JSON] checks and reloads.
#
# Environment (all optional):
#   LBPROXY        lbproxy binary (default: lbproxy from $PATH)
#   LB_STATE_ROOT  per-load-balancer state lives in $LB_STATE_ROOT/NAME:
#                  pid, lb.env (default /var/lib/lbproxy, the directory the
#                  systemd unit uses too; POOL_JSON is usually
#                  $LB_STATE_ROOT/NAME/pool.json but may be anywhere)
#   LB_HOST_NETNS  namespace that holds the host end of the veth (default:
#                  the current one, i.e. the host)
#   LB_BRIDGE      attach the host end to this existing bridge instead of
#                  giving it an address (as Neutron plugs a tap into br-int)
#   LB_HOST_CIDR   address of the host end (default: the first usable
#                  address of VIP_CIDR's subnet that is not the VIP, IPv4
#                  only; "none" = no address)
#   LB_GATEWAY     default route inside NAME (default: the host end's
#                  address; "none" = no default route)
#   LB_IFNAME      interface name inside NAME (default eth0)
#   LBPROXY_OPTS   extra lbproxy options, e.g. "-w 2"
#
# Exit status: 0 up, 1 usage or bad pool file, 2 setup or start failure.
set -eu

prog=${0##*/}

usage() {
	echo "usage: $prog NAME VIP_CIDR POOL_JSON" >&2
	exit 1
}

die() {
	echo "$prog: $*" >&2
	exit 2
}

bad() {
	echo "$prog: $*" >&2
	exit 1
}

[ $# -eq 3 ] || usage
name=$1
vip_cidr=$2
pool=$3
lbproxy=${LBPROXY:-lbproxy}
state=${LB_STATE_ROOT:-/var/lib/lbproxy}/$name
host_ns=${LB_HOST_NETNS:-}
bridge=${LB_BRIDGE:-}
ifname=${LB_IFNAME:-eth0}

# NAME becomes a file name and an interface name suffix: keep it tame.
case $name in
''|*[!A-Za-z0-9_.-]*|.*) echo "$prog: bad NAME '$name' (letters, digits, _ . -)" >&2; exit 1 ;;
esac
case $vip_cidr in
*/*) ;;
*) echo "$prog: VIP_CIDR '$vip_cidr' needs a prefix length (10.0.0.10/24)" >&2; exit 1 ;;
esac
vip=${vip_cidr%/*}
plen=${vip_cidr#*/}
# Recorded for lb-netns-reload.sh, which may run from anywhere.
case $pool in
/*) ;;
*) pool=$(pwd)/$pool ;;
esac
[ -r "$pool" ] || { echo "$prog: cannot read $pool" >&2; exit 1; }

# ip(8) in the namespace that holds the host end.
hip() {
	if [ -n "$host_ns" ]; then
		ip -n "$host_ns" "$@"
	else
		ip "$@"
	fi
}

# Print the IPv4 address $1 as an integer.
ip4_to_int() {
	echo "$1" | {
		IFS=. read -r a b c d
		echo $(((a << 24) + (b << 16) + (c << 8) + d))
	}
}

int_to_ip4() {
	echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"
}

# The first usable address of VIP_CIDR's subnet other than the VIP itself.
derive_host_cidr() {
	local_v=$(ip4_to_int "$vip")
	size=$((1 << (32 - plen)))
	net=$((local_v & ~(size - 1) & 0xffffffff))
	if [ "$plen" -ge 31 ]; then
		first=$net			# RFC 3021: both addresses usable
		last=$((net + size - 1))
	else
		first=$((net + 1))
		last=$((net + size - 2))
	fi
	cand=$first
	[ "$cand" -ne "$local_v" ] || cand=$((first + 1))
	if [ "$cand" -gt "$last" ] || [ "$cand" -eq "$local_v" ]; then
		bad "no host address left in $vip_cidr: set LB_HOST_CIDR"
	fi
	echo "$(int_to_ip4 "$cand")/$plen"
}

if [ -n "${LB_HOST_CIDR:-}" ]; then
	host_cidr=$LB_HOST_CIDR
elif [ -n "$bridge" ]; then
	host_cidr=none
else
	case $vip in
	*:*) bad "IPv6 VIP: set LB_HOST_CIDR (or LB_HOST_CIDR=none)" ;;
	esac
	case $plen in
	''|*[!0-9]*) echo "$prog: bad prefix length in $vip_cidr" >&2; exit 1 ;;
	esac
	[ "$plen" -le 31 ] || bad "/$plen VIP: set LB_HOST_CIDR (or LB_HOST_CIDR=none)"
	host_cidr=$(derive_host_cidr)
fi
if [ "$host_cidr" = none ]; then
	gateway=${LB_GATEWAY:-none}
else
	gateway=${LB_GATEWAY:-${host_cidr%/*}}
fi

# Host-end name: unique per NAME and at most 15 characters (IFNAMSIZ).
host_if=lbh$(printf '%s' "$name" | cksum | { read -r sum _; printf '%08x' "$sum"; })

# 1. a bad file changes nothing
"$lbproxy" -t -c "$pool" >/dev/null || exit 1

[ ! -e "/var/run/netns/$name" ] || die "namespace $name exists (lb-netns-down.sh $name first)"
! hip link show "$host_if" >/dev/null 2>&1 || die "interface $host_if exists"
mkdir -p "$state"

# Undo everything on any failure from here on.
created_ns=
created_if=
started=
rollback() {
	rc=$?
	trap - EXIT INT TERM
	[ "$rc" -ne 0 ] || exit 0
	if [ -n "$started" ] && [ -s "$state/pid" ]; then
		kill -TERM "$(cat "$state/pid")" 2>/dev/null || true
	fi
	[ -z "$created_if" ] || hip link del "$host_if" 2>/dev/null || true
	[ -z "$created_ns" ] || ip netns del "$name" 2>/dev/null || true
	rm -f "$state/lb.env" "$state/pid"
	rmdir "$state" 2>/dev/null || true
	echo "$prog: $name: failed, rolled back" >&2
	exit "$rc"
}
trap rollback EXIT
trap 'exit 2' INT TERM

# 2. the namespace
ip netns add "$name" || die "ip netns add $name failed"
created_ns=1
ip -n "$name" link set lo up || die "lo up in $name failed"

# 3. the veth pair, the inner end created directly inside NAME
hip link add "$host_if" type veth peer name "$ifname" netns "$name" ||
    die "cannot create veth $host_if <-> $name/$ifname"
created_if=1

# 4. addresses, links, route
ip -n "$name" addr add "$vip_cidr" dev "$ifname" || die "cannot add VIP $vip_cidr"
ip -n "$name" link set "$ifname" up || die "cannot bring $name/$ifname up"
if [ -n "$bridge" ]; then
	hip link set "$host_if" master "$bridge" || die "cannot attach $host_if to $bridge"
fi
if [ "$host_cidr" != none ]; then
	hip addr add "$host_cidr" dev "$host_if" || die "cannot add $host_cidr to $host_if"
fi
hip link set "$host_if" up || die "cannot bring $host_if up"
if [ "$gateway" != none ]; then
	ip -n "$name" route add default via "$gateway" dev "$ifname" ||
	    die "cannot add the default route via $gateway"
fi

# Remembered for lb-netns-down.sh and lb-netns-reload.sh.
{
	echo "# written by $prog; read by lb-netns-down.sh and lb-netns-reload.sh"
	printf "LB_POOL='%s'\n" "$(printf '%s' "$pool" | sed "s/'/'\\\\''/g")"
	echo "LB_HOST_IF=$host_if"
	echo "LB_HOST_NETNS=$host_ns"
	echo "LB_VIP=$vip_cidr"
} >"$state/lb.env.tmp"
mv "$state/lb.env.tmp" "$state/lb.env"

# 5. lbproxy: binds (IP_FREEBIND), then forks; a bind failure is its exit
# status. The daemon writes the pidfile a moment after the parent returns,
# so wait for it before telling the caller we are up.
rm -f "$state/pid"
started=1
# shellcheck disable=SC2086 # LBPROXY_OPTS is a list of words
"$lbproxy" --netns "$name" -c "$pool" -D -p "$state/pid" ${LBPROXY_OPTS:-} ||
    die "lbproxy failed to start (status $?)"
i=0
while [ ! -s "$state/pid" ]; do
	i=$((i + 1))
	[ $i -le 50 ] || die "lbproxy wrote no pidfile $state/pid"
	sleep 0.1
done
pid=$(cat "$state/pid")
kill -0 "$pid" 2>/dev/null || die "lbproxy (pid $pid) is not running"

trap - EXIT INT TERM
echo "$name: lbproxy pid $pid, VIP $vip_cidr on $name/$ifname, host end $host_if${bridge:+ (bridge $bridge)}"
