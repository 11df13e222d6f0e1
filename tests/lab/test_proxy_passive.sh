#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# method proxy: passive health. A real that resets every connection (a
# small server on r2 that reads the request and closes with SO_LINGER 0) is
# out of the picks after 3 failures in a row; every idempotent GET meanwhile
# is retried on another real, so no client sees an error; xlbctl shows why;
# after the back-off it gets exactly one try. A real answering 503 is out
# after 3 of them (mode http). In mode tcp, refused connects count the same.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_init pas
lab_up 3

VIP=$LAB_VIP4
# :8095 answers on r1 and r3 (r2 runs the resetter there); :8096 answers 503 on r3.
for i in "${LAB_REALS[@]}"; do
	dir=$LABTMP/r$i
	{
		if [ "$i" != 2 ]; then
			cat <<PEOF
    server {
        listen 0.0.0.0:8095;
        location = / { default_type text/plain; return 200 "r$i\n"; }
    }
PEOF
		fi
		code=200
		[ "$i" = 3 ] && code=503
		cat <<PEOF
    server {
        listen 0.0.0.0:8096;
        location = / { default_type text/plain; return $code "r$i\n"; }
    }
PEOF
	} >"$dir/proxy.conf"
	_lab_nginx_health_conf "$i"
	lab_exec "r$i" nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s reload ||
		lab_fail "nginx on r$i did not reload"
	lab_wait_for 5 lab_exec "r$i" curl -s --max-time 1 -o /dev/null "http://$(lab_real_ip4 "$i"):8096/" ||
		lab_fail "nginx on r$i: no answer on :8096"
done
resets=$LABTMP/resets.log
lab_bg r2 "$resets" python3 -c '
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8095))
s.listen(64)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        c.recv(4096)
    except OSError:
        pass
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print("reset", flush=True)
'
lab_wait_for 5 grep -q listening "$resets" || lab_fail "the resetter on r2 did not start: $(cat "$resets")"

svc() {
	local name=$1 port=$2 rport=$3 i line
	shift 3
	printf '  - name: %s\n    vip: %s\n    port: %s\n    method: proxy\n    scheduler: rr\n' "$name" "$VIP" "$port"
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
	svc resets 95 8095 "mode: http" "retries: 2" "passive_health: {failures: 3, backoff: 3s}"
	svc status 96 8096 "mode: http" "passive_health: {failures: 3, backoff: 30s}"
	# mode tcp: r2 refuses (nothing listens on :8099 there)
	printf '  - name: tcp\n    vip: %s\n    port: 97\n    method: proxy\n    scheduler: rr\n' "$VIP"
	echo "    passive_health: {failures: 3, backoff: 30s}"
	echo "    reals:"
	printf '      - {address: %s, port: 80}\n' "$(lab_real_ip4 1)"
	printf '      - {address: %s, port: 8099}\n' "$(lab_real_ip4 2)"
	printf '      - {address: %s, port: 80}\n' "$(lab_real_ip4 3)"
} >"$cfg"
"$XLBD" -t -c "$cfg" >/dev/null || lab_fail "config does not check: $("$XLBD" -t -c "$cfg" 2>&1)"
lab_start_xlbd "$cfg"

R2=$(lab_real_ip4 2)
R3=$(lab_real_ip4 3)
rjson() { lab_real_json "$1" "$2"; }
nresets() { grep -c '^reset' "$resets" || true; }

