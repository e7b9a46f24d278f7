/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.h - the statistics of zenedge-bridged: counters, latency
 * histograms, and their dump.
 *
 * Role: counters written by the parts that count (answers, attach, peer,
 * serve) into one bridge_stats_t; dumped on SIGUSR1, every
 * --stats-interval-s and at exit to the log and, with --stats-file, to a
 * file of "key value" lines (keys in docs/bridge.md), written to a
 * temporary file next to it and renamed over it.
 * Thread: the dispatch thread only (no lock: nothing else reads them).
 * May touch: its counters, the log, the --stats-file path and its
 * temporary file; never the region.
 *
 * Latencies use the project's one histogram (zenedge/lat_hist.h) and its
 * stage names where the stage is the same (submit->pickup, pickup->start,
 * backend, end->complete); pickup->posted is the bridge's own span, from
 * the dequeue of a packet to its answer on the completion ring.
 */
#ifndef ZENEDGE_BRIDGE_STATS_H
#define ZENEDGE_BRIDGE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "registry.h"
#include "zenedge/ipc_proto.h"
#include "zenedge/lat_hist.h"

enum bridge_lat {
    BRIDGE_LAT_SUBMIT_PICKUP = LAT_SUBMIT_PICKUP, /* packet timestamp -> dequeue (shared clock only) */
    BRIDGE_LAT_PICKUP_START = LAT_PICKUP_START,   /* dequeue -> backend start */
    BRIDGE_LAT_BACKEND = LAT_BACKEND,             /* backend start -> end */
    BRIDGE_LAT_END_COMPLETE = LAT_END_COMPLETE,   /* backend end -> answer posted */
    BRIDGE_LAT_PICKUP_POSTED,                     /* dequeue -> answer posted (bridge only) */
    BRIDGE_LAT_COUNT
};

typedef struct bridge_stats {
    uint64_t rx_ping, rx_run_model, rx_other; /* submissions by command */
    uint64_t tx_pong, tx_job_done, tx_error;  /* completions posted */
    uint64_t status[IPC_STATUS_COUNT];        /* answers by status */
    uint64_t rx_ring[IPC_MAX_SQ];             /* packets taken per ring */
    uint32_t fill_max[IPC_MAX_SQ];            /* deepest fill seen per ring */
    uint64_t rounds;                          /* arbitration rounds with work */
    uint64_t cq_full;                         /* answers deferred: completion ring full */
    uint64_t error_dropped;                   /* CMD_ERROR answers dropped: ring full */
    uint64_t pending_max;                     /* deepest private answer queue */
    uint64_t dropped_reinit;                  /* answers discarded: region re-initialised */
    uint64_t ring_corrupt;                    /* impossible counters seen in a ring */
    uint64_t backend_busy;                    /* submit returned BRIDGE_E_BUSY */
    uint64_t attaches, detaches;              /* region (re)attachments */
    uint64_t peer_connects, peer_losses, hello_rejects;
    uint64_t model_run[BRIDGE_MAX_MODELS]; /* jobs run OK, by registry index */
    lat_hist_t lat[BRIDGE_LAT_COUNT];
    uint64_t lat_sum_ns[BRIDGE_LAT_COUNT]; /* for the average */
    uint32_t dump_seq;
} bridge_stats_t;

/* What the dump reports about now, gathered by the caller. */
typedef struct bridge_stats_now {
    const char *reason; /* "SIGUSR1", "interval", "exit" */
    uint64_t uptime_ms;
    int attached;
    uint32_t epoch;
    uint32_t pending;           /* answers queued now */
    uint64_t ring_corrupt_seen; /* sum of the rings' corrupt counts */
    uint32_t n_sq;              /* rings of the region (0 detached) */
    int ring_fill[IPC_MAX_SQ];  /* 0 when detached */
    int cq_fill;
} bridge_stats_now_t;

/* Empty counters and histograms. Returns nothing. */
void bridge_stats_init(bridge_stats_t *s);
/* Count one latency of stage (enum bridge_lat). Returns nothing. */
void bridge_stats_lat_add(bridge_stats_t *s, uint32_t stage, uint64_t ns);
/* "submit->pickup", ..., "pickup->posted"; "?" out of range. Never NULL. */
const char *bridge_lat_name(uint32_t stage);

/* Write every counter as "key value" lines; model keys name reg's models.
 * Returns nothing. */
void bridge_stats_write(const bridge_stats_t *s, const bridge_registry_t *reg, FILE *out);
/* One dump: log lines, and with stats_file (may be "" or NULL) the file,
 * replaced atomically. Returns nothing; a file that cannot be written is
 * logged and left as it was. */
void bridge_stats_dump(bridge_stats_t *s, const bridge_registry_t *reg, const bridge_stats_now_t *now,
                       const char *stats_file);

/* The text of one dump (state of now, then bridge_stats_write) into m;
 * dump_seq as it is. Returns nothing. */
void bridge_stats_text(bridge_stats_t *s, const bridge_registry_t *reg, const bridge_stats_now_t *now, FILE *m);
/* Replace file path by buf[len] atomically (a temporary file next to it,
 * renamed over it). Returns nothing; a failure is logged and the file left
 * as it was. */
void bridge_stats_write_file(const char *path, const char *buf, size_t len);

#endif /* ZENEDGE_BRIDGE_STATS_H */
