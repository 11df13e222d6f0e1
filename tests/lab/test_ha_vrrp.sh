#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# VRRPv3 in xlbd: election, failover, preemption between two xlbds (IPv4 and
# IPv6) and with keepalived (vrrp_version 3) on either side.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq keepalived
lab_ha_init va
lab_up_ha 2

ADVERT_MS=200
VRID=51
# Master_Down_Interval of a priority-100 backup: 3 * interval + (256 - 100) * interval / 256.
DOWN_100=$((3 * ADVERT_MS + (256 - 100) * ADVERT_MS / 256))
SKEW_100=$(((256 - 100) * ADVERT_MS / 256))
# Scheduling slack on a busy 2-core machine (xlbd's timestamps, not polling, are measured).
SLACK_MS=250

# xlbd config for LB NS: a dr service for the family's VIP and one VRRP instance.
write_lb() {
	local ns=$1 fam=$2 prio=$3 vrid=$4
	lab_ha_write_config "$ns" "$LABTMP/$ns.yaml" family="$fam"
	lab_write_ha_block "$LABTMP/$ns.yaml" family="$fam" vrid="$vrid" prio="$prio" advert="${ADVERT_MS}ms"
}

# check_traffic FAMILY N: N requests from the client to the VIP, all 200 (after
# the first succeeds: neighbours learn the new master from its announcements).
# Sets TRAFFIC to a summary (not in $(...): lab_fail must end the test).
_one_ok() {
	lab_http_many 1 "$(lab_vip_url "$1" /)" >"$LABTMP/one.out"
	grep -q '^200 ' "$LABTMP/one.out"
}
check_traffic() {
	local fam=$1 n=$2 out=$LABTMP/traffic.out ok
	lab_wait_for 5 _one_ok "$fam" || lab_fail "IPv$fam: no request through the VIP succeeded within 5s"
	lab_http_many "$n" "$(lab_vip_url "$fam" /)" >"$out"
	ok=$(awk '$1 == 200' "$out" | wc -l)
	[ "$ok" -eq "$n" ] || lab_fail "IPv$fam: $ok of $n requests through the VIP got 200: $(awk '{ print NR ": " $0 }' "$out" | grep -v ' 200 ' | tr '\n' ';') client neighbours: $(lab_exec client ip neigh show | tr '\n' ';')"
	TRAFFIC="$ok/$n requests 200 ($(lab_tally "$out" | tr '\n' ' '))"
}

# expect_owner OWNER FAMILY WHAT: the VIP is on OWNER's eth0 and nowhere else.
expect_owner() {
	lab_wait_vip_owner "$1" 5 "$2" || lab_fail "$3: VIP owner is '$(lab_vip_owner "$2")', expected $1"
}

# transition_ms NS T0_MS: ms from T0 to the xlbd in NS's last transition.
transition_ms() { echo $(($(lab_vrrp_changed_wall_ms "$1") - $2)); }

# ---------------------------------------------------------------- (a) two xlbds, IPv4
write_lb lb 4 200 $VRID
write_lb lb2 4 100 $VRID
lab_start_xlbd_in lb "$LABTMP/lb.yaml" nowait
lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml" nowait
lab_wait_xlbd_in lb
lab_wait_xlbd_in lb2
lab_wait_vrrp_state lb master 5 || lab_fail "(a) lb (priority 200) did not become master: $(lab_vrrp_state lb)"
lab_wait_vrrp_state lb2 backup 5 || lab_fail "(a) lb2 (priority 100) is $(lab_vrrp_state lb2), expected backup"
expect_owner lb 4 "(a) election"
_hears() { [ "$(lab_vrrp_field "$1" .peer.address)" = "$2" ] && [ "$(lab_vrrp_field "$1" .peer.priority)" = "$3" ]; }
lab_wait_for 5 _hears lb2 "$LAB_LB4" 200 ||
	lab_fail "(a) lb2 does not report lb as master: $(lab_vrrp_field lb2 ".peer | tojson")"
lab_wait_for 10 lab_ha_reals_up lb web4 2 || lab_fail "(a) lb: reals not up"
lab_wait_for 10 lab_ha_reals_up lb2 web4 2 || lab_fail "(a) lb2: reals not up"
check_traffic 4 20
lab_pass "(a) election: lb (200) master with the VIP, lb2 (100) backup hearing 10.200.0.2; traffic: $TRAFFIC"

