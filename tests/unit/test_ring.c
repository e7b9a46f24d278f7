/* SPDX-License-Identifier: BSD-3-Clause */
/* test_ring: SPSC ring semantics: single/bulk/burst, full, empty, wrap, and
 * rejection of impossible peer counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_ring.h"

#define SLOTS 8u

typedef struct {
    _Alignas(64) uint8_t mem[IPC_RING_BYTES(SLOTS)];
    ipc_ring_t *r;
    ipc_ring_prod_t p;
    ipc_ring_cons_t c;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->r = (ipc_ring_t *)f->mem;
    assert_int_equal(ipc_ring_init(f->r, SLOTS, 0, IPC_SIDE_ZENEDGE), IPC_OK);
    assert_int_equal(ipc_ring_prod_attach(&f->p, f->r, SLOTS), IPC_OK);
    assert_int_equal(ipc_ring_cons_attach(&f->c, f->r, SLOTS), IPC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static ipc_packet_t pkt(uint32_t id)
{
    ipc_packet_t p = {CMD_PING, 0, id, (uint64_t)id * 10u};
    return p;
}

static void test_init_rejects_bad_size(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(ipc_ring_init(f->r, 6, 0, IPC_SIDE_ZENEDGE), IPC_E_INVAL);
    assert_int_equal(ipc_ring_init(f->r, 1, 0, IPC_SIDE_ZENEDGE), IPC_E_INVAL);
    assert_int_equal(ipc_ring_init(f->r, 0, 0, IPC_SIDE_ZENEDGE), IPC_E_INVAL);
    assert_int_equal(ipc_ring_init(f->r, 131072, 0, IPC_SIDE_ZENEDGE), IPC_E_INVAL);
}

static void test_attach_checks(void **state)
{
    fixture_t *f = *state;
    ipc_ring_prod_t p;
    assert_int_equal(ipc_ring_prod_attach(&p, f->r, 16), IPC_E_RING_SIZE);
    assert_int_equal(ipc_ring_prod_attach(&p, f->r, 12), IPC_E_RING_SIZE);
    f->r->magic = 0x12345678u;
    assert_int_equal(ipc_ring_prod_attach(&p, f->r, SLOTS), IPC_E_RING_MAGIC);
    f->r->magic = IPC_RING_MAGIC;
    f->r->head = 100;
    f->r->tail = 50; /* 50 > 8 in flight: impossible */
    assert_int_equal(ipc_ring_prod_attach(&p, f->r, SLOTS), IPC_E_RING_CORRUPT);
    ipc_ring_cons_t c;
    assert_int_equal(ipc_ring_cons_attach(&c, f->r, SLOTS), IPC_E_RING_CORRUPT);
    /* A restarted side adopts consistent counters. */
    f->r->tail = 97;
    assert_int_equal(ipc_ring_cons_attach(&c, f->r, SLOTS), IPC_OK);
    assert_int_equal(ipc_ring_ready_count(&c), 3);
}

/* The zenedge side takes the rings it has just written without reading
 * them back: same state as an attach, and the peer's counters are still
 * validated from the first call on. */
