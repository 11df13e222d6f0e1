#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Benchmark (not a test): packets per second that xlb forwards, dr and tun,
# against a MAC-rewrite-and-redirect XDP program on the same veth (the
# ceiling). Method and results: docs/BENCHMARKS.md, "Packets per second".
#
#   gen (pps_gen send: BPF_PROG_RUN live frames, XDP_TX on g0)
#    g0 ==veth== l0   lb (xlbd: dr or tun service, XDP on l0 and l1;
#                 l1 ==veth== s0   sink        or pps_fwd on l0: the ceiling;
#                                  (pps_sink:  or pps_fwd_lookup on l0, after
#                                  counts per  xlbd stopped: the ceiling plus one
#                                  CPU, drops) lookup in xlb's flows, the lookup ceiling)
#
#   bench/run_pps.sh            # 5 rounds of 5 s per configuration
#   QUICK=1 bench/run_pps.sh    # 3 rounds of 1.5 s (CI, under a minute)
#
# Every veth has 2 queues. Namespaces are "xp<pid>-{gen,lb,sink}"; everything
# created is removed on exit (also on failure); only processes started here
# are ended, by PID. Prints a table to stdout, TSVs to ${OUT:-bench/results}/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=${OUT:-bench/results}
GEN=$BUILD/bench/pps_gen
XLBD=$BUILD/xlbd
XLBCTL=$BUILD/xlbctl
FLOWS=${FLOWS:-65536}
if [ "${QUICK:-0}" = 1 ]; then
	ROUND_S=${ROUND_S:-1.5} ROUNDS=${ROUNDS:-3} WARMUP_S=${WARMUP_S:-0.5}
else
	ROUND_S=${ROUND_S:-5} ROUNDS=${ROUNDS:-5} WARMUP_S=${WARMUP_S:-1}
fi
# The generator stays on one CPU (and with it, by default, everything its
# frames go through; see napi_threaded below).
GEN_CPU=${GEN_CPU:-0}
# GENS=2: a second generator on GEN_CPU2, from another client address.
GEN_CPU2=${GEN_CPU2:-1}

[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, XDP)" >&2; exit 1; }
for f in "$GEN" "$XLBD" "$XLBCTL"; do
	[ -x "$f" ] || { echo "bench: $f missing (make BUILD=$BUILD bench-pps)" >&2; exit 1; }
done
for c in ip jq taskset; do
	command -v "$c" >/dev/null || { echo "bench: needs '$c'" >&2; exit 1; }
done

P=xp$$
NS_GEN=$P-gen NS_LB=$P-lb NS_SINK=$P-sink
VIP=10.203.0.200 CLIENT=10.203.0.1 CLIENT2=10.203.0.3 REAL=10.203.1.2
TMP=$(mktemp -d "/tmp/$P.XXXXXX")
NAMESPACES=()
XLBD_PID=
BPFFS=

log() { printf '[pps %3ds] %s\n' "$SECONDS" "$*" >&2; }

alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

