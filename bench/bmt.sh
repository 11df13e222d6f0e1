#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The BMT (benchmark test) of the seed document, in one namespace lab: HTTP
# req/s and latency of a 5 KiB file through xlb's methods, through the usual
# proxies and through nftables, against the reals without a load balancer.
# A benchmark, not a test: it reports, it does not assert speed.
#
#   bench/bmt.sh                    # full: 5 rounds, ab -c 1 4 16 64, wrk; 10 to 15 min
#   QUICK=1 bench/bmt.sh            # 1 round, ab -c 16, 1 s per test; about 2 min
#   OUT=/tmp/x CONFIGS="direct xlb-dr haproxy-tcp" ROUNDS=3 bench/bmt.sh
#
# Configurations (CONFIGS, all by default):
#   direct         no LB: generator i talks to real i's own address
#   xlb-dr xlb-dscp xlb-tun xlb-nat xlb-fnat   xlbd, XDP (mode native, or XLB_MODE)
#   xlb-dr-tc      xlb dr attached at tc ingress (on veth: no per-packet copy)
#   xlb-proxy-tcp xlb-proxy-http               xlbd method proxy (xlbd -t rejecting it is an error)
#   haproxy-tcp haproxy-http                   HAProxy, nbthread $PROXY_THREADS
#   nginx-stream                               nginx stream module, $PROXY_THREADS workers
#   nft-dnat                                   nftables DNAT, numgen inc mod N
#
# Lab (tests/lab/lib.sh, 3 reals with one nginx worker each) plus what lets one
# lab carry every method:
#   VIP  10.200.0.200: dr/tun/dscp (VIP also on the reals' lo), fnat (local
#        address 10.200.0.3 on the LB), and the proxies (the LB owns it; the
#        reals answer the LB's 10.200.0.2).
#   VIP  10.200.0.201: nat and nft-dnat. The client reaches it from a second
#        subnet (10.201.0.10, a /32 route with that source) and the reals route
#        10.201.0.0/24 via the LB, so replies cross it; forwarding on in the LB.
#   Per configuration: xlbd is started with that configuration's file and
#   stopped after it (pinned maps removed); xlb-rs up/down on the reals for
#   tun/dscp; reals' TX checksum offload off only for nat/fnat (veth, see
#   docs/METHODS.md); HAProxy / nginx run only during their configuration; the
#   nftables table exists only during nft-dnat (it turns conntrack on).
#
# Load: the same for every configuration: $GENS generators (one per real) in
# the client namespace, each at 1/$GENS of the concurrency (c=1: one); for
# direct generator i targets real i, otherwise all target the VIP. req/s are
# summed; latency percentiles are those of the merged distribution.
#   ab:  HTTP/1.0, no keep-alive (the seed's tool), -t $AB_SECS, per level of $AB_LEVELS
#   wrk: keep-alive, and with "Connection: close"; $WRK_CONNS connections, -d $WRK_SECS
# Each round runs every configuration once in a new random order, so drift
# over the run falls on all of them alike. A round that would end past
# $BUDGET seconds (full: 900, quick: 150) is not started; the summary says so.
#
# Output in $OUT (default bench/results/bmt-DATE): raw/round-N.tsv (one line
# per test), meta.tsv, summary.md (also printed), ab.dat, wrk.dat and the
# charts bmt_ab.png (req/s vs concurrency), bmt_ab_p99.png, bmt_wrk.png.
set -euo pipefail
BMT_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BMT_DIR/.." && pwd)
# shellcheck source=tests/lab/lib.sh
. "$ROOT/tests/lab/lib.sh"
XLBRS=${XLBRS:-$LAB_BUILD/xlb-rs}

QUICK=${QUICK:-0}
ALL_CONFIGS="direct xlb-dr xlb-dr-tc xlb-dscp xlb-tun xlb-nat xlb-fnat xlb-proxy-tcp xlb-proxy-http haproxy-tcp haproxy-http nginx-stream nft-dnat"
# The quick run (CI) leaves out the tc variant of dr: one configuration less to wait for.
if [ "${QUICK:-0}" = 1 ]; then CONFIGS=${CONFIGS:-${ALL_CONFIGS/ xlb-dr-tc/}}; else CONFIGS=${CONFIGS:-$ALL_CONFIGS}; fi
NREALS=${NREALS:-3}
GENS=$NREALS
PROXY_THREADS=${PROXY_THREADS:-$(nproc)}
XLB_MODE=${XLB_MODE:-native}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${ROUNDS:-1}
	AB_LEVELS=${AB_LEVELS:-16}
	AB_SECS=${AB_SECS:-1}
	WRK_SECS=${WRK_SECS:-1}
	BUDGET=${BUDGET:-150}
