#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Connection sync after a peer's clock stepped back: lb runs a year ahead
# (libfaketime), then restarts on the right clock. Its peer must take its
# messages and answer its full-sync request again after the handshake, as
# it did before the restart. (With the wall-clock epoch of sync version 1,
# lb2 kept the future epoch and dropped everything as replayed until it was
# restarted itself.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq
FAKETIME_LIB=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}
[ -r "$FAKETIME_LIB" ] || lab_skip "needs libfaketime (run: make deps)"
lab_ha_init sc
lab_up_ha 1

for ns in lb lb2; do
	if [ "$ns" = lb ]; then prio=200 peer=$LAB_LB2_4; else prio=100 peer=$LAB_LB4; fi
	lab_ha_write_config "$ns" "$LABTMP/$ns.yaml" family=4
	lab_write_ha_block "$LABTMP/$ns.yaml" vrid=51 prio=$prio advert=200ms \
		sync_peer="$peer" sync_listen="$(lab_lb_addr "$ns" 4)"
done

# An xlbd whose CLOCK_REALTIME runs a year ahead (CLOCK_MONOTONIC untouched,
# so timers and flow ages stay right); exec keeps the PID lab_ha.sh records.
XLBD_REAL=$XLBD
cat >"$LABTMP/xlbd-future" <<EOS
#!/bin/sh
LD_PRELOAD=$FAKETIME_LIB FAKETIME=+365d FAKETIME_DONT_FAKE_MONOTONIC=1 exec "$XLBD_REAL" "\$@"
EOS
chmod +x "$LABTMP/xlbd-future"

sync_of() { lab_ha_json "$1" | jq -r ".sync$2"; }
peer_rx() { sync_of "$1" '.peers[0].rx_messages'; }
_more() { [ "$(sync_of "$1" "$2")" -gt "$3" ]; }

lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml"
XLBD=$LABTMP/xlbd-future lab_start_xlbd_in lb "$LABTMP/lb.yaml"
lab_wait_for 10 _more lb2 '.peers[0].rx_messages' 0 ||
	lab_fail "lb2 took no message from lb (clock +1 year): $(sync_of lb2 .counters)"
lab_wait_for 10 _more lb2 .counters.full_syncs_sent 0 ||
	lab_fail "lb2 did not answer lb's full-sync request: $(sync_of lb2 .counters)"
lab_pass "lb running a year ahead: lb2 took its messages ($(peer_rx lb2)) and answered its full-sync request"

rx0=$(peer_rx lb2)
full0=$(sync_of lb2 .counters.full_syncs_sent)
lab_stop_xlbd_in lb
lab_start_xlbd_in lb "$LABTMP/lb.yaml"
lab_wait_for 10 _more lb2 '.peers[0].rx_messages' "$rx0" ||
	lab_fail "lb restarted with its clock a year back: lb2 takes none of its messages ($(sync_of lb2 .counters | jq -c '{rx_replayed, rx_messages}'))"
lab_wait_for 10 _more lb2 .counters.full_syncs_sent "$full0" ||
	lab_fail "lb2 did not answer the restarted lb's full-sync request: $(sync_of lb2 .counters | jq -c .)"
lab_wait_for 10 _more lb '.peers[0].rx_messages' 0 ||
	lab_fail "the restarted lb takes no message from lb2: $(sync_of lb .counters | jq -c .)"
lab_pass "lb restarted with its clock a year back: lb2 took its messages again ($rx0 -> $(peer_rx lb2)) and answered its full-sync request; rx_replayed $(sync_of lb2 .counters.rx_replayed)"
