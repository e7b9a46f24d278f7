/* SPDX-License-Identifier: BSD-3-Clause */
/* rtos_fixture.c - shared set-up of the tests of tests/rtos/ (see rtos_fixture.h). */
#define _GNU_SOURCE
#include "rtos_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zenedge/barrier.h"

uint64_t fx_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void fx_opts_default(fx_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = ZPORT_POSIX_MANUAL;
    o->doorbell = IPC_DB_EVENTFD;
    o->features = IPC_FEAT_SHARED_CLOCK;
}

/* proxy_init over f->region (the ZENEDGE side's epoch given) and the
 * test models; 0 or -1. */
static int fx_proxy_up(fx_t *f, const fx_opts_t *o, uint32_t epoch)
{
    proxy_config_t cfg;
    proxy_config_default(&cfg, &f->port, f->size);
    cfg.epoch = epoch;
    cfg.max_jobs = o->max_jobs ? o->max_jobs : 32u;
    cfg.sq_slots = o->sq_slots ? o->sq_slots : 32u;
    cfg.doorbell = o->doorbell;
    cfg.features = o->features;
    cfg.hb_period_us = 2000;
    cfg.hb_slack_us = o->hb_slack_us;
    if (o->n_heap) {
        cfg.n_heap_classes = o->n_heap;
        for (uint32_t i = 0; i < o->n_heap; i++)
            cfg.heap[i] = o->heap[i];
    } else {
        cfg.n_heap_classes = 3;
        cfg.heap[0] = (ipc_heap_class_cfg_t){64, 256};
        cfg.heap[1] = (ipc_heap_class_cfg_t){256, 64};
        cfg.heap[2] = (ipc_heap_class_cfg_t){4096, 32};
    }
    int r = proxy_init(f->proxy, f->region, &cfg);
    if (r != PROXY_OK) {
        fprintf(stderr, "fx_init: proxy_init: %s\n", proxy_strerror(r));
        return -1;
    }
    proxy_model_t m = {.id = FX_MODEL_ADD16, .n_in = 2, .n_out = 1, .in_len = {64, 64}, .out_len = {64}};
    proxy_model_register(f->proxy, &m);
    m = (proxy_model_t){.id = FX_MODEL_COPY64, .n_in = 1, .n_out = 1, .in_len = {256}, .out_len = {256}};
    proxy_model_register(f->proxy, &m);
    m = (proxy_model_t){.id = FX_MODEL_ADD1K, .n_in = 2, .n_out = 1, .in_len = {4096, 4096}, .out_len = {4096}};
    proxy_model_register(f->proxy, &m);
    return 0;
}

int fx_init(fx_t *f, const fx_opts_t *o)
{
    memset(f, 0, sizeof(*f));
    f->size = o->region_size ? o->region_size : (1u << 20);
    f->region = aligned_alloc(IPC_CACHELINE, f->size);
    f->proxy = calloc(1, sizeof(proxy_t));
    if (!f->region || !f->proxy)
        return -1;
    memset(f->region, 0, f->size);
    if (zport_posix_init(&f->port, o->mode) != 0)
        return -1;
    zport_posix_set_log(&f->port, ZPORT_LOG_WARN, "test-zenedge ");
    if (fx_proxy_up(f, o, 1) != 0)
        return -1;
    int r;
    if (o->loopback) {
        zport_posix_set_peer(&f->port, -1);
        r = lb_start(&f->lb, f->region, f->size, zport_posix_irq_fd(&f->port),
                     o->bridge_hb_us ? o->bridge_hb_us : 2000u);
        if (r != 0)
            return -1;
        f->have_lb = true;
        zport_posix_set_peer(&f->port, f->lb.my_efd);
    }
    r = proxy_start(f->proxy);
    if (r != PROXY_OK)
        return -1;
    if (o->mode != ZPORT_POSIX_MANUAL) {
        if (zport_posix_start(&f->port, f->proxy, 500, 20000) != 0)
            return -1;
        /* wait (bounded) until the interrupt thread's tick saw the bridge */
        for (int i = 0; i < 5000 && f->have_lb && !proxy_bridge_online(f->proxy); i++) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    } else if (f->have_lb) {
        proxy_tick(f->proxy);
    }
    return 0;
}

void fx_fini(fx_t *f)
{
    zport_posix_stop(&f->port);
    if (f->have_lb)
        lb_stop(&f->lb);
    proxy_stop(f->proxy);
    zport_posix_destroy(&f->port);
    free(f->proxy);
    free(f->region);
    f->proxy = NULL;
    f->region = NULL;
}

int fx_restart(fx_t *f, const fx_opts_t *o, uint32_t epoch)
{
    proxy_stop(f->proxy);
    if (fx_proxy_up(f, o, epoch) != 0 || proxy_start(f->proxy) != PROXY_OK)
        return -1;
    return 0;
}

void fx_fake_bridge(fx_t *f, uint32_t state, uint32_t epoch)
{
    ipc_side_t *b = &f->proxy->region.hdr->bridge;
    ipc_write_once(&b->hb_period_us, 1000000u);
    ipc_store_release(&b->epoch, epoch);
    ipc_write_once(&b->heartbeat, ipc_read_once(&b->heartbeat) + 1u);
    ipc_store_release(&b->state, state);
    proxy_tick(f->proxy); /* a new epoch: the drain and the recovery pass */
    proxy_tick(f->proxy); /* ... and online at the tick after them */
}

void fx_contract(fx_t *f, contract_t *c, const char *name, const uint32_t *models, uint32_t n, uint32_t max_inflight,
                 uint32_t qos)
{
    contract_config_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.name = name;
    for (uint32_t i = 0; i < n; i++)
        cc.models[i] = models[i];
    cc.n_models = n;
    cc.max_inflight = max_inflight;
    cc.qos = qos;
    cc.deadline_us = 5000000;
    if (contract_init(c, f->proxy, &cc) != CONTRACT_OK)
        abort();
}

void fx_add16_fill(fx_add16_t *x, int32_t base)
{
    for (int i = 0; i < 16; i++) {
        x->a[i] = base + i;
        x->b[i] = 2 * (base + i);
    }
    x->in[0] = (proxy_in_t){x->a, sizeof(x->a)};
    x->in[1] = (proxy_in_t){x->b, sizeof(x->b)};
}
