# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Two load balancers on one bridge, for VRRP and connection-sync tests. Source
# it after lib.sh:
#
#   . tests/lab/lib.sh
#   . tests/lab/lib_ha.sh
#   lab_ha_init ha                    # like lab_init, plus our own cleanup
#   lab_up_ha 2                       # client, lb, lb2, r1, r2 with nginx
#   lab_ha_write_config lb  "$LABTMP/lb.yaml"  family=4
#   lab_write_ha_block "$LABTMP/lb.yaml" vrid=51 prio=200 advert=100ms
#   lab_ha_write_config lb2 "$LABTMP/lb2.yaml" family=4
#   lab_write_ha_block "$LABTMP/lb2.yaml" vrid=51 prio=100 advert=100ms
#   lab_start_xlbd_in lb "$LABTMP/lb.yaml"; lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml"
#   lab_wait_vrrp_state lb master 5 || lab_fail ...
#   lab_vip_owner 4                   # -> "lb"
#
# Topology (lib.sh's, with a second LB and no VIP on either LB):
#
#   client 10.200.0.10  fd00:200::10 ---+
#   lb     10.200.0.2   fd00:200::2  ---+--- br0 (namespace "${LAB_P}-br")
#   lb2    10.200.0.3   fd00:200::3  ---+    VRRP puts the VIP on the master's eth0
#   rI     10.200.0.(100+I) ...      ---+    VIPs on lo, nginx on :80 (as lib.sh)
#
# Each LB namespace NS has its own xlbd: config written by the caller, log
# $LABTMP/xlbd-NS.log, control socket $LABTMP/xlb-NS.sock, pin dir
# $LAB_BPFFS/xlb-NS. keepalived instances get $LABTMP/keepalived-NS.{conf,log,pid}.
# lab_ha_init's EXIT trap ends every xlbd and keepalived this file started
# (by PID), then runs lib.sh's lab_down for the rest.

LAB_LB2_4=10.200.0.3
LAB_LB2_6=fd00:200::3
LAB_HA_LBS=(lb lb2)

declare -A LAB_HA_XLBD_PID=() # LB namespace name -> xlbd pid
declare -A LAB_HA_KA_PID=()   # LB namespace name -> keepalived (parent) pid
LAB_HA_DOWN_DONE=0

# ---------------------------------------------------------------- lifecycle

# lab_ha_init TAG: lab_init, then our cleanup (which calls lab_down) as the EXIT trap.
lab_ha_init() {
	lab_init "$1"
	trap _lab_ha_down EXIT
}

_lab_ha_return() { return "$1"; }

_lab_ha_down() {
	local rc=$? ns
	if [ "$LAB_HA_DOWN_DONE" = 0 ]; then
		LAB_HA_DOWN_DONE=1
		set +e
		trap '' INT TERM
		for ns in "${!LAB_HA_XLBD_PID[@]}"; do
			if [ "$rc" -ne 0 ] && [ -s "$LABTMP/xlbd-$ns.log" ]; then
				echo "--- last lines of $LABTMP/xlbd-$ns.log ---" >&2
				tail -n 25 "$LABTMP/xlbd-$ns.log" >&2
			fi
			lab_stop_xlbd_in "$ns" >/dev/null 2>&1
		done
		for ns in "${!LAB_HA_KA_PID[@]}"; do
			if [ "$rc" -ne 0 ] && [ -s "$LABTMP/keepalived-$ns.log" ]; then
				echo "--- last lines of $LABTMP/keepalived-$ns.log ---" >&2
				tail -n 25 "$LABTMP/keepalived-$ns.log" >&2
			fi
			lab_stop_keepalived "$ns" >/dev/null 2>&1
		done
	fi
	_lab_ha_return "$rc"
	lab_down
}

