/* SPDX-License-Identifier: BSD-3-Clause */
/* loopback.c - in-process bridge thread for the proxy tests (see loopback.h). */
#define _GNU_SOURCE
#include "loopback.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_errors.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t knob(loopback_t *lb, int k)
{
    return __atomic_load_n(&lb->knob[k], __ATOMIC_ACQUIRE);
}

static void bump(uint32_t *c)
{
    __atomic_fetch_add(c, 1u, __ATOMIC_RELAXED);
}

void lb_set(loopback_t *lb, int k, uint32_t v)
{
    __atomic_store_n(&lb->knob[k], v, __ATOMIC_RELEASE);
    if (lb->my_efd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(lb->my_efd, &one, sizeof(one));
        (void)w;
    }
}

uint32_t lb_get(loopback_t *lb, const uint32_t *counter)
{
    (void)lb;
    return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

static int attach(loopback_t *lb)
{
    for (int tries = 0; tries < 1000; tries++) {
        int r = ipc_region_attach(&lb->view, lb->base, lb->size, NULL);
        if (r == IPC_OK)
            break;
        if (r != IPC_E_NOT_READY)
            return r;
        usleep(1000);
    }
    for (uint32_t i = 0; i < lb->view.n_sq; i++) {
        int r = ipc_ring_cons_attach(&lb->sq[i], lb->view.sq[i], lb->view.sq_slots);
        if (r != IPC_OK)
            return r;
    }
    return ipc_ring_prod_attach(&lb->cq, lb->view.cq, lb->view.cq_slots);
}

static void go_ready(loopback_t *lb)
{
    ipc_side_t *me = &lb->view.hdr->bridge;
    ipc_store_release(&me->state, IPC_STATE_STARTING);
    ipc_write_once(&me->hb_period_us, lb->hb_period_us);
    uint32_t e = ipc_read_once(&me->epoch) + 1u;
    if (e == 0)
        e = 1;
    ipc_store_release(&me->epoch, e);
    __atomic_store_n(&lb->epoch, e, __ATOMIC_RELEASE);
    ipc_write_once(&me->heartbeat, ipc_read_once(&me->heartbeat) + 1u);
    ipc_store_release(&me->state, IPC_STATE_READY);
}

static void post(loopback_t *lb, uint16_t cmd, uint16_t status, uint32_t h)
{
    ipc_packet_t pkt = {.cmd = cmd, .flags = status, .payload_id = h, .timestamp = now_ns()};
    if (ipc_ring_enqueue(&lb->cq, &pkt) < 0)
        bump(&lb->cq_full);
}

static void ring_zen(loopback_t *lb)
{
    if (lb->zen_efd < 0)
        return;
    uint64_t one = 1;
    ssize_t w = write(lb->zen_efd, &one, sizeof(one));
    (void)w;
}

static void answer(loopback_t *lb, uint16_t cmd, uint16_t status, uint32_t h)
{
    if (knob(lb, LB_FORGE))
        post(lb, cmd, IPC_STATUS_OK, h ^ (1u << IPC_SLOT_BITS) ^ (3u << (IPC_SLOT_BITS + 4)));
    if (knob(lb, LB_BAD_STATUS))
        status = (uint16_t)(IPC_STATUS_COUNT + 5u);
    if (knob(lb, LB_WRONG_CMD) && cmd == CMD_JOB_DONE)
        cmd = CMD_PONG;
    post(lb, cmd, status, h);
    if (knob(lb, LB_DUPLICATE))
        post(lb, cmd, status, h);
    ring_zen(lb);
}

static void serve(loopback_t *lb, const ipc_packet_t *pkt)
{
    uint64_t t_pickup = now_ns();
    uint32_t h = pkt->payload_id;
    uint32_t slot = IPC_HANDLE_SLOT(h);
    ipc_job_desc_t *d = ipc_region_job(&lb->view, slot);
    if ((pkt->cmd != CMD_PING && pkt->cmd != CMD_RUN_MODEL) || d == 0 || IPC_HANDLE_GEN(h) == 0) {
        post(lb, CMD_ERROR, d ? IPC_STATUS_BAD_CMD : IPC_STATUS_BAD_SLOT, h);
        ring_zen(lb);
        return;
    }
    if (ipc_read_once(&d->handle) != h) {
        bump(&lb->stale);
        post(lb, pkt->cmd == CMD_PING ? CMD_PONG : CMD_JOB_DONE, IPC_STATUS_STALE, h);
        ring_zen(lb);
        return;
    }
    if (pkt->cmd == CMD_PING) {
        bump(&lb->pings);
        d->t_pickup = d->t_backend_start = d->t_backend_end = t_pickup;
        d->backend_ns = 0;
        d->bridge_epoch = __atomic_load_n(&lb->epoch, __ATOMIC_ACQUIRE);
        d->result = 0;
        d->t_complete = now_ns();
        answer(lb, CMD_PONG, IPC_STATUS_OK, h);
        return;
    }
    if (ipc_read_once(&d->cancel)) {
        bump(&lb->cancels);
        answer(lb, CMD_JOB_DONE, IPC_STATUS_CANCELLED, h);
        return;
    }
    if (knob(lb, LB_DROP)) {
        bump(&lb->dropped);
        return;
    }
    uint32_t delay = knob(lb, LB_DELAY_US);
    if (delay)
        usleep(delay);
    uint32_t n_in = d->n_in, n_out = d->n_out;
    uint16_t status = IPC_STATUS_OK;
    uint32_t result = 0;
    uint64_t t_bstart = now_ns();
    if (n_in < 1 || n_in > IPC_MAX_TENSORS || n_out < 1 || n_out > IPC_MAX_TENSORS) {
        status = IPC_STATUS_BAD_TENSOR_COUNT;
    } else {
        ipc_tensor_ref_t a = d->in[0], b = n_in > 1 ? d->in[1] : d->in[0], c = d->out[0];
        if (!ipc_region_in_heap(&lb->view, a.off, a.len) || !ipc_region_in_heap(&lb->view, b.off, b.len) ||
            !ipc_region_in_heap(&lb->view, c.off, c.len) || a.len != c.len || b.len != c.len || (c.len & 3u)) {
            status = IPC_STATUS_BAD_TENSOR_RANGE;
        } else {
            const int32_t *pa = ipc_region_ptr(&lb->view, a.off, a.len);
            const int32_t *pb = ipc_region_ptr(&lb->view, b.off, b.len);
            int32_t *pc = ipc_region_ptr(&lb->view, c.off, c.len);
            for (uint32_t i = 0; i < c.len / 4u; i++)
                pc[i] = n_in > 1 ? (int32_t)((uint32_t)pa[i] + (uint32_t)pb[i]) : pa[i];
            result = (uint32_t)pc[0];
        }
    }
    uint64_t t_bend = now_ns();
    uint32_t bns = knob(lb, LB_BACKEND_NS);
    d->t_pickup = t_pickup;
    d->t_backend_start = t_bstart;
    d->t_backend_end = t_bend;
    d->backend_ns = knob(lb, LB_BAD_TIME) ? (1ull << 62) : bns ? bns : t_bend - t_bstart;
    d->bridge_epoch = __atomic_load_n(&lb->epoch, __ATOMIC_ACQUIRE);
    d->result = result;
    d->t_complete = now_ns();
    bump(&lb->served);
    answer(lb, CMD_JOB_DONE, status, h);
}

static void *lb_main(void *arg)
{
    loopback_t *lb = arg;
    if (attach(lb) != IPC_OK) {
        fprintf(stderr, "loopback: cannot attach to the region\n");
        return NULL;
    }
    go_ready(lb);
    uint64_t next_hb = 0;
    ipc_side_t *me = &lb->view.hdr->bridge;
    while (!__atomic_load_n(&lb->stop, __ATOMIC_ACQUIRE)) {
        uint64_t now = now_ns();
        bool silent = knob(lb, LB_SILENT) != 0;
        if (__atomic_load_n(&lb->restart, __ATOMIC_ACQUIRE)) {
            if (attach(lb) == IPC_OK) /* a new instance adopts the ring counters */
                go_ready(lb);
            __atomic_store_n(&lb->restart, 0u, __ATOMIC_RELEASE);
            continue;
        }
        if (!silent && now >= next_hb) {
            ipc_write_once(&me->heartbeat, ipc_read_once(&me->heartbeat) + 1u);
            next_hb = now + (uint64_t)lb->hb_period_us * 1000u;
        }
        int served = 0;
        if (!silent && !knob(lb, LB_HOLD)) {
            for (uint32_t r = 0; r < lb->view.n_sq; r++) {
                ipc_packet_t pkts[8];
                int n = ipc_ring_dequeue_burst(&lb->sq[r], pkts, 8);
                for (int i = 0; i < n; i++)
                    serve(lb, &pkts[i]);
                if (n > 0)
                    served += n;
            }
        }
        if (served == 0) {
            struct pollfd pfd = {.fd = lb->my_efd, .events = POLLIN};
            if (poll(&pfd, 1, 1) > 0) {
                uint64_t v;
                ssize_t rd = read(lb->my_efd, &v, sizeof(v));
                (void)rd;
            }
        }
    }
    ipc_store_release(&me->state, IPC_STATE_OFFLINE);
    return NULL;
}

int lb_start(loopback_t *lb, void *base, uint32_t size, int zen_efd, uint32_t hb_period_us)
{
    memset(lb, 0, sizeof(*lb));
    lb->base = base;
    lb->size = size;
    lb->zen_efd = zen_efd;
    lb->hb_period_us = hb_period_us;
    lb->my_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (lb->my_efd < 0)
        return -errno;
    int r = pthread_create(&lb->thr, NULL, lb_main, lb);
    if (r != 0) {
        close(lb->my_efd);
        return -r;
    }
    /* Return once READY so that the caller's first tick sees it. */
    for (int i = 0; i < 5000 && __atomic_load_n(&lb->epoch, __ATOMIC_ACQUIRE) == 0; i++)
        usleep(1000);
    return __atomic_load_n(&lb->epoch, __ATOMIC_ACQUIRE) ? 0 : -ETIMEDOUT;
}

void lb_restart(loopback_t *lb)
{
    uint32_t old = __atomic_load_n(&lb->epoch, __ATOMIC_ACQUIRE);
    __atomic_store_n(&lb->knob[LB_SILENT], 0u, __ATOMIC_RELEASE);
    __atomic_store_n(&lb->restart, 1u, __ATOMIC_RELEASE);
    for (int i = 0; i < 5000 && (__atomic_load_n(&lb->restart, __ATOMIC_ACQUIRE) ||
                                 __atomic_load_n(&lb->epoch, __ATOMIC_ACQUIRE) == old);
         i++)
        usleep(1000);
}

void lb_stop(loopback_t *lb)
{
    __atomic_store_n(&lb->stop, 1u, __ATOMIC_RELEASE);
    pthread_join(lb->thr, NULL);
    close(lb->my_efd);
    lb->my_efd = -1;
}
