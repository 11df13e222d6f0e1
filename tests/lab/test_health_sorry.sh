#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The sorry server takes new flows only while every real is down; quorum follows the healthy count.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq
lab_init hy
lab_up 3
for i in 1 2 3; do lab_nginx_health "$i"; done

R1=$(lab_real_ip4 1) R2=$(lab_real_ip4 2) R3=$(lab_real_ip4 3)
cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family=4 sched=rr reals=1,2
cat >>"$cfg" <<EOF
    sorry: {address: $R3}
    quorum: 2
    health:
      check: http
      port: 8080
      path: /health
      expect_body: alive
      interval: 500ms
      timeout: 300ms
      rise: 2
      fall: 2
EOF
lab_start_xlbd "$cfg"
_ready() { lab_real_state_is web4 "$R1" up && lab_real_state_is web4 "$R2" up && lab_real_state_is web4 "$R3" up; }
lab_wait_for 10 _ready || lab_fail "reals and sorry server not up: $(lab_ctl list)"
lab_ctl list
quorum() { lab_ctl_json | jq -c '.services[0].quorum'; }
sorry_active() { lab_ctl_json | jq -r '.services[0].sorry_active'; }

# spread N r1=A r2=B r3=C: N new connections, exactly these counts.
spread() {
	local n=$1 out=$LABTMP/spread.$RANDOM kv
	shift
	lab_http_many "$n" "$(lab_vip_url 4 /)" >"$out"
	for kv in "$@"; do
		[ "$(lab_count_of "$out" "${kv%=*}")" = "${kv#*=}" ] ||
			lab_fail "expected $* of $n; got $(lab_tally "$out" | tr '\n' ' ')"
	done
}

spread 20 r1=10 r2=10 r3=0
[ "$(quorum)" = '{"min":2,"healthy":2,"up":true}' ] || lab_fail "quorum: $(quorum)"
[ "$(sorry_active)" = false ] || lab_fail "sorry server active with every real up"
lab_pass "2 reals up: new flows r1=10 r2=10, the sorry server none; quorum 2/2 met"

lab_health_set 1 503
lab_wait_state_ms 10 web4 "$R1" down >/dev/null || lab_fail "r1 not down"
spread 10 r2=10
[ "$(quorum)" = '{"min":2,"healthy":1,"up":false}' ] || lab_fail "quorum with r1 down: $(quorum)"
grep -q "service web4: quorum lost (1 healthy reals, 2 needed)" "$LAB_XLBD_LOG" ||
	lab_fail "quorum loss not logged"
[ "$(sorry_active)" = false ] || lab_fail "sorry server active while r2 is up"
lab_pass "r1 down: all new flows to r2, sorry server still idle; quorum lost (1 of 2), logged"

lab_health_set 2 503
lab_wait_state_ms 10 web4 "$R2" down >/dev/null || lab_fail "r2 not down"
[ "$(sorry_active)" = true ] || lab_fail "every real down but the sorry server is not active"
spread 10 r3=10
lab_pass "every real down: new flows go to the sorry server r3 (10 of 10)"
lab_ctl list

lab_health_set 1 ok
lab_wait_state_ms 10 web4 "$R1" up >/dev/null || lab_fail "r1 not back"
[ "$(sorry_active)" = false ] || lab_fail "r1 is back but the sorry server is still active"
spread 10 r1=10
lab_pass "r1 back: new flows to r1 again (10 of 10), the sorry server idle"
lab_stop_xlbd || lab_fail "xlbd exited with status $LAB_XLBD_STATUS on SIGTERM"
