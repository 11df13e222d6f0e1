#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# metrics: a scrape passes promtool; a real Prometheus server scraping xlbd
# reports a real's connection rate within 20% of what the client made; the
# dashboard, loaded in headless Chromium, shows the three reals live, one of
# them down after its nginx stops (XLB_SCREENSHOT=FILE.png keeps a picture).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_xlb
lab_require_cmds jq python3 promtool prometheus chromium curl
lab_init met
lab_up 3

PORT=9469 PROM_PORT=9090
cfg=$LABTMP/xlb.yaml
lab_write_config "$cfg" family=4 sched=rr
cat >>"$cfg" <<EOF
    health:
      check: tcp
      interval: 300ms
      timeout: 200ms
      rise: 1
      fall: 2
metrics:
  listen: 127.0.0.1:$PORT
EOF
lab_start_xlbd "$cfg"
lab_wait_reals_up web4 3
base=http://127.0.0.1:$PORT

# --- one scrape: promtool's lint, the families we promise, the scrape time.
lab_exec lb curl -sf -o "$LABTMP/scrape.txt" -w '%{time_total}\n' "$base/metrics" >"$LABTMP/scrape.time" ||
	lab_fail "GET /metrics failed"
promtool check metrics <"$LABTMP/scrape.txt" >"$LABTMP/promtool.out" 2>&1 ||
	lab_fail "promtool check metrics: $(head -5 "$LABTMP/promtool.out")"
for fam in xlb_build_info xlb_real_packets_total xlb_real_bytes_total xlb_real_new_flows_total \
	xlb_real_active_connections xlb_real_inactive_connections xlb_real_health_state \
	xlb_real_health_transitions_total xlb_real_health_check_duration_seconds \
	xlb_service_packets_total xlb_dataplane_packets_total xlb_flow_table_max_entries \
	xlb_sync_enabled; do
	grep -q "^# TYPE $fam " "$LABTMP/scrape.txt" || lab_fail "no $fam in the scrape"
done
# Every data-plane counter xlbctl stats knows is in the scrape under its own name.
for c in $(lab_ctl_json | jq -r '.counters | keys[]'); do
	grep -q "^xlb_dataplane_packets_total{reason=\"$c\"} " "$LABTMP/scrape.txt" ||
		lab_fail "data-plane counter $c missing from the scrape"
done
ncnt=$(lab_ctl_json | jq '.counters | length')
bt=$(awk '$1 == "xlb_status_build_seconds" { print $2 }' "$LABTMP/scrape.txt")
lab_pass "scrape: promtool clean, $(wc -l <"$LABTMP/scrape.txt") lines, all $ncnt data-plane counters, $(cat "$LABTMP/scrape.time")s (snapshot ${bt}s of the main loop)"

# --- Prometheus in the LB namespace scrapes xlbd every second.
mkdir -p "$LABTMP/prom"
cat >"$LABTMP/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: xlb
    static_configs: [{targets: ['127.0.0.1:$PORT']}]
EOF
lab_bg lb "$LABTMP/prometheus.log" prometheus --config.file="$LABTMP/prometheus.yml" \
	--storage.tsdb.path="$LABTMP/prom" --web.listen-address="127.0.0.1:$PROM_PORT" \
	--storage.tsdb.retention.time=1h
papi=http://127.0.0.1:$PROM_PORT/api/v1
# promql EXPR [TIME]: the first sample's value, empty if none.
promql() {
	lab_exec lb curl -sf --max-time 3 "$papi/query" --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} |
		jq -r '.data.result[0].value[1] // empty'
}
_prom_up() { [ "$(promql 'up{job="xlb"}')" = 1 ]; }
lab_wait_for 20 _prom_up || lab_fail "Prometheus never scraped xlbd: $(tail -3 "$LABTMP/prometheus.log")"

# A paced client: RATE new connections a second for SECS, each answered by
# one real (the body names it); prints start and end (Unix time) and per-real counts.
R1=$(lab_real_ip4 1)
lab_exec client python3 - "$LAB_VIP4" 60 6 >"$LABTMP/load.out" <<'PY'
import socket, sys, time
vip, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
start = time.time(); n = 0; per = {}
while True:
    due = start + n / rate
    if due - start >= secs:
        break
    time.sleep(max(0, due - time.time()))
    s = socket.create_connection((vip, 80), timeout=3)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    body = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        body += d
    s.close()
    name = body.split(b"\r\n\r\n", 1)[1].strip().decode()
    per[name] = per.get(name, 0) + 1
    n += 1
