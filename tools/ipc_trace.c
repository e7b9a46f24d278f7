/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_trace.c - zenedge-ipc trace (ipc_trace.h). The job trace is read
 * with zl_trace (ordering T2 of ipc_proto.h): a record is printed only
 * when it is whole; records overwritten before they were read are counted
 * and reported at the end, on stderr and in a last comment line (CSV: "#
 * records=N lost=M") or JSON line ({"records":N,"lost":M}).
 */
#include "ipc_trace.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "zenedge/barrier.h"
#include "zenedge/lat_hist.h"
#include "zl_trace.h"

volatile sig_atomic_t ipc_trace_stop;

/* b - a when both are set and in order, else empty. */
static void delta(uint64_t a, uint64_t b)
{
    if (a != 0 && b != 0 && b >= a)
        printf(",%llu", (unsigned long long)(b - a));
    else
        printf(",");
}

/* --slots: the descriptors in the table now (a slot keeps its last job). */
static int do_slots(const ipc_region_t *v, bool all)
{
    /* The durations (ns) are named as the stages everywhere else
     * (lat_stage_name()). The descriptor keeps no t_wait_call, so here
     * seen->wake starts at t_complete_seen. */
    printf("slot,handle,generation,model_id,qos,t_submit,t_pickup,t_backend_start,t_backend_end,t_complete,"
           "t_complete_seen,t_wake,backend_ns,bridge_epoch,result");
    for (uint32_t s = 0; s < LAT_STAGES; s++)
        printf(",%s", lat_stage_name(s));
    printf("\n");
    bool shared = (v->features & IPC_FEAT_SHARED_CLOCK) != 0;
    for (uint32_t s = 0; s < v->max_jobs; s++) {
        ipc_job_desc_t d;
        memcpy(&d, &v->jobs[s], sizeof(d)); /* one copy of a live descriptor */
        if (d.handle == 0 || (!all && d.t_complete == 0))
            continue;
        printf("%u,0x%08x,%u,%u,%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%u,%u", s, d.handle,
               IPC_HANDLE_GEN(d.handle), d.model_id, d.qos, (unsigned long long)d.t_submit,
               (unsigned long long)d.t_pickup, (unsigned long long)d.t_backend_start,
               (unsigned long long)d.t_backend_end, (unsigned long long)d.t_complete,
               (unsigned long long)d.t_complete_seen, (unsigned long long)d.t_wake, (unsigned long long)d.backend_ns,
               d.bridge_epoch, d.result);
        /* Cross-side differences mean something only with a shared clock. */
        delta(shared ? d.t_submit : 0, d.t_pickup);
        delta(d.t_pickup, d.t_backend_start);
        delta(d.t_backend_start, d.t_backend_end);
        delta(d.t_backend_end, d.t_complete);
        delta(shared ? d.t_complete : 0, d.t_complete_seen);
        delta(d.t_complete_seen, d.t_wake);
        delta(d.t_submit, d.t_wake);
        printf("\n");
    }
    return 0;
}

/* Every record ready now: the count printed, or -1 when the writer's
 * count went backwards (the region was laid out again). */
static long drain(zl_trace_reader_t *r, bool shared, bool json)
{
    long n = 0;
    ipc_trace_rec_t rec;
    int got;
    while ((got = zl_trace_next(r, &rec)) == 1) {
        if (json)
            zl_trace_json_row(stdout, &rec, shared, NULL);
        else
            zl_trace_csv_row(stdout, &rec, shared, NULL);
        n++;
    }
    return got < 0 ? -1 : n;
}

/* Follow until the zenedge side is OFFLINE (stopped; after one last
 * drain), the region is unpublished or laid out again, or a signal. */
static void follow(const ipc_region_t *v, zl_trace_reader_t *r, bool shared, bool json)
{
    const struct timespec idle = {0, 2000000}; /* 2 ms: 4096 records last far longer at any rate we reach */
    while (!ipc_trace_stop) {
        uint32_t state = ipc_load_acquire(&v->hdr->zen.state); /* L1 */
        uint32_t magic = ipc_load_acquire(&v->hdr->magic);
        long n = drain(r, shared, json);
        if (n < 0 || magic != IPC_REGION_MAGIC || state == IPC_STATE_OFFLINE)
            break;
        if (n == 0) {
            fflush(stdout);
            nanosleep(&idle, NULL);
        }
    }
    (void)drain(r, shared, json);
}

int ipc_trace_run(const ipc_region_t *v, const trace_opts_t *o)
{
    if (o->slots)
        return do_slots(v, o->all);
    zl_trace_reader_t r;
    if (zl_trace_open(&r, v, true) != 0) {
        fprintf(stderr,
                "zenedge-ipc: the region has no job trace (protocol 1.%u, features 0x%08x without "
                "IPC_FEAT_JOB_TRACE: a writer before 1.2 or built with ZEN_CFG_JOB_TRACE 0); trace --slots "
                "shows the job slots\n",
                v->version_minor, v->features);
        return EX_UNAVAILABLE;
    }
    bool shared = (v->features & IPC_FEAT_SHARED_CLOCK) != 0;
    if (!o->json)
        zl_trace_csv_header(stdout, false);
    if (o->follow)
        follow(v, &r, shared, o->json);
    else
        (void)drain(&r, shared, o->json);
    if (o->json)
        printf("{\"records\":%llu,\"lost\":%llu}\n", (unsigned long long)r.read, (unsigned long long)r.lost);
    else
        printf("# records=%llu lost=%llu\n", (unsigned long long)r.read, (unsigned long long)r.lost);
    fflush(stdout);
    fprintf(stderr, "zenedge-ipc: trace: %llu records, %llu lost (overwritten before they were read)\n",
            (unsigned long long)r.read, (unsigned long long)r.lost);
    return 0;
}
