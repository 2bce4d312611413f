#!/bin/bash
# t_package: the Debian package (debian/).
#  - dpkg-buildpackage -us -uc -b, on a copy of the source tree in $T,
#    builds lbproxy_<configure.ac's version>_<arch>.deb (skipped, naming
#    it, where dpkg-buildpackage or a Build-Depends is missing);
#  - its file list (dpkg-deb -c) holds /usr/sbin/lbproxy, lbproxy.8 and
#    lbproxy.json.5, the lbproxy@.service template unit, every file of
#    examples/ (the unit's netns drop-in among them) under
#    /usr/share/doc/lbproxy/examples and the state directory
#    /var/lib/lbproxy; not the headers nor lbtest-backend;
#  - lintian (where installed) reports no error;
#  - dpkg -i installs it, as root, in private mount, network and pid
#    namespaces where /etc, /usr and /var are overlays whose upper layers
#    live on a tmpfs there and /run is an empty tmpfs: this machine's
#    files, dpkg database and users are never written, and all goes away
#    with the namespaces. There: postinst made the lbproxy system user
#    and group and gave /var/lib/lbproxy to them; the installed unit and
#    examples are the tree's files, unchanged; the installed unit's
#    ExecStartPre, ExecStart (under its CapabilityBoundingSet and
#    NoNewPrivileges) and ExecStop run by hand (tests/e2e/unitlib.sh) on
#    the installed examples/quickstart.json, its members played by
#    lbtest-backend: both members answer through it, ExecStop stops it
#    with exit status 0; dpkg --purge removes it.
#  - afterwards, this machine's dpkg status of lbproxy and its users are
#    what they were before.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Building the package compiles lbproxy and the unit tests once more.
E2E_TIMEOUT=${E2E_TIMEOUT:-240}
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"
. "$(dirname "${E2E_LIB:-$0}")/unitlib.sh"

PKG=/usr/share/doc/lbproxy/examples
UNIT=/lib/systemd/system/lbproxy@.service

# The ids, addresses and ports of the members of pool file $1, one a line.
pool_members() {
	python3 -c '
import json, sys
for m in json.load(open(sys.argv[1]))["members"]:
    print(m["id"], m["address"], m["protocol_port"])' "$1"
}

# The vip's port of pool file $1.
pool_vip_port() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vip"]["protocol_port"])' "$1"
}

# Mount what dpkg -i may write (/etc, /usr, /var) as overlays whose upper
# layers are on a tmpfs at $1 (a directory the outer test removes), and
# an empty /run (no host systemd or D-Bus to talk to). Skip where
# overlays cannot be made.
private_root() {
	local ov=$1 d

	mount -t tmpfs lbe2e-pkg "$ov" 2>/dev/null || skip "cannot mount a tmpfs"
	for d in etc usr var; do
		mkdir -p "$ov/$d.up" "$ov/$d.work"
		mount -t overlay lbe2e-pkg \
		    -o "lowerdir=/$d,upperdir=$ov/$d.up,workdir=$ov/$d.work" "/$d" \
		    2>/dev/null || skip "cannot mount an overlay on /$d"
	done
	mount -t tmpfs lbe2e-pkg /run || fail "cannot mount a tmpfs on /run"
}

