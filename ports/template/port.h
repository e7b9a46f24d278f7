/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.h (ports/template) - the port of a single-core bare-metal board,
 * written as the starting point of a new port (copy the folder, rename the
 * functions, fill in the board specific parts marked BOARD below;
 * docs/porting.md has the checklist).
 *
 * The model: one core, tasks run by a cooperative scheduler or a small
 * RTOS; the bridge rings this side with an interrupt whose handler calls
 * zport_template_irq(); a periodic timer interrupt calls
 * zport_template_timer_irq(). The critical section masks interrupts.
 *
 * A board that caches the region without coherence with the bridge builds
 * with IPC_CONFIG_NONCOHERENT; port.c then also defines ipc_cache_clean()
 * and ipc_cache_invalidate() (declared in zenedge/ipc_cache.h), written out
 * for Cortex-M7 and AArch64 (docs/porting.md, "A non-coherent board").
 */
#ifndef ZENEDGE_ZPORT_TEMPLATE_H
#define ZENEDGE_ZPORT_TEMPLATE_H

#include <stdint.h>

#include "proxy.h"
#include "zport.h"

struct zport {
    proxy_t *proxy;
    volatile uint64_t ticks_ns;      /* advanced by the timer interrupt */
    uint32_t tick_ns;                /* timer period */
    volatile uint32_t *doorbell_reg; /* BOARD: the register that interrupts the bridge */
    void (*idle)(void);              /* BOARD: wait for an interrupt (WFI) or yield; may be NULL */
    uint32_t since_tick_ns;          /* time base since the last proxy_tick() */
};

/* Set the port up; doorbell_reg may be NULL (a bridge that polls). */
void zport_template_init(struct zport *z, proxy_t *p, uint32_t tick_ns, volatile uint32_t *doorbell_reg,
                         void (*idle)(void));
/* Call from the bridge-doorbell interrupt handler: the completion handler. */
void zport_template_irq(struct zport *z);
/* Call from the periodic timer interrupt: clock, heartbeat, deadlines. */
void zport_template_timer_irq(struct zport *z);

#endif
