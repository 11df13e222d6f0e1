#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xlbd --upgrade keeps proxied connections: 50 rate-limited downloads
# (about 10 s each) through method proxy are under way when a new xlbd takes
# over; the old one hands it its listening sockets (the same sockets: their
# inodes do not change), releases the data plane, control socket and locks,
# stops accepting once the new one accepts, lets the downloads finish and
# exits. Every download arrives whole (checksummed), wrk on a tcp and an
# http proxy service across the hand-over sees no error, and xlbctl on the
# new xlbd shows the old one draining. Then the control: the same downloads
# across a plain stop and start break, so the checks above can fail.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds wrk jq curl ss sha256sum
lab_init upg
lab_up 2

VIP=$LAB_VIP4
NDL=50
SLOW_SIZE=$((1024 * 1024))
# 1 MiB at 100 KiB/s: about 10 s, still under way when a slow (busy) new xlbd takes over.
head -c "$SLOW_SIZE" /dev/urandom >"$LABTMP/www/slow"
SLOW_SHA=$(sha256sum "$LABTMP/www/slow" | cut -d' ' -f1)
for i in "${LAB_REALS[@]}"; do
	dir=$LABTMP/r$i
	cat >"$dir/proxy.conf" <<PEOF
    server {
        listen 0.0.0.0:8083;
        location = / { default_type text/plain; return 200 "r$i\n"; }
        location = /slow { alias $LABTMP/www/slow; limit_rate 100k; }
    }
PEOF
	_lab_nginx_health_conf "$i"
	lab_exec "r$i" nginx -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -s reload ||
		lab_fail "nginx on r$i did not reload"
	lab_wait_for 5 lab_exec "r$i" curl -sf --max-time 1 -o /dev/null "http://$(lab_real_ip4 "$i"):8083/" ||
		lab_fail "nginx on r$i: no answer on :8083"
done

cfg=$LABTMP/xlb.yaml
{
	echo "interfaces: [{name: eth0}]"
	echo "control_socket: $LABTMP/xlb.sock"
	echo "bpf_pin_dir: $LAB_BPFFS/xlb"
	echo "services:"
	for port in 80 81; do
		printf '  - name: p%s\n    vip: %s\n    port: %s\n    method: proxy\n    scheduler: rr\n' "$port" "$VIP" "$port"
		[ "$port" = 81 ] && echo "    mode: http"
		echo "    reals:"
		for i in "${LAB_REALS[@]}"; do
			printf '      - {address: %s, port: 8083}\n' "$(lab_real_ip4 "$i")"
		done
	done
} >"$cfg"
"$XLBD" -t -c "$cfg" >/dev/null || lab_fail "config does not check: $("$XLBD" -t -c "$cfg" 2>&1)"
lab_start_xlbd "$cfg"

active() { lab_ctl_json | jq -r '.services[] | select(.name == "p80") | .proxy.active_connections'; }
active_at_least() { [ "$(active)" -ge "$1" ]; }
# The inodes of the listening sockets on VIP:80 (one per worker).
listen_inodes() {
	lab_exec lb ss -Hltne "sport = :80" | grep -o 'ino:[0-9]*' | sort | tr '\n' ' '
}

# downloads N OUTDIR: N parallel downloads of /slow through the tcp proxy, in the background.
downloads() {
	local n=$1 out=$2 args=() k
	mkdir -p "$out"
	for ((k = 1; k <= n; k++)); do args+=(-o "$out/$k" "http://$VIP/slow"); done
	lab_bg client "$out/curl.log" curl -s -Z --parallel-max "$n" --parallel-immediate \
		--max-time 30 -w '%{http_code} %{size_download}\n' "${args[@]}"
	DL_PID=$LAB_BG_LAST
}
# whole N OUTDIR: how many of the N downloads arrived whole (size and checksum).
whole() {
	local n=$1 out=$2 k good=0
	for ((k = 1; k <= n; k++)); do
		[ -f "$out/$k" ] && [ "$(sha256sum <"$out/$k" | cut -d' ' -f1)" = "$SLOW_SHA" ] && good=$((good + 1))
	done
	echo "$good"
}

# ---- the upgrade, under load
inodes_before=$(listen_inodes)
[ -n "$inodes_before" ] || lab_fail "no listening socket on :80 in the lb namespace"
old_pid=$LAB_XLBD_PID
downloads "$NDL" "$LABTMP/dl1"
lab_wait_for 10 active_at_least "$NDL" || lab_fail "only $(active) of $NDL downloads are under way"
lab_bg client "$LABTMP/wrk-tcp.out" wrk -c 8 -t 1 -d 6s --timeout 3s -H "Connection: close" "http://$VIP:80/"
wrk_tcp=$LAB_BG_LAST
lab_bg client "$LABTMP/wrk-http.out" wrk -c 8 -t 1 -d 6s --timeout 3s "http://$VIP:81/"
wrk_http=$LAB_BG_LAST
sleep 1 # wrk under way before the hand-over: a span to observe, not a wait for a condition

