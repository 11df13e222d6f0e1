#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The data plane specialised to the config (issue 11, item 3).
#
# (a) Time to serve: the client polls the dr VIP every 20 ms from before xlbd
#     is launched; the first answer from a real must come within 2 s of the
#     launch with flows.max 65536 (a lab-sized table). The same with the
#     default (flows.max 1,000,000) is measured and printed, not asserted.
#     Each start is cold: the previous xlbd's program is detached and its
#     pinned maps removed.
# (b) Hitless program replacement: during a rate-limited download through the
#     dr VIP, a reload adds a service (scheduler mh, persistence) that the
#     loaded program lacks; xlbd must replace the program on eth0 (its id
#     changes) over the same maps, the download must complete intact, and both
#     services take new connections. A reload back to the first config
#     replaces the program again, during another download.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq curl sha256sum
lab_init dps
lab_up 3

SERVE_MAX_MS=2000
DL_SIZE=$((32 * 1024 * 1024)) # per download, at DL_RATE: 8 s
DL_RATE=4M
PORT2=8082 # lab_nginx_proxy_ports: "/" answers with the real's name there too
t_start=$SECONDS

for i in "${LAB_REALS[@]}"; do
	lab_nginx_proxy_ports "$i"
done

# write_cfg FILE PIN_DIR MAX_FLOWS|"" [second]: web4 (dr, rr, :80); with
# "second" also web8082 (dr, mh, persistence 30s, :8082).
write_cfg() {
	local file=$1 pin=$2 max=$3 second=${4:-} i
	{
		echo "# test_dp_start_replace.sh, lab run $LAB_P"
		echo "interfaces:"
		echo "  - name: eth0"
		echo "    mode: native"
		echo "control_socket: $LABTMP/xlb.sock"
		echo "bpf_pin_dir: $pin"
		[ -z "$max" ] || printf 'flows:\n  max: %s\n' "$max"
		echo "services:"
		echo "  - name: web4"
		echo "    vip: $LAB_VIP4"
		echo "    port: 80"
		echo "    protocol: tcp"
		echo "    method: dr"
		echo "    scheduler: rr"
		echo "    reals:"
		for i in "${LAB_REALS[@]}"; do echo "      - address: $(lab_real_ip4 "$i")"; done
		if [ -n "$second" ]; then
			echo "  - name: web$PORT2"
			echo "    vip: $LAB_VIP4"
			echo "    port: $PORT2"
			echo "    protocol: tcp"
			echo "    method: dr"
			echo "    scheduler: mh"
			echo "    persistence: 30s"
			echo "    reals:"
			for i in "${LAB_REALS[@]}"; do echo "      - address: $(lab_real_ip4 "$i")"; done
		fi
	} >"$file"
}

# ---------------------------------------------------------------- (a) time to serve

vip_serves() { [[ $(lab_exec client curl -s --max-time 1 "$(lab_vip_url 4 /)") =~ ^r[0-9]+$ ]]; }
vip_refuses() { ! vip_serves; }
log_lines() {
	local n
	n=$(grep -c "$1" "$LAB_XLBD_LOG" 2>/dev/null) || true
	echo "${n:-0}"
}

