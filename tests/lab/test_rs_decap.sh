#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A real with xlb-rs up answers tun, gue and dscp SYNs (v4 and v6) with a SYN-ACK from the VIP.
#
#   lb  10.203.0.2 fd00:203::2 --veth-- rs 10.203.0.3 fd00:203::3
#                                            VIPs on lo, a listener on :80,
#                                            route to the clients via lb
#
# "lb" plays xlbd: a Python script writes, on a raw AF_PACKET socket, the
# frames xlbd sends for a client's SYN (IPIP / IPv6-in-IPv6, GUE variant 1 on
# UDP 6080 with checksum 0, or the real's address with the VIP's DSCP), and
# captures on the same socket what the real sends back toward the client. The
# client addresses sit behind lb, so the SYN-ACK goes there, and lb (no
# forwarding) drops it after the capture. Without xlb-rs (before up, after
# down) the same frames get no SYN-ACK: this kernel has no ipip/fou modules.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

XLB_RS=${XLB_RS:-$LAB_BUILD/xlb-rs}
[ -x "$XLB_RS" ] || lab_skip "$XLB_RS not built (run: make)"
lab_require_cmds python3 jq ss
lab_init rd

LB4=10.203.0.2 LB6=fd00:203::2
RS4=10.203.0.3 RS6=fd00:203::3
CLIENT4=10.203.1.10 CLIENT6=fd00:203:1::10
export XLB_RS_STATE_DIR=$LABTMP/state

# ---------------------------------------------------------------- topology

for n in lb rs; do
	_lab_new_ns "$n"
	lab_exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
done
ip -n "$(lab_ns lb)" link add eth0 type veth peer name eth0 netns "$(lab_ns rs)"
lab_exec lb ip addr add "$LB4/24" dev eth0
lab_exec lb ip addr add "$LB6/64" dev eth0 nodad
lab_exec rs ip addr add "$RS4/24" dev eth0
lab_exec rs ip addr add "$RS6/64" dev eth0 nodad
lab_exec lb ip link set eth0 up
lab_exec rs ip link set eth0 up
lab_exec rs ip route add 10.203.1.0/24 via "$LB4"
lab_exec rs ip -6 route add fd00:203:1::/64 via "$LB6"
RS_MAC=$(lab_exec rs cat /sys/class/net/eth0/address)
lab_wait_for 10 lab_exec lb ping -q -c 1 -W 1 "$RS4" || lab_fail "lb cannot ping $RS4"
lab_wait_for 10 lab_exec lb ping -q -c 1 -W 1 "$RS6" || lab_fail "lb cannot ping $RS6"

# ---------------------------------------------------------------- the real's listener

cat >"$LABTMP/listen.py" <<'EOF'
# Listens on :80 for both families and never accepts: the kernel's SYN-ACK is the answer.
import signal, socket
socks = []
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 80))
    s.listen(256)
    socks.append(s)
signal.pause()
EOF
lab_bg rs "$LABTMP/listen.out" python3 "$LABTMP/listen.py"
_listening() { [ "$(lab_exec rs ss -Hltn 'sport = :80' | wc -l)" -ge 2 ]; }
lab_wait_for 5 _listening || lab_fail "listener on rs did not start: $(cat "$LABTMP/listen.out")"

# ---------------------------------------------------------------- the LB's frames

cat >"$LABTMP/probe.py" <<'EOF'
# Sends one client SYN the way xlbd forwards it and waits for the SYN-ACK.
import argparse, ipaddress, os, socket, struct, sys, time

p = argparse.ArgumentParser()
p.add_argument("--dev", required=True)
p.add_argument("--dst-mac", required=True)
p.add_argument("--kind", choices=("tun", "gue", "dscp"), required=True)
p.add_argument("--lb", required=True)
p.add_argument("--real", required=True)
p.add_argument("--client", required=True)
p.add_argument("--vip", required=True)
p.add_argument("--dscp", type=int, default=0)
p.add_argument("--gue-port", type=int, default=6080)
p.add_argument("--sport", type=int, required=True)
p.add_argument("--timeout", type=float, default=5.0)
a = p.parse_args()
lb, real, client, vip = (ipaddress.ip_address(x) for x in (a.lb, a.real, a.client, a.vip))
SEQ = 0x1000

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ip_packet(src, dst, proto, payload, dscp=0):
    if src.version == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, dscp << 2, 20 + len(payload), 0, 0x4000, 64,
                        proto, 0, src.packed, dst.packed)
        return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
    first = 6 << 28 | (dscp << 2) << 20
    return struct.pack("!IHBB", first, len(payload), proto, 64) + src.packed + dst.packed + payload

