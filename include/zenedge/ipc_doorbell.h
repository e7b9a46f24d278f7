/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_doorbell.h - the needs-wake-up handshake (W1/W2 in ipc_proto.h).
 *
 * A side that is about to sleep announces it (W1) and then re-checks its
 * input rings; a side that has just published work checks whether its peer
 * sleeps (W2) and only then rings the peer's doorbell. With both full
 * fences, either the sleeper sees the new work in its re-check, or the
 * publisher sees needs_wakeup and rings: a wake-up is never lost, and
 * while both sides are busy nobody makes a doorbell system call.
 * Freestanding.
 */
#ifndef ZENEDGE_IPC_DOORBELL_H
#define ZENEDGE_IPC_DOORBELL_H

#include <stdbool.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Doorbell mode: how a side learns that its peer published work. One
 * enum for both sides and every program (zenedge-bridged --doorbell,
 * zenedge-sim --doorbell, proxy_config_t.doorbell, the POSIX port).
 *   IPC_DB_POLL      never ring, never sleep: the peer polls;
 *   IPC_DB_EVENTFD   ring after every publication; the peer blocks;
 *   IPC_DB_ADAPTIVE  the needs-wake-up handshake below: ring only when the
 *                    peer announced sleep (W2); spin first, then W1.
 */
typedef enum ipc_db_mode { IPC_DB_POLL = 0, IPC_DB_EVENTFD = 1, IPC_DB_ADAPTIVE = 2, IPC_DB_MODES = 3 } ipc_db_mode_t;

/* "poll" | "eventfd" | "adaptive" -> IPC_DB_*, or IPC_E_INVAL. */
int ipc_db_mode_parse(const char *s);
/* Name of a mode, "?" for anything else. */
const char *ipc_db_mode_name(int mode);

/* W1: store needs_wakeup = 1, then a full fence. The caller must re-check
 * its rings after this and call ipc_sleep_cancel() if it finds work. */
static inline void ipc_sleep_announce(ipc_side_t *me)
{
    ipc_write_once(&me->needs_wakeup, 1u);
    ipc_cache_clean(&me->needs_wakeup, 4);
    ipc_fence(); /* W1: orders the store above before the ring re-check */
}

/* Back to busy: the peer need not ring any more. */
static inline void ipc_sleep_cancel(ipc_side_t *me)
{
    ipc_write_once(&me->needs_wakeup, 0u);
    ipc_cache_clean(&me->needs_wakeup, 4);
}

/* W2: after the store-release that published work, a full fence, then
 * true if the peer announced that it sleeps. */
static inline bool ipc_peer_wants_doorbell(const ipc_side_t *peer)
{
    ipc_fence(); /* W2: orders the head store before this load */
    ipc_cache_invalidate(&peer->needs_wakeup, 4);
    return ipc_read_once(&peer->needs_wakeup) != 0u;
}

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_IPC_DOORBELL_H */