else
	ROUNDS=${ROUNDS:-5}
	AB_LEVELS=${AB_LEVELS:-1 4 16 64}
	AB_SECS=${AB_SECS:-1}
	WRK_SECS=${WRK_SECS:-1}
	# make bench runs bench-pkt and bench-pps after this: 20 min in all
	BUDGET=${BUDGET:-900}
fi
WRK_CONNS=${WRK_CONNS:-48}
OUT=${OUT:-$ROOT/bench/results/bmt-$(date -u +%Y%m%d-%H%M%S)}

VIP=$LAB_VIP4
VIP_NAT=10.200.0.201
LOCAL4=10.200.0.3
CLIENT_NAT=10.201.0.10
LB_NAT=10.201.0.2
DSCP=10
HTTP_PATH=/5k

declare -A LABEL=(
	[direct]="direct (no LB)" [xlb-dr]="xlb dr" [xlb-dr-tc]="xlb dr (tc)" [xlb-dscp]="xlb dscp" [xlb-tun]="xlb tun"
	[xlb-nat]="xlb nat" [xlb-fnat]="xlb fnat" [xlb-proxy-tcp]="xlb proxy tcp"
	[xlb-proxy-http]="xlb proxy http" [haproxy-tcp]="HAProxy tcp" [haproxy-http]="HAProxy http"
	[nginx-stream]="nginx stream" [nft-dnat]="nftables DNAT"
)

say() { printf '[bmt %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	printf 'bmt: %s\n' "$*" >&2
	exit 1
}

for c in $CONFIGS; do
	[ -n "${LABEL[$c]:-}" ] || die "unknown configuration '$c' (known: $ALL_CONFIGS)"
done

lab_require_xlb
lab_require_cmds ab wrk jq python3 gnuplot shuf timeout
mkdir -p "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/raw/round-*.tsv

# ---------------------------------------------------------------- cleanup

GEN_PIDS=()   # load generators of the test running now
PROXY_PID=    # haproxy or nginx stream, while in its configuration
PROXY_COMM=
NFT_LOADED=0
bmt_cleanup() {
	local rc=$? pid
	set +e
	for pid in "${GEN_PIDS[@]}"; do lab_kill_pid "$pid" 2; done
	GEN_PIDS=()
	if [ -n "$PROXY_PID" ]; then
		lab_kill_pid "$PROXY_PID" 5 "$PROXY_COMM"
		wait "$PROXY_PID" 2>/dev/null
		PROXY_PID=
	fi
	[ "$NFT_LOADED" = 1 ] && lab_exec lb nft delete table ip xlbbmt 2>/dev/null
	NFT_LOADED=0
	return "$rc"
}

lab_init bmt
trap 'bmt_cleanup; lab_down' EXIT
say "lab $LAB_P: $NREALS reals; output in $OUT"
lab_up "$NREALS"

# ---------------------------------------------------------------- one lab for every method

lab_exec lb sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
	net.ipv4.conf.default.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0 \
	net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192
lab_exec lb ip addr add "$LOCAL4/24" dev eth0
lab_exec lb ip addr add "$VIP_NAT/32" dev eth0
lab_exec lb ip addr add "$LB_NAT/24" dev eth0
lab_exec client ip addr add "$CLIENT_NAT/24" dev eth0
lab_exec client ip route add "$VIP_NAT/32" dev eth0 src "$CLIENT_NAT"
# Many short connections: the whole port range, and TIME_WAIT reuse.
lab_exec client sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1
for i in "${LAB_REALS[@]}"; do
	lab_exec "r$i" ip route add 10.201.0.0/24 via "$LAB_LB4"
	lab_exec "r$i" sysctl -qw net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192
done
lab_wait_for 10 _lab_ping_ok client "$LB_NAT" || die "client cannot reach $LB_NAT"

# ---------------------------------------------------------------- configurations

SKIP_REASON=
CFG_TARGETS=()   # one URL per generator

