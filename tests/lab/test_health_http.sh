#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# http checks under wrk: a stopped nginx leaves new flows in time, comes back after rise; 503 and body mismatch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds wrk jq
lab_init hh
lab_up 3
for i in 1 2 3; do lab_nginx_health "$i"; done

INTERVAL_MS=500 TIMEOUT_MS=300 RISE=2 FALL=2
# Detection can take fall intervals (the first failing run may come just
# under an interval after the change), plus a run's timeout, plus slack.
DOWN_LIMIT_MS=$((FALL * INTERVAL_MS + TIMEOUT_MS + 500))
UP_LIMIT_MS=$((RISE * INTERVAL_MS + TIMEOUT_MS + 500))

cfg=$LABTMP/xlb.yaml
# write_config ON_FAILURE
write_config() {
	lab_write_config "$cfg" family=4 sched=rr
	cat >>"$cfg" <<EOF
    health:
      check: http
      port: 8080
      path: /health
      expect_body: alive
      interval: ${INTERVAL_MS}ms
      timeout: ${TIMEOUT_MS}ms
      rise: $RISE
      fall: $FALL
      on_failure: $1
EOF
}
write_config remove
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3
lab_check_spread 4 30 2 r1=10 r2=10 r3=10
lab_ctl list

R1=$(lab_real_ip4 1) R2=$(lab_real_ip4 2) R3=$(lab_real_ip4 3)
url=$(lab_vip_url 4 /5k)
real_stat() { lab_real_json web4 "$1" | jq -r ".stats.$2"; }
reason_of() { lab_real_json web4 "$1" | jq -r '.health.reason'; }
# wrk has connected once the service counts new flows.
_flows_past() { [ "$(lab_service_stat web4 new_flows)" -gt "$1" ]; }
start_wrk() {
	local f0
	f0=$(lab_service_stat web4 new_flows)
	lab_wrk_bg "$1" "$2" "$url"
	lab_wait_for 5 _flows_past "$f0" || lab_fail "wrk did not start: $(cat "$1")"
}

# --- nginx stopped on r1: out of new flows within fall x interval + timeout (+500 ms).
start_wrk "$LABTMP/wrk.stop" 5s
t0=$(lab_xlbd_now_ms)
lab_stop_nginx 1
polled=$(lab_wait_state_ms 10 web4 "$R1" down) ||
	lab_fail "r1 still $(lab_real_json web4 "$R1" | jq -c '{state, health}') 10s after nginx stopped"
ms=$(lab_changed_ms web4 "$R1" "$t0")
[ "$ms" -le "$DOWN_LIMIT_MS" ] ||
	lab_fail "r1 left new flows $ms ms after nginx stopped (limit $DOWN_LIMIT_MS ms)"
[ "$(reason_of "$R1")" = "connect refused" ] || lab_fail "r1 reason: '$(reason_of "$R1")', expected 'connect refused'"
f1=$(real_stat "$R1" new_flows)
errors=$(lab_wrk_wait "$LABTMP/wrk.stop")
f2=$(real_stat "$R1" new_flows)
[ "$f1" = "$f2" ] || lab_fail "r1 got $((f2 - f1)) new flows after it was marked down"
lab_http_many 20 "$(lab_vip_url 4 /)" >"$LABTMP/after_stop"
[ "$(lab_count_of "$LABTMP/after_stop" r1)" = 0 ] && [ "$(awk '$1 == 200' "$LABTMP/after_stop" | wc -l)" = 20 ] ||
	lab_fail "after r1 went down: $(lab_tally "$LABTMP/after_stop" | tr '\n' ' ')"
lab_pass "nginx stopped on r1: removed from new flows after $ms ms by xlbd's clock, seen by polling after $polled ms (limit $DOWN_LIMIT_MS), reason 'connect refused'; no new flow to r1 since; wrk during the transition: $errors"
lab_ctl list

# --- nginx started again: back after rise x interval.
start_wrk "$LABTMP/wrk.start" 4s
t0=$(lab_xlbd_now_ms)
lab_start_nginx 1
lab_wait_state_ms 10 web4 "$R1" up >/dev/null || lab_fail "r1 not up 10s after nginx started"
ms=$(lab_changed_ms web4 "$R1" "$t0")
[ "$ms" -le "$UP_LIMIT_MS" ] || lab_fail "r1 came back after $ms ms (limit $UP_LIMIT_MS ms)"
# rise 2 means two good checks an interval apart: not before one interval (less the 10 ms grid).
[ "$ms" -ge $(((RISE - 1) * INTERVAL_MS - 20)) ] || lab_fail "r1 came back after $ms ms: sooner than rise allows"
errors=$(lab_wrk_wait "$LABTMP/wrk.start")
lab_http_many 9 "$(lab_vip_url 4 /)" >"$LABTMP/after_start"
[ "$(lab_count_of "$LABTMP/after_start" r1)" = 3 ] ||
	lab_fail "r1 back up but served $(lab_count_of "$LABTMP/after_start" r1) of 9 new requests (expected 3)"