# SIGHUP: an unchanged instance keeps its state; a new priority takes effect in place.
trans=$(lab_vrrp_field lb .transitions)
lab_reload_xlbd_in lb
_reloaded() { grep -q 'reloaded:' "$LABTMP/xlbd-$1.log" && [ "$(grep -c 'reloaded:' "$LABTMP/xlbd-$1.log")" -ge "$2" ]; }
lab_wait_for 10 _reloaded lb 1 || lab_fail "(a) lb did not reload"
[ "$(lab_vrrp_state lb)" = master ] && [ "$(lab_vrrp_field lb .transitions)" = "$trans" ] ||
	lab_fail "(a) reload of an unchanged config changed lb's state: $(lab_vrrp_state lb), transitions $(lab_vrrp_field lb .transitions)"
write_lb lb2 4 250 $VRID
lab_reload_xlbd_in lb2
lab_wait_vrrp_state lb2 master 5 || lab_fail "(a) lb2 reloaded with priority 250 did not preempt"
lab_wait_vrrp_state lb backup 5 || lab_fail "(a) lb did not yield to priority 250"
expect_owner lb2 4 "(a) reload to priority 250"
write_lb lb2 4 100 $VRID
lab_reload_xlbd_in lb2
lab_wait_vrrp_state lb master 5 || lab_fail "(a) lb did not preempt lb2 reloaded back to priority 100"
lab_wait_vrrp_state lb2 backup 5 || lab_fail "(a) lb2 did not step back"
expect_owner lb 4 "(a) reload back to priority 100"
lab_pass "(a) SIGHUP: unchanged lb stays master; lb2 reloaded to priority 250 takes over, back to 100 hands back"

# Crash: kill -9 (no priority 0, nothing cleaned up) and the link goes down.
t0=$(lab_now_ms)
lab_stop_xlbd_in lb KILL
lab_lb_link lb down
lab_wait_vrrp_state lb2 master 5 || lab_fail "(a) lb2 did not take over after lb crashed"
ms=$(transition_ms lb2 "$t0")
reason=$(lab_vrrp_field lb2 .last_transition.reason)
[ "$reason" = "master down timer expired" ] || lab_fail "(a) lb2 took over for '$reason'"
[ "$ms" -le $((DOWN_100 + SLACK_MS)) ] ||
	lab_fail "(a) failover took ${ms} ms (Master_Down_Interval ${DOWN_100} ms + ${SLACK_MS} ms slack)"
[ "$(lab_vip_owner 4 | tr ' ' '\n' | grep -c lb2)" = 1 ] || lab_fail "(a) lb2 does not have the VIP"
check_traffic 4 20
lab_pass "(a) failover after kill -9 + link down: lb2 master in ${ms} ms (Master_Down_Interval ${DOWN_100} ms); traffic: $TRAFFIC"

# Back: the VIP the crash left on lb's eth0 goes at start, then lb preempts.
lab_lb_link lb up
t0=$(lab_now_ms)
lab_start_xlbd_in lb "$LABTMP/lb.yaml"
lab_wait_vrrp_state lb master 10 || lab_fail "(a) lb did not preempt: $(lab_vrrp_state lb)"
lab_wait_vrrp_state lb2 backup 5 || lab_fail "(a) lb2 did not step back: $(lab_vrrp_state lb2)"
expect_owner lb 4 "(a) preemption"
check_traffic 4 20
lab_pass "(a) preemption: restarted lb (200) master again $(transition_ms lb "$t0") ms after start (BPF load included), lb2 backup ($(lab_vrrp_field lb2 .last_transition.reason)); traffic: $TRAFFIC"
tx=$(lab_vrrp_field lb .counters.adverts_tx)
rx=$(lab_vrrp_field lb2 .counters.adverts_rx)
errs=$(lab_ha_json lb2 | jq '[.vrrp.instances[0].counters.rx_errors[]] | add')
[ "$tx" -gt 0 ] && [ "$rx" -gt 0 ] && [ "$errs" = 0 ] || lab_fail "(a) counters: lb adverts_tx $tx, lb2 adverts_rx $rx, lb2 rx errors $errs"
lab_pass "(a) counters: lb adverts_tx $tx, lb2 adverts_rx $rx, transitions lb2 $(lab_vrrp_field lb2 .transitions), rx errors 0"

