#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# method proxy: xlbd's userspace proxy in front of 3 nginx reals. rr spread,
# PROXY protocol v2, retry on a real that refuses, max_connections, mode
# http (keep-alive, per-request balancing, X-Forwarded-For), wrk with a
# SIGHUP reload in the middle.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds wrk jq python3
lab_init proxy
lab_up 3
for i in "${LAB_REALS[@]}"; do
	lab_nginx_proxy_ports "$i"
	# The lab's reals are dr reals with the VIPs on lo. The LB's IPv6 source
	# toward them is then the VIP (a /128 matches them longer than the /64),
	# and their answers would stay on their own lo. Proxy reals need no VIP.
	lab_exec "r$i" ip addr del "$LAB_VIP6/128" dev lo
done

VIP=$LAB_VIP4
# svc NAME PORT REAL_PORT [EXTRA YAML LINES...]
svc() {
	local name=$1 port=$2 rport=$3 i
	shift 3
	printf '  - name: %s\n    vip: %s\n    port: %s\n    method: proxy\n    scheduler: rr\n' \
		"$name" "$VIP" "$port"
	local line
	for line in "$@"; do printf '    %s\n' "$line"; done
	echo "    reals:"
	for i in "${LAB_REALS[@]}"; do
		printf '      - {address: %s, port: %s}\n' "$(lab_real_ip4 "$i")" "$rport"
	done
}

# switch_svc METHOD: VIP:8082 forwarded with dr at first, by the proxy after the reload.
switch_svc() {
	local i
	printf '  - name: switch\n    vip: %s\n    port: 8082\n    method: %s\n    reals:\n' "$VIP" "$1"
	for i in "${LAB_REALS[@]}"; do
		printf '      - {address: %s}\n' "$(lab_real_ip4 "$i")"
	done
}

# pp6_svc: IPv6, PROXY protocol v1, to the reals' :8081.
pp6_svc() {
	local i
	printf '  - name: pp6\n    vip: "%s"\n    port: 81\n    method: proxy\n    proxy_protocol: v1\n    reals:\n' "$LAB_VIP6"
	for i in "${LAB_REALS[@]}"; do
		printf '      - {address: "%s", port: 8081}\n' "$(lab_real_ip6 "$i")"
	done
}

# write_config FILE [with_limit]: the limit service (port 82) only with "with_limit".
write_config() {
	{
		echo "interfaces: [{name: eth0}]"
		echo "control_socket: $LABTMP/xlb.sock"
		echo "bpf_pin_dir: $LAB_BPFFS/xlb"
		echo "services:"
		# No passive health here: the retry check below counts every connect to a stopped real.
		svc web 80 80 "connect_timeout: 1s" "retries: 2" "passive_health: {failures: 0}"
		svc pp 81 8081 "proxy_protocol: v2"
		[ "${2:-}" != with_limit ] || svc limited 82 80 "max_connections: 5"
		svc web_http 83 8082 "mode: http"
		[ "${2:-}" = with_limit ] || svc added 84 80
		svc checked 85 80 "health: {check: tcp, interval: 100ms, timeout: 100ms, rise: 1, fall: 1}"
		if [ "${2:-}" = with_limit ]; then switch_svc dr; else switch_svc proxy; fi
		pp6_svc
	} >"$1"
}

pstat() { lab_ctl_json | jq -r --arg s "$1" ".services[] | select(.name == \$s) | .proxy.$2"; }
rstat() {
	lab_ctl_json | jq -r --arg s "$1" --arg a "$2" \
		".services[] | select(.name == \$s) | .reals[] | select(.address == \$a) | .proxy.$3"
}

cfg=$LABTMP/xlb.yaml
write_config "$cfg" with_limit
"$XLBD" -t -c "$cfg" >/dev/null || lab_fail "config does not check: $("$XLBD" -t -c "$cfg" 2>&1)"
lab_start_xlbd "$cfg"
lab_wait_reals_up web 3
lab_wait_reals_up switch 3

# Who the reals' :8082 saw since clear_8082: the client itself (dr) or the LB (proxy).
clear_8082() { local i; for i in "${LAB_REALS[@]}"; do : >"$LABTMP/r$i/xff.log"; done; }
last_8082_peer() { cat "$LABTMP"/r*/xff.log | cut -d' ' -f1 | sort -u | tr '\n' ' ' | sed 's/ $//'; }
clear_8082
lab_exec client curl -sf --max-time 3 -o /dev/null "http://$VIP:8082/" || lab_fail "switch: dr service on 8082 does not answer"
[ "$(last_8082_peer)" = "$LAB_CLIENT4" ] || lab_fail "switch: with dr the real saw $(last_8082_peer), not the client"

