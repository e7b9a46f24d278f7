/* SPDX-License-Identifier: BSD-3-Clause */
/* arbitrate.c - ring arbitration policy of zenedge-bridged (arbitrate.h).
 * Pure functions: the dispatch thread applies them in serve.c. */
#include "arbitrate.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

void bridge_arb_weights(const uint32_t cfg[IPC_MAX_SQ], const uint32_t region[IPC_MAX_SQ], uint32_t out[IPC_MAX_SQ])
{
    static const uint32_t defaults[IPC_MAX_SQ] = {0, 8, 4, 1, 1, 1, 1, 1};
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++) {
        uint32_t w = cfg[r];
        if (w == 0)
            w = region[r];
        if (w == 0)
            w = defaults[r];
        out[r] = min_u32(w, BRIDGE_ARB_ROUND_MAX);
    }
}

uint32_t bridge_arb_rt_batch(const bridge_arb_t *a, uint32_t batch_no, uint32_t rt_ready, uint32_t budget)
{
    if (batch_no >= BRIDGE_ARB_RT_BATCHES)
        return 0;
    return min_u32(min_u32(a->batch, BRIDGE_ARB_ROUND_MAX), min_u32(rt_ready, budget));
}

uint32_t bridge_arb_round(const bridge_arb_t *a, const uint32_t ready[IPC_MAX_SQ], uint32_t budget,
                          uint32_t take[IPC_MAX_SQ])
{
    uint32_t n = 0;
    uint32_t cap = min_u32(BRIDGE_ARB_ROUND_MAX, budget);
    uint32_t n_sq = min_u32(a->n_sq, IPC_MAX_SQ);
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        take[r] = 0;
    for (uint32_t r = 1; r < n_sq && n < cap; r++) {
        take[r] = min_u32(min_u32(a->weight[r], ready[r]), cap - n);
        n += take[r];
    }
    return n;
}

bool bridge_arb_rt_preempts(uint32_t pos, uint32_t rt_ready)
{
    return pos > 0 && rt_ready > 0;
}
