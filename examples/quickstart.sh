#!/bin/sh
# Install the build dependencies, build lbproxy, and run it on
# examples/quickstart.json in front of two demo backends on 127.0.0.1:8081
# and 127.0.0.1:8082. Then: curl http://127.0.0.1:8080/ (twice).
# Ctrl-C stops everything.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh
[ -x configure ] || ./bootstrap
mkdir -p build
cd build
[ -f Makefile ] || ../configure
make -j"$(nproc)" lbproxy lbtest-backend
./lbtest-backend -q -m http -n backend-1 -l 127.0.0.1:8081 &
b1=$!
./lbtest-backend -q -m http -n backend-2 -l 127.0.0.1:8082 &
b2=$!
trap 'kill $b1 $b2 2>/dev/null' EXIT INT TERM
echo "lbproxy on http://127.0.0.1:8080/ -> 127.0.0.1:8081, 127.0.0.1:8082 (Ctrl-C to stop)"
./lbproxy -c ../examples/quickstart.json
