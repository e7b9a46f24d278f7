/*
 * stats.h - counters of zenedge-bridged. Written by the dispatch thread
 * only; dumped by it (on SIGUSR1, every --stats-interval-s, at exit) to
 * the log and, with --stats-file, to a file of "key value" lines.
 */
#ifndef ZENEDGE_BRIDGE_STATS_H
#define ZENEDGE_BRIDGE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "zenedge/ipc_proto.h"

#define BRIDGE_HIST_BUCKETS 40u   /* log2 ns buckets: [2^i, 2^(i+1)) */

typedef struct bridge_lat {
    uint64_t count, sum_ns, min_ns, max_ns;
    uint64_t hist[BRIDGE_HIST_BUCKETS];
} bridge_lat_t;

enum bridge_stage {
    BRIDGE_STAGE_RING = 0,    /* packet timestamp -> pickup (shared clock only) */
    BRIDGE_STAGE_QUEUE,       /* pickup -> backend start */
    BRIDGE_STAGE_BACKEND,     /* backend start -> end */
    BRIDGE_STAGE_POST,        /* backend end -> completion posted */
    BRIDGE_STAGE_TOTAL,       /* pickup -> completion posted */
    BRIDGE_STAGE_COUNT
};

typedef struct bridge_stats {
    uint64_t rx_ping, rx_run_model, rx_other;     /* submissions by command */
    uint64_t tx_pong, tx_job_done, tx_error;      /* completions posted */
    uint64_t status[IPC_STATUS_COUNT];            /* answers by status */
    uint64_t rx_ring[IPC_MAX_SQ];                 /* packets taken per ring */
    uint32_t fill_max[IPC_MAX_SQ];                /* deepest fill seen per ring */
    uint64_t rounds;                              /* arbitration rounds with work */
    uint64_t cq_full;                             /* answers deferred: completion ring full */
    uint64_t error_dropped;                       /* CMD_ERROR answers dropped: ring full */
    uint64_t pending_max;                         /* deepest private answer queue */
    uint64_t dropped_reinit;                      /* answers discarded: region re-initialised */
    uint64_t ring_corrupt;                        /* impossible counters seen in a ring */
    uint64_t backend_busy;                        /* submit returned BRIDGE_E_BUSY */
    uint64_t attaches, detaches;                  /* region (re)attachments */
    uint64_t peer_connects, peer_losses, hello_rejects;
    uint64_t models_run[8];                       /* by model id 1..7 (0: others) */
    bridge_lat_t lat[BRIDGE_STAGE_COUNT];
} bridge_stats_t;

void bridge_stats_lat_add(bridge_lat_t *l, uint64_t ns);
/* Approximate percentile (upper edge of the bucket), 0 if empty. */
uint64_t bridge_stats_lat_pct(const bridge_lat_t *l, double pct);
const char *bridge_stage_name(int stage);

/* Write every counter as "key value" lines. */
void bridge_stats_write(const bridge_stats_t *s, FILE *out);

#endif /* ZENEDGE_BRIDGE_STATS_H */
