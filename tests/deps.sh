#!/bin/sh
# Install what lbproxy needs to build, test and benchmark (Debian/Ubuntu).
set -eu
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libevent-dev libssl-dev libhttp-parser-dev libjansson-dev libpcre2-dev libcmocka-dev \
	curl wrk openssl iproute2 python3 procps psmisc ca-certificates \
	haproxy nginx-light libnginx-mod-stream nghttp2-client nodejs clang keepalived \
	strace chromium gdb \
	debhelper lintian libseccomp-dev libnghttp2-dev adduser
