/* SPDX-License-Identifier: BSD-3-Clause */
/* nc_port.c - the recording cache hooks and barrier trace (see nc_port.h). */
#include "nc_port.h"

#include <string.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

#if !defined(IPC_CONFIG_NONCOHERENT) || !defined(IPC_CONFIG_BARRIER_TRACE)
#error "nc_port.c belongs to the non-coherent test variant (tests/helpers/nc.cmake)"
#endif

static nc_event_t events[NC_MAX_EVENTS];
static uint32_t n_events;  /* atomic: slots taken, may exceed the log */
static uint32_t recording; /* atomic */
static uint32_t seq;       /* atomic */
static uint64_t totals[NC_KINDS];

static struct {
    uint8_t *cache, *mem;
    uint32_t size;
    uint32_t on;
} model;

static void note(nc_kind_t k, const volatile void *p, uint32_t len)
{
    uint32_t s = __atomic_add_fetch(&seq, 1u, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&totals[k], 1u, __ATOMIC_RELAXED);
    if (!__atomic_load_n(&recording, __ATOMIC_ACQUIRE))
        return;
    uint32_t i = __atomic_fetch_add(&n_events, 1u, __ATOMIC_RELAXED);
    if (i >= NC_MAX_EVENTS)
        return;
    events[i] = (nc_event_t){.seq = s, .kind = k, .addr = (uintptr_t)p, .len = len};
}

/* Offset of [p, p+len) inside base's copy, or -1 if it is not inside. */
static int64_t model_off(const uint8_t *base, const volatile void *p, uint32_t len)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
    if (base == NULL || a < b || (uint64_t)(a - b) + len > model.size)
        return -1;
    return (int64_t)(a - b);
}

void ipc_cache_clean(const volatile void *p, uint32_t len)
{
    note(NC_CLEAN, p, len);
    int64_t off = model.on ? model_off(model.cache, p, len) : -1;
    if (off >= 0)
        memcpy(model.mem + off, model.cache + off, len);
}

void ipc_cache_invalidate(const volatile void *p, uint32_t len)
{
    note(NC_INVAL, p, len);
    int64_t off = model.on ? model_off(model.cache, p, len) : -1;
    if (off >= 0)
        memcpy(model.cache + off, model.mem + off, len);
}

void ipc_trace_acquire(const volatile void *p)
{
    note(NC_ACQ, p, 4u);
}

void ipc_trace_release(const volatile void *p)
{
    note(NC_REL, p, 4u);
}

void nc_record(bool on)
{
    __atomic_store_n(&recording, 0u, __ATOMIC_RELEASE);
    if (on) {
        __atomic_store_n(&n_events, 0u, __ATOMIC_RELAXED);
        __atomic_store_n(&recording, 1u, __ATOMIC_RELEASE);
    }
}

uint32_t nc_n_events(void)
{
    uint32_t n = __atomic_load_n(&n_events, __ATOMIC_ACQUIRE);
    return n < NC_MAX_EVENTS ? n : NC_MAX_EVENTS;
}

const nc_event_t *nc_event(uint32_t i)
{
    return i < nc_n_events() ? &events[i] : NULL;
}

uint32_t nc_lost(void)
{
    uint32_t n = __atomic_load_n(&n_events, __ATOMIC_ACQUIRE);
    return n > NC_MAX_EVENTS ? n - NC_MAX_EVENTS : 0u;
}

uint64_t nc_total(nc_kind_t k)
{
    return k < NC_KINDS ? __atomic_load_n(&totals[k], __ATOMIC_RELAXED) : 0u;
}

uint32_t nc_find(nc_kind_t k, const volatile void *a, uint32_t n, uint32_t after, uint32_t before)
{
    uintptr_t lo = (uintptr_t)a;
    for (uint32_t i = 0; i < nc_n_events(); i++) {
        const nc_event_t *e = &events[i];
        if (e->kind != (uint32_t)k || e->seq <= after || (before != 0u && e->seq >= before))
            continue;
        if (e->addr <= lo && (uint64_t)(lo - e->addr) + n <= e->len)
            return e->seq;
    }
    return 0;
}

static uint32_t find_at(nc_kind_t k, const volatile void *a, bool last)
{
    uint32_t found = 0;
    for (uint32_t i = 0; i < nc_n_events(); i++) {
        const nc_event_t *e = &events[i];
        if (e->kind == (uint32_t)k && e->addr == (uintptr_t)a) {
            found = e->seq;
            if (!last)
                break;
        }
    }
    return found;
}

uint32_t nc_last_at(nc_kind_t k, const volatile void *a)
{
    return find_at(k, a, true);
}

uint32_t nc_first_at(nc_kind_t k, const volatile void *a)
{
    return find_at(k, a, false);
}

void nc_model_start(void *cache, void *mem, uint32_t size)
{
    model.cache = cache;
    model.mem = mem;
    model.size = size;
    model.on = 1;
}

void nc_model_stop(void)
{
    model.on = 0;
}
