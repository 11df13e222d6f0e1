#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# VRRP tracking between two xlbds: the master's tracked service loses its
# quorum (only its own health checks fail) or a tracked interface goes down
# -> its priority drops below the backup's, which takes over; fixed -> the
# master preempts back. Its VRRP interface's link down -> FAULT (shown by
# xlbctl ha), the VIP moves; link up -> it recovers and preempts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq nft curl promtool
lab_ha_init tk
lab_up_ha 2

ADVERT_MS=100
# Master_Down_Interval of the priority-100 backup, and of lb (200) when it preempts.
DOWN_100=$((3 * ADVERT_MS + (256 - 100) * ADVERT_MS / 256))
DOWN_200=$((3 * ADVERT_MS + (256 - 200) * ADVERT_MS / 256))
SLACK_MS=400 # scheduling on a busy 2-core machine, and the 10 ms polls

# write_lb NS PRIORITY TRACK_LINES: a dr service with tcp health checks on
# the two reals, one VRRP instance (100 ms adverts) that tracks what
# TRACK_LINES (YAML, instance level) says.
write_lb() {
	local ns=$1 prio=$2 track=$3 cfg=$LABTMP/$1.yaml
	lab_ha_write_config "$ns" "$cfg" family=4
	cat >>"$cfg" <<EOF
    health:
      check: tcp
      interval: 100ms
      timeout: 300ms
      rise: 2
      fall: 2
EOF
	lab_write_ha_block "$cfg" family=4 vrid=61 prio="$prio" advert="${ADVERT_MS}ms"
	printf '%s\n' "$track" >>"$cfg"
}

# A link in lb to track: a veth pair of its own (no dummy module here), both ends up.
ip -n "$(lab_ns lb)" link add trk0 type veth peer name trk0p
ip -n "$(lab_ns lb)" link set trk0p up
ip -n "$(lab_ns lb)" link set trk0 up

write_lb lb 200 "      track_service: [{name: web4, weight: -150}]
      track_interface: [{name: trk0, weight: -150}]"
write_lb lb2 100 "      track_service: [{name: web4, weight: -150}]"
printf 'metrics:\n  listen: 127.0.0.1:9109\n' >>"$LABTMP/lb.yaml"
"$XLBD" -t -c "$LABTMP/lb.yaml" >/dev/null || lab_fail "xlbd -t rejects $LABTMP/lb.yaml"
# doctor: trk0 exists in lb; in lb2 it does not (a warning: it would count as down).
_doctor_vrrp() { lab_exec "$1" "$XLBCTL" doctor --json -c "$LABTMP/lb.yaml" | jq -r '[.findings[] | select(.check == "vrrp") | .level] | join(",")'; }
[ "$(_doctor_vrrp lb)" = ok ] && [ "$(_doctor_vrrp lb2)" = warning ] ||
	lab_fail "doctor's vrrp check: lb '$(_doctor_vrrp lb)', lb2 '$(_doctor_vrrp lb2)' (expected ok, warning)"
lab_start_xlbd_in lb "$LABTMP/lb.yaml" nowait
lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml" nowait
lab_wait_xlbd_in lb
lab_wait_xlbd_in lb2
lab_wait_for 10 lab_ha_reals_up lb web4 2 || lab_fail "lb: reals not up"
lab_wait_for 10 lab_ha_reals_up lb2 web4 2 || lab_fail "lb2: reals not up"
lab_wait_vrrp_state lb master 5 || lab_fail "lb (priority 200) did not become master: $(lab_vrrp_state lb)"
lab_wait_vrrp_state lb2 backup 5 || lab_fail "lb2 is $(lab_vrrp_state lb2), expected backup"
lab_wait_vip_owner lb 5 4 || lab_fail "VIP on '$(lab_vip_owner 4)', expected lb"

_tracked() { lab_vrrp_field "$1" "[.tracking[] | select(.name == \"$2\")][0].state"; }
_tracked_is() { [ "$(_tracked "$1" "$2")" = "$3" ]; }
_prio_is() { [ "$(lab_vrrp_field "$1" .priority)" = "$2" ]; }
lab_wait_for 5 _tracked_is lb web4 met || lab_fail "lb: web4 tracked as $(_tracked lb web4), expected met"
[ "$(lab_vrrp_field lb .priority)/$(lab_vrrp_field lb .base_priority)" = 200/200 ] &&
	[ "$(_tracked lb trk0)" = up ] && [ "$(_tracked lb eth0)" = up ] &&
	[ "$(lab_vrrp_field lb .fault)" = null ] ||
	lab_fail "lb at the start: $(lab_vrrp_field lb '{priority, base_priority, fault, tracking} | tojson')"