def tcp_syn(src, dst, sport, dport):
    h = struct.pack("!HHIIBBHHH", sport, dport, SEQ, 0, 5 << 4, 0x02, 64240, 0, 0)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(h))
    else:
        pseudo = src.packed + dst.packed + struct.pack("!I3xB", len(h), 6)
    return h[:16] + struct.pack("!H", csum(pseudo + h)) + h[18:]

if a.kind == "dscp":
    # xlbd's dscp: destination := the real, DSCP := the VIP's, checksums fixed
    ip = ip_packet(client, real, 6, tcp_syn(client, real, a.sport, 80), a.dscp)
else:
    inner = ip_packet(client, vip, 6, tcp_syn(client, vip, a.sport, 80))
    if a.kind == "tun":
        ip = ip_packet(lb, real, 4 if lb.version == 4 else 41, inner)
    else:
        udp = struct.pack("!HHHH", 0xC000 | (a.sport & 0x3FFF), a.gue_port, 8 + len(inner), 0)
        ip = ip_packet(lb, real, 17, udp + inner)

src_mac = bytes.fromhex(open("/sys/class/net/%s/address" % a.dev).read().strip().replace(":", ""))
ethertype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
frame = bytes.fromhex(a.dst_mac.replace(":", "")) + src_mac + struct.pack("!H", ethertype) + ip

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((a.dev, 0))
s.send(frame)
deadline = time.monotonic() + a.timeout
seen = []
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        data, addr = s.recvfrom(65535)
    except socket.timeout:
        break
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    et = struct.unpack("!H", data[12:14])[0]
    if et == 0x0800 and data[14 + 9] == 6:
        l4 = 14 + (data[14] & 0xF) * 4
        src, dst = ipaddress.ip_address(data[26:30]), ipaddress.ip_address(data[30:34])
    elif et == 0x86DD and data[14 + 6] == 6:
        l4 = 14 + 40
        src, dst = ipaddress.ip_address(data[22:38]), ipaddress.ip_address(data[38:54])
    else:
        continue
    sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", data[l4:l4 + 14])
    if dport != a.sport or dst != client:
        continue
    if src == vip and sport == 80 and flags & 0x12 == 0x12 and ack == SEQ + 1:
        print("SYN-ACK %s:%d -> %s:%d" % (src, sport, dst, dport))
        sys.exit(0)
    seen.append("%s:%d flags 0x%02x ack %d" % (src, sport, flags, ack))
print("no SYN-ACK from %s:80 within %.1fs%s" % (vip, a.timeout,
      "; saw: " + ", ".join(seen) if seen else ""))
sys.exit(1)
EOF

# Each probe its own client port (not in a subshell, so the count goes on):
# a SYN-ACK retransmitted for an earlier probe must not answer a later one.
SPORT=20000
PROBE_OUT=$LABTMP/probe.out
# probe KIND FAMILY VIP TIMEOUT [extra args]: 0 if the VIP answered with a
# SYN-ACK; what the script saw is in $PROBE_OUT.
probe() {
	local kind=$1 fam=$2 vip=$3 timeout=$4
	shift 4
	local lb=$LB4 real=$RS4 client=$CLIENT4
	if [ "$fam" = 6 ]; then lb=$LB6 real=$RS6 client=$CLIENT6; fi
	SPORT=$((SPORT + 1))
	lab_exec lb python3 "$LABTMP/probe.py" --dev eth0 --dst-mac "$RS_MAC" --kind "$kind" \
		--lb "$lb" --real "$real" --client "$client" --vip "$vip" --sport "$SPORT" \
		--timeout "$timeout" "$@" >"$PROBE_OUT" 2>&1
}

# KIND FAMILY VIP [up and probe options]
CASES=(
	"tun 4 10.203.2.1"
	"tun 6 fd00:203:2::1"
	"gue 4 10.203.2.2"
	"gue 6 fd00:203:2::2"
	"dscp 4 10.203.2.3 10"
	"dscp 6 fd00:203:2::3 12"
)

