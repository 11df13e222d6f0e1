#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Nothing slow in xlbd delays VRRP. Two LBs in VRRP (200 ms adverts); on the
# master, all at once: a client trickling a byte every 90 ms into the control
# socket, 16 idle clients holding connections (both reconnect whenever xlbd
# cuts them off), a reload of the largest config the loader accepts (65,536
# reals in all: 10^5 is over XLB_MAX_REALS) and a flood of sync datagrams
# from the peer's address. The master's adverts, captured on the backup's
# link, must never be more than 1.5 advert intervals apart, and the backup
# must never become master. (Before VRRP had its own thread, the reload alone
# held the adverts back for seconds and both LBs held the VIP.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq python3 tcpdump
lab_ha_init iso
lab_up_ha 2

TOOLS=$(dirname "$0")/tools
ADVERT_MS=200
MAX_GAP_MS=$((ADVERT_MS * 3 / 2))
VRID=52
SYNC_PORT=8848
STRESS_S=${ISOLATION_STRESS_S:-10}
# The data plane holds XLB_MAX_REALS (65536) reals; web4 has 2 of them.
BIG_REALS=$((65536 - 2))

write_lb() {
	local ns=$1 prio=$2 peer=$3
	lab_ha_write_config "$ns" "$LABTMP/$ns.yaml" family=4
	lab_write_ha_block "$LABTMP/$ns.yaml" family=4 vrid=$VRID prio="$prio" \
		advert="${ADVERT_MS}ms" sync_peer="$peer" sync_port=$SYNC_PORT
}
write_lb lb 200 "$LAB_LB2_4"
write_lb lb2 100 "$LAB_LB4"
lab_start_xlbd_in lb "$LABTMP/lb.yaml" nowait
lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml" nowait
lab_wait_xlbd_in lb
lab_wait_xlbd_in lb2
lab_wait_vrrp_state lb master 5 || lab_fail "lb (priority 200) did not become master: $(lab_vrrp_state lb)"
lab_wait_vrrp_state lb2 backup 5 || lab_fail "lb2 (priority 100) is $(lab_vrrp_state lb2), expected backup"
lab_wait_vip_owner lb 5 4 || lab_fail "VIP owner is '$(lab_vip_owner 4)', expected lb"

# The big config: lb's own, with 16 services and 65,534 more reals.
big=$LABTMP/lb-big.yaml
python3 "$TOOLS/gen_reals.py" "$LABTMP/lb.yaml" "$BIG_REALS" 4096 >"$big"
out=$("$XLBD" -t -c "$big" 2>&1) || lab_fail "the big config is refused by the loader: $(head -3 <<<"$out")"
lab_pass "big config: $(wc -c <"$big") bytes, $((BIG_REALS + 2)) reals in $(($(grep -c '^  - name: big' "$big") + 1)) services, accepted by xlbd -t"

# Adverts on the wire, as they leave the master (a packet tap sees a frame
# when it is sent, in the sender's context; on the backup's side, softirq
# delays of the loaded host would add to the gaps) and those of anyone else.
# --immediate-mode: no buffering, or the packets of the last second are lost
# when tcpdump is stopped.
pcap=$LABTMP/vrrp.pcap
lab_bg lb "$LABTMP/tcpdump.out" tcpdump -i eth0 -n --immediate-mode -U -w "$pcap" 'ip proto 112'
tcpdump_pid=$LAB_BG_LAST
lab_wait_for 10 grep -q 'listening on' "$LABTMP/tcpdump.out" ||
	lab_fail "tcpdump did not start: $(cat "$LABTMP/tcpdump.out")"
trans0=$(lab_vrrp_field lb2 .transitions)
reloads0=$(grep -c 'reloaded:\|reload rejected' "$LABTMP/xlbd-lb.log" || true)

# The stress, all at once.
lab_bg lb "$LABTMP/ctl_stress.out" python3 "$TOOLS/ctl_stress.py" "$(lab_ha_sock lb)" "$STRESS_S"
ctl_pid=$LAB_BG_LAST
lab_bg lb2 "$LABTMP/flood.out" python3 "$TOOLS/sync_forge.py" flood "$LAB_LB2_4" "$LAB_LB4" "$SYNC_PORT" "$STRESS_S"
flood_pid=$LAB_BG_LAST
lab_wait_for 5 grep -q started "$LABTMP/ctl_stress.out" || lab_fail "ctl_stress.py did not start: $(cat "$LABTMP/ctl_stress.out")"
lab_wait_for 5 grep -q flooding "$LABTMP/flood.out" || lab_fail "the sync flood did not start: $(cat "$LABTMP/flood.out")"
# The flood reaches lb's event loop before the reload starts.
_flood_seen() { grep -q 'sync: dropped a message from .*bad HMAC' "$LABTMP/xlbd-lb.log"; }
lab_wait_for 5 _flood_seen || lab_fail "lb's sync does not see the flood: $(tail -2 "$LABTMP/xlbd-lb.log")"
cp "$big" "$LABTMP/lb.yaml"
t0=$(_lab_now_us)
lab_reload_xlbd_in lb
_reload_done() { [ "$(grep -c 'reloaded:\|reload rejected' "$LABTMP/xlbd-lb.log")" -gt "$reloads0" ]; }
reload_ms="not finished within the ${STRESS_S} s of stress"
while lab_pid_alive "$ctl_pid" || lab_pid_alive "$flood_pid"; do
	if [[ $reload_ms == not* ]] && _reload_done; then
		reload_ms="$((($(_lab_now_us) - t0) / 1000)) ms"
	fi
	sleep 0.05
