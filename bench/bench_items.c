/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_items.c - the measured items of zenedge-bench and the shared
 * mapping they live in.
 *
 * Every item has a leader half (the zenedge side: it sends, and it times)
 * and a follower half (the bridge side: it answers or drains). Both halves
 * check what they receive (command, handle, sequence number), so the same
 * code serves the timed run and --selftest.
 *
 * Spin loops all use ipc_cpu_relax(), so that no mechanism is favoured by
 * a tighter loop than another.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zl.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_errors.h"

#define MAP_ALIGN         4096u
#define ALIGN_UP(x, a)    (((x) + ((a)-1u)) & ~((size_t)(a)-1u))
#define REGION_HEAP_BYTES 65536u
#define WAIT_TIMEOUT_MS   1000

static uint32_t region_bytes(void)
{
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, 0);
    cfg.sq_slots = BENCH_STREAM_SLOTS;
    uint32_t need = ipc_region_layout_bytes(&cfg) + REGION_HEAP_BYTES;
    return (uint32_t)ALIGN_UP(need, MAP_ALIGN);
}

size_t bench_shared_bytes(void)
{
    return MAP_ALIGN + region_bytes() + ALIGN_UP(bench_dpdk_bytes(), MAP_ALIGN) +
           ALIGN_UP(bench_lay_bytes(), MAP_ALIGN);
}

