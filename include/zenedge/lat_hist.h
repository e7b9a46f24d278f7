/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lat_hist.h - fixed-bucket latency histogram, the one histogram of the
 * project: the ZENEDGE side, zenedge-sim, the bridge's statistics and the
 * benchmark all count latencies with it.
 *
 * Freestanding, allocation-free, O(1) per sample: a value in nanoseconds
 * falls in one of LAT_HIST_BUCKETS log-linear buckets (4 per power of
 * two, so a bucket's upper edge overstates a sample by at most 25 %), from
 * "below 1 us" to "2^41 ns and above". Whoever owns a histogram feeds it;
 * quantiles are read from the counts without sorting.
 *
 * The stages of a job have one set of names everywhere (lat_stage_name()):
 * submit->pickup, pickup->start, backend, end->complete, complete->seen,
 * seen->wake, round trip. The ZENEDGE side splits one result into them
 * with lat_trace_add() (rtos/lat_trace.h).
 */
#ifndef ZENEDGE_LAT_HIST_H
#define ZENEDGE_LAT_HIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAT_HIST_SUB      4u  /* buckets per power of two */
#define LAT_HIST_MIN_LOG2 10u /* bucket 0: below 2^10 ns (~1 us) */
#define LAT_HIST_MAX_LOG2 41u /* last bucket: 2^41 ns (~37 min) and above */
#define LAT_HIST_BUCKETS  (1u + (LAT_HIST_MAX_LOG2 - LAT_HIST_MIN_LOG2) * LAT_HIST_SUB + 1u)

typedef struct lat_hist {
    uint32_t count[LAT_HIST_BUCKETS];
    uint32_t n;
    uint64_t min_ns, max_ns;
} lat_hist_t;

void lat_hist_init(lat_hist_t *h);
void lat_hist_add(lat_hist_t *h, uint64_t ns);
/* Bucket of a value, and the exclusive upper edge of a bucket in ns
 * (UINT64_MAX for the last). */
uint32_t lat_hist_bucket(uint64_t ns);
uint64_t lat_hist_upper(uint32_t bucket);
/* Upper edge of the bucket holding the q-th per-mille sample (q 0..1000),
 * clamped to the largest value seen; 0 when empty. */
uint64_t lat_hist_quantile(const lat_hist_t *h, uint32_t permille);

/* The stages of one job, in the order they happen. */
enum lat_stage {
    LAT_SUBMIT_PICKUP = 0,
    LAT_PICKUP_START,
    LAT_BACKEND,
    LAT_END_COMPLETE,
    LAT_COMPLETE_SEEN,
    LAT_SEEN_WAKE,
    LAT_ROUND_TRIP,
    LAT_STAGES
};
/* "submit->pickup", ..., "round trip"; "?" out of range. */
const char *lat_stage_name(uint32_t stage);

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_LAT_HIST_H */
