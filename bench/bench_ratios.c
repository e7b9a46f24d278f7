/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_ratios.c - zenedge-bench: every ratio and every target, in one
 * place. A ratio is taken per round between two neighbouring phases (ours
 * and the reference) and only then summarised; the same ratios are also
 * summarised by the placement of the two vCPUs in that round.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const bench_ratio_t bench_ratios[] = {
    {"polled_rtt_vs_raw", "ours_poll_rtt", "raw_rtt", false, BENCH_CMP_AT_MOST, 1.5,
     "polled PING RTT / raw cache-line RTT"},
    {"stream32_vs_rte_ring", "ours_stream_b32", "rte_ring_stream_b32", true, BENCH_CMP_AT_LEAST, 1.0,
     "throughput at batch 32: ours / rte_ring"},
    {"eventfd_rtt_vs_raw_eventfd", "ours_eventfd_rtt", "eventfd_rtt", false, BENCH_CMP_AT_MOST, 1.2,
     "eventfd-doorbell PING RTT / raw eventfd RTT"},
    {"adaptive_rtt_vs_polled", "ours_adaptive_busy_rtt", "ours_poll_rtt", false, BENCH_CMP_AT_MOST, 1.5,
     "adaptive PING RTT, peer busy / polled PING RTT"},
    {"stream1_vs_rte_ring", "ours_stream_b1", "rte_ring_stream_b1", true, BENCH_CMP_NONE, 0,
     "throughput at batch 1: ours / rte_ring"},
    {"stream8_vs_rte_ring", "ours_stream_b8", "rte_ring_stream_b8", true, BENCH_CMP_NONE, 0,
     "throughput at batch 8: ours / rte_ring"},
    {"polled_rtt_vs_rte_ring", "ours_poll_rtt", "rte_ring_rtt", false, BENCH_CMP_NONE, 0,
     "polled PING RTT / rte_ring RTT"},
    {"adaptive_sleep_rtt_vs_raw_eventfd", "ours_adaptive_sleep_rtt", "eventfd_rtt", false, BENCH_CMP_NONE, 0,
     "adaptive PING RTT, peer asleep / raw eventfd RTT"},
    {"unix_rtt_vs_raw_eventfd", "unix_rtt", "eventfd_rtt", false, BENCH_CMP_NONE, 0,
     "UNIX socket RTT / raw eventfd RTT (alternatives compared)"},
    {"layout_rtt_new_vs_orig", "layout_new_rtt", "layout_orig_rtt", false, BENCH_CMP_NONE, 0,
     "layout: PING RTT, split lines / original packed"},
    {"layout_stream1_new_vs_orig", "layout_new_stream_b1", "layout_orig_stream_b1", true, BENCH_CMP_NONE, 0,
     "layout: throughput at batch 1, split lines / original packed"},
    {"layout_stream32_new_vs_orig", "layout_new_stream_b32", "layout_orig_stream_b32", true, BENCH_CMP_NONE, 0,
     "layout: throughput at batch 32, split lines / original packed"},
    {"core_vs_layout_new_stream32", "ours_stream_b32", "layout_new_stream_b32", true, BENCH_CMP_NONE, 0,
     "throughput at batch 32: ipc_ring (validating) / bare copy of its layout"},
};
_Static_assert(sizeof(bench_ratios) / sizeof(bench_ratios[0]) == BENCH_N_RATIOS,
               "BENCH_N_RATIOS (bench.h) counts the entries of bench_ratios[]");

/* The adaptive doorbell must not make a system call while the peer is
 * busy: its eventfd writes per packet are checked against zero. */
const bench_db_target_t bench_db_target = {
    "adaptive_busy_eventfd_writes_per_pkt",           "ours_adaptive_busy_rtt", "== 0", 0.0,
    "system calls per packet while the peer is busy",
};

/* End to end: the ring may add at most this much to a job of the CPU
 * backend, over the same backend called in-process (every model). */
const double bench_e2e_target_us = 2.0;

/* RT under load (bench_rt_load.c): what a BACKGROUND flood may do to an
 * RT job of the CPU backend, as ratios of the same percentile with the
 * flood and alone, measured in alternating phases of one run. */
const bench_rt_target_t bench_rt_targets[BENCH_RT_N_TARGETS] = {
    {"rt_flood_rtt_p50_vs_alone", 1.2, "RT round trip p50, with a BACKGROUND gemm flood / alone"},
    {"rt_flood_rtt_p99_vs_alone", 1.5, "RT round trip p99, with a BACKGROUND gemm flood / alone"},
    {"rt_flood_start_p99_vs_alone", 1.5, "RT submit->backend start p99, with the flood / alone"},
};

double bench_rt_ratio(const bench_rt_row_t *w, size_t k)
{
    return k == 0 ? w->ratio_rtt_p50 : k == 1 ? w->ratio_rtt_p99 : k == 2 ? w->ratio_start_p99 : NAN;
}

