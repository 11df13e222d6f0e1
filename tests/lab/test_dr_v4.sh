#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Direct routing to 3 nginx reals through the IPv4 VIP: rr and wrr spread, DSR bypass, wrk.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
FAMILY=${FAMILY:-4}

lab_require_xlb
lab_require_cmds wrk jq tc
lab_init "v$FAMILY"
lab_up 3

cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family="$FAMILY" sched=rr
lab_start_xlbd "$cfg"
lab_check_attached native
lab_wait_reals_up "web$FAMILY" 3
lab_ctl list

lab_check_spread "$FAMILY" 300 5 r1=100 r2=100 r3=100
lab_check_bypass "$FAMILY"
lab_check_wrk "$FAMILY"

# Weighted round robin, switched to by rewriting the config and SIGHUP.
lab_write_config "$cfg" family="$FAMILY" sched=wrr weights=3,2,1
lab_reload_xlbd
_wrr_applied() {
	lab_ctl_json | jq -e --arg s "web$FAMILY" '.services[] | select(.name == $s) |
		.scheduler == "wrr" and ([.reals[].weight] == [3, 2, 1])'
}
lab_wait_for 5 _wrr_applied || lab_fail "xlbd does not show wrr with weights 3,2,1 5s after SIGHUP: $(lab_ctl list 2>&1 | tr '\n' ' ')"
lab_wait_reals_up "web$FAMILY" 3
lab_check_spread "$FAMILY" 300 5 r1=150 r2=100 r3=50
lab_ctl list
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
lab_check_attached native
lab_exec lb "$XLBD" -c "$LABTMP/xlb.yaml" --detach 2>>"$LABTMP/detach.log" || lab_fail "xlbd --detach failed: $(cat "$LABTMP/detach.log")"
lab_check_attached none
lab_pass "xlbd exited 0 on SIGTERM leaving eth0 attached; xlbd --detach removed the program"