# The installation, run inside the namespaces: PKG_DEB is the package,
# PKG_SRC the tree it was built from, PKG_OV the directory for the tmpfs.
install_and_run() {
	local pw uid gid home shell dir vip id addr port names=() got bnd

	need_cmd ip setpriv
	private_root "$PKG_OV"
	ip link set lo up

	dpkg -i "$PKG_DEB" >"$T/dpkg.log" 2>&1 || fail "dpkg -i: $(tail -n 20 "$T/dpkg.log")"
	assert_eq "install ok installed" "$(dpkg-query -W -f '${Status}' lbproxy)" "dpkg status"

	# postinst: the system user and group, the state directory.
	pw=$(getent passwd lbproxy) || fail "postinst made no lbproxy user"
	IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
	assert_between "$uid" 1 999 "lbproxy is a system user"
	assert_eq "lbproxy" "$(getent group "$gid" | cut -d: -f1)" "lbproxy's group"
	assert_eq "/var/lib/lbproxy" "$home" "lbproxy's home"
	assert_eq "/usr/sbin/nologin" "$shell" "lbproxy's shell"
	assert_eq "lbproxy:lbproxy 755" "$(stat -c '%U:%G %a' /var/lib/lbproxy)" \
	    "/var/lib/lbproxy"

	# The files of the tree, not copies that could drift.
	cmp "$PKG_SRC/examples/deploy/systemd/lbproxy@.service" "$UNIT" ||
	    fail "installed unit differs from examples/deploy/systemd/lbproxy@.service"
	diff -r "$PKG_SRC/examples" "$PKG" >"$T/examples.diff" 2>&1 ||
	    fail "installed examples differ: $(head -n 5 "$T/examples.diff")"
	if _have systemd-analyze; then
		systemd-analyze verify --man=no "/lib/systemd/system/lbproxy@$inst.service" \
		    >"$T/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify.log")"
		assert_eq "" "$(cat "$T/verify.log")" "systemd-analyze verify of the installed unit"
	fi

	# An instance, as the unit's header says: a root-owned 0750 directory.
	dir=/var/lib/lbproxy/$inst
	install -d -m 0750 "$dir"
	cp "$PKG/quickstart.json" "$dir/pool.json"
	vip=$(pool_vip_port "$dir/pool.json")
	while read -r id addr port; do
		[ "$addr" = 127.0.0.1 ] || fail "quickstart.json: member $id is not on 127.0.0.1"
		start_backend "$id" "$port" http
		names+=("$id")
	done < <(pool_members "$dir/pool.json")
	[ ${#names[@]} -ge 2 ] || fail "quickstart.json has fewer than two members"

	run_control ExecStartPre "$UNIT" || fail "ExecStartPre: $(tail -n 3 "$T/unit.log")"
	start_main "$UNIT"
	wait_port "$vip" || fail "ExecStart did not bind port $vip: $(tail -n 3 "$T/unit.log")"
	assert_eq /usr/sbin/lbproxy "$(readlink "/proc/$MAINPID/exe")" "the packaged binary runs"
	# start_main applied the unit's bounding set (t_deploy_systemd checks
	# what the set is).
	bnd=$("${SETPRIV[@]}" sed -n 's/^CapBnd:\s*//p' /proc/self/status)
	assert_ne "$(sed -n 's/^CapBnd:\s*//p' /proc/self/status)" "$bnd" "the unit restricts capabilities"
	assert_eq "$bnd" "$(sed -n 's/^CapBnd:\s*//p' "/proc/$MAINPID/status")" \
	    "ExecStart under the unit's bounding set"
	got=$(for id in "${names[@]}"; do echo "$(http_get "http://127.0.0.1:$vip/")"; done | sort)
	assert_eq "$(printf '%s\n' "${names[@]}" | sort)" "$got" "every member answers through the unit"

	run_control ExecStop "$UNIT" || fail "ExecStop: $(tail -n 3 "$T/unit.log")"
	kill -0 "$MAINPID" 2>/dev/null && fail "ExecStop returned while lbproxy still runs"
	reap_main || fail "lbproxy did not exit"
	[ "$MAIN_STATUS" -eq 0 ] ||
	    fail "exit status after ExecStop: $MAIN_STATUS: $(tail -n 5 "$T/unit.log")"

	rm -r "$dir"
	dpkg --purge lbproxy >>"$T/dpkg.log" 2>&1 || fail "dpkg --purge: $(tail -n 20 "$T/dpkg.log")"
	[ ! -e /usr/sbin/lbproxy ] || fail "/usr/sbin/lbproxy left after purge"
	[ ! -e "$UNIT" ] || fail "$UNIT left after purge"
	note "installed, ran the unit on quickstart.json, purged"
}

# What dpkg and the user database say of lbproxy on this machine.
host_state() {
	dpkg-query -W -f '${Status}' lbproxy 2>&1
	getent passwd lbproxy
	getent group lbproxy
	return 0
}

inst=lbpkg-$$
localize() {
	cat
}

if [ -n "${PKG_DEB:-}" ]; then
	e2e_init
	install_and_run
	exit 0
fi

e2e_init
need_cmd dpkg-buildpackage dpkg-checkbuilddeps dpkg-deb python3 curl

# A copy of the tree: git's files as they are in the working tree where
# TOP_SRCDIR is a checkout, else everything but build directories.
src=$T/src
mkdir -p "$src"
top=$(git -C "$TOP_SRCDIR" rev-parse --show-toplevel 2>/dev/null) || top=
if [ -n "$top" ] && [ "$top" = "$(cd "$TOP_SRCDIR" && pwd -P)" ]; then
	(cd "$TOP_SRCDIR" && git ls-files -z -co --exclude-standard |
	    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	    tar --null -T - -cf -) | tar -C "$src" -xf -
else
	tar -C "$TOP_SRCDIR" --exclude=./.git --exclude='./build*' --exclude=./_build \
	    --exclude=./_inst -cf - . | tar -C "$src" -xf -
fi
[ -f "$src/debian/control" ] || fail "no debian/control in the copy of $TOP_SRCDIR"

unmet=$(cd "$src" && dpkg-checkbuilddeps 2>&1) ||
    skip "Build-Depends missing: ${unmet##*dependencies: }"

version=$(sed -n 's/^AC_INIT(\[lbproxy\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
arch=$(dpkg --print-architecture)
deb=$T/lbproxy_${version}_${arch}.deb
# Not the outer make's flags and jobserver, nor its command-line variables.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
    DEB_BUILD_OPTIONS="parallel=2 noautodbgsym" dpkg-buildpackage -us -uc -b) \
    >"$T/build.log" 2>&1 || fail "dpkg-buildpackage: $(tail -n 30 "$T/build.log")"
[ -f "$deb" ] || fail "no $(basename "$deb") (configure.ac's version) in: $(cd "$T" && echo *.deb)"
grep -q '^PASS: tests/unit/' "$T/build.log" || fail "dh_auto_test ran no unit test"
grep -q '^PASS: tests/e2e/' "$T/build.log" && fail "dh_auto_test ran end-to-end tests"

# The file list.
dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' >"$T/files"
files=$(awk '{ print $3 }' "$T/files")
assert_match "$(cat "$T/files")" '^-rwxr-xr-x root/root \./usr/sbin/lbproxy$' "the binary"
for f in usr/share/man/man8/lbproxy.8.gz usr/share/man/man5/lbproxy.json.5.gz \
    lib/systemd/system/lbproxy@.service var/lib/lbproxy/ usr/share/doc/lbproxy/copyright \
    $(cd "$src/examples" && find . -type f | sed 's#^\./#usr/share/doc/lbproxy/examples/#'); do
	assert_match "$files" "^\./$f\$" "package holds /$f"
done
assert_contains "$files" "examples/deploy/systemd/lbproxy@.service.d/netns.conf" "the netns drop-in"
assert_not_contains "$files" "usr/include" "no headers"
assert_not_contains "$files" "lbtest-backend" "no test backend"
note "$(wc -l <"$T/files") entries in $(basename "$deb")"

if _have lintian; then
	lintian --fail-on error -I -E --pedantic "$T/lbproxy_${version}_${arch}.changes" \
	    >"$T/lintian.log" 2>&1 || fail "lintian: $(cat "$T/lintian.log")"
	note "lintian: $(grep -c '^[EWIPXO]: ' "$T/lintian.log") tags"
	sed -n 's/^[EWIPXO]: /# &/p' "$T/lintian.log"
else
	note "lintian is missing: package not checked"
fi

# Install it, and run the unit, in namespaces of its own.
[ "$(id -u)" -eq 0 ] || skip "built and checked; installing needs root"
_have unshare || skip "built and checked; installing needs unshare"
before=$(host_state)
mkdir "$T/ov"
PKG_DEB=$deb PKG_SRC=$src PKG_OV=$T/ov E2E_TIMEOUT=120 bg_run install unshare \
    --mount --net --pid --fork --mount-proc --kill-child --propagation private bash "$0"
rc=0
wait "$BG_PID" || rc=$?
grep '^# ' "$T/install.log" || true
after=$(host_state)
assert_eq "$before" "$after" "this machine's lbproxy status and users after the test"
[ "$rc" -ne 77 ] || skip "built and checked; not installed: $(sed -n 's/^SKIP: //p' "$T/install.log")"
[ "$rc" -eq 0 ] || fail "install and run (exit $rc)"
