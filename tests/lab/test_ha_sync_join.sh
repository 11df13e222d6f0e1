#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A third active LB joins (ha: sync: mode: active-active, wlc, dr): lb and
# lb2 each forward a checksummed download; lb3 starts, and each of them sends
# it a full sync of its own flows, ended by a full-sync end (full_sync: true
# per peer in xlbctl ha: the sign a joining LB may take traffic). Then both
# clients' routes move to lb3 (and lb's link goes down): both downloads
# complete with the right checksum, lb3 never saw a packet without a flow.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_ha_init sj
lab_up_ha 2

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
RATE=$((8 * 1024 * 1024)) # the 64 MiB downloads take ~8 s: lb3 starts meanwhile
LB3_4=10.200.0.4
CLIENT2_4=10.200.0.11
declare -A ADDR=([lb]=$LAB_LB4 [lb2]=$LAB_LB2_4 [lb3]=$LB3_4)

_lab_host lb3 "$LB3_4" fd00:200::4
_lab_attach_xdp_pass lb3
_lab_host client2 "$CLIENT2_4" fd00:200::11
lab_exec client2 ethtool -K eth0 tx off >/dev/null
lab_wait_for 10 _lab_ping_ok client2 "$LB3_4" || lab_fail "client2 cannot reach lb3"

for ns in lb lb2 lb3; do
	peers=""
	for other in lb lb2 lb3; do
		[ "$other" = "$ns" ] || peers+="${peers:+, }\"${ADDR[$other]}\""
	done
	lab_ha_write_config "$ns" "$LABTMP/$ns.yaml" family=4 method=dr sched=wlc
	cat >>"$LABTMP/$ns.yaml" <<EOF
ha:
  sync:
    mode: active-active
    listen: ${ADDR[$ns]}
    peers: [$peers]
    key: "lab-sync-key-0123456789"
EOF
done

via() { lab_exec "$2" ip route replace "$LAB_VIP4/32" via "${ADDR[$1]}" dev eth0; }
counter() { lab_ha_ctl "$1" --json list | jq -r ".counters.$2 // 0"; }
_full_syncs() { [ "$(lab_ha_json lb3 | jq '[.sync.peers[] | select(.full_sync)] | length')" = 2 ]; }
_installed() { [ "$(lab_ha_json lb3 | jq .sync.counters.installed)" -ge 2 ]; }
ok() { [ -z "$(jq -r .error <<<"$1")" ] && [ "$(jq -r .sha256 <<<"$1")" = "$LAB_BIG_SHA256" ]; }

lab_start_xlbd_in lb "$LABTMP/lb.yaml" nowait
lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml" nowait
for ns in lb lb2; do
	lab_wait_xlbd_in "$ns"
	lab_wait_for 10 lab_ha_reals_up "$ns" web4 2 || lab_fail "$ns: reals not up"
done
via lb client
via lb2 client2
out1=$LABTMP/dl1.json out2=$LABTMP/dl2.json
lab_bg client "$out1" python3 "$TOOLS/slow_download.py" "$LAB_VIP4" 80 /big "$RATE" 3 --ready "$out1.ready"
dl1=$LAB_BG_LAST
lab_bg client2 "$out2" python3 "$TOOLS/slow_download.py" "$LAB_VIP4" 80 /big "$RATE" 3 --ready "$out2.ready"
dl2=$LAB_BG_LAST
lab_wait_for 10 test -e "$out1.ready" || lab_fail "the download through lb did not start"
lab_wait_for 10 test -e "$out2.ready" || lab_fail "the download through lb2 did not start"

# lb3 joins while both downloads run.
t0=$(lab_now_ms)
lab_start_xlbd_in lb3 "$LABTMP/lb3.yaml"
lab_wait_for 10 lab_ha_reals_up lb3 web4 2 || lab_fail "lb3: reals not up"
lab_wait_for 5 _full_syncs || lab_fail "lb3 has no complete full sync from both peers: $(lab_ha_json lb3 | jq -c .sync)"
lab_wait_for 5 _installed || lab_fail "lb3 installed fewer than 2 flows: $(lab_ha_json lb3 | jq -c .sync.counters)"
t_ms=$(($(lab_now_ms) - t0))
lab_pid_alive "$dl1" && lab_pid_alive "$dl2" ||
	lab_fail "a download ended before the move (lb3 took ${t_ms} ms to start and sync): $(cat "$out1" "$out2")"
drop0=$(counter lb3 drop_midstream)
via lb3 client
via lb3 client2
lab_lb_link lb down
lab_wait_for 30 _lab_pid_dead "$dl1" || lab_fail "the download moved from lb did not end"
lab_wait_for 30 _lab_pid_dead "$dl2" || lab_fail "the download moved from lb2 did not end"
wait "$dl1" "$dl2" 2>/dev/null || true
res1=$(cat "$out1") res2=$(cat "$out2")
lab_log "from lb: $res1; from lb2: $res2; lb3 sync: $(lab_ha_json lb3 | jq -c '.sync.counters | {installed, full_syncs_rx, full_requests_sent}')"
ok "$res1" || lab_fail "the download moved from lb to lb3 failed: $res1"
ok "$res2" || lab_fail "the download moved from lb2 to lb3 failed: $res2"
drops=$(($(counter lb3 drop_midstream) - drop0))
[ "$drops" = 0 ] || lab_fail "lb3 dropped $drops packets without a flow"
lab_pass "lb3 joined two active LBs: a complete full sync from each ($(lab_ha_json lb3 | jq -r .sync.counters.full_syncs_rx) ends) within ${t_ms} ms of its start (BPF load included); two 64 MiB downloads moved to it completed, sha256 ok (longest waits $(jq -r .max_gap_ms <<<"$res1") and $(jq -r .max_gap_ms <<<"$res2") ms), no packet without a flow"