static void test_fresh_matches_attach(void **state)
{
    fixture_t *f = *state;
    ipc_ring_prod_t p;
    ipc_ring_cons_t c;
    memset(&p, 0xA5, sizeof(p));
    memset(&c, 0xA5, sizeof(c));
    assert_int_equal(ipc_ring_prod_fresh(&p, f->r, SLOTS), IPC_OK);
    assert_int_equal(ipc_ring_cons_fresh(&c, f->r, SLOTS), IPC_OK);
    assert_ptr_equal(p.ring, f->p.ring);
    assert_int_equal(p.size, f->p.size);
    assert_int_equal(p.mask, f->p.mask);
    assert_int_equal(p.head, f->p.head);
    assert_int_equal(p.tail_seen, f->p.tail_seen);
    assert_int_equal(p.corrupt, 0);
    assert_ptr_equal(c.ring, f->c.ring);
    assert_int_equal(c.size, f->c.size);
    assert_int_equal(c.mask, f->c.mask);
    assert_int_equal(c.tail, f->c.tail);
    assert_int_equal(c.head_seen, f->c.head_seen);
    assert_int_equal(c.corrupt, 0);
    assert_int_equal(ipc_ring_prod_fresh(0, f->r, SLOTS), IPC_E_INVAL);
    assert_int_equal(ipc_ring_prod_fresh(&p, 0, SLOTS), IPC_E_INVAL);
    assert_int_equal(ipc_ring_prod_fresh(&p, f->r, 6), IPC_E_INVAL);
    assert_int_equal(ipc_ring_cons_fresh(0, f->r, SLOTS), IPC_E_INVAL);
    assert_int_equal(ipc_ring_cons_fresh(&c, 0, SLOTS), IPC_E_INVAL);
    assert_int_equal(ipc_ring_cons_fresh(&c, f->r, 131072), IPC_E_INVAL);
    ipc_packet_t in = pkt(7), out;
    assert_int_equal(ipc_ring_enqueue(&p, &in), IPC_OK);
    assert_int_equal(ipc_ring_dequeue(&c, &out), IPC_OK);
    assert_int_equal(out.payload_id, 7u);
    f->r->tail = 100u; /* a peer's impossible tail: refused on the next look */
    assert_int_equal(ipc_ring_free_count(&p), IPC_E_RING_CORRUPT);
}

static void test_single_roundtrip_and_empty(void **state)
{
    fixture_t *f = *state;
    ipc_packet_t out;
    assert_int_equal(ipc_ring_dequeue(&f->c, &out), IPC_E_RING_EMPTY);
    ipc_packet_t in = pkt(7);
    assert_int_equal(ipc_ring_enqueue(&f->p, &in), IPC_OK);
    assert_int_equal(ipc_ring_dequeue(&f->c, &out), IPC_OK);
    assert_memory_equal(&in, &out, sizeof(in));
    assert_int_equal(ipc_ring_dequeue(&f->c, &out), IPC_E_RING_EMPTY);
}

static void test_full_uses_every_slot(void **state)
{
    fixture_t *f = *state;
    for (uint32_t i = 0; i < SLOTS; i++) {
        ipc_packet_t in = pkt(i);
        assert_int_equal(ipc_ring_enqueue(&f->p, &in), IPC_OK);
    }
    ipc_packet_t extra = pkt(99);
    assert_int_equal(ipc_ring_enqueue(&f->p, &extra), IPC_E_RING_FULL);
    assert_int_equal(ipc_ring_free_count(&f->p), 0);
    ipc_packet_t out;
    assert_int_equal(ipc_ring_dequeue(&f->c, &out), IPC_OK);
    assert_int_equal(out.payload_id, 0);
    assert_int_equal(ipc_ring_enqueue(&f->p, &extra), IPC_OK);
}

static void test_bulk_all_or_nothing(void **state)
{
    fixture_t *f = *state;
    ipc_packet_t in[SLOTS + 1];
    for (uint32_t i = 0; i <= SLOTS; i++)
        in[i] = pkt(i);
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, SLOTS + 1), IPC_E_RING_FULL);
    assert_int_equal(ipc_ring_ready_count(&f->c), 0);
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, 5), 5);
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, 4), IPC_E_RING_FULL);
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, 3), 3);
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, 0), 0);
}

static void test_burst_partial(void **state)
{
    fixture_t *f = *state;
    ipc_packet_t in[12], out[12];
    for (uint32_t i = 0; i < 12; i++)
        in[i] = pkt(i);
    assert_int_equal(ipc_ring_enqueue_burst(&f->p, in, 12), SLOTS);
    assert_int_equal(ipc_ring_enqueue_burst(&f->p, in, 12), 0);
    assert_int_equal(ipc_ring_dequeue_burst(&f->c, out, 3), 3);
    assert_int_equal(ipc_ring_dequeue_burst(&f->c, out + 3, 12), SLOTS - 3);
    for (uint32_t i = 0; i < SLOTS; i++)
        assert_int_equal(out[i].payload_id, i);
    assert_int_equal(ipc_ring_dequeue_burst(&f->c, out, 12), 0);
}