# bmt_xlb_config FILE METHOD [http]: xlbd's config for one configuration.
bmt_xlb_config() {
	local file=$1 method=$2 mode=${3:-} vip=$VIP i
	[ "$method" = nat ] && vip=$VIP_NAT
	{
		echo "# generated by bench/bmt.sh for lab run $LAB_P"
		echo "interfaces:"
		echo "  - name: eth0"
		echo "    mode: ${XLB_ATTACH:-$XLB_MODE}"
		echo "control_socket: $LABTMP/xlb.sock"
		echo "bpf_pin_dir: $LAB_BPFFS/xlb"
		echo "services:"
		echo "  - name: web"
		echo "    vip: $vip"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    method: $method"
		[ -z "$mode" ] || echo "    mode: $mode"
		echo "    scheduler: rr"
		[ "$method" != dscp ] || echo "    dscp: $DSCP"
		[ "$method" != fnat ] || echo "    local_addresses: [$LOCAL4]"
		echo "    reals:"
		for i in "${LAB_REALS[@]}"; do
			echo "      - address: $(lab_real_ip4 "$i")"
		done
	} >"$file"
}

# Like lab_start_xlbd, but a failure returns 1 instead of ending the run.
bmt_start_xlbd() {
	local cfg=$1
	LAB_XLBD_LOG=$LABTMP/xlbd.log
	echo "=== xlbd -c $cfg ($(date +%T))" >>"$LAB_XLBD_LOG"
	ip netns exec "$(lab_ns lb)" "$XLBD" -c "$cfg" >>"$LAB_XLBD_LOG" 2>&1 </dev/null &
	# shellcheck disable=SC2034 # lib.sh's lab_stop_xlbd and lab_down use it
	LAB_XLBD_PID=$!
	local t0
	t0=$(_lab_now_us)
	lab_wait_for 15 _lab_xlbd_settled
	[ -z "${BMT_DEBUG:-}" ] || say "xlbd ready after $((($(_lab_now_us) - t0) / 1000)) ms"
	_lab_xlbd_ready >/dev/null 2>&1 || {
		SKIP_REASON="failed: xlbd did not start ($(grep -E 'error|fatal' "$LAB_XLBD_LOG" | tail -1))"
		lab_stop_xlbd || true
		return 1
	}
	if [ "$2" = proxy ]; then return 0; fi
	lab_wait_for 10 lab_json_reals_up web "$NREALS" || {
		SKIP_REASON="failed: reals not up in xlbd"
		return 1
	}
	[ -z "${BMT_DEBUG:-}" ] || say "reals up after $((($(_lab_now_us) - t0) / 1000)) ms"
}

XLBD_HAS_DETACH=0
"$XLBD" --help 2>&1 | grep -q -- --detach && XLBD_HAS_DETACH=1
bmt_stop_xlbd() {
	lab_stop_xlbd || true
	# Since the hitless restart an ended xlbd leaves its program attached.
	if [ "$XLBD_HAS_DETACH" = 1 ]; then
		lab_exec lb "$XLBD" --detach -c "$LABTMP/xlb.yaml" >>"$LAB_XLBD_LOG" 2>&1 || say "xlbd --detach failed"
	fi
	if ip -n "$(lab_ns lb)" link show dev eth0 | grep -qE 'xdp|prog/'; then
		say "xlb's program still on the LB's eth0 after xlbd ended: removing it"
		ip -n "$(lab_ns lb)" link set dev eth0 xdp off 2>/dev/null || true
		ip -n "$(lab_ns lb)" link set dev eth0 xdpgeneric off 2>/dev/null || true
	fi
	if tc -n "$(lab_ns lb)" filter show dev eth0 ingress 2>/dev/null | grep -q bpf; then
		say "xlb's tc program still on the LB's eth0 after xlbd ended: removing the clsact qdisc"
		tc -n "$(lab_ns lb)" qdisc del dev eth0 clsact 2>/dev/null || true
	fi
	# Fresh maps for the next configuration (a restarted xlbd adopts them).
	rm -rf "${LAB_BPFFS:?}/xlb"
}

rs_all() {
	local i
	for i in "${LAB_REALS[@]}"; do
		lab_exec "r$i" "$XLBRS" --state-dir "$LABTMP/r$i/xlb-rs" "$@" >/dev/null || return 1
	done
}

reals_tx() {
	local i
	for i in "${LAB_REALS[@]}"; do
		lab_exec "r$i" ethtool -K eth0 tx "$1" >/dev/null
	done
}