# ---------------------------------------------------------------- without xlb-rs: nothing

for c in "${CASES[@]}"; do
	read -r kind fam vip dscp <<<"$c"
	lab_exec rs ip addr add "$vip/$([ "$fam" = 4 ] && echo 32 || echo 128)" dev lo
done
for c in "${CASES[@]}"; do
	read -r kind fam vip dscp <<<"$c"
	if probe "$kind" "$fam" "$vip" 1 --dscp "${dscp:-0}"; then
		lab_fail "$kind v$fam: a SYN-ACK came back without xlb-rs (the kernel decapsulates?): $(cat "$PROBE_OUT")"
	fi
done
for c in "${CASES[@]}"; do
	read -r kind fam vip dscp <<<"$c"
	lab_exec rs ip addr del "$vip/$([ "$fam" = 4 ] && echo 32 || echo 128)" dev lo
done
lab_pass "without xlb-rs no frame of the 6 cases is answered, even with the VIPs on lo"

# ---------------------------------------------------------------- with xlb-rs

for c in "${CASES[@]}"; do
	read -r kind fam vip dscp <<<"$c"
	args=(--vip "$vip" --method "$kind" --dev eth0)
	[ "$kind" = dscp ] && args+=(--dscp "$dscp")
	lab_exec rs "$XLB_RS" up "${args[@]}" >/dev/null || lab_fail "xlb-rs up ${args[*]} failed"
done
summary=""
for c in "${CASES[@]}"; do
	read -r kind fam vip dscp <<<"$c"
	probe "$kind" "$fam" "$vip" 5 --dscp "${dscp:-0}" || lab_fail "$kind v$fam to $vip: $(cat "$PROBE_OUT")"
	summary+="$kind/v$fam "
done
lab_pass "SYN-ACK from the VIP for ${summary% }"

# A second SYN each, then the counters: exactly what was sent, per VIP and per cause.
for c in "${CASES[@]}"; do
	read -r kind fam vip dscp <<<"$c"
	probe "$kind" "$fam" "$vip" 5 --dscp "${dscp:-0}" || lab_fail "$kind v$fam again: $(cat "$PROBE_OUT")"
done
js=$LABTMP/status.json
lab_exec rs "$XLB_RS" status --json >"$js" || lab_fail "status --json failed"
jq -e '[.vips[] | .packets == 2] | all' "$js" >/dev/null ||
	lab_fail "per-VIP packets are not 2 each: $(jq -c '[.vips[] | {vip, packets}]' "$js")"
for k in decap_tun decap_gue dscp_restored; do
	n=$(jq ".devices[0].counters.$k" "$js")
	[ "$n" = 4 ] || lab_fail "counter $k is $n, expected 4 (2 SYNs x 2 families)"
done
jq -e '.devices[0].counters.error == 0 and .devices[0].counters.pass_malformed == 0' "$js" >/dev/null ||
	lab_fail "errors or malformed packets counted: $(jq -c '.devices[0].counters' "$js")"
lab_pass "counters: 2 packets per VIP; decap_tun, decap_gue, dscp_restored 4 each; no errors ($(jq -c '.devices[0].counters' "$js"))"

# gue on a port xlb-rs was not told about stays untouched
probe gue 4 10.203.2.2 1 --gue-port 6081 &&
	lab_fail "gue to port 6081 was answered: $(cat "$PROBE_OUT")"
lab_pass "gue to another port: not decapsulated"

# ---------------------------------------------------------------- after down: nothing again

lab_exec rs "$XLB_RS" down --all >/dev/null || lab_fail "xlb-rs down --all failed"
for c in "${CASES[@]}"; do
	read -r kind fam vip dscp <<<"$c"
	if probe "$kind" "$fam" "$vip" 1 --dscp "${dscp:-0}"; then
		lab_fail "$kind v$fam: still answered after down: $(cat "$PROBE_OUT")"
	fi
done
if tc -n "$(lab_ns rs)" qdisc show dev eth0 | grep -q clsact; then
	lab_fail "clsact left on rs eth0 after down"
fi
lab_pass "after down no case is answered and the clsact qdisc is gone"