static void test_wraparound_counters(void **state)
{
    fixture_t *f = *state;
    /* Start just below the 32-bit wrap: free-running counters must cross it. */
    f->r->head = f->r->tail = 0xFFFFFFFAu;
    assert_int_equal(ipc_ring_prod_attach(&f->p, f->r, SLOTS), IPC_OK);
    assert_int_equal(ipc_ring_cons_attach(&f->c, f->r, SLOTS), IPC_OK);
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 50; round++) {
        ipc_packet_t in[5], out[8];
        for (int i = 0; i < 5; i++)
            in[i] = pkt(next_in++);
        assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, 5), 5);
        int n = ipc_ring_dequeue_burst(&f->c, out, 8);
        assert_int_equal(n, 5);
        for (int i = 0; i < n; i++)
            assert_int_equal(out[i].payload_id, next_out++);
    }
    assert_true(f->r->head < 0x1000u);
}

static void test_corrupt_peer_counters(void **state)
{
    fixture_t *f = *state;
    ipc_packet_t in = pkt(1), out;
    assert_int_equal(ipc_ring_enqueue(&f->p, &in), IPC_OK);
    /* A hostile producer publishes a head far ahead of tail. */
    f->r->head = f->c.tail + SLOTS + 1;
    assert_int_equal(ipc_ring_dequeue(&f->c, &out), IPC_E_RING_CORRUPT);
    assert_int_equal(f->c.corrupt, 1);
    assert_int_equal(ipc_ring_ready_count(&f->c), IPC_E_RING_CORRUPT);
    /* head behind tail is just as impossible. */
    f->r->head = f->c.tail - 1;
    assert_int_equal(ipc_ring_dequeue(&f->c, &out), IPC_E_RING_CORRUPT);
    /* A hostile consumer publishes a tail beyond head. */
    fixture_t *g = f;
    g->r->head = g->p.head;
    g->r->tail = g->p.head + 3;
    ipc_packet_t many[SLOTS];
    for (uint32_t i = 0; i < SLOTS; i++)
        many[i] = pkt(i);
    assert_int_equal(ipc_ring_enqueue_bulk(&g->p, many, SLOTS), IPC_E_RING_CORRUPT);
    assert_int_equal(ipc_ring_free_count(&g->p), IPC_E_RING_CORRUPT);
    assert_true(g->p.corrupt >= 2);
    /* Nothing was written into the ring by the refused enqueue. */
    assert_int_equal(g->r->head, g->p.head);
}

static void test_peek_fill(void **state)
{
    fixture_t *f = *state;
    ipc_packet_t in[3] = {pkt(1), pkt(2), pkt(3)};
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, 3), 3);
    assert_int_equal(ipc_ring_peek_fill(f->r, SLOTS), 3);
    f->r->tail = f->r->head + 1;
    assert_int_equal(ipc_ring_peek_fill(f->r, SLOTS), IPC_E_RING_CORRUPT);
}

static void test_bad_args(void **state)
{
    fixture_t *f = *state;
    ipc_ring_prod_t p;
    memset(&p, 0, sizeof(p));
    ipc_packet_t in = pkt(1);
    assert_int_equal(ipc_ring_enqueue(&p, &in), IPC_E_INVAL);
    assert_int_equal(ipc_ring_enqueue_burst(&f->p, NULL, 2), IPC_E_INVAL);
    assert_int_equal(ipc_ring_dequeue_burst(&f->c, NULL, 2), IPC_E_INVAL);
    assert_int_equal(ipc_ring_prod_attach(NULL, f->r, SLOTS), IPC_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_rejects_bad_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_matches_attach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_roundtrip_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_uses_every_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wraparound_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_peer_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peek_fill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
