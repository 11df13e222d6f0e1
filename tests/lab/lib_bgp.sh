# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Scale-out lab: N active xlb nodes behind a router that spreads flows with
# ECMP, each node announcing the VIP over BGP (its own BIRD, run by xlbd) to
# the router's BIRD. Source it after lib.sh and lib_ha.sh:
#
#   . tests/lab/lib.sh; . tests/lab/lib_ha.sh; . tests/lab/lib_bgp.sh
#   lab_bgp_init bg                   # lab_ha_init + our cleanup
#   lab_bgp_up 3 4                    # router, client, lb1..lb4, r1..r3
#   lab_bgp_start_lbs 1 2 3           # xlbd in lb1..lb3 (mh, dr, bgp:)
#   lab_bgp_wait_paths 3              # the router has 3 next hops for the VIP
#
#   client 10.201.0.10 --- router 10.201.0.1 | 10.200.0.1 --- br0 --+-- lbI 10.200.0.(1+I)
#                          BIRD AS 65000, ECMP (L4 hash)            +-- rI  10.200.0.(100+I)
#
# The VIP 10.250.0.100 is routed: the router learns it from every node that
# announces it (AS 65001) and installs one multipath route. A node rewrites
# the frame to a real (method dr, scheduler mh with the client's port
# hashed) and the real, VIP on lo, answers the client through the router.
# Each LB's xlbd has config $LABTMP/lbI.yaml, log $LABTMP/xlbd-lbI.log and
# control socket $LABTMP/xlb-lbI.sock (BIRD's: ...sock.bird).

LAB_BGP_VIP=10.250.0.100
LAB_BGP_RTR_LAN=10.200.0.1
LAB_BGP_RTR_CLI=10.201.0.1
LAB_BGP_CLIENT=10.201.0.10
# BFD: 200 ms x 5. Faster works (100 ms x 5 withdrew in 0.53 s) but flaps on
# a test machine shared by many jobs, and a flap moves flows for no reason.
LAB_BGP_BFD_MS=200
LAB_BGP_BFD_MULT=5
LAB_BGP_HOLD_S=3
LAB_BGP_RTR_PID=

lab_bgp_lb_ip() { echo "10.200.0.$((1 + $1))"; }

lab_bgp_init() {
	lab_require_cmds bird birdc jq python3 nft
	lab_ha_init "$1"
	trap _lab_bgp_down EXIT
}

_lab_bgp_down() {
	local rc=$?
	set +e # an EXIT trap: every step runs, whatever the one before returned
	if [ -n "$LAB_BGP_RTR_PID" ]; then
		if [ "$rc" -ne 0 ] && [ -s "$LABTMP/router-bird.log" ]; then
			echo "--- last lines of $LABTMP/router-bird.log ---" >&2
			tail -n 15 "$LABTMP/router-bird.log" >&2
		fi
		lab_kill_pid "$LAB_BGP_RTR_PID" 3
		wait "$LAB_BGP_RTR_PID" 2>/dev/null
		LAB_BGP_RTR_PID=
	fi
	_lab_ha_return "$rc"
	_lab_ha_down
}