int bench_setup(bench_ctx_t *c)
{
    c->map_size = bench_shared_bytes();
    void *m = mmap(NULL, c->map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        fprintf(stderr, "zenedge-bench: mmap of %zu bytes failed: %s\n", c->map_size, strerror(errno));
        return -1;
    }
    c->map = m;
    c->sh = (bench_shared_t *)m;
    c->efd_zen = c->efd_bridge = c->raw_efd_a = c->raw_efd_b = -1;
    c->sock[0] = c->sock[1] = -1;

    /* The region, laid out by the zenedge side as zenedge-sim would. */
    c->region_base = c->map + MAP_ALIGN;
    c->region_size = region_bytes();
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, c->region_size);
    cfg.sq_slots = BENCH_STREAM_SLOTS;
    cfg.features |= IPC_FEAT_SHARED_CLOCK;
    int err = ipc_region_init(&c->view, c->region_base, &cfg);
    if (err) {
        fprintf(stderr, "zenedge-bench: ipc_region_init(size=%u, sq_slots=%u): %s\n", c->region_size, cfg.sq_slots,
                ipc_strerror(err));
        return -1;
    }
    if (c->view.n_sq < 2) {
        fprintf(stderr, "zenedge-bench: region has n_sq=%u, needs at least 2\n", c->view.n_sq);
        return -1;
    }

    uint8_t *p = c->region_base + c->region_size;
    if (bench_dpdk_setup(c, p) != 0)
        return -1;
    p += ALIGN_UP(bench_dpdk_bytes(), MAP_ALIGN);
    if (bench_lay_setup(c, p) != 0)
        return -1;

    /* Our doorbells: non-blocking, as the helper library polls then reads. */
    c->efd_zen = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    c->efd_bridge = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    /* The plain eventfd ping-pong: blocking read/write, nothing else. */
    c->raw_efd_a = eventfd(0, EFD_CLOEXEC);
    c->raw_efd_b = eventfd(0, EFD_CLOEXEC);
    if (c->efd_zen < 0 || c->efd_bridge < 0 || c->raw_efd_a < 0 || c->raw_efd_b < 0) {
        fprintf(stderr, "zenedge-bench: eventfd: %s\n", strerror(errno));
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sock) != 0) {
        fprintf(stderr, "zenedge-bench: socketpair(AF_UNIX, SOCK_SEQPACKET): %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int bench_attach(bench_ctx_t *c, int role)
{
    int err;
    c->role = role;
    if (role == BENCH_FOLLOWER) {
        /* The bridge side validates the region like zenedge-bridged. */
        ipc_fault_t f;
        memset(&f, 0, sizeof(f));
        err = ipc_region_attach(&c->view, c->region_base, c->region_size, &f);
        if (err) {
            fprintf(stderr, "zenedge-bench: ipc_region_attach: %s (%s=%u breaks %u: %s)\n", ipc_strerror(err),
                    f.field ? f.field : "?", f.value, f.limit, f.rule ? f.rule : "");
            return -1;
        }
        c->me = &c->view.hdr->bridge;
        c->peer = &c->view.hdr->zen;
        if ((err = ipc_ring_cons_attach(&c->rtt_rx, c->view.sq[0], c->view.sq_slots)) ||
            (err = ipc_ring_prod_attach(&c->rtt_tx, c->view.cq, c->view.cq_slots)) ||
            (err = ipc_ring_cons_attach(&c->st_rx, c->view.sq[1], c->view.sq_slots))) {
            fprintf(stderr, "zenedge-bench: bridge-side ring attach: %s\n", ipc_strerror(err));
            return -1;
        }
        close(c->sock[0]);
        c->sock[0] = -1;
    } else {
        c->me = &c->view.hdr->zen;
        c->peer = &c->view.hdr->bridge;
        if ((err = ipc_ring_prod_attach(&c->rtt_tx, c->view.sq[0], c->view.sq_slots)) ||
            (err = ipc_ring_cons_attach(&c->rtt_rx, c->view.cq, c->view.cq_slots)) ||
            (err = ipc_ring_prod_attach(&c->st_tx, c->view.sq[1], c->view.sq_slots))) {
            fprintf(stderr, "zenedge-bench: zenedge-side ring attach: %s\n", ipc_strerror(err));
            return -1;
        }
        close(c->sock[1]);
        c->sock[1] = -1;
    }
    return bench_lay_attach(c);
}

void bench_teardown(bench_ctx_t *c)
{
    int *fds[] = {&c->efd_zen, &c->efd_bridge, &c->raw_efd_a, &c->raw_efd_b, &c->sock[0], &c->sock[1]};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
    if (c->map) {
        munmap(c->map, c->map_size);
        c->map = NULL;
    }
}

uint32_t bench_current_seq(const bench_ctx_t *c)
{
    return c->phase_seq;
}

void bench_wait_ack(bench_ctx_t *c, uint32_t seq)
{
    /* A3: pairs with the follower's release of ack; makes its errors and
     * doorbell counts visible. */
    while (ipc_load_acquire(&c->sh->ack) != seq)
        ipc_cpu_relax();
}

/* ---------------------------------------------------------------------- */
/* 1. The physical limit: one cache line each way                          */
/* ---------------------------------------------------------------------- */

static int raw_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)it;
    uint32_t v = c->raw_value;
    uint64_t t0 = zl_now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        v++;
        /* The follower spins on ping and answers with the same value on
         * pong: exactly one line crosses each way per round trip. */
        ipc_store_release(&c->sh->ping, v);
        while (ipc_load_acquire(&c->sh->pong) != v)
            ipc_cpu_relax();
    }
    s->ns = zl_now_ns() - t0;
    c->raw_value = v;
    return 0;
}

static int raw_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                          uint32_t *doorbells)
{
    (void)it;
    (void)arg;
    (void)errors;
    (void)doorbells;
    uint32_t v = c->raw_value;
    for (uint32_t i = 0; i < ops; i++) {
        v++;
        while (ipc_load_acquire(&c->sh->ping) != v)
            ipc_cpu_relax();
        ipc_store_release(&c->sh->pong, v);
    }
    c->raw_value = v;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* 2. Alternatives: eventfd and UNIX socket ping-pong                      */
/* ---------------------------------------------------------------------- */

static int efd_put(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof(one)) != (ssize_t)sizeof(one)) {
        fprintf(stderr, "zenedge-bench: eventfd write: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static int efd_get(int fd)
{
    uint64_t v;
    if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
        fprintf(stderr, "zenedge-bench: eventfd read: %s\n", strerror(errno));
        return -1;
    }
    return v == 1 ? 0 : 1; /* more than one pending: a lost round trip */
}

static int efd_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)it;
    uint64_t t0 = zl_now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        if (efd_put(c->raw_efd_a) != 0)
            return -1;
        int r = efd_get(c->raw_efd_b);
        if (r < 0)
            return -1;
        s->errors += (uint32_t)r;
    }
    s->ns = zl_now_ns() - t0;
    return 0;
}

