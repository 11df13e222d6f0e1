#!/usr/bin/env bash
# Runs the test tiers (unit, bpf, lab, or all) and ends with one summary line.
# A test is an executable: exit 0 = passed, 77 = skipped, anything else = failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
tiers=${1:-all}
[ "$tiers" = all ] && tiers="unit bpf lab"

passed=0 failed=0 skipped=0 failures=()
run_one() {
	local name=$1; shift
	local start=$SECONDS
	echo "=== RUN  $name"
	"$@"
	record "$name" $? $((SECONDS - start))
}

# Lab tests mostly wait (rate-limited downloads, timers, health checks), so
# LAB_JOBS of them run at once, each in its own namespaces; the ones that
# measure time or saturate the CPUs (failover and health timing, the SYN
# flood, the benchmarks) run alone afterwards. Output is shown per test, whole.
LAB_JOBS=${LAB_JOBS:-2}
LAB_SERIAL=" test_bench_quick.sh test_flow_pressure.sh test_dp_start_replace.sh test_restart.sh "
LAB_SERIAL+=" test_ha_vrrp.sh test_ha_sync.sh test_ha_vrrp_guard.sh test_ha_sync_clock.sh test_ha_isolation.sh test_ha_track.sh "
LAB_SERIAL+=" test_health_http.sh test_health_net.sh test_health_sorry.sh test_slow_start.sh "
LAB_SERIAL+=" test_conns.sh test_cleanup.sh test_rs_decap.sh test_rs_updown.sh "

record() {
	local name=$1 rc=$2 took=$3
	case $rc in
	0) passed=$((passed + 1)); echo "=== PASS $name (${took}s)" ;;
	77) skipped=$((skipped + 1)); echo "=== SKIP $name" ;;
	*) failed=$((failed + 1)); failures+=("$name"); echo "=== FAIL $name (exit $rc, ${took}s)" ;;
	esac
}

run_lab() {
	local t base logs pid
	local -A job_name=() job_log=() job_start=()
	logs=$(mktemp -d /tmp/xlb-lab-logs.XXXXXX)
	for t in tests/lab/test_*.sh; do
		[ -x "$t" ] || continue
		base=${t##*/}
		case $LAB_SERIAL in *" $base "*) continue ;; esac
		while [ "$(jobs -rp | wc -l)" -ge "$LAB_JOBS" ]; do
			reap_one
		done
		"$t" >"$logs/$base.log" 2>&1 &
		pid=$!
		job_name[$pid]=lab/$base
		job_log[$pid]=$logs/$base.log
		job_start[$pid]=$SECONDS
		echo "=== RUN  lab/$base (in parallel)"
	done
	while [ "$(jobs -rp | wc -l)" -gt 0 ] || [ ${#job_name[@]} -gt 0 ]; do
		reap_one || break
	done
	rm -rf "$logs"
	for t in tests/lab/test_*.sh; do
		base=${t##*/}
		case $LAB_SERIAL in *" $base "*) [ -x "$t" ] && run_one "lab/$base" "$t" ;; esac
	done
}

# Waits for any lab job, prints its whole output and records it.
reap_one() {
	local pid rc
	[ ${#job_name[@]} -gt 0 ] || return 1
	wait -n -p pid "${!job_name[@]}"
	rc=$?
	[ -n "${pid:-}" ] || return 1
	echo "=== OUTPUT ${job_name[$pid]}"
	cat "${job_log[$pid]}"
	record "${job_name[$pid]}" "$rc" $((SECONDS - job_start[$pid]))
	unset "job_name[$pid]" "job_log[$pid]" "job_start[$pid]"
	return 0
}

for tier in $tiers; do
	case $tier in
	unit)
		for t in "$BUILD"/tests/test_*; do
			case $t in */test_pkt_*) continue ;; esac
			[ -x "$t" ] && run_one "unit/${t##*/}" "$t"
		done ;;
	bpf)
		for t in "$BUILD"/tests/test_pkt_*; do
			[ -x "$t" ] && run_one "bpf/${t##*/}" "$t"
		done ;;
	lab)
		run_lab ;;
	*) echo "run.sh: unknown tier '$tier' (expected unit, bpf, lab or all)" >&2; exit 2 ;;
	esac
done

for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
