#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The lab itself, without xlb: reals serve, the LB owns the VIPs, reals stay quiet on ARP/ND.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_init tp
lab_up 3

# Each real answers on its own address with its own name (v4 and v6), and the
# big file has the advertised size.
for i in "${LAB_REALS[@]}"; do
	for url in "http://$(lab_real_ip4 "$i")/" "http://[$(lab_real_ip6 "$i")]/"; do
		body=$(lab_exec client curl -s -g --max-time 5 "$url") || lab_fail "curl $url failed"
		[ "$body" = "r$i" ] || lab_fail "$url answered '$body', expected 'r$i'"
	done
	hc=$(lab_exec client curl -s --max-time 5 "http://$(lab_real_ip4 "$i")/health_check.html")
	[ "$hc" = OK ] || lab_fail "r$i /health_check.html answered '$hc'"
done
size=$(lab_exec client curl -s --max-time 20 -o /dev/null -w '%{size_download}' "http://$(lab_real_ip4 1)/big")
[ "$size" = "$LAB_BIG_SIZE" ] || lab_fail "/big from r1 is $size bytes, expected $LAB_BIG_SIZE"
lab_pass "each real serves its name on v4 and v6, /health_check.html and a $size-byte /big"

# Access logs record the client's address (DR keeps it).
lab_access_count 1 "^$LAB_CLIENT4 " | grep -qv '^0$' || lab_fail "r1 access log has no line from $LAB_CLIENT4"
lab_pass "access log records \$remote_addr ($LAB_CLIENT4)"

# The LB answers for the VIPs, and the client's neighbour entry for them is the LB's MAC.
lb_mac=$(lab_exec lb cat /sys/class/net/eth0/address)
for vip in "$LAB_VIP4" "$LAB_VIP6"; do
	lab_exec client ping -q -c 1 -W 2 "$vip" >/dev/null || lab_fail "no ping reply from VIP $vip"
	mac=$(lab_exec client ip neigh show "$vip" dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
	[ "$mac" = "$lb_mac" ] || lab_fail "client resolved VIP $vip to '$mac', expected the LB's $lb_mac"
done
lab_pass "VIPs $LAB_VIP4 and $LAB_VIP6 answer ping and resolve to the LB ($lb_mac)"

# With the VIPs taken off the LB nobody may answer ARP/ND for them: the
# reals hold them on lo only (arp_ignore=1; ND is per interface).
lab_exec lb ip addr del "$LAB_VIP4/32" dev eth0
lab_exec lb ip addr del "$LAB_VIP6/128" dev eth0
lab_exec client ip neigh flush dev eth0
for vip in "$LAB_VIP4" "$LAB_VIP6"; do
	if lab_exec client ping -q -c 1 -W 1 "$vip" >/dev/null 2>&1; then
		lab_fail "a real answered for VIP $vip without the LB: $(lab_exec client ip neigh show "$vip")"
	fi
	if lab_exec client ip neigh show "$vip" dev eth0 | grep -q lladdr; then
		lab_fail "someone answered ARP/ND for $vip: $(lab_exec client ip neigh show "$vip")"
	fi
done
lab_pass "with the VIPs off the LB, no real answers ARP/ND for them"

# The LB's bridge-side peer carries the XDP pass program.
ip -n "$(lab_ns br)" link show v-lb | grep -q 'prog/xdp' || lab_fail "no XDP program on v-lb"
lab_pass "xdp_pass attached to the LB's veth peer"
