#!/bin/sh
# Install dependencies, build with warnings as errors and run every test.
#   tests/ci.sh              plain build in build/
#   tests/ci.sh --sanitize   ASan + UBSan build in build-asan/
set -eu
cd "$(dirname "$0")/.."
[ "${SKIP_DEPS:-0}" = 1 ] || sh tests/deps.sh
dir=build flags="--enable-werror"
if [ "${1:-}" = "--sanitize" ]; then
	dir=build-asan flags="--enable-werror --enable-sanitizers"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
[ -x configure ] || ./bootstrap
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] || ../configure $flags
make -j"$(nproc)"
if ! make -j2 check; then
	for f in tests/unit/*.log tests/e2e/*.log; do
		[ -f "$f" ] || continue
		grep -q '^:test-result: \(FAIL\|ERROR\)' "${f%.log}.trs" 2>/dev/null &&
		    { echo "=== $f"; tail -60 "$f"; }
	done
	exit 1
fi
