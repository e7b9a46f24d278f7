/* SPDX-License-Identifier: BSD-3-Clause */
/* crit_port.c - the counting port and the many-slot harness (see crit_port.h). */
#define _GNU_SOURCE
#include "crit_port.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zenedge/barrier.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define CP_HAVE_CALLGRIND 1
#endif
#endif
#ifndef CP_HAVE_CALLGRIND
#define CALLGRIND_ZERO_STATS       ((void)0)
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

/* ---- the hooks of rtos/zport.h ---- */

uint64_t zport_now_ns(struct zport *z)
{
    return z->now;
}

static uint32_t digest(const proxy_job_t *j)
{
    return j->flags + 31u * (uint32_t)j->final + 1009u * j->gen;
}

uint32_t zport_crit_enter(struct zport *z)
{
    if (z->in_crit)
        z->nested++;
    z->in_crit = 1;
    z->sections++;
    if (z->observe)
        for (uint32_t s = 0; s < z->proxy->max_jobs; s++)
            z->snap[s] = digest(&z->proxy->jobs[s]);
    if (z->callgrind)
        CALLGRIND_ZERO_STATS;
    return 0x5a;
}

void zport_crit_exit(struct zport *z, uint32_t key)
{
    if (z->callgrind)
        CALLGRIND_DUMP_STATS_AT(z->label);
    if (key != 0x5a || !z->in_crit)
        z->nested++;
    if (z->observe) {
        uint32_t changed = 0;
        for (uint32_t s = 0; s < z->proxy->max_jobs; s++)
            changed += z->snap[s] != digest(&z->proxy->jobs[s]);
        z->changed_total += changed;
        if (changed > z->changed_max)
            z->changed_max = changed;
    }
    z->in_crit = 0;
    if (z->after_exit)
        z->after_exit(z, z->sections);
}

int zport_wait(struct zport *z, uint32_t *word, uint32_t expected, uint64_t deadline_ns)
{
    (void)z;
    (void)deadline_ns;
    return ipc_read_once(word) != expected ? ZPORT_WOKEN : ZPORT_TIMEOUT;
}

void zport_wake(struct zport *z, uint32_t *word)
{
    (void)z;
    (void)word;
}

void zport_doorbell(struct zport *z)
{
    (void)z;
}

void zport_log(struct zport *z, int level, const char *fmt, ...)
{
    if (!z->verbose && level > ZPORT_LOG_ERROR)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("crit-port: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- the harness ---- */

static void bridge_words(cp_world_t *w, uint32_t state)
{
    ipc_side_t *b = &w->proxy->region.hdr->bridge;
    ipc_write_once(&b->hb_period_us, 1000000u);
    ipc_write_once(&b->heartbeat, ++w->hb);
    ipc_store_release(&b->state, state);
}

int cp_init(cp_world_t *w, uint32_t max_jobs, uint32_t sq_slots)
{
    memset(w, 0, sizeof(*w));
    w->max_jobs = max_jobs;
    w->size = 8u << 20;
    w->region = aligned_alloc(IPC_CACHELINE, w->size);
    w->proxy = calloc(1, sizeof(proxy_t));
    w->port.snap = calloc(max_jobs, sizeof(uint32_t));
    w->handles = calloc(max_jobs, sizeof(uint32_t));
    if (!w->region || !w->proxy || !w->port.snap || !w->handles)
        return -1;
    memset(w->region, 0, w->size);
    w->port.proxy = w->proxy;
    w->port.now = 1000000000ull;
    proxy_config_t cfg;
    proxy_config_default(&cfg, &w->port, w->size);
    cfg.max_jobs = max_jobs;
    cfg.sq_slots = sq_slots;
    cfg.cq_slots = 0;
    cfg.doorbell = IPC_DB_POLL;
    cfg.features = IPC_FEAT_SHARED_CLOCK;
    cfg.n_heap_classes = 1;
    cfg.heap[0] = (ipc_heap_class_cfg_t){64, 16};
    if (proxy_init(w->proxy, w->region, &cfg) != PROXY_OK || proxy_start(w->proxy) != PROXY_OK)
        return -1;
    if (hand_attach(&w->bridge, w->region, w->size) != 0)
        return -1;
    w->epoch = 1;
    ipc_store_release(&w->proxy->region.hdr->bridge.epoch, w->epoch);
    bridge_words(w, IPC_STATE_READY);
    proxy_tick(w->proxy);
    proxy_tick(w->proxy); /* a new epoch goes online at the tick after its recovery pass */
    return proxy_bridge_online(w->proxy) ? 0 : -1;
}

void cp_fini(cp_world_t *w)
{
    free(w->region);
    free(w->proxy);
    free(w->port.snap);
    free(w->handles);
    memset(w, 0, sizeof(*w));
}

int cp_fill(cp_world_t *w, uint32_t n, uint32_t (*deadline_us)(uint32_t i))
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t h = 0;
        int rc = proxy_ping(w->proxy, i % IPC_QOS_COUNT, deadline_us(i), &h);
        if (rc != PROXY_OK) {
            fprintf(stderr, "cp_fill: ping %u: %s\n", (unsigned)i, proxy_strerror(rc));
            return -1;
        }
        w->handles[w->n_handles++] = h;
    }
    return 0;
}

uint32_t cp_take(cp_world_t *w, uint32_t n)
{
    uint32_t got = 0;
    for (uint32_t r = 0; r < w->bridge.view.n_sq; r++) {
        ipc_packet_t pkt;
        for (uint32_t i = 0; i < n && ipc_ring_dequeue(&w->bridge.sq[r], &pkt) == IPC_OK; i++)
            got++;
    }
    return got;
}

void cp_beat(cp_world_t *w)
{
    bridge_words(w, IPC_STATE_READY);
}

void cp_new_epoch(cp_world_t *w, bool start_tails)
{
    ipc_side_t *b = &w->proxy->region.hdr->bridge;
    uint32_t feats = ipc_read_once(&b->features) & ~IPC_FEAT_START_TAILS;
    if (start_tails) {
        for (uint32_t r = 0; r < w->bridge.view.n_sq; r++)
            ipc_write_once(&b->sq_tail_at_start[r], w->bridge.sq[r].tail);
        feats |= IPC_FEAT_START_TAILS;
    }
    ipc_write_once(&b->features, feats);
    ipc_store_release(&b->epoch, ++w->epoch);
    bridge_words(w, IPC_STATE_READY);
}

void cp_offline(cp_world_t *w)
{
    bridge_words(w, IPC_STATE_OFFLINE);
}

void cp_reset(cp_world_t *w, bool observe)
{
    w->port.sections = 0;
    w->port.changed_max = 0;
    w->port.changed_total = 0;
    w->port.nested = 0;
    w->port.observe = observe;
}

uint32_t cp_ended(const cp_world_t *w, int kind)
{
    return w->proxy->stats.ended[kind];
}