# The 5 KiB file through URL: 200 and 5120 bytes.
_bmt_fetch_ok() {
	BMT_FETCH=$(lab_exec client curl -s -o /dev/null --max-time 2 -w '%{http_code} %{size_download}' "$1" 2>&1) ||
		BMT_FETCH="curl exit $? $BMT_FETCH"
	[ "$BMT_FETCH" = "200 $LAB_5K_SIZE" ]
}

# Like lab_wait_for, but in this shell, so BMT_FETCH keeps the last answer.
_bmt_fetch_until() {
	local deadline=$(($(_lab_now_us) + $1 * 1000000))
	until _bmt_fetch_ok "$2"; do
		[ "$(_lab_now_us)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

bmt_ready() {
	local u
	for u in $(printf '%s\n' "${CFG_TARGETS[@]}" | sort -u); do
		# one fetch per real, so every real behind a VIP has answered once
		local k
		for ((k = 0; k < NREALS; k++)); do
			BMT_FETCH=
			_bmt_fetch_until 6 "$u" || {
				SKIP_REASON="failed: no 200 with 5120 bytes from $u (last: ${BMT_FETCH:-nothing})"
				return 1
			}
		done
	done
}

haproxy_conf() {
	local mode=$1 i
	cat <<EOF
# generated by bench/bmt.sh for lab run $LAB_P
global
    nbthread $PROXY_THREADS
    maxconn 8000
defaults
    mode $mode
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    maxconn 8000
frontend fe
    bind $VIP:80 backlog 4096
    default_backend be
backend be
    balance roundrobin
EOF
	for i in "${LAB_REALS[@]}"; do
		echo "    server r$i $(lab_real_ip4 "$i"):80"
	done
}

nginx_stream_conf() {
	local dir=$1 i
	cat <<EOF
# generated by bench/bmt.sh for lab run $LAB_P
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
master_process on;
user root;
worker_processes $PROXY_THREADS;
worker_rlimit_nofile 18000;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8000; }
stream {
    upstream reals {
EOF
	for i in "${LAB_REALS[@]}"; do
		echo "        server $(lab_real_ip4 "$i"):80;"
	done
	cat <<EOF
    }
    server {
        listen $VIP:80 backlog=4096;
        proxy_connect_timeout 5s;
        proxy_pass reals;
    }
}
EOF
}

nft_conf() {
	local i k=0 map=""
	for i in "${LAB_REALS[@]}"; do
		map+="${map:+, }$k : $(lab_real_ip4 "$i")"
		k=$((k + 1))
	done
	cat <<EOF
table ip xlbbmt {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP_NAT tcp dport 80 dnat to numgen inc mod $k map { $map }
	}
}
EOF
}

# bmt_proxy_start COMM CMD...: runs a proxy in the LB namespace (foreground
# mode, so the PID is the process), records it for teardown.
bmt_proxy_start() {
	PROXY_COMM=$1
	shift
	ip netns exec "$(lab_ns lb)" "$@" >>"$LABTMP/$PROXY_COMM.log" 2>&1 </dev/null &
	PROXY_PID=$!
}

bmt_proxy_stop() {
	[ -n "$PROXY_PID" ] || return 0
	lab_kill_pid "$PROXY_PID" 5 "$PROXY_COMM"
	wait "$PROXY_PID" 2>/dev/null || true
	PROXY_PID=
}

vip_targets() {
	local u=http://$1$HTTP_PATH k
	CFG_TARGETS=()
	for ((k = 0; k < GENS; k++)); do CFG_TARGETS+=("$u"); done
}

# Static checks, once: why a configuration cannot run at all on this machine.
declare -A STATIC_SKIP=()
static_checks() {
	local c f=$LABTMP/check.yaml why
	for c in $CONFIGS; do
		case $c in
		xlb-tun | xlb-dscp) [ -x "$XLBRS" ] || STATIC_SKIP[$c]="skipped: no xlb-rs at $XLBRS" ;;
		xlb-proxy-tcp | xlb-proxy-http)
			bmt_xlb_config "$f" proxy "$([ "$c" = xlb-proxy-http ] && echo http)"
			# xlbd has method proxy: a rejection is a bug here or in xlbd, not a skip.
			if ! "$XLBD" -t -c "$f" >"$LABTMP/check.log" 2>&1; then
				cat "$LABTMP/check.log" >&2
				die "$c: xlbd -t rejects the method proxy config (above)"
			fi
			;;
		haproxy-*) command -v haproxy >/dev/null || STATIC_SKIP[$c]="skipped: haproxy not installed" ;;
		nginx-stream)
			[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] ||
				STATIC_SKIP[$c]="skipped: no /usr/lib/nginx/modules/ngx_stream_module.so (libnginx-mod-stream)"
			;;
		nft-dnat) command -v nft >/dev/null || STATIC_SKIP[$c]="skipped: nft not installed" ;;
		esac
	done
	# The proxies set maxconn 8000: 2 fds per connection plus a margin.
	if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 17000 ]; then
		for c in haproxy-tcp haproxy-http nginx-stream; do
			[ -n "${STATIC_SKIP[$c]:-}" ] || STATIC_SKIP[$c]="skipped: fd hard limit $(ulimit -Hn) < 17000"
		done
	fi
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

