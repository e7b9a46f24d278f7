/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zport.h - the porting layer of the ZENEDGE side: every hook the portable
 * code (the .c files of rtos/) calls. A port is one .c file that defines struct zport
 * and implements the functions below; it is chosen at build time by
 * linking it, never through function pointers. ports/posix/ is the
 * simulation port, ports/template/ a documented starting point.
 *
 * Hooks, and the context each may be called from
 * ----------------------------------------------
 * OS part
 *   zport_now_ns        any context     monotonic clock in ns
 *   zport_crit_enter    any context     enter the critical section that
 *   zport_crit_exit     any context     protects the job table, the heap
 *                                       and the submission rings against
 *                                       tasks and the completion handler
 *                                       (IRQ masking on a single core, a
 *                                       spinlock + IRQ masking on SMP, a
 *                                       mutex on POSIX). Never nested.
 *   zport_wait          task only       block the calling task while *word
 *                                       == expected, until deadline_ns
 *   zport_wake          any context     wake every task waiting on word
 *   zport_log           task context    one line of log (printf format)
 * Board part
 *   zport_doorbell      any context     ring the bridge's doorbell (IPI,
 *                                       mailbox, ivshmem doorbell, eventfd)
 *   ipc_cache_clean     any context     declared in zenedge/ipc_cache.h;
 *   ipc_cache_invalidate                only when the build defines
 *                                       IPC_CONFIG_NONCOHERENT (see there)
 * The port also arranges for proxy_complete() to run when the bridge rings
 * this side (the completion interrupt) and for proxy_tick() to run about
 * every half heartbeat period (a timer interrupt or a thread).
 *
 * This header is freestanding: <stdint.h> and <stdarg.h> only.
 */
#ifndef ZENEDGE_ZPORT_H
#define ZENEDGE_ZPORT_H

#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Defined by each port (the port's own state: locks, doorbell handles). */
struct zport;

/* Monotonic time in ns. Must never go backwards. With
 * IPC_FEAT_SHARED_CLOCK set, it must be the clock the bridge uses. */
uint64_t zport_now_ns(struct zport *port);

/* Enter the critical section; the returned key is given back to exit
 * (for instance the interrupt mask that was in force). */
uint32_t zport_crit_enter(struct zport *port);
void zport_crit_exit(struct zport *port, uint32_t key);

/* Block while *word == expected (read atomically), at most until the
 * monotonic time deadline_ns. Returns ZPORT_WOKEN when woken or when *word
 * already differs, ZPORT_TIMEOUT when the deadline passed. Spurious
 * returns are allowed: the caller re-checks its condition. */
#define ZPORT_WOKEN   0
#define ZPORT_TIMEOUT 1
int zport_wait(struct zport *port, uint32_t *word, uint32_t expected, uint64_t deadline_ns);

/* Wake every task blocked in zport_wait() on word. */
void zport_wake(struct zport *port, uint32_t *word);

/* Ring the bridge's doorbell: the bridge will look at its input rings. */
void zport_doorbell(struct zport *port);

/* Log levels. */
#define ZPORT_LOG_ERROR 0
#define ZPORT_LOG_WARN  1
#define ZPORT_LOG_INFO  2
#define ZPORT_LOG_DEBUG 3

/* One log line (no trailing newline in fmt). The portable code uses only
 * %s %u %d %x %lu and %llu (for uint64_t values cast to unsigned long
 * long), so a port may bring a tiny formatter of its own. */
void zport_log(struct zport *port, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* How the portable code logs: a line above ZEN_CFG_LOG_LEVEL
 * (zenedge_config.h, seen by every rtos/ file) is compiled out, its format
 * string and arguments with it; the level is always a constant. */
#define ZEN_LOG(port, level, ...)                    \
    do {                                             \
        if ((level) <= ZEN_CFG_LOG_LEVEL)            \
            zport_log((port), (level), __VA_ARGS__); \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_ZPORT_H */
