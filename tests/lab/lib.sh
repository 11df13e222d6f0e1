# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Network-namespace lab for xlb: a client, a load balancer and N nginx reals on one bridge.
#
# Sourced by tests/lab/test_*.sh and scripts/demo.sh. Topology (every box is a
# network namespace named "${LAB_P}-NAME"; LAB_P is unique per run):
#
#   client 10.200.0.10  fd00:200::10 ---+
#   lb     10.200.0.2   fd00:200::2  ---+--- br0 in namespace "${LAB_P}-br"
#          + VIPs 10.200.0.200, fd00:200::200 on eth0 (it answers ARP/ND for them)
#   rI     10.200.0.(100+I) fd00:200::(100+I) ---+
#          + VIPs on lo, arp_ignore=1 / arp_announce=2, nginx on :80
#
# This is LVS direct routing (the seed's setup): the client's ARP/ND for the
# VIP resolves to the LB, the LB rewrites the destination MAC to a real's, the
# real accepts the VIP (it is on its lo) and replies straight to the client.
#
# Everything a run creates (namespaces, a bpffs mount, nginx and xlbd
# processes, a temp dir) is recorded and removed by lab_down, which lab_init
# installs as the EXIT trap; INT and TERM become exits so it runs for them too.
# LAB_KEEP_TMP=1 keeps the temp dir (configs, xlbd and nginx logs) for a look.
#
# Typical use:
#   . tests/lab/lib.sh
#   lab_init v4                      # prefix "xl<pid>v4", traps, $LABTMP
#   lab_up 3                         # bridge, client, lb, r1..r3 with nginx
#   lab_write_config "$LABTMP/xlb.yaml" family=4 sched=rr
#   lab_start_xlbd "$LABTMP/xlb.yaml"
#   lab_http_many 300 "$(lab_vip_url 4 /)" >out; lab_tally out

