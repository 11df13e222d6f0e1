#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# method proxy, mode http: the pool of keep-alive connections to the reals.
# Each real's nginx logs $connection (its serial number of the TCP
# connection) and $connection_requests, so the test counts the connections
# a real really saw: far fewer than the requests with the pool, one per
# request without it. Also: a connection the real closed while idle is not
# reused, nor one whose response the client did not read whole; pipelined
# requests are answered in order; an HTTP/1.0 client is told we close.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds wrk jq python3
lab_init pool
lab_up 3

VIP=$LAB_VIP4
# :8090 keeps idle connections 60 s, :8091 only 1 s (it closes them under the pool).
pool_nginx() {
	local i=$1 dir=$LABTMP/r$1
	cat >"$dir/proxy.conf" <<PEOF
    log_format lab_pool '\$connection \$connection_requests "\$request" \$status \$body_bytes_sent';
    server {
        listen 0.0.0.0:8090;
        access_log $dir/pool.log lab_pool;
        keepalive_timeout 60s;
        location = / { default_type text/plain; return 200 "r$i\n"; }
        location = /5k { alias $LABTMP/www/5k; }
        location = /big { alias $LABTMP/www/big; }
    }
    server {
        listen 0.0.0.0:8091;
        access_log $dir/short.log lab_pool;
        keepalive_timeout 1s;
        location = / { default_type text/plain; return 200 "r$i\n"; }
    }
PEOF
	_lab_nginx_health_conf "$i"
	lab_exec "r$i" nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s reload ||
		lab_fail "nginx on r$i did not reload"
	lab_wait_for 5 lab_exec "r$i" curl -sf --max-time 1 -o /dev/null "http://$(lab_real_ip4 "$i"):8091/" ||
		lab_fail "nginx on r$i: no answer on :8091"
}
for i in "${LAB_REALS[@]}"; do pool_nginx "$i"; done

# svc NAME PORT REAL_PORT [EXTRA YAML LINES...]
svc() {
	local name=$1 port=$2 rport=$3 i line
	shift 3
	printf '  - name: %s\n    vip: %s\n    port: %s\n    method: proxy\n    mode: http\n    scheduler: rr\n' \
		"$name" "$VIP" "$port"
	for line in "$@"; do printf '    %s\n' "$line"; done
	echo "    reals:"
	for i in "${LAB_REALS[@]}"; do
		printf '      - {address: %s, port: %s}\n' "$(lab_real_ip4 "$i")" "$rport"
	done
}
cfg=$LABTMP/xlb.yaml
{
	echo "interfaces: [{name: eth0}]"
	echo "control_socket: $LABTMP/xlb.sock"
	echo "bpf_pin_dir: $LAB_BPFFS/xlb"
	echo "services:"
	svc pool 90 8090 "pool: {per_real: 8, idle_timeout: 10s}"
	svc short 91 8091 "pool: {per_real: 8, idle_timeout: 10s}"
	svc nopool 92 8090 "pool: {per_real: 0}"
} >"$cfg"
"$XLBD" -t -c "$cfg" >/dev/null || lab_fail "config does not check: $("$XLBD" -t -c "$cfg" 2>&1)"
lab_start_xlbd "$cfg"

pstat() { lab_ctl_json | jq -r --arg s "$1" ".services[] | select(.name == \$s) | .proxy.$2"; }
# conns_since I LOG LINE0: distinct connections in real I's LOG after its first LINE0 lines.
lines() { if [ -f "$LABTMP/r$1/$2" ]; then wc -l <"$LABTMP/r$1/$2"; else echo 0; fi; }
conns_since() { tail -n +"$(($3 + 1))" "$LABTMP/r$1/$2" | awk '{ print $1 }' | sort -u | wc -l; }
reqs_since() { tail -n +"$(($3 + 1))" "$LABTMP/r$1/$2" | wc -l; }
# log_settled I LOG N: nginx writes its log line after the response; wait for N lines.
log_has() { [ "$(lines "$1" "$2")" -ge "$3" ]; }

