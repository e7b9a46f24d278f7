/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * heartbeat.h - the heartbeat thread of zenedge-bridged.
 *
 * Role: while attached, bump bridge.heartbeat in the region every
 * --hb-period-us, but only while the dispatch thread has shown a sign of
 * life (bridge_heartbeat_alive) within --watchdog-ms: a dispatcher stuck
 * (in a backend, or waiting on one that keeps every job) stops the
 * heartbeat, so the ZENEDGE side declares this bridge lost instead of
 * waiting forever. The same sign of life feeds systemd's watchdog
 * (WATCHDOG=1, service.h), attached or not, and each tick runs a reload
 * the SIGHUP handler asked for. Starting the thread tells systemd READY=1.
 * Thread: its own thread runs the loop; the dispatch thread calls the
 * other functions. It blocks every signal but SIGBUS (the dispatch
 * thread's waits must see EINTR).
 * May touch: only bridge.heartbeat of the side it was given (it is the
 * only writer of that word), under its lock; never anything else of the
 * region.
 */
#ifndef ZENEDGE_BRIDGE_HEARTBEAT_H
#define ZENEDGE_BRIDGE_HEARTBEAT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_region.h"

typedef struct bridge_heartbeat {
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    ipc_side_t *side;  /* guarded by lock; NULL when detached */
    uint64_t alive_ns; /* last sign of life of the dispatch thread: ipc_write_once/ipc_read_once */
    uint32_t stop;     /* HB1: store-release by fini, load-acquire by the thread */
    uint64_t period_ns, watchdog_ns;
    uint32_t watchdog_ms;
    const char *log_prefix; /* for the thread's log lines (a region's name); NULL: none */
} bridge_heartbeat_t;

/* Set up (no thread yet), alive now. Returns nothing. */
void bridge_heartbeat_init(bridge_heartbeat_t *hb, uint32_t period_us, uint32_t watchdog_ms);
/* Start the thread, then READY=1 to systemd (the dispatcher starts it
 * last: models warm, doorbell open). Returns BRIDGE_OK or BRIDGE_E_SYS (logged). */
int bridge_heartbeat_start(bridge_heartbeat_t *hb);
/* The side to bump (&hdr->bridge once attached), or NULL: not bumped any
 * more once this returns; systemd's STATUS= says attached or waiting.
 * Returns nothing. */
void bridge_heartbeat_set_side(bridge_heartbeat_t *hb, ipc_side_t *side);
/* A sign of life of the dispatch thread, as of at_ns (zl_now_ns() time;
 * 0: now). Returns nothing. */
void bridge_heartbeat_alive(bridge_heartbeat_t *hb, uint64_t at_ns);
/* Stop and join the thread if started, release the lock. Returns nothing. */
void bridge_heartbeat_fini(bridge_heartbeat_t *hb);

#endif /* ZENEDGE_BRIDGE_HEARTBEAT_H */
