#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Scale-out over BGP + ECMP (issue 15), part 2: nodes join and leave under load.
#   Join:  a 4th node joins during 100 checksummed downloads; the router
#          re-spreads flows over 4 next hops (counted: how many moved), and
#          >= 99 downloads complete: a node that gets a flow it never saw
#          sends it to the same real (mh: the same table on every node).
#   Leave: during 100 downloads one node's link goes down and its xlbd is
#          killed (-9): the router withdraws it within the BFD detection time
#          (measured) and >= 99 downloads complete.
#   Crash: kill -9 of an xlbd alone (link up): its BIRD dies with it, the
#          session closes, the router withdraws at once (measured).
# Scheduler: mh (BGP_LEAVE_SCHED=mh, the default): all three parts, 4 nodes.
# BGP_LEAVE_SCHED=wlc (test_bgp_leave_wlc.sh): Join and Leave, 4 nodes with
# active-active connection sync between them (each node every other one's
# peer): a flow ECMP moves is found on the node it moves to because sync
# carried it there; nothing else could send it to the same real. lb4 is
# undrained only once every peer's full sync reached it.
# BGP_LEAVE_SYNC=false (wlc; not in the suite) turns sync off to show the
# downloads break without it. BGP_LEAVE_PARTS="leave" runs only that part.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"
. "$(dirname "$0")/lib_bgp.sh"

