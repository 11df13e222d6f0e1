#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Scale-out over BGP + ECMP (issue 15), part 1: three xlb nodes announce the
# VIP through their BIRD to a router running BIRD with kernel ECMP.
#   Spread: 300 new connections are spread over the three nodes (100 +- 30 each).
#   Quorum: one node's health checks fail (its probes dropped on the reals):
#           it alone withdraws the VIP; the others keep serving, no request fails.
#   Drain:  xlbctl drain-node withdraws a node's VIP; undrain-node brings it back.
# Part 2 (test_bgp_leave_join.sh): nodes leaving and joining under load.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"
. "$(dirname "$0")/lib_bgp.sh"

lab_require_xlb
lab_bgp_init bg
lab_bgp_up 3 3
lab_bgp_start_lbs 1 2 3
lab_bgp_wait_paths 3 20 || lab_fail "the router did not get 3 paths to the VIP: $(lab_bgp_nexthops | tr '\n' ' '); lb1: $(lab_ha_ctl lb1 bgp)"
lab_pass "three nodes announce $LAB_BGP_VIP; the router installed one route with next hops $(lab_bgp_nexthops | tr '\n' ' ')"
# The router may install a path before that node's xlbd polls BIRD (once a second).
_announced() { lab_bgp_json "$1" | jq -e '.vips[0].announced' >/dev/null; }
for i in 1 2 3; do
	lab_wait_for 5 _announced "$i" ||
		lab_fail "lb$i: xlbctl bgp says the VIP is not announced: $(lab_bgp_json "$i" | jq -r '.vips[0] | "\(.announced) \(.reason)"')"
done
lab_ha_ctl lb1 bgp >"$LABTMP/bgp-lb1.txt"
grep -qE "^$LAB_BGP_VIP +announced +quorum met" "$LABTMP/bgp-lb1.txt" ||
	lab_fail "xlbctl bgp does not show the VIP announced: $(cat "$LABTMP/bgp-lb1.txt")"
lab_pass "xlbctl bgp on each node: VIP announced ($(grep -E "^$LAB_BGP_VIP" "$LABTMP/bgp-lb1.txt" | tr -s ' '))"

# ---------------------------------------------------------------- Spread
declare -A before
for i in 1 2 3; do before[$i]=$(lab_bgp_new_flows "$i"); done
lab_bgp_requests 300
ok=$LAB_BGP_OK
[ "$ok" -eq 300 ] || lab_fail "spread: $ok of 300 requests succeeded"
counts=""
for i in 1 2 3; do
	n=$(($(lab_bgp_new_flows "$i") - before[$i]))
	counts="$counts lb$i=$n"
	lab_within "$n" 100 30 || lab_fail "spread: lb$i took $n of 300 new connections (expected 100 +- 30):$counts"
done
lab_pass "spread: 300 new connections over the three nodes:$counts"

# ---------------------------------------------------------------- Quorum
# lb1's health probes (from its own address) are dropped on every real; the
# client's packets, which lb1 forwards with the client's source, are not.
for r in "${LAB_REALS[@]}"; do
	lab_exec "r$r" nft -f - <<EOF
