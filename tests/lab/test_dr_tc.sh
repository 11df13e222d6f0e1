#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The IPv4 round-robin check with the program attached as tc ingress and as generic XDP.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq tc
lab_init tc
lab_up 3

cfg=$LABTMP/xlb.yaml
for mode in tc generic; do
	lab_write_config "$cfg" family=4 sched=rr mode="$mode"
	lab_start_xlbd "$cfg"
	lab_check_attached "$mode"
	lab_wait_reals_up web4 3
	lab_check_spread 4 300 5 r1=100 r2=100 r3=100
	if [ "$mode" = generic ] && tc -n "$(lab_ns lb)" filter show dev eth0 ingress 2>/dev/null | grep -q bpf; then
		lab_fail "mode generic: the tc program of the previous xlbd is still attached"
	fi
	lab_stop_xlbd || lab_fail "mode $mode: xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
	# Forwarding outlives the daemon (a restart or upgrade loses nothing).
	lab_check_attached "$mode"
	lab_http_many 30 "$(lab_vip_url 4 /)" >"$LABTMP/after.out"
	ok=$(awk '$1 == 200' "$LABTMP/after.out" | wc -l)
	[ "$ok" -eq 30 ] || lab_fail "mode $mode: $ok of 30 requests answered after xlbd exited"
	lab_pass "mode $mode: attached as $mode, balanced; after SIGTERM still attached, 30/30 requests ($(lab_tally "$LABTMP/after.out" | tr '\n' ' '))"
done
lab_exec lb "$XLBD" -c "$cfg" --detach 2>>"$LABTMP/detach.log" || lab_fail "xlbd --detach failed: $(cat "$LABTMP/detach.log")"
lab_check_attached none
lab_pass "xlbd --detach removed the program"
