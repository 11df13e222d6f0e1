#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Slow start: a real added to an lc service does not take every new connection
# at once (Kakao's complaint about least-connection); without slow_start it does.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_init ss
lab_up 3

cfg=$LABTMP/xlb.yaml
active_of() { lab_ctl_json | jq ".services[0].reals[$1].active_conns"; }
total_active() { lab_ctl_json | jq '[.services[0].reals[].active_conns] | add'; }
total_is() { [ "$(total_active)" = "$1" ]; }
snapshot_60() {
	local j
	j=$(lab_ctl_json)
	R3=$(jq '.services[0].reals[2].active_conns' <<<"$j")
	[ "$(jq '[.services[0].reals[].active_conns] | add' <<<"$j")" = 60 ]
}
r3_up() { [ "$(lab_ctl_json | jq -r '.services[0].reals[2].state // empty')" = up ]; }

# Opens N keep-alive connections (one answered request each) and holds them
# until the fifo is written to.
hold() {
	local n=$1 fifo=$2
	mkfifo "$fifo"
	lab_exec client python3 - "$LAB_VIP4" "$fifo" "$n" >/dev/null 2>&1 <<'PY' &
import socket, sys
vip, go, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.create_connection((vip, 80), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    socks.append(s)
open(go).read()
PY
	HOLDERS+=("$!")
}
HOLDERS=()
release() {
	local f
	for f in "$LABTMP"/hold.*; do echo go >"$f"; done
	wait "${HOLDERS[@]}" 2>/dev/null || true
	rm -f "$LABTMP"/hold.*
	HOLDERS=()
}

# One round: 40 connections on r1+r2, then r3 joins and 20 more arrive.
round() {
	local slow=$1 extra=""
	[ -n "$slow" ] && extra="slow_start: $slow"
	lab_write_config "$cfg" family=4 sched=lc reals=1,2
	lab_start_xlbd "$cfg"
	lab_wait_reals_up web4 2
	hold 40 "$LABTMP/hold.a"
	lab_wait_for 10 total_is 40 || lab_fail "40 held connections not counted: $(total_active)"
	lab_write_config "$cfg" family=4 sched=lc reals=1,2,3
	[ -z "$extra" ] || sed -i "s/^    scheduler: lc$/    scheduler: lc\n    $extra/" "$cfg"
	lab_reload_xlbd
	lab_wait_for 5 r3_up || lab_fail "r3 did not come up after the reload"
	hold 20 "$LABTMP/hold.b"
	# total and r3's count from one reading, so they belong together
	lab_wait_for 10 snapshot_60 || lab_fail "60 held connections not counted: $(total_active)"
	release
	lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
}

round ""
without=$R3
[ "$without" = 20 ] || lab_fail "without slow_start lc should send all 20 new connections to the idle r3, it sent $without"
round 20s
with=$R3
[ "$with" -le 5 ] || lab_fail "with slow_start 20s the new r3 took $with of 20 new connections (expected at most 5)"
lab_pass "lc, r3 added next to 40 connections: without slow_start it takes $without of the next 20, with slow_start 20s $with"
