/* SPDX-License-Identifier: BSD-3-Clause */
/* test_nc_order: the cache maintenance of the non-coherent build in the
 * ring and the region (core/ipc_ring.c, core/ipc_region.c), recorded by
 * tests/helpers/nc_port.c: every slot and header byte the writer publishes
 * is cleaned before the store-release that publishes it and the index word
 * cleaned after it; the reader invalidates the index word before its
 * load-acquire and the data after it. Then the same code over two copies
 * of the memory (nc_port.h, "Model"): what is not cleaned or invalidated
 * stays stale, and the round trips below would see it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nc_port.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

#define SLOTS  8u
#define REGION (64u * 1024u)

typedef struct {
    _Alignas(64) uint8_t mem[IPC_RING_BYTES(SLOTS)];
    ipc_ring_t *r;
    ipc_ring_prod_t p;
    ipc_ring_cons_t c;
} ring_fx_t;

static ipc_packet_t pkt(uint32_t id)
{
    ipc_packet_t p = {CMD_PING, 0, id, (uint64_t)id * 10u};
    return p;
}

static ring_fx_t *ring_new(void)
{
    ring_fx_t *f = calloc(1, sizeof(*f));
    f->r = (ipc_ring_t *)(void *)f->mem;
    assert_int_equal(ipc_ring_init(f->r, SLOTS, 0, IPC_SIDE_ZENEDGE), IPC_OK);
    assert_int_equal(ipc_ring_prod_attach(&f->p, f->r, SLOTS), IPC_OK);
    assert_int_equal(ipc_ring_cons_attach(&f->c, f->r, SLOTS), IPC_OK);
    return f;
}

/* Move both counters to n so that the next packets wrap. */
static void ring_advance(ring_fx_t *f, uint32_t n)
{
    ipc_packet_t out[SLOTS];
    for (uint32_t i = 0; i < n; i++) {
        ipc_packet_t in = pkt(900u + i);
        assert_int_equal(ipc_ring_enqueue(&f->p, &in), IPC_OK);
        assert_int_equal(ipc_ring_dequeue_burst(&f->c, out, SLOTS), 1);
    }
}

/* R1: slots cleaned, then head released, then head cleaned. */
static void test_producer_order(void **state)
{
    (void)state;
    ring_fx_t *f = ring_new();
    ring_advance(f, 6);
    ipc_packet_t in[4] = {pkt(1), pkt(2), pkt(3), pkt(4)};
    nc_record(true);
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, 4), 4);
    nc_record(false);
    uint32_t rel = nc_last_at(NC_REL, &f->r->head);
    assert_int_not_equal(rel, 0);
    assert_int_equal(nc_first_at(NC_REL, &f->r->head), rel); /* one release per bulk */
    for (uint32_t i = 0; i < 4; i++)                         /* slots 6, 7, 0, 1 */
        assert_int_not_equal(nc_find(NC_CLEAN, &f->r->data[(6u + i) & (SLOTS - 1u)], 16, 0, rel), 0);
    assert_int_not_equal(nc_find(NC_CLEAN, &f->r->head, 4, rel, 0), 0);
    free(f);
}

/* A2: a full ring (as cached) refreshes tail: invalidate, then acquire. */
static void test_producer_refresh_order(void **state)
{
    (void)state;
    ring_fx_t *f = ring_new();
    ipc_packet_t in[SLOTS], out[2];
    for (uint32_t i = 0; i < SLOTS; i++)
        in[i] = pkt(i + 1u);
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, SLOTS), (int)SLOTS);
    assert_int_equal(ipc_ring_dequeue_burst(&f->c, out, 2), 2);
    nc_record(true);
    assert_int_equal(ipc_ring_enqueue(&f->p, &in[0]), IPC_OK);
    nc_record(false);
    uint32_t acq = nc_first_at(NC_ACQ, &f->r->tail);
    assert_int_not_equal(acq, 0);
    assert_int_not_equal(nc_find(NC_INVAL, &f->r->tail, 4, 0, acq), 0);
    free(f);
}

/* A1 then R2: head invalidated, acquired; slots invalidated; tail
 * released, then cleaned. */
static void test_consumer_order(void **state)
{
    (void)state;
    ring_fx_t *f = ring_new();
    ring_advance(f, 5);
    ipc_packet_t in[5] = {pkt(1), pkt(2), pkt(3), pkt(4), pkt(5)}, out[SLOTS];
    assert_int_equal(ipc_ring_enqueue_bulk(&f->p, in, 5), 5);
    nc_record(true);
    assert_int_equal(ipc_ring_dequeue_burst(&f->c, out, SLOTS), 5);
    nc_record(false);
    uint32_t acq = nc_first_at(NC_ACQ, &f->r->head);
    uint32_t rel = nc_last_at(NC_REL, &f->r->tail);
    assert_int_not_equal(acq, 0);
    assert_int_not_equal(rel, 0);
    assert_int_not_equal(nc_find(NC_INVAL, &f->r->head, 4, 0, acq), 0);
    for (uint32_t i = 0; i < 5; i++) /* slots 5, 6, 7, 0, 1 */
        assert_int_not_equal(nc_find(NC_INVAL, &f->r->data[(5u + i) & (SLOTS - 1u)], 16, acq, rel), 0);
    assert_int_not_equal(nc_find(NC_CLEAN, &f->r->tail, 4, rel, 0), 0);
    assert_int_equal(out[4].payload_id, 5);
    free(f);
}