# ---- a real that resets: 3 tries, then out; 30/30 GETs answered by the others
out=$LABTMP/resets.out
lab_http_many 30 "http://$VIP:95/" >"$out"
ok=$(awk '$1 == 200' "$out" | wc -l)
[ "$ok" -eq 30 ] || lab_fail "resets: $ok of 30 GETs got 200: $(awk '$1 != 200' "$out" | sort | uniq -c | head -3 | tr '\n' ';')"
[ "$(lab_count_of "$out" r2)" -eq 0 ] || lab_fail "resets: r2 answered?"
n=$(nresets)
[ "$n" -eq 3 ] || lab_fail "resets: the resetter saw $n connections over 30 requests (expected 3: then out)"
j=$(rjson resets "$R2")
[ "$(jq -r .proxy.passive_health.out <<<"$j")" = true ] || lab_fail "resets: r2 is not out: $j"
[ "$(jq -r .proxy.passive_health.last_failure <<<"$j")" = "reset or closed early" ] ||
	lab_fail "resets: r2's last failure: $(jq -c .proxy.passive_health <<<"$j")"
line=$(lab_ctl list | grep -F "$R2:8095")
grep -q "passive health: out for" <<<"$line" || lab_fail "resets: xlbctl list does not say why r2 is out: $line"
lab_pass "a real resetting every connection: 3 tries, then out; 30/30 GETs 200 ($(lab_tally "$out" | tr '\n' ' ')), retries_done=$(lab_ctl_json | jq '.services[] | select(.name == "resets") | .proxy.retries_done')"
lab_log "xlbctl list: $line"

# ---- after the back-off: exactly one more try, then out again
back() { [ "$(rjson resets "$R2" | jq -r .proxy.passive_health.out)" = false ]; }
lab_wait_for 6 back || lab_fail "resets: r2 still out after its 3 s back-off"
lab_http_many 12 "http://$VIP:95/" >"$out"
[ "$(awk '$1 == 200' "$out" | wc -l)" -eq 12 ] || lab_fail "resets after back-off: not all 12 GETs got 200"
n=$(nresets)
[ "$n" -eq 4 ] || lab_fail "resets after back-off: the resetter saw $n connections in all (expected 4: one try after the back-off)"
outs=$(rjson resets "$R2" | jq -r .proxy.passive_health.outs)
[ "$outs" -eq 2 ] || lab_fail "resets: r2 out $outs times, expected 2"
lab_pass "after the 3 s back-off r2 got exactly 1 try (it reset: out again, outs=$outs); 12/12 GETs 200"

# ---- 5xx: three 503s, then the real is out (the 503s themselves reach the client: not retried)
lab_http_many 30 "http://$VIP:96/" >"$out"
n503=$(awk '$1 == 503' "$out" | wc -l)
n200=$(awk '$1 == 200' "$out" | wc -l)
[ "$n503" -eq 3 ] && [ "$n200" -eq 27 ] || lab_fail "status: $n200 x 200 and $n503 x 503 of 30 (expected 27 and 3)"
j=$(rjson status "$R3")
[ "$(jq -r .proxy.passive_health.last_failure <<<"$j")" = "status 503" ] && [ "$(jq -r .proxy.passive_health.out <<<"$j")" = true ] ||
	lab_fail "status: r3 is not out for its 503s: $(jq -c .proxy.passive_health <<<"$j")"
lab_pass "a real answering 503: out after 3 of them; the other 27 requests 200 from r1 and r2"

# ---- mode tcp: refused connects count; 3, then no more tries
lab_http_many 30 "http://$VIP:97/" >"$out"
[ "$(awk '$1 == 200' "$out" | wc -l)" -eq 30 ] || lab_fail "tcp: not all 30 requests got 200"
cf=$(lab_ctl_json | jq -r --arg a "$R2" '.services[] | select(.name == "tcp") | .reals[] | select(.address == $a) | .proxy.connect_failures')
[ "$cf" -eq 3 ] || lab_fail "tcp: $cf connects to the refusing real, expected 3"
lab_pass "mode tcp: a refusing real got 3 connects, then none; 30/30 requests 200"

lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
grep -q "real $R2:8095 out of the proxy's picks for 3000ms: 3 failures in a row, the last: reset or closed early" "$LAB_XLBD_LOG" ||
	lab_fail "no log line for r2 going out: $(grep -i passive "$LAB_XLBD_LOG" | head -3)"
lab_pass "xlbd logged the real going out, with its reason"