echo "=== xlbd --upgrade -c $cfg ($(date +%T))" >>"$LAB_XLBD_LOG"
ip netns exec "$(lab_ns lb)" "$XLBD" --upgrade --drain-timeout 20 -c "$cfg" >>"$LAB_XLBD_LOG" 2>&1 </dev/null &
new_pid=$!
# Both are ours now: the old one until it exits, the new one as the lab's xlbd.
LAB_BG_PIDS+=("$old_pid")
LAB_XLBD_PID=$new_pid

draining() {
	lab_ctl_json | jq -e --argjson p "$old_pid" '.upgrade.old_pid == $p and .upgrade.state == "draining" and .upgrade.connections > 0'
}
lab_wait_for 15 draining || lab_fail "the new xlbd (pid $new_pid) does not show xlbd $old_pid draining: $(lab_ctl_json | jq -c .upgrade)"
text=$(lab_ctl list)
grep -q "old xlbd pid $old_pid draining, [0-9]* connection" <<<"$text" ||
	lab_fail "xlbctl list does not say the old xlbd drains: $(tail -2 <<<"$text")"
lab_pass "xlbctl list on the new xlbd $new_pid: $(grep 'old xlbd' <<<"$text")"
lab_pid_alive "$old_pid" || lab_fail "the old xlbd exited before its downloads finished"
inodes_after=$(listen_inodes)
[ "$inodes_after" = "$inodes_before" ] ||
	lab_fail "the listening sockets changed: before $inodes_before, after $inodes_after (not handed over)"
grep -q "serving [0-9]* listening socket(s) handed over" "$LAB_XLBD_LOG" ||
	lab_fail "the new xlbd did not log serving handed-over sockets"
lab_pass "the new xlbd serves the very listening sockets of the old one ($inodes_after)"

lab_wait_for 20 _lab_pid_dead "$DL_PID" || lab_fail "the downloads did not end"
good=$(whole "$NDL" "$LABTMP/dl1")
[ "$good" -eq "$NDL" ] ||
	lab_fail "$good of $NDL downloads arrived whole across the upgrade: $(sort "$LABTMP/dl1/curl.log" | uniq -c | tr '\n' ' ')"
lab_wait_for 10 _lab_pid_dead "$old_pid" || lab_fail "the old xlbd $old_pid did not exit after its downloads finished"
st=0
wait "$old_pid" || st=$?
[ "$st" -eq 0 ] || lab_fail "the old xlbd $old_pid exited with status $st"
lab_pass "$NDL downloads of 1 MiB (about 10 s each) all whole across the upgrade; the old xlbd $old_pid drained them and exited"
no_upgrade() { lab_ctl_json | jq -e '.upgrade == null'; }
lab_wait_for 3 no_upgrade || lab_fail "xlbctl still shows the old xlbd after it exited: $(lab_ctl_json | jq -c .upgrade)"
grep -q "xlbd pid $old_pid is done (drained" "$LAB_XLBD_LOG" || lab_fail "the new xlbd did not log the old one's end"

for w in "$wrk_tcp" "$wrk_http"; do lab_wait_for 15 _lab_pid_dead "$w" || lab_fail "wrk did not end"; done
for out in "$LABTMP/wrk-tcp.out" "$LABTMP/wrk-http.out"; do
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || lab_fail "wrk made no requests: $(tr '\n' ' ' <"$out")"
	grep -qE 'Socket errors|Non-2xx' "$out" &&
		lab_fail "wrk ($(basename "$out" .out)) saw errors across the upgrade: $(grep -E 'Socket errors|Non-2xx' "$out" | tr -s ' ' | tr '\n' ' ')($reqs requests)"
	lab_pass "$(basename "$out" .out): $reqs requests in 6 s across the upgrade, no socket errors, no non-2xx"
done
body=$(lab_exec client curl -s --max-time 3 "http://$VIP/")
[[ $body =~ ^r[0-9]+$ ]] || lab_fail "the new xlbd does not proxy afterwards: '$body'"

# ---- the control: a plain stop and start cuts the downloads (the checks above can fail)
downloads 10 "$LABTMP/dl2"
lab_wait_for 10 active_at_least 10 || lab_fail "only $(active) of 10 downloads are under way"
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
lab_start_xlbd "$cfg"
lab_wait_for 20 _lab_pid_dead "$DL_PID" || lab_fail "the downloads did not end"
good=$(whole 10 "$LABTMP/dl2")
[ "$good" -lt 10 ] || lab_fail "all 10 downloads survived a plain stop and start: the test cannot tell"
lab_pass "control: across a plain stop and start only $good of 10 downloads arrived whole"

lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS"
