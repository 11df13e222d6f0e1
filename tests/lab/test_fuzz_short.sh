#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Every fuzz harness (tests/fuzz/) for a short fixed budget, under 60 s in
# all: the seeds and regression inputs in tests/fuzz/corpus/ first, then
# fresh mutations from them. Fails on any crash, sanitizer report or broken
# invariant (the input is kept in build/fuzz/artifacts/). `make fuzz` runs
# them longer. fuzz_pkt needs root; without it, it alone is skipped.
#
# Budget: 3 s for each userspace harness, 14 s for fuzz_pkt (it loads the
# BPF program first): about 45 s with start-up, seed replay and the final
# reports (about a second each).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

# `make test` builds them; a run of this tier alone builds what is missing.
if ! make -s --no-print-directory fuzz-build BUILD="$BUILD" >/dev/null; then
	echo "test_fuzz_short: make fuzz-build failed" >&2
	exit 1
fi
exec tests/fuzz/run.sh --scratch --seconds "${FUZZ_SHORT_SECONDS:-3}" \
	--pkt-seconds "${FUZZ_SHORT_PKT_SECONDS:-14}"
