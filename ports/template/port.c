/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.c (ports/template) - a complete, freestanding port for a single-core
 * board, meant to be copied. It builds as is (cmake/freestanding
 * cross-builds it) and is correct on one core with interrupts; the
 * places a real board changes are marked BOARD.
 */
#include "port.h"

#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

/* The critical section masks interrupts and returns the previous mask,
 * so that sections nest: written out for the cores the cross builds
 * cover (Arm M-profile: PRIMASK; Arm A/R-profile: the CPSR or DAIF I bit;
 * RISC-V in machine mode: mstatus.MIE). The "memory" clobbers keep the
 * compiler's loads and stores inside; one core needs no fence for its own
 * interrupts. BOARD: on another core, or a kernel with its own lock, put
 * its call here. The fallback, a nesting counter with fences, is correct
 * only when the completion and timer handlers are run from the idle loop
 * rather than from real interrupts. Out of line: at the twenty or so
 * call sites a call is smaller than the inlined sequence (60 B on the
 * Cortex-M4 reference application with LTO). */
#define CRIT_FN __attribute__((noinline))
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
CRIT_FN uint32_t zport_crit_enter(struct zport *port)
{
    (void)port;
    uint32_t prev;
    __asm__ __volatile__("mrs %0, primask\n\tcpsid i" : "=r"(prev)::"memory");
    return prev;
}

CRIT_FN void zport_crit_exit(struct zport *port, uint32_t key)
{
    (void)port;
    __asm__ __volatile__("msr primask, %0" ::"r"(key) : "memory");
}
#elif defined(__aarch64__)
CRIT_FN uint32_t zport_crit_enter(struct zport *port)
{
    (void)port;
    uint64_t prev;
    __asm__ __volatile__("mrs %0, daif\n\tmsr daifset, #2" : "=r"(prev)::"memory");
    return (uint32_t)prev;
}

CRIT_FN void zport_crit_exit(struct zport *port, uint32_t key)
{
    (void)port;
    __asm__ __volatile__("msr daif, %0" ::"r"((uint64_t)key) : "memory");
}
#elif defined(__arm__)
CRIT_FN uint32_t zport_crit_enter(struct zport *port)
{
    (void)port;
    uint32_t prev;
    __asm__ __volatile__("mrs %0, cpsr\n\tcpsid i" : "=r"(prev)::"memory");
    return prev;
}

CRIT_FN void zport_crit_exit(struct zport *port, uint32_t key)
{
    (void)port;
    __asm__ __volatile__("msr cpsr_c, %0" ::"r"(key) : "memory");
}
#elif defined(__riscv)
CRIT_FN uint32_t zport_crit_enter(struct zport *port)
{
    (void)port;
    unsigned long prev;
    __asm__ __volatile__(".option push\n\t.option arch, +zicsr\n\tcsrrci %0, mstatus, 8\n\t.option pop"
                         : "=r"(prev)::"memory");
    return (uint32_t)(prev & 8u);
}

CRIT_FN void zport_crit_exit(struct zport *port, uint32_t key)
{
    (void)port;
    __asm__ __volatile__(
        ".option push\n\t.option arch, +zicsr\n\tcsrs mstatus, %0\n\t.option pop" ::"r"((unsigned long)key)
        : "memory");
}
#else
static volatile uint32_t crit_depth;

CRIT_FN uint32_t zport_crit_enter(struct zport *port)
{
    (void)port;
    uint32_t prev = crit_depth;
    crit_depth = prev + 1u;
    ipc_fence();
    return prev;
}

CRIT_FN void zport_crit_exit(struct zport *port, uint32_t key)
{
    (void)port;
    ipc_fence();
    crit_depth = key;
}
#endif

uint64_t zport_now_ns(struct zport *port)
{
    /* BOARD: a free-running hardware counter scaled to ns is better; the
     * tick count is what every board has. 64-bit read under the critical
     * section so that a 32-bit core never sees a torn value. */
    uint32_t key = zport_crit_enter(port);
    uint64_t t = port->ticks_ns;
    zport_crit_exit(port, key);
    return t;
}

int zport_wait(struct zport *port, uint32_t *word, uint32_t expected, uint64_t deadline_ns)
{
    /* A task blocks by idling until an interrupt changed the word or the
     * deadline passed. BOARD/RTOS: block the task on a semaphore instead
     * and give it in zport_wake(). */
    while (ipc_load_acquire(word) == expected) {
        if (zport_now_ns(port) >= deadline_ns)
            return ZPORT_TIMEOUT;
        if (port->idle)
            port->idle();
        else
            zport_template_timer_irq(port); /* no interrupts: run the time base here */
    }
    return ZPORT_WOKEN;
}

void zport_wake(struct zport *port, uint32_t *word)
{
    /* The waiter re-reads the word after every interrupt: nothing to do
     * here. RTOS: give the semaphore the waiter blocks on. */
    (void)port;
    (void)word;
}