# ---------------------------------------------------------------- (b) xlbd 200 + keepalived 100
ka_advert=$(awk -v ms=$ADVERT_MS 'BEGIN { printf "%g", ms / 1000 }')
lab_stop_xlbd_in lb2
lab_write_keepalived_conf lb2 vrid=$VRID prio=100 advert="$ka_advert"
lab_start_keepalived lb2
_ka_is() { [ "$(lab_keepalived_state "$1")" = "$2" ]; }
lab_wait_for 5 _ka_is lb2 BACKUP || lab_fail "(b) keepalived did not enter BACKUP: $(lab_keepalived_state lb2)"
# Long enough for keepalived to have timed out if it ignored our adverts.
sleep_until=$(($(lab_now_ms) + 2 * DOWN_100))
while [ "$(lab_now_ms)" -lt "$sleep_until" ]; do sleep 0.1; done
[ "$(lab_keepalived_state lb2)" = BACKUP ] && [ "$(lab_vrrp_state lb)" = master ] ||
	lab_fail "(b) keepalived $(lab_keepalived_state lb2), xlbd $(lab_vrrp_state lb): keepalived does not accept xlbd's adverts"
expect_owner lb 4 "(b) xlbd master"
lab_pass "(b) xlbd (200) master, keepalived (100) stays BACKUP on xlbd's adverts"

t0=$(lab_now_ms)
lab_stop_xlbd_in lb TERM
ms=$(lab_wait_vip_owner_ms lb2 5 4) || lab_fail "(b) the VIP did not move to keepalived after SIGTERM to xlbd: owner $(lab_vip_owner 4)"
ms=$(($(lab_now_ms) - t0))
[ "$ms" -le $((DOWN_100 + SLACK_MS)) ] || lab_fail "(b) keepalived took ${ms} ms to take over (Master_Down_Interval ${DOWN_100} ms)"
grep -q 'Entering MASTER STATE' "$LABTMP/keepalived-lb2.log" || lab_fail "(b) keepalived did not log MASTER"
lab_pass "(b) SIGTERM to xlbd (priority 0 sent): keepalived master with the VIP in ${ms} ms (skew ${SKEW_100} ms, down interval ${DOWN_100} ms, polled)"

t0=$(lab_now_ms)
lab_start_xlbd_in lb "$LABTMP/lb.yaml"
lab_wait_vrrp_state lb master 10 || lab_fail "(b) xlbd did not preempt keepalived"
expect_owner lb 4 "(b) xlbd preempts"
lab_wait_for 5 _ka_is lb2 BACKUP || lab_fail "(b) keepalived did not step back: $(lab_keepalived_state lb2)"
[ "$(lab_vrrp_field lb .peer.address)" = "$LAB_LB2_4" ] || lab_fail "(b) xlbd did not hear keepalived: peer $(lab_vrrp_field lb ".peer | tojson")"
check_traffic 4 10
lab_pass "(b) xlbd restarted: preempted keepalived (heard it at priority $(lab_vrrp_field lb .peer.priority)) $(transition_ms lb "$t0") ms after start (BPF load included); traffic: $TRAFFIC"

# ---------------------------------------------------------------- (c) keepalived 200 + xlbd 100
lab_stop_keepalived lb2
lab_stop_xlbd_in lb TERM
write_lb lb2 4 100 $VRID
lab_write_keepalived_conf lb vrid=$VRID prio=200 advert="$ka_advert"
: >"$LABTMP/keepalived-lb.log"
lab_start_keepalived lb
lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml"
lab_wait_for 10 _ka_is lb MASTER || lab_fail "(c) keepalived (200) did not become master: $(lab_keepalived_state lb)"
lab_wait_vrrp_state lb2 backup 5 || lab_fail "(c) xlbd is $(lab_vrrp_state lb2), expected backup"
expect_owner lb 4 "(c) keepalived master"
_heard_ka() { [ "$(lab_vrrp_field lb2 .peer.address)" = "$LAB_LB4" ] && [ "$(lab_vrrp_field lb2 .peer.priority)" = 200 ]; }
lab_wait_for 5 _heard_ka || lab_fail "(c) xlbd did not hear keepalived: $(lab_vrrp_field lb2 ".peer | tojson")"
[ "$(lab_ha_json lb2 | jq '[.vrrp.instances[0].counters.rx_errors[]] | add')" = 0 ] ||
	lab_fail "(c) xlbd counted errors on keepalived's adverts: $(lab_vrrp_field lb2 ".counters.rx_errors | tojson")"