# timed_start CONFIG LABEL: launches xlbd while the client polls the VIP;
# sets SERVE_MS (launch -> first answer from a real) and LOAD_MS (xlbd's
# "data plane loaded in N ms").
timed_start() {
	local cfg=$1 label=$2 out=$LABTMP/poll.$2 t0 loaded0
	local -a line
	lab_wait_for 5 vip_refuses || lab_fail "$label: the VIP answers before xlbd is started"
	# One bash in the client namespace: a curl every 20 ms, each given 0.5 s;
	# the first 200 from a real ends it with the time it arrived.
	# shellcheck disable=SC2016 # expanded by the inner bash
	lab_bg client "$out" bash -c '
		n=0 end=$((${EPOCHREALTIME/./} + 20000000))
		echo polling
		while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
			n=$((n + 1))
			body=$(curl -s --connect-timeout 0.3 --max-time 0.5 "$1") || body=
			if [[ $body =~ ^r[0-9]+$ ]]; then echo "ok ${EPOCHREALTIME/./} $n $body"; exit 0; fi
			sleep 0.02
		done
		echo "timeout $n"' poll "$(lab_vip_url 4 /)"
	local poller=$LAB_BG_LAST
	lab_wait_for 5 grep -q polling "$out" || lab_fail "$label: the poller did not start"
	LAB_XLBD_LOG=$LABTMP/xlbd.log
	loaded0=$(log_lines 'data plane loaded in')
	echo "=== xlbd -c $cfg ($(date +%T), $label)" >>"$LAB_XLBD_LOG"
	t0=${EPOCHREALTIME/./}
	ip netns exec "$(lab_ns lb)" "$XLBD" -c "$cfg" >>"$LAB_XLBD_LOG" 2>&1 </dev/null &
	LAB_XLBD_PID=$!
	lab_wait_for 25 _lab_pid_dead "$poller" || lab_fail "$label: the poller did not end"
	wait "$poller" 2>/dev/null || true
	line=()
	read -r -a line < <(grep -E '^(ok|timeout) ' "$out") || true
	lab_pid_alive "$LAB_XLBD_PID" || lab_fail "$label: xlbd exited: $(grep -E 'error|fatal' "$LAB_XLBD_LOG" | tail -1)"
	[ "${line[0]:-}" = ok ] ||
		lab_fail "$label: no answer from a real on the VIP within 20 s of launching xlbd (${line[*]:-poller said nothing})"
	SERVE_MS=$(((line[1] - t0) / 1000))
	lab_wait_for 15 _lab_xlbd_ready || lab_fail "$label: xlbd's control socket does not answer"
	[ "$(log_lines 'data plane loaded in')" -gt "$loaded0" ] || lab_fail "$label: xlbd logged no 'data plane loaded in'"
	LOAD_MS=$(sed -n 's/.*data plane loaded in \([0-9]*\) ms.*/\1/p' "$LAB_XLBD_LOG" | tail -1)
	lab_log "$label: first answer (${line[3]}) ${SERVE_MS} ms after launching xlbd, curl #${line[2]}; $(grep 'data plane loaded in' "$LAB_XLBD_LOG" | tail -1)"
}

# cold_stop CONFIG PIN_DIR: stops xlbd, detaches its program and removes its pins.
cold_stop() {
	lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
	lab_exec lb "$XLBD" -c "$1" --detach 2>>"$LABTMP/detach.log" ||
		lab_fail "xlbd --detach failed: $(cat "$LABTMP/detach.log")"
	lab_check_attached none
	rm -rf "$2"
}

cfg_default=$LABTMP/xlb-default.yaml
write_cfg "$cfg_default" "$LAB_BPFFS/xlb-default" ""
timed_start "$cfg_default" default
serve_default=$SERVE_MS load_default=$LOAD_MS
cold_stop "$cfg_default" "$LAB_BPFFS/xlb-default"

cfg=$LABTMP/xlb.yaml
pin=$LAB_BPFFS/xlb
write_cfg "$cfg" "$pin" 65536
timed_start "$cfg" flows65536
serve_small=$SERVE_MS load_small=$LOAD_MS

[ "$serve_small" -le "$SERVE_MAX_MS" ] ||
	lab_fail "flows.max 65536: the VIP first answered $serve_small ms after xlbd was launched (limit $SERVE_MAX_MS ms; data plane loaded in $load_small ms)"
lab_pass "flows.max 65536: VIP served ${serve_small} ms after launching xlbd (<= $SERVE_MAX_MS), data plane loaded in ${load_small} ms"
# Reported, not asserted: a 1,000,000-entry table takes longer to create, and
# on a busy shared machine that has come close to the limit (1.7 s seen).
note=""
[ "$serve_default" -le "$SERVE_MAX_MS" ] || note=" (over the $SERVE_MAX_MS ms asserted for flows.max 65536)"
echo "INFO: default flows.max (1,000,000): VIP served ${serve_default} ms after launching xlbd${note}, data plane loaded in ${load_default} ms"