static int efd_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                          uint32_t *doorbells)
{
    (void)it;
    (void)arg;
    (void)doorbells;
    for (uint32_t i = 0; i < ops; i++) {
        int r = efd_get(c->raw_efd_a);
        if (r < 0)
            return -1;
        *errors += (uint32_t)r;
        if (efd_put(c->raw_efd_b) != 0)
            return -1;
    }
    return 0;
}

static int unix_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)it;
    uint64_t t0 = zl_now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        ipc_packet_t p = bench_stream_pkt(i), a;
        if (write(c->sock[0], &p, sizeof(p)) != (ssize_t)sizeof(p) ||
            read(c->sock[0], &a, sizeof(a)) != (ssize_t)sizeof(a)) {
            fprintf(stderr, "zenedge-bench: UNIX socket round trip %u: %s\n", i, strerror(errno));
            return -1;
        }
        if (a.cmd != CMD_PONG || a.payload_id != i)
            s->errors++;
    }
    s->ns = zl_now_ns() - t0;
    return 0;
}

static int unix_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                           uint32_t *doorbells)
{
    (void)it;
    (void)arg;
    (void)doorbells;
    for (uint32_t i = 0; i < ops; i++) {
        ipc_packet_t p;
        if (read(c->sock[1], &p, sizeof(p)) != (ssize_t)sizeof(p)) {
            fprintf(stderr, "zenedge-bench: UNIX socket read %u: %s\n", i, strerror(errno));
            return -1;
        }
        if (p.cmd != CMD_PING || p.payload_id != i)
            (*errors)++;
        p.cmd = CMD_PONG;
        if (write(c->sock[1], &p, sizeof(p)) != (ssize_t)sizeof(p)) {
            fprintf(stderr, "zenedge-bench: UNIX socket write %u: %s\n", i, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* 3. Our ring, in a real region                                           */
/* ---------------------------------------------------------------------- */

/* Next PING handle on job slot 0: a ping occupies a slot while in flight. */
static uint32_t next_handle(bench_ctx_t *c)
{
    c->gen = (c->gen + 1u) & IPC_GEN_MASK;
    if (c->gen == 0)
        c->gen = 1;
    return IPC_HANDLE(c->gen, 0u);
}

static int ring_fail(const char *what, int err)
{
    fprintf(stderr, "zenedge-bench: %s: %s\n", what, ipc_strerror(err));
    return -1;
}

/* Enqueue one packet, spinning while the ring is full. */
static int put_spin(ipc_ring_prod_t *tx, const ipc_packet_t *p)
{
    for (;;) {
        int r = ipc_ring_enqueue(tx, p);
        if (r == IPC_OK)
            return 0;
        if (r != IPC_E_RING_FULL)
            return ring_fail("ipc_ring_enqueue", r);
        ipc_cpu_relax();
    }
}

/* Dequeue one packet, spinning while the ring is empty. */
static int get_spin(ipc_ring_cons_t *rx, ipc_packet_t *p)
{
    for (;;) {
        int r = ipc_ring_dequeue(rx, p);
        if (r == IPC_OK)
            return 0;
        if (r != IPC_E_RING_EMPTY)
            return ring_fail("ipc_ring_dequeue", r);
        ipc_cpu_relax();
    }
}

static bool ring_ready(void *arg)
{
    /* Negative (corrupt) counts as ready, so the caller's dequeue sees it. */
    return ipc_ring_ready_count((ipc_ring_cons_t *)arg) != 0;
}

/* Dequeue one packet; when the ring is empty, wait the way `mode` says. */
static int get_wait(bench_ctx_t *c, int mode, int my_efd, ipc_ring_cons_t *rx, ipc_packet_t *p)
{
    for (;;) {
        int r = ipc_ring_dequeue(rx, p);
        if (r == IPC_OK)
            return 0;
        if (r != IPC_E_RING_EMPTY)
            return ring_fail("ipc_ring_dequeue", r);
        r = zl_db_idle_wait(mode, my_efd, c->me, c->opt->spin_ns, WAIT_TIMEOUT_MS, ring_ready, rx);
        if (r < 0) {
            fprintf(stderr, "zenedge-bench: zl_db_idle_wait(mode=%d): %s\n", mode, strerror(-r));
            return -1;
        }
    }
}

static int notify(bench_ctx_t *c, int mode, int peer_efd, uint32_t *doorbells)
{
    int r = zl_db_notify(mode, peer_efd, c->me, c->peer);
    if (r < 0) {
        fprintf(stderr, "zenedge-bench: zl_db_notify(mode=%d): %s\n", mode, strerror(-r));
        return -1;
    }
    *doorbells += (uint32_t)r;
    return 0;
}

static int check_pong(const ipc_packet_t *a, uint32_t h)
{
    return a->cmd == CMD_PONG && a->payload_id == h && a->flags == IPC_STATUS_OK ? 0 : 1;
}

static int ours_poll_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)it;
    uint64_t t0 = zl_now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        uint32_t h = next_handle(c);
        ipc_packet_t p = {CMD_PING, IPC_PKT_FLAGS_NONE, h, i}, a;
        if (put_spin(&c->rtt_tx, &p) || get_spin(&c->rtt_rx, &a))
            return -1;
        s->errors += (uint32_t)check_pong(&a, h);
    }
    s->ns = zl_now_ns() - t0;
    return 0;
}

/* The bridge's answer to a PING: PONG, status OK, handle echoed. */
static ipc_packet_t pong_of(const ipc_packet_t *p, uint32_t *errors)
{
    if (p->cmd != CMD_PING || p->flags != 0 || IPC_HANDLE_GEN(p->payload_id) == 0)
        (*errors)++;
    ipc_packet_t a = {CMD_PONG, IPC_STATUS_OK, p->payload_id, p->timestamp};
    return a;
}

static int ours_poll_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                                uint32_t *doorbells)
{
    (void)it;
    (void)arg;
    (void)doorbells;
    for (uint32_t i = 0; i < ops; i++) {
        ipc_packet_t p;
        if (get_spin(&c->rtt_rx, &p))
            return -1;
        ipc_packet_t a = pong_of(&p, errors);
        if (put_spin(&c->rtt_tx, &a))
            return -1;
    }
    return 0;
}