done
wait "$ctl_pid" || lab_fail "ctl_stress.py failed: $(cat "$LABTMP/ctl_stress.out")"
wait "$flood_pid" || lab_fail "the sync flood failed: $(cat "$LABTMP/flood.out")"
stress_end=$(_lab_now_us)
# A second of calm, so the capture ends with the adverts after the stress.
lab_wait_for 1 false || true
capture_end=$(_lab_now_us)
kill -INT "$tcpdump_pid"
lab_wait_for 5 _lab_pid_dead "$tcpdump_pid" || lab_fail "tcpdump did not stop"
wait "$tcpdump_pid" || true

# Every advert on the wire: time, source.
tcpdump -r "$pcap" -n -tt 2>/dev/null | awk '{ print $1, $3 }' >"$LABTMP/adverts.txt"
n_master=$(awk -v s="$LAB_LB4" '$2 == s' "$LABTMP/adverts.txt" | wc -l)
n_backup=$(awk -v s="$LAB_LB2_4" '$2 == s' "$LABTMP/adverts.txt" | wc -l)
# The largest gap between two of lb's adverts that starts before the stress
# ended (the capture runs on for 1 s, so one that ends after it is seen
# whole); if none came after the stress, the wait until the capture ended.
read -r max_gap at_s < <(awk -v s="$LAB_LB4" -v stop="$stress_end" -v end="$capture_end" '$2 == s {
	if (first == "") first = $1
	if (prev != "" && prev * 1e6 <= stop) { g = ($1 - prev) * 1000; if (g > max) { max = g; at = prev } }
	prev = $1 }
	END { if (prev * 1e6 <= stop) { g = end / 1000 - prev * 1000; if (g > max) { max = g; at = prev } }
	      printf "%d %.3f\n", max, at - first }' "$LABTMP/adverts.txt")
stress_ms=$(((stress_end - t0) / 1000))
summary="reload $reload_ms; ctl: $(tail -1 "$LABTMP/ctl_stress.out"); sync flood: $(tail -1 "$LABTMP/flood.out") datagrams"
lab_log "$summary"
lab_log "adverts captured: $n_master from lb over ${stress_ms} ms of stress, $n_backup from lb2; largest gap ${max_gap} ms, ${at_s} s into the capture"
[ "$n_master" -ge 2 ] || lab_fail "the capture holds $n_master adverts from lb: $(tr '\n' ' ' <"$LABTMP/tcpdump.out")"

# No second master: lb2 stayed backup throughout and never advertised.
trans1=$(lab_vrrp_field lb2 .transitions)
state2=$(lab_vrrp_state lb2)
[ "$n_backup" = 0 ] && [ "$trans1" = "$trans0" ] && [ "$state2" = backup ] ||
	lab_fail "a second master: lb2 sent $n_backup adverts, its transitions went $trans0 -> $trans1, it is $state2 ($(lab_vrrp_field lb2 .last_transition.reason)); largest gap between lb's adverts ${max_gap} ms"
[ "$max_gap" -le "$MAX_GAP_MS" ] ||
	lab_fail "the master's adverts were ${max_gap} ms apart (at most ${MAX_GAP_MS} ms: 1.5 x ${ADVERT_MS} ms)"
lab_pass "under stress (${summary}) lb's adverts were at most ${max_gap} ms apart (limit ${MAX_GAP_MS} ms, ${n_master} adverts) and lb2 stayed backup"

_reload_done || lab_wait_for "${ISOLATION_RELOAD_WAIT_S:-30}" _reload_done || lab_fail "lb did not finish the reload"
lab_pid_alive "$(lab_xlbd_pid_in lb)" || lab_fail "xlbd in lb died"
grep -q 'reloaded:' "$LABTMP/xlbd-lb.log" || lab_fail "lb refused the big config: $(grep -m1 'error' "$LABTMP/xlbd-lb.log")"
lab_wait_vip_owner lb 5 4 || lab_fail "VIP owner is '$(lab_vip_owner 4)', expected lb"
lab_pass "lb applied the big config ($(grep 'reloaded:' "$LABTMP/xlbd-lb.log" | tail -1 | sed 's/.*reloaded: //')) and holds the VIP alone"
