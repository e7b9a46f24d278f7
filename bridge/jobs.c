/* SPDX-License-Identifier: BSD-3-Clause */
/* jobs.c - the job pool and its traffic with the backend (jobs.h). */
#include "jobs.h"

#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"
#include "log.h"
#include "zenedge/ipc_cache.h"
#include "zl.h"

#define COLLECT_MAX 32

int bridge_jobs_init(bridge_jobs_t *jb, uint32_t depth, bridge_backend_t *be, const bridge_registry_t *reg,
                     bridge_stats_t *st, bridge_answers_t *ans, bridge_attach_t *at)
{
    memset(jb, 0, sizeof(*jb));
    jb->be = be;
    jb->reg = reg;
    jb->st = st;
    jb->ans = ans;
    jb->at = at;
    jb->n_jobs = depth ? depth : 1u;
    jb->pool = calloc(jb->n_jobs, sizeof(*jb->pool));
    jb->free_jobs = calloc(jb->n_jobs, sizeof(*jb->free_jobs));
    jb->held = calloc(jb->n_jobs, sizeof(*jb->held));
    jb->in_backend = calloc(jb->n_jobs, sizeof(*jb->in_backend));
    if (jb->pool == NULL || jb->free_jobs == NULL || jb->held == NULL || jb->in_backend == NULL)
        return BRIDGE_E_NOMEM;
    for (uint32_t i = 0; i < jb->n_jobs; i++)
        jb->free_jobs[jb->n_free++] = &jb->pool[i];
    return BRIDGE_OK;
}

void bridge_jobs_fini(bridge_jobs_t *jb)
{
    free(jb->pool);
    free(jb->free_jobs);
    free(jb->held);
    free(jb->in_backend);
    jb->in_backend = NULL;
    jb->pool = NULL;
    jb->free_jobs = jb->held = NULL;
    jb->n_free = 0;
}

bridge_job_t *bridge_jobs_get(bridge_jobs_t *jb)
{
    return jb->n_free ? jb->free_jobs[--jb->n_free] : NULL;
}

static void job_put(bridge_jobs_t *jb, bridge_job_t *j)
{
    jb->free_jobs[jb->n_free++] = j;
}

void bridge_jobs_answer(bridge_jobs_t *jb, const bridge_job_t *j, uint32_t status, bool write_desc)
{
    uint64_t now = zl_now_ns();
    if (write_desc && jb->at->attached) {
        /* Plain stores, published by R1 of the JOB_DONE packet below. */
        ipc_job_desc_t *dd = &jb->at->v.jobs[j->slot];
        dd->t_pickup = j->t_pickup;
        dd->t_backend_start = j->t_backend_start;
        dd->t_backend_end = j->t_backend_end;
        dd->t_complete = now;
        dd->backend_ns = j->backend_ns;
        dd->bridge_epoch = jb->at->epoch;
        dd->result = status == IPC_STATUS_OK ? j->result : 0u;
        ipc_cache_clean(&dd->t_pickup, IPC_CACHELINE);
    }
    if (status == IPC_STATUS_OK) {
        bridge_stats_lat_add(jb->st, BRIDGE_LAT_PICKUP_START, j->t_backend_start - j->t_pickup);
        bridge_stats_lat_add(jb->st, BRIDGE_LAT_BACKEND, j->t_backend_end - j->t_backend_start);
        bridge_stats_lat_add(jb->st, BRIDGE_LAT_END_COMPLETE, now - j->t_backend_end);
        bridge_stats_lat_add(jb->st, BRIDGE_LAT_PICKUP_POSTED, now - j->t_pickup);
        int idx = bridge_registry_index(jb->reg, j->model);
        if (idx >= 0 && (uint32_t)idx < BRIDGE_MAX_MODELS)
            jb->st->model_run[idx]++;
    }
    bridge_answers_post(jb->ans, j->cmd, j->handle, status);
}

static void refused(bridge_jobs_t *jb, bridge_job_t *j, int rc)
{
    BLOG_WARN("backend %s refused job 0x%08x (model %u): %s", jb->be->ops->name, j->handle, j->model->id,
              bridge_strerror(rc));
    bridge_jobs_answer(jb, j, IPC_STATUS_BACKEND_ERROR, true);
    job_put(jb, j);
}

/* The backend took j, or gave it back. */
static void mark_out(bridge_jobs_t *jb, const bridge_job_t *j, uint8_t out)
{
    jb->in_backend[j - jb->pool] = out;
}

