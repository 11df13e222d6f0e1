#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# SIGHUP reload: a real added under load keeps running flows; a bad config is refused and logged.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq
lab_init rl
lab_up 2

cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family=4 sched=rr reals=1,2
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 2
lab_check_spread 4 100 3 r1=50 r2=50

# A download through the VIP, rate-limited to last ~8 s, so it is in flight
# across the reload. Its flow is pinned to r1 or r2 and must stay there.
big=$LABTMP/big.dl
curl_out=$LABTMP/big.curl
lab_bg client "$curl_out" curl -s --limit-rate 8M --max-time 40 -o "$big" \
	-w '%{http_code} %{size_download}\n' "$(lab_vip_url 4 /big)"
dl_pid=$LAB_BG_LAST
_dl_started() { [ -f "$big" ] && [ "$(stat -c %s "$big")" -gt $((1024 * 1024)) ]; }
lab_wait_for 10 _dl_started || lab_fail "download of /big through the VIP did not start: $(cat "$curl_out")"
lab_pass "rate-limited /big download running through the VIP ($(stat -c %s "$big") bytes so far)"

# Add r3 to the lab and to the config, then reload.
lab_add_real 3
lab_write_config "$cfg" family=4 sched=rr reals=1,2,3
lab_reload_xlbd
# (lab_http_many in this shell, not in a pipe: it counts its source ports.)
_r3_serves() {
	lab_http_many 1 "$(lab_vip_url 4 /)" >"$LABTMP/poll.out"
	grep -q ' r3$' "$LABTMP/poll.out"
}
t0=$(_lab_now_us)
lab_wait_for 10 _r3_serves || lab_fail "no request reached r3 within 10s of SIGHUP: $(lab_ctl list 2>&1 | tr '\n' ' ')"
lab_pass "after SIGHUP, requests reach r3 within $((($(_lab_now_us) - t0) / 1000)) ms"
lab_wait_reals_up web4 3

# The download must end complete and intact: the reload kept its flow.
lab_pid_alive "$dl_pid" || lab_fail "the download had already ended at the reload check: $(cat "$curl_out")"
lab_wait_for 40 _lab_pid_dead "$dl_pid" || lab_fail "download did not finish in 40s"
rc=0
wait "$dl_pid" || rc=$?
read -r code size <"$curl_out" || true
sum=$(sha256sum "$big" | cut -d' ' -f1)
if [ "$rc" -ne 0 ] || [ "${code:-}" != 200 ] || [ "${size:-}" != "$LAB_BIG_SIZE" ] || [ "$sum" != "$LAB_BIG_SHA256" ]; then
	lab_fail "download across the reload: curl exit $rc, HTTP ${code:-?}, ${size:-?} of $LAB_BIG_SIZE bytes, sha256 ok: $([ "$sum" = "$LAB_BIG_SHA256" ] && echo yes || echo no)"
fi
rm -f "$big"
lab_pass "download across the reload completed: $size bytes, sha256 matches, no reset"

lab_check_spread 4 300 5 r1=100 r2=100 r3=100

# A broken config: SIGHUP must log FILE:LINE and keep the running config.
good=$LABTMP/xlb.good.yaml
cp "$cfg" "$good"
sed 's/^    vip: 10.200.0.200$/    vip: 10.200.0.300/' "$good" >"$cfg"
bad_line=$(grep -n '10.200.0.300' "$cfg" | cut -d: -f1)
[ -n "$bad_line" ] || lab_fail "test bug: could not break the config"
_logged_error() { grep -q -- "$cfg:$bad_line:" "$LAB_XLBD_LOG"; }
lab_reload_xlbd
lab_wait_for 5 _logged_error || lab_fail "xlbd did not log '$cfg:$bad_line: ...' after SIGHUP with a bad config; log tail: $(tail -5 "$LAB_XLBD_LOG" | tr '\n' ' ')"
lab_pass "bad config refused: $(grep -m1 -- "$cfg:$bad_line:" "$LAB_XLBD_LOG")"
lab_pid_alive "$LAB_XLBD_PID" || lab_fail "xlbd died after a reload with a bad config"
lab_ctl list >/dev/null || lab_fail "xlbd control socket dead after a bad reload"
lab_wait_reals_up web4 3
lab_check_spread 4 300 5 r1=100 r2=100 r3=100
lab_pass "xlbd still running and balancing over 3 reals with the previous config"

# A restart over the maps pinned by the previous run (an upgrade, or a
# mode change) must load and keep balancing.
cp "$good" "$cfg"
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3
lab_check_spread 4 300 5 r1=100 r2=100 r3=100
lab_pass "xlbd restarted over its pinned maps and balances again"
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
