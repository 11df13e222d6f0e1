#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Connection sync: a long TCP download through the VRRP master survives kill -9
# of the master's xlbd plus its link going down (dr and nat), because the
# backup already has the flow; with sync off the same download breaks. Forged
# and replayed sync messages are rejected and counted.
#
# The services use `midstream: drop` (IPVS's default: no connection is picked
# up from a non-SYN packet), so without sync the new master cannot guess the
# flow's real by luck: the failover either carries the flow or breaks it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_ha_init hs
lab_up_ha 2

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
ADVERT=200ms
ADVERT_MS=200
SYNC_PORT=8848
RATE=$((5 * 1024 * 1024)) # the 64 MiB download takes ~13 s
# Master_Down_Interval for the backup (priority 100): 3 * advert + skew.
DOWN_MS=$((3 * ADVERT_MS + (256 - 100) * ADVERT_MS / 256))

# write_pair METHOD SYNC(true|false) [extra VRRP addresses]
write_pair() {
	local method=$1 sync=$2 addrs="$LAB_VIP4 ${3:-}" ns prio peer
	for ns in lb lb2; do
		if [ "$ns" = lb ]; then prio=200 peer=$LAB_LB2_4; else prio=100 peer=$LAB_LB4; fi
		lab_ha_write_config "$ns" "$LABTMP/$ns.yaml" family=4 method="$method" sched=rr
		sed -i 's/^    scheduler: rr$/    scheduler: rr\n    midstream: drop/' "$LABTMP/$ns.yaml"
		lab_write_ha_block "$LABTMP/$ns.yaml" vrid=51 prio=$prio advert=$ADVERT addrs="$addrs" \
			sync_peer="$peer" sync_listen="$(lab_lb_addr "$ns" 4)" sync_enabled="$sync"
	done
}

# start_pair [late]: both xlbds; with "late" only lb (failover starts lb2 once
# the download runs, so lb2 learns the flow from a full sync).
start_pair() {
	lab_start_xlbd_in lb "$LABTMP/lb.yaml" nowait
	[ "${1:-}" = late ] || lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml" nowait
	lab_wait_xlbd_in lb
	lab_wait_vip_owner lb 10 || lab_fail "lb did not become VRRP master (owner: $(lab_vip_owner))"
	lab_wait_for 10 lab_ha_reals_up lb web4 2 || lab_fail "lb: reals not up"
	[ "${1:-}" = late ] || start_backup
}

start_backup() {
	[ -n "$(lab_xlbd_pid_in lb2)" ] || lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml"
	lab_wait_xlbd_in lb2
	lab_wait_for 10 lab_ha_reals_up lb2 web4 2 || lab_fail "lb2: reals not up"
}

_lab_has_vip() { [[ " $(lab_vip_owner 4) " == *" $1 "* ]]; }
sync_counter() { lab_ha_json "$1" | jq -r ".sync.counters.$2"; }
_installed_at_least() { [ "$(sync_counter lb2 installed)" -ge "$1" ]; }

# failover METHOD SYNC: download through lb, kill -9 its xlbd and take its
# link down mid-transfer; leaves the download's JSON result line in $RES.
failover() {
	local method=$1 sync=$2 out=$LABTMP/dl-$1-$2.json ready=$LABTMP/dl-$1-$2.ready
	local vip=$LAB_VIP4 inst0=0 t_ms late=${3:-}
	[ -n "$late" ] || inst0=$(sync_counter lb2 installed)
	lab_bg client "$out" python3 "$TOOLS/slow_download.py" "$vip" 80 /big "$RATE" 8 --ready "$ready"
	local dl=$LAB_BG_LAST
	lab_wait_for 10 test -e "$ready" || lab_fail "$method: the download did not start"
	if [ -n "$late" ]; then
		# A backup that starts after the flow was established asks for a full sync.
		start_backup
		lab_wait_for 5 _installed_at_least 1 ||
			lab_fail "$method: the late backup got no full sync ($(lab_ha_json lb2 | jq -c .sync.counters))"
		lab_pass "$method: a backup started mid-download asked for a full sync and installed the flow (lb sent $(sync_counter lb full_syncs_sent) full sync(s))"
	fi
	if [ "$sync" = true ]; then
		# The established flow reached the backup before anything failed.
		lab_wait_for 5 _installed_at_least $((inst0 + 1)) ||
			lab_fail "$method: lb2 installed no synced flow ($(lab_ha_json lb2 | jq -c .sync.counters))"
	fi
	sleep 3 # a fixed head start, not a wait for a condition: the failover hits mid-stream
	lab_stop_xlbd_in lb KILL
	local t0
	t0=$(lab_now_ms)
	lab_lb_link lb down
	# lb keeps the VIP on its dead link (nothing ran to remove it): only lb2's side counts.
	lab_wait_vrrp_state lb2 master 10 || lab_fail "$method: lb2 did not become master within 10 s"
	lab_wait_for 2 _lab_has_vip lb2 || lab_fail "$method: lb2 is master but has no VIP"
	t_ms=$(($(lab_vrrp_changed_wall_ms lb2) - t0))
	lab_log "$method sync=$sync: lb2 became master ${t_ms} ms after the master died (3 x advert + skew: $DOWN_MS ms)"
	[ "$t_ms" -le $((DOWN_MS + 300)) ] ||
		lab_fail "$method: takeover took $t_ms ms, more than 3 x advert + skew ($DOWN_MS ms) + 300 ms"
	lab_wait_for 40 _lab_pid_dead "$dl" || lab_fail "$method: the download did not end"
	wait "$dl" 2>/dev/null || true
	TAKEOVER_MS=$t_ms
	RES=$(cat "$out")
	lab_log "$method sync=$sync: download result $RES"
}

