#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The operator commands: `xlbctl flows` lists exactly the client's open
# connections (as ss counts them); `trace` names the real the next connection
# really goes to for rr, sh and mh; `zero` zeroes; `reload` applies or prints
# FILE:LINE; `doctor` flags ip_forward=0 for a nat service and passes once set.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq python3 ss
lab_init ops
lab_up 3

cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family=4 sched=rr
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3
grep -q 'doctor: ' "$LAB_XLBD_LOG" || lab_log "xlbd logged no doctor findings at start"

# --- flows: 20 idle keep-alive connections, held until the fifo is written.
mkfifo "$LABTMP/go"
lab_exec client python3 - "$LAB_VIP4" "$LABTMP/go" >"$LABTMP/holder.out" 2>&1 <<'PY' &
import socket, sys
vip, go = sys.argv[1], sys.argv[2]
socks = []
for i in range(20):
    s = socket.create_connection((vip, 80), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    socks.append(s)
print("open", flush=True)
open(go).read()
PY
holder=$!
LAB_BG_PIDS+=("$holder")
lab_wait_for 10 grep -q open "$LABTMP/holder.out" || lab_fail "the holder did not open its connections: $(cat "$LABTMP/holder.out")"
ss_n() { lab_exec client ss -Htn state established dst "$LAB_VIP4:80" | wc -l; }
flows_n() { lab_ctl flows --state established --json | jq .matched; }
# The LB counts a flow established on the client's first ACK, right after the handshake.
same_count() { [ "$(flows_n)" = "$(ss_n)" ]; }
lab_wait_for 5 same_count || lab_fail "xlbctl flows shows $(flows_n) established flows, ss on the client $(ss_n)"
n=$(ss_n)
[ "$n" = 20 ] || lab_fail "ss shows $n connections, expected 20"
# Each listed flow is one of the client's: same source ports.
lab_ctl flows --state established --json | jq -r '.flows[].client' | sed 's/.*://' | sort -n >"$LABTMP/lb.ports"
lab_exec client ss -Htn state established dst "$LAB_VIP4:80" | awk '{ sub(/.*:/, "", $3); print $3 }' | sort -n >"$LABTMP/client.ports"
diff -q "$LABTMP/lb.ports" "$LABTMP/client.ports" >/dev/null ||
	lab_fail "flows and ss list different client ports: $(diff "$LABTMP/lb.ports" "$LABTMP/client.ports" | head -5 | tr '\n' ' ')"
out=$(lab_ctl flows --limit 5)
[ "$(grep -c ESTABLISHED <<<"$out")" = 5 ] && grep -q '(5 of 20 matching flows shown' <<<"$out" ||
	lab_fail "flows --limit 5 should show 5 of 20: $out"
[ "$(lab_ctl flows --real "$(lab_real_ip4 1)" --state est --json | jq .matched)" -ge 6 ] ||
	lab_fail "flows --real r1 should list about a third of 20"
lab_pass "flows: $n established flows = ss on the client, same ports; --limit 5 shows 5 of 20 with the count"
echo go >"$LABTMP/go"
wait "$holder" || true

# --- trace agrees with the next connection, for rr, sh and mh (switched by
# xlbctl reload), from four client addresses so the hashes get different inputs.
trace_real() { lab_ctl trace "$@" | awk '/^-> / { print $2 }'; }
srcs="$LAB_CLIENT4"
for k in 21 22 23; do
	lab_exec client ip addr add "$LAB_NET4.$k/24" dev eth0
	srcs+=" $LAB_NET4.$k"
done
for sched in rr sh mh; do
	if [ "$sched" != rr ]; then
		lab_write_config "$cfg" family=4 sched=$sched
		out=$(lab_ctl reload) || lab_fail "xlbctl reload to $sched failed: $out"
		grep -q "^reloaded $cfg: 1 services" <<<"$out" || lab_fail "reload printed: $out"
		lab_wait_reals_up web4 3
	fi
	seen=""
	for src in $srcs; do
		port=$LAB_NEXT_PORT
		LAB_NEXT_PORT=$((port + 1))
		want=$(trace_real "$src:$port" "$LAB_VIP4:80" tcp)
		[ -n "$want" ] || lab_fail "$sched: trace named no real: $(lab_ctl trace "$src:$port" "$LAB_VIP4:80")"
		got=$(lab_exec client curl -s --max-time 5 --interface "$src" --local-port "$port" "$(lab_vip_url 4 /)")
		[ "$want" = "$(lab_real_ip4 "${got#r}"):80" ] ||
			lab_fail "$sched: trace said $want, the connection from $src:$port went to '$got' ($(lab_ctl trace "$src:$port" "$LAB_VIP4:80" | tr '\n' ' '))"
		seen+="$got "
	done
	lab_pass "$sched: trace named the real of each of the next 4 connections ($seen)"
done
# A port that has a flow: trace follows it.
lab_http_many 1 "$(lab_vip_url 4 /)" >/dev/null
lab_ctl trace "$LAB_CLIENT4:$((LAB_NEXT_PORT - 1))" "$LAB_VIP4:80" | grep -q 'existing flow' ||
	lab_fail "trace of a port with a flow does not say so"
lab_ctl trace "$LAB_CLIENT4" 10.200.0.99:80 | grep -q 'no service' || lab_fail "trace of a non-VIP does not say 'no service'"

# --- list --rate / --stats, zero.
lab_ctl list --rate | grep -q '^Prot LocalAddress:Port .* CPS .* InPPS .* InBPS' || lab_fail "list --rate header: $(lab_ctl list --rate | head -1)"
[ "$(lab_ctl list --stats | awk '$1 == "TCP" { print $3 }')" -gt 0 ] || lab_fail "list --stats shows no packets: $(lab_ctl list --stats)"
lab_ctl zero | grep -q '^zeroed: 1 services, 3 reals' || lab_fail "zero printed: $(lab_ctl zero)"
sum=$(lab_ctl_json | jq '[.services[].stats.packets, .services[].reals[].stats.packets, .services[].stats.new_flows, .counters.new_flow, .counters.fwd_tx] | add')
[ "$sum" = 0 ] || lab_fail "after zero, packets/new flows should be 0: $sum"
lab_pass "list --rate/--stats; zero: service, real and data-plane counters 0"

# --- reload with an error: FILE:LINE, exit 1, the running config stays.
sed -i 's/scheduler: mh/scheduler: nope/' "$cfg"
if out=$(lab_ctl reload 2>&1); then lab_fail "reload of a broken file succeeded: $out"; fi
grep -q "^$cfg:[0-9]*: .*nope" <<<"$out" || lab_fail "reload did not print FILE:LINE: $out"
[ "$(lab_ctl_json | jq -r '.services[0].scheduler')" = mh ] || lab_fail "the running config changed after a rejected reload"
lab_pass "reload of a broken file: exit 1, '$(head -1 <<<"$out")'; mh stays"

# --- doctor: a nat service needs forwarding.
natcfg=$LABTMP/nat.yaml
lab_write_config "$natcfg" family=4 method=nat
lab_exec lb sysctl -qw net.ipv4.ip_forward=0
if out=$(lab_exec lb "$XLBCTL" doctor -c "$natcfg"); then lab_fail "doctor passed with ip_forward=0: $out"; fi
grep -q '^error *forwarding .*ip_forward is 0' <<<"$out" || lab_fail "doctor did not flag ip_forward: $out"
grep -q 'fix: sysctl -w net.ipv4.ip_forward=1' <<<"$out" || lab_fail "doctor gave no fix for ip_forward: $out"
lab_exec lb sysctl -qw net.ipv4.ip_forward=1
out=$(lab_exec lb "$XLBCTL" doctor -c "$natcfg") || lab_fail "doctor still fails with ip_forward=1: $out"
[ "$(lab_exec lb "$XLBCTL" doctor --json -c "$natcfg" | jq -r '.findings[] | select(.check == "forwarding") | .level')" = ok ] ||
	lab_fail "doctor --json: forwarding not ok"
lab_pass "doctor: ip_forward=0 with a nat service is an error (exit 1, fix given); passes once set"