# ---- 60 requests on one client connection: each real sees one connection, 20 requests on it
urls=()
for _ in $(seq 60); do urls+=("http://$VIP:90/"); done
declare -A l0
for i in "${LAB_REALS[@]}"; do l0[$i]=$(lines "$i" pool.log); done
bodies=$(lab_exec client curl -s --max-time 10 "${urls[@]}")
for i in "${LAB_REALS[@]}"; do
	[ "$(grep -c "^r$i\$" <<<"$bodies")" -eq 20 ] ||
		lab_fail "pool: r$i answered $(grep -c "^r$i\$" <<<"$bodies") of 60, expected 20: $(sort <<<"$bodies" | uniq -c | tr '\n' ' ')"
	lab_wait_for 3 log_has "$i" pool.log $((l0[$i] + 20)) || lab_fail "pool: r$i logged $(reqs_since "$i" pool.log "${l0[$i]}") requests, expected 20"
	c=$(conns_since "$i" pool.log "${l0[$i]}")
	[ "$c" -eq 1 ] || lab_fail "pool: r$i saw $c connections for 20 requests from one client connection (expected 1)"
done
reused=$(pstat pool pool.reused)
[ "$reused" -eq 57 ] || lab_fail "pool: xlbctl counts $reused reused requests, expected 57 (60 - one new connection per real)"
lab_pass "pool: 60 requests on 1 client connection, 20 per real, each real saw 1 TCP connection; xlbctl reused=$reused idle=$(pstat pool pool.idle)"

# ---- the same without the pool: one connection per request (the count above means something)
for i in "${LAB_REALS[@]}"; do l0[$i]=$(lines "$i" pool.log); done
lab_exec client curl -s --max-time 10 "${urls[@]//:90/:92}" >/dev/null
for i in "${LAB_REALS[@]}"; do
	lab_wait_for 3 log_has "$i" pool.log $((l0[$i] + 20)) || lab_fail "nopool: r$i logged too few requests"
	c=$(conns_since "$i" pool.log "${l0[$i]}")
	[ "$c" -eq 20 ] || lab_fail "nopool: r$i saw $c connections for 20 requests (expected 20: no pool)"
done
lab_pass "pool: {per_real: 0}: the same 60 requests took 20 connections on each real"

# ---- wrk, 16 client connections, one request each... and many more per real connection
for i in "${LAB_REALS[@]}"; do l0[$i]=$(lines "$i" pool.log); done
wout=$LABTMP/wrk.out
lab_exec client wrk -c 16 -t 2 -d 3s --timeout 2s "http://$VIP:90/5k" >"$wout" 2>&1 ||
	lab_fail "wrk failed: $(tr '\n' ' ' <"$wout")"
grep -qE 'Socket errors|Non-2xx' "$wout" && lab_fail "wrk: $(grep -E 'Socket errors|Non-2xx' "$wout" | tr '\n' ' ')"
sleep 0.3
tot_r=0 tot_c=0
for i in "${LAB_REALS[@]}"; do
	tot_r=$((tot_r + $(reqs_since "$i" pool.log "${l0[$i]}")))
	tot_c=$((tot_c + $(conns_since "$i" pool.log "${l0[$i]}")))
done
[ "$tot_r" -ge 300 ] || lab_fail "wrk: the reals logged only $tot_r requests"
[ $((tot_c * 20)) -le "$tot_r" ] ||
	lab_fail "wrk: the reals saw $tot_c connections for $tot_r requests (expected at most 1 per 20)"
lab_pass "wrk -c 16 3s on /5k: $(awk '/^Requests\/sec:/ { print $2 }' "$wout") req/s, no errors; the reals saw $tot_c TCP connections for $tot_r requests"

# ---- Connection: close clients (a new client connection per request) still share the pool
for i in "${LAB_REALS[@]}"; do l0[$i]=$(lines "$i" pool.log); done
out=$LABTMP/close.out
lab_http_many 30 "http://$VIP:90/" >"$out"
[ "$(awk '$1 == 200' "$out" | wc -l)" -eq 30 ] || lab_fail "close: not all 30 requests got 200: $(awk '$1 != 200' "$out" | head -3)"
for i in "${LAB_REALS[@]}"; do
	[ "$(lab_count_of "$out" "r$i")" -eq 10 ] || lab_fail "close: r$i answered $(lab_count_of "$out" "r$i") of 30"
	lab_wait_for 3 log_has "$i" pool.log $((l0[$i] + 10)) || lab_fail "close: r$i logged too few requests"
	# One pool per worker thread: at most one new connection per worker, and wrk's are warm.
	c=$(conns_since "$i" pool.log "${l0[$i]}")
	[ "$c" -le 2 ] || lab_fail "close: r$i saw $c connections for 10 requests of 10 client connections"
done
lab_pass "30 clients with Connection: close: 10 per real, each real saw at most 2 connections (one pool per worker)"

# ---- a response the client did not read whole: that connection is never used again
for i in "${LAB_REALS[@]}"; do l0[$i]=$(lines "$i" pool.log); done
lab_exec client python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 90), timeout=5)
s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
got = 0
while got < 200000:
    b = s.recv(65536)
    if not b:
        break
    got += len(b)
