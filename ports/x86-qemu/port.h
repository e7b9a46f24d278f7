/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.h (ports/x86-qemu) - the state of the x86 (QEMU) port behind
 * rtos/zport.h. It runs on the bare-metal guest runtime of guests/x86-qemu
 * (zx.h: clock, interrupts, scheduler, console, ivshmem device).
 */
#ifndef ZENEDGE_ZPORT_X86_H
#define ZENEDGE_ZPORT_X86_H

#include <stdint.h>

#include "zx.h"
#include "zport.h"

struct zport {
    const zx_ivshmem_t *dev; /* the ivshmem device (doorbell register) */
    uint32_t bridge_peer;    /* ivshmem peer id of the bridge (doorbell variant) */
    uint32_t ring_bridge;    /* 1: zport_doorbell() writes the Doorbell register */
    uint32_t log_level;      /* lines above this level are dropped */
    uint32_t doorbells;      /* statistic */
    uint32_t waits, wait_timeouts;
};

/* Fill the port: ring_bridge 0 for ivshmem-plain (the bridge polls). */
void zport_x86_init(struct zport *port, const zx_ivshmem_t *dev, uint32_t ring_bridge, uint32_t bridge_peer,
                    uint32_t log_level);

#endif /* ZENEDGE_ZPORT_X86_H */