lab_pass "(c) keepalived (200) master, xlbd (100) backup hearing it ($(lab_vrrp_field lb2 .counters.adverts_rx) adverts, 0 errors)"
lab_wait_for 10 lab_ha_reals_up lb2 web4 2 || lab_fail "(c) lb2: reals not up"

t0=$(lab_now_ms)
lab_stop_keepalived lb TERM
lab_wait_vrrp_state lb2 master 5 || lab_fail "(c) xlbd did not take over from keepalived"
ms=$(transition_ms lb2 "$t0")
[ "$ms" -le $((DOWN_100 + SLACK_MS)) ] || lab_fail "(c) xlbd took ${ms} ms (Master_Down_Interval ${DOWN_100} ms)"
expect_owner lb2 4 "(c) xlbd took over"
check_traffic 4 10
lab_pass "(c) SIGTERM to keepalived: xlbd master in ${ms} ms ($(lab_vrrp_field lb2 .last_transition.reason); skew ${SKEW_100} ms); traffic: $TRAFFIC"

lab_start_keepalived lb
lab_wait_vrrp_state lb2 backup 10 || lab_fail "(c) keepalived did not preempt xlbd"
expect_owner lb 4 "(c) keepalived preempts"
lab_pass "(c) keepalived restarted and preempted: xlbd backup ($(lab_vrrp_field lb2 .last_transition.reason))"
lab_stop_keepalived lb
lab_stop_xlbd_in lb2

# ---------------------------------------------------------------- (d) two xlbds, IPv6
write_lb lb 6 200 52
write_lb lb2 6 100 52
lab_start_xlbd_in lb "$LABTMP/lb.yaml" nowait
lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml" nowait
lab_wait_xlbd_in lb
lab_wait_xlbd_in lb2
lab_wait_vrrp_state lb master 5 || lab_fail "(d) lb did not become master: $(lab_vrrp_state lb)"
lab_wait_vrrp_state lb2 backup 5 || lab_fail "(d) lb2 is $(lab_vrrp_state lb2), expected backup"
expect_owner lb 6 "(d) election"
_hears_ll() { [[ $(lab_vrrp_field lb2 .peer.address) == fe80:* ]]; }
lab_wait_for 5 _hears_ll || lab_fail "(d) lb2 hears $(lab_vrrp_field lb2 .peer.address), expected lb's link-local address"
lab_wait_for 10 lab_ha_reals_up lb web6 2 || lab_fail "(d) lb: reals not up"
lab_wait_for 10 lab_ha_reals_up lb2 web6 2 || lab_fail "(d) lb2: reals not up"
check_traffic 6 10
lab_pass "(d) IPv6 election: lb master (from $(lab_vrrp_field lb .source)), lb2 backup; traffic: $TRAFFIC"

t0=$(lab_now_ms)
lab_stop_xlbd_in lb KILL
lab_lb_link lb down
lab_wait_vrrp_state lb2 master 5 || lab_fail "(d) lb2 did not take over"
ms=$(transition_ms lb2 "$t0")
[ "$ms" -le $((DOWN_100 + SLACK_MS)) ] || lab_fail "(d) IPv6 failover took ${ms} ms (Master_Down_Interval ${DOWN_100} ms)"
expect_owner lb2 6 "(d) failover"
check_traffic 6 10
lab_pass "(d) IPv6 failover after kill -9 + link down: lb2 master in ${ms} ms (Master_Down_Interval ${DOWN_100} ms); traffic: $TRAFFIC"
lab_lb_link lb up