static int ours_db_rtt_lead(bench_ctx_t *c, int mode, uint32_t ops, bench_sample_t *s)
{
    uint64_t t0 = zl_now_ns();
    for (uint32_t i = 0; i < ops; i++) {
        uint32_t h = next_handle(c);
        ipc_packet_t p = {CMD_PING, IPC_PKT_FLAGS_NONE, h, i}, a;
        if (put_spin(&c->rtt_tx, &p) || notify(c, mode, c->efd_bridge, &s->doorbells) ||
            get_wait(c, mode, c->efd_zen, &c->rtt_rx, &a))
            return -1;
        s->errors += (uint32_t)check_pong(&a, h);
    }
    s->ns = zl_now_ns() - t0;
    return 0;
}

static int ours_db_rtt_follow(bench_ctx_t *c, int mode, uint32_t ops, uint32_t *errors, uint32_t *doorbells)
{
    for (uint32_t i = 0; i < ops; i++) {
        ipc_packet_t p;
        if (get_wait(c, mode, c->efd_bridge, &c->rtt_rx, &p))
            return -1;
        ipc_packet_t a = pong_of(&p, errors);
        if (put_spin(&c->rtt_tx, &a) || notify(c, mode, c->efd_zen, doorbells))
            return -1;
    }
    return 0;
}

static int ours_efd_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)it;
    return ours_db_rtt_lead(c, IPC_DB_EVENTFD, ops, s);
}

static int ours_efd_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                               uint32_t *doorbells)
{
    (void)it;
    (void)arg;
    return ours_db_rtt_follow(c, IPC_DB_EVENTFD, ops, errors, doorbells);
}

