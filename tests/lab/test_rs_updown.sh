#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xlb-rs up/down leaves addresses, sysctls and tc state exactly as they were (dumps compared).
#
# Two rounds in a fresh namespace with a veth: from defaults, and from a host
# that already has a clsact qdisc, one of the VIPs on lo, and ARP/rp_filter
# sysctls set by hand. Each round brings up dr, tun, gue and dscp VIPs (IPv4
# and IPv6), checks status and the state directory, runs every up a second
# time (nothing may change), takes everything down and compares the dumps.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

XLB_RS=${XLB_RS:-$LAB_BUILD/xlb-rs}
[ -x "$XLB_RS" ] || lab_skip "$XLB_RS not built (run: make)"
lab_require_cmds tc jq
lab_init ru

_lab_new_ns rs
NS=$(lab_ns rs)
STATE=$LABTMP/state
export XLB_RS_STATE_DIR=$STATE
lab_exec rs sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" addr add 10.202.0.3/24 dev eth0
ip -n "$NS" addr add fd00:202::3/64 dev eth0 nodad
ip -n "$NS" link set eth0 up
ip -n "$NS" link set eth1 up

rs() { lab_exec rs "$XLB_RS" "$@"; }

# VIP METHOD [extra up options]: every method, both families.
VIPS=(
	"10.202.1.1 dr"
	"fd00:202:1::1 dr"
	"10.202.1.2 tun --dev eth0"
	"fd00:202:1::2 tun --dev eth0"
	"10.202.1.3 gue --dev eth0"
	"fd00:202:1::3 gue --dev eth0 --gue-port 6081"
	"10.202.1.4 dscp --dev eth0 --dscp 10"
	"fd00:202:1::4 dscp --dev eth0 --dscp 12"
)

# Everything xlb-rs may touch, as the tools print it.
dump() {
	local d k
	echo "## ip -d addr"
	ip -n "$NS" -d addr show
	echo "## sysctls"
	for d in all default lo eth0 eth1; do
		for k in arp_ignore arp_announce rp_filter; do
			echo "net.ipv4.conf.$d.$k = $(lab_exec rs cat "/proc/sys/net/ipv4/conf/$d/$k")"
		done
	done
	echo "## tc qdisc"
	tc -n "$NS" qdisc show
	local dev dir
	for dev in eth0 eth1 lo; do
		for dir in ingress egress; do
			echo "## tc filter $dev $dir"
			tc -n "$NS" filter show dev "$dev" "$dir" 2>&1 || true
		done
	done
}

# same_dump NAME A B: fails with the diff unless the dumps are equal.
same_dump() {
	diff -u "$2" "$3" >"$LABTMP/diff" ||
		lab_fail "$1: dumps differ: $(head -40 "$LABTMP/diff")"
}

up_all() {
	local v
	for v in "${VIPS[@]}"; do
		# shellcheck disable=SC2086 # the extra options are words
		set -- $v
		local vip=$1 method=$2
		shift 2
		rs up --vip "$vip" --method "$method" "$@" >>"$LABTMP/up.out" 2>&1 ||
			lab_fail "up --vip $vip --method $method $*: $(tail -3 "$LABTMP/up.out")"
	done
}

down_all() {
	local v
	for v in "${VIPS[@]}"; do
		rs down --vip "${v%% *}" >>"$LABTMP/down.out" 2>&1 ||
			lab_fail "down --vip ${v%% *}: $(tail -3 "$LABTMP/down.out")"
	done
}

