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
	local rc=$?
	local took=$((SECONDS - start))
	case $rc in
	0) passed=$((passed + 1)); echo "=== PASS $name (${took}s)" ;;
	77) skipped=$((skipped + 1)); echo "=== SKIP $name" ;;
	*) failed=$((failed + 1)); failures+=("$name"); echo "=== FAIL $name (exit $rc, ${took}s)" ;;
	esac
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
		for t in tests/lab/test_*.sh; do
			[ -x "$t" ] && run_one "lab/${t##*/}" "$t"
		done ;;
	*) echo "run.sh: unknown tier '$tier' (expected unit, bpf, lab or all)" >&2; exit 2 ;;
	esac
done

for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
