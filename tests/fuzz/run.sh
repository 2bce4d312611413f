#!/bin/sh
# Build the libFuzzer harnesses with clang and run each briefly (CI smoke run).
#   FUZZ_SECONDS=60 tests/fuzz/run.sh
set -eu
cd "$(dirname "$0")/../.."
if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang not installed, skipped"
	exit 0
fi
secs=${FUZZ_SECONDS:-20}
[ -x configure ] || ./bootstrap
mkdir -p build-fuzz
cd build-fuzz
[ -f Makefile ] || CC=clang ../configure --enable-fuzzers >/dev/null
make -j"$(nproc)" tests/fuzz/fuzz_http tests/fuzz/fuzz_config tests/fuzz/fuzz_proxy
for f in fuzz_http fuzz_config fuzz_proxy; do
	mkdir -p "corpus-$f"
	echo "fuzz: $f for ${secs}s"
	./tests/fuzz/$f -max_total_time="$secs" -max_len=8192 -print_final_stats=0 "corpus-$f" 2>"$f.log" ||
		{ tail -50 "$f.log"; exit 1; }
	tail -1 "$f.log"
done
