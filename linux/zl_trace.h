/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zl_trace.h - reading the job trace of a region (protocol 1.2,
 * IPC_FEAT_JOB_TRACE; ipc_proto.h, "Job trace", ordering T2) and writing
 * its records as CSV or JSON lines. Shared by zenedge-ipc trace and
 * zenedge-sim --trace. The region is untrusted: a record is returned only
 * when both reads of its sequence number give its place; a record
 * overwritten before it was read, or being rewritten while read, is
 * counted lost, never returned torn.
 */
#ifndef ZENEDGE_ZL_TRACE_H
#define ZENEDGE_ZL_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "zenedge/ipc_region.h"

typedef struct zl_trace_reader {
    const ipc_trace_area_t *area; /* NULL: the region has no job trace */
    uint32_t slots;               /* validated trace_slots */
    uint32_t next;                /* number of the next record to read */
    uint64_t read;                /* records returned */
    uint64_t lost;                /* records overwritten before they were read */
} zl_trace_reader_t;

/* Start at the oldest record the ring still holds (from_oldest) or at the
 * next one written. Returns 0, or -ENOENT when the region has no job
 * trace (a 1.1 writer, or one built without ZEN_CFG_JOB_TRACE). */
int zl_trace_open(zl_trace_reader_t *r, const ipc_region_t *v, bool from_oldest);

/* The next record into *out: 1; 0 when none is ready (yet); -ESTALE when
 * the writer's count went backwards (the region was laid out again).
 * Reads at most `slots` places per call. */
int zl_trace_next(zl_trace_reader_t *r, ipc_trace_rec_t *out);

/* Name of IPC_TRACE_END_* ("ok", "failed", "timed_out", "cancelled",
 * "bridge_lost", "other"). */
const char *zl_trace_end_name(uint32_t end);

/* One CSV line of column names / of a record. task: a name for the
 * record's tag (NULL: the column is left out of header and rows alike).
 * The stage durations are named and computed as everywhere else
 * (lat_stage_name(), rtos/lat_trace.c): cross-side stages only with a
 * shared clock, empty when a stage did not happen. */
void zl_trace_csv_header(FILE *f, bool with_task);
void zl_trace_csv_row(FILE *f, const ipc_trace_rec_t *rec, bool shared_clock, const char *task);
/* One JSON object per line, the same fields. */
void zl_trace_json_row(FILE *f, const ipc_trace_rec_t *rec, bool shared_clock, const char *task);

#endif /* ZENEDGE_ZL_TRACE_H */
