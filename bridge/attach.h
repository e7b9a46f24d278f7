/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attach.h - attaching zenedge-bridged to the region, and letting go.
 *
 * Role: map the region (transport.h) and wait, with one log line per
 * state, until the ZENEDGE side has initialised it; validate it and its
 * rings (ipc_region_attach); publish this instance (state STARTING, a new
 * bridge epoch, the submission-ring tails it adopts, features,
 * hb_period_us, then READY); notice when the region can no longer be
 * trusted (SIGBUS, magic, either epoch, a re-created shm object) and
 * detach, mapping it again where needed; keep a mapping that backend jobs
 * still point into (retired) until they are back; back off when the
 * region flaps (attach, detach, attach...) and when a submission ring is
 * corrupt.
 * Thread: the dispatch thread only.
 * May touch: the mapping, the bridge side of the region header (the
 * heartbeat word aside), the consumer ends of the submission rings, the
 * producer end of the completion ring (attached into bridge_answers_t),
 * the attach counters of bridge_stats_t.
 */
#ifndef ZENEDGE_BRIDGE_ATTACH_H
#define ZENEDGE_BRIDGE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answers.h"
#include "arbitrate.h"
#include "config.h"
#include "heartbeat.h"
#include "stats.h"
#include "transport.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

#define BRIDGE_ATTACH_RETIRED 4u /* mappings kept for late backend jobs */

typedef struct bridge_attach {
    const bridge_config_t *cfg;
    bridge_stats_t *st;
    bridge_transport_t tr;
    ipc_region_t v;
    bool attached;
    ipc_ring_cons_t sq[IPC_MAX_SQ];
    uint32_t epoch;     /* our bridge epoch */
    uint32_t zen_epoch; /* zenedge epoch seen at attach */
    int notify_mode;    /* doorbell mode towards the peer (ipc_db_mode_t) */
    bridge_arb_t arb;   /* rings and weights of this region */
    uint64_t last_replace_ns;
    char last_wait_msg[2048];
    /* Lifetime: gen moves when an attach ends (jobs of an earlier one are
     * stale, bridge_job_stale); a mapping that backend jobs of gen may
     * still hold is retired (kept mapped) until the last of them is back. */
    uint32_t gen;
    uint32_t jobs_left; /* stale jobs still in the backend (bridge_jobs_drop) */
    bridge_transport_t retired[BRIDGE_ATTACH_RETIRED];
    uint32_t retired_gen[BRIDGE_ATTACH_RETIRED];
    uint32_t retired_left[BRIDGE_ATTACH_RETIRED];
    /* Flapping: a detach soon after an attach delays the next attach
     * (10 ms doubling to 5 s; back to 0 after a stable attach). */
    uint64_t attached_ns, next_try_ns, flap_ns;
    /* Corrupt submission rings: bit r set while ring r is left unread
     * until sq_retry_ns[r] (1 ms doubling to 1 s) or a new attach. */
    uint32_t sq_bad;
    uint64_t sq_retry_ns[IPC_MAX_SQ], sq_backoff_ns[IPC_MAX_SQ];
} bridge_attach_t;

/* Not attached, nothing mapped. Returns nothing. */
void bridge_attach_init(bridge_attach_t *at, const bridge_config_t *cfg, bridge_stats_t *st);
/*
 * One attempt: map if needed, validate, publish READY; the completion ring
 * goes to ans (whose queue is sized and emptied), &hdr->bridge to hb.
 * Returns BRIDGE_OK (attached), BRIDGE_E_NOT_READY (no region yet, or not
 * initialised), BRIDGE_E_TRANSPORT (cannot map), BRIDGE_E_ATTACH (region
 * or a ring rejected) or BRIDGE_E_NOMEM; each waiting state logged once.
 */
int bridge_attach_try(bridge_attach_t *at, bridge_answers_t *ans, bridge_heartbeat_t *hb);
/* Whether the attached region can no longer be trusted; if so why (len
 * bytes) and whether the mapping must go too. Returns true or false. */
bool bridge_attach_changed(bridge_attach_t *at, char *why, size_t len, bool *unmap);
/* Mark detached and log why; unmap if asked. The caller has stopped the
 * heartbeat's side and drained the backend first (bridge_jobs_drop, which
 * moved gen and set jobs_left): a mapping that jobs_left backend jobs may
 * still point into is never unmapped here but retired, and unmapped by
 * bridge_attach_job_back once the last is back (more than
 * BRIDGE_ATTACH_RETIRED at once: kept mapped for good, said once). The
 * next attach waits when this one was short (flapping: 10 ms doubling to
 * 5 s). Returns nothing. */
void bridge_attach_detach(bridge_attach_t *at, const char *why, bool unmap);
/* A stale backend job of generation gen came back: a retired mapping that
 * no job holds any more is unmapped. Returns nothing. */
void bridge_attach_job_back(bridge_attach_t *at, uint32_t gen);
/* Ready packets of submission ring r (>= 0). A corrupt ring (impossible
 * head) is logged once with the head read and the limit, and not read
 * again for 1 ms doubling to 1 s, or until the next attach: 0 meanwhile.
 * Returns the count. */
uint32_t bridge_attach_sq_ready(bridge_attach_t *at, uint32_t r);
/* Note ring r found corrupt by a dequeue (as bridge_attach_sq_ready does).
 * Returns nothing. */
void bridge_attach_sq_corrupt(bridge_attach_t *at, uint32_t r);
/* Unmap whatever is mapped, retired mappings too. Returns nothing. */
void bridge_attach_fini(bridge_attach_t *at);

#endif /* ZENEDGE_BRIDGE_ATTACH_H */
