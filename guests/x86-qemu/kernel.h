/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kernel.h - the guest "kernel": boot options, the shared objects of the
 * demo (proxy, port, device) and the hostile-guest run (hostile.c).
 */
#ifndef ZX_KERNEL_H
#define ZX_KERNEL_H

#include <stdint.h>

#include "contract.h"
#include "port.h"
#include "proxy.h"
#include "zenedge_models.h"
#include "zx.h"

#define ZX_MODE_DEMO    0u /* tasks under contracts, all four models */
#define ZX_MODE_PING    1u /* round-trip figures only */
#define ZX_MODE_HOSTILE 2u /* bad packets and descriptors, core API only */

/* Boot options, from the multiboot command line (QEMU -append "k=v ..."). */
typedef struct zx_opts {
    uint32_t mode;        /* mode=demo|ping|hostile */
    uint32_t digits;      /* digits=N  digits samples to classify (default: all) */
    uint32_t jobs;        /* jobs=N    jobs of each other worker task (default 32) */
    uint32_t pings;       /* pings=N   PING round trips measured (default 200) */
    uint32_t msix;        /* doorbell=poll|msix */
    uint32_t relocate;    /* relocate=1: move BAR2 even if the firmware placed it well */
    uint32_t spin_us;     /* spin_us=N polling before each halt (default 200) */
    uint32_t wait_s;      /* wait_s=N  how long to wait for the bridge (default 20) */
    uint32_t deadline_ms; /* deadline_ms=N of every job (default 3000) */
    uint32_t log_level;   /* log=0..3 (default 2: info) */
    uint32_t hz;          /* hz=N timer tick (default 1000) */
    uint32_t bridge_peer; /* bridge_peer=N ivshmem peer id the doorbell rings (default 0) */
} zx_opts_t;

/* The hostile guest (hostile.c): lays the region out with the core API
 * only, writes bad packets and descriptors, checks that each gets its
 * error answer and that a good job and a PING still succeed afterwards.
 * Returns the number of checks that failed (0: pass). */
uint32_t zx_hostile_run(const zx_opts_t *o, void *shm, uint32_t size);

#endif /* ZX_KERNEL_H */