LAB_BGP_SCHED=${BGP_LEAVE_SCHED:-mh}
case $LAB_BGP_SCHED in
mh) PARTS=" join leave crash " ;;
wlc) PARTS=" join leave " LAB_BGP_SYNC=${BGP_LEAVE_SYNC:-true} ;;
*) echo "BGP_LEAVE_SCHED: mh or wlc" >&2; exit 2 ;;
esac
PARTS=" ${BGP_LEAVE_PARTS:-$PARTS} "
LBS=(1 2 3)
[[ $PARTS != *" join "* && $PARTS != *" crash "* ]] || LBS+=(4) # the node that joins or crashes
N=${#LBS[@]}

lab_require_xlb
lab_bgp_init bj
lab_bgp_up 3 "$N"
lab_bgp_start_lbs "${LBS[@]}"
lab_bgp_wait_paths "$N" 20 || lab_fail "the router did not get $N paths to the VIP: $(lab_bgp_nexthops | tr '\n' ' ')"
if [ "$LAB_BGP_SYNC" = true ]; then
	for i in "${LBS[@]}"; do
		lab_wait_for 10 lab_bgp_sync_full "$i" $((N - 1)) ||
			lab_fail "lb$i: not every peer verified and fully synced: $(lab_ha_json "lb$i" | jq -c '.sync.peers')"
	done
fi

BYTES=$((1024 * 1024))
RATE=$((256 * 1024)) # 4 s per download
DETECT_MS=$((LAB_BGP_BFD_MS * LAB_BGP_BFD_MULT))

# downloads TAG: starts 100 downloads in the background, waits until each has data.
downloads() {
	local tag=$1
	lab_bgp_download_cmd 100 "$BYTES" "$RATE" --ready "$LABTMP/$tag.ready" --stall 10
	lab_bg client "$LABTMP/$tag.json" "${LAB_BGP_CMD[@]}"
	DL_PID=$LAB_BG_LAST
	DL_T0=$(_lab_now_us)
	lab_wait_for 15 test -e "$LABTMP/$tag.ready" || lab_fail "$tag: the downloads did not start: $(cat "$LABTMP/$tag.json")"
	DL_T0=$(_lab_now_us) # every download has data from here
	seq "$((LAB_BGP_NEXT_PORT - 100))" "$((LAB_BGP_NEXT_PORT - 1))" | sort >"$LABTMP/ports"
}

# finish TAG: waits for the downloads; at least 99 of 100 complete with the right sha256.
finish() {
	local tag=$1 res
	lab_wait_for 60 _lab_pid_dead "$DL_PID" || lab_fail "$tag: the downloads did not end"
	wait "$DL_PID" 2>/dev/null || true
	res=$(cat "$LABTMP/$tag.json")
	OK=$(jq -r .ok <<<"$res") || lab_fail "$tag: no result: $res"
	[ "$OK" -ge 99 ] || lab_fail "$tag: only $OK of 100 downloads complete and intact: $(jq -c '.failed[:5]' <<<"$res")"
	DL_SECONDS=$(jq -r .seconds <<<"$res")
}

# ---------------------------------------------------------------- Join
# lb4 started with the others and is drained (drain-node) before the
# downloads: loading a program takes seconds on a busy machine, so the moment
# it joins is its undrain-node, mid-download, with none of those flows on it.
part_join() {
	lab_ha_ctl lb4 drain-node >/dev/null
	lab_bgp_wait_paths 3 5 || lab_fail "join: lb4's drain did not withdraw it"
	RATE=$((170 * 1024)) downloads join # 6 s: lb4 must join while they run, on a busy machine too
	sleep 1 # a fixed head start, not a wait for a condition: lb4 joins mid-stream
	if [ "$LAB_BGP_SYNC" = true ]; then
		# What an operator's undrain waits for: every peer's full sync, and
		# with it the flows lb4 is about to be sent.
		lab_wait_for 5 lab_bgp_sync_full 4 3 || lab_fail "join: lb4 lacks a peer's full sync: $(lab_ha_json lb4 | jq -c '.sync.peers')"
		lab_wait_for 3 _holds_all 4 || lab_fail "join: lb4 does not hold all 100 flows from sync"
	fi
	lab_ha_ctl lb4 undrain-node >/dev/null
	lab_wait_for 5 lab_bgp_has_path 4 || lab_fail "join: the router did not add lb4: $(lab_bgp_nexthops | tr '\n' ' ')"
	local join_s=$((($(_lab_now_us) - DL_T0) / 1000)) i on_lb4 moved
	lab_pid_alive "$DL_PID" || lab_fail "join: lb4 joined after the downloads ended (${join_s} ms)"
	finish join
	if [ -z "$LAB_BGP_SYNC" ]; then
		# Who held which flow: a client port seen by two nodes is a flow ECMP moved.
		for i in 1 2 3 4; do lab_bgp_clients "$i" | comm -12 - "$LABTMP/ports" >"$LABTMP/clients-lb$i"; done
		on_lb4=$(wc -l <"$LABTMP/clients-lb4")
		moved=$(cat "$LABTMP"/clients-lb* | sort | uniq -d | wc -l)
		lab_pass "join: lb4 announced the VIP ${join_s} ms after 100 downloads (6 s each) were all running; ECMP moved $moved of 100 flows ($on_lb4 to lb4, the rest between the old nodes); $OK of 100 completed intact in ${DL_SECONDS} s"
	else
		# With sync every node holds every flow: ask the router where each goes now.
		on_lb4=$(_routed_to 4 | wc -l)
		lab_pass "join ($LAB_BGP_SCHED, sync): lb4 announced the VIP ${join_s} ms after 100 downloads (6 s each) were all running; the router now sends $on_lb4 of them to lb4; lb4 dropped $(lab_bgp_counter 4 drop_midstream) segments without state; $OK of 100 completed intact in ${DL_SECONDS} s"
	fi
}

# _routed_to I: the client ports of the downloads the router sends to node I
# now (its ECMP hash of each connection).
_routed_to() {
	local via p route
	via="via $(lab_bgp_lb_ip "$1") "
	while read -r p; do
		route=$(ip -n "$(lab_ns router)" -4 route get "$LAB_BGP_VIP" from "$LAB_BGP_CLIENT" iif eth1 \
			ipproto tcp sport "$p" dport 80)
		if [[ $route == *"$via"* ]]; then echo "$p"; fi
	done <"$LABTMP/ports"
}

# ---------------------------------------------------------------- Leave
# _holds_all I: node I has a flow for each of the running downloads (its own
# or installed from a peer's sync).
_holds_all() { [ "$(lab_bgp_clients "$1" | comm -12 - "$LABTMP/ports" | wc -l)" -eq 100 ]; }
# _sum CMD NAME: CMD I NAME summed over the nodes that stay (lb2...).
_sum() {
	local i n=0
	for i in "${LBS[@]:1}"; do n=$((n + $("$1" "$i" "$2"))); done
	echo "$n"
}
part_leave() {
	local ms drops0 drops inst gaps sync_note='' i
	downloads leave
	if [ "$LAB_BGP_SYNC" = true ]; then
		# Whichever node ECMP moves a flow to must have it already.
		for i in "${LBS[@]:1}"; do
			lab_wait_for 5 _holds_all "$i" ||
				lab_fail "leave: lb$i has $(lab_bgp_clients "$i" | comm -12 - "$LABTMP/ports" | wc -l) of the 100 flows after sync"
		done
	fi
	sleep 1 # a fixed head start, not a wait for a condition: the failure hits mid-stream
	lab_pid_alive "$DL_PID" || lab_fail "leave: the downloads ended before the failure"
	drops0=$(_sum lab_bgp_counter drop_midstream)
	LAB_BGP_T0_US=$(_lab_now_us)
	ip -n "$(lab_ns lb1)" link set eth0 down
	lab_stop_xlbd_in lb1 KILL
	ms=$(lab_bgp_wait_gone_ms 1 $((LAB_BGP_HOLD_S * 1000 + 1000))) ||
		lab_fail "leave: the router still routes via lb1 $((LAB_BGP_HOLD_S + 1)) s after its link went down and xlbd was killed"
	lab_bgp_wait_paths $((N - 1)) 10 || lab_fail "leave: the router lost other paths: $(lab_bgp_nexthops | tr '\n' ' ')"
	ms=$(lab_bgp_route_gone_ms 1) || true # the kernel's own time of the change (polling adds to ms)
	lab_wait_for 60 _lab_pid_dead "$DL_PID" || lab_fail "leave: the downloads did not end"
	drops=$(($(_sum lab_bgp_counter drop_midstream) - drops0))
	if [ -n "$LAB_BGP_SYNC" ]; then
		inst=$(_sum lab_bgp_sync_counter installed)
		sync_note="; sync $LAB_BGP_SYNC: the nodes that stayed installed $inst records from their peers in the run and dropped $drops segments without state (drop_midstream)"
		lab_log "leave: sync $LAB_BGP_SYNC: $(jq -c '{ok, seconds, failed: .failed[:3]}' "$LABTMP/leave.json")$sync_note"
	fi
	if [ "$LAB_BGP_SYNC" = true ]; then
		# The lab loses no datagram: a gap in a peer's sequence (which costs a
		# full sync) means our own messages to the others skipped numbers.
		gaps=$(_sum lab_bgp_sync_counter rx_gaps)
		[ "$gaps" -eq 0 ] || lab_fail "leave: the nodes that stayed saw $gaps gaps in their peers' sequence numbers"
	fi
	finish leave
	lab_pass "leave ($LAB_BGP_SCHED): lb1's link down + kill -9 of its xlbd: the router withdrew it in ${ms} ms (BFD ${LAB_BGP_BFD_MS} ms x ${LAB_BGP_BFD_MULT} = ${DETECT_MS} ms; hold time ${LAB_BGP_HOLD_S} s); $OK of 100 downloads completed intact in ${DL_SECONDS} s$sync_note"
}

# ---------------------------------------------------------------- Crash (link up)
part_crash() {
	local pid bird_pid ms
	pid=$(lab_xlbd_pid_in lb4)
	bird_pid=$(lab_bgp_json 4 | jq -r .bird.pid)
	LAB_BGP_T0_US=$(_lab_now_us)
	lab_stop_xlbd_in lb4 KILL
	ms=$(lab_bgp_wait_gone_ms 4 $((DETECT_MS + 1000))) ||
		lab_fail "crash: the router still routes via lb4 after kill -9 of its xlbd (pid $pid)"
	ms=$(lab_bgp_route_gone_ms 4) || true
	lab_wait_for 2 _lab_pid_dead "$bird_pid" || lab_fail "crash: lb4's BIRD (pid $bird_pid) outlived its xlbd"
	lab_pass "crash: kill -9 of lb4's xlbd ended its BIRD (PR_SET_PDEATHSIG) and the router withdrew lb4 in ${ms} ms"
}

for part in $PARTS; do "part_$part"; done