# cfg_setup NAME: makes the lab carry configuration NAME and sets
# CFG_TARGETS; returns 1 with SKIP_REASON on failure.
cfg_setup() {
	local c=$1 i cfg=$LABTMP/xlb.yaml
	SKIP_REASON=
	case $c in
	direct)
		CFG_TARGETS=()
		for ((i = 0; i < GENS; i++)); do
			CFG_TARGETS+=("http://$(lab_real_ip4 "${LAB_REALS[$((i % NREALS))]}")$HTTP_PATH")
		done
		;;
	xlb-dr)
		bmt_xlb_config "$cfg" dr
		bmt_start_xlbd "$cfg" dr || return 1
		vip_targets "$VIP"
		;;
	xlb-dr-tc)
		# On veth, traffic from a local stack reaches tc ingress without the
		# copy that native XDP on veth makes of each skb.
		XLB_ATTACH=tc bmt_xlb_config "$cfg" dr
		bmt_start_xlbd "$cfg" dr || return 1
		vip_targets "$VIP"
		;;
	xlb-tun | xlb-dscp)
		local m=${c#xlb-} opts=()
		opts=(--method "$m" --dev eth0)
		[ "$m" != dscp ] || opts+=(--dscp "$DSCP")
		rs_all up --vip "$VIP" "${opts[@]}" || {
			SKIP_REASON="failed: xlb-rs up --method $m"
			return 1
		}
		bmt_xlb_config "$cfg" "$m"
		bmt_start_xlbd "$cfg" "$m" || return 1
		vip_targets "$VIP"
		;;
	xlb-nat)
		reals_tx off
		bmt_xlb_config "$cfg" nat
		bmt_start_xlbd "$cfg" nat || return 1
		vip_targets "$VIP_NAT"
		;;
	xlb-fnat)
		reals_tx off
		bmt_xlb_config "$cfg" fnat
		bmt_start_xlbd "$cfg" fnat || return 1
		vip_targets "$VIP"
		;;
	xlb-proxy-tcp | xlb-proxy-http)
		bmt_xlb_config "$cfg" proxy "$([ "$c" = xlb-proxy-http ] && echo http)"
		bmt_start_xlbd "$cfg" proxy || return 1
		vip_targets "$VIP"
		;;
	haproxy-tcp | haproxy-http)
		haproxy_conf "${c#haproxy-}" >"$LABTMP/haproxy.cfg"
		bmt_proxy_start haproxy haproxy -db -f "$LABTMP/haproxy.cfg"
		vip_targets "$VIP"
		;;
	nginx-stream)
		local d=$LABTMP/nginx-stream
		mkdir -p "$d"
		nginx_stream_conf "$d" >"$d/nginx.conf"
		bmt_proxy_start nginx nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
		vip_targets "$VIP"
		;;
	nft-dnat)
		nft_conf >"$LABTMP/nft.conf"
		lab_exec lb nft -f "$LABTMP/nft.conf" || {
			SKIP_REASON="failed: nft -f"
			return 1
		}
		NFT_LOADED=1
		vip_targets "$VIP_NAT"
		;;
	esac
	bmt_ready
}

cfg_teardown() {
	local c=$1
	case $c in
	xlb-dr | xlb-proxy-*) bmt_stop_xlbd ;;
	xlb-tun | xlb-dscp)
		bmt_stop_xlbd
		rs_all down --vip "$VIP" || say "xlb-rs down failed"
		# up found the VIP on lo (the lab's DR setup) and leaves it; make sure.
		for i in "${LAB_REALS[@]}"; do
			lab_exec "r$i" ip addr replace "$VIP/32" dev lo
		done
		;;
	xlb-nat | xlb-fnat)
		bmt_stop_xlbd
		reals_tx on
		;;
	haproxy-* | nginx-stream) bmt_proxy_stop ;;
	nft-dnat)
		lab_exec lb nft delete table ip xlbbmt || say "nft delete table failed"
		NFT_LOADED=0
		;;
	esac
}

