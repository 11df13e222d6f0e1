#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A flow table under pressure (issue 11, item 5): 1,000 established keep-alive
# connections sit idle in a small flow table (flows.max 4096, syn_max 1024, dr,
# rr) while the client floods the VIP with SYNs from many sources at the
# live-frames generator's rate (`pps_gen flood`, bench/pps_gen.c driving
# bench/bpf/pps.bpf.c's pps_gen). The SYNs churn "syn_flows" (syn_evicted > 0)
# and leave "flows" alone: >= 99.9% of the connections complete their next
# request on the real that answered their first.
#
# FLOOD=ack floods mid-stream ACKs instead (pickups go to "flows"): expect
# this test to fail then, which shows that its assertion can.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq python3 make
lab_init fp
lab_up 3

NCONN=1000
MIN_SAME=999
FLOOD_S=${FLOOD_S:-3}
FLOOD=${FLOOD:-syn}
PPS_GEN=$LAB_BUILD/bench/pps_gen

t_start=$SECONDS
# make keeps it current (a no-op when it is); the bench's generator is not in `make all`.
make -s -C "$LAB_ROOT" BUILD="$LAB_BUILD" "$PPS_GEN" >"$LABTMP/make.log" 2>&1 ||
	lab_fail "cannot build $PPS_GEN: $(tail -5 "$LABTMP/make.log" | tr '\n' ' ')"

cfg=$LABTMP/xlb.yaml
cat >"$cfg" <<EOF
# test_flow_pressure.sh, lab run $LAB_P
interfaces:
  - name: eth0
    mode: native
control_socket: $LABTMP/xlb.sock
bpf_pin_dir: $LAB_BPFFS/xlb
flows:
  max: 4096
  syn_max: 1024
services:
  - name: web4
    vip: $LAB_VIP4
    port: 80
    protocol: tcp
    method: dr
    scheduler: rr
    reals:
$(for i in "${LAB_REALS[@]}"; do echo "      - address: $(lab_real_ip4 "$i")"; done)
EOF
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3

ftab() { lab_ctl --json stats | jq -c .flow_table; }
ftab_field() { lab_ctl --json stats | jq -r ".flow_table.$1"; }
ftab_at_least() { [ "$(ftab_field "$1")" -ge "$2" ]; }
ftab_field syn_evicted | grep -qE '^[0-9]+$' ||
	lab_fail "'xlbctl --json stats' has no flow_table.syn_evicted: $(lab_ctl --json stats 2>&1 | head -c 300)"
# The numbers are as of the last sweep (once a second): wait for the first.
lab_wait_for 5 ftab_at_least flows_max 1 || lab_fail "no sweep filled in the flow table numbers: $(ftab)"
[ "$(ftab_field flows_max)" = 4096 ] && [ "$(ftab_field syn_max)" = 1024 ] ||
	lab_fail "flow table sizes are not flows.max 4096 / syn_max 1024: $(ftab)"

# NCONN keep-alive connections, one request each (the body names the real);
# idle until the fifo is written to, then a second request on every one.
# Prints "open N" after the first round, then one JSON line.
mkfifo "$LABTMP/go"
cat >"$LABTMP/holder.py" <<'PY'
import json, selectors, socket, sys, time

vip, n, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
REQ = b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n"

def body_of(buf):
    """(real's name, rest) once buf holds a whole response, else None."""
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    if len(rest) < length:
        return None
    if not head.startswith(b"HTTP/1.1 200"):
        return ("status " + head.split(b"\r\n")[0].decode(errors="replace"), b"")
    return (rest[:length].decode().strip(), rest[length:])

socks, first = [], []
for i in range(n):
    s = socket.create_connection((vip, 80), timeout=5)
    s.sendall(REQ)
    buf = b""
    while (r := body_of(buf)) is None:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection %d closed during the first request" % i)
        buf += chunk
    socks.append(s)
    first.append(r[0])
per = {name: first.count(name) for name in sorted(set(first))}
print("open", len(socks), " ".join("%s=%d" % kv for kv in per.items()), flush=True)
open(go).read()

res = {"completed": 0, "same": 0, "moved": 0, "reset": 0, "closed": 0, "error": 0,
       "timeout": 0, "errors": []}
sel = selectors.DefaultSelector()
bufs = {}
for i, s in enumerate(socks):
    try:
        s.setblocking(False)
        s.send(REQ)
        bufs[i] = b""
        sel.register(s, selectors.EVENT_READ, i)
    except OSError as e:
        res["reset" if isinstance(e, ConnectionResetError) else "error"] += 1
        res["errors"].append("%d send: %s" % (i, e))