# lab_up_ha NREALS: the bridge, client, lb, lb2 (no VIPs: VRRP adds them) and
# NREALS reals with nginx; every host reachable from the client.
lab_up_ha() {
	local n=${1:-2} i ns
	[ -n "$LAB_P" ] || {
		echo "lab_up_ha: call lab_ha_init first" >&2
		exit 2
	}
	_lab_make_content
	_lab_mount_bpffs
	_lab_bridge
	_lab_host client "$LAB_CLIENT4" "$LAB_CLIENT6"
	lab_exec client ethtool -K eth0 tx off >/dev/null # see lab_up
	_lab_host lb "$LAB_LB4" "$LAB_LB6"
	_lab_host lb2 "$LAB_LB2_4" "$LAB_LB2_6"
	for ns in "${LAB_HA_LBS[@]}"; do
		_lab_attach_xdp_pass "$ns"
	done
	for ((i = 1; i <= n; i++)); do
		lab_add_real "$i"
	done
	_lab_wait_l2
	lab_wait_for 10 _lab_ping_ok client "$LAB_LB2_4" || lab_fail "client cannot ping $LAB_LB2_4"
	lab_wait_for 10 _lab_ping_ok client "$LAB_LB2_6" || lab_fail "client cannot ping $LAB_LB2_6"
}

# lab_lb_addr NS FAMILY: the LB's own address.
lab_lb_addr() {
	case $1:$2 in
	lb:4) echo "$LAB_LB4" ;;
	lb:6) echo "$LAB_LB6" ;;
	lb2:4) echo "$LAB_LB2_4" ;;
	lb2:6) echo "$LAB_LB2_6" ;;
	*) return 1 ;;
	esac
}

# lab_lb_link NS up|down: the LB's eth0 (a failure the other LB must see).
# Up restores the static IPv6 address, which the kernel drops on link down.
lab_lb_link() {
	local ns=$1 how=$2
	ip -n "$(lab_ns "$ns")" link set eth0 "$how"
	if [ "$how" = up ]; then
		ip -n "$(lab_ns "$ns")" -6 addr replace "$(lab_lb_addr "$ns" 6)/64" dev eth0 nodad
		lab_wait_for 5 _lab_ping_ok client "$(lab_lb_addr "$ns" 4)" ||
			lab_fail "$ns: not reachable after its link came up"
	fi
}

# ---------------------------------------------------------------- configs

# lab_ha_write_config NS FILE [lab_write_config options]: an xlbd config for
# the LB in NS, with its own control socket and pin dir.
lab_ha_write_config() {
	local ns=$1 file=$2
	shift 2
	lab_write_config "$file" "$@" || return
	sed -i -e "s|^control_socket: .*|control_socket: $LABTMP/xlb-$ns.sock|" \
		-e "s|^bpf_pin_dir: .*|bpf_pin_dir: $LAB_BPFFS/xlb-$ns|" "$file"
}

# lab_write_ha_block FILE [key=value...]: appends an ha: block to an xlbd config.
#   vrid=51 prio=100 advert=1s family=4|6|46 iface=eth0 name=vi (vi4 / vi6 with 46)
#   preempt=true preempt_delay=0s addrs="A B" (default: the lab VIP of the family;
#   "services" leaves addresses: out, so the service VIPs are used)
#   peers="A B" unicast VRRP peers (default: multicast)
#   sync_peer="10.200.0.3" (adds sync:) key=... sync_listen= sync_port= refresh= max_rate=
#   sync_enabled=true|false
lab_write_ha_block() {
	local file=$1
	shift
	local vrid=51 prio=100 advert=1s family=4 iface=eth0 name="" preempt="" preempt_delay=""
	local addrs="" peers="" sync_peer="" key="lab-sync-key-0123456789" sync_listen="" sync_port=""
	local refresh="" max_rate="" sync_enabled="" kv
	for kv in "$@"; do
		case $kv in
		vrid=*) vrid=${kv#*=} ;;
		prio=*) prio=${kv#*=} ;;
		advert=*) advert=${kv#*=} ;;
		family=*) family=${kv#*=} ;;
		iface=*) iface=${kv#*=} ;;
		name=*) name=${kv#*=} ;;
		preempt=*) preempt=${kv#*=} ;;
		preempt_delay=*) preempt_delay=${kv#*=} ;;
		addrs=*) addrs=${kv#*=} ;;
		peers=*) peers=${kv#*=} ;;
		sync_peer=*) sync_peer=${kv#*=} ;;
		key=*) key=${kv#*=} ;;
		sync_listen=*) sync_listen=${kv#*=} ;;
		sync_port=*) sync_port=${kv#*=} ;;
		refresh=*) refresh=${kv#*=} ;;
		max_rate=*) max_rate=${kv#*=} ;;
		sync_enabled=*) sync_enabled=${kv#*=} ;;
		*)
			echo "lab_write_ha_block: unknown option '$kv'" >&2
			return 2
			;;
		esac
	done
	local fam list
	{
		echo "ha:"
		echo "  vrrp:"
		for fam in 4 6; do
			[[ $family == *$fam* ]] || continue
			local n=$name
			[ -n "$n" ] || n=vi$fam
			[ "$family" = 46 ] && [ -n "$name" ] && n=$name$fam
			echo "    - name: $n"
			echo "      interface: $iface"
			echo "      vrid: $vrid"
			echo "      priority: $prio"
			echo "      advert_interval: $advert"
			[ -z "$preempt" ] || echo "      preempt: $preempt"
			[ -z "$preempt_delay" ] || echo "      preempt_delay: $preempt_delay"
			if [ "$addrs" != services ]; then
				list=$addrs
				[ -n "$list" ] || list=$(lab_vip "$fam")
				# Only this family's addresses, so family=46 can share one list.
				list=$(tr ' ' '\n' <<<"$list" | if [ "$fam" = 6 ]; then grep ':'; else grep -v ':'; fi | paste -sd, -)
				echo "      addresses: [${list//,/, }]"
			fi
			if [ -n "$peers" ]; then
				list=$(tr ' ' '\n' <<<"$peers" | if [ "$fam" = 6 ]; then grep ':'; else grep -v ':'; fi | paste -sd, -)
				[ -z "$list" ] || echo "      unicast_peers: [${list//,/, }]"
			fi
		done
		if [ -n "$sync_peer" ]; then
			echo "  sync:"
			[ -z "$sync_enabled" ] || echo "    enabled: $sync_enabled"
			[ -z "$sync_listen" ] || echo "    listen: $sync_listen"
			[ -z "$sync_port" ] || echo "    port: $sync_port"
			echo "    peers: [\"${sync_peer// /\", \"}\"]"
			echo "    key: \"$key\""
			[ -z "$refresh" ] || echo "    refresh: $refresh"
			[ -z "$max_rate" ] || echo "    max_rate: $max_rate"
		fi
	} >>"$file"
}

