#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make bench-quick` runs end to end: the BMT (bench/bmt.sh, QUICK=1) writes
# its summary table and every chart, and every configuration has a non-zero
# req/s in every test or an explicit "skipped: ..." reason; only those that
# need software from outside xlb (HAProxy, nginx, nft) may be skipped, so
# direct and every xlb-* configuration must be measured; bench-pkt and
# bench-pps (QUICK=1) finish. Speed is reported by the bench, not asserted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lab_require_root
lab_require_xlb
lab_require_cmds make ab wrk jq python3 gnuplot shuf timeout

OUT=$(mktemp -d /tmp/xlb-bench-quick.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
log=$OUT/make.log
t0=$SECONDS
if ! make -C "$LAB_ROOT" --no-print-directory BUILD="${BUILD:-build}" OUT="$OUT/bmt" bench-quick >"$log" 2>&1; then
	tail -n 40 "$log"
	lab_fail "make bench-quick failed (log tail above)"
fi
took=$((SECONDS - t0))
bmt=$OUT/bmt

[ -s "$bmt/summary.md" ] || lab_fail "no summary table $bmt/summary.md"
grep -q '^## Headline' "$bmt/summary.md" || lab_fail "summary.md has no headline table"
grep -q '^| direct (no LB) | 1.00 ' "$bmt/summary.md" || lab_fail "summary.md: no direct row"
grep -q '^## Headline' "$log" || lab_fail "the summary table was not printed to stdout"
for png in bmt_ab.png bmt_ab_p99.png bmt_wrk.png; do
	[ -s "$bmt/$png" ] || lab_fail "chart $png missing"
	[ "$(head -c 4 "$bmt/$png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] || lab_fail "$png is not a PNG"
done
lab_pass "summary.md and 3 charts written"
sed -n '/^## Headline/,/^Absolute/p' "$bmt/summary.md" | sed '$d'


tsv=$bmt/raw/round-1.tsv
[ -s "$tsv" ] || lab_fail "no raw TSV $tsv"
configs=$(sed -n 's/^configs\t//p' "$bmt/meta.tsv")
[ -n "$configs" ] || lab_fail "meta.tsv names no configurations"
n_ok=0 n_skip=0
for c in $configs; do
	# every test of the configuration: ok with req/s > 0, or all skipped
	verdict=$(awk -F'\t' -v c="$c" '
		$3 == c { n++; if ($6 == "ok" && $9 > 0) ok++; else if ($6 ~ /^skipped: ./) sk++; else bad = bad "; " $4 " -c " $5 ": " $6 }
		END {
			if (n == 0) print "missing";
			else if (ok == n) print "ok";
			else if (sk == n) print "skipped";
			else print "bad" bad
		}' "$tsv")
	case $verdict in
	ok) n_ok=$((n_ok + 1)) ;;
	skipped)
		case $c in direct | xlb-*)
			lab_fail "configuration $c was skipped (xlb's own must be measured): $(awk -F'\t' -v c="$c" '$3 == c { print $6; exit }' "$tsv")" ;;
		esac
		n_skip=$((n_skip + 1))
		echo "  $c: $(awk -F'\t' -v c="$c" '$3 == c { print $6; exit }' "$tsv")"
		;;
	*) lab_fail "configuration $c: $verdict" ;;
	esac
done
[ "$n_ok" -gt 0 ] || lab_fail "no configuration was measured ($n_skip skipped)"
lab_pass "bench-quick in ${took}s: $n_ok configurations measured, $n_skip skipped with a reason"
