#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xlbd does not replace an XDP program that is not xlb's (issue 13, item 10):
# with someone else's program on the LB's interface it refuses to start,
# names the program and leaves it attached; once that program is gone it
# attaches, and a restart takes over its own program as before.
set -u
. "$(dirname "$0")/lib.sh"

lab_init af
lab_require_xlb
lab_up 1

prog_name() {
	lab_exec lb ip -j -d link show dev eth0 | jq -r '.[0].xdp.prog.name // empty'
}

lab_exec lb ip link set dev eth0 xdpdrv obj "$LAB_XDP_PASS" sec xdp ||
	lab_fail "cannot attach xdp_pass to the LB's eth0"
[ "$(prog_name)" = xdp_pass ] || lab_fail "xdp_pass not attached: '$(prog_name)'"

lab_write_config "$LABTMP/xlb.yaml" family=4 sched=rr
log=$LABTMP/refused.log
ip netns exec "$(lab_ns lb)" "$XLBD" -c "$LABTMP/xlb.yaml" >"$log" 2>&1 </dev/null &
pid=$!
_dead() { ! lab_pid_alive "$pid"; }
lab_wait_for 15 _dead || {
	lab_kill_pid "$pid"
	lab_fail "xlbd still runs 15 s after start with a foreign XDP program attached"
}
st=0
wait "$pid" || st=$?
[ "$st" != 0 ] || lab_fail "xlbd exited 0 with a foreign XDP program attached"
grep -q "XDP program 'xdp_pass' (id [0-9]*) is attached and is not xlb's" "$log" ||
	lab_fail "xlbd's error does not name the program: $(tail -3 "$log")"
[ "$(prog_name)" = xdp_pass ] || lab_fail "the foreign program was replaced: '$(prog_name)'"
lab_pass "refused: exit $st, '$(grep -o "XDP program 'xdp_pass'[^:]*" "$log")', xdp_pass still attached"

lab_exec lb ip link set dev eth0 xdp off
lab_start_xlbd "$LABTMP/xlb.yaml"
[ "$(prog_name)" = xlb_xdp ] || lab_fail "xlbd did not attach: '$(prog_name)'"
lab_stop_xlbd
lab_start_xlbd "$LABTMP/xlb.yaml"
[ "$(prog_name)" = xlb_xdp ] || lab_fail "a restarted xlbd lost its own program: '$(prog_name)'"
lab_pass "without it xlbd attaches; a restart takes over xlb's own program"
