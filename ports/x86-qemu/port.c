/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.c (ports/x86-qemu) - rtos/zport.h on the bare-metal x86 guest
 * (its runtime: guests/x86-qemu).
 *
 *  zport_now_ns      the calibrated TSC (clock.c); not the host's clock, so
 *                    the region never advertises IPC_FEAT_SHARED_CLOCK
 *  zport_crit_*      one CPU: mask interrupts, give back the previous IF
 *                    (so it also nests, although the portable code never
 *                    nests it)
 *  zport_wait/wake   the cooperative scheduler (sched.c); from outside a
 *                    task (boot code) zport_wait halts until the word
 *                    changes or the deadline passes
 *  zport_doorbell    ivshmem-doorbell: write (peer << 16 | vector 0) to the
 *                    Doorbell register, QEMU signals the bridge's eventfd;
 *                    ivshmem-plain: nothing (the bridge polls)
 *  zport_log         COM1, one line per call
 *  cache hooks       none: ivshmem memory is coherent with the host
 *                    (IPC_CONFIG_NONCOHERENT is not defined)
 */
#include "port.h"

#include "zx_arch.h"
#include "zenedge/barrier.h"

void zport_x86_init(struct zport *port, const zx_ivshmem_t *dev, uint32_t ring_bridge, uint32_t bridge_peer,
                    uint32_t log_level)
{
    memset(port, 0, sizeof(*port));
    port->dev = dev;
    port->ring_bridge = ring_bridge;
    port->bridge_peer = bridge_peer;
    port->log_level = log_level;
}

uint64_t zport_now_ns(struct zport *port)
{
    (void)port;
    return zx_now_ns();
}

uint32_t zport_crit_enter(struct zport *port)
{
    (void)port;
    return zx_irq_save();
}

void zport_crit_exit(struct zport *port, uint32_t key)
{
    (void)port;
    zx_irq_restore(key);
}

int zport_wait(struct zport *port, uint32_t *word, uint32_t expected, uint64_t deadline_ns)
{
    port->waits++;
    if (zx_task_current()) {
        int rc = zx_sched_wait(word, expected, deadline_ns);
        if (rc == ZPORT_TIMEOUT)
            port->wait_timeouts++;
        return rc;
    }
    /* Boot context: nobody else runs; interrupts end each halt. */
    for (;;) {
        if (ipc_load_acquire(word) != expected)
            return ZPORT_WOKEN;
        if (zx_now_ns() >= deadline_ns) {
            port->wait_timeouts++;
            return ZPORT_TIMEOUT;
        }
        uint32_t f = zx_irq_save();
        zx_irq_enable_and_halt();
        zx_irq_restore(f);
    }
}

void zport_wake(struct zport *port, uint32_t *word)
{
    (void)port;
    zx_sched_wake(word);
}

void zport_doorbell(struct zport *port)
{
    if (port->ring_bridge && port->dev) {
        zx_ivshmem_ring(port->dev, port->bridge_peer, 0);
        port->doorbells++;
    }
}

void zport_log(struct zport *port, int level, const char *fmt, ...)
{
    static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    if (level < 0 || (uint32_t)level > port->log_level)
        return;
    uint32_t f = zx_irq_save(); /* one line, not interleaved with an ISR's */
    uint64_t us = zx_now_ns() / 1000u;
    zx_printf("[%6llu.%06llu] %s: ", (unsigned long long)(us / 1000000u), (unsigned long long)(us % 1000000u),
              level <= 3 ? names[level] : "?");
    va_list ap;
    va_start(ap, fmt);
    zx_vprintf(fmt, ap);
    va_end(ap);
    zx_putc('\n');
    zx_irq_restore(f);
}