LC_ALL=C
export LC_ALL

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB_BUILD=${BUILD:-build}
case $LAB_BUILD in /*) ;; *) LAB_BUILD=$LAB_ROOT/$LAB_BUILD ;; esac
XLBD=${XLBD:-$LAB_BUILD/xlbd}
XLBCTL=${XLBCTL:-$LAB_BUILD/xlbctl}
LAB_XDP_PASS=${LAB_XDP_PASS:-$LAB_BUILD/xdp_pass.bpf.o}

LAB_NET4=10.200.0
LAB_NET6=fd00:200:
LAB_CLIENT4=10.200.0.10
LAB_CLIENT6=fd00:200::10
LAB_LB4=10.200.0.2
LAB_LB6=fd00:200::2
LAB_VIP4=10.200.0.200
LAB_VIP6=fd00:200::200
LAB_BIG_SIZE=$((64 * 1024 * 1024))
LAB_5K_SIZE=5120

# State of this run; lab_down undoes exactly what these record.
LAB_P=
LABTMP=
LAB_NAMESPACES=()   # namespaces we created, bridge first
LAB_REALS=()        # indexes of the reals that are up
declare -A LAB_NGINX_PID=() # real index -> nginx master pid
LAB_BG_PIDS=()      # background commands started with lab_bg
LAB_XLBD_PID=
LAB_XLBD_LOG=
LAB_BPFFS=
LAB_DOWN_DONE=0

# ---------------------------------------------------------------- messages

lab_log() { printf '[lab] %s\n' "$*" >&2; }
lab_pass() { printf 'PASS: %s\n' "$*"; }
# lab_fail MESSAGE: reports and exits 1; the EXIT trap then tears the lab down.
lab_fail() {
	printf 'FAIL: %s\n' "$*"
	exit 1
}
lab_skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# ---------------------------------------------------------------- preconditions

lab_require_root() {
	[ "$(id -u)" = 0 ] || lab_skip "needs root (network namespaces, bpffs, XDP)"
}

lab_require_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || lab_skip "needs '$c' (run: make deps)"
	done
}

# The daemon and CLI come from `make`; without them the end-to-end tests skip.
lab_require_xlb() {
	[ -x "$XLBD" ] || lab_skip "$XLBD not built (run: make)"
	[ -x "$XLBCTL" ] || lab_skip "$XLBCTL not built (run: make)"
}

# ---------------------------------------------------------------- polling

# Microseconds since the epoch, from bash itself (no fork).
_lab_now_us() { local t=${EPOCHREALTIME/./}; echo "$((10#$t))"; }

# lab_wait_for TIMEOUT_SECONDS CMD...: runs CMD (output discarded) every
# 0.1 s until it succeeds (return 0) or the deadline passes (return 1).
# TIMEOUT may have a fraction ("2.5").
lab_wait_for() {
	local timeout=$1
	shift
	local whole=${timeout%%.*} frac=0
	[[ $timeout == *.* ]] && frac=${timeout#*.}
	frac=${frac}000000
	local deadline=$(($(_lab_now_us) + ${whole:-0} * 1000000 + 10#${frac:0:6}))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(_lab_now_us)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# True while PID exists and is not a zombie (kill -0 succeeds on zombies, and a
# daemon's zombie may linger if nobody reaps it).
lab_pid_alive() {
	local pid=$1 _a _b state
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	read -r _a _b state _ <"/proc/$pid/stat" 2>/dev/null || return 1
	[ "$state" != Z ]
}

_lab_pid_dead() { ! lab_pid_alive "$1"; }

# lab_kill_pid PID [SECONDS [COMM]]: SIGTERM, wait until gone, SIGKILL as a
# last resort. With COMM, only if the process is still that program (a
# daemon's PID is not our child and could have been reused).
lab_kill_pid() {
	local pid=$1 secs=${2:-5} comm=${3:-}
	lab_pid_alive "$pid" || return 0
	if [ -n "$comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$comm" ]; then
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || return 0
	if ! lab_wait_for "$secs" _lab_pid_dead "$pid"; then
		lab_log "pid $pid ignored SIGTERM for ${secs}s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		lab_wait_for 2 _lab_pid_dead "$pid"
	fi
}

# ---------------------------------------------------------------- naming

lab_ns() { echo "${LAB_P}-$1"; }
lab_exec() {
	local n=$1
	shift
	ip netns exec "$(lab_ns "$n")" "$@"
}
lab_real_ip4() { echo "$LAB_NET4.$((100 + $1))"; }
lab_real_ip6() { echo "${LAB_NET6}:$((100 + $1))"; }

# ---------------------------------------------------------------- lifecycle

# lab_init TAG: picks the run prefix "xl<pid><TAG>" and a temp dir, and arms
# the cleanup traps. Call it before anything that creates state.
lab_init() {
	local tag=${1:-}
	lab_require_root
	lab_require_cmds ip nginx curl ethtool sysctl
	LAB_P="xl$$${tag}"
	# The longest namespace is "$LAB_P-client"; keep names readable in `ip netns`.
	[ ${#LAB_P} -le 14 ] || {
		echo "lab_init: prefix '$LAB_P' too long; use a shorter tag" >&2
		exit 2
	}
	LABTMP=$(mktemp -d "/tmp/$LAB_P.XXXXXX")
	trap lab_down EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap '' PIPE
}

# lab_up NREALS: builds the whole topology and starts nginx on every real.
lab_up() {
	local n=${1:-3} i
	[ -n "$LAB_P" ] || {
		echo "lab_up: call lab_init first" >&2
		exit 2
	}
	_lab_make_content
	_lab_mount_bpffs
	_lab_bridge
	_lab_host client "$LAB_CLIENT4" "$LAB_CLIENT6"
	# veth hands the peer CHECKSUM_PARTIAL skbs: the TCP checksum is only
	# filled in by "hardware" that never runs. When the LB's XDP program
	# bounces such a frame (XDP_TX) it becomes a plain buffer and reaches the
	# real with a wrong checksum, which the real drops. Checksumming in the
	# client's stack (tx off; this also turns TSO off) sends complete frames,
	# as a physical NIC would put on the wire.
	lab_exec client ethtool -K eth0 tx off >/dev/null
	_lab_host lb "$LAB_LB4" "$LAB_LB6"
	# Like an LVS director, the LB owns the VIPs, so ARP and ND for them
	# resolve to its MAC and its XDP program sees the client's packets.
	lab_exec lb ip addr add "$LAB_VIP4/32" dev eth0
	lab_exec lb ip addr add "$LAB_VIP6/128" dev eth0 nodad
	_lab_attach_xdp_pass lb
	for ((i = 1; i <= n; i++)); do
		lab_add_real "$i"
	done
	_lab_wait_l2
}

# lab_add_real I: adds real rI (namespace, VIPs on lo, ARP sysctls, nginx).
lab_add_real() {
	local i=$1 name=r$1
	_lab_host "$name" "$(lab_real_ip4 "$i")" "$(lab_real_ip6 "$i")"
	# The seed's DR real-server setup: accept the VIP (on lo) but never answer
	# ARP for it (arp_ignore=1: only for addresses on the asked interface) nor
	# use it as an ARP source (arp_announce=2). IPv6 needs nothing: ND only
	# answers for addresses on the interface the solicitation came in on.
	lab_exec "$name" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
		net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
	lab_exec "$name" ip addr add "$LAB_VIP4/32" dev lo
	lab_exec "$name" ip addr add "$LAB_VIP6/128" dev lo nodad
	_lab_start_nginx "$i"
	LAB_REALS+=("$i")
}

# lab_down: stops what we started and deletes what we created; idempotent,
# safe at any point of a half-built lab (it is the EXIT trap).
lab_down() {
	local rc=$?
	[ "$LAB_DOWN_DONE" = 1 ] && return 0
	LAB_DOWN_DONE=1
	set +e
	trap - INT TERM
	trap '' INT TERM # a second Ctrl-C must not interrupt the cleanup
	if [ "$rc" -ne 0 ] && [ -n "$LAB_XLBD_LOG" ] && [ -s "$LAB_XLBD_LOG" ]; then
		echo "--- last lines of the xlbd log ($LAB_XLBD_LOG) ---" >&2
		tail -n 30 "$LAB_XLBD_LOG" >&2
		echo "---" >&2
	fi
	[ -n "$LAB_XLBD_PID" ] && lab_stop_xlbd >/dev/null 2>&1
	local pid
	for pid in "${LAB_BG_PIDS[@]}"; do
		lab_kill_pid "$pid" 3
		wait "$pid" 2>/dev/null
	done
	LAB_BG_PIDS=()
	local i
	for i in "${!LAB_NGINX_PID[@]}"; do
		lab_kill_pid "${LAB_NGINX_PID[$i]}" 5 nginx
	done
	LAB_NGINX_PID=()
	# Safety net: anything still running inside our own namespaces was
	# started by this run (a stray nginx worker, a curl); end it by PID so the
	# namespace can really go away.
	local ns
	for ns in "${LAB_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			lab_log "ending leftover pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) in $ns"
			lab_kill_pid "$pid" 2
		done
	done
	# Reals and hosts first, bridge last (its veth peers die with the hosts).
	local k
	for ((k = ${#LAB_NAMESPACES[@]} - 1; k >= 0; k--)); do
		ip netns del "${LAB_NAMESPACES[$k]}" 2>/dev/null
	done
	LAB_NAMESPACES=()
	if [ -n "$LAB_BPFFS" ] && mountpoint -q "$LAB_BPFFS"; then
		umount "$LAB_BPFFS" 2>/dev/null || umount -l "$LAB_BPFFS"
	fi
	if [ -n "$LABTMP" ] && [ -d "$LABTMP" ]; then
		if [ "${LAB_KEEP_TMP:-0}" = 1 ]; then
			lab_log "kept $LABTMP (LAB_KEEP_TMP=1)"
		else
			rm -rf "$LABTMP"
		fi
	fi
	return 0
}

# ---------------------------------------------------------------- topology

_lab_new_ns() {
	local ns
	ns=$(lab_ns "$1")
	ip netns add "$ns"
	LAB_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
}

_lab_bridge() {
	_lab_new_ns br
	# The bridge namespace is pure L2: no IPv6 on its ports means no router
	# solicitations, MLD reports or link-local noise from it.
	lab_exec br sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	# No STP delay; no multicast snooping, so ND multicast always floods.
	ip -n "$(lab_ns br)" link add br0 type bridge forward_delay 0 stp_state 0 mcast_snooping 0
	ip -n "$(lab_ns br)" link set br0 up
}

# _lab_host NAME IPV4 IPV6: a namespace with eth0, whose veth peer "v-NAME"
# sits in the bridge namespace as a port of br0.
_lab_host() {
	local name=$1 ip4=$2 ip6=$3 ns br
	_lab_new_ns "$name"
	ns=$(lab_ns "$name")
	br=$(lab_ns br)
	# No DAD (addresses usable at once), no router solicitations or RAs:
	# the lab has no router, and this keeps packet counts exact.
	ip netns exec "$ns" sysctl -qw \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
	ip -n "$br" link add "v-$name" type veth peer name eth0 netns "$ns"
	ip -n "$br" link set "v-$name" master br0 up
	ip -n "$ns" addr add "$ip4/24" dev eth0
	ip -n "$ns" addr add "$ip6/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
}

# A frame that the LB's XDP program sends with XDP_TX arrives on its veth
# peer only if that peer has an XDP program (veth's XDP receive path), so the
# peer gets one that passes everything.
_lab_attach_xdp_pass() {
	local name=$1
	if [ ! -f "$LAB_XDP_PASS" ]; then
		make -s -C "$LAB_ROOT" "${LAB_XDP_PASS#"$LAB_ROOT"/}" >&2 ||
			lab_fail "cannot build $LAB_XDP_PASS"
	fi
	ip -n "$(lab_ns br)" link set dev "v-$name" xdp obj "$LAB_XDP_PASS" sec xdp
}

_lab_ping_ok() { lab_exec "$1" ping -q -c 1 -W 1 "$2"; }

# Every link up and every host reachable from the client (v4 and v6).
_lab_wait_l2() {
	local i
	local targets=("$LAB_LB4" "$LAB_LB6")
	for i in "${LAB_REALS[@]}"; do
		targets+=("$(lab_real_ip4 "$i")" "$(lab_real_ip6 "$i")")
	done
	local t
	for t in "${targets[@]}"; do
		lab_wait_for 10 _lab_ping_ok client "$t" || lab_fail "client cannot ping $t"
	done
}

_lab_mount_bpffs() {
	# `ip netns exec` remounts /sys, hiding /sys/fs/bpf from xlbd; a private
	# bpffs mounted here (host mount namespace, before xlbd starts) is visible
	# inside and is unmounted by lab_down, taking the pinned maps with it.
	LAB_BPFFS=$LABTMP/bpffs
	mkdir -p "$LAB_BPFFS"
	mount -t bpf bpf "$LAB_BPFFS"
}

# ---------------------------------------------------------------- content and nginx

# Files every real serves; the patterns are fixed so sizes and checksums are
# known in advance.
_lab_make_content() {
	local d=$LABTMP/www
	mkdir -p "$d"
	head -c "$LAB_5K_SIZE" < <(yes 'xlb lab 5k body 0123456789' 2>/dev/null) >"$d/5k"
	head -c "$LAB_BIG_SIZE" < <(yes 'xlb lab big file pattern 0123456789abcdefghijklmnopqrstuvwxyz' 2>/dev/null) >"$d/big"
	printf 'OK\n' >"$d/health_check.html"
	LAB_BIG_SHA256=$(sha256sum "$d/big" | cut -d' ' -f1)
}

# Per-real nginx: its own prefix dir, config, pid file and logs.
_lab_nginx_conf() {
	local i=$1 dir=$2 www=$LABTMP/www
	cat <<EOF
# generated by tests/lab/lib.sh for real r$i of lab run $LAB_P
daemon on;
master_process on;
user root;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
events { worker_connections 4096; }
http {
    log_format lab '\$remote_addr \$remote_port \$server_addr "\$request" \$status \$body_bytes_sent';
    access_log $dir/access.log lab;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    server {
        listen 0.0.0.0:80 backlog=4096;
        listen [::]:80 ipv6only=on backlog=4096;
        server_name _;
        # Body is the real's name, so the client can count who served it.
        location = / { default_type text/plain; return 200 "r$i\n"; }
        location = /5k { alias $www/5k; }
        location = /big { alias $www/big; }
        location = /health_check.html { default_type text/html; alias $www/health_check.html; }
    }
}
EOF
}

_lab_nginx_serves() {
	local i=$1 body
	body=$(lab_exec "r$i" curl -s --max-time 2 "http://$(lab_real_ip4 "$i")/") || return 1
	[ "$body" = "r$i" ]
}

_lab_start_nginx() {
	local i=$1 dir=$LABTMP/r$1 pid
	mkdir -p "$dir/tmp"
	_lab_nginx_conf "$i" "$dir" >"$dir/nginx.conf"
	lab_exec "r$i" nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" ||
		lab_fail "nginx did not start on r$i (see $dir/error.log)"
	# With `daemon on` the command returns once it forked; the daemon writes
	# its pid file a moment later.
	lab_wait_for 5 test -s "$dir/nginx.pid" || lab_fail "nginx on r$i wrote no pid file"
	pid=$(<"$dir/nginx.pid")
	LAB_NGINX_PID[$i]=$pid
	lab_wait_for 5 _lab_nginx_serves "$i" || lab_fail "nginx on r$i does not answer"
}

lab_nginx_access_log() { echo "$LABTMP/r$1/access.log"; }

# lab_access_count I [REGEX]: access-log lines of real I (matching REGEX).
lab_access_count() {
	local f
	f=$(lab_nginx_access_log "$1")
	[ -f "$f" ] || {
		echo 0
		return
	}
	grep -c -E -- "${2:-.}" "$f" || true
}

# ---------------------------------------------------------------- xlbd

# lab_write_config FILE [key=value...]: writes an xlbd YAML config.
#   mode=native|generic|tc   (native)
#   family=4|6|46            which VIPs get a service (4)
#   sched=rr|wrr             (rr)
#   reals="1 2 3"            real indexes (every real that is up)
#   weights="3 2 1"          one per real (all 1)
#   port=80
lab_write_config() {
	local file=$1
	shift
	local mode=native family=4 sched=rr reals="${LAB_REALS[*]}" weights="" port=80 kv
	local method=dr dscp=10 locals4="" locals6="" timeouts="" persistence="" 
	for kv in "$@"; do
		case $kv in
		mode=*) mode=${kv#*=} ;;
		family=*) family=${kv#*=} ;;
		sched=*) sched=${kv#*=} ;;
		reals=*) reals=${kv#*=} ;;
		weights=*) weights=${kv#*=} ;;
		port=*) port=${kv#*=} ;;
		method=*) method=${kv#*=} ;;
		dscp=*) dscp=${kv#*=} ;;
		locals4=*) locals4=${kv#*=} ;;
		locals6=*) locals6=${kv#*=} ;;
		timeouts=*) timeouts=${kv#*=} ;;
		persistence=*) persistence=${kv#*=} ;;
		*)
			echo "lab_write_config: unknown option '$kv'" >&2
			return 2
			;;
		esac
	done
	reals=${reals//,/ }
	weights=${weights//,/ }
	local -a ra wa
	read -r -a ra <<<"$reals"
	read -r -a wa <<<"$weights"
	{
		echo "# generated by tests/lab/lib.sh for lab run $LAB_P"
		echo "interfaces:"
		echo "  - name: eth0"
		echo "    mode: $mode"
		echo "control_socket: $LABTMP/xlb.sock"
		echo "bpf_pin_dir: $LAB_BPFFS/xlb"
		if [ -n "$timeouts" ]; then
			echo "flows:"
			echo "  timeouts: {$timeouts}"
		fi
		echo "services:"
		local fam k
		for fam in 4 6; do
			[[ $family == *$fam* ]] || continue
			local vip=$LAB_VIP4
			[ "$fam" = 6 ] && vip=$LAB_VIP6
			echo "  - name: web$fam"
			echo "    vip: $vip"
			echo "    port: $port"
			echo "    protocol: tcp"
			echo "    method: $method"
			echo "    scheduler: $sched"
			[ -z "$persistence" ] || echo "    persistence: $persistence"
			[ "$method" != dscp ] || echo "    dscp: $dscp"
			if [ "$method" = fnat ]; then
				if [ "$fam" = 4 ]; then echo "    local_addresses: [$locals4]"; else echo "    local_addresses: [$locals6]"; fi
			fi
			echo "    reals:"
			for k in "${!ra[@]}"; do
				if [ "$fam" = 4 ]; then
					echo "      - address: $(lab_real_ip4 "${ra[$k]}")"
				else
					echo "      - address: $(lab_real_ip6 "${ra[$k]}")"
				fi
				echo "        weight: ${wa[$k]:-1}"
			done
		done
	} >"$file"
}

lab_ctl() { "$XLBCTL" -s "$LABTMP/xlb.sock" "$@"; }
lab_ctl_json() { "$XLBCTL" -s "$LABTMP/xlb.sock" --json list; }

_lab_xlbd_ready() { lab_ctl list; }
# Ready, or dead (no point in waiting any longer).
_lab_xlbd_settled() { _lab_xlbd_ready || ! lab_pid_alive "$LAB_XLBD_PID"; }

# lab_start_xlbd CONFIG: runs xlbd in the LB namespace (stderr to
# $LABTMP/xlbd.log) and waits until its control socket answers.
lab_start_xlbd() {
	local cfg=$1
	[ -z "$LAB_XLBD_PID" ] || lab_fail "xlbd already running (pid $LAB_XLBD_PID)"
	LAB_XLBD_LOG=$LABTMP/xlbd.log
	echo "=== xlbd -c $cfg ($(date +%T))" >>"$LAB_XLBD_LOG"
	ip netns exec "$(lab_ns lb)" "$XLBD" -c "$cfg" >>"$LAB_XLBD_LOG" 2>&1 </dev/null &
	LAB_XLBD_PID=$!
	lab_wait_for 15 _lab_xlbd_settled
	if ! _lab_xlbd_ready >/dev/null 2>&1; then
		if ! lab_pid_alive "$LAB_XLBD_PID"; then
			local st=0
			wait "$LAB_XLBD_PID" || st=$?
			LAB_XLBD_PID=
			lab_fail "xlbd exited with status $st during startup: $(grep -E 'error|fatal' "$LAB_XLBD_LOG" | tail -1) (log tail follows)"
		fi
		lab_fail "xlbd control socket $LABTMP/xlb.sock did not answer within 15s"
	fi
}

# lab_stop_xlbd: SIGTERM (xlbd exits, its program stays attached) and waits; returns xlbd's
# exit status, also left in LAB_XLBD_STATUS. (Not in $(...): it must reap
# its own child.)
lab_stop_xlbd() {
	local pid=$LAB_XLBD_PID
	LAB_XLBD_STATUS=0
	[ -n "$pid" ] || return 0
	LAB_XLBD_PID=
	if lab_pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! lab_wait_for 10 _lab_pid_dead "$pid"; then
			lab_log "xlbd (pid $pid) still running 10s after SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null || LAB_XLBD_STATUS=$?
	return "$LAB_XLBD_STATUS"
}

# lab_reload_xlbd: SIGHUP to the running xlbd.
lab_reload_xlbd() {
	lab_pid_alive "$LAB_XLBD_PID" || lab_fail "xlbd is not running"
	kill -HUP "$LAB_XLBD_PID"
}

# lab_json_reals_up SERVICE N: the service has N reals and all are "up".
lab_json_reals_up() {
	lab_ctl_json | jq -e --arg s "$1" --argjson n "$2" \
		'[.services[] | select(.name == $s) | .reals[] | select(.state == "up")] | length == $n'
}

# lab_service_stat SERVICE FIELD: packets | bytes | new_flows of a service
# (prints "?" and fails if xlbctl has no such number).
lab_service_stat() {
	local v
	v=$(lab_ctl_json | jq -r --arg s "$1" --arg f "$2" '.services[] | select(.name == $s) | .stats[$f]' 2>/dev/null) || true
	if [[ $v =~ ^[0-9]+$ ]]; then
		echo "$v"
	else
		echo "?"
		return 1
	fi
}

# ---------------------------------------------------------------- traffic

# lab_bg NAME OUTFILE CMD...: runs CMD in namespace NAME in the background
# (stdout+stderr to OUTFILE); its PID is in $LAB_BG_LAST and lab_down ends it.
lab_bg() {
	local n=$1 out=$2
	shift 2
	ip netns exec "$(lab_ns "$n")" "$@" >"$out" 2>&1 </dev/null &
	LAB_BG_LAST=$!
	LAB_BG_PIDS+=("$LAB_BG_LAST")
}

# Client source ports for lab_http_many: each request gets its own, never
# reused within a lab run. Left to the kernel, a new connection may reuse the
# port of an earlier, closed one (the server closed first, so the client holds
# no TIME_WAIT), and the kernel's port choice is shared by all namespaces:
# concurrent labs with the same addresses make it wrap within one run. A
# reused port is an existing flow on the LB, which rightly sends it to the
# same real as before, and the rr/wrr counts drift. The range sits below the
# kernel's ephemeral range (32768-60999) used by wrk, ab and plain curl.
LAB_NEXT_PORT=10000
LAB_LAST_PORT=32767

# lab_http_many COUNT URL: COUNT sequential requests from the client, each on
# a new connection from a new source port (so each is a new flow for the LB).
# Prints one line per request: "HTTP_CODE REMOTE_IP BODY" (BODY "-" if empty).
lab_http_many() {
	local count=$1 url=$2 first=$LAB_NEXT_PORT
	[ $((first + count - 1)) -le "$LAB_LAST_PORT" ] ||
		lab_fail "lab_http_many: out of client ports ($first + $count > $LAB_LAST_PORT)"
	LAB_NEXT_PORT=$((first + count))
	# One curl for all of them (a process per request took most of a lab
	# test's time on a busy machine): each "--next" group is its own transfer
	# with its own local port, and "Connection: close" keeps any from reusing
	# another's connection. The write-out goes on a line of its own starting
	# with "|", so it can be told apart from the body before it; a failed
	# request prints "|000|".
	local args=() p
	for ((p = first; p < first + count; p++)); do
		[ "$p" = "$first" ] || args+=(--next)
		args+=(-s --max-time 5 --connect-timeout 3 --local-port "$p" -H "Connection: close"
			-w "\n|%{http_code}|%{remote_ip}\n" "$url")
	done
	{ lab_exec client curl "${args[@]}" 2>/dev/null || true; } |
		awk '/^\|/ { split($0, a, "|"); print a[2], a[3], (body == "" ? "-" : body); body = ""; next }
		     { body = body $0 }'
}

# lab_tally FILE: from lab_http_many output, "BODY COUNT" per distinct body
# of the 200 responses, sorted by body.
lab_tally() {
	awk '$1 == 200 { n[$3]++ } END { for (b in n) print b, n[b] }' "$1" | sort
}

# lab_count_of FILE BODY: number of 200 responses with that body.
lab_count_of() {
	awk -v b="$2" '$1 == 200 && $3 == b { c++ } END { print c + 0 }' "$1"
}

# lab_if_stat NAME IFACE STAT: a counter from /sys/class/net (ip netns exec
# mounts the namespace's own /sys).
lab_if_stat() { lab_exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# lab_within VALUE EXPECTED TOLERANCE
lab_within() {
	local v=$1 e=$2 t=$3
	[ "$v" -ge $((e - t)) ] && [ "$v" -le $((e + t)) ]
}

# ---------------------------------------------------------------- checks shared by the tests

# lab_vip FAMILY / lab_vip_url FAMILY [PATH]
lab_vip() { if [ "$1" = 6 ]; then echo "$LAB_VIP6"; else echo "$LAB_VIP4"; fi; }
lab_vip_url() {
	if [ "$1" = 6 ]; then echo "http://[$LAB_VIP6]${2:-/}"; else echo "http://$LAB_VIP4${2:-/}"; fi
}

# lab_wait_reals_up SERVICE N: fails unless xlbd reports N reals "up" (MAC
# resolved) within 10 s.
lab_wait_reals_up() {
	lab_wait_for 10 lab_json_reals_up "$1" "$2" ||
		lab_fail "service $1: not all $2 reals are up after 10s: $(lab_ctl_json | jq -c --arg s "$1" '[.services[] | select(.name == $s) | .reals[] | {address, state, mac}]' 2>&1)"
}

# lab_check_spread FAMILY COUNT TOLERANCE r1=N r2=N ...: COUNT requests to the
# VIP's "/"; every one must be a 200 from the VIP's address, and each real must
# have served its expected share within TOLERANCE. Also checks that xlbd's
# service counters saw exactly the client's packets (the replies bypass it).
# Leaves the responses in $LABTMP/spread.out.
lab_check_spread() {
	local fam=$1 count=$2 tol=$3
	shift 3
	local svc=web$fam vip out=$LABTMP/spread.out
	vip=$(lab_vip "$fam")
	local tx0 tx1 pk0 pk1 nf0 nf1
	tx0=$(lab_if_stat client eth0 tx_packets)
	pk0=$(lab_service_stat "$svc" packets) || true
	nf0=$(lab_service_stat "$svc" new_flows) || true
	lab_http_many "$count" "$(lab_vip_url "$fam" /)" >"$out"
	tx1=$(lab_if_stat client eth0 tx_packets)
	pk1=$(lab_service_stat "$svc" packets) || true
	nf1=$(lab_service_stat "$svc" new_flows) || true
	[[ "$pk0$pk1$nf0$nf1" != *'?'* ]] ||
		lab_fail "$svc: no stats.packets/new_flows in 'xlbctl --json list': $(lab_ctl_json 2>&1 | head -c 300)"

	local got ok bad
	got=$(wc -l <"$out")
	ok=$(awk -v v="$vip" '$1 == 200 && $2 == v' "$out" | wc -l)
	[ "$got" -eq "$count" ] || lab_fail "$svc: $got responses to $count requests"
	if [ "$ok" -ne "$count" ]; then
		bad=$(awk -v v="$vip" '!($1 == 200 && $2 == v)' "$out" | sort | uniq -c | head -5 | tr '\n' ';')
		lab_fail "$svc: only $ok of $count requests got 200 from $vip; others (count code ip body): $bad"
	fi
	local summary="" kv name want have
	for kv in "$@"; do
		name=${kv%%=*}
		want=${kv#*=}
		have=$(lab_count_of "$out" "$name")
		summary+="$name=$have "
		lab_within "$have" "$want" "$tol" ||
			lab_fail "$svc: $name served $have of $count, expected $want +- $tol (all: $(lab_tally "$out" | tr '\n' ' '))"
	done
	local others
	others=$(lab_tally "$out" | awk -v names=" $* " '{ split(names, a, " "); f = 0; for (i in a) if (index(a[i], $1 "=") == 1) f = 1; if (!f) print }' | tr '\n' ' ')
	[ -z "$others" ] || lab_fail "$svc: unexpected servers: $others"
	lab_pass "$svc: $count/$count requests 200 from $vip; per real: ${summary% }"

	# DR: the LB sees only client -> VIP packets. The client's eth0 sent
	# nothing else meanwhile but the odd ARP/ND, hence the small margin.
	local sent=$((tx1 - tx0)) seen=$((pk1 - pk0)) flows=$((nf1 - nf0))
	local margin=$((sent / 50 + 6))
	lab_within "$seen" "$sent" "$margin" ||
		lab_fail "$svc: xlbd counted $seen packets, the client sent $sent to the VIP (margin $margin)"
	lab_within "$flows" "$count" 2 ||
		lab_fail "$svc: xlbd counted $flows new flows for $count connections"
	lab_pass "$svc: xlbd counted $seen packets / $flows new flows; client sent $sent packets in $count connections"
}

# lab_check_bypass FAMILY: downloads /big through the VIP; it must arrive whole
# (size, sha256) while the LB's eth0 receives far less than the file (< 8 MiB:
# only the client's ACKs), i.e. the replies go real -> client directly.
lab_check_bypass() {
	local fam=$1 rx0 rx1 crx0 crx1 out=$LABTMP/big.$1 sz sum
	rx0=$(lab_if_stat lb eth0 rx_bytes)
	crx0=$(lab_if_stat client eth0 rx_bytes)
	lab_exec client curl -s -g --max-time 60 -o "$out" "$(lab_vip_url "$fam" /big)" ||
		lab_fail "download of /big through the VIP failed (curl exit $?)"
	rx1=$(lab_if_stat lb eth0 rx_bytes)
	crx1=$(lab_if_stat client eth0 rx_bytes)
	sz=$(stat -c %s "$out")
	sum=$(sha256sum "$out" | cut -d' ' -f1)
	rm -f "$out"
	[ "$sz" -eq "$LAB_BIG_SIZE" ] || lab_fail "/big through the VIP: $sz bytes, expected $LAB_BIG_SIZE"
	[ "$sum" = "$LAB_BIG_SHA256" ] || lab_fail "/big through the VIP: sha256 $sum, expected $LAB_BIG_SHA256"
	local lb=$((rx1 - rx0)) cl=$((crx1 - crx0))
	[ "$lb" -lt $((8 * 1024 * 1024)) ] ||
		lab_fail "LB eth0 received $lb bytes during a 64 MiB download (limit 8 MiB): replies do not bypass it"
	lab_pass "/big via VIP: 64 MiB, sha256 ok; client eth0 rx $cl bytes, LB eth0 rx only $lb bytes"
}

# lab_check_wrk FAMILY: 10 s of wrk, 50 connections, 2 threads on /5k: no
# socket errors, no non-2xx, some requests.
# LAB_WRK_S: seconds of load (3: tens of thousands of requests, enough to
# see errors; longer runs measure nothing here, benchmarks do).
lab_check_wrk() {
	local fam=$1 out=$LABTMP/wrk.$1 reqs rps secs=${LAB_WRK_S:-3}
	lab_exec client wrk -c 50 -t 2 -d "${secs}s" --timeout 5s "$(lab_vip_url "$fam" /5k)" >"$out" 2>&1 ||
		lab_fail "wrk failed: $(tr '\n' ' ' <"$out")"
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	if grep -q 'Socket errors' "$out"; then
		lab_fail "wrk: $(grep 'Socket errors' "$out" | sed 's/^ *//') ($reqs requests)"
	fi
	if grep -q 'Non-2xx' "$out"; then
		lab_fail "wrk: $(grep 'Non-2xx' "$out" | sed 's/^ *//') ($reqs requests)"
	fi
	[ "${reqs:-0}" -gt 0 ] || lab_fail "wrk made no requests: $(tr '\n' ' ' <"$out")"
	local i per=""
	for i in "${LAB_REALS[@]}"; do
		per+="r$i=$(lab_access_count "$i" '"GET /5k ') "
	done
	lab_pass "wrk -c 50 -t 2 -d ${secs}s /5k: $reqs requests, $rps req/s, no socket errors, no non-2xx (per real: ${per% })"
}