table inet xlbtest {
	chain input {
		type filter hook input priority 0;
		ip saddr $(lab_bgp_lb_ip 1) tcp dport 80 drop
	}
}
EOF
done
LAB_BGP_T0_US=$(_lab_now_us)
ms=$(lab_bgp_wait_gone_ms 1 10000) || lab_fail "quorum: the router still routes via lb1 10 s after its checks started failing: $(lab_ha_ctl lb1 bgp)"
ms=$(lab_bgp_route_gone_ms 1) || true # the kernel's own time of the change (polling adds to ms)
reason=$(lab_bgp_json 1 | jq -r '.vips[0].reason')
[[ $reason == "quorum lost"* ]] || lab_fail "quorum: lb1 gives another reason: $reason"
lab_bgp_wait_paths 2 10 || lab_fail "quorum: the others' paths went too: $(lab_bgp_nexthops | tr '\n' ' ')"
lab_pass "quorum: lb1's checks failed (its probes dropped on the reals): it withdrew the VIP, gone from the router ${ms} ms after the drop (checks every 200 ms, fall 2); xlbctl bgp: '$reason'"
_metric_is() { lab_exec lb1 curl -s --max-time 2 http://127.0.0.1:9469/metrics | grep -qx "$1"; }
lab_wait_for 3 _metric_is "xlb_vip_announced{vip=\"$LAB_BGP_VIP\"} 0" ||
	lab_fail "quorum: lb1's metrics do not say the VIP is withdrawn: $(lab_exec lb1 curl -s http://127.0.0.1:9469/metrics | grep -E 'vip|bgp')"
lab_pass "quorum: lb1's metrics: $(lab_exec lb1 curl -s http://127.0.0.1:9469/metrics | grep -E '^xlb_(vip|bgp_session)' | tr '\n' ' ')"
lab_bgp_requests 100
ok=$LAB_BGP_OK
[ "$ok" -eq 100 ] || lab_fail "quorum: $ok of 100 requests after the withdrawal answered 200 (lb1 must get none)"
for i in 2 3; do
	lab_bgp_json "$i" | jq -e '.vips[0].announced' >/dev/null || lab_fail "quorum: lb$i withdrew too"
done
lab_pass "quorum: 100 of 100 requests answered by lb2 and lb3 after the withdrawal"
for r in "${LAB_REALS[@]}"; do lab_exec "r$r" nft delete table inet xlbtest; done
lab_bgp_wait_paths 3 10 || lab_fail "quorum: lb1 did not announce again after its checks passed: $(lab_ha_ctl lb1 bgp)"
lab_pass "quorum: lb1's checks pass again and it announces the VIP again"

# ---------------------------------------------------------------- Drain
LAB_BGP_T0_US=$(_lab_now_us)
out=$(lab_ha_ctl lb2 drain-node) || lab_fail "drain-node failed: $out"
ms=$(lab_bgp_wait_gone_ms 2 5000) || lab_fail "drain: the router still routes via lb2: $(lab_ha_ctl lb2 bgp)"
ms=$(lab_bgp_route_gone_ms 2) || true
lab_bgp_json 2 | jq -e '.draining and (.vips[0].announced | not) and (.vips[0].reason | startswith("draining"))' >/dev/null ||
	lab_fail "drain: xlbctl bgp on lb2: $(lab_bgp_json 2 | jq -c .)"
lab_bgp_requests 50
ok=$LAB_BGP_OK
[ "$ok" -eq 50 ] || lab_fail "drain: $ok of 50 requests answered 200"
lab_ha_ctl lb2 undrain-node >/dev/null || lab_fail "undrain-node failed"
lab_bgp_wait_paths 3 10 || lab_fail "undrain: lb2 did not come back"
lab_pass "drain: xlbctl drain-node withdrew lb2's VIP in ${ms} ms (no request failed); undrain-node announced it again"

# ---------------------------------------------------------------- Reload, BIRD's own death
# A reload rewrites BIRD's config and has it reload: the session stays up.
since=$(lab_bgp_json 3 | jq -r '.peers[0].since')
reloads=$(grep -c 'reloaded:' "$LABTMP/xlbd-lb3.log" || true)
lab_reload_xlbd_in lb3
_reloaded() { [ "$(grep -c 'reloaded:' "$LABTMP/xlbd-lb3.log")" -gt "$reloads" ]; }
lab_wait_for 10 _reloaded || lab_fail "reload: lb3 did not reload"
_polled_after_reload() { lab_bgp_json 3 | jq -e '.bird.configured and .peers[0].up' >/dev/null; }
lab_wait_for 5 _polled_after_reload || lab_fail "reload: lb3's session is not up: $(lab_ha_ctl lb3 bgp)"
[ "$(lab_bgp_json 3 | jq -r '.peers[0].since')" = "$since" ] ||
	lab_fail "reload: lb3's BGP session restarted (since $since -> $(lab_bgp_json 3 | jq -r '.peers[0].since'))"
lab_bgp_has_path 3 || lab_fail "reload: the router lost lb3"
lab_pass "reload: SIGHUP rewrote lb3's BIRD config and BIRD reloaded it; the session stayed up (since $since) and so did the route"
# BIRD killed on its own: its routes go, xlbd starts it again, they come back.
bird_pid=$(lab_bgp_json 3 | jq -r .bird.pid)
kill -KILL "$bird_pid"
LAB_BGP_T0_US=$(_lab_now_us)
lab_bgp_wait_gone_ms 3 5000 >/dev/null || lab_fail "bird killed: the router still routes via lb3"
lab_wait_for 15 lab_bgp_has_path 3 || lab_fail "bird killed: lb3 did not come back: $(lab_ha_ctl lb3 bgp)"
back_ms=$((($(_lab_now_us) - LAB_BGP_T0_US) / 1000))
starts=$(lab_bgp_json 3 | jq -r .bird.starts)
[ "$starts" -eq 2 ] || lab_fail "bird killed: lb3 started BIRD $starts times"
lab_pass "BIRD killed alone: lb3's route went, xlbd started BIRD again (starts: $starts) and the route was back ${back_ms} ms later"
# BIRD wedged (SIGSTOP: its process stays, its control socket answers
# nothing): the router's BFD drops lb3; xlbd reconnects once, then kills
# and restarts it (2 unanswered commands of 5 s, then the exit backoff).
bird_pid=$(lab_bgp_json 3 | jq -r .bird.pid)
kill -STOP "$bird_pid"
LAB_BGP_T0_US=$(_lab_now_us)
lab_bgp_wait_gone_ms 3 5000 >/dev/null || { kill -CONT "$bird_pid"; lab_fail "bird wedged: the router still routes via lb3"; }
_restarted() { [ "$(lab_bgp_json 3 | jq -r .bird.starts)" -eq 3 ]; }
lab_wait_for 20 _restarted || { kill -CONT "$bird_pid"; lab_fail "bird wedged: xlbd did not restart it: $(lab_ha_ctl lb3 bgp)"; }
lab_wait_for 15 lab_bgp_has_path 3 || lab_fail "bird wedged: lb3 did not come back: $(lab_ha_ctl lb3 bgp)"
back_ms=$((($(_lab_now_us) - LAB_BGP_T0_US) / 1000))
grep -q "bgp: BIRD wedged" "$LABTMP/xlbd-lb3.log" || lab_fail "bird wedged: xlbd did not say why it restarted BIRD"
lab_pass "BIRD wedged (SIGSTOP): the router dropped lb3 (BFD); xlbd found BIRD's control socket silent, restarted it, the route was back ${back_ms} ms later"

# ---------------------------------------------------------------- metrics, xlbd -t
# The router has the path before xlbd's next poll of BIRD (once a second) sees the session.
_session_up() { lab_ha_ctl lb3 --json bgp | jq -e '.peers[0].up'; }
lab_wait_for 5 _session_up || lab_fail "lb3: session not shown up: $(lab_ha_ctl lb3 bgp)"
bad=$LABTMP/bad.yaml
sed 's/^  asn: 65001$/  asn: 0/' "$LABTMP/lb1.yaml" >"$bad"
if "$XLBD" -t -c "$bad" >"$LABTMP/t.out" 2>&1; then lab_fail "xlbd -t accepted asn 0"; fi
grep -qE "^$bad:[0-9]+: .*asn" "$LABTMP/t.out" || lab_fail "xlbd -t: no FILE:LINE error for asn 0: $(cat "$LABTMP/t.out")"
msg=$(head -1 "$LABTMP/t.out")
"$XLBD" -t -c "$LABTMP/lb1.yaml" >"$LABTMP/t.out" 2>&1 || lab_fail "xlbd -t refused a good config: $(cat "$LABTMP/t.out")"
lab_pass "xlbd -t: checks bgp: with BIRD itself; a bad asn is a FILE:LINE error ($msg)"
