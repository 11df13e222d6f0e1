# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Charts of bench/bmt.sh: gnuplot -e "dir='OUTDIR'" bench/bmt_plot.gp
# Reads OUTDIR/ab.dat (one block per configuration: concurrency, median,
# min, max req/s, median p99 ms) and OUTDIR/wrk.dat; writes bmt_ab.png,
# bmt_ab_p99.png and bmt_wrk.png into OUTDIR.
if (!exists("dir")) dir = "."
ab = dir . "/ab.dat"
wrk = dir . "/wrk.dat"

# pngcairo where gnuplot has it (gnuplot-nox does), the libgd png otherwise.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
	set terminal pngcairo size 900,560 font "sans,10" noenhanced
} else {
	set terminal png size 900,560 noenhanced
}

# one colour, point type and dash per configuration; the first (direct) black and thick
colors = "#000000 #1f77b4 #2ca02c #17becf #9467bd #8c564b #d62728 #ff7f0e #e377c2 #7f7f7f #bcbd22 #393b79"
stats ab using 1 nooutput
nblocks = STATS_blocks

set key outside right top
set grid ytics
set logscale x 2
set xlabel "concurrency (ab -c, all generators together)"
set format y "%.0f"
set offsets 0, 0, graph 0.05, 0

set output dir . "/bmt_ab.png"
set title "ab (HTTP/1.0, no keep-alive), GET 5 KiB: req/s, median of rounds (bars: min..max)"
set ylabel "requests per second"
set yrange [0:*]
plot for [i=0:nblocks-1] ab index i using 1:2:3:4 with yerrorlines \
	lw (i == 0 ? 3 : 1.5) lc rgb word(colors, i % 12 + 1) pt (i % 7 + 4) ps 0.9 \
	title columnheader(1)

set output dir . "/bmt_ab_p99.png"
set title "ab (HTTP/1.0, no keep-alive), GET 5 KiB: 99th percentile latency, median of rounds"
set ylabel "p99 latency (ms)"
set yrange [0:*]
plot for [i=0:nblocks-1] ab index i using 1:5 with linespoints \
	lw (i == 0 ? 3 : 1.5) lc rgb word(colors, i % 12 + 1) pt (i % 7 + 4) ps 0.9 \
	title columnheader(1)

unset logscale x
set output dir . "/bmt_wrk.png"
set title "wrk, GET 5 KiB: req/s, median of rounds (whiskers: min..max)"
set xlabel ""
set ylabel "requests per second"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30 left
set key outside right top
set yrange [0:*]
plot wrk using 2:3:4:xtic(1) title columnheader(2) lc rgb "#3366aa", \
     '' using 5:6:7 title columnheader(5) lc rgb "#dd8833"