# ---------------------------------------------------------------- measuring

CLK_TCK=$(getconf CLK_TCK)
# Clock ticks of utime + stime of every process in the LB namespace.
lb_ticks() {
	local pid sum=0 rest
	for pid in $(ip netns pids "$(lab_ns lb)" 2>/dev/null); do
		rest=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		rest=${rest##*) }
		# after "comm)": state is field 1, utime 12, stime 13
		read -r -a f <<<"$rest"
		sum=$((sum + f[11] + f[12]))
	done
	echo "$sum"
}

# run_test TEST CONC: runs the generators; RESULT := the TSV tail
# "status requests errors rps p50 p99 lb_cpu secs". (Not in $(...): the
# generators' PIDs must stay visible to the EXIT trap.)
run_test() {
	local t=$1 conc=$2 k n secs dir=$LABTMP/gen
	rm -rf "$dir"
	mkdir -p "$dir"
	secs=$AB_SECS
	[ "$t" = ab ] || secs=$WRK_SECS
	local t0 t1 c0 c1 outs=()
	c0=$(lb_ticks)
	t0=$(_lab_now_us)
	GEN_PIDS=()
	for ((k = 0; k < GENS; k++)); do
		n=$((conc / GENS + (k < conc % GENS ? 1 : 0)))
		[ "$n" -gt 0 ] || continue
		local u=${CFG_TARGETS[$k]}
		case $t in
		ab)
			ip netns exec "$(lab_ns client)" timeout -k 2 $((secs + 20)) \
				ab -q -r -s 5 -t "$secs" -n 100000000 -c "$n" -e "$dir/$k.csv" "$u" \
				>"$dir/$k.out" 2>&1 </dev/null &
			;;
		wrk-ka | wrk-close)
			local hdr=()
			[ "$t" = wrk-ka ] || hdr=(-H "Connection: close")
			ip netns exec "$(lab_ns client)" timeout -k 2 $((secs + 20)) \
				wrk -t 1 -c "$n" -d "${secs}s" --timeout 5s "${hdr[@]}" -s "$BMT_DIR/bmt_wrk.lua" "$u" \
				>"$dir/$k.out" 2>&1 </dev/null &
			;;
		esac
		GEN_PIDS+=("$!")
		outs+=("$dir/$k.out")
	done
	local pid st=ok
	for pid in "${GEN_PIDS[@]}"; do
		wait "$pid" || st="failed: generator exit $?"
	done
	GEN_PIDS=()
	t1=$(_lab_now_us)
	c1=$(lb_ticks)
	local res
	res=$(python3 "$BMT_DIR/bmt_stats.py" "${t%%-*}" "${outs[@]}") || {
		res="0	0	0	nan	nan"
		st="failed: unparsable output"
	}
	local rps
	rps=$(cut -f3 <<<"$res")
	if [ "$st" = ok ] && ! awk -v r="$rps" 'BEGIN { exit !(r > 0) }'; then
		st="failed: 0 req/s ($(head -c 200 "${outs[0]}" | tr '\n\t' '  '))"
	fi
	if [ "$st" != ok ]; then
		mkdir -p "$OUT/failed"
		cat "${outs[@]}" >"$OUT/failed/$CUR_ROUND-$CUR_CFG-$t-$conc.txt" 2>/dev/null || true
	fi
	local cpu
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" -v us=$((t1 - t0)) \
		'BEGIN { printf "%.1f", (b - a) / hz / (us / 1e6) * 100 }')
	RESULT=$(printf '%s\t%s\t%s\t%.1f' "$st" "$res" "$cpu" "$(awk -v us=$((t1 - t0)) 'BEGIN { print us / 1e6 }')")
}

TESTS=()
for c in $AB_LEVELS; do TESTS+=("ab:$c"); done
TESTS+=("wrk-ka:$WRK_CONNS" "wrk-close:$WRK_CONNS")

# ---------------------------------------------------------------- run

