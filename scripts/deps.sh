#!/usr/bin/env bash
# Installs the Debian packages xlb needs to build, test and demo; quiet when
# everything is already there.
set -euo pipefail

pkgs=(
	# build
	make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
	libyaml-dev libjson-c-dev libmnl-dev libcmocka-dev libssl-dev libsystemd-dev
	# lab and demo
	iproute2 ethtool nginx-light curl wrk apache2-utils procps iputils-ping jq tcpdump nftables
	# xlb-rs decap lab: crafts and captures raw frames
	python3
	# HA lab (keepalived as a VRRP peer) and the benchmarks (peers, charts)
	keepalived haproxy libnginx-mod-stream gnuplot-nox
	# metrics: the HTTP library; the metrics lab's Prometheus (and promtool) and headless browser
	libmicrohttpd-dev prometheus chromium
	# sync lab: a peer whose clock runs ahead, then steps back
	faketime
	# bgp: xlbd runs BIRD 2 to announce VIPs; the scale-out lab's router runs it too
	bird2
	# make fuzz: clang's libFuzzer and sanitizer runtimes (only recommended by clang)
	libclang-rt-dev
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
