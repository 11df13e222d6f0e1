#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Connection accounting: 50 idle keep-alive connections are ActiveConn, spread by
# rr; closed they become InActConn, and the sweeper expires them after tcp_fin.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_init conns
lab_up 3

FIN_S=3
cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family=4 sched=rr timeouts="tcp_fin: ${FIN_S}s, tcp_syn: ${FIN_S}s"
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3

conns() { lab_ctl_json | jq -r "[.services[0].reals[].$1] | map(tostring) | join(\" \")"; }
total() { lab_ctl_json | jq "[.services[0].reals[].$1] | add"; }
total_is() { [ "$(total "$1")" = "$2" ]; }
# The running config (after a SIGHUP): scheduler and the weights, in order.
config_is() { [ "$(lab_ctl_json | jq -r '.services[0] | [.scheduler] + [.reals[].weight | tostring] | join(" ")')" = "$1" ]; }

# 50 keep-alive connections, each with one answered request, then idle until
# the control fifo is written to; then all are closed by the client.
mkfifo "$LABTMP/go"
lab_exec client python3 - "$LAB_VIP4" "$LABTMP/go" >"$LABTMP/holder.out" 2>&1 <<'PY' &
import socket, sys
vip, go = sys.argv[1], sys.argv[2]
socks = []
for i in range(50):
    s = socket.create_connection((vip, 80), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    socks.append(s)
print("open", len(socks), flush=True)
open(go).read()
for s in socks:
    s.close()
print("closed", flush=True)
PY
holder=$!

lab_wait_for 10 total_is active_conns 50 ||
	lab_fail "ActiveConn never reached 50: active $(conns active_conns), inactive $(conns inactive_conns); holder: $(cat "$LABTMP/holder.out")"
per=$(conns active_conns)
for n in $per; do
	[ "$n" -ge 16 ] && [ "$n" -le 17 ] || lab_fail "rr should spread 50 connections 17/17/16, got ActiveConn $per"
done
[ "$(total inactive_conns)" = 0 ] || lab_fail "InActConn should be 0 while 50 are established: $(conns inactive_conns)"
lab_ctl list
lab_pass "50 idle keep-alive connections: ActiveConn $per, InActConn 0"

echo go >"$LABTMP/go"
wait "$holder" || true
lab_wait_for 10 total_is inactive_conns 50 ||
	lab_fail "after close InActConn never reached 50: active $(conns active_conns), inactive $(conns inactive_conns)"
[ "$(total active_conns)" = 0 ] || lab_fail "after close ActiveConn should be 0: $(conns active_conns)"
lab_pass "closed by the client: ActiveConn 0, InActConn $(conns inactive_conns)"

start=$(_lab_now_us)
lab_wait_for $((FIN_S + 5)) total_is inactive_conns 0 ||
	lab_fail "InActConn did not drop to 0 within tcp_fin ${FIN_S}s + 5s: $(conns inactive_conns)"
took=$((($(_lab_now_us) - start) / 1000))
lab_pass "InActConn reached 0 ${took} ms after the close was counted (tcp_fin ${FIN_S}s, sweep every 1s)"

# wlc over weights 3,2,1: 50 idle connections spread by (active*256 + inactive) / weight.
lab_write_config "$cfg" family=4 sched=wlc weights=3,2,1 timeouts="tcp_fin: ${FIN_S}s, tcp_syn: ${FIN_S}s"
lab_reload_xlbd
lab_wait_for 5 config_is "wlc 3 2 1" || lab_fail "the reload to wlc 3,2,1 did not take"
rm -f "$LABTMP/go"
mkfifo "$LABTMP/go"
lab_exec client python3 - "$LAB_VIP4" "$LABTMP/go" >"$LABTMP/holder.out" 2>&1 <<'PY' &
import socket, sys
vip, go = sys.argv[1], sys.argv[2]
socks = []
for i in range(50):
    s = socket.create_connection((vip, 80), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: lab\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    socks.append(s)
open(go).read()
for s in socks:
    s.close()
PY
holder=$!
lab_wait_for 10 total_is active_conns 50 ||
	lab_fail "wlc: ActiveConn never reached 50: $(conns active_conns)"
read -r a b c <<<"$(conns active_conns)"
lab_within "$a" 25 2 && lab_within "$b" 17 2 && lab_within "$c" 8 2 ||
	lab_fail "wlc 3,2,1 should spread 50 connections about 25/17/8, got $a/$b/$c"
lab_pass "wlc 3,2,1: 50 connections spread $a/$b/$c"

# Drain r1 (weight 0): its connections stay, new ones go elsewhere.
lab_write_config "$cfg" family=4 sched=wlc weights=0,2,1 timeouts="tcp_fin: ${FIN_S}s, tcp_syn: ${FIN_S}s"
lab_reload_xlbd
lab_wait_for 5 config_is "wlc 0 2 1" || lab_fail "the reload to weights 0,2,1 did not take"
out=$LABTMP/drain.out
lab_http_many 30 "$(lab_vip_url 4 /)" >"$out"
[ "$(lab_count_of "$out" r1)" = 0 ] || lab_fail "drained r1 still got $(lab_count_of "$out" r1) of 30 new connections"
[ "$(conns active_conns | cut -d' ' -f1)" = "$a" ] ||
	lab_fail "drained r1's established connections changed: $a -> $(conns active_conns | cut -d' ' -f1)"
lab_pass "drain: r1 (weight 0) got none of 30 new connections and kept its $a established ones"
echo go >"$LABTMP/go"
wait "$holder" || true

# The same at runtime: xlbctl drains r2, then gives it its config weight back.
lab_ctl real drain web4 "$(lab_real_ip4 2)" >/dev/null || lab_fail "xlbctl real drain failed"
lab_wait_for 5 config_is "wlc 0 0 1" || lab_fail "xlbctl real drain did not take: $(lab_ctl list)"
out=$LABTMP/drain2.out
lab_http_many 20 "$(lab_vip_url 4 /)" >"$out"
[ "$(lab_count_of "$out" r3)" = 20 ] || lab_fail "with r1 and r2 drained, r3 should get all 20: $(lab_tally "$out" | tr '\n' ' ')"
lab_ctl real enable web4 "$(lab_real_ip4 2)" >/dev/null || lab_fail "xlbctl real enable failed"
lab_wait_for 5 config_is "wlc 0 2 1" || lab_fail "xlbctl real enable did not restore weight 2"
lab_ctl real weight web4 "$(lab_real_ip4 3):80" 7 >/dev/null || lab_fail "xlbctl real weight failed"
lab_wait_for 5 config_is "wlc 0 2 7" || lab_fail "xlbctl real weight 7 did not take"
lab_ctl real weight web4 10.200.0.99 1 >/dev/null 2>&1 && lab_fail "xlbctl accepted a real that does not exist"
# A runtime weight outlives a reload (the real is still in the config) until enabled.
lab_write_config "$cfg" family=4 sched=wlc weights=1,1,1 timeouts="tcp_fin: ${FIN_S}s, tcp_syn: ${FIN_S}s"
lab_reload_xlbd
lab_wait_for 5 config_is "wlc 1 1 7" || lab_fail "after a reload the runtime weight 7 should stay: $(lab_ctl list)"
lab_ctl real enable web4 "$(lab_real_ip4 3)" >/dev/null
lab_wait_for 5 config_is "wlc 1 1 1" || lab_fail "enable after reload did not return to the config's weight"
lab_pass "xlbctl real drain/enable/weight: drained r2 got none of 20, enable restored 2, weight 7 set and kept over a reload"

# Drain during a download: the real serving it gets no new connections, and
# the download completes intact.
lab_write_config "$cfg" family=4 sched=rr
lab_reload_xlbd
lab_wait_for 5 config_is "rr 1 1 1" || lab_fail "the reload to rr did not take"
big=$LABTMP/big.dl
lab_bg client "$LABTMP/big.curl" curl -s --limit-rate 16M --max-time 40 -o "$big" \
	-w '%{http_code} %{size_download}\n' "$(lab_vip_url 4 /big)"
dl_pid=$LAB_BG_LAST
# The downloading real is the one with an active connection.
dl_real() { lab_ctl_json | jq -r '[.services[0].reals[] | select(.active_conns == 1)] | if length == 1 then .[0].address else empty end'; }
# One reading decides: counts can be off by one for a moment while a sweep
# pass races a state change (corrected by the next pass).
victim=
dl_found() { victim=$(dl_real); [ -n "$victim" ]; }
lab_wait_for 10 dl_found || lab_fail "no real shows the download as its one active connection: $(conns active_conns)"
vname=r$(( ${victim##*.} - 100 ))
lab_ctl real drain web4 "$victim" >/dev/null || lab_fail "xlbctl real drain $victim failed"
out=$LABTMP/drain3.out
lab_http_many 30 "$(lab_vip_url 4 /)" >"$out"
[ "$(lab_count_of "$out" "$vname")" = 0 ] ||
	lab_fail "drained $vname (serving the download) still got $(lab_count_of "$out" "$vname") of 30 new connections"
wait "$dl_pid" || true
read -r code size <"$LABTMP/big.curl" || true
sum=$(sha256sum "$big" | cut -d' ' -f1)
[ "$code" = 200 ] && [ "$size" = "$LAB_BIG_SIZE" ] && [ "$sum" = "$LAB_BIG_SHA256" ] ||
	lab_fail "the download from drained $vname: HTTP ${code:-?}, ${size:-?} of $LAB_BIG_SIZE bytes, sha256 ok: $([ "$sum" = "$LAB_BIG_SHA256" ] && echo yes || echo no)"
lab_ctl real enable web4 "$victim" >/dev/null
lab_pass "drain during a download: $vname got none of 30 new connections; its 64 MiB download completed, sha256 ok"

# Persistence: with rr the client's 20 connections would visit every real;
# with persistence: 30s they all stay on the first one it got.
lab_write_config "$cfg" family=4 sched=rr persistence=30s
lab_reload_xlbd
lab_wait_for 5 config_is "rr 1 1 1" || lab_fail "the reload to rr with persistence did not take"
out=$LABTMP/persist.out
lab_http_many 20 "$(lab_vip_url 4 /)" >"$out"
servers=$(lab_tally "$out" | tr '\n' ' ')
[ "$(lab_tally "$out" | wc -l)" = 1 ] && [ "$(awk '$1 == 200' "$out" | wc -l)" = 20 ] ||
	lab_fail "persistence: 20 connections from one client were served by: $servers"
lab_pass "persistence 30s: 20 connections from one client, all to one real ($servers), persist_hit=$(lab_ctl_json | jq .counters.persist_hit)"

# mh: one client address hashes to one real (ports not hashed by default),
# and a restart of xlbd, which rebuilds the Maglev table, keeps that choice.
lab_write_config "$cfg" family=46 sched=mh
lab_reload_xlbd
lab_wait_for 5 config_is "mh 1 1 1" || lab_fail "the reload to mh did not take"
lab_wait_reals_up web6 3
out=$LABTMP/mh.out
lab_http_many 20 "$(lab_vip_url 4 /)" >"$out"
first=$(lab_tally "$out" | tr '\n' ' ')
[ "$(lab_tally "$out" | wc -l)" = 1 ] || lab_fail "mh: 20 connections from one client went to: $first"
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3
lab_http_many 20 "$(lab_vip_url 4 /)" >"$out"
again=$(lab_tally "$out" | tr '\n' ' ')
[ "${again%% *}" = "${first%% *}" ] || lab_fail "mh: after a restart the client went to $again, before to $first"
lab_http_many 20 "$(lab_vip_url 6 /)" >"$out"
[ "$(lab_tally "$out" | wc -l)" = 1 ] || lab_fail "mh IPv6: 20 connections from one client went to: $(lab_tally "$out" | tr '\n' ' ')"
lab_pass "mh: one client, 20 connections, one real ($first); the same after a restart; IPv6 likewise"