# The router: its own link to the client, one port on the LAN bridge, BIRD
# peering with any node of the LAN (dynamic BGP), kernel ECMP with an L4 hash.
_lab_bgp_router() {
	local rns cns
	_lab_host router "$LAB_BGP_RTR_LAN" fd00:200::1
	_lab_new_ns client
	rns=$(lab_ns router)
	cns=$(lab_ns client)
	ip -n "$rns" link add eth1 type veth peer name eth0 netns "$cns"
	ip -n "$rns" addr add "$LAB_BGP_RTR_CLI/24" dev eth1
	ip -n "$rns" link set eth1 up
	ip -n "$cns" addr add "$LAB_BGP_CLIENT/24" dev eth0
	ip -n "$cns" link set eth0 up
	ip -n "$cns" route add default via "$LAB_BGP_RTR_CLI"
	lab_exec client ethtool -K eth0 tx off >/dev/null # see lab_up
	lab_exec router sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0
	cat >"$LABTMP/router-bird.conf" <<EOF
# The router side (docs/SCALE-OUT.md): any node of 10.200.0.0/24 in AS 65001 may peer.
router id $LAB_BGP_RTR_LAN;
log "$LABTMP/router-bird.log" all;
debug protocols { states };
protocol device {}
protocol kernel {
	ipv4 { import none; export all; };
	merge paths on;
}
protocol bfd {
	interface "eth0" { min rx interval $LAB_BGP_BFD_MS ms; min tx interval $LAB_BGP_BFD_MS ms; multiplier $LAB_BGP_BFD_MULT; };
}
protocol bgp xlb {
	local $LAB_BGP_RTR_LAN as 65000;
	neighbor range 10.200.0.0/24 as 65001;
	dynamic name "xlb";
	hold time $LAB_BGP_HOLD_S;
	error wait time 1, 10;	# a node whose session failed may come back at once
	bfd on;
	ipv4 { import where net ~ [ 10.250.0.0/16{32,32} ]; export none; };
}
EOF
	ip netns exec "$rns" bird -f -c "$LABTMP/router-bird.conf" -s "$LABTMP/router-bird.ctl" \
		>>"$LABTMP/router-bird.log" 2>&1 </dev/null &
	LAB_BGP_RTR_PID=$!
}

# lab_bgp_up NREALS NLBS: the whole topology; reals answer the client via the router.
lab_bgp_up() {
	local nreals=$1 nlbs=$2 i
	_lab_make_content
	_lab_mount_bpffs
	_lab_bridge
	_lab_bgp_router
	for ((i = 1; i <= nlbs; i++)); do
		_lab_host "lb$i" "$(lab_bgp_lb_ip "$i")" "fd00:200::$((1 + i))"
		_lab_attach_xdp_pass "lb$i"
	done
	for ((i = 1; i <= nreals; i++)); do
		lab_add_real "$i"
		lab_exec "r$i" ip addr add "$LAB_BGP_VIP/32" dev lo
		lab_exec "r$i" ip route add default via "$LAB_BGP_RTR_LAN"
	done
	lab_wait_for 10 _lab_ping_ok client "$LAB_BGP_RTR_LAN" || lab_fail "client cannot reach the router"
	for ((i = 1; i <= nreals; i++)); do
		lab_wait_for 10 _lab_ping_ok client "$(lab_real_ip4 "$i")" || lab_fail "client cannot reach r$i"
	done
	lab_wait_for 5 test -S "$LABTMP/router-bird.ctl" || lab_fail "the router's BIRD did not start"
	# Every change of the router's routes, timed: what a failure shows afterwards.
	lab_bg router "$LABTMP/router-routes.log" ip -ts monitor route
}

# The nodes' scheduler, and their connection sync: empty for none, true or
# false for an active-active sync: block (enabled: that) naming every other
# node started with it as a peer. wlc needs sync (docs/SCALE-OUT.md); false
# keeps everything else the same (midstream: drop included) to show what
# sync does.
LAB_BGP_SCHED=mh
LAB_BGP_SYNC=

