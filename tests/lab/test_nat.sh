#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Methods nat and fnat through 3 nginx reals: spread, replies through the LB, wrk,
# and with fnat the reals see the LB's local address, not the client's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds wrk jq
lab_init nat
lab_up 3

# The LB routes replies (bpf_fib_lookup needs forwarding on) and owns the
# fnat source addresses.
LOCAL4=10.200.0.3
LOCAL6=fd00:200::3
lab_exec lb sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
lab_exec lb ip addr add "$LOCAL4/24" dev eth0
lab_exec lb ip addr add "$LOCAL6/64" dev eth0 nodad
# veth reals hand over partial checksums too; the LB rewrites their replies.
for i in "${LAB_REALS[@]}"; do
	lab_exec "r$i" ethtool -K eth0 tx off >/dev/null
done

# nat: the client talks from another subnet, and the reals' way back to it is
# the LB (their gateway for it), so replies must come through the LB.
lab_exec lb ip addr add 10.201.0.2/24 dev eth0
lab_exec lb ip addr add fd00:201::2/64 dev eth0 nodad
lab_exec client ip addr add 10.201.0.10/24 dev eth0
lab_exec client ip addr add fd00:201::10/64 dev eth0 nodad
lab_exec client ip route add "$LAB_VIP4/32" dev eth0 src 10.201.0.10
lab_exec client ip -6 route add "$LAB_VIP6/128" dev eth0 src fd00:201::10
for i in "${LAB_REALS[@]}"; do
	lab_exec "r$i" ip route add 10.201.0.0/24 via "$LAB_LB4"
	lab_exec "r$i" ip -6 route add fd00:201::/64 via "$LAB_LB6"
done

# Replies cross the LB: its eth0 receives at least the 64 MiB the client gets.
check_via_lb() {
	local fam=$1 rx0 rx1 out=$LABTMP/big.$1 sz
	rx0=$(lab_if_stat lb eth0 rx_bytes)
	lab_exec client curl -s -g --max-time 60 -o "$out" "$(lab_vip_url "$fam" /big)" ||
		lab_fail "download of /big through the VIP failed"
	rx1=$(lab_if_stat lb eth0 rx_bytes)
	sz=$(stat -c %s "$out")
	[ "$(sha256sum "$out" | cut -d' ' -f1)" = "$LAB_BIG_SHA256" ] ||
		lab_fail "/big through the VIP: wrong sha256 ($sz bytes)"
	rm -f "$out"
	[ $((rx1 - rx0)) -ge "$LAB_BIG_SIZE" ] ||
		lab_fail "LB eth0 received $((rx1 - rx0)) bytes during a 64 MiB download: replies bypass it"
	lab_pass "/big via VIP (IPv$fam): sha256 ok, LB eth0 received $((rx1 - rx0)) bytes (replies pass through it)"
}

counter() { lab_ctl_json | jq -r ".counters.$1"; }

cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family=46 method=nat
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3
lab_wait_reals_up web6 3
for fam in 4 6; do
	lab_check_spread "$fam" 300 5 r1=100 r2=100 r3=100
	check_via_lb "$fam"
done
[ "$(counter nat_reply)" -gt 0 ] || lab_fail "nat_reply counter is 0"
lab_check_wrk 4
lab_check_wrk 6
lab_pass "nat: nat_reply=$(counter nat_reply) nat_reply_to_stack=$(counter nat_reply_to_stack)"
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"

# fnat, one-arm: the client's own subnet again, reals reply to the LB's local address.
lab_exec client ip route del "$LAB_VIP4/32"
lab_exec client ip -6 route del "$LAB_VIP6/128"
for i in "${LAB_REALS[@]}"; do
	: >"$(lab_nginx_access_log "$i")"
done
lab_write_config "$cfg" family=46 method=fnat locals4="$LOCAL4" locals6="$LOCAL6"
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3
lab_wait_reals_up web6 3
for fam in 4 6; do
	lab_check_spread "$fam" 300 5 r1=100 r2=100 r3=100
	check_via_lb "$fam"
done
lab_check_wrk 4
lab_check_wrk 6
for i in "${LAB_REALS[@]}"; do
	log=$(lab_nginx_access_log "$i")
	from_local=$(grep -c -E "^($LOCAL4|$LOCAL6) " "$log" || true)
	from_client=$(grep -c -E "^($LAB_CLIENT4|$LAB_CLIENT6) " "$log" || true)
	[ "$from_local" -gt 0 ] && [ "$from_client" -eq 0 ] ||
		lab_fail "r$i access log: $from_local requests from the LB's local address, $from_client from the client (expected all from $LOCAL4/$LOCAL6)"
done
lab_pass "fnat: every real's access log shows only the LB's local address; fnat_no_port=$(counter fnat_no_port)"

# Hairpin: r1 calls the VIP itself. With fnat the VIP must not be local on the
# real (then the call would never leave it); every connection, also the ones
# the LB gives to r1, must be answered.
lab_exec r1 ip addr del "$LAB_VIP4/32" dev lo
lab_exec r1 ip addr del "$LAB_VIP6/128" dev lo
for url in "$(lab_vip_url 4 /)" "$(lab_vip_url 6 /)"; do
	# -f: only a 200 prints its body, the name of the real that answered
	got=$(lab_exec r1 bash -c 'for i in $(seq 30); do curl -sf -g --max-time 3 "$1"; done' _ "$url" |
		awk 'NF { n[$1]++ } END { for (k in n) printf "%s=%d ", k, n[k] }')
	total=$(awk '{ for (i = 1; i <= NF; i++) { split($i, a, "="); t += a[2] } } END { print t + 0 }' <<<"$got")
	[ "$total" -eq 30 ] || lab_fail "hairpin from r1 to $url: $total of 30 answered 200 ($got)"
	[[ $got == *r1=* ]] || lab_fail "hairpin from r1 to $url: r1 never served itself ($got)"
	lab_pass "hairpin: r1 -> $url through fnat: 30/30 answered ($got)"
done
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
