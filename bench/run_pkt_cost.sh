#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Benchmark (not a test): the XDP program's cost per packet, with
# BPF_PROG_TEST_RUN (method in bench/pkt_cost.c and docs/BENCHMARKS.md).
#
#   bench/run_pkt_cost.sh               # every forwarding method against the
#                                       # MAC-swap floor, SYN/EST x 1/65536 flows
#   QUICK=1 bench/run_pkt_cost.sh       # the same, fewer repetitions (CI, < 60 s)
#   bench/run_pkt_cost.sh -r 7 -n 2000000
#   bench/run_pkt_cost.sh sched [-r 11 -n 30000]   # new-flow SYN per scheduler
#
# Prints the machine, then markdown tables, to stdout; the methods table also
# goes to ${OUT:-bench/results}/pkt_cost.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/bench/pkt_cost
OUT=${OUT:-bench/results}

[ "$(id -u)" = 0 ] || { echo "bench: needs root (BPF_PROG_TEST_RUN)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: build first (make BUILD=$BUILD bench-pkt)" >&2; exit 1; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${1:-}" = sched ]; then
	exec "$BIN" "$@"
fi
mkdir -p "$OUT"
# 5 runs of 1,000,000 repetitions, SYN passes 200,000 new flows (a few minutes on a
# busy 2-CPU machine); QUICK: 100,000 and 20,000 (under a minute).
args=(-n 1000000 -s 200000)
[ "${QUICK:-0}" = 1 ] && args=(-n 100000 -s 20000)
"$BIN" methods "${args[@]}" -t "$OUT/pkt_cost.tsv" "$@"
echo
echo "TSV: $OUT/pkt_cost.tsv"