# ---------------------------------------------------------------- xlbd per LB

lab_ha_sock() { echo "$LABTMP/xlb-$1.sock"; }
# lab_ha_ctl NS ARGS...: xlbctl against the xlbd in NS.
lab_ha_ctl() {
	local ns=$1
	shift
	"$XLBCTL" -s "$(lab_ha_sock "$ns")" "$@"
}
lab_ha_json() { lab_ha_ctl "$1" --json ha; }

_lab_ha_ready() { lab_ha_ctl "$1" list; }
_lab_ha_settled() { _lab_ha_ready "$1" || ! lab_pid_alive "${LAB_HA_XLBD_PID[$1]}"; }

# lab_start_xlbd_in NS CONFIG [nowait]: runs xlbd in the LB namespace NS and
# waits until its control socket answers (with "nowait": returns at once;
# lab_wait_xlbd_in NS waits later, so two LBs can start side by side).
lab_start_xlbd_in() {
	local ns=$1 cfg=$2 log=$LABTMP/xlbd-$1.log
	[ -z "${LAB_HA_XLBD_PID[$ns]:-}" ] || lab_fail "xlbd already running in $ns (pid ${LAB_HA_XLBD_PID[$ns]})"
	echo "=== xlbd -c $cfg ($(date +%T.%N))" >>"$log"
	ip netns exec "$(lab_ns "$ns")" "$XLBD" -c "$cfg" >>"$log" 2>&1 </dev/null &
	LAB_HA_XLBD_PID[$ns]=$!
	[ "${3:-}" = nowait ] || lab_wait_xlbd_in "$ns"
}

lab_wait_xlbd_in() {
	local ns=$1
	# Generous: loading the BPF program takes seconds on a busy machine.
	lab_wait_for 30 _lab_ha_settled "$ns" || true
	if ! _lab_ha_ready "$ns" >/dev/null 2>&1; then
		lab_fail "xlbd in $ns did not come up: $(grep -E 'error|fatal' "$LABTMP/xlbd-$ns.log" | tail -1)"
	fi
}

