/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crit_cost.c - the work proxy_tick() does per critical section, with
 * every job slot in flight: a plain tick, a tick where every deadline
 * passes, a bridge loss, and a new bridge epoch with and without start
 * tails. Prints, per case, the sections the tick entered and the most job
 * records one section changed. Under callgrind (crit_cost.sh) each
 * section of the measured tick is one dump, named by the case, so that
 * the script can report the instructions of the costliest section.
 *
 * Usage: crit_cost [max_jobs]   (default and limit: ZEN_CFG_MAX_JOBS)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crit_port.h"

static uint32_t dl_far(uint32_t i)
{
    (void)i;
    return 100000000u; /* 100 s */
}

/* Deadlines 1 ms .. 1024 ms, interleaved (not in submission order). */
static uint32_t dl_spread(uint32_t i)
{
    return 1000u * (1u + (i * 389u) % 1024u);
}

typedef enum { C_TICK, C_EXPIRE, C_LOSS, C_EPOCH, C_EPOCH_TAILS, C_COUNT } case_t;
static const char *const case_names[C_COUNT] = {"tick", "expire", "loss", "epoch", "epoch_tails"};

static int run_case(case_t c, uint32_t max_jobs, bool callgrind)
{
    cp_world_t w;
    if (cp_init(&w, max_jobs, max_jobs / IPC_QOS_COUNT >= 2u ? max_jobs / IPC_QOS_COUNT : 2u) != 0 ||
        cp_fill(&w, max_jobs, c == C_EXPIRE ? dl_spread : dl_far) != 0) {
        fprintf(stderr, "crit_cost: set-up of %s failed\n", case_names[c]);
        return 1;
    }
    switch (c) {
    case C_TICK: cp_beat(&w); break;
    case C_EXPIRE:
        cp_beat(&w);
        w.port.now += 2000000000ull;
        break;
    case C_LOSS: cp_offline(&w); break;
    case C_EPOCH:
        cp_take(&w, max_jobs);
        cp_new_epoch(&w, false);
        break;
    case C_EPOCH_TAILS:
        cp_take(&w, max_jobs / IPC_QOS_COUNT / 2u);
        cp_new_epoch(&w, true);
        break;
    default: break;
    }
    cp_reset(&w, !callgrind);
    w.port.callgrind = callgrind;
    w.port.label = case_names[c];
    int ended = proxy_tick(w.proxy);
    w.port.callgrind = false;
    printf("%-12s max_jobs=%u sections=%llu changed_max=%u ended=%d reclaimed=%u\n", case_names[c], (unsigned)max_jobs,
           (unsigned long long)w.port.sections, (unsigned)w.port.changed_max, ended,
           (unsigned)w.proxy->stats.reclaimed);
    int bad = w.port.nested != 0;
    cp_fini(&w);
    return bad;
}

int main(int argc, char **argv)
{
    uint32_t max_jobs = ZEN_CFG_MAX_JOBS;
    if (argc > 1) {
        char *end = 0;
        unsigned long v = strtoul(argv[1], &end, 10);
        if (*end != '\0' || v < IPC_QOS_COUNT * 2u || v > ZEN_CFG_MAX_JOBS) {
            fprintf(stderr, "crit_cost: max_jobs %s out of [%u, ZEN_CFG_MAX_JOBS=%u]\n", argv[1],
                    (unsigned)IPC_QOS_COUNT * 2u, (unsigned)ZEN_CFG_MAX_JOBS);
            return 2;
        }
        max_jobs = (uint32_t)v;
    }
    bool callgrind = getenv("CRIT_COST_CALLGRIND") != NULL;
    int bad = 0;
    for (int c = 0; c < C_COUNT; c++)
        bad |= run_case((case_t)c, max_jobs, callgrind);
    return bad;
}
