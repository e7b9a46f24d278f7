/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.h (ports/posix) - the POSIX (Linux) port of the ZENEDGE side, used
 * by the simulation (zenedge-sim) and the tests.
 *
 *  - tasks are threads;
 *  - the critical section is one mutex per port;
 *  - wait/wake is a futex on the job's wake word (absolute
 *    CLOCK_MONOTONIC deadline);
 *  - the completion "interrupt" is a thread that runs proxy_complete()
 *    and proxy_tick(): in IPC_DB_EVENTFD mode it blocks on an eventfd
 *    the bridge writes to; in IPC_DB_ADAPTIVE mode it spins first,
 *    then announces sleep (W1) and blocks; in IPC_DB_POLL mode it
 *    only spins (no system call but the clock);
 *  - the doorbell towards the bridge is a write to the bridge's eventfd,
 *    handed over with zport_posix_set_peer() (any time; -1: none);
 *  - the clock is CLOCK_MONOTONIC, the one the bridge uses on the same
 *    host, so IPC_FEAT_SHARED_CLOCK may be set;
 *  - the log goes to stderr, one line per call, with a prefix.
 */
#ifndef ZENEDGE_ZPORT_POSIX_H
#define ZENEDGE_ZPORT_POSIX_H

#include <pthread.h>
#include <stdint.h>

#include "proxy.h"
#include "zport.h"

/* The port's mode is a doorbell mode (ipc_db_mode_t, IPC_DB_*), or: */
#define ZPORT_POSIX_MANUAL (-1) /* no interrupt thread: the caller runs proxy_complete/proxy_tick */

struct zport {
    pthread_mutex_t lock;
    int mode;         /* ZPORT_POSIX_* */
    int irq_efd;      /* our doorbell: the bridge writes it */
    int peer_efd;     /* the bridge's doorbell (atomic), -1: none */
    uint64_t spin_ns; /* adaptive: spin before sleeping */
    uint32_t tick_us; /* proxy_tick() period */
    int log_level;    /* ZPORT_LOG_*: lines above it are dropped */
    char prefix[32];
    proxy_t *proxy;
    pthread_t irq;
    int irq_running;
    uint32_t stop;       /* atomic */
    uint64_t irq_sleeps; /* statistic: times the interrupt thread blocked */
    uint32_t waiters;    /* atomic: tasks inside zport_wait() (futex skipped at 0) */
};

/* Create the port's eventfd and mutex. mode: ZPORT_POSIX_*. 0 or -errno. */
int zport_posix_init(struct zport *z, int mode);
void zport_posix_destroy(struct zport *z);

/* Log lines at or below level go to stderr, prefixed. */
void zport_posix_set_log(struct zport *z, int level, const char *prefix);

/* The eventfd the bridge must write to ring this side. */
int zport_posix_irq_fd(const struct zport *z);

/* The bridge's eventfd (-1: none); the caller keeps ownership. Its file
 * description is made non-blocking (zport_doorbell never waits); one that
 * cannot be is not rung. Returns nothing. */
void zport_posix_set_peer(struct zport *z, int peer_efd);

/* Start / stop the completion interrupt thread for proxy p (not in
 * ZPORT_POSIX_MANUAL mode). tick_us 0: half of ZEN_CFG_HB_PERIOD_US. */
int zport_posix_start(struct zport *z, proxy_t *p, uint32_t tick_us, uint64_t spin_ns);
void zport_posix_stop(struct zport *z);

#endif /* ZENEDGE_ZPORT_POSIX_H */
