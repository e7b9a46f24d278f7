/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_mem.c - the proxy's copy and zero loops (no libc).
 *
 * Context: any (task, interrupt, timer); no lock, no shared state: the
 * caller owns both ranges (a job's tensor blocks are its own until the
 * packet is published or the slot is released, see proxy_submit.c and
 * proxy_wait.c).
 */
#include "proxy_internal.h"

/* Word types that may alias the caller's tensors (int32, float, ...). */
typedef uint64_t __attribute__((may_alias)) pj_u64_t;
typedef uint32_t __attribute__((may_alias)) pj_u32_t;

/* Copy n bytes from src, or write n zero bytes when src is NULL: one
 * loop for both, so that an image that copies and zeroes holds it once. */
void pj_copy(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    uint32_t k = 0;
#if UINTPTR_MAX > 0xffffffffu
    if (s != 0 && (((uintptr_t)d | (uintptr_t)s) & 7u) == 0) {
        /* 64-bit targets (the Linux-hosted side and application cores):
         * one 64-byte line per iteration, loads before stores: tensors in
         * the heap are line aligned, and the lines of a copy out of the
         * heap come from the peer's cache, so several misses in flight
         * matter more than the instruction count. A 32-bit MCU copies
         * with the word loop below (a third of the code). */
        for (; n - k >= 64u; k += 64u) {
            pj_u64_t *dw = (pj_u64_t *)(void *)(d + k);
            const pj_u64_t *sw = (const pj_u64_t *)(const void *)(s + k);
            uint64_t a0 = sw[0], a1 = sw[1], a2 = sw[2], a3 = sw[3];
            uint64_t a4 = sw[4], a5 = sw[5], a6 = sw[6], a7 = sw[7];
            dw[0] = a0;
            dw[1] = a1;
            dw[2] = a2;
            dw[3] = a3;
            dw[4] = a4;
            dw[5] = a5;
            dw[6] = a6;
            dw[7] = a7;
        }
    }
#endif
    /* the words up to wn, when the alignment allows word accesses */
    uint32_t wn = (((uintptr_t)d | (uintptr_t)s) & 3u) == 0 ? n & ~3u : k;
    for (; k < wn; k += 4u)
        *(pj_u32_t *)(void *)(d + k) = s ? *(const pj_u32_t *)(const void *)(s + k) : 0u;
    for (; k < n; k++)
        d[k] = s ? s[k] : 0u;
}

/* 32-bit targets zero with the copy loop (code size first); 64-bit ones
 * keep a loop of their own, without the copy loop's test per word (a
 * submission zeroes its descriptor). */
void pj_zero(void *dst, uint32_t n)
{
#if UINTPTR_MAX > 0xffffffffu
    volatile uint8_t *d = (volatile uint8_t *)dst;
    if (((uintptr_t)d & 3u) == 0) {
        volatile uint32_t *dw = (volatile uint32_t *)dst;
        uint32_t words = n / 4u;
        for (uint32_t i = 0; i < words; i++)
            dw[i] = 0u;
        d += words * 4u;
        n -= words * 4u;
    }
    for (uint32_t i = 0; i < n; i++)
        d[i] = 0u;
#else
    pj_copy(dst, 0, n);
#endif
}
