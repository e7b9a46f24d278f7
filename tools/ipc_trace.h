/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_trace.h - zenedge-ipc trace: the job trace of a region (protocol
 * 1.2) as CSV or JSON lines, once or followed; the job slots' descriptors
 * (--slots) for regions of any version.
 */
#ifndef ZENEDGE_IPC_TRACE_H
#define ZENEDGE_IPC_TRACE_H

#include <signal.h>
#include <stdbool.h>

#include "zenedge/ipc_region.h"

typedef struct trace_opts {
    bool follow; /* keep reading until the zenedge side stops or a signal */
    bool json;   /* JSON lines instead of CSV */
    bool slots;  /* the descriptor table instead of the job trace */
    bool all;    /* --slots: also slots whose job has not completed */
} trace_opts_t;

/* Set by SIGINT/SIGTERM while following: finish and print the summary. */
extern volatile sig_atomic_t ipc_trace_stop;

/* The exit status: 0, or EX_UNAVAILABLE (69) when the region has no job
 * trace (message printed). */
int ipc_trace_run(const ipc_region_t *v, const trace_opts_t *o);

#endif /* ZENEDGE_IPC_TRACE_H */