s.close()
' "$VIP"
big_real="" big_conn=""
for i in "${LAB_REALS[@]}"; do
	lab_wait_for 5 log_has "$i" pool.log $((l0[$i] + 1)) || continue
	if line=$(tail -n +"$((l0[$i] + 1))" "$LABTMP/r$i/pool.log" | grep '"GET /big '); then
		big_real=$i big_conn=$(awk '{ print $1 }' <<<"$line")
		sent=$(awk '{ print $NF }' <<<"$line")
	fi
done
[ -n "$big_real" ] || lab_fail "cut: no real logged the /big request"
[ "${sent:-0}" -lt "$LAB_BIG_SIZE" ] || lab_fail "cut: r$big_real sent all of /big ($sent bytes): the test did not cut it"
n0=$(lines "$big_real" pool.log)
urls=()
for _ in $(seq 30); do urls+=("http://$VIP:90/"); done
bodies=$(lab_exec client curl -s --max-time 10 "${urls[@]}")
bad=$(grep -cvE '^r[0-9]+$' <<<"$bodies" || true)
[ "$bad" -eq 0 ] || lab_fail "cut: $bad of 30 bodies after the cut are not a real's name: $(grep -vE '^r[0-9]+$' <<<"$bodies" | head -c 200)"
lab_wait_for 3 log_has "$big_real" pool.log $((n0 + 10)) || lab_fail "cut: r$big_real logged too few requests"
if tail -n +"$((n0 + 1))" "$LABTMP/r$big_real/pool.log" | awk -v c="$big_conn" '$1 == c { f = 1 } END { exit !f }'; then
	lab_fail "cut: r$big_real served a later request on connection $big_conn, whose /big response was cut ($sent bytes)"
fi
lab_pass "a /big response cut by the client after ${sent} bytes: its connection $big_conn on r$big_real never served again; the next 30 responses whole"

# ---- pipelined: three requests in one write, three responses in order
piped=$(lab_exec client python3 -c '
import re, socket, sys
s = socket.create_connection((sys.argv[1], 90), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /5k HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
out = []
while data:
    head, _, rest = data.partition(b"\r\n\r\n")
    n = int(re.search(rb"(?i)content-length: *([0-9]+)", head).group(1))
    out.append("%s:%d" % (head.split(b" ")[1].decode(), n))
    data = rest[n:]
print(" ".join(out))
' "$VIP")
[[ $piped =~ ^200:3\ 200:5120\ 200:3$ ]] || lab_fail "pipelined: $piped (expected 200:3 200:5120 200:3)"
lab_pass "3 pipelined requests (/, /5k, /): answered in order ($piped)"

# ---- HTTP/1.0 without keep-alive: told we close; the real's side still pooled
hdrs=$(lab_exec client curl -s -0 --max-time 3 -D - -o /dev/null "http://$VIP:90/")
grep -qi '^Connection: close' <<<"$hdrs" || lab_fail "HTTP/1.0: no 'Connection: close' in: $(tr '\r\n' '  ' <<<"$hdrs")"
grep -qi 'keep-alive' <<<"$hdrs" && lab_fail "HTTP/1.0: the real's keep-alive reached the client: $(tr '\r\n' '  ' <<<"$hdrs")"
lab_pass "HTTP/1.0 client: answered with Connection: close, no keep-alive of the real's"

# ---- the real closes idle connections after 1 s: the pool drops them and nothing fails
for _ in 1 2; do lab_http_many 3 "http://$VIP:91/" >/dev/null; done
idle=$(pstat short pool.idle)
[ "$idle" -ge 1 ] || lab_fail "short: nothing pooled after 6 requests (idle=$idle)"
sleep 1.5
stale_dropped() { [ "$(pstat short pool.idle)" = 0 ]; }
lab_wait_for 3 stale_dropped || lab_fail "short: the pool still holds $(pstat short pool.idle) connections the reals closed"
closed=$(pstat short pool.closed_by_real)
lab_http_many 30 "http://$VIP:91/" >"$out"
[ "$(awk '$1 == 200' "$out" | wc -l)" -eq 30 ] || lab_fail "short: $(awk '$1 != 200' "$out" | wc -l) of 30 requests failed after the reals closed their idle connections"
lab_pass "reals closing idle connections (keepalive_timeout 1s): the pool dropped $closed of them as they closed (idle=$idle before, 0 after); 30/30 requests 200 afterwards"

lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
