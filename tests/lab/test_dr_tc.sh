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
	lab_stop_xlbd || lab_fail "mode $mode: xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
	lab_check_attached none
	lab_pass "mode $mode: attached as $mode, balanced, detached on SIGTERM"
done