deadline = time.monotonic() + 10
while bufs and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=0.5):
        i = key.data
        try:
            chunk = key.fileobj.recv(4096)
        except ConnectionResetError:
            res["reset"] += 1
            chunk = None
        except OSError as e:
            res["error"] += 1
            res["errors"].append("%d: %s" % (i, e))
            chunk = None
        if chunk == b"":
            res["closed"] += 1
            chunk = None
        if chunk is None:
            sel.unregister(key.fileobj)
            del bufs[i]
            continue
        bufs[i] += chunk
        r = body_of(bufs[i])
        if r is None:
            continue
        sel.unregister(key.fileobj)
        del bufs[i]
        res["completed"] += 1
        if r[0] == first[i]:
            res["same"] += 1
        else:
            res["moved"] += 1
            res["errors"].append("%d: first %s, then %s" % (i, first[i], r[0]))
res["timeout"] = len(bufs)
res["errors"] = res["errors"][:5]
print(json.dumps(res), flush=True)
PY
lab_bg client "$LABTMP/holder.out" python3 "$LABTMP/holder.py" "$LAB_VIP4" "$NCONN" "$LABTMP/go"
holder=$LAB_BG_LAST
_holder_open() { grep -q '^open ' "$LABTMP/holder.out" || ! lab_pid_alive "$holder"; }
lab_wait_for 30 _holder_open
grep -q "^open $NCONN " "$LABTMP/holder.out" ||
	lab_fail "the client could not open $NCONN keep-alive connections: $(tail -c 400 "$LABTMP/holder.out")"
spread=$(sed -n 's/^open [0-9]* //p' "$LABTMP/holder.out")
# The sweeper counts once a second: wait until it has seen the connections.
lab_wait_for 5 ftab_at_least flows "$NCONN" ||
	lab_fail "the flow table does not show $NCONN flows: $(ftab)"
before=$(ftab)
lab_pass "$NCONN keep-alive connections established, one request each ($spread); flow table: $before"

# The flood leaves the client's eth0 with XDP_TX, which reaches the veth peer
# only if that has an XDP program (as for the LB, lib.sh).
ip -n "$(lab_ns br)" link set dev v-client xdp obj "$LAB_XDP_PASS" sec xdp
lb_mac=$(lab_exec lb cat /sys/class/net/eth0/address)
syn_ev0=$(jq -r .syn_evicted <<<"$before")
flows_ev0=$(jq -r .flows_evicted <<<"$before")
lab_exec client "$PPS_GEN" flood eth0 "$lb_mac" "$LAB_VIP4" 80 "$FLOOD_S" "$FLOOD" \
	>"$LABTMP/flood.out" 2>&1 || lab_fail "pps_gen flood failed: $(cat "$LABTMP/flood.out")"
flood=$(cat "$LABTMP/flood.out")
lab_log "flood: $flood"
sent=$(awk '{ print $2 }' <<<"$flood")

# Eviction numbers are as of the last sweep (once a second): wait until a
# sweep after the flood has counted it and the next one agrees.
settled=-1
_ev_settled() {
	local t v
	t=$(ftab) || return 1
	v="$(jq -r '.syn_evicted + .flows_evicted' <<<"$t")"
	[ "$v" = "$settled" ] && [ "$v" -gt $((syn_ev0 + flows_ev0)) ] && return 0
	settled=$v
	sleep 1 # one sweep period between the two readings
	return 1
}
lab_wait_for 8 _ev_settled || lab_log "eviction counts still moving 8 s after the flood"
after=$(ftab)
syn_ev=$(($(jq -r .syn_evicted <<<"$after") - syn_ev0))
flows_ev=$(($(jq -r .flows_evicted <<<"$after") - flows_ev0))
counters=$(lab_ctl --json stats | jq -c '.counters | with_entries(select(.key | test("syn|flow_insert|midstream")))' 2>/dev/null || echo '?')

echo go >"$LABTMP/go"
lab_wait_for 20 _lab_pid_dead "$holder" || lab_fail "the client did not finish its second round"
wait "$holder" 2>/dev/null || true
res=$(tail -n 1 "$LABTMP/holder.out")
jq -e . >/dev/null 2>&1 <<<"$res" || lab_fail "the client printed no result: $(tail -c 400 "$LABTMP/holder.out")"
same=$(jq -r .same <<<"$res")
completed=$(jq -r .completed <<<"$res")

lab_log "after the flood: flow table $after; counters $counters"
lab_log "second round: $res"
failed=0
if [ "$syn_ev" -gt 0 ]; then
	lab_pass "flood ($flood): syn_flows (syn_max 1024) evicted $syn_ev, flows evicted $flows_ev; flow table after: $after"
else
	echo "FAIL: the flood ($sent $FLOOD frames) evicted nothing from syn_flows (syn_max 1024): before $before, after $after"
	failed=1
fi
if [ "$same" -ge "$MIN_SAME" ]; then
	lab_pass "after the flood $completed of $NCONN keep-alive connections completed their second request, $same on the same real (>= $MIN_SAME)"
else
	echo "FAIL: after the flood only $same of $NCONN connections completed their next request on the same real (need >= $MIN_SAME): $res"
	failed=1
fi
[ "$failed" = 0 ] || exit 1
lab_log "done in $((SECONDS - t_start)) s"
