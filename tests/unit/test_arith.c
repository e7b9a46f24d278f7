/* SPDX-License-Identifier: BSD-3-Clause */
/* test_arith: the soft division, 64-bit products and shifts of
 * zenedge/ipc_arith.h (the forms ARMv6-M and RV32I builds use, selected
 * here by IPC_ARITH_FORCE_SOFT) give what the native operators give, on
 * edge values and a fixed pseudo-random sequence; the packet copy copies
 * every field. */
#define IPC_ARITH_FORCE_SOFT 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "zenedge/ipc_arith.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const uint32_t edges[] = {0u, 1u, 2u, 3u, 999u, 1000u, 0xFFFFu, 0x10000u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu};
#define N_EDGES (sizeof(edges) / sizeof(edges[0]))

static void check_div(uint32_t n, uint32_t d)
{
    uint32_t rem = 0;
    uint32_t q = ipc_udiv32(n, d, &rem);
    assert_int_equal(IPC_ARITH_SOFT_DIV, 1);
    if (d == 0u) {
        assert_true(q == ~0u);
        assert_true(rem == n);
        return;
    }
    assert_true(q == n / d);
    assert_true(rem == n % d);
}

static void check_mul(uint32_t a, uint32_t b)
{
    assert_true(ipc_mul32(a, b) == (uint64_t)a * b);
    uint64_t wide = ((uint64_t)b << 32) | a;
    assert_true(ipc_mul64(wide, b) == wide * b);
}

static void test_div_mul(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < N_EDGES; i++)
        for (uint32_t k = 0; k < N_EDGES; k++) {
            check_div(edges[i], edges[k]);
            check_mul(edges[i], edges[k]);
        }
    for (uint32_t i = 0; i < 100000u; i++) {
        uint64_t r = next();
        uint32_t d = (uint32_t)(r >> 32) >> (r & 31u); /* small divisors too */
        check_div((uint32_t)r, d);
        check_mul((uint32_t)r, (uint32_t)(r >> 32));
    }
    assert_true(ipc_us_to_ns(0xFFFFFFFFu) == 0xFFFFFFFFull * 1000u);
}

static void test_shifts(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 20000u; i++) {
        uint64_t v = next();
        for (uint32_t n = 0; n < 64u; n++) {
            assert_true(ipc_shl64(v, n) == v << n);
            assert_true(ipc_shr64(v, n) == v >> n);
        }
    }
}

static void test_packet_copy(void **state)
{
    (void)state;
    ipc_packet_t src = {
        .cmd = 0x1234u, .flags = 0xBEEFu, .payload_id = 0xCAFEF00Du, .timestamp = 0x0102030405060708ull};
    ipc_packet_t dst = {0};
    ipc_packet_copy(&dst, &src);
    assert_int_equal(dst.cmd, src.cmd);
    assert_int_equal(dst.flags, src.flags);
    assert_int_equal(dst.payload_id, src.payload_id);
    assert_true(dst.timestamp == src.timestamp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_div_mul),
        cmocka_unit_test(test_shifts),
        cmocka_unit_test(test_packet_copy),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
