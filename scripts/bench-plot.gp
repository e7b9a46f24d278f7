# SPDX-License-Identifier: BSD-3-Clause
# bench-plot.gp - plot a zenedge-bench CSV (--csv FILE) as a PNG.
#
#   gnuplot -c scripts/bench-plot.gp results/bench.csv results/bench.png
#
# Left: per-round round-trip times of the raw cache-line ping-pong, our
# polled PING and DPDK rte_ring, in round order (the jumps are the vCPUs
# moving between physical cores). Right: the per-round ratio
# ours_poll_rtt / raw_rtt against that round's raw RTT, which shows how
# the ratio depends on the placement of the two vCPUs.
csv = ARGC >= 1 ? ARG1 : 'bench.csv'
out = ARGC >= 2 ? ARG2 : 'bench.png'

set terminal pngcairo size 1400,560 font ",10" noenhanced
set output out
set datafile separator ","
set datafile missing "NaN"
set key top left
set grid

set multiplot layout 1,2 title "zenedge-bench: round trips per round (".csv.")"

set title "round-trip time per round"
set xlabel "round"
set ylabel "ns per round trip"
set logscale y
plot csv using "round":"raw_rtt" with points pt 7 ps 0.3 title "raw cache line", \
     ""  using "round":"ours_poll_rtt" with points pt 7 ps 0.3 title "ours, polled", \
     ""  using "round":"rte_ring_rtt" with points pt 7 ps 0.3 title "rte_ring"

set title "polled PING RTT / raw RTT, per round"
set xlabel "raw cache-line RTT of the round (ns)"
set ylabel "ratio"
unset logscale y
set logscale x
set yrange [0:4]
plot csv using "raw_rtt":(column("ours_poll_rtt")/column("raw_rtt")) with points pt 7 ps 0.3 title "ours_poll / raw", \
     1.5 with lines dt 2 lw 2 title "target 1.5"

unset multiplot
