/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lat_trace.h - one job's stages into latency histograms (ZENEDGE side).
 *
 * Per stage of a job (see proxy_result_t and zenedge/lat_hist.h):
 * lat_trace_add() splits one result into them. seen->wake starts at the
 * later of t_complete_seen and t_wait_call: a job that ended before its
 * task called the wait counts only the wait's own cost there (the time it
 * spent done but uncollected stays in the round trip). Freestanding; the
 * owner of a lat_trace_t feeds it from its own context.
 */
#ifndef ZENEDGE_LAT_TRACE_H
#define ZENEDGE_LAT_TRACE_H

#include "zenedge/lat_hist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lat_trace {
    lat_hist_t stage[LAT_STAGES];
} lat_trace_t;

struct proxy_result;
void lat_trace_init(lat_trace_t *t);
/* Add one finished job: the bridge-side stages only when res->times_valid
 * (a shared clock and ordered timestamps), the ZENEDGE-side ones always. */
void lat_trace_add(lat_trace_t *t, const struct proxy_result *res);

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_LAT_TRACE_H */
