#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Methods tun, gue and dscp through 3 nginx reals prepared by xlb-rs: spread,
# replies bypass the LB, wrk, IPv4 and IPv6; and path MTU over tun.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
XLBRS=${XLBRS:-$LAB_BUILD/xlb-rs}

lab_require_xlb
lab_require_cmds wrk jq
[ -x "$XLBRS" ] || lab_skip "no xlb-rs at $XLBRS"
lab_init l3
lab_up 3

DSCP=10
# Each real keeps its own xlb-rs state: ip netns exec shares the filesystem.
rs() {
	local i=$1
	shift
	lab_exec "r$i" "$XLBRS" --state-dir "$LABTMP/r$i/xlb-rs" "$@"
}
rs_all() {
	local i
	for i in "${LAB_REALS[@]}"; do
		rs "$i" "$@" >/dev/null || lab_fail "r$i: xlb-rs $*"
	done
}
counter() { lab_ctl_json | jq -r ".counters.$1"; }

# A request body of @2 bytes through the VIP must be answered: full-size
# segments plus the tunnel header exceed the 1500-byte path, so this only
# works if the client heard the ICMP message and lowered its segment size.
post() {
	local fam=$1 bytes=$2 code
	head -c "$bytes" /dev/zero | tr '\0' x >"$LABTMP/body"
	code=$(lab_exec client curl -s -g --max-time 10 -o /dev/null -w '%{http_code}' \
		--data-binary "@$LABTMP/body" "$(lab_vip_url "$fam" /)") || true
	[ "$code" = 200 ] || lab_fail "POST of $bytes bytes over tun (IPv$fam): HTTP '$code'"
}

cfg=$LABTMP/xlb.yaml
for method in tun gue dscp; do
	opts=(--method "$method" --dev eth0)
	[ "$method" != dscp ] || opts+=(--dscp "$DSCP")
	rs_all up --vip "$LAB_VIP4" "${opts[@]}"
	rs_all up --vip "$LAB_VIP6" "${opts[@]}"
	lab_write_config "$cfg" family=46 method="$method" dscp="$DSCP"
	lab_start_xlbd "$cfg"
	lab_wait_reals_up web4 3
	lab_wait_reals_up web6 3
	for fam in 4 6; do
		lab_check_spread "$fam" 300 5 r1=100 r2=100 r3=100
		lab_check_bypass "$fam"
	done
	lab_check_wrk 4
	if [ "$method" = tun ]; then
		for fam in 4 6; do
			before=$(counter icmp_too_big)
			# ~1400 bytes of TCP payload (headers + a 1250-byte body). Over IPv4
			# that fits 1500 with the 20-byte outer header; over IPv6 (40 + 32 +
			# 40 bytes of headers) it does not, and the client is told so.
			post "$fam" 1250
			small=$(counter icmp_too_big)
			[ "$fam" = 6 ] || [ "$small" = "$before" ] ||
				lab_fail "a ~1400-byte request over tun (IPv4) needed ICMP: it fits 1500 with the outer header"
			post "$fam" 8000
			after=$(counter icmp_too_big)
			[ "$after" -gt "$before" ] ||
				lab_fail "8000 bytes over tun (IPv$fam) got through without ICMP too-big: segments cannot have fit"
			want=$((fam == 4 ? 1480 : 1460))
			mtu=$(lab_exec client ip -"$fam" route get "$(lab_vip "$fam")" | grep -o 'mtu [0-9]*' || true)
			[ "$mtu" = "mtu $want" ] ||
				lab_fail "client's path MTU to the VIP (IPv$fam): '${mtu:-none}', expected mtu $want"
			lab_pass "tun IPv$fam: ~1400-byte request answered ($((small - before)) ICMP), 8000-byte body answered; $((after - before)) ICMP too-big in all; client path MTU $want"
		done
	fi
	lab_pass "$method: icmp_too_big=$(counter icmp_too_big) encap_failed=$(counter encap_failed) drop_too_big=$(counter drop_too_big)"
	lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
	rs_all down --vip "$LAB_VIP4"
	rs_all down --vip "$LAB_VIP6"
done
