#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Benchmark (not a test): CPU used by xlbd health-checking 1,000 reals every second.
#
# Two namespaces joined by a veth pair: "lb" runs xlbd, "rs" answers for every
# address of 10.251.0.0/16 (an AnyIP local route) with one nginx on :80, so
# 1,000 reals are 1,000 addresses of one listener. The reals are routed
# through rs (method tun: next hop via the gateway), so the LB holds one
# neighbour entry, not 1,000. For each check kind, xlbd runs with
# interval 1s; once every real is up, its utime+stime from /proc/PID/stat
# over DURATION seconds gives the CPU used, as a percent of one core. A run
# with check: none first gives the baseline (the daemon's own idle work).
#
#   bench/health_cpu.sh                  # tcp http tcp-half-open icmp, 20 s each
#   REALS=2000 DURATION=30 CHECKS="http" bench/health_cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
XLBD=$PWD/$BUILD/xlbd
XLBCTL=$PWD/$BUILD/xlbctl
REALS=${REALS:-1000}
DURATION=${DURATION:-20}
CHECKS=${CHECKS:-tcp http tcp-half-open icmp}
TARGET_PCT=5

[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, XDP)" >&2; exit 1; }
[ -x "$XLBD" ] && [ -x "$XLBCTL" ] || { echo "bench: build first (make)" >&2; exit 1; }
for c in ip nginx jq; do command -v "$c" >/dev/null || { echo "bench: needs $c" >&2; exit 1; }; done

P=xhb$$
TMP=$(mktemp -d "/tmp/$P.XXXXXX")
NGINX_PID= XLBD_PID=
cleanup() {
	set +e
	[ -n "$XLBD_PID" ] && kill "$XLBD_PID" 2>/dev/null && wait "$XLBD_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	for ns in "$P-lb" "$P-rs"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
	done
	sleep 0.2
	ip netns del "$P-lb" 2>/dev/null
	ip netns del "$P-rs" 2>/dev/null
	mountpoint -q "$TMP/bpffs" && umount "$TMP/bpffs"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$P-lb"
ip netns add "$P-rs"
ip -n "$P-lb" link set lo up
ip -n "$P-rs" link set lo up
ip -n "$P-lb" link add eth0 type veth peer name eth0 netns "$P-rs"
ip -n "$P-lb" addr add 10.250.0.1/24 dev eth0
ip -n "$P-rs" addr add 10.250.0.2/24 dev eth0
ip -n "$P-lb" link set eth0 up
ip -n "$P-rs" link set eth0 up
ip -n "$P-lb" route add 10.251.0.0/16 via 10.250.0.2
ip -n "$P-rs" route add local 10.251.0.0/16 dev lo
# On a real network the reals' TCP stacks run on their own machines. Over veth
# the receiver's stack runs in the sender's context, so xlbd would be charged
# for nginx's side of every handshake. Receive processing is steered (RPS) to
# the last CPU and xlbd runs on the first, so xlbd's number is its own work.
NCPU=$(nproc)
PIN=()
if [ "$NCPU" -ge 2 ]; then
	mask=$(printf '%x' $((1 << (NCPU - 1))))
	for ns in "$P-lb" "$P-rs"; do
		ip netns exec "$ns" sh -c "echo $mask >/sys/class/net/eth0/queues/rx-0/rps_cpus"
	done
	PIN=(taskset -c 0)
fi

mkdir -p "$TMP/nginx" "$TMP/bpffs"
mount -t bpf bpf "$TMP/bpffs"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon on;
pid $TMP/nginx/nginx.pid;
user root;
worker_processes 1;
error_log $TMP/nginx/error.log;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx;
    proxy_temp_path $TMP/nginx;
    fastcgi_temp_path $TMP/nginx;
    uwsgi_temp_path $TMP/nginx;
    scgi_temp_path $TMP/nginx;
    server {
        listen 0.0.0.0:80 backlog=8192;
        location = /health { default_type text/plain; return 200 "alive\n"; }
    }
}
EOF
ip netns exec "$P-rs" nginx -q -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf"
for _ in $(seq 50); do [ -s "$TMP/nginx/nginx.pid" ] && break; sleep 0.1; done
NGINX_PID=$(cat "$TMP/nginx/nginx.pid")