# lab_stop_xlbd_in NS [SIGNAL]: TERM (default: xlbd hands over and exits) or
# KILL (a crash: nothing is cleaned up); waits until it is gone.
lab_stop_xlbd_in() {
	local ns=$1 sig=${2:-TERM} pid=${LAB_HA_XLBD_PID[$1]:-}
	[ -n "$pid" ] || return 0
	unset "LAB_HA_XLBD_PID[$ns]"
	if lab_pid_alive "$pid"; then
		kill "-$sig" "$pid" 2>/dev/null
		if ! lab_wait_for 10 _lab_pid_dead "$pid"; then
			lab_log "xlbd in $ns (pid $pid) still running 10s after SIG$sig; killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

# lab_reload_xlbd_in NS: SIGHUP to the xlbd in NS (it re-reads its config).
lab_reload_xlbd_in() {
	lab_pid_alive "${LAB_HA_XLBD_PID[$1]:-}" || lab_fail "no xlbd running in $1"
	kill -HUP "${LAB_HA_XLBD_PID[$1]}"
}

# lab_xlbd_pid_in NS: the PID of the xlbd running in NS (empty if none).
lab_xlbd_pid_in() { echo "${LAB_HA_XLBD_PID[$1]:-}"; }

# lab_ha_reals_up NS SERVICE N: the xlbd in NS has N reals of SERVICE up.
lab_ha_reals_up() {
	lab_ha_ctl "$1" --json list | jq -e --arg s "$2" --argjson n "$3" \
		'[.services[] | select(.name == $s) | .reals[] | select(.state == "up")] | length == $n'
}

# ---------------------------------------------------------------- VRRP state

# lab_vrrp_field NS JQ_FILTER [INSTANCE]: a value of the instance (default: the first).
lab_vrrp_field() {
	local ns=$1 f=$2 inst=${3:-}
	lab_ha_json "$ns" 2>/dev/null | jq -r --arg i "$inst" \
		"[.vrrp.instances[] | select(\$i == \"\" or .name == \$i)][0] | $f"
}

lab_vrrp_state() { lab_vrrp_field "$1" .state "${2:-}"; }
_lab_vrrp_state_is() { [ "$(lab_vrrp_state "$1" "${3:-}")" = "$2" ]; }

# lab_wait_vrrp_state NS STATE SECONDS [INSTANCE]
lab_wait_vrrp_state() { lab_wait_for "$3" _lab_vrrp_state_is "$1" "$2" "${4:-}"; }

# lab_vrrp_changed_wall_ms NS [INSTANCE]: wall-clock ms of the last transition.
lab_vrrp_changed_wall_ms() { lab_vrrp_field "$1" .last_transition.wall_ms "${2:-}"; }

# lab_now_ms: wall-clock ms, the clock of lab_vrrp_changed_wall_ms.
lab_now_ms() { echo $(($(_lab_now_us) / 1000)); }

# lab_vip_owner [FAMILY [ADDRESS]]: which LB namespaces have the VIP (or
# ADDRESS) on eth0: "lb", "lb2", "lb lb2" (both: a split brain) or "none".
lab_vip_owner() {
	local fam=${1:-4} addr=${2:-} ns owners=""
	[ -n "$addr" ] || addr=$(lab_vip "$fam")
	for ns in "${LAB_HA_LBS[@]}"; do
		if ip -n "$(lab_ns "$ns")" -o addr show dev eth0 2>/dev/null | grep -qF " $addr/"; then
			owners+="${owners:+ }$ns"
		fi
	done
	echo "${owners:-none}"
}

_lab_vip_owner_is() { [ "$(lab_vip_owner "$2" "${3:-}")" = "$1" ]; }

# lab_wait_vip_owner OWNER SECONDS [FAMILY]: polls every 0.1 s.
lab_wait_vip_owner() { lab_wait_for "$2" _lab_vip_owner_is "$1" "${3:-4}"; }

# lab_wait_vip_owner_ms OWNER SECONDS [FAMILY]: polls every 10 ms; prints the
# ms it took (fails after SECONDS).
lab_wait_vip_owner_ms() {
	local owner=$1 secs=$2 fam=${3:-4} t0 deadline
	t0=$(_lab_now_us)
	deadline=$((t0 + secs * 1000000))
	while ! _lab_vip_owner_is "$owner" "$fam"; do
		[ "$(_lab_now_us)" -ge "$deadline" ] && return 1
		sleep 0.01
	done
	echo $((($(_lab_now_us) - t0) / 1000))
}

# ---------------------------------------------------------------- keepalived

# lab_write_keepalived_conf NS [key=value...]: $LABTMP/keepalived-NS.conf, one
# VRRPv3 instance and nothing else (no checkers, no scripts).
#   vrid=51 prio=100 advert=1 (seconds, fractions allowed) family=4|6 iface=eth0
#   addrs="A B" (default: the lab VIP) preempt=true|false
lab_write_keepalived_conf() {
	local ns=$1
	shift
	local vrid=51 prio=100 advert=1 family=4 iface=eth0 addrs="" preempt=true kv a
	for kv in "$@"; do
		case $kv in
		vrid=*) vrid=${kv#*=} ;;
		prio=*) prio=${kv#*=} ;;
		advert=*) advert=${kv#*=} ;;
		family=*) family=${kv#*=} ;;
		iface=*) iface=${kv#*=} ;;
		addrs=*) addrs=${kv#*=} ;;
		preempt=*) preempt=${kv#*=} ;;
		*)
			echo "lab_write_keepalived_conf: unknown option '$kv'" >&2
			return 2
			;;
		esac
	done
	[ -n "$addrs" ] || addrs=$(lab_vip "$family")
	{
		echo "# generated by tests/lab/lib_ha.sh for lab run $LAB_P"
		echo "global_defs {"
		echo "  router_id ${LAB_P}-$ns"
		echo "  vrrp_version 3"
		echo "  vrrp_garp_master_delay 0"
		echo "}"
		echo "vrrp_instance lab_$vrid {"
		echo "  state BACKUP"
		echo "  interface $iface"
		echo "  virtual_router_id $vrid"
		echo "  priority $prio"
		echo "  advert_int $advert"
		[ "$preempt" = true ] || echo "  nopreempt"
		echo "  virtual_ipaddress {"
		for a in $addrs; do
			if [[ $a == *:* ]]; then echo "    $a/128 dev $iface"; else echo "    $a/32 dev $iface"; fi
		done
		echo "  }"
		echo "}"
	} >"$LABTMP/keepalived-$ns.conf"
}

