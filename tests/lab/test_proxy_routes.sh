#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# method proxy, mode http: routes by Host (exact, *.suffix) and path prefix,
# first match wins, the reals no route names as the default group, a
# per-route scheduler; each real's log must hold only its routes' requests.
# Also the forwarded headers (X-Forwarded-For/-Proto, Forwarded), 431 for a
# head over max_header_size, 404 without a route, and the 502/503/504 pages.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq python3
lab_init rt
lab_up 3

VIP=$LAB_VIP4
for i in "${LAB_REALS[@]}"; do
	dir=$LABTMP/r$i
	cat >"$dir/proxy.conf" <<PEOF
    log_format lab_rt '\$host \$request_uri|\$http_x_forwarded_for|\$http_x_forwarded_proto|\$http_forwarded';
    server {
        listen 0.0.0.0:8092;
        access_log $dir/routes.log lab_rt;
        location / { default_type text/plain; return 200 "r$i\n"; }
    }
PEOF
	_lab_nginx_health_conf "$i"
	lab_exec "r$i" nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s reload ||
		lab_fail "nginx on r$i did not reload"
	lab_wait_for 5 lab_exec "r$i" curl -s --max-time 1 -o /dev/null "http://$(lab_real_ip4 "$i"):8092/" ||
		lab_fail "nginx on r$i: no answer on :8092"
done
# On r3: :8093 takes requests and never answers, :8094 answers what is not HTTP.
lab_bg r3 "$LABTMP/odd.log" python3 -c '
import socket, threading, time
def serve(port, answer):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    held = []
    while True:
        c, _ = s.accept()
        c.recv(4096)
        if answer:
            c.sendall(answer)
            c.close()
        else:
            held.append(c)
for port, answer in ((8093, None), (8094, b"SSH-2.0-not-http\r\n\r\n")):
    threading.Thread(target=serve, args=(port, answer), daemon=True).start()
print("serving", flush=True)
time.sleep(3600)
'
lab_wait_for 5 grep -q serving "$LABTMP/odd.log" || lab_fail "the odd servers on r3 did not start"

R1=$(lab_real_ip4 1) R2=$(lab_real_ip4 2) R3=$(lab_real_ip4 3)
cfg=$LABTMP/xlb.yaml
cat >"$cfg" <<EOF
interfaces: [{name: eth0}]
control_socket: $LABTMP/xlb.sock
bpf_pin_dir: $LAB_BPFFS/xlb
services:
  - name: routed
    vip: $VIP
    port: 80
    method: proxy
    mode: http
    scheduler: rr
    forward_headers: [x-forwarded-for, x-forwarded-proto, forwarded]
    max_header_size: 2048
    routes:
      - {host: api.example.com, reals: [$R1]}
      - {host: "*.img.example.com", path: /img/, reals: [$R2]}
      - {path: /v2/, reals: [$R1, "$R2:8092"], scheduler: wrr}
    reals:
      - {address: $R1, port: 8092, weight: 3}
      - {address: $R2, port: 8092, weight: 1}
      - {address: $R3, port: 8092}
  - name: strict
    vip: $VIP
    port: 81
    method: proxy
    mode: http
    idle_timeout: 1s
    passive_health: {failures: 0}
    routes:
      - {path: /ok/, reals: [$R1]}
      - {path: /silent/, reals: ["$R3:8093"]}
      - {path: /garbage/, reals: ["$R3:8094"]}
      - {path: /nobody/, reals: ["$R2:8099"]}
    reals:
      - {address: $R1, port: 8092}
      - {address: $R3, port: 8093}
      - {address: $R3, port: 8094}
      - {address: $R2, port: 8099}
EOF
"$XLBD" -t -c "$cfg" >/dev/null || lab_fail "config does not check: $("$XLBD" -t -c "$cfg" 2>&1)"
lab_start_xlbd "$cfg"
for i in "${LAB_REALS[@]}"; do : >"$LABTMP/r$i/routes.log"; done # not the readiness checks

# get HOST PATH: "CODE BODY" through the VIP.
get() {
	lab_exec client curl -s --max-time 5 -H "Host: $1" -w ' %{http_code}' "http://$VIP$2" | tr -d '\n'
}
expect() {
	local host=$1 path=$2 want=$3 got
	got=$(get "$host" "$path")
	[[ $got =~ ^($want)\ 200$ ]] || lab_fail "route: Host $host $path answered '$got', expected $want"
}
for _ in 1 2 3 4; do
	expect api.example.com /anything r1
	expect API.Example.COM:8080 /v2/x r1 # the first route wins over /v2/
	expect a.img.example.com /img/cat.png r2
	expect x.y.img.example.com /img/ r2
	expect a.img.example.com /other r3 # host matches, path does not
	expect img.example.com /img/cat.png r3 # *.img.example.com is not img.example.com itself
	expect www.example.com / r3
