#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Benchmark (not a test): the XDP program's cost per packet for a new flow's
# SYN, by scheduler and number of reals, against an established packet
# (BPF_PROG_TEST_RUN; method in bench/pkt_cost.c and docs/BENCHMARKS.md).
# Prints the machine, then a markdown table, to stdout. About 20 s.
#
#   bench/run_pkt_cost.sh               # 7 runs per configuration
#   bench/run_pkt_cost.sh -r 11 -n 30000
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/bench/pkt_cost

[ "$(id -u)" = 0 ] || { echo "bench: needs root (BPF_PROG_TEST_RUN)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: build first (make $BIN, or make bench-pkt)" >&2; exit 1; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, kernel $(uname -r)"
"$BIN" "$@"
