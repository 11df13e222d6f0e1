#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Active-active connection sync (ha: sync: mode: active-active): two LBs
# forward at the same time, no VRRP, each sends the flows it forwards to the
# other. A checksummed download runs through lb (wlc, dr) while a second
# client downloads through lb2 (so both directions of sync carry flows); then
# the first client's route to the VIP moves to lb2 and lb's link goes down, as
# when ECMP moves a flow to another balancer. lb2 already has the flow from lb
# and the download completes with the right checksum. With sync off the same
# move breaks the download: in active-active mode a TCP non-SYN without state
# is dropped for schedulers other than mh (the peer's record, not a guess,
# must decide the real), counted as drop_midstream.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_ha_init aa
lab_up_ha 2

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
RATE=$((16 * 1024 * 1024)) # the 64 MiB download takes ~4 s
CLIENT2_4=10.200.0.11
STALL=3 # seconds without a byte that count as broken

# A second client, whose route to the VIP goes through lb2 all along.
_lab_host client2 "$CLIENT2_4" fd00:200::11
lab_exec client2 ethtool -K eth0 tx off >/dev/null
lab_wait_for 10 _lab_ping_ok client2 "$LAB_LB2_4" || lab_fail "client2 cannot reach lb2"

# write_pair SYNC(true|false): both LBs, same services, sync with the other one.
write_pair() {
	local sync=$1 ns peer
	for ns in lb lb2; do
		if [ "$ns" = lb ]; then peer=$LAB_LB2_4; else peer=$LAB_LB4; fi
		lab_ha_write_config "$ns" "$LABTMP/$ns.yaml" family=4 method=dr sched=wlc
		{
			echo "ha:"
			echo "  sync:"
			echo "    enabled: $sync"
			echo "    mode: active-active"
			echo "    listen: $(lab_lb_addr "$ns" 4)"
			echo "    peers: [\"$peer\"]"
			echo "    key: \"lab-sync-key-0123456789\""
		} >>"$LABTMP/$ns.yaml"
	done
}

# via NS CLIENT: CLIENT sends packets for the VIP to the LB in NS (its "ECMP" choice).
via() { lab_exec "$2" ip route replace "$LAB_VIP4/32" via "$(lab_lb_addr "$1" 4)" dev eth0; }

sync_counter() { lab_ha_json "$1" | jq -r ".sync.counters.$2"; }
dp_counter() { lab_ha_ctl "$1" --json list | jq -r ".counters.$2 // 0"; }
_installed_at_least() { [ "$(sync_counter "$1" installed)" -ge "$2" ]; }

_full_sync_from_peer() { [ "$(lab_ha_json "$1" | jq -r .sync.peers[0].full_sync)" = true ]; }
_sync_is() { [ "$(lab_ha_json "$1" | jq -r .sync.enabled)" = "$2" ]; }