# ---- rr over 300 new connections: 100 each, all 200
out=$LABTMP/spread.out
lab_http_many 300 "http://$VIP/" >"$out"
ok=$(awk '$1 == 200' "$out" | wc -l)
[ "$ok" -eq 300 ] || lab_fail "web: $ok of 300 requests got 200: $(awk '$1 != 200' "$out" | sort | uniq -c | head -3 | tr '\n' ';')"
for r in r1 r2 r3; do
	n=$(lab_count_of "$out" "$r")
	[ "$n" -eq 100 ] || lab_fail "web: $r served $n of 300, expected 100 (all: $(lab_tally "$out" | tr '\n' ' '))"
done
total=$(pstat web total_connections)
[ "$total" -eq 300 ] || lab_fail "web: xlbctl counts $total connections, the client made 300"
lab_pass "rr: 300/300 requests 200, r1=r2=r3=100; xlbctl: total_connections=$total bytes_in=$(pstat web bytes_in) bytes_out=$(pstat web bytes_out)"
# The ipvsadm-style view: Forward "Proxy", NewFlows = connections per real.
view=$(lab_ctl list | awk '/\(web\)/ { on = 1; next } /^[A-Z]/ { on = 0 } on')
lab_log "xlbctl list (web):"$'\n'"$view"
[ "$(awk '$3 == "Proxy" && $10 == 100' <<<"$view" | wc -l)" -eq 3 ] ||
	lab_fail "xlbctl list does not show 3 Proxy reals with 100 new connections each: $view"

# ---- PROXY protocol v2: the reals' nginx sees the client's own address
for i in 1 2 3; do
	lab_exec client curl -sf --max-time 3 "http://$VIP:81/" >/dev/null ||
		lab_fail "pp: request $i through port 81 failed"
done
for i in "${LAB_REALS[@]}"; do
	log=$LABTMP/r$i/pp.log
	lab_wait_for 3 grep -q "^$LAB_CLIENT4 $LAB_LB4 " "$log" ||
		lab_fail "pp: r$i's log has no line with PROXY address $LAB_CLIENT4 from $LAB_LB4: $(tail -2 "$log" 2>&1 | tr '\n' ';')"
done
for i in 1 2 3; do
	lab_exec client curl -sf -g --max-time 3 "http://[$LAB_VIP6]:81/" >/dev/null ||
		lab_fail "pp6: request $i through [$LAB_VIP6]:81 failed"
done
for i in "${LAB_REALS[@]}"; do
	lab_wait_for 3 grep -q "^$LAB_CLIENT6 " "$LABTMP/r$i/pp.log" ||
		lab_fail "pp6: r$i's log has no PROXY v1 line for $LAB_CLIENT6: $(tail -2 "$LABTMP/r$i/pp.log" | tr '\n' ';')"
done
lab_pass "PROXY v1 over IPv6: each real's nginx logged \$proxy_protocol_addr=$LAB_CLIENT6"
lab_pass "PROXY v2: each real's nginx logged \$proxy_protocol_addr=$LAB_CLIENT4 on a connection from the LB ($LAB_LB4)"

# ---- a real that refuses: retried on another within the same client connection
retries0=$(pstat web retries_done)
lab_stop_nginx 2
lab_http_many 30 "http://$VIP/" >"$out"
ok=$(awk '$1 == 200' "$out" | wc -l)
[ "$ok" -eq 30 ] || lab_fail "retry: $ok of 30 requests got 200 with r2 down"
[ "$(lab_count_of "$out" r2)" -eq 0 ] || lab_fail "retry: r2 answered while stopped?"
retries1=$(pstat web retries_done)
fails=$(rstat web "$(lab_real_ip4 2)" connect_failures)
[ "$retries1" -ge $((retries0 + 10)) ] ||
	lab_fail "retry: retries went from $retries0 to $retries1 over 30 requests (expected about 10 more)"
lab_pass "retry: r2 stopped, 30/30 requests 200 ($(lab_tally "$out" | tr '\n' ' ')); retries $retries0 -> $retries1, r2 connect_failures=$fails"

# ---- health checks: with r2 down in its check, it is not even tried
lab_wait_for 5 lab_real_state_is checked "$(lab_real_ip4 2)" down ||
	lab_fail "health: r2 is not down for service checked: $(lab_real_json checked "$(lab_real_ip4 2)")"
