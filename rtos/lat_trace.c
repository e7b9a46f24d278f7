/* SPDX-License-Identifier: BSD-3-Clause */
/* lat_trace.c - one job's stages into latency histograms (lat_trace.h).
 * Freestanding. */
#include "lat_trace.h"

#include "zenedge_config.h"

#if ZEN_CFG_LAT_HIST

#include "proxy.h"

void lat_trace_init(lat_trace_t *t)
{
    for (uint32_t s = 0; s < LAT_STAGES; s++)
        lat_hist_init(&t->stage[s]);
}

static void add_span(lat_hist_t *h, uint64_t from, uint64_t to)
{
    if (from != 0 && to >= from)
        lat_hist_add(h, to - from);
}

void lat_trace_add(lat_trace_t *t, const struct proxy_result *r)
{
    if (r->times_valid) {
        add_span(&t->stage[LAT_SUBMIT_PICKUP], r->t_submit, r->t_pickup);
        add_span(&t->stage[LAT_PICKUP_START], r->t_pickup, r->t_backend_start);
        add_span(&t->stage[LAT_BACKEND], r->t_backend_start, r->t_backend_end);
        add_span(&t->stage[LAT_END_COMPLETE], r->t_backend_end, r->t_complete);
        add_span(&t->stage[LAT_COMPLETE_SEEN], r->t_complete, r->t_complete_seen);
    }
    /* The wake-up proper: from the completion, or from the task's call of
     * its wait when the job had ended before the task asked. */
    uint64_t from = r->t_wait_call > r->t_complete_seen ? r->t_wait_call : r->t_complete_seen;
    add_span(&t->stage[LAT_SEEN_WAKE], from, r->t_wake);
    add_span(&t->stage[LAT_ROUND_TRIP], r->t_submit, r->t_wake);
}

#else
typedef int lat_trace_not_built_t; /* ZEN_CFG_LAT_HIST 0 */
#endif
