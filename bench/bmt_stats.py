#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Parsing and summary for bench/bmt.sh (the BMT: xlb against direct, HAProxy,
nginx stream and nftables, with ab and wrk).

  bmt_stats.py ab FILE.out...     one test's ab generators (FILE.csv beside each)
  bmt_stats.py wrk FILE.out...    one test's wrk generators (bench/bmt_wrk.lua output)
      print one TSV fragment: requests  errors  req_per_s  p50_ms  p99_ms
      (req/s summed over the generators; p50/p99 of the merged latency
      distribution, each generator weighted by its number of requests)
  bmt_stats.py summary OUTDIR     reads OUTDIR/raw/round-*.tsv, writes
      OUTDIR/summary.md, OUTDIR/ab.dat, OUTDIR/wrk.dat (gnuplot input)
"""
import glob
import os
import re
import statistics
import sys


def interp_cdf(points, x):
    """points: sorted (percent, value) pairs; fraction of requests <= x."""
    if x < points[0][1]:
        return 0.0
    if x >= points[-1][1]:
        return 1.0
    for (p0, v0), (p1, v1) in zip(points, points[1:]):
        if v0 <= x < v1:
            return (p0 + (p1 - p0) * (x - v0) / (v1 - v0)) / 100.0
        if v0 == v1 == x:
            return p1 / 100.0
    return 1.0


def merged_quantile(gens, q):
    """gens: list of (weight, sorted (percent, value ms)); the q-quantile (0..1)
    of the mixture, by bisection on its interpolated CDF."""
    gens = [(w, pts) for w, pts in gens if w > 0 and pts]
    if not gens:
        return float("nan")
    if len(gens) == 1:
        pts = gens[0][1]
        target = q * 100
        for (p0, v0), (p1, v1) in zip(pts, pts[1:]):
            if p0 <= target <= p1:
                return v0 if p1 == p0 else v0 + (v1 - v0) * (target - p0) / (p1 - p0)
        return pts[-1][1]
    total = sum(w for w, _ in gens)
    lo = min(pts[0][1] for _, pts in gens)
    hi = max(pts[-1][1] for _, pts in gens)
    for _ in range(60):
        mid = (lo + hi) / 2
        f = sum(w * interp_cdf(pts, mid) for w, pts in gens) / total
        if f < q:
            lo = mid
        else:
            hi = mid
    return hi


def num(pattern, text, default=0.0):
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else default


def parse_ab(files):
    reqs = errs = 0
    rps = 0.0
    gens = []
    for f in files:
        text = open(f, errors="replace").read()
        done = int(num(r"^Complete requests:\s+(\d+)", text))
        failed = int(num(r"^Failed requests:\s+(\d+)", text))
        non2xx = int(num(r"^Non-2xx responses:\s+(\d+)", text))
        reqs += done
        errs += failed + non2xx
        rps += num(r"^Requests per second:\s+([\d.]+)", text)
        pts = []
        csv = f[:-4] + ".csv" if f.endswith(".out") else f + ".csv"
        if os.path.exists(csv):
            for line in open(csv):
                m = re.match(r"^(\d+),([\d.]+)$", line.strip())
                if m:
                    pts.append((float(m.group(1)), float(m.group(2))))
        if done == 0:
            errs += 1 if "apr_" in text or "Connection refused" in text else 0
        gens.append((done, sorted(pts)))
    return reqs, errs, rps, gens


def parse_wrk(files):
    reqs = errs = 0
    rps = 0.0
    gens = []
    for f in files:
        text = open(f, errors="replace").read()
        kv = dict(re.findall(r"^BMT (\w+) ([\d.]+)$", text, re.M))
        done = int(float(kv.get("requests", 0)))
        dur_us = float(kv.get("duration_us", 0))
        reqs += done
        errs += sum(int(float(kv.get(k, 0))) for k in ("connect", "read", "write", "status", "timeout"))
        if dur_us > 0:
            rps += done / (dur_us / 1e6)
        pts = sorted((float(p), float(v) / 1000.0)
                     for p, v in re.findall(r"^BMTP ([\d.]+) ([\d.]+)$", text, re.M))
        gens.append((done, pts))
    return reqs, errs, rps, gens


def cmd_parse(kind, files):
    reqs, errs, rps, gens = (parse_ab if kind == "ab" else parse_wrk)(files)
    p50 = merged_quantile(gens, 0.50)
    p99 = merged_quantile(gens, 0.99)
    print(f"{reqs}\t{errs}\t{rps:.1f}\t{p50:.3f}\t{p99:.3f}")


# ---------------------------------------------------------------- summary

COLS = ["round", "seq", "config", "test", "conc", "status", "requests", "errors",
        "rps", "p50_ms", "p99_ms", "lb_cpu_pct", "secs"]


def load_rows(outdir):
    rows = []
    for f in sorted(glob.glob(os.path.join(outdir, "raw", "round-*.tsv"))):
        for line in open(f):
            if line.startswith("round\t") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < len(COLS):
                continue
            rows.append(dict(zip(COLS, parts)))
    return rows


def fmt_rps(v):
    return f"{v:,.0f}".replace(",", " ") if v == v else "-"


def fmt_ms(v):
    if v != v:
        return "-"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def mmm(vals, f):
    if not vals:
        return "-"
    return f"{f(min(vals))} / **{f(statistics.median(vals))}** / {f(max(vals))}"


def test_key(t, c):
    return (0, int(c)) if t == "ab" else (1 if t == "wrk-ka" else 2, int(c))


def test_label(t, c):
    if t == "ab":
        return f"ab -c {c}"
    if t == "wrk-ka":
        return f"wrk keep-alive -c {c}"
    return f"wrk Connection: close -c {c}"


def read_kv(path):
    kv = {}
    if os.path.exists(path):
        for line in open(path):
            if "\t" in line:
                k, v = line.rstrip("\n").split("\t", 1)
                kv[k] = v
    return kv


def cmd_summary(outdir):
    rows = load_rows(outdir)
    meta = read_kv(os.path.join(outdir, "meta.tsv"))
    configs = meta.get("configs", "").split()
    labels = dict(x.split("=", 1) for x in meta.get("labels", "").split("|") if "=" in x)
    label = lambda c: labels.get(c, c)
    for r in rows:
        if r["config"] not in configs:
            configs.append(r["config"])
    tests = sorted({(r["test"], r["conc"]) for r in rows}, key=lambda x: test_key(*x))
    ok = {}
    skipped = {}
    failed = {}
    for r in rows:
        key = (r["config"], r["test"], r["conc"])
        if r["status"] == "ok" and float(r["rps"]) > 0:
            ok.setdefault(key, []).append(r)
        elif r["status"].startswith("skipped"):
            skipped[r["config"]] = r["status"]
        else:
            failed.setdefault(key, []).append(r["status"])
    rounds = sorted({int(r["round"]) for r in rows})

    def med(cfg, t, c, field="rps"):
        v = [float(r[field]) for r in ok.get((cfg, t, c), [])]
        return statistics.median(v) if v else float("nan")

    out = []
    w = out.append
    w(f"# BMT results {meta.get('date', '')}\n")
    w(f"- machine: {meta.get('machine', '?')}")
    w(f"- run: `{meta.get('command', 'bench/bmt.sh')}`, {len(rounds)} round(s) "
      f"(each runs every configuration once, in a new random order), "
      f"{meta.get('settings', '')}")
    if meta.get("note"):
        w(f"- note: {meta['note']}")
    w("- every cell: min / **median** / max over the rounds; ratios are median / median of direct")
    w("")
    w("## Headline: req/s relative to direct (no LB)\n")
    hdr = "| configuration | " + " | ".join(test_label(t, c) for t, c in tests) + " |"
    w(hdr)
    w("|---" * (len(tests) + 1) + "|")
    for cfg in configs:
        if cfg in skipped and not any((cfg, t, c) in ok for t, c in tests):
            w(f"| {label(cfg)} | " + " | ".join("skipped" for _ in tests) + " |")
            continue
        cells = []
        for t, c in tests:
            d = med("direct", t, c)
            v = med(cfg, t, c)
            if v != v:
                cells.append("failed" if (cfg, t, c) in failed else "-")
            elif d == d and d > 0:
                cells.append(f"{v / d:.2f}")
            else:
                cells.append("-")
        w(f"| {label(cfg)} | " + " | ".join(cells) + " |")
    w("")
    w("Absolute req/s, median over rounds:\n")
    w(hdr)
    w("|---" * (len(tests) + 1) + "|")
    for cfg in configs:
        cells = [fmt_rps(med(cfg, t, c)) for t, c in tests]
        w(f"| {label(cfg)} | " + " | ".join(cells) + " |")
    w("")
    for t, c in tests:
        w(f"## {test_label(t, c)}\n")
        w("| configuration | req/s | vs direct | p50 ms | p99 ms | LB CPU % | errors |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        d = med("direct", t, c)
        for cfg in configs:
            rs = ok.get((cfg, t, c), [])
            if not rs:
                why = skipped.get(cfg) or "; ".join(sorted(set(failed.get((cfg, t, c), ["no data"]))))
                w(f"| {label(cfg)} | {why} | | | | | |")
                continue
            rps = [float(r["rps"]) for r in rs]
            p50 = [float(r["p50_ms"]) for r in rs]
            p99 = [float(r["p99_ms"]) for r in rs]
            cpu = [float(r["lb_cpu_pct"]) for r in rs if r["lb_cpu_pct"] not in ("", "-")]
            errs = sum(int(r["errors"]) for r in rs)
            ratio = statistics.median(rps) / d if d == d and d > 0 else float("nan")
            cpu_s = "-" if not cpu else f"{statistics.median(cpu):.0f}"
            if cfg in ("xlb-dr", "xlb-dr-tc", "xlb-dscp", "xlb-tun", "xlb-nat", "xlb-fnat", "nft-dnat") and cpu:
                cpu_s += "*"
            nfail = len(failed.get((cfg, t, c), []))
            w(f"| {label(cfg)} | {mmm(rps, fmt_rps)} | "
              f"{'-' if ratio != ratio else f'{ratio:.2f}'} | {mmm(p50, fmt_ms)} | {mmm(p99, fmt_ms)} | "
              f"{cpu_s} | {errs}{f' ({nfail} failed rounds)' if nfail else ''} |")
        w("")
    w("LB CPU %: utime + stime of the processes in the LB namespace (xlbd, haproxy, "
      "nginx) over the test, in % of one core. `*`: the forwarding runs in softirq "
      "(XDP, netfilter), which is charged to whatever task was interrupted, not to the "
      "LB: only xlbd's own (idle) work is counted, so this is not the method's cost.\n")

    # targets (reported, not asserted)
    w("## Targets (reported, not asserted)\n")

    def ratio_line(a, b, what, goal):
        parts = []
        for t, c in tests:
            va, vb = med(a, t, c), med(b, t, c)
            if va == va and vb == vb and vb > 0:
                parts.append(f"{test_label(t, c)}: {va / vb:.2f}")
        if parts:
            vals = [float(p.rsplit(": ", 1)[1]) for p in parts]
            met = sum(v >= goal for v in vals)
            verdict = ("met in every test" if met == len(vals) else
                       "not met in any test" if met == 0 else f"met in {met} of {len(vals)} tests")
            w(f"- {what}, goal >= {goal:.2f}: {verdict} ({min(vals):.2f} to {max(vals):.2f})")
            w("  - " + "; ".join(parts))
        else:
            w(f"- {what}: no data ({skipped.get(a) or skipped.get(b) or 'missing'})")

    ratio_line("xlb-dr", "direct", "xlb dr / direct req/s", 0.95)
    ratio_line("xlb-dr-tc", "direct", "xlb dr (tc) / direct req/s", 0.95)
    ratio_line("xlb-proxy-tcp", "haproxy-tcp", "xlb proxy (tcp) / HAProxy mode tcp req/s, both 2 threads", 1.0)
    w("")
    if skipped:
        w("## Skipped\n")
        for cfg, why in skipped.items():
            w(f"- {label(cfg)}: {why}")
        w("")
    text = "\n".join(out) + "\n"
    open(os.path.join(outdir, "summary.md"), "w").write(text)
    sys.stdout.write(text)

    # gnuplot data: one block per configuration with ab data
    with open(os.path.join(outdir, "ab.dat"), "w") as f:
        n = 0
        for cfg in configs:
            pts = []
            for t, c in tests:
                if t != "ab":
                    continue
                rs = [float(r["rps"]) for r in ok.get((cfg, t, c), [])]
                p99 = [float(r["p99_ms"]) for r in ok.get((cfg, t, c), [])]
                if rs:
                    pts.append((int(c), statistics.median(rs), min(rs), max(rs), statistics.median(p99)))
            if not pts:
                continue
            if n:
                f.write("\n\n")
            f.write(f'"{label(cfg)}" median min max p99\n')
            for p in pts:
                f.write("%d %.1f %.1f %.1f %.3f\n" % p)
            n += 1
    with open(os.path.join(outdir, "wrk.dat"), "w") as f:
        f.write('config "keep-alive" ka_min ka_max "Connection: close" cl_min cl_max\n')
        for cfg in configs:
            vals = []
            for t in ("wrk-ka", "wrk-close"):
                rs = [float(r["rps"]) for tt, cc in tests if tt == t for r in ok.get((cfg, tt, cc), [])]
                vals += [statistics.median(rs), min(rs), max(rs)] if rs else [0, 0, 0]
            if any(vals):
                f.write(f'"{label(cfg)}" ' + " ".join(f"{v:.1f}" for v in vals) + "\n")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] in ("ab", "wrk"):
        cmd_parse(sys.argv[1], sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "summary":
        cmd_summary(sys.argv[2])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
