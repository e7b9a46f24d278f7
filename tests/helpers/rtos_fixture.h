/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtos_fixture.h - a proxy on a POSIX port over a private region, with the
 * small test models, for the tests of tests/rtos/.
 */
#ifndef ZENEDGE_TEST_RTOS_FIXTURE_H
#define ZENEDGE_TEST_RTOS_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "contract.h"
#include "loopback.h"
#include "proxy.h"
#include "port.h"

/* Test models: ADD16 = int32[16] + int32[16] -> int32[16];
 * COPY64 = int32[64] -> int32[64]; ADD1K = int32[1024] x2 -> int32[1024]. */
#define FX_MODEL_ADD16  1u
#define FX_MODEL_COPY64 2u
#define FX_MODEL_ADD1K  3u

typedef struct fx_opts {
    int mode;             /* ZPORT_POSIX_* */
    uint32_t region_size; /* 0: 1 MiB */
    uint32_t max_jobs;    /* 0: 32 */
    uint32_t sq_slots;    /* 0: 32 */
    uint32_t n_heap;      /* 0: default classes below */
    ipc_heap_class_cfg_t heap[4];
    uint32_t doorbell; /* IPC_DB_* */
    uint32_t features;
    bool loopback;         /* start the loopback bridge thread */
    uint32_t bridge_hb_us; /* loopback heartbeat period (0: 2000) */
    uint32_t hb_slack_us;  /* 0: proxy default */
} fx_opts_t;

typedef struct fx {
    struct zport port;
    proxy_t *proxy;
    void *region;
    uint32_t size;
    loopback_t lb;
    bool have_lb;
} fx_t;

void fx_opts_default(fx_opts_t *o);
int fx_init(fx_t *f, const fx_opts_t *o);
void fx_fini(fx_t *f);

/* Manual mode, no loopback: the ZENEDGE side restarts on the same
 * memory: proxy_stop, proxy_init with ZENEDGE epoch `epoch` (the region
 * re-initialised, the bridge's words zeroed), proxy_start. 0 or -1. */
int fx_restart(fx_t *f, const fx_opts_t *o, uint32_t epoch);

/* Manual mode: act as a bridge that is READY with epoch `epoch` and a
 * fresh heartbeat, then run proxy_tick() twice (a new epoch is taken
 * online at the tick after the one that saw it). */
void fx_fake_bridge(fx_t *f, uint32_t state, uint32_t epoch);

/* A contract allowing the given models. */
void fx_contract(fx_t *f, contract_t *c, const char *name, const uint32_t *models, uint32_t n, uint32_t max_inflight,
                 uint32_t qos);

/* Inputs for ADD16 filled with base+i and 2*(base+i). */
typedef struct fx_add16 {
    int32_t a[16], b[16];
    proxy_in_t in[2];
} fx_add16_t;
void fx_add16_fill(fx_add16_t *x, int32_t base);

uint64_t fx_now_ns(void);

#endif