done
# /v2/ with wrr 3:1 over r1 and r2: 8 requests, 6 and 2.
v2=""
for _ in $(seq 8); do v2+="$(get other.example.com /v2/p | cut -d' ' -f1) "; done
[ "$(grep -o r1 <<<"$v2" | wc -l)" -eq 6 ] && [ "$(grep -o r2 <<<"$v2" | wc -l)" -eq 2 ] ||
	lab_fail "route /v2/ (wrr 3:1 over r1, r2): $v2"
lab_pass "routes: Host exact (any case, with a port), *.suffix with a path prefix, path only (wrr 3:1: $v2), the default group (r3), first match wins"

# Each real's log: only its routes' requests.
sleep 0.3
bad1=$(cut -d'|' -f1 "$LABTMP/r1/routes.log" | grep -viE '^api\.example\.com |^[^ ]+ /v2/' || true)
bad2=$(cut -d'|' -f1 "$LABTMP/r2/routes.log" | grep -vE '^[^ ]+\.img\.example\.com /img/|^[^ ]+ /v2/' || true)
bad3=$(cut -d'|' -f1 "$LABTMP/r3/routes.log" | grep -E '^api\.|/v2/|^[^ ]+\.img\.example\.com /img/' || true)
[ -z "$bad1$bad2$bad3" ] || lab_fail "routes: a real got another route's request: r1: $bad1 r2: $bad2 r3: $bad3"
n1=$(wc -l <"$LABTMP/r1/routes.log") n2=$(wc -l <"$LABTMP/r2/routes.log") n3=$(wc -l <"$LABTMP/r3/routes.log")
[ "$n1" -eq 14 ] && [ "$n2" -eq 10 ] && [ "$n3" -eq 12 ] || lab_fail "routes: the reals logged r1=$n1 r2=$n2 r3=$n3 requests (expected 14, 10, 12)"
reqs=$(lab_ctl_json | jq -c '[.services[] | select(.name == "routed") | .proxy.routes[].requests, .proxy.default_requests]')
[ "$reqs" = "[8,8,8,12]" ] || lab_fail "routes: xlbctl counts $reqs requests per route and default (expected [8,8,8,12])"
lab_pass "each real's access log holds only its routes' requests (r1=$n1 r2=$n2 r3=$n3); xlbctl per route and default: $reqs"

# The forwarded headers, as the real logged them.
fwd=$(tail -1 "$LABTMP/r1/routes.log" | cut -d'|' -f2-)
[ "$fwd" = "$LAB_CLIENT4|http|for=$LAB_CLIENT4;proto=http" ] || lab_fail "forward_headers: the real saw '$fwd'"
lab_pass "forward_headers: X-Forwarded-For, X-Forwarded-Proto and Forwarded as the real saw them: $fwd"

# A head over max_header_size (2048): 431, and the connection closes.
big=$(head -c 3000 /dev/zero | tr '\0' a)
out=$(lab_exec client curl -s --max-time 3 -D - -H "X-Big: $big" "http://$VIP/" || true)
grep -q '^HTTP/1.1 431 ' <<<"$out" || lab_fail "431: a 3000-byte field got: $(head -1 <<<"$out")"
grep -qi '^Connection: close' <<<"$out" || lab_fail "431: no Connection: close"
code=$(get api.example.com / | awk '{ print $2 }')
[ "$code" = 200 ] || lab_fail "after a 431 the next request got $code"
lab_pass "a 3000-byte header field over max_header_size 2048: 431 Request Header Fields Too Large, connection closed"

# 404 without a route; 503, 502, 504 pages.
page() { lab_exec client curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$VIP:81$1" || true; }
[ "$(page /ok/)" = 200 ] || lab_fail "strict: /ok/ does not answer 200"
[ "$(page /elsewhere)" = 404 ] || lab_fail "strict: no route did not answer 404"
[ "$(page /nobody/)" = 503 ] || lab_fail "strict: a refusing real did not give 503"
[ "$(page /garbage/)" = 502 ] || lab_fail "strict: a real answering garbage did not give 502"
t0=$(_lab_now_us)
c504=$(page /silent/)
ms=$((($(_lab_now_us) - t0) / 1000))
[ "$c504" = 504 ] || lab_fail "strict: a silent real gave $c504 after ${ms}ms, not 504"
lab_pass "pages: 404 (no route, all reals routed), 503 (refused), 502 (not HTTP), 504 (silent, after ${ms}ms of idle_timeout 1s)"

lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
