/* SPDX-License-Identifier: BSD-3-Clause */
/* test_lat_hist: the fixed-bucket latency histogram: bucket edges, the
 * 25 % bound, quantiles against exact ones, and the per-stage split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lat_trace.h"
#include "proxy.h"

static void test_edges(void **state)
{
    (void)state;
    assert_int_equal(lat_hist_bucket(0), 0);
    assert_int_equal(lat_hist_bucket(1023), 0);
    assert_int_equal(lat_hist_bucket(1024), 1);
    assert_int_equal(lat_hist_bucket(~0ull), LAT_HIST_BUCKETS - 1);
    /* Every value lies below its bucket's upper edge and at or above the
     * previous one, and the edge overstates it by at most 25 %. */
    for (uint64_t v = 1; v < (1ull << 40); v = v * 3 / 2 + 1) {
        uint32_t b = lat_hist_bucket(v);
        assert_true(v < lat_hist_upper(b));
        if (b > 0)
            assert_true(v >= lat_hist_upper(b - 1));
        if (b > 0)
            assert_true(lat_hist_upper(b) - v <= v / 4 + 1);
    }
    for (uint32_t b = 1; b < LAT_HIST_BUCKETS - 1; b++)
        assert_true(lat_hist_upper(b) > lat_hist_upper(b - 1));
}

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_quantiles(void **state)
{
    (void)state;
    lat_hist_t h;
    lat_hist_init(&h);
    assert_int_equal(lat_hist_quantile(&h, 500), 0);
    enum { N = 5000 };
    uint64_t *v = malloc(N * sizeof(*v));
    uint32_t s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = 2000 + (s >> 8) % 3000000; /* 2 us .. 3 ms */
        lat_hist_add(&h, v[i]);
    }
    qsort(v, N, sizeof(*v), cmp);
    assert_int_equal(h.n, N);
    assert_int_equal(h.min_ns, v[0]);
    assert_int_equal(h.max_ns, v[N - 1]);
    const uint32_t qs[] = {10, 500, 900, 990, 1000};
    for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
        uint64_t exact = v[(N * qs[k] + 999) / 1000 - 1];
        uint64_t got = lat_hist_quantile(&h, qs[k]);
        assert_true(got >= exact);
        assert_true(got - exact <= exact / 4 + 1);
    }
    free(v);
}

static void test_trace_split(void **state)
{
    (void)state;
    lat_trace_t t;
    lat_trace_init(&t);
    proxy_result_t r = {0};
    r.t_submit = 1000000;
    r.t_pickup = 1002000;
    r.t_backend_start = 1003000;
    r.t_backend_end = 1013000;
    r.t_complete = 1014000;
    r.t_complete_seen = 1016000;
    r.t_wake = 1020000;
    r.times_valid = true;
    lat_trace_add(&t, &r);
    assert_int_equal(t.stage[LAT_BACKEND].max_ns, 10000);
    assert_int_equal(t.stage[LAT_ROUND_TRIP].max_ns, 20000);
    r.times_valid = false; /* bridge stages skipped, ours kept */
    lat_trace_add(&t, &r);
    assert_int_equal(t.stage[LAT_BACKEND].n, 1);
    assert_int_equal(t.stage[LAT_ROUND_TRIP].n, 2);
    assert_string_equal(lat_stage_name(LAT_SEEN_WAKE), "seen->wake");
    assert_int_equal(t.stage[LAT_SEEN_WAKE].max_ns, 4000); /* t_wait_call 0: from seen */
    /* a job that was done before its task asked: the wake stage starts at
     * the call, the round trip keeps the whole span */
    lat_trace_t t2;
    lat_trace_init(&t2);
    r.times_valid = true;
    r.t_wait_call = 1019500;
    lat_trace_add(&t2, &r);
    assert_int_equal(t2.stage[LAT_SEEN_WAKE].max_ns, 500);
    assert_int_equal(t2.stage[LAT_ROUND_TRIP].max_ns, 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_trace_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