/* A row whose leader was off its CPU in more than 1 % of a kind's jobs
 * was measured on a busy machine: its p99 are the scheduler's, not ours,
 * and a ratio of them says nothing either way. */
const char *bench_rt_status(size_t k, double v, bool noisy)
{
    if (k >= BENCH_RT_N_TARGETS || isnan(v))
        return "n/a";
    if (noisy)
        return "noisy";
    return v <= bench_rt_targets[k].max ? "met" : "NOT met";
}

/* Placement of the two vCPUs in a round, told by that round's raw RTT
 * (this machine shows about 60, 130 or 490 ns). */
const double bench_place_near_ns = 95.0;
const double bench_place_far_ns = 300.0;
const char *const bench_place_names[BENCH_PLACES] = {"near", "mid", "far"};

const char *bench_ratio_cmp_str(const bench_ratio_t *d)
{
    return d->cmp == BENCH_CMP_AT_MOST ? "<=" : d->cmp == BENCH_CMP_AT_LEAST ? ">=" : "";
}

const char *bench_ratio_status(const bench_ratio_t *d, double v)
{
    if (d->cmp == BENCH_CMP_NONE)
        return "";
    if (isnan(v))
        return "n/a";
    bool ok = d->cmp == BENCH_CMP_AT_MOST ? v <= d->target : v >= d->target;
    return ok ? "met" : "NOT met";
}

const char *bench_e2e_status(double overhead_us)
{
    return overhead_us <= bench_e2e_target_us ? "met" : "NOT met";
}

/* Headlines: the largest of the CPU backend's per-model overheads (every
 * model must meet the target), for the in-place path (e2e_cpu_overhead_us)
 * or the copying one (e2e_cpu_copy_overhead_us); NAN if none was measured. */
double bench_e2e_headline(const bench_e2e_t *e, bool copy)
{
    double v = NAN;
    for (uint32_t i = 0; i < e->n_rows; i++) {
        double x = copy ? e->row[i].overhead_us : e->row[i].overhead_ip_us;
        if (strcmp(e->row[i].backend, "cpu") == 0 && !isnan(x) && (isnan(v) || x > v))
            v = x;
    }
    return v;
}

/* Placement class of every round (-1: no raw RTT in it). */
static void classify_rounds(bench_results_t *res, int *cls)
{
    int raw = bench_item_index("raw_rtt");
    for (uint32_t r = 0; r < res->rounds; r++) {
        double v = (raw >= 0 && res->run[raw]) ? res->value[(size_t)raw * res->rounds + r] : NAN;
        cls[r] = isnan(v) ? -1 : v < bench_place_near_ns ? 0 : v < bench_place_far_ns ? 1 : 2;
        if (cls[r] >= 0)
            res->cls_rounds[cls[r]]++;
    }
}

/* One ratio: its value in every round, then the summaries. The three
 * buffers hold rounds + 1 values each. */
static void ratio_compute(bench_results_t *res, size_t k, const int *cls, double *ratio, double *sub, double *scratch)
{
    const bench_ratio_t *d = &bench_ratios[k];
    int a = bench_item_index(d->num), b = bench_item_index(d->den);
    res->ratio_sum[k] = (bench_summary_t){NAN, NAN, NAN, 0};
    for (uint32_t p = 0; p < BENCH_PLACES; p++)
        res->ratio_cls[k][p] = (bench_summary_t){NAN, NAN, NAN, 0};
    if (a < 0 || b < 0 || !res->run[a] || !res->run[b])
        return;
    for (uint32_t r = 0; r < res->rounds; r++) {
        double x = res->value[(size_t)a * res->rounds + r];
        double y = res->value[(size_t)b * res->rounds + r];
        ratio[r] = (isnan(x) || isnan(y) || x <= 0 || y <= 0) ? NAN : (d->throughput ? y / x : x / y);
    }
    res->ratio_sum[k] = bench_summarise(ratio, res->rounds, scratch);
    for (uint32_t p = 0; p < BENCH_PLACES; p++) {
        for (uint32_t r = 0; r < res->rounds; r++)
            sub[r] = cls[r] == (int)p ? ratio[r] : NAN;
        res->ratio_cls[k][p] = bench_summarise(sub, res->rounds, scratch);
    }
}

void bench_ratios_compute(bench_results_t *res)
{
    double *scratch = calloc(res->rounds + 1, sizeof(double));
    double *ratio = calloc(res->rounds + 1, sizeof(double));
    double *sub = calloc(res->rounds + 1, sizeof(double));
    int *cls = calloc(res->rounds + 1, sizeof(int));
    if (scratch && ratio && sub && cls) {
        classify_rounds(res, cls);
        for (size_t k = 0; k < BENCH_N_RATIOS; k++)
            ratio_compute(res, k, cls, ratio, sub, scratch);
    }
    free(cls);
    free(sub);
    free(ratio);
    free(scratch);
}
