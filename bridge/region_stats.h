/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * region_stats.h - the statistics of a daemon that serves several
 * regions: one file of "key value" lines, every region's keys prefixed
 * region.<name>. (the keys of a one-region daemon, stats.h), then the
 * arbiter's arbiter.* keys (docs/bridge.md).
 *
 * Role: the statistics part for several regions. Thread: the dispatch
 * thread. May touch: the log, the --stats-file path (stats.h); never a
 * region.
 */
#ifndef ZENEDGE_BRIDGE_REGION_STATS_H
#define ZENEDGE_BRIDGE_REGION_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "bmux.h"
#include "region.h"

/* The arbiter's keys (share used per region, budget left, waits by
 * reason) as "key value" lines into out. Returns nothing. */
void bridge_regions_arbiter_write(const bridge_region_t *r, uint32_t n, const bridge_bmux_t *mx, FILE *out);
/* One dump of n regions (each region's own dump has been made: its log
 * lines and dump_seq) into stats_file ("" or NULL: the arbiter's summary
 * line in the log only). Returns nothing. */
void bridge_regions_stats_dump(bridge_region_t *r, uint32_t n, const bridge_bmux_t *mx, const char *reason,
                               const char *stats_file);

#endif /* ZENEDGE_BRIDGE_REGION_STATS_H */