lab_pass "nginx started on r1: back in rotation after $ms ms (rise $RISE x ${INTERVAL_MS}ms; limit $UP_LIMIT_MS), serves 3 of 9 new requests; wrk during the transition: $errors"

# --- on_failure weight0 (reload keeps every real's state), then r2 answers 503.
trans0=$(lab_real_json web4 "$R2" | jq -r .health.transitions)
write_config weight0
lab_reload_xlbd
_weight0() { lab_ctl_json | jq -e '.services[0].health.on_failure == "weight0"'; }
lab_wait_for 5 _weight0 || lab_fail "reload to on_failure weight0 not applied"
lab_json_reals_up web4 3 || lab_fail "a reload changed the reals' state: $(lab_ctl list)"
[ "$(lab_real_json web4 "$R2" | jq -r .health.transitions)" = "$trans0" ] ||
	lab_fail "the reload reset r2's health state"
start_wrk "$LABTMP/wrk.503" 5s
log0=$(lab_access_count 2 '"GET /5k ')
t0=$(lab_xlbd_now_ms)
lab_health_set 2 503
lab_wait_state_ms 10 web4 "$R2" down >/dev/null || lab_fail "r2 answering 503 is still up after 10s"
ms=$(lab_changed_ms web4 "$R2" "$t0")
[ "$(reason_of "$R2")" = "status 503" ] || lab_fail "r2 reason '$(reason_of "$R2")', expected 'status 503'"
[ "$ms" -le "$DOWN_LIMIT_MS" ] || lab_fail "r2 (503) removed after $ms ms (limit $DOWN_LIMIT_MS ms)"
f1=$(real_stat "$R2" new_flows)
log1=$(lab_access_count 2 '"GET /5k ')
errors=$(lab_wrk_wait "$LABTMP/wrk.503")
f2=$(real_stat "$R2" new_flows)
log2=$(lab_access_count 2 '"GET /5k ')
[ "$f1" = "$f2" ] || lab_fail "r2 (weight0, down) got $((f2 - f1)) new flows"
[ "$log2" -gt "$log1" ] ||
	lab_fail "weight0: r2's existing wrk connections stopped when it went down ($log1 -> $log2 requests)"
lab_pass "r2 answering 503: removed by http after $ms ms, reason 'status 503'; weight0 kept its existing flows ($((log2 - log1)) more requests on them, 0 new flows); wrk: $errors"
lab_ctl list
lab_health_set 2 ok
lab_wait_state_ms 10 web4 "$R2" up >/dev/null || lab_fail "r2 not back up after its 503 ended"

# --- r3's /health body lacks "alive".
start_wrk "$LABTMP/wrk.body" 4s
t0=$(lab_xlbd_now_ms)
lab_health_set 3 "maintenance"
lab_wait_state_ms 10 web4 "$R3" down >/dev/null || lab_fail "r3 with the wrong body is still up after 10s"
ms=$(lab_changed_ms web4 "$R3" "$t0")
[ "$ms" -le "$DOWN_LIMIT_MS" ] || lab_fail "r3 (body) removed after $ms ms (limit $DOWN_LIMIT_MS ms)"
[ "$(reason_of "$R3")" = "body mismatch" ] || lab_fail "r3 reason '$(reason_of "$R3")', expected 'body mismatch'"
errors=$(lab_wrk_wait "$LABTMP/wrk.body")
lab_pass "r3 answering 200 'maintenance': removed by the body match after $ms ms, reason 'body mismatch'; wrk: $errors"
lab_ctl list | grep -q "http: body mismatch" || lab_fail "xlbctl list does not show r3's reason: $(lab_ctl list)"
lab_health_set 3 ok
lab_wait_state_ms 10 web4 "$R3" up >/dev/null || lab_fail "r3 not back up"

# Each transition was logged once, with its reason.
n=$(grep -c "real $R2:80 is down (http: status 503; 2 failures in a row)" "$LAB_XLBD_LOG" || true)
[ "$n" = 1 ] || lab_fail "r2's 503 transition logged $n times: $(grep "$R2" "$LAB_XLBD_LOG" | tail -5)"
grep -q "real $R1:80 is up (http: 2 successes in a row)" "$LAB_XLBD_LOG" || lab_fail "r1's return not logged"
lab_ctl list
lab_pass "transitions logged once each with their reason; $(lab_ctl_json | jq -c .health)"
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
