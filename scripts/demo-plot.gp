# SPDX-License-Identifier: BSD-3-Clause
# demo-plot.gp - per-stage latency distributions per task, from the job
# trace of the demo (every collected job: zenedge-sim --trace), as
# cumulative distributions on a log time axis: one panel per task, one
# curve per stage, named as the stages everywhere else (lat_stage_name():
# submit->pickup, pickup->start, backend, end->complete, complete->seen,
# seen->wake, round trip).
# Usage: gnuplot -c scripts/demo-plot.gp CDF.dat OUT.png TITLE NTASKS [STAGES]
# STAGES: the seven stage names separated by "|", as the trace's header
# gives them (lat_stage_name()); without it the names below.
# CDF.dat (scripts/demo.sh writes it from trace.csv): one block per task
# and stage, blocks separated by two blank lines, task-major (block
# index = task * 7 + stage); each block starts with the comment line
# "# TASK STAGE N" and holds the lines "latency_us fraction_at_or_below".
# Durations of 0 ns are drawn at 0.01 us (the log axis has no 0).
if (ARGC < 4) { print "usage: gnuplot -c demo-plot.gp CDF.dat OUT.png TITLE NTASKS"; exit status 2 }
ntasks = int(ARG4)
if (ntasks < 1) { print "demo-plot.gp: no task with a completed job in ", ARG1; exit status 1 }
nstages = 7
array stage_name[7] = ["submit->pickup", "pickup->start", "backend", "end->complete", "complete->seen", "seen->wake", "round trip"]
if (ARGC >= 5 && strlen(ARG5) > 0) {
    rest = ARG5
    do for [i = 1:7] {
        cut = strstrt(rest, "|")
        stage_name[i] = cut > 0 ? rest[1:cut - 1] : rest
        rest = cut > 0 ? rest[cut + 1:] : ""
    }
}
array stage_color[7] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#d62728"]
cols = ntasks > 1 ? 2 : 1
rows = int((ntasks + cols - 1) / cols)
set terminal pngcairo size 760 * cols, 120 + 330 * rows noenhanced font ",10"
set output ARG2
set multiplot layout rows, cols title ARG3 font ",13"
set logscale x 10
set xtics ("10 ns" 0.01, "100 ns" 0.1, "1 us" 1, "10 us" 10, "100 us" 100, "1 ms" 1000, "10 ms" 10000, "100 ms" 100000, "1 s" 1000000, "10 s" 10000000)
set xlabel "time in the stage (log scale)"
set ylabel "fraction of jobs at or below"
set yrange [0:1]
set xrange [0.01:*]
set ytics 0.25
set grid xtics ytics mxtics
set key outside right top font ",8"
# the task's name and job count from each block's comment line
task_name(t) = system(sprintf("awk '/^# /{b++} b == %d * 7 + 1 && /^# /{print $2, \"(\" $4 \" jobs)\"; exit}' '%s'", t, ARG1))
do for [t = 0:ntasks - 1] {
    set title task_name(t)
    plot for [s = 0:nstages - 1] ARG1 index (t * nstages + s) using 1:2 with steps lw 2 lc rgb stage_color[s + 1] \
        title stage_name[s + 1]
}
unset multiplot