# lab_check_attached MODE: the LB's eth0 carries xlb's program the way MODE
# says (native: "xdp", generic: "xdpgeneric", tc: a bpf filter on clsact
# ingress); MODE "none" checks that nothing is attached any more.
lab_check_attached() {
	local mode=$1 link tcf
	link=$(ip -n "$(lab_ns lb)" -d link show dev eth0)
	tcf=$(tc -n "$(lab_ns lb)" filter show dev eth0 ingress 2>/dev/null || true)
	local x=none
	if grep -q 'xdpgeneric' <<<"$link"; then
		x=generic
	elif grep -qE '(^| )xdp( |$)|prog/xdp' <<<"$link"; then
		x=native
	elif grep -q 'bpf' <<<"$tcf"; then
		x=tc
	fi
	[ "$x" = "$mode" ] || lab_fail "LB eth0: expected attachment '$mode', found '$x' (ip link: $(head -1 <<<"$link" | tr -s ' '); tc ingress: ${tcf:-none})"
}

# ---------------------------------------------------------------- health checks

# lab_nginx_health I: gives real I's nginx a health endpoint on :8080. GET
# /health answers 200 with the contents of $LABTMP/rI/health.txt ("alive")
# or 503 while $LABTMP/rI/health.503 exists; lab_health_set flips them.
lab_nginx_health() {
	local i=$1 dir=$LABTMP/r$1
	printf 'alive\n' >"$dir/health.txt"
	rm -f "$dir/health.503"
	cat >"$dir/health.conf" <<HEOF
    server {
        listen 0.0.0.0:8080;
        listen [::]:8080 ipv6only=on;
        location = /health {
            if (-f $dir/health.503) { return 503 "busy\n"; }
            default_type text/plain;
            alias $dir/health.txt;
        }
    }
HEOF
	_lab_nginx_health_conf "$i"
	lab_exec "r$i" nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s reload ||
		lab_fail "nginx on r$i did not reload"
	lab_wait_for 5 _lab_health_answers "$i" || lab_fail "nginx on r$i: no /health on :8080"
}