# lab_start_keepalived NS: runs keepalived (VRRP only, in the foreground, its
# own pid files) in namespace NS with $LABTMP/keepalived-NS.conf.
lab_start_keepalived() {
	local ns=$1 conf=$LABTMP/keepalived-$1.conf
	[ -z "${LAB_HA_KA_PID[$ns]:-}" ] || lab_fail "keepalived already running in $ns"
	[ -f "$conf" ] || lab_fail "no $conf (call lab_write_keepalived_conf first)"
	rm -f "$LABTMP/keepalived-$ns.pid" "$LABTMP/keepalived-$ns-vrrp.pid"
	ip netns exec "$(lab_ns "$ns")" keepalived -n -l -D -P -f "$conf" \
		-p "$LABTMP/keepalived-$ns.pid" -r "$LABTMP/keepalived-$ns-vrrp.pid" \
		>>"$LABTMP/keepalived-$ns.log" 2>&1 </dev/null &
	LAB_HA_KA_PID[$ns]=$!
	lab_wait_for 10 test -s "$LABTMP/keepalived-$ns-vrrp.pid" ||
		lab_fail "keepalived in $ns did not start its VRRP process (see $LABTMP/keepalived-$ns.log)"
}

# lab_stop_keepalived NS [SIGNAL]: TERM (keepalived sends priority 0 and
# exits) and waits; its VRRP child is ended too if it outlived the parent.
lab_stop_keepalived() {
	local ns=$1 sig=${2:-TERM} pid=${LAB_HA_KA_PID[$1]:-} child=""
	[ -n "$pid" ] || return 0
	unset "LAB_HA_KA_PID[$ns]"
	[ -s "$LABTMP/keepalived-$ns-vrrp.pid" ] && child=$(<"$LABTMP/keepalived-$ns-vrrp.pid")
	if lab_pid_alive "$pid"; then
		kill "-$sig" "$pid" 2>/dev/null
		lab_wait_for 10 _lab_pid_dead "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true
	[ -z "$child" ] || lab_kill_pid "$child" 3 keepalived
	return 0
}

# lab_keepalived_state NS: MASTER / BACKUP / FAULT / ? from keepalived's log.
lab_keepalived_state() {
	local s
	s=$(grep -oE 'Entering (MASTER|BACKUP|FAULT) STATE' "$LABTMP/keepalived-$1.log" 2>/dev/null |
		tail -1 | awk '{ print $2 }')
	echo "${s:-?}"
}