write_config() {
	local check=$1 i
	{
		echo "interfaces: [{name: eth0, mode: generic}]"
		echo "control_socket: $TMP/xlb.sock"
		echo "bpf_pin_dir: $TMP/bpffs/xlb"
		echo "services:"
		echo "  - name: bench"
		echo "    vip: 10.252.0.1"
		echo "    port: 80"
		echo "    method: tun"
		if [ "$check" != none ]; then
			echo "    health:"
			echo "      check: $check"
			echo "      interval: 1s"
			echo "      timeout: 500ms"
			echo "      rise: 2"
			echo "      fall: 2"
			[ "$check" = http ] && echo "      path: /health" && echo "      expect_body: alive"
		fi
		echo "    reals:"
		for ((i = 0; i < REALS; i++)); do
			echo "      - address: 10.251.$((i / 250)).$((i % 250 + 1))"
		done
	} >"$TMP/xlb.yaml"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# user and system ticks, for the split printed with BENCH_SPLIT=1
cpu_split() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
up_count() {
	"$XLBCTL" -s "$TMP/xlb.sock" --json list 2>/dev/null |
		jq '[.services[0].reals[] | select(.state == "up")] | length' 2>/dev/null || echo 0
}

# run CHECK: prints "CHECK PERCENT RUNS"
run() {
	local check=$1 t0 c0 c1 t1 n r0 r1
	write_config "$check"
	# Each run starts from empty maps (no flows or ids to adopt).
	rm -rf "$TMP/bpffs/xlb"
	ip netns exec "$P-lb" "${PIN[@]}" "$XLBD" -c "$TMP/xlb.yaml" >>"$TMP/xlbd.log" 2>&1 </dev/null &
	XLBD_PID=$!
	for _ in $(seq 300); do
		n=$(up_count)
		[ "$n" -ge "$REALS" ] && break
		sleep 0.1
	done
	[ "$n" -ge "$REALS" ] || { echo "bench: only $n of $REALS reals up with check $check" >&2; tail -5 "$TMP/xlbd.log" >&2; exit 1; }
	# Let the first-run spread settle into the steady rate.
	sleep 2
	r0=$("$XLBCTL" -s "$TMP/xlb.sock" --json list | jq '.health.runs // 0')
	t0=$(date +%s%N)
	c0=$(cpu_ticks "$XLBD_PID")
	sleep "$DURATION"
	c1=$(cpu_ticks "$XLBD_PID")
	t1=$(date +%s%N)
	[ "${BENCH_SPLIT:-0}" = 1 ] && echo "$check user/system ticks: $(cpu_split "$XLBD_PID")" >&2
	r1=$("$XLBCTL" -s "$TMP/xlb.sock" --json list | jq '.health.runs // 0')
	kill "$XLBD_PID"
	wait "$XLBD_PID" 2>/dev/null || true
	XLBD_PID=
	awk -v c="$check" -v d=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v ns=$((t1 - t0)) -v runs=$((r1 - r0)) \
		'BEGIN { s = ns / 1e9; printf "%s %.2f %.0f\n", c, 100 * d / hz / s, runs / s }'
}

echo "xlbd CPU with $REALS reals, interval 1s, ${DURATION}s per check (target: under ${TARGET_PCT}% of one core)"
printf "%-14s %8s %12s %14s\n" check "cpu %" "checks/s" "minus idle %"
read -r _ base _ < <(run none)
printf "%-14s %8s %12s %14s\n" none "$base" 0 -
worst=0
for check in $CHECKS; do
	read -r c pct rate < <(run "$check")
	printf "%-14s %8s %12s %14s\n" "$c" "$pct" "$rate" "$(awk -v a="$pct" -v b="$base" 'BEGIN { printf "%.2f", a - b }')"
	worst=$(awk -v a="$pct" -v w="$worst" 'BEGIN { print (a > w) ? a : w }')
done
awk -v w="$worst" -v t="$TARGET_PCT" 'BEGIN { if (w < t) printf "all under %d%% of one core (worst %.2f%%)\n", t, w; else printf "OVER the %d%% target: worst %.2f%%\n", t, w }'