# check_status ROUND: status --json agrees with what was asked, and the host with status.
check_status() {
	local round=$1 js=$LABTMP/status.json n
	rs status --json >"$js" || lab_fail "$round: status --json failed"
	n=$(jq '.vips | length' "$js")
	[ "$n" = 8 ] || lab_fail "$round: status lists $n VIPs, expected 8: $(jq -c .vips "$js")"
	jq -e '[.vips[] | select(.address == "added" or .address == "pre-existing")] | length == 8' "$js" >/dev/null ||
		lab_fail "$round: a VIP is not on lo: $(jq -c '[.vips[] | {vip, address}]' "$js")"
	jq -e '[.vips[] | .method] | sort == ["dr","dr","dscp","dscp","gue","gue","tun","tun"]' "$js" >/dev/null ||
		lab_fail "$round: methods: $(jq -c '[.vips[] | {vip, method}]' "$js")"
	jq -e '.vips[] | select(.vip == "fd00:202:1::3") | .gue_port == 6081' "$js" >/dev/null ||
		lab_fail "$round: gue port of fd00:202:1::3 is not 6081"
	jq -e '.vips[] | select(.vip == "10.202.1.4") | .dscp == 10' "$js" >/dev/null ||
		lab_fail "$round: dscp of 10.202.1.4 is not 10"
	jq -e '.devices | length == 1 and .[0].dev == "eth0" and .[0].tc == "attached" and (.[0].prog_id | type == "number")' "$js" >/dev/null ||
		lab_fail "$round: devices: $(jq -c .devices "$js")"
	local id
	id=$(jq '.devices[0].prog_id' "$js")
	tc -n "$NS" filter show dev eth0 ingress | grep -q "xlb_rs_ingress.* id $id " ||
		lab_fail "$round: tc shows no xlb_rs_ingress id $id on eth0 ingress: $(tc -n "$NS" filter show dev eth0 ingress)"
	[ "$(lab_exec rs cat /proc/sys/net/ipv4/conf/all/arp_ignore)" -ge 1 ] ||
		lab_fail "$round: arp_ignore below 1"
	[ "$(lab_exec rs cat /proc/sys/net/ipv4/conf/all/arp_announce)" = 2 ] ||
		lab_fail "$round: arp_announce is not 2"
	local files
	files=$(find "$STATE" -name 'vip-*' | wc -l)
	[ "$files" = 8 ] || lab_fail "$round: $files VIP files in $STATE, expected 8"
	grep -q "^tc=[0-9]* eth0 " "$STATE/shared" || lab_fail "$round: no tc record in $STATE/shared"
	grep -q "^netns=net:\[" "$STATE/shared" || lab_fail "$round: no netns in $STATE/shared"
	rs status >"$LABTMP/status.txt" || lab_fail "$round: status failed"
	grep -q '^10.202.1.4 .* dscp .* 10 ' "$LABTMP/status.txt" ||
		lab_fail "$round: status text lacks the dscp VIP: $(cat "$LABTMP/status.txt")"
}

# round NAME: up all, checks, up again, down all; dumps before and after equal.
round() {
	local name=$1 d=$LABTMP/$1
	mkdir -p "$d"
	dump >"$d/before"
	up_all
	dump >"$d/up1"
	check_status "$name"
	cp "$STATE/shared" "$d/shared1"
	up_all
	dump >"$d/up2"
	same_dump "$name: second up changed something" "$d/up1" "$d/up2"
	cmp -s "$STATE/shared" "$d/shared1" || lab_fail "$name: second up rewrote the shared state differently"
	grep -c 'already up' "$LABTMP/up.out" | grep -qx 8 ||
		lab_fail "$name: expected 8 'already up' on the second round: $(grep -c 'already up' "$LABTMP/up.out")"
	: >"$LABTMP/up.out"

	# a VIP that is up keeps its method; asking for another changes nothing
	if rs up --vip 10.202.1.2 --method gue --dev eth0 >"$LABTMP/clash.out" 2>&1; then
		lab_fail "$name: up of a tun VIP as gue succeeded"
	fi
	grep -q 'already up as tun' "$LABTMP/clash.out" || lab_fail "$name: clash message: $(cat "$LABTMP/clash.out")"
	# one DSCP stands for one VIP per family and device
	if rs up --vip 10.202.1.9 --method dscp --dscp 10 --dev eth0 >"$LABTMP/clash.out" 2>&1; then
		lab_fail "$name: a second VIP for DSCP 10 was accepted"
	fi
	dump >"$d/clash"
	same_dump "$name: refused ups changed something" "$d/up1" "$d/clash"

	down_all
	# down of a VIP that is not up: a message, exit 0, no change
	rs down --vip 10.202.1.1 >"$LABTMP/again.out" 2>&1 || lab_fail "$name: second down exited non-zero"
	grep -q 'not up' "$LABTMP/again.out" || lab_fail "$name: second down said: $(cat "$LABTMP/again.out")"
	dump >"$d/after"
	same_dump "$name: down did not restore" "$d/before" "$d/after"
	[ -z "$(find "$STATE" -name 'vip-*' -o -name shared)" ] ||
		lab_fail "$name: state left after down: $(ls "$STATE")"
	: >"$LABTMP/down.out"
	lab_pass "$name: up of 8 VIPs (dr, tun, gue, dscp; v4 and v6), idempotent second up, down: addresses, sysctls and tc as before"
}