# The generated nginx.conf with the health server (if any) before its last brace.
_lab_nginx_health_conf() {
	local i=$1 dir=$LABTMP/r$1
	{
		_lab_nginx_conf "$i" "$dir" | sed '$d'
		[ -f "$dir/health.conf" ] && cat "$dir/health.conf"
		[ -f "$dir/proxy.conf" ] && cat "$dir/proxy.conf"
		echo "}"
	} >"$dir/nginx.conf"
}

# lab_nginx_proxy_ports I: two more servers on real I for method proxy, both
# answering "/" with the real's name: :8081 expects a PROXY protocol header
# (v1 or v2) and logs "$proxy_protocol_addr $remote_addr ..." to
# $LABTMP/rI/pp.log; :8082 logs "$remote_addr XFF ..." (the X-Forwarded-For
# header, "-" if none) to $LABTMP/rI/xff.log and gzips for clients that ask
# (a gzipped response has no length: it is chunked). Kept across lab_start_nginx.
lab_nginx_proxy_ports() {
	local i=$1 dir=$LABTMP/r$1
	cat >"$dir/proxy.conf" <<PEOF
    log_format lab_pp '\$proxy_protocol_addr \$remote_addr "\$request" \$status';
    log_format lab_xff '\$remote_addr "\$http_x_forwarded_for" "\$request" \$status';
    server {
        listen 0.0.0.0:8081 proxy_protocol;
        listen [::]:8081 ipv6only=on proxy_protocol;
        access_log $dir/pp.log lab_pp;
        location = / { default_type text/plain; return 200 "r$i\n"; }
    }
    server {
        listen 0.0.0.0:8082;
        listen [::]:8082 ipv6only=on;
        access_log $dir/xff.log lab_xff;
        gzip on;
        gzip_min_length 1;
        gzip_types application/octet-stream;
        location = / { default_type text/plain; return 200 "r$i\n"; }
        location = /5k { alias $LABTMP/www/5k; }
        location = /big { alias $LABTMP/www/big; }
    }
PEOF
	_lab_nginx_health_conf "$i"
	lab_exec "r$i" nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s reload ||
		lab_fail "nginx on r$i did not reload"
	lab_wait_for 5 _lab_proxy_ports_answer "$i" || lab_fail "nginx on r$i: no answer on :8082"
}

