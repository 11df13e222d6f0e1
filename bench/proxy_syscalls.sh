#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# System calls per proxied connection (or request) of xlbd's proxy: strace -c
# -f on every thread of xlbd while ab runs against a method proxy service in
# the namespace lab (3 nginx reals, "/" answers 3 bytes). A measurement, not
# a test: it prints a table and fails only if the lab does.
#
#   bench/proxy_syscalls.sh [N]       N connections per run (default 2000)
#   XLBD=path/to/xlbd bench/proxy_syscalls.sh   another binary (before/after)
#
# Runs: tcp (ab, a connection per request), http (ab, the same), http
# keep-alive (ab -k, 2N requests on 16 connections). Each line: calls per
# connection or request, then the calls that make up most of it.
set -euo pipefail
. "$(dirname "$0")/../tests/lab/lib.sh"

N=${1:-2000}
lab_require_xlb
lab_require_cmds ab strace
lab_init sysc
lab_up 3

cfg=$LABTMP/xlb.yaml
{
	echo "interfaces: [{name: eth0}]"
	echo "control_socket: $LABTMP/xlb.sock"
	echo "bpf_pin_dir: $LAB_BPFFS/xlb"
	echo "services:"
	for p in 80:tcp 81:http; do
		printf '  - name: %s\n    vip: %s\n    port: %s\n    method: proxy\n    mode: %s\n    scheduler: rr\n    reals:\n' \
			"${p#*:}" "$LAB_VIP4" "${p%:*}" "${p#*:}"
		for i in "${LAB_REALS[@]}"; do printf '      - {address: %s, port: 80}\n' "$(lab_real_ip4 "$i")"; done
	done
} >"$cfg"
lab_start_xlbd "$cfg"

# measure NAME DIVISOR AB-ARGS...: strace -c over one ab run.
measure() {
	local name=$1 div=$2 out=$LABTMP/strace-$1.txt spid
	shift 2
	lab_exec client ab -q "$@" >/dev/null 2>&1 # warm: pools, caches
	strace -c -f -p "$LAB_XLBD_PID" -o "$out" 2>/dev/null &
	spid=$!
	sleep 1 # strace attaches to every thread; no output tells when it is done
	lab_exec client ab -q "$@" >"$LABTMP/ab-$name.txt" 2>&1 || lab_fail "ab failed: $(tail -3 "$LABTMP/ab-$name.txt")"
	kill -INT "$spid"
	wait "$spid" 2>/dev/null || true
	grep -q "Failed requests: *0" "$LABTMP/ab-$name.txt" || lab_fail "$name: ab saw failures"
	python3 - "$name" "$div" "$out" <<'PY'
import sys
name, div, path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
calls, errs = {}, {}
for line in open(path):
    f = line.split()
    if len(f) >= 5 and f[0].replace(".", "").isdigit() and f[-1] != "total":
        calls[f[-1]] = int(f[3]) / div
        errs[f[-1]] = (int(f[4]) if len(f) == 6 else 0) / div
parts = []
for sc in sorted(calls, key=calls.get, reverse=True):
    if calls[sc] >= 0.05:
        parts.append("%s %.1f" % (sc, calls[sc]) + (" (%.1f EAGAIN/err)" % errs[sc] if errs[sc] >= 0.05 else ""))
print("%-15s %5.1f  %s" % (name, sum(calls.values()), ", ".join(parts)))
PY
}

echo "system calls per connection (tcp, http) or request (http-keepalive); $N each"
measure tcp "$N" -n "$N" -c 16 "http://$LAB_VIP4:80/"
measure http "$N" -n "$N" -c 16 "http://$LAB_VIP4:81/"
measure http-keepalive "$((2 * N))" -k -n "$((2 * N))" -c 16 "http://$LAB_VIP4:81/"
lab_stop_xlbd || true