round clean
# what up changed this round (from the first round's dumps)
diff "$LABTMP/clean/before" "$LABTMP/clean/up1" >"$LABTMP/clean.delta" || true
grep -q 'clsact' "$LABTMP/clean.delta" || lab_fail "clean: up did not create clsact"
grep -q 'net.ipv4.conf.all.arp_announce = 2' "$LABTMP/clean.delta" || lab_fail "clean: arp_announce unchanged"

# The same from a host that has things of its own.
tc -n "$NS" qdisc add dev eth0 clsact
lab_exec rs sysctl -qw net.ipv4.conf.all.arp_ignore=2 net.ipv4.conf.all.arp_announce=1 \
	net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=0
ip -n "$NS" addr add 10.202.1.2/32 dev lo
ip -n "$NS" addr add fd00:202:1::4/128 dev lo nodad
round preset
diff "$LABTMP/preset/before" "$LABTMP/preset/up1" >"$LABTMP/preset.delta" || true
grep -q 'net.ipv4.conf.eth0.rp_filter = 2' "$LABTMP/preset.delta" ||
	lab_fail "preset: strict rp_filter was not made loose on eth0: $(cat "$LABTMP/preset.delta")"
grep -q 'net.ipv4.conf.all.arp_ignore' "$LABTMP/preset.delta" &&
	lab_fail "preset: arp_ignore=2 (already stricter) was changed"
grep -q 'net.ipv4.conf.all.arp_announce = 2' "$LABTMP/preset.delta" || lab_fail "preset: arp_announce 1 was not raised"
tc -n "$NS" qdisc show dev eth0 | grep -q clsact || lab_fail "preset: the pre-existing clsact is gone"
ip -n "$NS" addr show dev lo | grep -q '10.202.1.2/32' || lab_fail "preset: the pre-existing VIP address is gone"
lab_pass "preset: clsact, a VIP on lo, arp_ignore=2, arp_announce=1, rp_filter all=1 kept or restored exactly"

# An up that fails half-way undoes what it did: here the tc slot xlb-rs needs
# holds someone else's program, after the address and sysctls were done.
[ -f "$LAB_XDP_PASS" ] || make -s -C "$LAB_ROOT" "${LAB_XDP_PASS#"$LAB_ROOT"/}" >&2
tc -n "$NS" filter add dev eth0 ingress prio 0x5253 handle 0x5253 bpf da obj "$LAB_XDP_PASS" sec xdp
dump >"$LABTMP/fail.before"
if rs up --vip 10.202.1.7 --method tun --dev eth0 >"$LABTMP/fail.out" 2>&1; then
	lab_fail "up succeeded with the tc slot taken"