_lab_proxy_ports_answer() {
	lab_exec "r$1" curl -s --max-time 2 -o /dev/null "http://$(lab_real_ip4 "$1"):8082/"
}

_lab_health_answers() {
	lab_exec "r$1" curl -s --max-time 2 -o /dev/null "http://$(lab_real_ip4 "$1"):8080/health"
}

# lab_health_set I ok|503|TEXT: what real I's /health says from now on.
lab_health_set() {
	local dir=$LABTMP/r$1
	case $2 in
	ok) rm -f "$dir/health.503"; printf 'alive\n' >"$dir/health.txt" ;;
	503) touch "$dir/health.503" ;;
	*) rm -f "$dir/health.503"; printf '%s\n' "$2" >"$dir/health.txt" ;;
	esac
}

# lab_stop_nginx I: stops real I's nginx (fast shutdown) and waits until it is gone.
lab_stop_nginx() {
	lab_kill_pid "${LAB_NGINX_PID[$1]}" 5 nginx
}

# lab_start_nginx I: starts real I's nginx again (with its health server, if it had one).
lab_start_nginx() {
	local i=$1 dir=$LABTMP/r$1
	_lab_nginx_health_conf "$i"
	rm -f "$dir/nginx.pid"
	lab_exec "r$i" nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" ||
		lab_fail "nginx did not start on r$i (see $dir/error.log)"
	lab_wait_for 5 test -s "$dir/nginx.pid" || lab_fail "nginx on r$i wrote no pid file"
	LAB_NGINX_PID[$i]=$(<"$dir/nginx.pid")
}

