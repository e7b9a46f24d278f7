/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * region.h - one region served by zenedge-bridged: everything that is
 * per region (its settings, attach state and epoch, heartbeat thread,
 * doorbell peer, answers queue, serving pass, job pool, statistics,
 * instance lock).
 *
 * Role: the per-region part of the dispatch loop (dispatch.h decides when
 * each region runs). A daemon serves one region (the command line's
 * --shm/--file: one implicit region, name "") or several (config.h
 * regions: [region.NAME] sections or --region); each keeps its own state,
 * so a region that misbehaves is detached or backed off alone.
 * Thread: the dispatch thread; each region's heartbeat thread is its own
 * (heartbeat.h).
 * May touch: through its parts only (attach.h, peer.h, serve.h, answers.h,
 * heartbeat.h, stats.h, instance.h).
 */
#ifndef ZENEDGE_BRIDGE_REGION_H
#define ZENEDGE_BRIDGE_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "answers.h"
#include "attach.h"
#include "backends/backend.h"
#include "config.h"
#include "heartbeat.h"
#include "instance.h"
#include "peer.h"
#include "registry.h"
#include "serve.h"
#include "stats.h"

typedef struct bridge_region {
    char name[BRIDGE_REGION_NAME];        /* "" for the implicit region of --shm/--file */
    char prefix[BRIDGE_REGION_NAME + 16]; /* "region NAME: " for its log lines, "" */
    bridge_config_t cfg;                  /* the daemon's settings with the region's over them */
    const bridge_registry_t *reg;
    bridge_backend_t *be; /* the backend, or this region's view of it (bmux.h) */

    bridge_stats_t st;
    bridge_heartbeat_t hb;
    bridge_answers_t ans;
    bridge_attach_t at;
    bridge_peer_t peer;
    bridge_serve_t serve;

    uint64_t start_ns, last_upkeep_ns;
} bridge_region_t;

/* What one step did (bridge_region_step). */
enum bridge_region_step {
    BRIDGE_REGION_SERVED = 0,  /* a serving pass ran */
    BRIDGE_REGION_NOT_YET = 1, /* not attached: the attach failed (retry later) */
    BRIDGE_REGION_CHANGED = 2, /* attached or detached just now */
};

/* Set up r (no I/O): name, settings cfg (copied), registry, backend (or
 * view). Returns nothing. */
void bridge_region_init(bridge_region_t *r, const char *name, const bridge_config_t *cfg, const bridge_registry_t *reg,
                        bridge_backend_t *be);
/* Job pool, doorbell (a copy of shared_efd when >= 0), heartbeat thread.
 * Returns BRIDGE_OK, BRIDGE_E_NOMEM, BRIDGE_E_CONFIG, BRIDGE_E_DOORBELL or
 * BRIDGE_E_SYS (logged). */
int bridge_region_setup(bridge_region_t *r, int shared_efd);
/* A sign of life for the region's heartbeat watchdog. Returns nothing. */
void bridge_region_alive(bridge_region_t *r);
/* Doorbell connection upkeep, every 20 ms at most. Returns nothing. */
void bridge_region_upkeep(bridge_region_t *r, uint64_t now);
/* One step: attach if needed, detach when the region can no longer be
 * trusted, else one serving pass, queued answers flushed, doorbell.
 * Writes what happened into *what (enum bridge_region_step). Returns the
 * work done (jobs collected plus packets taken). */
uint32_t bridge_region_step(bridge_region_t *r, int *what);
/* Whether there is something to do for r (the idle wait's test). */
bool bridge_region_work_ready(bridge_region_t *r);
/* Whether the serving pass must come soon: the backend holds its jobs or
 * answers wait. */
bool bridge_region_busy(const bridge_region_t *r);
/* The statistics dump: the log, and the stats file when stats_file is
 * given (may be "" or NULL). Returns nothing. */
void bridge_region_dump(bridge_region_t *r, const char *reason, const char *stats_file);
/* The state of now for a dump (stats.h). Returns nothing. */
void bridge_region_now(const bridge_region_t *r, const char *reason, bridge_stats_now_t *now);
/* Stopping: answer what is queued SHUTDOWN, finish jobs, publish OFFLINE
 * (or leave a region that is no longer ours alone). Returns nothing. */
void bridge_region_stop(bridge_region_t *r);
/* Stop the heartbeat thread. Returns nothing. */
void bridge_region_hb_stop(bridge_region_t *r);
/* Close the doorbell, unmap, free. Returns nothing. */
void bridge_region_fini(bridge_region_t *r);

#endif /* ZENEDGE_BRIDGE_REGION_H */