# move SYNC: the two downloads, the move, lb's link down; sets RES1 and RES2.
move() {
	local sync=$1 ns
	for ns in lb lb2; do
		lab_wait_for 10 _sync_is "$ns" "$sync" || lab_fail "$ns: sync enabled is not $sync"
		lab_wait_for 10 lab_ha_reals_up "$ns" web4 2 || lab_fail "$ns: reals not up"
	done
	via lb client
	via lb2 client2
	local out1=$LABTMP/dl1-$sync.json out2=$LABTMP/dl2-$sync.json
	lab_bg client "$out1" python3 "$TOOLS/slow_download.py" "$LAB_VIP4" 80 /big "$RATE" "$STALL" --ready "$out1.ready"
	local dl1=$LAB_BG_LAST
	lab_bg client2 "$out2" python3 "$TOOLS/slow_download.py" "$LAB_VIP4" 80 /big "$RATE" "$STALL" --ready "$out2.ready"
	local dl2=$LAB_BG_LAST
	lab_wait_for 10 test -e "$out1.ready" || lab_fail "sync=$sync: the download through lb did not start"
	lab_wait_for 10 test -e "$out2.ready" || lab_fail "sync=$sync: the download through lb2 did not start"
	if [ "$sync" = true ]; then
		lab_ha_ctl lb ha | grep -q '^Connection sync (active-active):' ||
			lab_fail "xlbctl ha does not show the sync mode: $(lab_ha_ctl lb ha | grep -i 'connection sync')"
		# Each LB got the other's full sync whole (its end marker came).
		lab_wait_for 5 _full_sync_from_peer lb || lab_fail "lb: no complete full sync from lb2: $(lab_ha_json lb | jq -c .sync)"
		lab_wait_for 5 _full_sync_from_peer lb2 || lab_fail "lb2: no complete full sync from lb: $(lab_ha_json lb2 | jq -c .sync)"
		# Many-to-many: each LB has the flow the other one forwards.
		lab_wait_for 5 _installed_at_least lb2 1 ||
			lab_fail "lb2 installed no flow from lb: $(lab_ha_json lb2 | jq -c .sync.counters)"
		lab_wait_for 5 _installed_at_least lb 1 ||
			lab_fail "lb installed no flow from lb2: $(lab_ha_json lb | jq -c .sync.counters)"
	fi
	lab_pid_alive "$dl1" || lab_fail "sync=$sync: the download through lb ended before the move: $(cat "$out1")"
	MID0=$(dp_counter lb2 flow_midstream)
	DROP0=$(dp_counter lb2 drop_midstream)
	via lb2 client
	lab_lb_link lb down
	lab_wait_for 30 _lab_pid_dead "$dl1" || lab_fail "sync=$sync: the moved download did not end"
	lab_wait_for 30 _lab_pid_dead "$dl2" || lab_fail "sync=$sync: the download through lb2 did not end"
	wait "$dl1" "$dl2" 2>/dev/null || true
	RES1=$(cat "$out1")
	RES2=$(cat "$out2")
	lab_log "sync=$sync: moved download $RES1; lb2's own download $RES2"
	MID=$(($(dp_counter lb2 flow_midstream) - MID0))
	DROPS=$(($(dp_counter lb2 drop_midstream) - DROP0))
	lab_log "sync=$sync: lb2 flow_midstream +$MID drop_midstream +$DROPS; sync lb: $(lab_ha_json lb | jq -c '.sync.counters | {installed, tx_records}'), lb2: $(lab_ha_json lb2 | jq -c '.sync.counters | {installed, tx_records}')"
	lab_lb_link lb up
}

ok() { [ -z "$(jq -r .error <<<"$1")" ] && [ "$(jq -r .sha256 <<<"$1")" = "$LAB_BIG_SHA256" ]; }

write_pair true
lab_start_xlbd_in lb "$LABTMP/lb.yaml" nowait
lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml" nowait
lab_wait_xlbd_in lb
lab_wait_xlbd_in lb2
move true
ok "$RES2" || lab_fail "sync on: lb2's own download failed: $RES2"
ok "$RES1" || lab_fail "sync on: the download moved from lb to lb2 did not complete: $RES1"
lab_pass "sync on, active-active: a 64 MiB download moved from lb to lb2 (route moved, lb's link down) completed, sha256 ok, longest wait for data $(jq -r .max_gap_ms <<<"$RES1") ms; both LBs installed each other's flows"

# Sync off on both (a reload), the same move again.
write_pair false
lab_reload_xlbd_in lb
lab_reload_xlbd_in lb2
move false
ok "$RES2" || lab_fail "sync off: lb2's own download failed: $RES2"
! ok "$RES1" || lab_fail "sync off: the moved download survived, so the test cannot tell what sync does: $RES1"
[ "$DROPS" -ge 1 ] || lab_fail "sync off: lb2 counted no drop_midstream for the moved flow"
lab_pass "sync off: the same move broke the download ($(jq -c '{error, bytes}' <<<"$RES1")); lb2 dropped $DROPS of its packets as mid-stream without state (drop_midstream)"
