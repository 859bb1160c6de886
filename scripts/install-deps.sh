#!/bin/sh
# Install every Debian package svcnft needs to build, test and benchmark.
# Run as root on a fresh Debian 12 machine: ./scripts/install-deps.sh (or: make deps)
set -eu
PKGS="build-essential pkg-config clang
  libnftnl-dev libmnl-dev libyaml-dev libcjson-dev libcmocka-dev libcurl4-openssl-dev
  libnetfilter-conntrack-dev libmicrohttpd-dev
  nftables iproute2 iputils-ping conntrack procps python3 valgrind openssl curl nghttp2-proxy"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get install)" >&2
	exit 1
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
