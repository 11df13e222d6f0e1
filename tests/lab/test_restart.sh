#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Hitless restart under a watchdog: xlbd runs as a Type=notify service with
# WatchdogSec= and Restart=always (tools/mini_systemd.py plays systemd) while
# wrk loads the VIP, with keep-alive connections (existing flows) and with a
# new connection per request (new flows). xlbd is killed with -9, restarted
# with SIGTERM (an upgrade) and hung with SIGSTOP (the watchdog must notice);
# every time a new xlbd takes over the running program and its maps, and wrk
# sees no connection error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds wrk jq python3
lab_init rs
lab_up 3

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
WATCHDOG_SEC=3
SD=$LABTMP/sd
mkdir -p "$SD"
cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family=4 sched=rr

lab_bg lb "$LABTMP/xlbd.log" python3 "$TOOLS/mini_systemd.py" --dir "$SD" \
	--watchdog-sec "$WATCHDOG_SEC" -- "$XLBD" -c "$cfg"
SUPERVISOR=$LAB_BG_LAST
LAB_XLBD_LOG=$LABTMP/xlbd.log

events_count() { grep -c "^$1 " "$SD/events" 2>/dev/null || true; }
_events_at_least() { [ "$(events_count "$1")" -ge "$2" ]; }
current_pid() { cat "$SD/pid"; }

lab_wait_for 20 _events_at_least ready 1 || lab_fail "xlbd sent no READY=1: $(cat "$SD/events" 2>/dev/null)"
lab_wait_reals_up web4 3
lab_pass "xlbd reported READY=1 to the notify socket"

# Keep-alives arrive at the tick (1 s), well inside WatchdogSec.
sleep $((WATCHDOG_SEC + 1)) # a span to observe, not a wait for a condition
[ "$(events_count watchdog)" -eq 0 ] || lab_fail "the watchdog fired against a healthy xlbd: $(cat "$SD/events")"

ka_out=$LABTMP/wrk-keepalive.out
close_out=$LABTMP/wrk-close.out
lab_bg client "$ka_out" wrk -c 10 -t 1 -d 24s --timeout 3s "$(lab_vip_url 4 /5k)"
wrk_ka=$LAB_BG_LAST
lab_bg client "$close_out" wrk -c 10 -t 1 -d 24s --timeout 3s -H "Connection: close" "$(lab_vip_url 4 /5k)"
wrk_close=$LAB_BG_LAST

# restart_by HOW EVENT: ends the current xlbd HOW; the supervisor must log
# EVENT for it and start a new one, which must become ready.
restart_by() {
	local how=$1 event=$2 pid n_ready n_event
	pid=$(current_pid)
	n_ready=$(events_count ready)
	n_event=$(events_count "$event")
	kill "-$how" "$pid"
	lab_wait_for $((WATCHDOG_SEC + 10)) _events_at_least "$event" $((n_event + 1)) ||
		lab_fail "after SIG$how: no '$event' event: $(tr '\n' ';' <"$SD/events")"
	lab_wait_for 20 _events_at_least ready $((n_ready + 1)) ||
		lab_fail "after SIG$how: the new xlbd did not become ready: $(tr '\n' ';' <"$SD/events")"
	[ "$(current_pid)" != "$pid" ] || lab_fail "after SIG$how: still pid $pid"
	lab_pass "SIG$how: xlbd $pid gone ($event), xlbd $(current_pid) ready over the same program and maps"
	sleep 2 # traffic through the new xlbd before the next blow
}

sleep 2
restart_by KILL exit
restart_by TERM exit
# A hung event loop: only the missing keep-alives can tell.
restart_by STOP watchdog

lab_wait_for 40 _lab_pid_dead "$wrk_ka" || lab_fail "wrk did not end"
lab_wait_for 10 _lab_pid_dead "$wrk_close" || lab_fail "wrk did not end"
wait "$wrk_ka" "$wrk_close" 2>/dev/null || true
for out in "$ka_out" "$close_out"; do
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || lab_fail "wrk made no requests: $(tr '\n' ' ' <"$out")"
	if grep -q -E 'Socket errors|Non-2xx' "$out"; then
		lab_fail "wrk ($(basename "$out" .out)) saw errors across the restarts: $(grep -E 'Socket errors|Non-2xx' "$out" | tr -s ' ' | tr '\n' ' ')($reqs requests)"
	fi
	lab_pass "$(basename "$out" .out): $reqs requests in 24 s across kill -9, SIGTERM and a watchdog restart, no socket errors, no non-2xx"
done
lab_ctl list >/dev/null || lab_fail "the last xlbd does not answer"

kill -TERM "$SUPERVISOR"
lab_wait_for 10 _lab_pid_dead "$SUPERVISOR" || lab_fail "the supervisor did not stop"