static_checks
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
hv=
if grep -qw hypervisor /proc/cpuinfo; then hv=", virtual machine"; fi
MACHINE="$(nproc) CPUs ($cpu_model$hv), kernel $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME"), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
labels=""
for c in $CONFIGS; do labels+="${labels:+|}$c=${LABEL[$c]}"; done
{
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'machine\t%s\n' "$MACHINE"
	printf 'command\t%s\n' "${BMT_COMMAND:-$([ "$QUICK" = 1 ] && echo 'QUICK=1 ')bench/bmt.sh}"
	printf 'settings\t%s\n' "$NREALS reals (nginx, 1 worker each), $GENS generators, ab -c $AB_LEVELS for ${AB_SECS}s each (no keep-alive), wrk -c $WRK_CONNS for ${WRK_SECS}s (keep-alive and Connection: close), GET $HTTP_PATH (5120 bytes), xlb XDP mode $XLB_MODE, proxies $PROXY_THREADS threads"
	printf 'configs\t%s\n' "$CONFIGS"
	printf 'labels\t%s\n' "$labels"
} >"$OUT/meta.tsv"
say "$MACHINE"

START=$SECONDS
rounds_done=0
for ((round = 1; round <= ROUNDS; round++)); do
	# Stop before a round that would not fit the time budget.
	if [ "$rounds_done" -gt 0 ]; then
		per=$(((SECONDS - START) / rounds_done))
		if [ $((SECONDS - START + per)) -gt "$BUDGET" ]; then
			say "time budget ${BUDGET}s: stopping after $rounds_done rounds"
			printf 'note\tstopped after %d of %d rounds (time budget %ds, %ds per round)\n' \
				"$rounds_done" "$ROUNDS" "$BUDGET" "$per" >>"$OUT/meta.tsv"
			break
		fi
	fi
	tsv=$OUT/raw/round-$round.tsv
	printf 'round\tseq\tconfig\ttest\tconc\tstatus\trequests\terrors\trps\tp50_ms\tp99_ms\tlb_cpu_pct\tsecs\n' >"$tsv"
	# shellcheck disable=SC2086 # one configuration per word
	order=$(printf '%s\n' $CONFIGS | shuf | tr '\n' ' ')
	say "round $round/$ROUNDS: $order"
	seq=0
	for cfg in $order; do
		seq=$((seq + 1))
		CUR_ROUND=$round CUR_CFG=$cfg
		if [ -n "${STATIC_SKIP[$cfg]:-}" ]; then
			for tc in "${TESTS[@]}"; do
				printf '%s\t%s\t%s\t%s\t%s\t%s\t0\t0\t0\tnan\tnan\t-\t0\n' \
					"$round" "$seq" "$cfg" "${tc%%:*}" "${tc#*:}" "${STATIC_SKIP[$cfg]}" >>"$tsv"
			done
			[ "$round" -gt 1 ] || echo "${LABEL[$cfg]}: ${STATIC_SKIP[$cfg]}"
			continue
		fi
		ts=$SECONDS
		if ! cfg_setup "$cfg"; then
			say "$cfg: $SKIP_REASON"
			for tc in "${TESTS[@]}"; do
				printf '%s\t%s\t%s\t%s\t%s\t%s\t0\t0\t0\tnan\tnan\t-\t0\n' \
					"$round" "$seq" "$cfg" "${tc%%:*}" "${tc#*:}" "$SKIP_REASON" >>"$tsv"
			done
			cfg_teardown "$cfg"
			continue
		fi
		line=" (setup $((SECONDS - ts))s)"
		for tc in "${TESTS[@]}"; do
			run_test "${tc%%:*}" "${tc#*:}"
			r=$RESULT
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$seq" "$cfg" "${tc%%:*}" "${tc#*:}" "$r" >>"$tsv"
			line+=" ${tc}=$(cut -f4 <<<"$r" | cut -d. -f1)"
		done
		ts=$SECONDS
		cfg_teardown "$cfg"
		say "  $cfg:$line (teardown $((SECONDS - ts))s)"
	done
	rounds_done=$round
done

# ---------------------------------------------------------------- report

python3 "$BMT_DIR/bmt_stats.py" summary "$OUT"
gnuplot -e "dir='$OUT'" "$BMT_DIR/bmt_plot.gp" 2>"$OUT/gnuplot.log" || {
	cat "$OUT/gnuplot.log" >&2
	die "gnuplot failed"
}
say "done in $((SECONDS - START))s: $OUT/summary.md, $(cd "$OUT" && ls ./*.png | tr '\n' ' ')"