static int ours_adapt_rtt_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)it;
    return ours_db_rtt_lead(c, IPC_DB_ADAPTIVE, ops, s);
}

static int ours_adapt_rtt_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                                 uint32_t *doorbells)
{
    (void)it;
    (void)arg;
    return ours_db_rtt_follow(c, IPC_DB_ADAPTIVE, ops, errors, doorbells);
}

/* Adaptive with a sleeping peer: the leader stays away longer than the
 * follower's spin, so every PING finds the bridge side asleep. Each round
 * trip is timed alone (it is tens of microseconds, far above the clock). */
static int ours_adapt_sleep_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    (void)it;
    uint64_t total = 0;
    for (uint32_t i = 0; i < ops; i++) {
        uint64_t until = zl_now_ns() + c->opt->gap_ns;
        while (zl_now_ns() < until)
            ipc_cpu_relax();
        uint32_t h = next_handle(c);
        ipc_packet_t p = {CMD_PING, IPC_PKT_FLAGS_NONE, h, i}, a;
        uint64_t t0 = zl_now_ns();
        if (put_spin(&c->rtt_tx, &p) || notify(c, IPC_DB_ADAPTIVE, c->efd_bridge, &s->doorbells) ||
            get_wait(c, IPC_DB_ADAPTIVE, c->efd_zen, &c->rtt_rx, &a))
            return -1;
        total += zl_now_ns() - t0;
        s->errors += (uint32_t)check_pong(&a, h);
    }
    s->ns = total;
    return 0;
}

static int ours_stream_lead(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, bench_sample_t *s)
{
    ipc_packet_t buf[32];
    uint32_t b = it->batch, sent = 0;
    uint64_t t0 = zl_now_ns();
    while (sent < ops) {
        uint32_t k = ops - sent < b ? ops - sent : b;
        for (uint32_t j = 0; j < k; j++)
            buf[j] = bench_stream_pkt(sent + j);
        int r = ipc_ring_enqueue_burst(&c->st_tx, buf, k);
        if (r < 0)
            return ring_fail("ipc_ring_enqueue_burst", r);
        if (r == 0)
            ipc_cpu_relax();
        sent += (uint32_t)r;
    }
    bench_wait_ack(c, bench_current_seq(c));
    s->ns = zl_now_ns() - t0;
    return 0;
}

