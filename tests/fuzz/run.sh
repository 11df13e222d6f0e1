#!/usr/bin/env bash
# Runs the libFuzzer harnesses one after another and prints one line per
# harness (executions, exec/s, coverage) and a verdict. `make fuzz` runs
# each for FUZZ_SECONDS; tests/lab/test_fuzz_short.sh gives each a few
# seconds. A crash, a sanitizer report, an invariant failure, a timeout or
# running out of memory fails the harness; its input is kept as an artifact
# in $BUILD/fuzz/artifacts/ (add it to tests/fuzz/corpus/NAME/ once fixed,
# as a regression seed: see tests/fuzz/README.md).
#
# Usage: tests/fuzz/run.sh [--seconds N] [--pkt-seconds N] [--scratch] [NAME...]
#   NAME: config sync vrrp ctl health_http proxy_http pkt (default: all built)
#   --scratch: a fresh corpus in a temporary directory (else $BUILD/fuzz/corpus/NAME
#              grows from run to run); the seeds in tests/fuzz/corpus/NAME are
#              read in either case, never written.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
seconds=60 pkt_seconds= scratch= names=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--pkt-seconds) pkt_seconds=$2; shift 2 ;;
	--scratch) scratch=1; shift ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
pkt_seconds=${pkt_seconds:-$seconds}
if [ ${#names[@]} -eq 0 ]; then
	for b in "$BUILD"/fuzz/fuzz_*; do [ -x "$b" ] && names+=("${b##*/fuzz_}"); done
fi
if [ ${#names[@]} -eq 0 ]; then
	echo "run.sh: no harnesses in $BUILD/fuzz (run make fuzz-build)" >&2
	exit 2
fi

logs=$BUILD/fuzz/logs artifacts=$BUILD/fuzz/artifacts
mkdir -p "$logs" "$artifacts"
tmp=
if [ -n "$scratch" ]; then
	tmp=$(mktemp -d /tmp/xlb-fuzz.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
fi

failed=() skipped=()
printf '%-12s %6s %10s %9s %6s %7s  %s\n' harness secs execs exec/s cov ft result
for name in "${names[@]}"; do
	bin=$BUILD/fuzz/fuzz_$name seeds=tests/fuzz/corpus/$name
	secs=$seconds opts=()
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin is not built (make fuzz-build)" >&2
		failed+=("$name"); continue
	fi
	case $name in
	pkt)
		secs=$pkt_seconds
		# BPF_PROG_TEST_RUN and its own network namespace need root.
		if [ "$(id -u)" != 0 ]; then
			printf '%-12s %6s %10s %9s %6s %7s  %s\n' "$name" - - - - - "skipped (needs root)"
			skipped+=("$name"); continue
		fi
		opts+=(-max_len=8192) ;;
	config) opts+=(-max_len=8192) ;;
	esac
	[ -f "tests/fuzz/dict/$name.dict" ] && opts+=("-dict=tests/fuzz/dict/$name.dict")
	work=${tmp:+$tmp/$name}
	work=${work:-$BUILD/fuzz/corpus/$name}
	mkdir -p "$work"
	log=$logs/$name.log
	start=$SECONDS
	# -timeout: one input may take 10 s (fuzz_pkt loads nothing per input);
	# stdin from /dev/null: nothing a harness does may wait for a terminal.
	# Exit codes of our own: libFuzzer's default 77 would read as "skipped" to tests/run.sh.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
		-error_exitcode=1 -timeout_exitcode=2 \
		-artifact_prefix="$artifacts/$name-" "${opts[@]}" "$work" "$seeds" \
		</dev/null >"$log" 2>&1
	rc=$?
	took=$((SECONDS - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	if [ $rc -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc, log $log)"
		failed+=("$name")
	fi
	printf '%-12s %6s %10s %9s %6s %7s  %s\n' "$name" "$took" "${execs:--}" "${rate:--}" \
		"${cov:--}" "${ft:--}" "$result"
	if [ $rc -ne 0 ]; then
		grep -E -B12 -A2 'INVARIANT FAILED' "$log" | grep -v '^==' | head -24 | sed 's/^/    /'
		grep -E -A3 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$log" |
			head -12 | sed 's/^/    /'
		grep -E 'ERROR: libFuzzer: (timeout|out-of-memory)' "$log" | head -2 | sed 's/^/    /'
		ls -1 "$artifacts/$name-"* 2>/dev/null | tail -3 | sed 's/^/    artifact: /'
	fi
done
[ ${#skipped[@]} -gt 0 ] && echo "skipped: ${skipped[*]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
	exit 1
fi
[ ${#skipped[@]} -eq ${#names[@]} ] && exit 77
exit 0