lab_pass "start: lb master at priority 200 tracking eth0, trk0 and web4 (quorum met), lb2 backup"

# _one_ok / check_traffic N: N requests through the VIP, all 200.
_one_ok() {
	lab_http_many 1 "$(lab_vip_url 4 /)" >"$LABTMP/one.out"
	grep -q '^200 ' "$LABTMP/one.out"
}
check_traffic() {
	local n=$1 out=$LABTMP/traffic.out ok
	lab_wait_for 5 _one_ok || lab_fail "no request through the VIP succeeded within 5s"
	lab_http_many "$n" "$(lab_vip_url 4 /)" >"$out"
	ok=$(awk '$1 == 200' "$out" | wc -l)
	[ "$ok" -eq "$n" ] || lab_fail "$ok of $n requests through the VIP got 200"
}

_backup_or_fault() {
	local s
	s=$(lab_vrrp_state "$1")
	[ "$s" = backup ] || [ "$s" = fault ]
}

# takeover NEW_MASTER OLD_MASTER T0_MS WHAT: waits for the handover, prints the
# ms from T0 to NEW_MASTER's transition (its own timestamp, not the poll).
takeover() {
	local new=$1 old=$2 t0=$3 what=$4
	lab_wait_vrrp_state "$new" master 5 || lab_fail "$what: $new did not become master: $(lab_vrrp_state "$new")"
	lab_wait_vip_owner "$new" 5 4 || lab_fail "$what: VIP on '$(lab_vip_owner 4)', expected $new"
	lab_wait_for 5 _backup_or_fault "$old" || lab_fail "$what: $old is $(lab_vrrp_state "$old")"
	echo $(($(lab_vrrp_changed_wall_ms "$new") - t0))
}

# ---------------------------------------------------------------- (a) quorum lost on lb only
# lb's own health checks fail (its packets to the reals' port 80 are
# dropped); lb2 still sees the reals, and the client's traffic (forwarded by
# XDP, not lb's stack) is not touched.
lab_exec lb nft -f - <<EOF
table inet xlbtrack {
	chain out {
		type filter hook output priority 0;
		ip daddr { $(lab_real_ip4 1), $(lab_real_ip4 2) } tcp dport 80 drop
	}
}
EOF
t0=$(lab_now_ms)
lab_wait_for 5 _prio_is lb 50 || lab_fail "(a) lb's priority is $(lab_vrrp_field lb .priority), expected 50"
t_prio=$(lab_vrrp_field lb .tracking_changed_wall_ms)
ms=$(takeover lb2 lb "$t0" "(a) quorum lost")
after_prio=$(($(lab_vrrp_changed_wall_ms lb2) - t_prio))
[ "$(_tracked lb web4)" = lost ] || lab_fail "(a) lb shows web4 $(_tracked lb web4)"
[ "$after_prio" -le $((DOWN_100 + SLACK_MS)) ] ||
	lab_fail "(a) lb2 took over ${after_prio} ms after lb's priority dropped (down interval ${DOWN_100} + ${SLACK_MS} ms slack)"
grep -q "vrrp vi4: priority 200 -> 50" "$LABTMP/xlbd-lb.log" || lab_fail "(a) lb did not log its priority change"
check_traffic 5
lab_pass "(a) lb's checks fail: web4 quorum lost on lb, priority 200 -> 50 $((t_prio - t0)) ms after the drop rule, lb2 master ${after_prio} ms after that (down interval ${DOWN_100} ms); 5/5 requests via lb2"

lab_exec lb nft delete table inet xlbtrack
t0=$(lab_now_ms)
ms=$(takeover lb lb2 "$t0" "(a) quorum back")
[ "$(lab_vrrp_field lb .priority)" = 200 ] || lab_fail "(a) lb's priority is $(lab_vrrp_field lb .priority) after the quorum came back"
lab_pass "(a) lb's checks pass again: priority 200, lb preempted ${ms} ms later (rise ~200 ms + down interval ${DOWN_200} ms)"

