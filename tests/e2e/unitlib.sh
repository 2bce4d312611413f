# unitlib.sh: run a systemd unit's lines by hand, as systemd would, for
# the tests/e2e tests (systemd is not PID 1 there). Source it after lib.sh.
# The caller sets
#	inst		the instance name (%i)
# and defines
#	localize	a filter (stdin to stdout) applied to the unit's
#			commands and paths, e.g. to move /usr/sbin/lbproxy and
#			/var/lib/lbproxy into $T; `cat` where they are real.
# Commands' output goes to $T/unit.log.
#
#   unit_values KEY FILE...	the values of KEY in [Service], one a line
#   unit_value KEY FILE...	its last value
#   sandbox_for FILE...		SETPRIV=(setpriv ... --) for the unit's
#				CapabilityBoundingSet and NoNewPrivileges
#   run_control KEY FILE...	run ExecStartPre, ExecReload or ExecStop
#   start_main FILE...		run ExecStart in the background: MAINPID
#   reap_main			wait for it: MAIN_STATUS

# Values of KEY in the [Service] sections of the unit files given, in
# order, one per line, as systemd reads them: comments and blank lines
# skipped, "\" continuations joined, an empty assignment resets the list,
# %i and %% expanded.
unit_values() {
	python3 - "$inst" "$@" <<'EOF'
import sys
inst, key, files = sys.argv[1], sys.argv[2], sys.argv[3:]
vals = []
for f in files:
    section, pending = None, ""
    for raw in open(f):
        line = raw.rstrip("\n")
        if pending:
            line, pending = pending + line, ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("["):
            section = s.strip("[]")
            continue
        k, _, v = s.partition("=")
        if section != "Service" or k.strip() != key:
            continue
        v = v.strip()
        v = v.replace("%%", "\0").replace("%i", inst).replace("\0", "%")
        if v == "":
            vals = []
        else:
            vals.append(v)
for v in vals:
    print(v)
EOF
}

# The last value of KEY (a single-valued setting).
unit_value() {
	unit_values "$@" | tail -n 1
}


# setpriv arguments for the CapabilityBoundingSet (and NoNewPrivileges)
# of the unit files given; empty where setpriv is missing.
SETPRIV=()
sandbox_for() {
	local caps c arg=-all

	SETPRIV=()
	[ "$(id -u)" -eq 0 ] && _have setpriv || return 0
	caps=$(unit_values CapabilityBoundingSet "$@" | tr ' ' '\n' | sort -u)
	for c in $caps; do
		c=${c#CAP_}
		arg+=",+${c,,}"
	done
	SETPRIV=(setpriv "--bounding-set=$arg")
	[ "$(unit_value NoNewPrivileges "$@")" != yes ] ||
	    SETPRIV+=(--no-new-privs)
	SETPRIV+=(--)
}

# Run the unit's control command KEY (ExecStartPre, ExecReload, ExecStop)
# of the unit files given, as systemd would: environment file loaded,
# MAINPID set. Prints nothing; returns the command's status.
run_control() {
	local key=$1 cmd env=

	shift
	cmd=$(unit_value "$key" "$@" | localize)
	[ -n "$cmd" ] || fail "no $key in $*"
	env=$(unit_value EnvironmentFile "$@" | localize)
	echo "=== $key: $cmd" >>"$T/unit.log"
	MAINPID=${MAINPID:-} UNIT_ENV=${env#-} nsrun sh -c '
		[ ! -f "$UNIT_ENV" ] || { set -a; . "$UNIT_ENV"; set +a; }
		eval "exec $0"' "$cmd" >>"$T/unit.log" 2>&1
}

# Start the unit's ExecStart of the unit files given in the background, in
# the unit's sandbox, as the main process: sets MAINPID.
start_main() {
	local cmd env

	cmd=$(unit_value ExecStart "$@" | localize)
	env=$(unit_value EnvironmentFile "$@" | localize)
	sandbox_for "$@"
	echo "=== ExecStart: ${SETPRIV[*]} $cmd" >>"$T/unit.log"
	UNIT_ENV=${env#-} UNIT_ENVIRONMENT=$(unit_values Environment "$@") \
	    bg_run unit sh -c '
		[ ! -f "$UNIT_ENV" ] || { set -a; . "$UNIT_ENV"; set +a; }
		[ -z "$UNIT_ENVIRONMENT" ] || eval "export $UNIT_ENVIRONMENT"
		eval "exec $0"' "${SETPRIV[*]} $cmd"
	MAINPID=$BG_PID
}

# Wait (5 s) for the main process to exit; set MAIN_STATUS.
reap_main() {
	wait_gone "$MAINPID" 5 || return 1
	MAIN_STATUS=0
	wait "$MAINPID" 2>/dev/null || MAIN_STATUS=$?
}
