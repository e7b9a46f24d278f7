/* SPDX-License-Identifier: BSD-3-Clause */
/* test_proxy_mem: the proxy's copy and zero loops (rtos/proxy_mem.c).
 * pj_copy copies exactly n bytes for every length and every alignment of
 * both ends (the 64-byte line, word and byte loops), and writes zeros
 * when its source is NULL (the zeroing of 32-bit targets); pj_zero
 * zeroes exactly n bytes. Nothing outside [dst, dst + n) is touched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "proxy_internal.h"

#define LEN  140u
#define SPAN (LEN + 16u)

static void fill(uint8_t *b, uint32_t n, uint8_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + 7u * i + 1u);
}

/* dst holds the guard pattern outside [off, off + n) and want inside. */
static void check(const uint8_t *dst, uint32_t off, uint32_t n, const uint8_t *want)
{
    uint8_t guard[SPAN];
    fill(guard, SPAN, 0x40);
    for (uint32_t i = 0; i < SPAN; i++) {
        uint8_t w = i >= off && i < off + n ? (want ? want[i - off] : 0u) : guard[i];
        if (dst[i] != w)
            fail_msg("n=%u off=%u: byte %u is 0x%02x, not 0x%02x", n, off, i, dst[i], w);
    }
}

static void copy_every_length_and_alignment(void **state)
{
    (void)state;
    _Alignas(8) uint8_t src[SPAN], dst[SPAN];
    fill(src, SPAN, 0x11);
    for (uint32_t n = 0; n <= LEN; n++)
        for (uint32_t so = 0; so < 8u; so++)
            for (uint32_t dof = 0; dof < 8u; dof++) {
                fill(dst, SPAN, 0x40);
                pj_copy(dst + dof, src + so, n);
                check(dst, dof, n, src + so);
            }
}

static void zero_every_length_and_alignment(void **state)
{
    (void)state;
    _Alignas(8) uint8_t dst[SPAN];
    for (uint32_t n = 0; n <= LEN; n++)
        for (uint32_t dof = 0; dof < 8u; dof++) {
            fill(dst, SPAN, 0x40);
            pj_copy(dst + dof, 0, n);
            check(dst, dof, n, 0);
            fill(dst, SPAN, 0x40);
            pj_zero(dst + dof, n);
            check(dst, dof, n, 0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_every_length_and_alignment),
        cmocka_unit_test(zero_every_length_and_alignment),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