static void region_cfg(ipc_region_config_t *cfg)
{
    ipc_region_config_default(cfg, REGION);
    cfg->n_sq = 2;
    cfg->sq_slots = 16;
    cfg->max_jobs = 16;
    cfg->features |= IPC_FEAT_NONCOHERENT;
}

/* Init: unpublish (release 0, clean), write and clean header, rings and
 * table, release the magic, clean it. Attach: invalidate the magic,
 * acquire it, then invalidate the header and the ring headers it reads. */
static void test_region_order(void **state)
{
    (void)state;
    uint8_t *mem = aligned_alloc(4096, REGION);
    memset(mem, 0xA5, REGION);
    ipc_region_config_t cfg;
    region_cfg(&cfg);
    ipc_region_t zen, br;
    ipc_region_hdr_t *h = (ipc_region_hdr_t *)(void *)mem;
    nc_record(true);
    assert_int_equal(ipc_region_init(&zen, mem, &cfg), IPC_OK);
    nc_record(false);
    uint32_t unpub = nc_first_at(NC_REL, &h->magic), pub = nc_last_at(NC_REL, &h->magic);
    assert_true(unpub != 0 && pub > unpub);
    assert_int_not_equal(nc_find(NC_CLEAN, &h->magic, 4, unpub, pub), 0);
    assert_int_not_equal(nc_find(NC_CLEAN, mem + 4, zen.heap_off - 4u, unpub, pub), 0);
    assert_int_not_equal(nc_find(NC_CLEAN, &h->magic, 4, pub, 0), 0);

    nc_record(true);
    assert_int_equal(ipc_region_attach(&br, mem, REGION, NULL), IPC_OK);
    nc_record(false);
    uint32_t acq = nc_first_at(NC_ACQ, &h->magic);
    assert_int_not_equal(acq, 0);
    assert_int_not_equal(nc_find(NC_INVAL, &h->magic, 4, 0, acq), 0);
    assert_int_not_equal(nc_find(NC_INVAL, mem, 2u * IPC_CACHELINE, acq, 0), 0); /* layout lines */
    for (uint32_t i = 0; i < br.n_sq; i++)
        assert_int_not_equal(nc_find(NC_INVAL, br.sq[i], 16, acq, 0), 0);
    assert_int_not_equal(nc_find(NC_INVAL, br.cq, 16, acq, 0), 0);
    free(mem);
}

/* Model: the ZENEDGE side on the cache copy, the bridge on memory. */
static void test_model_round_trip(void **state)
{
    (void)state;
    uint8_t *cache = aligned_alloc(4096, REGION), *mem = aligned_alloc(4096, REGION);
    memset(cache, 0, REGION);
    memset(mem, 0x5A, REGION);
    nc_model_start(cache, mem, REGION);
    ipc_region_config_t cfg;
    region_cfg(&cfg);
    ipc_region_t zen, br;
    assert_int_equal(ipc_region_init(&zen, cache, &cfg), IPC_OK);
    assert_int_equal(ipc_region_attach(&br, mem, REGION, NULL), IPC_OK);
    assert_int_equal(br.heap_off, zen.heap_off);
    ipc_ring_prod_t zp, bp;
    ipc_ring_cons_t zc, bc;
    assert_int_equal(ipc_ring_prod_attach(&zp, zen.sq[1], zen.sq_slots), IPC_OK);
    assert_int_equal(ipc_ring_cons_attach(&bc, br.sq[1], br.sq_slots), IPC_OK);
    assert_int_equal(ipc_ring_prod_attach(&bp, br.cq, br.cq_slots), IPC_OK);
    assert_int_equal(ipc_ring_cons_attach(&zc, zen.cq, zen.cq_slots), IPC_OK);
    for (uint32_t round = 0; round < 3u * 16u; round++) { /* three wraps of the rings */
        ipc_packet_t in[3] = {pkt(round * 3u + 1u), pkt(round * 3u + 2u), pkt(round * 3u + 3u)}, out[4];
        uint32_t n = round % 3u + 1u;
        assert_int_equal(ipc_ring_enqueue_burst(&zp, in, n), (int)n);
        assert_int_equal(ipc_ring_dequeue_burst(&bc, out, 4), (int)n);
        for (uint32_t i = 0; i < n; i++)
            assert_int_equal(out[i].payload_id, in[i].payload_id);
        for (uint32_t i = 0; i < n; i++)
            out[i].cmd = CMD_PONG;
        assert_int_equal(ipc_ring_enqueue_burst(&bp, out, n), (int)n);
        assert_int_equal(ipc_ring_dequeue_burst(&zc, in, 4), (int)n);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(in[i].cmd, CMD_PONG);
            assert_int_equal(in[i].payload_id, round * 3u + i + 1u);
        }
    }
    nc_model_stop();
    free(cache);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_producer_order),   cmocka_unit_test(test_producer_refresh_order),
        cmocka_unit_test(test_consumer_order),   cmocka_unit_test(test_region_order),
        cmocka_unit_test(test_model_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