fi
grep -q "not xlb-rs's" "$LABTMP/fail.out" || lab_fail "failed up said: $(cat "$LABTMP/fail.out")"
grep -q "undoing" "$LABTMP/fail.out" || lab_fail "failed up did not say it undid its work"
dump >"$LABTMP/fail.after"
same_dump "failed up" "$LABTMP/fail.before" "$LABTMP/fail.after"
[ -z "$(find "$STATE" -name 'vip-*' -o -name shared)" ] || lab_fail "failed up left state: $(ls "$STATE")"
tc -n "$NS" filter del dev eth0 ingress prio 0x5253 handle 0x5253 bpf
lab_pass "an up that fails (tc slot taken) exits 1 and leaves everything as it was"

# State is per network namespace: another namespace may not use this one's.
rs up --vip 10.202.1.1 --method dr >/dev/null || lab_fail "up for the namespace check failed"
if "$XLB_RS" --state-dir "$STATE" status >"$LABTMP/xns.out" 2>&1; then
	lab_fail "status from another namespace used this namespace's state"
fi
grep -q 'belongs to network namespace' "$LABTMP/xns.out" || lab_fail "namespace check said: $(cat "$LABTMP/xns.out")"
# A second state directory in the same namespace may not take over the
# device's program (syncing its maps would drop the first one's VIPs).
rs up --vip 10.202.1.2 --method tun --dev eth0 >/dev/null || lab_fail "up tun for the second-state check failed"
if rs --state-dir "$LABTMP/state2" up --vip 10.202.1.3 --method gue --dev eth0 >"$LABTMP/two.out" 2>&1; then
	lab_fail "a second state directory took over eth0's program"
fi
grep -q 'another --state-dir' "$LABTMP/two.out" || lab_fail "second state dir said: $(cat "$LABTMP/two.out")"
rs status --json | jq -e '(.vips | length == 2) and .devices[0].tc == "attached"' >/dev/null ||
	lab_fail "the first state lost VIPs or its program: $(rs status)"
tc -n "$NS" filter show dev eth0 ingress | grep -q xlb_rs_ingress ||
	lab_fail "the refused second state directory detached the first one's program"
rs --state-dir "$STATE" down --all >/dev/null || lab_fail "down --all failed"
[ -z "$(find "$STATE" -name 'vip-*')" ] || lab_fail "down --all left VIP files"
lab_pass "state bound to its network namespace, one per namespace and device; --state-dir and down --all"

# The state directory tells root what to write back: only a private one is
# taken, and only records `up` could have written. A crafted record used to
# make `down` flip ip_forward; a world-writable directory was accepted.
mkdir -m 0777 "$LABTMP/ww"
chmod 0777 "$LABTMP/ww"
if rs --state-dir "$LABTMP/ww" up --vip 10.202.1.9 --method dr >"$LABTMP/ww.out" 2>&1; then
	lab_fail "up accepted a world-writable state directory"
fi
grep -q 'refusing it' "$LABTMP/ww.out" || lab_fail "up on a world-writable state dir said: $(cat "$LABTMP/ww.out")"
! lab_exec rs ip -o addr show dev lo | grep -q '10.202.1.9/' || lab_fail "the refused up added its VIP"
crafted=$LABTMP/crafted
mkdir -m 0700 "$crafted"
printf 'netns=%s\nsysctl=net/ipv4/ip_forward 0 1\n' "$(lab_exec rs readlink /proc/self/ns/net)" >"$crafted/shared"
printf 'vip=10.202.1.8\nmethod=dr\naddr_added=0\n' >"$crafted/vip-10.202.1.8"
lab_exec rs sysctl -qw net.ipv4.ip_forward=1
if rs --state-dir "$crafted" down --all >"$LABTMP/crafted.out" 2>&1; then
	lab_fail "down acted on a crafted state file"
fi
[ "$(lab_exec rs sysctl -n net.ipv4.ip_forward)" = 1 ] || lab_fail "down of a crafted state flipped ip_forward"
grep -q "not something .up. writes" "$LABTMP/crafted.out" || lab_fail "down of a crafted state said: $(cat "$LABTMP/crafted.out")"
lab_pass "a world-writable state dir and a crafted record (sysctl=net/ipv4/ip_forward) were refused with a reason; nothing changed"
