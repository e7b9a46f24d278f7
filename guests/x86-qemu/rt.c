/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rt.c - the run-time support a freestanding -m32 build needs: the four
 * memory functions GCC may call on its own (struct copies, zeroing), and
 * 64-bit division, which i386 has no instruction for and which libgcc
 * would otherwise provide (we link none: -nostdlib). The division is a
 * plain shift-and-subtract loop (64 steps at most); it is used for
 * logging, the summary and the clock calibration, never per packet.
 */
#include "zx.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else if (d > s) {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

uint64_t zx_udivmod64(uint64_t n, uint64_t d, uint64_t *rem)
{
    if (d == 0) { /* no trap: a defined, visible value */
        if (rem)
            *rem = n;
        return ~(uint64_t)0;
    }
    if ((d >> 32) == 0 && (n >> 32) == 0) {
        uint32_t q = (uint32_t)n / (uint32_t)d; /* native 32-bit divide */
        if (rem)
            *rem = (uint32_t)n - q * (uint32_t)d;
        return q;
    }
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1u);
        if (r >= d) {
            r -= d;
            q |= (uint64_t)1 << i;
        }
    }
    if (rem)
        *rem = r;
    return q;
}

/* The libgcc entry points GCC emits for 64-bit '/' and '%' on i386. */
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divdi3(int64_t n, int64_t d);
int64_t __moddi3(int64_t n, int64_t d);
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
    return zx_udivmod64(n, d, rem);
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
    return zx_udivmod64(n, d, 0);
}
uint64_t __umoddi3(uint64_t n, uint64_t d)
{
    uint64_t r;
    (void)zx_udivmod64(n, d, &r);
    return r;
}
int64_t __divdi3(int64_t n, int64_t d)
{
    bool neg = (n < 0) != (d < 0);
    uint64_t un = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    uint64_t ud = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    uint64_t q = zx_udivmod64(un, ud, 0);
    return neg ? -(int64_t)q : (int64_t)q;
}
int64_t __moddi3(int64_t n, int64_t d)
{
    uint64_t un = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    uint64_t ud = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    uint64_t r;
    (void)zx_udivmod64(un, ud, &r);
    return n < 0 ? -(int64_t)r : (int64_t)r;
}

bool zx_str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

bool zx_parse_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10u + (uint32_t)(*s - '0');
        if (v > 0xFFFFFFFFu)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}