# ---------------------------------------------------------------- (b) tracked interface down
# From here times are from lb's own record of the change (tracking_changed_wall_ms).
ip -n "$(lab_ns lb)" link set trk0 down
takeover lb2 lb 0 "(b) trk0 down" >/dev/null
ms=$(($(lab_vrrp_changed_wall_ms lb2) - $(lab_vrrp_field lb .tracking_changed_wall_ms)))
[ "$(_tracked lb trk0)/$(lab_vrrp_field lb .priority)" = down/50 ] ||
	lab_fail "(b) lb: trk0 $(_tracked lb trk0), priority $(lab_vrrp_field lb .priority)"
[ "$ms" -le $((DOWN_100 + SLACK_MS)) ] || lab_fail "(b) lb2 took over ${ms} ms after lb saw trk0 go down (down interval ${DOWN_100} ms)"
lab_pass "(b) trk0 down: lb priority 50, lb2 master in ${ms} ms"
ip -n "$(lab_ns lb)" link set trk0 up
takeover lb lb2 0 "(b) trk0 up" >/dev/null
ms=$(($(lab_vrrp_changed_wall_ms lb) - $(lab_vrrp_field lb .tracking_changed_wall_ms)))
[ "$ms" -le $((DOWN_200 + SLACK_MS)) ] || lab_fail "(b) lb preempted ${ms} ms after it saw trk0 come up (down interval ${DOWN_200} ms)"
lab_pass "(b) trk0 up: lb priority 200, preempted in ${ms} ms"

# ---------------------------------------------------------------- (c) FAULT: lb's own link down
ip -n "$(lab_ns lb)" link set eth0 down
lab_wait_vrrp_state lb fault 5 || lab_fail "(c) lb is $(lab_vrrp_state lb) with its link down, expected fault"
takeover lb2 lb 0 "(c) link down" >/dev/null
ms=$(($(lab_vrrp_changed_wall_ms lb2) - $(lab_vrrp_changed_wall_ms lb)))
fault=$(lab_vrrp_field lb .fault)
[ "$fault" = "interface eth0 is down" ] || lab_fail "(c) lb's fault: '$fault'"
lab_ha_ctl lb ha >"$LABTMP/ha-lb.txt"
grep -q "FAULT" "$LABTMP/ha-lb.txt" && grep -qF "fault: interface eth0 is down" "$LABTMP/ha-lb.txt" ||
	lab_fail "(c) xlbctl ha does not show the fault: $(cat "$LABTMP/ha-lb.txt")"
[ "$ms" -le $((DOWN_100 + SLACK_MS)) ] || lab_fail "(c) lb2 took over ${ms} ms after lb entered FAULT (down interval ${DOWN_100} ms)"
lab_exec lb curl -sf http://127.0.0.1:9109/metrics >"$LABTMP/scrape.txt" || lab_fail "(c) no metrics from lb"
promtool check metrics <"$LABTMP/scrape.txt" >"$LABTMP/promtool.out" 2>&1 ||
	lab_fail "(c) promtool check metrics: $(head -5 "$LABTMP/promtool.out")"
for want in 'xlb_vrrp_state{instance="vi4",interface="eth0",state="fault"} 1' \
	'xlb_vrrp_tracked_failing{instance="vi4",type="interface",name="eth0"} 1' \
	'xlb_vrrp_tracked_failing{instance="vi4",type="interface",name="trk0"} 0' \
	'xlb_vrrp_base_priority{instance="vi4"} 200'; do
	grep -qF "$want" "$LABTMP/scrape.txt" || lab_fail "(c) metrics lack '$want': $(grep xlb_vrrp "$LABTMP/scrape.txt" | head -20)"
done
check_traffic 5
lab_pass "(c) lb's eth0 down: lb FAULT ('$fault', VIP released; metrics say so, promtool clean), lb2 master ${ms} ms later; xlbctl ha: $(grep -m1 -F 'fault:' "$LABTMP/ha-lb.txt" | sed 's/^ *//')"

t0=$(lab_now_ms)
lab_lb_link lb up
ms=$(takeover lb lb2 "$t0" "(c) link up")
grep -q "vrrp vi4: FAULT -> BACKUP (fault cleared: interface eth0 is down)" "$LABTMP/xlbd-lb.log" ||
	lab_fail "(c) lb did not log leaving FAULT"
[ "$(lab_vrrp_field lb .fault)" = null ] || lab_fail "(c) lb still shows a fault: $(lab_vrrp_field lb .fault)"
check_traffic 5
lab_pass "(c) lb's eth0 up: FAULT -> BACKUP -> MASTER, lb master again ${ms} ms after the link came up (ping wait included)"
