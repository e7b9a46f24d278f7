/* SPDX-License-Identifier: BSD-3-Clause */
/* lat_hist.c - fixed-bucket latency histograms (zenedge/lat_hist.h).
 * Freestanding, no division by a variable, no 64-bit helper calls on
 * 32-bit targets. */
#include "zenedge/lat_hist.h"

#include "zenedge/ipc_arith.h"

/* Index of the highest set bit of a non-zero value: five fixed steps. */
/* The index of the highest set bit of a non-zero 32-bit word: one CLZ
 * where the target has the instruction (Arm v5T and later but v6-M, RISC-V
 * with Zbb), else halving steps (no libgcc __clzsi2 on the ZENEDGE side). */
static uint32_t msb32(uint32_t v)
{
#if !defined(IPC_ARITH_FORCE_SOFT) && \
    (defined(__ARM_FEATURE_CLZ) || defined(__riscv_zbb) || defined(__x86_64__) || defined(__aarch64__))
    return 31u - (uint32_t)__builtin_clz(v);
#else
    uint32_t r = 0;
    for (uint32_t s = 16; s != 0; s >>= 1) {
        if (v >> s) {
            v >>= s;
            r += s;
        }
    }
    return r;
#endif
}

/* The same for a non-zero 64-bit value, in 32-bit halves. */
static uint32_t msb64(uint64_t v)
{
    uint32_t hi = (uint32_t)(v >> 32);
    return hi ? 32u + msb32(hi) : msb32((uint32_t)v);
}

uint32_t lat_hist_bucket(uint64_t ns)
{
    if (ns < (1ull << LAT_HIST_MIN_LOG2))
        return 0;
    uint32_t m = msb64(ns);
    if (m >= LAT_HIST_MAX_LOG2)
        return LAT_HIST_BUCKETS - 1u;
    uint32_t sub = (uint32_t)ipc_shr64(ns, m - 2u) & (LAT_HIST_SUB - 1u); /* the two bits below the top */
    return 1u + (m - LAT_HIST_MIN_LOG2) * LAT_HIST_SUB + sub;
}

uint64_t lat_hist_upper(uint32_t b)
{
    if (b == 0)
        return 1ull << LAT_HIST_MIN_LOG2;
    if (b >= LAT_HIST_BUCKETS - 1u)
        return ~0ull;
    uint32_t m = LAT_HIST_MIN_LOG2 + (b - 1u) / LAT_HIST_SUB; /* a power of two: a shift */
    uint32_t sub = (b - 1u) % LAT_HIST_SUB;
    return ipc_shl64(1u, m) + ipc_shl64(sub + 1u, m - 2u);
}

void lat_hist_init(lat_hist_t *h)
{
    for (uint32_t i = 0; i < LAT_HIST_BUCKETS; i++)
        h->count[i] = 0;
    h->n = 0;
    h->min_ns = ~0ull;
    h->max_ns = 0;
}

void lat_hist_add(lat_hist_t *h, uint64_t ns)
{
    h->count[lat_hist_bucket(ns)]++;
    h->n++;
    if (ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
}

uint64_t lat_hist_quantile(const lat_hist_t *h, uint32_t permille)
{
    if (h->n == 0)
        return 0;
    if (permille > 1000u)
        permille = 1000u;
    /* rank = ceil(n * q / 1000), at least 1, in 32-bit arithmetic only
     * (no 64-bit division helper on 32-bit targets). */
    uint32_t rem;
    uint32_t a = ipc_udiv32(h->n, 1000u, &rem) * permille;
    uint32_t b = rem * permille;
    uint64_t want = (uint64_t)a + ipc_udiv32(b + 999u, 1000u, 0);
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (uint32_t k = 0; k < LAT_HIST_BUCKETS; k++) { /* fixed bound */
        seen += h->count[k];
        if (seen >= want) {
            uint64_t up = lat_hist_upper(k);
            return up > h->max_ns ? h->max_ns : up;
        }
    }
    return h->max_ns;
}

const char *lat_stage_name(uint32_t s)
{
    static const char *const names[LAT_STAGES] = {
        "submit->pickup", "pickup->start", "backend", "end->complete", "complete->seen", "seen->wake", "round trip",
    };
    return s < LAT_STAGES ? names[s] : "?";
}
