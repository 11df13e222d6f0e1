#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The control socket is the API: every field of a request is checked, and a
# bad one changes nothing and says why (xlbctl refuses it before sending).
# One xlbd per control socket and per pin directory: a second one is refused
# with a clear error and the first stays reachable.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_init cg
lab_up 2

R1=$(lab_real_ip4 1)
lab_write_config "$LABTMP/xlb.yaml" family=4 weights="3 2"
lab_start_xlbd "$LABTMP/xlb.yaml"

# ctl_raw JSON: sends JSON as it is to xlbd's socket and prints the reply.
ctl_raw() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().read().strip())
' "$LABTMP/xlb.sock" "$1"
}
weight_of() { lab_ctl_json | jq -r --arg a "$1" '.services[] | select(.name == "web4") | .reals[] | select(.address == $a) | .weight'; }

# expect_refused WHAT JSON ERROR_WORDS: xlbd answers with an error saying
# ERROR_WORDS and r1's weight stays what it was.
expect_refused() {
	local what=$1 req=$2 words=$3 before reply
	before=$(weight_of "$R1")
	reply=$(ctl_raw "$req")
	jq -e --arg w "$words" '.error | contains($w)' <<<"$reply" >/dev/null ||
		lab_fail "$what: xlbd did not refuse it with '$words': $reply"
	[ "$(weight_of "$R1")" = "$before" ] ||
		lab_fail "$what: refused, but r1's weight changed from $before to $(weight_of "$R1")"
}

req() { printf '{"cmd":"real_weight","service":"web4","real":"%s","weight":%s}' "$1" "$2"; }

# CTL_GUARD_CASES picks parts when debugging one.
CASES=${CTL_GUARD_CASES:-requests slow lock}

if [[ " $CASES " == *" requests "* ]]; then
[ "$(weight_of "$R1")" = 3 ] || lab_fail "r1 starts with weight $(weight_of "$R1"), expected 3"
lab_ctl real weight web4 "$R1" 5 >/dev/null || lab_fail "xlbctl real weight 5 failed"
[ "$(weight_of "$R1")" = 5 ] || lab_fail "xlbctl real weight 5 did not take: $(weight_of "$R1")"

# The defects: "abc" read as 0 drained the real; -1 reset it to the config's weight;
# a port "abc" read as 0 matched the real on any port.
expect_refused 'weight "abc"' "$(req "$R1" '"abc"')" "bad weight 'abc'"
expect_refused 'weight -1' "$(req "$R1" -1)" "bad weight -1"
expect_refused 'real ADDR:abc' "$(req "$R1:abc" 9)" "bad real"
expect_refused 'weight 65536' "$(req "$R1" 65536)" "bad weight 65536"
expect_refused 'weight 1.5' "$(req "$R1" 1.5)" "'weight' must be"
expect_refused 'unknown key' '{"cmd":"real_weight","service":"web4","real":"'"$R1"'","weight":1,"x":1}' "unknown key 'x'"
expect_refused 'no service' '{"cmd":"real_weight","real":"'"$R1"'","weight":1}' "needs 'service'"
expect_refused 'two requests' '{"cmd":"list"}{"cmd":"list"}' "bad request"
expect_refused 'not JSON' 'real weight web4 1' "bad request"
lab_pass "xlbd refused 9 malformed real_weight requests with a reason each; r1 kept weight 5"

# xlbctl refuses the same before it sends (exit 2, usage error).
rc=0
out=$(lab_ctl real weight web4 "$R1:abc" 9 2>&1) || rc=$?
[ "$rc" = 2 ] && [[ $out == *"bad real"* ]] || lab_fail "xlbctl real weight web4 $R1:abc 9: exit $rc, '$out' (expected exit 2, bad real)"
rc=0
out=$(lab_ctl real weight web4 "$R1" ' 7' 2>&1) || rc=$?
[ "$rc" = 2 ] && [[ $out == *"bad weight"* ]] || lab_fail "xlbctl real weight ' 7': exit $rc, '$out'"
[ "$(weight_of "$R1")" = 5 ] || lab_fail "r1's weight changed to $(weight_of "$R1")"
lab_ctl real enable web4 "$R1" >/dev/null || lab_fail "xlbctl real enable failed"
[ "$(weight_of "$R1")" = 3 ] || lab_fail "xlbctl real enable did not restore weight 3: $(weight_of "$R1")"
lab_pass "xlbctl refused a real ADDR:abc and a weight ' 7' (exit 2) without sending; enable restored the config's weight 3"
fi

# ---------------------------------------------------------------- a slow client
# A client trickling its request (a byte every 50 ms for 4 s) is cut off after
# 100 ms in all: xlbd serves the next client (and runs VRRP, sync, its tick)
# meanwhile. It used to wait 100 ms per byte, so one client held the loop for
# as long as it liked.
if [[ " $CASES " == *" slow "* ]]; then
lab_bg lb "$LABTMP/trickle.out" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
print("connected", flush=True)
try:
    for _ in range(80):
        s.send(b" ")
        time.sleep(0.05)
except OSError:
    pass
' "$LABTMP/xlb.sock"
lab_wait_for 5 grep -q connected "$LABTMP/trickle.out" || lab_fail "the trickling client did not connect"
t0=$(_lab_now_us)
lab_ctl list >/dev/null || lab_fail "xlbctl list failed while a client trickled"
ms=$((($(_lab_now_us) - t0) / 1000))
[ "$ms" -lt 1000 ] || lab_fail "xlbctl list took $ms ms while another client trickled its request (expected < 1000)"
lab_pass "a client trickling its request did not hold xlbd: xlbctl list answered in $ms ms"
fi
[[ " $CASES " == *" lock "* ]] || exit 0

# ---------------------------------------------------------------- one xlbd per socket and pin dir
# second_xlbd CONFIG WORDS: another xlbd in the same namespace must exit
# non-zero within 15 s saying WORDS; the first keeps its socket.
second_xlbd() {
	local cfg=$1 words=$2 log=$LABTMP/xlbd2.log pid rc=0
	: >"$log"
	lab_bg lb "$log" "$XLBD" -c "$cfg"
	pid=$LAB_BG_LAST
	lab_wait_for 15 _lab_pid_dead "$pid" ||
		lab_fail "a second xlbd with $cfg is still running after 15 s (it should refuse to start): $(tail -3 "$log" | tr '\n' ' ')"
	wait "$pid" || rc=$?
	[ "$rc" != 0 ] || lab_fail "the second xlbd exited 0"
	grep -q "$words" "$log" || lab_fail "the second xlbd did not say '$words': $(cat "$log")"
	[ -S "$LABTMP/xlb.sock" ] && lab_ctl list >/dev/null ||
		lab_fail "the first xlbd is unreachable after the second one ran"
	lab_pid_alive "$LAB_XLBD_PID" || lab_fail "the first xlbd died"
}
second_xlbd "$LABTMP/xlb.yaml" "another xlbd (pid $LAB_XLBD_PID) runs with control socket"
lab_pass "a second xlbd with the same config exited: $(grep -o 'another xlbd.*' "$LABTMP/xlbd2.log" | head -1)"
sed "s|^control_socket: .*|control_socket: $LABTMP/other.sock|" "$LABTMP/xlb.yaml" >"$LABTMP/other.yaml"
second_xlbd "$LABTMP/other.yaml" "bpf_pin_dir $LAB_BPFFS/xlb is in use by another xlbd"
[ ! -e "$LABTMP/other.sock" ] || lab_fail "the refused xlbd created its control socket"
lab_pass "a second xlbd with its own control socket but the same bpf_pin_dir exited before binding it; the first still answers"

