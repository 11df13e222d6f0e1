#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Scale: 1000 services plus one service of 1000 reals load, list, reload and forward.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq curl
lab_init scale
lab_up 1

cfg=$LABTMP/xlb.yaml
R1=$(lab_real_ip6 1)
# The 1000-real service: r1 plus 999 addresses on the segment that nobody
# answers (they stay no-mac, so every new flow must find r1 among them).
{
	echo "interfaces:"
	echo "  - name: eth0"
	echo "control_socket: $LABTMP/xlb.sock"
	echo "bpf_pin_dir: $LAB_BPFFS/xlb"
	echo "flows: {max: 100000}"
	echo "services:"
	echo "  - name: big"
	echo "    vip: $LAB_VIP6"
	echo "    port: 80"
	echo "    scheduler: wlc"
	echo "    reals:"
	echo "      - address: $R1"
	for i in $(seq 1 999); do
		printf '      - address: fd00:200::1:%x\n' "$i"
	done
	for p in $(seq 2000 2999); do
		echo "  - name: s$p"
		echo "    vip: $LAB_VIP6"
		echo "    port: $p"
		echo "    reals:"
		echo "      - address: $R1"
	done
} >"$cfg"

start=$(_lab_now_us)
lab_start_xlbd "$cfg"
up_ms=$((($(_lab_now_us) - start) / 1000))
json=$(lab_ctl_json)
nsvc=$(jq '.services | length' <<<"$json")
nreal=$(jq '[.services[] | select(.name == "big") | .reals[]] | length' <<<"$json")
[ "$nsvc" = 1001 ] || lab_fail "xlbctl lists $nsvc services, expected 1001"
[ "$nreal" = 1000 ] || lab_fail "service big lists $nreal reals, expected 1000"
lab_wait_for 10 bash -c "$(declare -f lab_ctl_json); XLBCTL=$XLBCTL LABTMP=$LABTMP; lab_ctl_json | jq -e '.services[0].reals[0].state == \"up\"' >/dev/null" ||
	lab_fail "r1 never came up in the 1000-real service"

out=$LABTMP/big.out
lab_http_many 20 "$(lab_vip_url 6 /)" >"$out"
[ "$(lab_count_of "$out" r1)" = 20 ] || lab_fail "20 requests through the 1000-real service: $(lab_tally "$out" | tr '\n' ' ')"

# A service among the 1000: the data plane forwards to r1 (which refuses the
# port: the answer still proves the path), and counts it for that service.
lab_exec client curl -s -g --max-time 3 "http://[$LAB_VIP6]:2500/" >/dev/null 2>&1 || true
pk=$(lab_ctl_json | jq '.services[] | select(.name == "s2500") | .stats.packets')
[ "${pk:-0}" -gt 0 ] || lab_fail "service s2500 counted no packets"

start=$(_lab_now_us)
lab_reload_xlbd
lab_wait_for 30 bash -c "grep -q 'reloaded: 1001 services' '$LAB_XLBD_LOG'" || lab_fail "the reload of 1001 services did not finish"
reload_ms=$((($(_lab_now_us) - start) / 1000))
lab_pass "1001 services, one with 1000 reals: up in ${up_ms} ms, reload in ${reload_ms} ms; 20/20 requests via the 1000-real service, s2500 counted $pk packets"
