/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_trace.c - zenedge-sim --trace: every collected job as CSV, read back
 * from the region's job trace (protocol 1.2, zl_trace.h) by a thread that
 * follows it while the tasks run, with the task's name for the record's
 * tag (task index + 1, set on each contract's account). The ring holds
 * SIM_TRACE_SLOTS records and the thread polls every millisecond, so none
 * is lost at the rates the sim reaches; any that is, is counted in the
 * last line ("# records=N lost=M") and on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sysexits.h>

#include "sim.h"
#include "zenedge/barrier.h"
#include "zl.h"
#include "zl_trace.h"

static pthread_t tr_thread;
static int tr_running;
static int tr_stop; /* main -> thread: drain and end (read once; the join orders the rest) */
static zl_trace_reader_t tr_reader;

static FILE *open_out(const char *opt, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fprintf(stderr, "zenedge-sim: %s '%s': cannot write: %s\n", opt, path, strerror(errno));
    return f;
}

int sim_outputs_open(void)
{
    if (sim.hist_path && (sim.hist_f = open_out("--hist", sim.hist_path)) == NULL)
        return EX_CANTCREAT;
    if (sim.trace_path && (sim.trace_f = open_out("--trace", sim.trace_path)) == NULL)
        return EX_CANTCREAT;
    return -1;
}

static const char *task_of(uint32_t tag)
{
    return tag >= 1 && tag <= (uint32_t)sim.n_tasks ? sim.tasks[tag - 1].name : "?";
}

static void drain(bool shared)
{
    ipc_trace_rec_t rec;
    while (zl_trace_next(&tr_reader, &rec) == 1)
        zl_trace_csv_row(sim.trace_f, &rec, shared, task_of(rec.tag));
}

static void *trace_main(void *arg)
{
    (void)arg;
    bool shared = (sim.proxy->region.features & IPC_FEAT_SHARED_CLOCK) != 0;
    while (!ipc_read_once(&tr_stop)) {
        drain(shared);
        sim_sleep_ns(1000000);
    }
    drain(shared);
    return NULL;
}

void sim_trace_start(void)
{
    if (sim.trace_f == NULL)
        return;
    if (zl_trace_open(&tr_reader, &sim.proxy->region, true) != 0) {
        fprintf(stderr, "zenedge-sim: --trace: this build lays out no job trace (ZEN_CFG_JOB_TRACE 0)\n");
        return;
    }
    zl_trace_csv_header(sim.trace_f, true);
    tr_running = pthread_create(&tr_thread, NULL, trace_main, NULL) == 0;
}

void sim_trace_stop(void)
{
    if (sim.trace_f == NULL)
        return;
    if (tr_running) {
        ipc_write_once(&tr_stop, 1);
        pthread_join(tr_thread, NULL);
        tr_running = 0;
        fprintf(sim.trace_f, "# records=%llu lost=%llu\n", (unsigned long long)tr_reader.read,
                (unsigned long long)tr_reader.lost);
        if (tr_reader.lost)
            fprintf(stderr, "zenedge-sim: --trace: %llu job records were overwritten before they were read\n",
                    (unsigned long long)tr_reader.lost);
    }
    if (fclose(sim.trace_f) != 0)
        fprintf(stderr, "zenedge-sim: --trace '%s': %s\n", sim.trace_path, strerror(errno));
    sim.trace_f = NULL;
}