static int ours_stream_follow(bench_ctx_t *c, const bench_item_t *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                              uint32_t *doorbells)
{
    (void)arg;
    (void)doorbells;
    ipc_packet_t buf[32];
    uint32_t b = it->batch, got = 0;
    while (got < ops) {
        int n = ipc_ring_dequeue_burst(&c->st_rx, buf, b);
        if (n < 0)
            return ring_fail("ipc_ring_dequeue_burst", n);
        if (n == 0) {
            ipc_cpu_relax();
            continue;
        }
        for (int j = 0; j < n; j++)
            if (buf[j].cmd != CMD_PING || buf[j].payload_id != got + (uint32_t)j)
                (*errors)++;
        got += (uint32_t)n;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The item table, in round order: the two members of every ratio are     */
/* neighbours, so they run within a millisecond or two of each other.     */
/* ---------------------------------------------------------------------- */

#define RTT_ITEM(k, l, g, oc, db, L, F, U)     \
    {                                          \
        k, l, g, BENCH_RTT, oc, 1, db, L, F, U \
    }
#define STREAM_ITEM(k, l, g, b, L, F, U)                           \
    {                                                              \
        k, l, g, BENCH_STREAM, BENCH_OPS_STREAM, b, false, L, F, U \
    }

const bench_item_t bench_items[] = {
    RTT_ITEM("raw_rtt", "raw cache-line ping-pong RTT", "limit", BENCH_OPS_RTT, false, raw_rtt_lead, raw_rtt_follow,
             NULL),
    RTT_ITEM("ours_poll_rtt", "ours PING RTT, polled", "ours", BENCH_OPS_RTT, false, ours_poll_rtt_lead,
             ours_poll_rtt_follow, NULL),
    RTT_ITEM("ours_adaptive_busy_rtt", "ours PING RTT, adaptive, peer busy", "ours", BENCH_OPS_RTT, true,
             ours_adapt_rtt_lead, ours_adapt_rtt_follow, NULL),
    RTT_ITEM("rte_ring_rtt", "DPDK rte_ring ping-pong RTT", "alternative", BENCH_OPS_RTT, false, bench_dpdk_rtt_lead,
             bench_dpdk_rtt_follow, bench_dpdk_unavailable),
    RTT_ITEM("layout_orig_rtt", "layout: original packed, PING RTT", "layout", BENCH_OPS_RTT, false,
             bench_lay_orig_rtt_lead, bench_lay_orig_rtt_follow, NULL),
    RTT_ITEM("layout_new_rtt", "layout: ours (split lines), PING RTT", "layout", BENCH_OPS_RTT, false,
             bench_lay_new_rtt_lead, bench_lay_new_rtt_follow, NULL),
    STREAM_ITEM("rte_ring_stream_b1", "DPDK rte_ring stream, burst 1", "alternative", 1, bench_dpdk_stream_lead,
                bench_dpdk_stream_follow, bench_dpdk_unavailable),
    STREAM_ITEM("ours_stream_b1", "ours stream, batch 1", "ours", 1, ours_stream_lead, ours_stream_follow, NULL),
    STREAM_ITEM("rte_ring_stream_b8", "DPDK rte_ring stream, burst 8", "alternative", 8, bench_dpdk_stream_lead,
                bench_dpdk_stream_follow, bench_dpdk_unavailable),
    STREAM_ITEM("ours_stream_b8", "ours stream, batch 8", "ours", 8, ours_stream_lead, ours_stream_follow, NULL),
    STREAM_ITEM("rte_ring_stream_b32", "DPDK rte_ring stream, burst 32", "alternative", 32, bench_dpdk_stream_lead,
                bench_dpdk_stream_follow, bench_dpdk_unavailable),
    STREAM_ITEM("ours_stream_b32", "ours stream, batch 32", "ours", 32, ours_stream_lead, ours_stream_follow, NULL),
    STREAM_ITEM("layout_new_stream_b32", "layout: ours (split lines), batch 32", "layout", 32,
                bench_lay_new_stream_lead, bench_lay_new_stream_follow, NULL),
    STREAM_ITEM("layout_orig_stream_b32", "layout: original packed, batch 32", "layout", 32, bench_lay_orig_stream_lead,
                bench_lay_orig_stream_follow, NULL),
    STREAM_ITEM("layout_orig_stream_b1", "layout: original packed, batch 1", "layout", 1, bench_lay_orig_stream_lead,
                bench_lay_orig_stream_follow, NULL),
    STREAM_ITEM("layout_new_stream_b1", "layout: ours (split lines), batch 1", "layout", 1, bench_lay_new_stream_lead,
                bench_lay_new_stream_follow, NULL),
    RTT_ITEM("eventfd_rtt", "eventfd ping-pong RTT", "alternative", BENCH_OPS_BLOCK, false, efd_rtt_lead,
             efd_rtt_follow, NULL),
    RTT_ITEM("ours_eventfd_rtt", "ours PING RTT, eventfd doorbell", "ours", BENCH_OPS_BLOCK, true, ours_efd_rtt_lead,
             ours_efd_rtt_follow, NULL),
    RTT_ITEM("unix_rtt", "UNIX socket (SEQPACKET) ping-pong RTT", "alternative", BENCH_OPS_BLOCK, false, unix_rtt_lead,
             unix_rtt_follow, NULL),
    RTT_ITEM("ours_adaptive_sleep_rtt", "ours PING RTT, adaptive, peer asleep", "ours", BENCH_OPS_SLEEP, true,
             ours_adapt_sleep_lead, ours_adapt_rtt_follow, NULL),
};

const size_t bench_n_items = sizeof(bench_items) / sizeof(bench_items[0]);
