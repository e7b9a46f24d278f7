# demo-plot.gp - per-stage latency distribution of the jobs in a trace CSV
# written by `zenedge-ipc trace` (one line per job descriptor).
# Usage: gnuplot -c scripts/demo-plot.gp TRACE.csv OUT.png
set datafile separator ","
set terminal pngcairo size 1000,600 noenhanced
set output ARG2
set xlabel "latency (us, log scale)"
set ylabel "fraction of jobs at or below"
set logscale x
set key bottom right
set grid
# Columns 16..22 hold the stage durations (ns), headed by the stage names
# of zenedge/lat_hist.h: submit->pickup, pickup->start, backend,
# end->complete, complete->seen, seen->wake, round trip. The curves take
# their titles from that header.
stats ARG1 using 22 skip 1 nooutput
n = STATS_records
set yrange [0:1.02]
set title sprintf("ZENEDGE sidecar: per-stage latency of %d jobs (sampled from the job descriptors)", n)
set key autotitle columnheader
plot for [c=16:22] ARG1 using (column(c)/1000.0):(1.0/n) smooth cumulative with lines lw 2 title columnheader(c)