# lab_real_json SERVICE ADDRESS: that real's object from `xlbctl --json list`.
lab_real_json() {
	lab_ctl_json | jq -c --arg s "$1" --arg a "$2" \
		'.services[] | select(.name == $s) | .reals[] | select(.address == $a)'
}

# lab_real_state_is SERVICE ADDRESS STATE: the real's state is STATE (up, down, ...).
lab_real_state_is() {
	[ "$(lab_real_json "$1" "$2" | jq -r .state)" = "$3" ]
}

# lab_wait_state_ms SECONDS SERVICE ADDRESS STATE: polls every 20 ms; prints the
# milliseconds it took, fails (return 1) after SECONDS.
lab_wait_state_ms() {
	local secs=$1 t0 deadline
	shift
	t0=$(_lab_now_us)
	deadline=$((t0 + secs * 1000000))
	while ! lab_real_state_is "$@" 2>/dev/null; do
		[ "$(_lab_now_us)" -ge "$deadline" ] && return 1
		sleep 0.02
	done
	echo $((($(_lab_now_us) - t0) / 1000))
}

# lab_xlbd_now_ms: xlbd's clock (CLOCK_MONOTONIC ms), the one its since_ms use.
lab_xlbd_now_ms() { lab_ctl_json | jq -r .health.now_ms; }

# lab_changed_ms SERVICE ADDRESS T0: ms from xlbd time T0 to the real's last
# state change, as xlbd recorded it (no polling delay in it).
lab_changed_ms() {
	echo $(($(lab_real_json "$1" "$2" | jq -r .health.since_ms) - $3))
}

# lab_wrk_bg OUT DURATION URL: wrk (20 connections, 2 threads) in the client in
# the background; lab_wrk_wait OUT waits for it and prints its error summary.
lab_wrk_bg() {
	lab_bg client "$1" wrk -c 20 -t 2 -d "$2" --timeout 2s "$3"
	LAB_WRK_PID=$LAB_BG_LAST
}

lab_wrk_wait() {
	local out=$1 reqs errs non2xx
	lab_wait_for 60 _lab_pid_dead "$LAB_WRK_PID" || lab_fail "wrk did not end"
	wait "$LAB_WRK_PID" 2>/dev/null || true
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	errs=$(grep 'Socket errors' "$out" | sed 's/^ *Socket errors: *//')
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$out")
	[ -n "$reqs" ] || lab_fail "wrk printed no summary: $(tr '\n' ' ' <"$out")"
	echo "${reqs} requests, socket errors: ${errs:-none}, non-2xx: ${non2xx:-0}"
}