stop_xlbd() {
	local pid=$XLBD_PID i
	[ -n "$pid" ] || return 0
	XLBD_PID=
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
		alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? k
	set +e
	trap '' INT TERM
	if [ "$rc" -ne 0 ] && [ -s "$TMP/xlbd.log" ]; then
		echo "--- xlbd log tail ---" >&2
		tail -n 20 "$TMP/xlbd.log" >&2
	fi
	stop_xlbd
	# namespaces last-created first; their veths and XDP programs go with them
	for ((k = ${#NAMESPACES[@]} - 1; k >= 0; k--)); do
		ip netns del "${NAMESPACES[$k]}" 2>/dev/null
	done
	if [ -n "$BPFFS" ] && mountpoint -q "$BPFFS"; then
		umount "$BPFFS" 2>/dev/null || umount -l "$BPFFS"
	fi
	rm -rf "$TMP"
	return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

new_ns() {
	ip netns add "$1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

mac_of() { in_ns "$1" cat "/sys/class/net/$2/address"; }

# ---------------------------------------------------------------- topology

new_ns "$NS_GEN"
new_ns "$NS_LB"
new_ns "$NS_SINK"
ip -n "$NS_GEN" link add g0 numtxqueues 2 numrxqueues 2 type veth \
	peer name l0 numtxqueues 2 numrxqueues 2 netns "$NS_LB"
ip -n "$NS_LB" link add l1 numtxqueues 2 numrxqueues 2 type veth \
	peer name s0 numtxqueues 2 numrxqueues 2 netns "$NS_SINK"
ip -n "$NS_GEN" addr add "$CLIENT/24" dev g0
ip -n "$NS_LB" addr add 10.203.0.2/24 dev l0
ip -n "$NS_LB" addr add 10.203.1.1/24 dev l1
ip -n "$NS_SINK" addr add "$REAL/24" dev s0
for l in "$NS_GEN g0" "$NS_LB l0" "$NS_LB l1" "$NS_SINK s0"; do
	read -r ns dev <<<"$l"
	ip -n "$ns" link set "$dev" up
done

L0_MAC=$(mac_of "$NS_LB" l0)
S0_MAC=$(mac_of "$NS_SINK" s0)
SINK_MAP=$(in_ns "$NS_SINK" "$GEN" sink s0)

BPFFS=$TMP/bpffs
mkdir -p "$BPFFS"
mount -t bpf bpf "$BPFFS"

mkdir -p "$OUT"
ROUNDS_TSV=$OUT/pps_rounds.tsv
SUMMARY_TSV=$OUT/pps.tsv
printf 'config\tround\tseconds\tsent_pps\tsink_pps\n' >"$ROUNDS_TSV"

# XDP frames from the generator are received in l0's NAPI, by default in
# softirq context right after each generator batch, on the generator's CPU:
# generator, load balancer and sink then run one after the other on one
# CPU, nothing is lost, and the difference of two configurations' time per
# packet is what the load balancer's programs cost. THREADED=1 moves l0's
# NAPI to a kernel thread of its own (possible once an XDP program has made
# l0's NAPI instances), so the scheduler can run it on the other CPU; on a
# busy machine that thread gets little CPU and the veth ring drops.
napi_threaded() {
	[ "${THREADED:-0}" = 1 ] || return 0
	in_ns "$NS_LB" sh -c 'echo 1 > /sys/class/net/l0/threaded' 2>/dev/null || true
	[ "$(in_ns "$NS_LB" cat /sys/class/net/l0/threaded)" = 1 ] ||
		log "threaded NAPI not available on l0: generator and forwarding share a CPU"
}

# measure NAME [COUNTER_MAP_ID [ROUNDS [FIRST_ROUND]]]: a warm-up round
# (flows created, caches warm), then the rounds, counted by the sink's map
# (or the one given).
measure() {
	local name=$1 map=${2:-$SINK_MAP} rounds=${3:-$ROUNDS} first=${4:-1} line
	napi_threaded
	in_ns "$NS_GEN" taskset -c "$GEN_CPU" "$GEN" send -f "$FLOWS" -s "$WARMUP_S" -n 1 -m "$map" \
		g0 "$L0_MAC" "$CLIENT" "$VIP" 80 >/dev/null
	[ "${GENS:-1}" = 2 ] &&
		in_ns "$NS_GEN" taskset -c "$GEN_CPU2" "$GEN" send -f "$FLOWS" -s "$WARMUP_S" -n 1 \
			-m "$map" g0 "$L0_MAC" "$CLIENT2" "$VIP" 80 >/dev/null
	local pid2=
	if [ "${GENS:-1}" = 2 ]; then
		# a second generator on the other CPU, its own client: the two CPUs
		# then forward at once and share flow entries and counters' lines
		in_ns "$NS_GEN" taskset -c "$GEN_CPU2" "$GEN" send -f "$FLOWS" -s "$ROUND_S" \
			-n "$rounds" -m "$map" g0 "$L0_MAC" "$CLIENT2" "$VIP" 80 >"$TMP/$name.out2" &
		pid2=$!
	fi
	in_ns "$NS_GEN" taskset -c "$GEN_CPU" "$GEN" send -f "$FLOWS" -s "$ROUND_S" -n "$rounds" \
		-m "$map" g0 "$L0_MAC" "$CLIENT" "$VIP" 80 >"$TMP/$name.out"
	if [ -n "$pid2" ]; then
		wait "$pid2"
		# sent: both generators; the sink's count over a round is the same map for both
		paste -d' ' "$TMP/$name.out" "$TMP/$name.out2" |
			awk '{ $8 += $20; print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' \
				>"$TMP/$name.sum"
		mv "$TMP/$name.sum" "$TMP/$name.out"
	fi
	while read -r line; do
		# round R seconds T sent N sent_pps X sink N sink_pps X
		set -- $line
		printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(($2 + first - 1))" "$4" "${8}" "${12}" >>"$ROUNDS_TSV"
		log "$name round $(($2 + first - 1)): sent $(awk -v x="$8" 'BEGIN{printf "%.2f", x/1e6}') Mpps, at the sink $(awk -v x="${12}" 'BEGIN{printf "%.2f", x/1e6}') Mpps"
	done <"$TMP/$name.out"
}

xlbd_config() {
	local method=$1
	cat <<-YAML
	# generated by bench/run_pps.sh
	interfaces:
	  - name: l0
	    mode: native
	  - name: l1
	    mode: native
	control_socket: $TMP/xlb.sock
	bpf_pin_dir: $BPFFS/xlb
	flows:
	  max: 262144
	services:
	  - name: pps
	    vip: $VIP
	    port: 80
	    protocol: tcp
	    method: $method
	    scheduler: rr
	    reals:
	      - address: $REAL
	YAML
}

# real_up METHOD: xlbd's service has that method and its one real is up.
real_up() {
	"$XLBCTL" -s "$TMP/xlb.sock" --json list 2>/dev/null |
		jq -e --arg m "$1" '[.services[] | select(.method == $m) | .reals[] |
			select(.state == "up")] | length == 1' >/dev/null
}

wait_real_up() {
	local method=$1 i
	for ((i = 0; i < 200; i++)); do
		real_up "$method" && { log "xlbd (pid $XLBD_PID): $method service, real up"; return 0; }
		alive "$XLBD_PID" || { log "xlbd exited"; exit 1; }
		# the real's MAC comes from ARP: a packet toward it makes the kernel ask
		in_ns "$NS_LB" ping -c 1 -W 0.2 "$REAL" >/dev/null 2>&1 || true
		sleep 0.1
	done
	log "xlbd: no $method service with its real up after 20 s"
	exit 1
}

# start_xlbd METHOD: starts xlbd in the lb namespace, waits for its real.
start_xlbd() {
	local method=$1
	xlbd_config "$method" >"$TMP/xlb.yaml"
	# not through a shell function: $! must be ip's PID, which becomes xlbd's (exec)
	ip netns exec "$NS_LB" "$XLBD" -c "$TMP/xlb.yaml" >>"$TMP/xlbd.log" 2>&1 </dev/null &
	XLBD_PID=$!
	wait_real_up "$method"
}

# reload_xlbd METHOD: the same service with another method, by SIGHUP (loading
# the data plane again takes 10 s and more on a busy machine).
reload_xlbd() {
	local method=$1
	xlbd_config "$method" >"$TMP/xlb.yaml"
	kill -HUP "$XLBD_PID"
	wait_real_up "$method"
}

# ---------------------------------------------------------------- runs

# sink_delta CMD...: runs CMD; prints "<packets> <IPIP packets>" the sink counted meanwhile.
sink_delta() {
	local a b
	read -r -a a <<<"$("$GEN" count "$SINK_MAP")"
	"$@"
	read -r -a b <<<"$("$GEN" count "$SINK_MAP")"
	echo "$((b[0] - a[0])) $((b[1] - a[1]))"
}

# Each configuration must deliver what it claims: dr the packet itself, tun IPIP.
check_delivered() {
	local name=$1 want=$2 all ipip
	read -r all ipip <<<"$3"
	[ "$all" -gt 0 ] || { log "$name: nothing reached the sink"; exit 1; }
	case $want in
	ipip) [ "$ipip" = "$all" ] ;;
	plain) [ "$ipip" = 0 ] ;;
	esac || { log "$name: $ipip of $all packets at the sink are IPIP (want: $want)"; exit 1; }
}

T0=$SECONDS
log "$P: generator (pps_sink on l0: counted and dropped there)"
measure generator "$(in_ns "$NS_LB" "$GEN" sink l0)"
ip -n "$NS_LB" link set dev l0 xdp off

log "$P: ceiling (pps_fwd on l0: MACs, redirect to l1)"
in_ns "$NS_LB" "$GEN" fwd l0 l1 "$S0_MAC"
delivered=$(sink_delta measure ceiling)
check_delivered ceiling plain "$delivered"
ip -n "$NS_LB" link set dev l0 xdp off

# dr and tun round by round, switched by reloading one xlbd: load on the
# shared machine drifts, and this way it drifts over both alike.
log "$P: xlb, methods dr and tun, alternating"
start_xlbd dr
for ((round = 1; round <= ROUNDS; round++)); do
	[ "$round" = 1 ] || reload_xlbd dr
	delivered=$(sink_delta measure dr "$SINK_MAP" 1 "$round")
	check_delivered dr plain "$delivered"
	reload_xlbd tun
	delivered=$(sink_delta measure tun "$SINK_MAP" 1 "$round")
	check_delivered tun ipip "$delivered"
done
stop_xlbd

# The lookup ceiling: the ceiling plus one lookup in xlb's own flows, which
# stay pinned (and filled by the rounds above) after xlbd stops.
log "$P: lookup ceiling (pps_fwd_lookup on l0: one lookup in xlb's flows map, MACs, redirect)"
ip -n "$NS_LB" link set dev l0 xdp off
in_ns "$NS_LB" "$GEN" fwd-lookup l0 l1 "$S0_MAC" "$BPFFS/xlb/flows"
delivered=$(sink_delta measure lookup-ceiling)
check_delivered lookup-ceiling plain "$delivered"
ip -n "$NS_LB" link set dev l0 xdp off

# ---------------------------------------------------------------- report

awk -F'\t' -v out="$SUMMARY_TSV" '
function sort(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
		t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
	}
}
function med(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
NR > 1 {
	if (!($1 in n)) order[++nc] = $1
	k = ++n[$1]; sent[$1, k] = $4; sink[$1, k] = $5
}
END {
	for (c = 1; c <= nc; c++) {
		name = order[c]
		for (k = 1; k <= n[name]; k++) { s[k] = sent[name, k]; r[k] = sink[name, k] }
		sort(s, n[name]); sort(r, n[name])
		gm[name] = med(s, n[name]); rm[name] = med(r, n[name])
		rlo[name] = r[1]; rhi[name] = r[n[name]]; glo[name] = s[1]; ghi[name] = s[n[name]]
	}
	printf "| configuration | sent Mpps (min..max) | counted Mpps (min..max) | x ceiling | ns/pkt over the ceiling | x lookup ceiling |\n"
	printf "|---|---:|---:|---:|---:|---:|\n"
	print "config\tsent_mpps_median\tsent_mpps_min\tsent_mpps_max\tcounted_mpps_median\tcounted_mpps_min\tcounted_mpps_max\tratio_to_ceiling\tns_over_ceiling\trounds" >out
	for (c = 1; c <= nc; c++) {
		name = order[c]
		ratio = rm["ceiling"] ? rm[name] / rm["ceiling"] : 0
		# one CPU does everything in turn: time per packet adds up
		over = rm[name] && rm["ceiling"] ? 1e9 / rm[name] - 1e9 / rm["ceiling"] : 0
		# the generator row has no load balancer: its ratio is the headroom above the ceiling
		lratio = rm["lookup-ceiling"] ? sprintf("%.2f", rm[name] / rm["lookup-ceiling"]) : "-"
		printf "| %s | %.2f (%.2f..%.2f) | %.2f (%.2f..%.2f) | %.2f | %s | %s |\n", name, gm[name] / 1e6,
			glo[name] / 1e6, ghi[name] / 1e6, rm[name] / 1e6, rlo[name] / 1e6, rhi[name] / 1e6, ratio,
			name == "generator" ? "-" : sprintf("%.0f", over), name == "generator" ? "-" : lratio
		printf "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%d\n", name, gm[name] / 1e6,
			glo[name] / 1e6, ghi[name] / 1e6, rm[name] / 1e6, rlo[name] / 1e6, rhi[name] / 1e6,
			ratio, name == "generator" ? "-" : sprintf("%.0f", over), n[name] >out
	}
}' "$ROUNDS_TSV" >"$TMP/table"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
gens="generator on CPU $GEN_CPU"
[ "${GENS:-1}" = 2 ] && gens="2 generators, on CPUs $GEN_CPU and $GEN_CPU2 ($FLOWS flows each)"
echo "54-byte TCP ACKs (64 with FCS on a wire), $FLOWS flows, median of $ROUNDS rounds of ${ROUND_S} s, $gens, l0 threaded NAPI: ${THREADED:-0}"
echo
cat "$TMP/table"
echo
echo "TSV: $SUMMARY_TSV, per round: $ROUNDS_TSV ($((SECONDS - T0)) s of measuring)"
