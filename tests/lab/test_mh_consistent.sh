#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# mh across active LBs: two xlbd started independently with the same service
# (same reals, weights, order) pick the same real for every flow, so a flow
# that ECMP moves from one LB to the other needs no state. lb2 reaches that
# config through a different history (started with other reals and weights,
# then reloaded), so its internal real ids differ from lb's: the table is built
# from addresses, ports, weights and order only. The check can fail: one
# weight changed on lb2 gives it another table, and some flows another real.
# And a download moved mid-stream from one LB to the other, with no sync,
# completes: the second LB's hash finds the real (midstream_mh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ha.sh"

lab_require_xlb
lab_require_cmds jq python3 bpftool
lab_ha_init mh
lab_up_ha 3

TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
N=150

# mh_config NS FILE REALS WEIGHTS: an mh service that hashes the client's port too.
mh_config() {
	lab_ha_write_config "$1" "$2" family=4 method=dr sched=mh reals="$3" weights="$4"
	sed -i 's/^    scheduler: mh$/    scheduler: mh\n    scheduler_flags: [port]/' "$2"
}

# real_ids NS: "address=id ..." as the xlbd in NS numbers its reals (ids
# 0-7 of its pinned "reals" map, whose entries start with the address).
real_ids() {
	local id out="" b
	for id in 0 1 2 3 4 5 6 7; do
		read -r -a b < <(bpftool -j map lookup pinned "$LAB_BPFFS/xlb-$1/reals" key $id 0 0 0 |
			jq -r '.value[0:4] | join(" ")')
		[ "$((b[0] | b[1] | b[2] | b[3]))" = 0 ] ||
			out+="$((b[0])).$((b[1])).$((b[2])).$((b[3]))=$id "
	done
	echo "$out"
}

# picks NS OUT: N connections from fixed client ports through the LB in NS.
picks() {
	lab_exec client ip route replace "$LAB_VIP4/32" via "$(lab_lb_addr "$1" 4)" dev eth0
	lab_exec client python3 "$TOOLS/conn_picks.py" "$LAB_CLIENT4" "$LAB_VIP4" 80 "$2" "$N" >"$3"
	! grep -q ' -$' "$3" || lab_fail "through $1: $(grep -c ' -$' "$3") of $N connections failed"
}

mh_config lb "$LABTMP/lb.yaml" "1 2 3" "1 2 1"
# lb2's history: other reals and weights first, then the same config as lb.
mh_config lb2 "$LABTMP/lb2.yaml" "3 2" "5 1"
lab_start_xlbd_in lb "$LABTMP/lb.yaml" nowait
lab_start_xlbd_in lb2 "$LABTMP/lb2.yaml" nowait
lab_wait_xlbd_in lb
lab_wait_xlbd_in lb2
lab_wait_for 10 lab_ha_reals_up lb web4 3 || lab_fail "lb: reals not up"
lab_wait_for 10 lab_ha_reals_up lb2 web4 2 || lab_fail "lb2: reals not up"
mh_config lb2 "$LABTMP/lb2.yaml" "1 2 3" "1 2 1"
lab_reload_xlbd_in lb2
lab_wait_for 10 lab_ha_reals_up lb2 web4 3 || lab_fail "lb2: 3 reals not up after the reload"
ids_a=$(real_ids lb)
ids_b=$(real_ids lb2)
lab_log "real ids: lb $ids_a; lb2 $ids_b"
[ "$ids_a" != "$ids_b" ] || lab_fail "lb and lb2 number their reals alike ($ids_a): the test would not show ids do not matter"

picks lb 20000 "$LABTMP/a"
picks lb2 20000 "$LABTMP/b"
if ! diff -q "$LABTMP/a" "$LABTMP/b" >/dev/null; then
	lab_fail "lb and lb2 picked different reals for $(diff "$LABTMP/a" "$LABTMP/b" | grep -c '^<') of $N flows: $(diff "$LABTMP/a" "$LABTMP/b" | head -6 | tr '\n' ' ')"
fi
spread=$(awk '{ n[$2]++ } END { for (r in n) printf "%s=%d ", r, n[r] }' "$LABTMP/a")
for r in r1 r2 r3; do
	c=$(awk -v r="$r" '$2 == r' "$LABTMP/a" | wc -l)
	[ "$c" -ge 10 ] || lab_fail "$r got $c of $N flows ($spread): mh did not spread them"
done
lab_pass "mh: lb and lb2 (other real ids, reached by a reload) sent each of $N flows to the same real ($spread)"

# A download moved mid-stream from lb to lb2, no sync: lb2 has no state for
# it, and its hash finds the real lb picked (counted midstream_mh).
lab_exec client ip route replace "$LAB_VIP4/32" via "$LAB_LB4" dev eth0
out=$LABTMP/dl.json
lab_bg client "$out" python3 "$TOOLS/slow_download.py" "$LAB_VIP4" 80 /big $((16 * 1024 * 1024)) 3 --ready "$out.ready"
dl=$LAB_BG_LAST
lab_wait_for 10 test -e "$out.ready" || lab_fail "the download through lb did not start"
mid0=$(lab_ha_ctl lb2 --json list | jq -r '.counters.midstream_mh')
lab_exec client ip route replace "$LAB_VIP4/32" via "$LAB_LB2_4" dev eth0
lab_pid_alive "$dl" || lab_fail "the download ended before the move: $(cat "$out")"
lab_wait_for 30 _lab_pid_dead "$dl" || lab_fail "the moved download did not end"
wait "$dl" 2>/dev/null || true
res=$(cat "$out")
[ -z "$(jq -r .error <<<"$res")" ] && [ "$(jq -r .sha256 <<<"$res")" = "$LAB_BIG_SHA256" ] ||
	lab_fail "mh: the download moved from lb to lb2 did not complete: $res"
mid=$(($(lab_ha_ctl lb2 --json list | jq -r '.counters.midstream_mh') - mid0))
[ "$mid" -ge 1 ] || lab_fail "lb2 counted no midstream_mh for the moved download"
lab_pass "mh: a 64 MiB download moved mid-stream from lb to lb2 (no sync) completed, sha256 ok, longest wait for data $(jq -r .max_gap_ms <<<"$res") ms; lb2 picked it up by the hash (midstream_mh +$mid)"

# One weight differs on lb2 (as after an `xlbctl real weight` on one LB only):
# another table, other picks for the flows whose buckets changed hands.
mh_config lb2 "$LABTMP/lb2.yaml" "1 2 3" "1 1 1"
lab_reload_xlbd_in lb2
_weight_applied() { lab_ha_ctl lb2 --json list | jq -e '[.services[] | select(.name == "web4") | .reals[] | select(.address == "'"$(lab_real_ip4 2)"'") | .weight][0] == 1'; }
lab_wait_for 10 _weight_applied || lab_fail "lb2 did not apply the new weight"
picks lb2 21000 "$LABTMP/b2"
picks lb 21000 "$LABTMP/a2"
moved=$(diff "$LABTMP/a2" "$LABTMP/b2" | grep -c '^<' || true)
[ "$moved" -ge 5 ] || lab_fail "a different weight on lb2 moved $moved of $N flows: the comparison above would not catch a mismatch"
lab_pass "mh: r2 with weight 1 on lb2 (2 on lb) sent $moved of $N flows elsewhere: weights must match on every LB"