print(start, time.time(), " ".join(f"{k}={v}" for k, v in sorted(per.items())))
PY
read -r t0 t1 counts <"$LABTMP/load.out"
r1n=$(tr ' ' '\n' <<<"$counts" | awk -F= '$1 == "r1" { print $2 }')
[ -n "$r1n" ] || lab_fail "the load reached no r1: $counts"
expected=$(awk -v n="$r1n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", n / (b - a) }')
# The window ends a second before the load does and lies wholly inside it.
at=$(awk -v b="$t1" 'BEGIN { printf "%.3f", b - 1 }')
q="rate(xlb_real_new_flows_total{service=\"web4\",real=\"$R1:80\"}[4s])"
_rate_known() { got=$(promql "$q" "$at"); [ -n "$got" ]; }
got=
lab_wait_for 5 _rate_known || lab_fail "Prometheus has no $q at $at"
awk -v g="$got" -v e="$expected" 'BEGIN { exit !(g >= 0.8 * e && g <= 1.2 * e) }' ||
	lab_fail "PromQL $q = $got, expected $expected +-20% (client: $counts in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')s)"
lab_pass "PromQL rate of r1's new flows: $got/s, expected $expected/s (client: $counts)"

# --- Dashboard: r2's nginx stops; Chromium waits for the live data.
R2=$(lab_real_ip4 2)
lab_stop_nginx 2
lab_wait_state_ms 10 web4 "$R2" down >/dev/null || lab_fail "r2 never went down: $(lab_real_json web4 "$R2")"
prof=$(mktemp -d "$LABTMP/chromium.XXXXXX")
chrome() {
	lab_exec lb chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --user-data-dir="$prof" "$@" 2>>"$LABTMP/chromium.log"
}
chrome --virtual-time-budget=4000 --dump-dom "$base/" >"$LABTMP/dom.html" ||
	lab_fail "chromium --dump-dom failed: $(tail -3 "$LABTMP/chromium.log")"
live=$(grep -o '<body data-live="[0-9]*"' "$LABTMP/dom.html" | grep -o '[0-9]*' || true)
[ "${live:-0}" -ge 1 ] || lab_fail "the dashboard never rendered live data (data-live=${live:-?})"
row_state() { grep -o "data-real=\"$1:80\" data-state=\"[a-z-]*\"" "$LABTMP/dom.html" | sed 's/.*data-state="//; s/"//'; }
s1=$(row_state "$R1") s2=$(row_state "$R2") s3=$(row_state "$(lab_real_ip4 3)")
[ "$s1/$s2/$s3" = "up/down/up" ] || lab_fail "dashboard shows r1/r2/r3 as '$s1/$s2/$s3', expected up/down/up"
lab_pass "dashboard (JavaScript, live update $live): r1 up, r2 down, r3 up"
# Without JavaScript the static table says the same.
lab_exec lb curl -sf "$base/" >"$LABTMP/static.html" || lab_fail "GET / failed"
grep -q "data-real=\"$R2:80\" data-state=\"down\"" "$LABTMP/static.html" ||
	lab_fail "the static page does not show r2 down"
if [ -n "${XLB_SCREENSHOT:-}" ]; then
	chrome --virtual-time-budget=4000 --window-size=1280,720 --hide-scrollbars \
		--screenshot="$XLB_SCREENSHOT" "$base/" >/dev/null || lab_fail "screenshot failed"
	lab_log "screenshot: $XLB_SCREENSHOT"
fi
lab_pass "dashboard without JavaScript shows r2 down too"

# Read-only: other methods are refused; unknown paths 404.
code=$(lab_exec lb curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$base/metrics")
[ "$code" = 405 ] || lab_fail "POST /metrics answered $code, expected 405"
code=$(lab_exec lb curl -s -o /dev/null -w '%{http_code}' "$base/nope")
[ "$code" = 404 ] || lab_fail "GET /nope answered $code, expected 404"
lab_pass "read-only: POST 405, unknown path 404"