# lab_bgp_write_config I FILE [PEER...]: node I's config: one service, dr,
# $LAB_BGP_SCHED (mh with the client's port hashed), tcp health checks, bgp:,
# and with $LAB_BGP_SYNC a sync: block with nodes PEER... as its peers.
lab_bgp_write_config() {
	local i=$1 file=$2 sched=$LAB_BGP_SCHED r p peers=
	shift 2
	for p in "$@"; do
		[ "$p" = "$i" ] || peers+="${peers:+, }\"$(lab_bgp_lb_ip "$p")\""
	done
	{
		echo "# generated by tests/lab/lib_bgp.sh for lab run $LAB_P, node lb$i"
		echo "interfaces:"
		echo "  - name: eth0"
		echo "control_socket: $(lab_ha_sock "lb$i")"
		echo "bpf_pin_dir: $LAB_BPFFS/xlb-lb$i"
		echo "services:"
		echo "  - name: web"
		echo "    vip: $LAB_BGP_VIP"
		echo "    port: 80"
		echo "    method: dr"
		echo "    scheduler: $sched"
		[ "$sched" != mh ] || echo "    scheduler_flags: [port]"
		echo "    health: {check: tcp, interval: 200ms, timeout: 300ms, rise: 2, fall: 2}"
		echo "    reals:"
		for r in "${LAB_REALS[@]}"; do
			echo "      - address: $(lab_real_ip4 "$r")"
		done
		echo "metrics: {listen: 127.0.0.1:9469}"
		echo "bgp:"
		echo "  asn: 65001"
		echo "  router_id: $(lab_bgp_lb_ip "$i")"
		echo "  peers:"
		echo "    - {address: $LAB_BGP_RTR_LAN, asn: 65000}"
		echo "  hold_time: ${LAB_BGP_HOLD_S}s"
		echo "  bfd: {interval: ${LAB_BGP_BFD_MS}ms, multiplier: $LAB_BGP_BFD_MULT}"
		if [ -n "$LAB_BGP_SYNC" ]; then
			echo "ha:"
			echo "  sync:"
			echo "    enabled: $LAB_BGP_SYNC"
			echo "    mode: active-active"
			echo "    listen: $(lab_bgp_lb_ip "$i")"
			echo "    peers: [$peers]"
			echo "    key: \"lab-sync-key-0123456789\""
		fi
	} >"$file"
}

# lab_bgp_start_lbs I...: writes each node's config (the others its sync
# peers) and starts its xlbd (side by side).
lab_bgp_start_lbs() {
	local i
	for i in "$@"; do
		lab_bgp_write_config "$i" "$LABTMP/lb$i.yaml" "$@"
		lab_start_xlbd_in "lb$i" "$LABTMP/lb$i.yaml" nowait
	done
	for i in "$@"; do
		lab_wait_xlbd_in "lb$i"
	done
}

# lab_bgp_nexthops: the router's next hops for the VIP, one per line, sorted.
lab_bgp_nexthops() {
	ip -n "$(lab_ns router)" -4 route show "$LAB_BGP_VIP/32" |
		grep -oE 'via [0-9.]+' | awk '{ print $2 }' | sort
}
_lab_bgp_npaths_is() { [ "$(lab_bgp_nexthops | wc -l)" -eq "$1" ]; }
# lab_bgp_wait_paths N [SECONDS]: the router's VIP route has N next hops.
lab_bgp_wait_paths() { lab_wait_for "${2:-20}" _lab_bgp_npaths_is "$1"; }
lab_bgp_has_path() { lab_bgp_nexthops | grep -qx "$(lab_bgp_lb_ip "$1")"; }

# lab_bgp_wait_gone_ms I LIMIT_MS: polls every 10 ms until the router has no
# path via node I; prints the milliseconds since $LAB_BGP_T0_US, or fails.
lab_bgp_wait_gone_ms() {
	local i=$1 limit_us=$(($2 * 1000)) now
	while lab_bgp_has_path "$i"; do
		now=$(_lab_now_us)
		[ $((now - LAB_BGP_T0_US)) -le "$limit_us" ] || return 1
		sleep 0.01
	done
	echo $((($(_lab_now_us) - LAB_BGP_T0_US) / 1000))
}