void zport_doorbell(struct zport *port)
{
    if (port->doorbell_reg)
        *port->doorbell_reg = 1u; /* BOARD: the value the doorbell register expects */
}

void zport_log(struct zport *port, int level, const char *fmt, ...)
{
    /* BOARD: format to a UART. Kept silent here: no libc formatter in a
     * freestanding build. */
    (void)port;
    (void)level;
    (void)fmt;
}

void zport_template_init(struct zport *z, proxy_t *p, uint32_t tick_ns, volatile uint32_t *doorbell_reg,
                         void (*idle)(void))
{
    z->proxy = p;
    z->tick_ns = tick_ns ? tick_ns : 1000000u;
    z->doorbell_reg = doorbell_reg;
    z->idle = idle;
    z->since_tick_ns = 0;
    z->ticks_ns = 0;
}

void zport_template_irq(struct zport *z)
{
    /* Bounded per call (ZEN_CFG_CQ_BUDGET); a level-triggered doorbell
     * re-enters while packets remain. */
    (void)proxy_complete(z->proxy);
}

void zport_template_timer_irq(struct zport *z)
{
    z->ticks_ns += z->tick_ns;
    /* proxy_tick() about every 5 ms: heartbeat, bridge watch, deadlines */
    z->since_tick_ns += z->tick_ns;
    if (z->since_tick_ns >= 5000000u) {
        z->since_tick_ns = 0;
        (void)proxy_tick(z->proxy);
    }
}

#ifdef IPC_CONFIG_NONCOHERENT
/*
 * Cache maintenance of a board whose region is cached and not coherent
 * with the bridge's side (contract: include/zenedge/ipc_cache.h; checklist:
 * docs/porting.md). Both run in any context, take no lock, and cost one
 * operation per line of the range plus the barriers. The region must be
 * mapped cacheable write-back and start on a 64-byte boundary; a line of
 * this core must divide IPC_CACHELINE (64).
 *
 * BOARD: Cortex-M7 and AArch64 are written out; on another core, write
 * line_clean()/line_invalidate() and CACHE_LINE for it.
 */
#if defined(__ARM_ARCH_7EM__) && !defined(__ARM_ARCH_8M_MAIN__)
/* Cortex-M7 (Cortex-M4 has no data cache and never defines
 * IPC_CONFIG_NONCOHERENT): the SCB registers that CMSIS's
 * SCB_CleanDCache_by_Addr / SCB_InvalidateDCache_by_Addr write. */
#define CACHE_LINE  32u
#define SCB_DCIMVAC (*(volatile uint32_t *)0xE000EF5Cu) /* invalidate by address to PoC */
#define SCB_DCCMVAC (*(volatile uint32_t *)0xE000EF68u) /* clean by address to PoC */
static inline void line_clean(uintptr_t a)
{
    SCB_DCCMVAC = (uint32_t)a;
}
static inline void line_invalidate(uintptr_t a)
{
    SCB_DCIMVAC = (uint32_t)a;
}
static inline void cache_barrier(void)
{
    __asm__ __volatile__("dsb 0xF\n\tisb 0xF" ::: "memory");
}
#elif defined(__aarch64__)
/* AArch64 (Cortex-A/R): by virtual address to the point of coherence.
 * 64 bytes is the smallest data line of the cores we target; a board may
 * read CTR_EL0.DminLine instead. */
#define CACHE_LINE 64u
static inline void line_clean(uintptr_t a)
{
    __asm__ __volatile__("dc cvac, %0" ::"r"(a) : "memory");
}
static inline void line_invalidate(uintptr_t a)
{
    __asm__ __volatile__("dc ivac, %0" ::"r"(a) : "memory");
}
static inline void cache_barrier(void)
{
    __asm__ __volatile__("dsb sy" ::: "memory");
}
#else
#error "IPC_CONFIG_NONCOHERENT: write the cache maintenance of this core in the port (BOARD)"
#endif

_Static_assert(IPC_CACHELINE % CACHE_LINE == 0u, "a data-cache line must divide IPC_CACHELINE");

void ipc_cache_clean(const volatile void *p, uint32_t len)
{
    if (len == 0u)
        return;
    uintptr_t end = (uintptr_t)p + len;
    cache_barrier(); /* the stores to the range are done before the write-back */
    for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)(CACHE_LINE - 1u); a < end; a += CACHE_LINE)
        line_clean(a);
    cache_barrier(); /* complete before the store-release that follows */
}

void ipc_cache_invalidate(const volatile void *p, uint32_t len)
{
    if (len == 0u)
        return;
    uintptr_t end = (uintptr_t)p + len;
    cache_barrier(); /* the load-acquire before it is done */
    for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)(CACHE_LINE - 1u); a < end; a += CACHE_LINE)
        line_invalidate(a);
    cache_barrier(); /* complete before the loads that follow */
}
#endif /* IPC_CONFIG_NONCOHERENT */