lab_http_many 30 "http://$VIP:85/" >"$out"
ok=$(awk '$1 == 200' "$out" | wc -l)
[ "$ok" -eq 30 ] || lab_fail "health: $ok of 30 requests got 200 with r2 down"
[ "$(pstat checked connect_failures)" = 0 ] ||
	lab_fail "health: $(pstat checked connect_failures) connects to a real that is down"
lab_pass "health: r2 down by its tcp check, 30/30 requests 200 ($(lab_tally "$out" | tr '\n' ' ')), no connect to r2 tried"
lab_start_nginx 2
lab_wait_for 5 _lab_nginx_serves 2 || lab_fail "nginx on r2 did not come back"

# ---- max_connections 5: 5 idle connections held, the 6th is refused and counted
holder=$LABTMP/holder.out
lab_bg client "$holder" python3 -c '
import socket, sys, time
held = [socket.create_connection((sys.argv[1], 82), timeout=3) for _ in range(5)]
print("holding", len(held), flush=True)
time.sleep(30)
' "$VIP"
HOLDER=$LAB_BG_LAST
active_is_5() { [ "$(pstat limited active_connections)" = 5 ]; }
lab_wait_for 5 active_is_5 || lab_fail "limit: xlbctl shows $(pstat limited active_connections) active connections, expected the 5 held ($(cat "$holder"))"
refused0=$(pstat limited refused)
code=$(lab_exec client curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$VIP:82/" || true)
[ "$code" = 000 ] || lab_fail "limit: a 6th connection got HTTP $code, expected a refusal"
refused1=$(pstat limited refused)
[ "$refused1" -eq $((refused0 + 1)) ] || lab_fail "limit: refused went from $refused0 to $refused1, expected +1"
grep -q "service limited: max_connections 5 reached" "$LAB_XLBD_LOG" ||
	lab_fail "limit: no max_connections warning in the xlbd log"
lab_kill_pid "$HOLDER" 3
wait "$HOLDER" 2>/dev/null || true
lab_wait_for 5 lab_exec client curl -sf --max-time 2 -o /dev/null "http://$VIP:82/" ||
	lab_fail "limit: port 82 does not serve again after the held connections closed"
lab_pass "max_connections 5: 5 held, the 6th refused (curl code $code), refused=$refused1, logged; serves again once they close"

# ---- mode http: one keep-alive connection, requests spread over the reals, X-Forwarded-For
urls=()
for i in $(seq 6); do urls+=("http://$VIP:83/"); done
# Each body ("rN") is followed by a line "|connections curl opened for it".
bodies=$(lab_exec client curl -s --max-time 5 "${urls[@]}" -w '|%{num_connects}\n')
conns=$(awk -F'|' '/^\|/ { s += $2 } END { print s + 0 }' <<<"$bodies")
served=$(grep -E '^r[0-9]+$' <<<"$bodies" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
[ "$conns" = 1 ] || lab_fail "http: curl opened $conns connections for 6 requests (expected 1, keep-alive): $bodies"
for r in r1 r2 r3; do
	[[ $served == *"$r=2 "* ]] || lab_fail "http: 6 requests on one connection served as: $served (expected r1=2 r2=2 r3=2)"
done
for i in "${LAB_REALS[@]}"; do
	grep -q "^$LAB_LB4 \"$LAB_CLIENT4\" " "$LABTMP/r$i/xff.log" ||
		lab_fail "http: r$i saw no X-Forwarded-For: $LAB_CLIENT4: $(tail -2 "$LABTMP/r$i/xff.log" | tr '\n' ';')"
done
lab_pass "mode http: 6 requests on 1 keep-alive connection served $served; every real logged X-Forwarded-For: $LAB_CLIENT4; requests=$(pstat web_http requests)"

# One request per connection ("Connection: close") in mode http: rr over requests too.
lab_http_many 30 "http://$VIP:83/" >"$out"
[ "$(awk '$1 == 200' "$out" | wc -l)" -eq 30 ] || lab_fail "http close: not all 30 requests got 200"
for r in r1 r2 r3; do
	[ "$(lab_count_of "$out" "$r")" -eq 10 ] ||
		lab_fail "http close: $r served $(lab_count_of "$out" "$r") of 30, expected 10 ($(lab_tally "$out" | tr '\n' ' '))"
done
lab_pass "mode http with Connection: close: 30/30 requests 200, r1=r2=r3=10"

# Chunked responses (nginx gzips /5k on request, without a length) on one connection.
gz=$(lab_exec client curl -s --max-time 5 --compressed -D - -o "$LABTMP/gz1" "http://$VIP:83/5k" \
	-o "$LABTMP/gz2" "http://$VIP:83/5k" -w '|%{num_connects}\n')
grep -qi '^Transfer-Encoding: chunked' <<<"$gz" || lab_fail "http chunked: the response was not chunked: $gz"
for f in gz1 gz2; do
	cmp -s "$LABTMP/$f" "$LABTMP/www/5k" || lab_fail "http chunked: $f differs from /5k ($(stat -c %s "$LABTMP/$f") bytes)"
done
[ "$(awk -F'|' '/^\|/ { s += $2 } END { print s + 0 }' <<<"$gz")" = 1 ] ||
	lab_fail "http chunked: two requests took more than one connection: $gz"
# Pipelined: three requests in one write; three responses in order, then the close.
piped=$(lab_exec client python3 -c '
import re, socket, sys
s = socket.create_connection((sys.argv[1], 83), timeout=5)
req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
s.sendall((req * 2 + req.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")).encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.count(b"HTTP/1.1 200"), b",".join(re.findall(rb"\r\n\r\n(r[0-9]+)\n", data)).decode())
' "$VIP")
[[ $piped =~ ^3\ r[0-9],r[0-9],r[0-9]$ ]] || lab_fail "http pipelining: $piped (expected 3 responses with bodies)"
lab_pass "mode http: chunked (gzip) responses relayed whole, 2 on 1 connection; 3 pipelined requests answered in order (responses, served by: $piped)"

# ---- 64 MiB through each mode: spliced (tcp) and relayed by Content-Length (http)
for port in 80 83; do
	big=$LABTMP/big.out
	lab_exec client curl -s --max-time 60 -o "$big" "http://$VIP:$port/big" ||
		lab_fail "/big through port $port failed"
	[ "$(sha256sum "$big" | cut -d' ' -f1)" = "$LAB_BIG_SHA256" ] ||
		lab_fail "/big through port $port: wrong sha256 ($(stat -c %s "$big") bytes)"
	rm -f "$big"
done
lab_pass "/big (64 MiB) through tcp and http mode: sha256 ok"

hout=$LABTMP/wrk_http.out
lab_exec client wrk -c 20 -t 2 -d 3s --timeout 2s "http://$VIP:83/5k" >"$hout" 2>&1 ||
	lab_fail "wrk on mode http failed: $(tr '\n' ' ' <"$hout")"
grep -qE 'Socket errors|Non-2xx' "$hout" && lab_fail "wrk on mode http: $(grep -E 'Socket errors|Non-2xx' "$hout" | tr '\n' ' ')"
lab_pass "wrk 3s on mode http (keep-alive, a real per request): $(awk '/requests in/ { print $1 }' "$hout") requests, $(awk '/^Requests\/sec:/ { print $2 }' "$hout") req/s, no errors"

# ---- wrk through the proxy, with a reload (one service removed, one added) in the middle
wout=$LABTMP/wrk.out
lab_wrk_bg "$wout" 5s "http://$VIP/5k"
# The reload must land while wrk's connections are open.
wrk_connected() { [ "$(pstat web active_connections)" -ge 10 ]; }
lab_wait_for 3 wrk_connected || lab_fail "wrk: no connections through the proxy"
write_config "$cfg"
lab_reload_xlbd
lab_wait_for 5 grep -q "reloaded:" "$LAB_XLBD_LOG" || lab_fail "reload: xlbd did not log 'reloaded:'"
summary=$(lab_wrk_wait "$wout")
grep -q 'Socket errors' "$wout" && lab_fail "wrk across the reload: $summary"
grep -q 'Non-2xx' "$wout" && lab_fail "wrk across the reload: $summary"
lab_pass "wrk 5s through the proxy with a SIGHUP while its connections were open: $summary; $(awk '/^Requests\/sec:/ { print $2 }' "$wout") req/s"
lab_exec client curl -sf --max-time 3 -o /dev/null "http://$VIP:84/" || lab_fail "reload: the added service (84) does not answer"
code=$(lab_exec client curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$VIP:82/" || true)
[ "$code" = 000 ] || lab_fail "reload: the removed service (82) still answers ($code)"
lab_pass "reload: service on 84 added and serving, 82 removed and refusing"
clear_8082
lab_exec client curl -sf --max-time 3 -o /dev/null "http://$VIP:8082/" || lab_fail "switch: 8082 does not answer as a proxy service"
[ "$(last_8082_peer)" = "$LAB_LB4" ] ||
	lab_fail "switch: after dr -> proxy the real saw $(last_8082_peer), not the LB: the XDP program still forwards it"
lab_pass "reload: service switch went dr -> proxy: the real saw the client first, the LB ($LAB_LB4) after; no BPF service left behind"

lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