/* A stale job came back: its region is gone or re-initialised. */
static void late(bridge_jobs_t *jb, bridge_job_t *j)
{
    jb->late_dropped++;
    jb->st->dropped_reinit++;
    BLOG_WARN("job 0x%08x of an ended attach (generation %u, now %u) came back from backend %s: dropped without "
              "output copy or answer (%llu so far)",
              j->handle, j->attach_gen, jb->at->gen, jb->be->ops->name, (unsigned long long)jb->late_dropped);
    bridge_attach_job_back(jb->at, j->attach_gen);
    job_put(jb, j);
}

void bridge_jobs_submit(bridge_jobs_t *jb, bridge_job_t *j)
{
    j->attach_gen = jb->at->gen;
    j->live_gen = &jb->at->gen;
    int rc = jb->held_n > 0 ? BRIDGE_E_BUSY : jb->be->ops->submit(jb->be, j);
    if (rc == BRIDGE_OK)
        mark_out(jb, j, 1);
    if (rc == BRIDGE_E_BUSY) {
        jb->st->backend_busy++;
        jb->held[(jb->held_head + jb->held_n) % jb->n_jobs] = j;
        jb->held_n++;
    } else if (rc != BRIDGE_OK) {
        refused(jb, j, rc);
    }
}

void bridge_jobs_resubmit(bridge_jobs_t *jb, bool give_up)
{
    while (jb->held_n > 0) {
        bridge_job_t *j = jb->held[jb->held_head];
        int rc = give_up ? BRIDGE_E_TIMEOUT : jb->be->ops->submit(jb->be, j);
        if (rc == BRIDGE_E_BUSY) {
            jb->st->backend_busy++;
            return;
        }
        jb->held_head = (jb->held_head + 1u) % jb->n_jobs;
        jb->held_n--;
        if (rc == BRIDGE_OK) {
            mark_out(jb, j, 1);
            jb->progress = true;
        } else
            refused(jb, j, rc);
    }
}

uint32_t bridge_jobs_collect(bridge_jobs_t *jb, int timeout_ms)
{
    bridge_job_t *done[COLLECT_MAX];
    uint32_t total = 0;
    int n;
    if (jb->be->ops->in_flight(jb->be) <= 0)
        return 0; /* nothing can come back */
    do {
        n = jb->be->ops->poll(jb->be, done, COLLECT_MAX, total ? 0 : timeout_ms);
        for (int i = 0; i < n; i++) {
            mark_out(jb, done[i], 0);
            if (done[i]->attach_gen != jb->at->gen) {
                late(jb, done[i]);
                continue;
            }
            bridge_jobs_answer(jb, done[i], done[i]->status == IPC_STATUS_OK ? IPC_STATUS_OK : IPC_STATUS_BACKEND_ERROR,
                               true);
            job_put(jb, done[i]);
        }
        total += n > 0 ? (uint32_t)n : 0u;
    } while (n == COLLECT_MAX);
    if (total > 0)
        jb->progress = true;
    return total;
}

void bridge_jobs_drop(bridge_jobs_t *jb)
{
    /* From here on every job out is stale: the backend no longer copies
     * into the region. Wait for it anyway, so that the mapping can go. */
    jb->at->gen++;
    uint64_t until = zl_now_ns() + 5000000000ull;
    while (jb->be->ops->in_flight(jb->be) > 0 && zl_now_ns() < until) {
        bridge_job_t *done[COLLECT_MAX];
        int n = jb->be->ops->poll(jb->be, done, COLLECT_MAX, 10);
        for (int i = 0; i < n; i++) {
            mark_out(jb, done[i], 0);
            bridge_attach_job_back(jb->at, done[i]->attach_gen);
            job_put(jb, done[i]);
        }
        jb->st->dropped_reinit += n > 0 ? (uint64_t)n : 0u;
    }
    jb->at->jobs_left = 0;
    for (uint32_t i = 0; i < jb->n_jobs; i++)
        jb->at->jobs_left += jb->in_backend[i];
    if (jb->at->jobs_left)
        BLOG_ERR("backend %s still holds %u job(s) after 5 s: they are dropped when they come back", jb->be->ops->name,
                 jb->at->jobs_left);
    for (; jb->held_n > 0; jb->held_n--) {
        job_put(jb, jb->held[jb->held_head]);
        jb->held_head = (jb->held_head + 1u) % jb->n_jobs;
        jb->st->dropped_reinit++;
    }
    jb->held_head = 0;
    jb->progress = false;
}

bool bridge_jobs_busy(const bridge_jobs_t *jb)
{
    return jb->held_n > 0 || jb->be->ops->in_flight(jb->be) > 0;
}

bool bridge_jobs_progress(bridge_jobs_t *jb)
{
    bool p = jb->progress;
    jb->progress = false;
    return p;
}
