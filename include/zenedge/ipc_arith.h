/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_arith.h - the arithmetic the freestanding code needs, written so
 * that no target calls a compiler helper for it (libgcc's __aeabi_uidiv,
 * __aeabi_lmul, __ashldi3, __lshrdi3...), and the packet copy that must
 * not become a memcpy call.
 *
 *  - A division by a non-constant and a 64-bit product are native where
 *    the core has the instruction, a bounded loop / four 32-bit products
 *    where it has not (ARMv6-M and ARMv8-M baseline: no divide, no 64-bit
 *    multiply; RISC-V without the M extension: no divide). The soft forms
 *    are O(1): 32 steps at most. IPC_ARITH_FORCE_SOFT selects them on any
 *    target (the unit test compares them with the native operators).
 *  - A 64-bit shift by a variable count is done on the two 32-bit halves.
 *  - RV32I has no multiply instruction at all: its builds call __mulsi3
 *    for any product; docs/porting.md lists that as the one helper such a
 *    port links (the freestanding check allows it on that target only).
 *
 * Header only, freestanding.
 */
#ifndef ZENEDGE_IPC_ARITH_H
#define ZENEDGE_IPC_ARITH_H

#include <stdint.h>

#include "zenedge/ipc_proto.h"

#if defined(IPC_ARITH_FORCE_SOFT) || defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
#define IPC_ARITH_SOFT_DIV   1
#define IPC_ARITH_SOFT_MUL64 1
#elif defined(__riscv) && !defined(__riscv_div)
#define IPC_ARITH_SOFT_DIV   1
#define IPC_ARITH_SOFT_MUL64 1
#else
#define IPC_ARITH_SOFT_DIV   0
#define IPC_ARITH_SOFT_MUL64 0
#endif

/* n / d and n % d for d != 0 (d == 0 gives quotient ~0, remainder n). */
static inline uint32_t ipc_udiv32(uint32_t n, uint32_t d, uint32_t *rem)
{
#if IPC_ARITH_SOFT_DIV
    uint32_t q = 0, r = 0;
    for (uint32_t i = 32u; i-- > 0u;) { /* 32 steps */
        r = (r << 1) | ((n >> i) & 1u);
        if (r >= d) {
            r -= d;
            q |= 1u << i;
        }
    }
    if (rem)
        *rem = r;
    return q;
#else
    if (d == 0u) {
        if (rem)
            *rem = n;
        return ~0u;
    }
    if (rem)
        *rem = n % d;
    return n / d;
#endif
}

/* The full 64-bit product of two 32-bit values. */
static inline uint64_t ipc_mul32(uint32_t a, uint32_t b)
{
#if IPC_ARITH_SOFT_MUL64
    uint32_t al = a & 0xFFFFu, ah = a >> 16, bl = b & 0xFFFFu, bh = b >> 16;
    uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint32_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    uint32_t lo = (ll & 0xFFFFu) | (mid << 16);
    uint32_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    return ((uint64_t)hi << 32) | lo;
#else
    return (uint64_t)a * b;
#endif
}

/* a * b modulo 2^64, as (uint64_t)a * b. */
static inline uint64_t ipc_mul64(uint64_t a, uint32_t b)
{
#if IPC_ARITH_SOFT_MUL64
    uint32_t hi = (uint32_t)(a >> 32) * b;
    return ipc_mul32((uint32_t)a, b) + ((uint64_t)hi << 32);
#else
    return a * b;
#endif
}

/* Microseconds to nanoseconds (64-bit result, no overflow for any u32). */
static inline uint64_t ipc_us_to_ns(uint32_t us)
{
    return ipc_mul32(us, 1000u);
}

/* v << n and v >> n for n < 64, on the 32-bit halves. */
static inline uint64_t ipc_shl64(uint64_t v, uint32_t n)
{
    uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
    if (n >= 32u)
        return (uint64_t)(lo << (n - 32u)) << 32;
    if (n == 0u)
        return v;
    return ((uint64_t)((hi << n) | (lo >> (32u - n))) << 32) | (uint32_t)(lo << n);
}

static inline uint64_t ipc_shr64(uint64_t v, uint32_t n)
{
    uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);
    if (n >= 32u)
        return hi >> (n - 32u);
    if (n == 0u)
        return v;
    return ((uint64_t)(hi >> n) << 32) | ((lo >> n) | (hi << (32u - n)));
}

/* *dst = *src for a 16-byte packet. On a 64-bit target the assignment is
 * two register moves; on a 32-bit one GCC may make it a memcpy call, so
 * the packet is copied as four 32-bit words there (and with
 * IPC_ARITH_FORCE_SOFT, for the unit test). */
typedef uint32_t __attribute__((may_alias)) ipc_word_alias_t;

static inline void ipc_packet_copy(ipc_packet_t *dst, const ipc_packet_t *src)
{
#if UINTPTR_MAX > 0xffffffffu && !defined(IPC_ARITH_FORCE_SOFT)
    *dst = *src;
#else
    ipc_word_alias_t *d = (ipc_word_alias_t *)(void *)dst;
    const ipc_word_alias_t *s = (const ipc_word_alias_t *)(const void *)src;
    uint32_t w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];
    d[0] = w0;
    d[1] = w1;
    d[2] = w2;
    d[3] = w3;
#endif
}

#endif /* ZENEDGE_IPC_ARITH_H */
