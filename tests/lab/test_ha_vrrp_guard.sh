#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# VRRP against forged adverts (VRRPv3 has no authentication): with
# unicast_peers an advert from any other address is dropped and counted; and
# one advert claiming a 4095 cs interval from a peer's address leaves the VIP
# without an owner for at most 3 of our own intervals + skew, not 132 s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_ha_init vg
lab_up_ha 1

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
VRID=51
ADVERT_MS=200
# Master_Down_Interval of lb (priority 200) on its own interval.
DOWN_200=$((3 * ADVERT_MS + (256 - 200) * ADVERT_MS / 256))
# From the yield's timestamp (or, if polling missed it, from before the forger
# starts); what matters is well under a second against 132 s.
SLACK_MS=400

# Only lb runs xlbd; lb2's namespace (a configured peer address) and the
# client's (not a peer) send the forged adverts.
lab_ha_write_config lb "$LABTMP/lb.yaml" family=4
lab_write_ha_block "$LABTMP/lb.yaml" vrid=$VRID prio=200 advert=${ADVERT_MS}ms peers="$LAB_LB2_4"
lab_start_xlbd_in lb "$LABTMP/lb.yaml"
lab_wait_vrrp_state lb master 5 || lab_fail "lb did not become master: $(lab_vrrp_state lb)"

# forge NS SRC PRIORITY INTERVAL_CS: one advert for our VRID and VIP to lb.
forge() { lab_exec "$1" python3 "$TOOLS/vrrp_forge.py" "$2" "$LAB_LB4" "$VRID" "$3" "$4" "$LAB_VIP4"; }
unknown_src() { lab_vrrp_field lb .counters.rx_errors.unknown_source; }

# VRRP_GUARD_CASES picks parts when debugging one.
CASES=${VRRP_GUARD_CASES:-source interval}

if [[ " $CASES " == *" source "* ]]; then
trans=$(lab_vrrp_field lb .transitions)
forge client "$LAB_CLIENT4" 254 20
_counted_or_obeyed() { [ "$(unknown_src)" = 1 ] || [ "$(lab_vrrp_state lb)" != master ]; }
lab_wait_for 3 _counted_or_obeyed || lab_fail "lb neither counted nor obeyed the forged advert: $(lab_vrrp_field lb .counters.rx_errors)"
[ "$(lab_vrrp_state lb)" = master ] && [ "$(lab_vrrp_field lb .transitions)" = "$trans" ] ||
	lab_fail "lb obeyed a priority-254 advert from $LAB_CLIENT4, which is not in unicast_peers: $(lab_vrrp_state lb) ($(lab_vrrp_field lb .last_transition.reason))"
grep -q "dropped an advert from $LAB_CLIENT4: not one of unicast_peers" "$LABTMP/xlbd-lb.log" ||
	lab_fail "lb did not log the dropped advert"
lab_pass "an advert from $LAB_CLIENT4 (not in unicast_peers) was dropped and counted (unknown_source 1); lb stayed master"
fi

if [[ " $CASES " == *" interval "* ]]; then
trans=$(lab_vrrp_field lb .transitions)
t0=$(lab_now_ms)
forge lb2 "$LAB_LB2_4" 254 4095
# lb yields (priority 254 from a peer's address is a master by the rules) and
# must take over again on its own interval: two transitions. The yield's own
# timestamp is caught while lb is backup, if the polling sees it.
yield_ms=$t0
_back() {
	local v
	v=$(lab_ha_json lb | jq -c '.vrrp.instances[0] | {state, transitions, t: .last_transition.wall_ms}')
	[ "$(jq -r .state <<<"$v")" != backup ] || yield_ms=$(jq -r .t <<<"$v")
	[ "$(jq -r .transitions <<<"$v")" -ge $((trans + 2)) ]
}
deadline=$(($(_lab_now_us) + 5000000))
until _back; do
	[ "$(_lab_now_us)" -lt "$deadline" ] ||
		lab_fail "lb is $(lab_vrrp_state lb) 5 s after one advert claiming 4095 cs (waiting $(lab_vrrp_field lb .master_down_interval_ms) ms for a master; expected $DOWN_200)"
	sleep 0.05
done
lab_wait_vrrp_state lb master 1 || lab_fail "lb is $(lab_vrrp_state lb), expected master"
ms=$(($(lab_vrrp_changed_wall_ms lb) - yield_ms))
[ "$ms" -le $((DOWN_200 + SLACK_MS)) ] ||
	lab_fail "lb took ${ms} ms to become master again (Master_Down_Interval on its own interval: $DOWN_200 ms)"
lab_wait_vip_owner lb 2 || lab_fail "lb is master but the VIP owner is $(lab_vip_owner)"
lab_pass "one advert from a peer's address claiming 4095 cs (132 s of Master_Down_Interval) made lb yield for ${ms} ms; its own interval bounds it ($DOWN_200 ms)"
fi