# Back to the start: lb up and master again, with a fresh xlbd on each side.
restore() {
	lab_stop_xlbd_in lb2
	lab_lb_link lb up
}

# HA_SYNC_CASES picks parts when debugging one.
CASES=${HA_SYNC_CASES:-dr nat forge}

# ---------------------------------------------------------------- dr, with and without sync
for sync in true false; do
	[[ " $CASES " == *" dr "* ]] || break
	write_pair dr "$sync"
	if [ "$sync" = true ]; then
		start_pair late
		failover dr "$sync" late
	else
		start_pair
		failover dr "$sync"
	fi
	res=$RES
	err=$(jq -r .error <<<"$res")
	sha=$(jq -r .sha256 <<<"$res")
	gap=$(jq -r .max_gap_ms <<<"$res")
	if [ "$sync" = true ]; then
		[ -z "$err" ] && [ "$sha" = "$LAB_BIG_SHA256" ] ||
			lab_fail "dr with sync: the download did not survive the failover: $res"
		lab_pass "dr with sync: 64 MiB download survived kill -9 + link down of the master; sha256 ok; VIP moved in ${TAKEOVER_MS} ms; longest wait for data ${gap} ms; lb2 installed $(sync_counter lb2 installed) synced flows"
	else
		[ -n "$err" ] || [ "$sha" != "$LAB_BIG_SHA256" ] ||
			lab_fail "dr without sync: the download survived, so the test cannot tell what sync does: $res"
		lab_pass "dr without sync: the same failover broke the download ($(jq -c '{error, bytes}' <<<"$res")): sync is what carries flows over"
	fi
	restore
done

# ---------------------------------------------------------------- nat, with sync
# The client talks from another subnet; the reals' way back to it is a
# gateway address that VRRP moves with the VIP, so replies follow the master.
GW4=10.200.0.250
if [[ " $CASES " == *" nat "* ]]; then
for ns in lb lb2; do
	lab_exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.eth0.accept_local=1 net.ipv4.conf.all.accept_local=1
done
lab_exec lb ip addr add 10.201.0.2/24 dev eth0
lab_exec lb2 ip addr add 10.201.0.3/24 dev eth0
lab_exec client ip addr add 10.201.0.10/24 dev eth0
lab_exec client ip route add "$LAB_VIP4/32" dev eth0 src 10.201.0.10
for i in "${LAB_REALS[@]}"; do
	lab_exec "r$i" ethtool -K eth0 tx off >/dev/null
	lab_exec "r$i" ip route add 10.201.0.0/24 via "$GW4"
done
write_pair nat true "$GW4"
start_pair
failover nat true
res=$RES
err=$(jq -r .error <<<"$res")
sha=$(jq -r .sha256 <<<"$res")
[ -z "$err" ] && [ "$sha" = "$LAB_BIG_SHA256" ] ||
	lab_fail "nat with sync: the download did not survive the failover: $res; lb2 counters: $(lab_ha_ctl lb2 --json list | jq -c .counters); sync: $(lab_ha_json lb2 | jq -c .sync.counters)"
lab_pass "nat with sync: 64 MiB download (replies through the LB) survived kill -9 + link down of the master; sha256 ok; VIP and gateway moved in ${TAKEOVER_MS} ms; longest wait for data $(jq -r .max_gap_ms <<<"$res") ms"
restore
fi
[[ " $CASES " == *" forge "* ]] || exit 0

# ---------------------------------------------------------------- forged and replayed messages
write_pair dr true
start_pair
cap=$LABTMP/sync.msg
# A real message from lb to lb2 (lb sends at start: its hello).
# Generous: the restarted xlbd sends its first message after its BPF load, slow on a busy machine.
lab_bg lb2 "$LABTMP/capture.out" python3 "$TOOLS/sync_forge.py" capture eth0 "$SYNC_PORT" "$cap" 40
capture_pid=$LAB_BG_LAST
lab_wait_for 5 grep -q listening "$LABTMP/capture.out" || lab_fail "capture did not start"
lab_stop_xlbd_in lb
lab_start_xlbd_in lb "$LABTMP/lb.yaml"
lab_wait_for 40 _lab_pid_dead "$capture_pid" || lab_fail "no sync message captured"
[ -s "$cap" ] || lab_fail "no sync message captured: $(cat "$LABTMP/capture.out")"
# The restarted lb's session verified by lb2 (the handshake), so a replay is told apart.
_lb_verified() { [ "$(lab_ha_json lb2 | jq -r .sync.peers[0].session)" = "$(lab_ha_json lb | jq -r .sync.session)" ]; }
lab_wait_for 5 _lb_verified || lab_fail "lb2 did not verify the restarted lb's session: $(lab_ha_json lb2 | jq -c .sync)"
bad0=$(sync_counter lb2 rx_bad_mac)
rep0=$(sync_counter lb2 rx_replayed)
lab_exec lb python3 "$TOOLS/sync_forge.py" wrongkey "$LAB_LB4" "$LAB_LB2_4" "$SYNC_PORT"
lab_exec lb python3 "$TOOLS/sync_forge.py" replay "$LAB_LB4" "$LAB_LB2_4" "$SYNC_PORT" "$cap"
_counted() { [ "$(sync_counter lb2 rx_bad_mac)" -eq $((bad0 + 1)) ] && [ "$(sync_counter lb2 rx_replayed)" -eq $((rep0 + 1)) ]; }
lab_wait_for 5 _counted ||
	lab_fail "lb2 did not count the forgeries: $(lab_ha_json lb2 | jq -c .sync.counters)"
lab_pass "a message signed with another key and a replayed genuine one were rejected and counted (rx_bad_mac $bad0 -> $((bad0 + 1)), rx_replayed $rep0 -> $((rep0 + 1)))"