# ---------------------------------------------------------------- (b) hitless replacement

lab_wait_reals_up web4 3
prog_id() { ip -n "$(lab_ns lb)" -j link show dev eth0 | jq -r '.[0].xdp.prog.id // empty'; }
# A flow the LB lost would come back as a mid-stream pickup (and with rr
# likely on another real, which resets it).
midstream() {
	local v
	v=$(lab_ctl --json stats | jq -r '.counters.flow_midstream') || true
	[[ $v =~ ^[0-9]+$ ]] || lab_fail "no counters.flow_midstream in 'xlbctl --json stats'"
	echo "$v"
}
want_sha=$(head -c "$DL_SIZE" "$LABTMP/www/big" | sha256sum | cut -d' ' -f1)

# start_download N: the first DL_SIZE bytes of /big through the dr VIP at
# DL_RATE; returns once some of it has arrived.
start_download() {
	local n=$1
	rm -f "$LABTMP/dl.$n"
	lab_bg client "$LABTMP/dl.$n.curl" curl -s -g --limit-rate "$DL_RATE" --max-time 40 \
		-r "0-$((DL_SIZE - 1))" -o "$LABTMP/dl.$n" -w '%{http_code} %{size_download}\n' \
		"$(lab_vip_url 4 /big)"
	DL_PID=$LAB_BG_LAST
	_dl_started() { [ "$(stat -c %s "$LABTMP/dl.$1" 2>/dev/null || echo 0)" -ge $((512 * 1024)) ]; }
	lab_wait_for 10 _dl_started "$n" || lab_fail "download $n: nothing arrived: $(cat "$LABTMP/dl.$n.curl")"
	MID0=$(midstream)
}

# check_download N: the download ended by itself with all bytes, sha256 ok.
check_download() {
	local n=$1 st=0 code size sum mid
	lab_wait_for 40 _lab_pid_dead "$DL_PID" || lab_fail "download $n did not end"
	wait "$DL_PID" || st=$?
	read -r code size <"$LABTMP/dl.$n.curl" || true
	sum=$(sha256sum "$LABTMP/dl.$n" | cut -d' ' -f1)
	[ "$st" = 0 ] && [ "$code" = 206 ] && [ "$size" = "$DL_SIZE" ] && [ "$sum" = "$want_sha" ] ||
		lab_fail "download $n across the program replacement: curl exit $st (56 = reset), HTTP ${code:-?}, ${size:-?} of $DL_SIZE bytes, sha256 ok: $([ "$sum" = "$want_sha" ] && echo yes || echo no)"
	rm -f "$LABTMP/dl.$n"
	mid=$(midstream)
	[ "$mid" = "$MID0" ] ||
		lab_fail "download $n: $((mid - MID0)) mid-stream pickups during it: the LB lost a flow in the replacement"
}

# reload_replaces LABEL: SIGHUP; xlbd must log one more "replaced the program"
# (sets REPLACE_MS) while the download is still running, and eth0's program
# id must change.
reload_replaces() {
	local label=$1 n0 id0 id1 line
	n0=$(log_lines 'replaced the program')
	id0=$(prog_id)
	[ -n "$id0" ] || lab_fail "$label: no XDP program on the LB's eth0"
	lab_reload_xlbd
	_replaced() { [ "$(log_lines 'replaced the program')" -gt "$1" ] || grep -q 'reload rejected' "$LAB_XLBD_LOG"; }
	lab_wait_for 20 _replaced "$n0" || lab_fail "$label: no 'replaced the program' in xlbd's log 20 s after SIGHUP"
	! grep -q 'reload rejected' "$LAB_XLBD_LOG" || lab_fail "$label: $(grep 'reload rejected' "$LAB_XLBD_LOG" | tail -1)"
	lab_pid_alive "$DL_PID" ||
		lab_fail "$label: the download ended before the program was replaced (make DL_SIZE larger): $(cat "$LABTMP"/dl.*.curl)"
	line=$(grep 'replaced the program' "$LAB_XLBD_LOG" | tail -1)
	REPLACE_MS=$(sed -n 's/.*replaced the program in \([0-9]*\) ms.*/\1/p' <<<"$line")
	id1=$(prog_id)
	[ -n "$id1" ] && [ "$id1" != "$id0" ] ||
		lab_fail "$label: eth0's XDP program id did not change (before $id0, after ${id1:-none}); log: $line"
	lab_log "$label: $line; eth0 prog id $id0 -> $id1"
	PROG_IDS="$id0 -> $id1"
}

