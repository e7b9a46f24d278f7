/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bmux.h - one backend shared by the regions of one daemon.
 *
 * Role: each region's serving parts (serve.h, jobs.h) talk to a view of
 * the backend (bridge_bmux_view) as they would to the backend itself.
 * A job submitted through a view is tagged with its region, its class
 * clamped to the region's max_class, and queued per region and class; the
 * arbiter across regions (xarb.h) decides which queued job goes to the
 * real backend next, as far as the real backend has room: every class but
 * RT keeps one place of the backend's depth free for a higher class, and
 * at most BRIDGE_BMUX_CLASS_INFLIGHT jobs of a class below RT are in the
 * backend at once, so the order stays the arbiter's. Finished jobs come
 * back from the real backend to the queue of their region and are charged
 * with the device time the backend reports (backend_ns). A job whose
 * region detached meanwhile (bridge_job_stale) goes back without running.
 * Model loading and the warm-up are done once, on the real backend.
 * Thread: the dispatch thread only.
 * May touch: the real backend, its queues, the jobs handed to it (region,
 * qos, status of a job that never ran).
 */
#ifndef ZENEDGE_BRIDGE_BMUX_H
#define ZENEDGE_BRIDGE_BMUX_H

#include <stdint.h>

#include "backends/backend.h"
#include "backends/jobq.h"
#include "xarb.h"

#define BRIDGE_BMUX_CLASS_INFLIGHT 2u /* jobs of one class below RT in the backend at once */

typedef struct bridge_bmux bridge_bmux_t;

typedef struct bridge_bmux_slot {
    bridge_bmux_t *mx;
    uint32_t idx;
} bridge_bmux_slot_t;

struct bridge_bmux {
    bridge_backend_t *real;
    uint32_t depth; /* the real backend's queue depth */
    uint32_t n;     /* regions */
    bridge_xarb_t arb;
    bridge_backend_ops_t ops; /* the views' operations */
    bridge_backend_t view[BRIDGE_XARB_MAX];
    bridge_bmux_slot_t slot[BRIDGE_XARB_MAX];
    bridge_jobq_t wait[BRIDGE_XARB_MAX][IPC_QOS_COUNT]; /* waiting for the arbiter */
    bridge_jobq_t done[BRIDGE_XARB_MAX];                /* back, for the region's poll */
    uint32_t taken[BRIDGE_XARB_MAX];                    /* submitted through a view, not polled back */
    uint32_t in_real, in_real_class[IPC_QOS_COUNT];     /* in the real backend */
    uint64_t wait_backend;                              /* picks put off: the backend had no room */
    uint64_t submit_failed;                             /* the real backend refused a picked job */
};

/* n regions (1..BRIDGE_XARB_MAX) of at most per_region jobs each in front
 * of real (initialised, models loaded; queue depth depth). The contracts
 * are set with bridge_xarb_contract(&mx->arb, ...). Returns BRIDGE_OK,
 * BRIDGE_E_INVAL (n out of range) or BRIDGE_E_NOMEM. */
int bridge_bmux_init(bridge_bmux_t *mx, bridge_backend_t *real, uint32_t depth, uint32_t n, uint32_t per_region);
/* Region i's view of the backend (i < n). Returns a pointer into mx. */
bridge_backend_t *bridge_bmux_view(bridge_bmux_t *mx, uint32_t i);
/* Move finished jobs to their regions and hand the arbiter's picks to the
 * real backend, waiting up to timeout_ms for a finished job when none is.
 * Returns the jobs that came back. */
uint32_t bridge_bmux_pump(bridge_bmux_t *mx, int timeout_ms);
/* Jobs waiting for the arbiter, all regions. */
uint32_t bridge_bmux_waiting(const bridge_bmux_t *mx);
/* Free the queues (no job in flight any more). Returns nothing. */
void bridge_bmux_fini(bridge_bmux_t *mx);

#endif /* ZENEDGE_BRIDGE_BMUX_H */