# lab_bgp_route_gone_ms I: from the router's route log (ip -ts monitor),
# the milliseconds from $LAB_BGP_T0_US to the first route change after it
# without node I: when the kernel stopped sending flows there. Call it once
# lab_bgp_wait_gone_ms saw the path gone (the log is then written).
lab_bgp_route_gone_ms() {
	python3 - "$LABTMP/router-routes.log" "$LAB_BGP_T0_US" "$(lab_bgp_lb_ip "$1")" <<'PY'
import datetime, re, sys
log, t0, ip = sys.argv[1], int(sys.argv[2]) / 1e6, sys.argv[3]
blocks, cur = [], None
for line in open(log):
    m = re.match(r"\[(\S+)\] (.*)", line)
    if m:
        cur = [datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp(), m.group(2)]
        blocks.append(cur)
    elif cur:
        cur[1] += " " + line.strip()
for ts, text in blocks:
    if ts >= t0 and not text.startswith("Deleted") and ("via %s " % ip) not in text + " ":
        print(int((ts - t0) * 1000))
        sys.exit(0)
sys.exit(1)
PY
}

# lab_bgp_json I: `xlbctl --json bgp` of node I.
lab_bgp_json() { lab_ha_ctl "lb$1" --json bgp; }
# lab_bgp_new_flows I: new flows node I scheduled (its service's counter).
lab_bgp_new_flows() { lab_ha_ctl "lb$1" --json list | jq -r '.services[0].stats.new_flows'; }
# lab_bgp_clients I: client ports of the flows node I holds, one per line.
lab_bgp_clients() {
	lab_ha_ctl "lb$1" --json flows --limit 10000 | jq -r '.flows[].client' | sed 's/.*://' | sort -u
}
# lab_bgp_sync_full I N: node I verified N sync peers and each has sent its
# full sync whole (its end marker came): I knows every flow they hold.
lab_bgp_sync_full() {
	lab_ha_json "lb$1" | jq -e --argjson n "$2" \
		'[.sync.peers[] | select(.verified)] | length == $n and all(.full_sync)' >/dev/null
}
# lab_bgp_counter I NAME: node I's data-plane counter NAME (0 if absent).
lab_bgp_counter() { lab_ha_ctl "lb$1" --json list | jq -r ".counters.$2 // 0"; }
# lab_bgp_sync_counter I NAME: node I's sync counter NAME.
lab_bgp_sync_counter() { lab_ha_json "lb$1" | jq -r ".sync.counters.$2 // 0"; }
# lab_bgp_reals_up I N: node I sees N reals up.
lab_bgp_reals_up() { lab_ha_reals_up "lb$1" web "$2"; }

# Client source ports for lab_bgp_requests/lab_bgp_downloads: each connection
# its own, never reused in a run (a reused port would be an old flow).
LAB_BGP_NEXT_PORT=20000

# lab_bgp_download_cmd COUNT BYTES RATE [ARGS]: sets LAB_BGP_CMD to the
# command for COUNT connections at once from the client, each downloading
# the first BYTES of /big at RATE bytes/s at most and checking its sha256
# (tools/multi_download.py, which prints a JSON summary). Not in $(...): it
# takes the next client ports.
lab_bgp_download_cmd() {
	local count=$1 bytes=$2 rate=$3
	shift 3
	local sha first=$LAB_BGP_NEXT_PORT
	LAB_BGP_NEXT_PORT=$((first + count))
	sha=$(head -c "$bytes" "$LABTMP/www/big" | sha256sum | cut -d' ' -f1)
	LAB_BGP_CMD=(python3 "$LAB_ROOT/tests/lab/tools/multi_download.py" "$LAB_BGP_VIP" 80 /big
		"$count" "$bytes" "$rate" "$sha" --first-port "$first" "$@")
}
# lab_bgp_requests COUNT: COUNT short requests at once (new connections);
# sets LAB_BGP_OK to how many succeeded. Not in $(...).
lab_bgp_requests() {
	lab_bgp_download_cmd "$1" 2048 100000000
	LAB_BGP_OK=$(lab_exec client "${LAB_BGP_CMD[@]}" | jq -r .ok)
}