# serves PORT N MIN_REALS MAX_REALS: N new connections to VIP:PORT all get a
# 200 from a real, served by between MIN_REALS and MAX_REALS distinct reals.
serves() {
	local port=$1 n=$2 lo=$3 hi=$4 out=$LABTMP/new.$1 ok reals
	lab_http_many "$n" "http://$LAB_VIP4:$port/" >"$out"
	ok=$(awk -v v="$LAB_VIP4" '$1 == 200 && $2 == v && $3 ~ /^r[0-9]+$/' "$out" | wc -l)
	reals=$(lab_tally "$out" | wc -l)
	[ "$ok" = "$n" ] && [ "$reals" -ge "$lo" ] && [ "$reals" -le "$hi" ] ||
		lab_fail "port $port: $ok of $n new connections answered by a real, by $reals reals (want $lo..$hi): $(sort "$out" | uniq -c | tr '\n' ';')"
	SERVED=$(lab_tally "$out" | awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $1, $2 }')
}

serves 80 6 3 3
# web4 stays as it is: the reload is about the program, not the service.
write_cfg "$cfg" "$pin" 65536 second
start_download 1
reload_replaces "add web$PORT2 (mh, persistence)"
replace_add_ms=$REPLACE_MS ids_add=$PROG_IDS
grep -q 'replaced the program.*mh' "$LAB_XLBD_LOG" ||
	lab_fail "the replacement's program does not include scheduler mh: $(grep 'replaced the program' "$LAB_XLBD_LOG" | tail -1)"
lab_wait_reals_up "web$PORT2" 3
serves 80 6 3 3
s80=$SERVED
serves "$PORT2" 6 1 1 # mh with persistence: one client, one real
s2=$SERVED
lab_pass "reload adding web$PORT2 (mh, persistence 30s): program replaced in ${replace_add_ms} ms (eth0 prog id $ids_add); new connections: :80 $s80, :$PORT2 $s2"
check_download 1
lab_pass "download 1 ($((DL_SIZE >> 20)) MiB at $DL_RATE/s via the dr VIP) across the replacement: complete, sha256 ok, no reset, no mid-stream pickup"

write_cfg "$cfg" "$pin" 65536
start_download 2
reload_replaces "back to web4 only"
replace_back_ms=$REPLACE_MS ids_back=$PROG_IDS
_second_gone() { lab_ctl_json | jq -e '.services | length == 1'; }
lab_wait_for 5 _second_gone || lab_fail "web$PORT2 is still configured after the reload back: $(lab_ctl list)"
serves 80 6 3 3
s80=$SERVED
lab_exec client curl -s --max-time 2 "http://$LAB_VIP4:$PORT2/" >/dev/null &&
	lab_fail "web$PORT2 still answers on the VIP after it was removed"
lab_pass "reload back to web4 only: program replaced in ${replace_back_ms} ms (eth0 prog id $ids_back); new connections: :80 $s80, :$PORT2 no longer served"
check_download 2
lab_pass "download 2 ($((DL_SIZE >> 20)) MiB at $DL_RATE/s via the dr VIP) across the replacement: complete, sha256 ok, no reset, no mid-stream pickup"
lab_log "summary: serve after launch ${serve_small} ms (flows.max 65536, loaded in ${load_small} ms), ${serve_default} ms (default, loaded in ${load_default} ms); replaced in ${replace_add_ms} / ${replace_back_ms} ms; $((SECONDS - t_start)) s"
