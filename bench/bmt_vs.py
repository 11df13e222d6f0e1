#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""One BMT configuration against another, round by round.

    bench/bmt_vs.py OUT A B [A2 B2 ...]

OUT is a bench/bmt.sh output directory; A and B are configuration names
(xlb-proxy-tcp haproxy-tcp). Each round of the BMT runs every configuration
once, in a random order, so A and B of one round saw the same machine; this
prints, per test, min / median / max over the rounds of A's req/s, B's, the
ratio A/B taken within each round, LB CPU per request (CPU-microseconds of
every process in the LB namespace per request, from lb_cpu_pct) of each,
and that ratio. A Markdown table; a round where either failed is left out.
"""
import csv
import glob
import os
import statistics
import sys
from collections import defaultdict


def load(out):
    rows = []
    for path in sorted(glob.glob(os.path.join(out, "raw", "round-*.tsv"))):
        with open(path) as f:
            rows += [r for r in csv.DictReader(f, delimiter="\t")]
    return rows


def test_name(r):
    return f"{r['test']} -c {r['conc']}"


def mmm(xs, fmt):
    if not xs:
        return "-"
    return f"{fmt.format(min(xs))} / **{fmt.format(statistics.median(xs))}** / {fmt.format(max(xs))}"


def cpu_us(r):
    rps = float(r["rps"])
    if r["lb_cpu_pct"] in ("", "-") or rps <= 0:
        return None
    return float(r["lb_cpu_pct"]) / 100.0 * 1e6 / rps


def main():
    if len(sys.argv) < 4 or len(sys.argv) % 2:
        sys.exit(__doc__)
    rows = [r for r in load(sys.argv[1]) if r["status"] == "ok"]
    by = defaultdict(dict)  # (test, round) -> config -> row
    for r in rows:
        by[(test_name(r), r["round"])][r["config"]] = r
    tests = sorted({t for t, _ in by}, key=lambda t: (t.split()[0], int(t.split()[-1])))
    print("| A vs B | test | rounds | A req/s | B req/s | A/B req/s | A CPU µs/req | B CPU µs/req | A/B CPU per req |")
    print("|---|---|---|---|---|---|---|---|---|")
    for a, b in zip(sys.argv[2::2], sys.argv[3::2]):
        for t in tests:
            ra, rb, ratio, ca, cb, cratio = [], [], [], [], [], []
            for (tt, _), cfgs in by.items():
                if tt != t or a not in cfgs or b not in cfgs:
                    continue
                x, y = float(cfgs[a]["rps"]), float(cfgs[b]["rps"])
                if x <= 0 or y <= 0:
                    continue
                ra.append(x)
                rb.append(y)
                ratio.append(x / y)
                ua, ub = cpu_us(cfgs[a]), cpu_us(cfgs[b])
                if ua is not None and ub is not None and ub > 0:
                    ca.append(ua)
                    cb.append(ub)
                    cratio.append(ua / ub)
            if not ratio:
                continue
            print(f"| {a} vs {b} | {t} | {len(ratio)} | {mmm(ra, '{:.0f}')} | {mmm(rb, '{:.0f}')} | "
                  f"{mmm(ratio, '{:.2f}')} | {mmm(ca, '{:.0f}')} | {mmm(cb, '{:.0f}')} | {mmm(cratio, '{:.2f}')} |")


if __name__ == "__main__":
    main()
