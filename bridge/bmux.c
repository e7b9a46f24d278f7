/* SPDX-License-Identifier: BSD-3-Clause */
/* bmux.c - one backend shared by the regions of one daemon (bmux.h). */
#include "bmux.h"

#include <string.h>

#include "bridge_errors.h"
#include "log.h"
#include "zl.h"

#define REAP_MAX 32

static bridge_bmux_slot_t *slot_of(const bridge_backend_t *be)
{
    return be->priv;
}

/* Whether the real backend takes a job of class c now. */
static bool class_room(const bridge_bmux_t *mx, uint32_t c)
{
    uint32_t keep = c == IPC_QOS_RT || mx->depth < 2 ? 0u : 1u; /* a place for a higher class */
    if (mx->in_real + keep >= mx->depth)
        return false;
    return c == IPC_QOS_RT || mx->in_real_class[c] < BRIDGE_BMUX_CLASS_INFLIGHT;
}

/* A job goes back to its region: it is there for the region's poll. */
static void back(bridge_bmux_t *mx, bridge_job_t *j)
{
    uint32_t i = j->region < mx->n ? j->region : 0u;
    bridge_jobq_push(&mx->done[i], j);
}

/* A job that never reached the device: back with BACKEND_ERROR. */
static void never_ran(bridge_bmux_t *mx, bridge_job_t *j)
{
    bridge_job_fail_start(j);
    back(mx, j);
}

/* Hand the arbiter's picks to the real backend while it has room. */
static void feed(bridge_bmux_t *mx)
{
    for (;;) {
        uint32_t ready[BRIDGE_XARB_MAX][IPC_QOS_COUNT], ok = 0, i, c;
        bool any = false;
        for (c = 0; c < IPC_QOS_COUNT; c++)
            ok |= class_room(mx, c) ? 1u << c : 0u;
        for (i = 0; i < mx->n; i++)
            for (c = 0; c < IPC_QOS_COUNT; c++)
                any |= (ready[i][c] = mx->wait[i][c].n) > 0;
        if (!any)
            return;
        if (!bridge_xarb_pick(&mx->arb, (const uint32_t(*)[IPC_QOS_COUNT])ready, ok, zl_now_ns(), &i, &c)) {
            mx->wait_backend += ok != 0xfu;
            return;
        }
        bridge_job_t *j = bridge_jobq_pop(&mx->wait[i][c]);
        if (bridge_job_stale(j)) { /* its region detached meanwhile: not run */
            bridge_xarb_done(&mx->arb, i, c, 0);
            never_ran(mx, j);
            continue;
        }
        int rc = mx->real->ops->submit(mx->real, j);
        if (rc != BRIDGE_OK) {
            mx->submit_failed++;
            BLOG_WARN("backend %s refused job 0x%08x of region %u: %s", mx->real->ops->name, j->handle, i,
                      bridge_strerror(rc));
            bridge_xarb_done(&mx->arb, i, c, 0);
            never_ran(mx, j);
            continue;
        }
        mx->in_real++;
        mx->in_real_class[c]++;
    }
}

uint32_t bridge_bmux_pump(bridge_bmux_t *mx, int timeout_ms)
{
    bridge_job_t *done[REAP_MAX];
    uint32_t total = 0;
    int n;
    do {
        n = mx->in_real > 0 ? mx->real->ops->poll(mx->real, done, REAP_MAX, total ? 0 : timeout_ms) : 0;
        for (int k = 0; k < n; k++) {
            bridge_job_t *j = done[k];
            uint32_t c = j->qos < IPC_QOS_COUNT ? j->qos : IPC_QOS_BACKGROUND;
            mx->in_real--;
            mx->in_real_class[c]--;
            bridge_xarb_done(&mx->arb, j->region, c, j->status == IPC_STATUS_OK ? j->backend_ns : 0u);
            back(mx, j);
        }
        total += n > 0 ? (uint32_t)n : 0u;
    } while (n == REAP_MAX);
    feed(mx);
    return total;
}

uint32_t bridge_bmux_waiting(const bridge_bmux_t *mx)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < mx->n; i++)
        for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
            n += mx->wait[i][c].n;
    return n;
}

/* ------------------------------------------------------------------ */
/* A region's view                                                     */
/* ------------------------------------------------------------------ */

static int v_probe(bridge_device_info_t *devs, int max, char *why, size_t whylen)
{
    (void)devs;
    (void)max;
    bridge_why(why, whylen, "a region's view of the shared backend has no devices of its own");
    return BRIDGE_E_NO_DEVICE;
}

static int v_init(bridge_backend_t *be, const bridge_backend_config_t *cfg)
{
    (void)be;
    (void)cfg;
    return BRIDGE_E_INVAL; /* the real backend is initialised once, by main */
}

static int v_load_model(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen)
{
    bridge_bmux_t *mx = slot_of(be)->mx;
    return mx->real->ops->load_model(mx->real, m, why, whylen);
}

static int v_submit(bridge_backend_t *be, bridge_job_t *job)
{
    bridge_bmux_slot_t *s = slot_of(be);
    bridge_bmux_t *mx = s->mx;
    if (job == NULL || job->model == NULL)
        return BRIDGE_E_INVAL;
    uint32_t c = bridge_xarb_class(&mx->arb, s->idx, job->qos, true);
    if (mx->wait[s->idx][c].n >= mx->wait[s->idx][c].cap)
        return BRIDGE_E_BUSY;
    job->region = (uint16_t)s->idx;
    job->qos = c;
    bridge_jobq_push(&mx->wait[s->idx][c], job);
    mx->taken[s->idx]++;
    feed(mx);
    return BRIDGE_OK;
}

/* The region's jobs that are back; stale ones still waiting go back
 * first, unrun. Waits (on the real backend, at most 1 ms, which may bring
 * other regions' jobs) only when asked to and none is back. */
static int v_poll(bridge_backend_t *be, bridge_job_t **out, int max, int timeout_ms)
{
    bridge_bmux_slot_t *s = slot_of(be);
    bridge_bmux_t *mx = s->mx;
    if (out == NULL || max < 0)
        return BRIDGE_E_INVAL;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        bridge_jobq_t *q = &mx->wait[s->idx][c];
        for (uint32_t k = q->n; k > 0 && bridge_job_stale(q->v[q->head]); k--)
            never_ran(mx, bridge_jobq_pop(q));
    }
    bridge_bmux_pump(mx, 0);
    if (mx->done[s->idx].n == 0 && timeout_ms > 0)
        bridge_bmux_pump(mx, 1);
    int n = 0;
    while (n < max && mx->done[s->idx].n > 0)
        out[n++] = bridge_jobq_pop(&mx->done[s->idx]);
    mx->taken[s->idx] -= (uint32_t)n;
    return n;
}

static int v_in_flight(const bridge_backend_t *be)
{
    const bridge_bmux_slot_t *s = slot_of(be);
    return (int)s->mx->taken[s->idx];
}

static int v_finished(const bridge_backend_t *be)
{
    const bridge_bmux_slot_t *s = slot_of(be);
    const bridge_bmux_t *mx = s->mx;
    int real = mx->real->ops->finished ? mx->real->ops->finished(mx->real) : 0;
    return (int)mx->done[s->idx].n + real;
}

static void v_shutdown(bridge_backend_t *be)
{
    (void)be; /* the real backend is shut down once, by main */
}

int bridge_bmux_init(bridge_bmux_t *mx, bridge_backend_t *real, uint32_t depth, uint32_t n, uint32_t per_region)
{
    memset(mx, 0, sizeof(*mx));
    if (n == 0 || n > BRIDGE_XARB_MAX || real == NULL)
        return BRIDGE_E_INVAL;
    mx->real = real;
    mx->depth = depth ? depth : BRIDGE_QUEUE_DEPTH_DEFAULT;
    mx->n = n;
    bridge_xarb_init(&mx->arb, n);
    mx->ops = (bridge_backend_ops_t){.name = real->ops->name,
                                     .probe = v_probe,
                                     .init = v_init,
                                     .load_model = v_load_model,
                                     .submit = v_submit,
                                     .poll = v_poll,
                                     .in_flight = v_in_flight,
                                     .shutdown = v_shutdown,
                                     .finished = v_finished};
    uint32_t cap = per_region ? per_region : 1u;
    for (uint32_t i = 0; i < n; i++) {
        mx->slot[i] = (bridge_bmux_slot_t){.mx = mx, .idx = i};
        mx->view[i] = (bridge_backend_t){.ops = &mx->ops, .priv = &mx->slot[i]};
        if (bridge_jobq_init(&mx->done[i], cap) != BRIDGE_OK)
            return BRIDGE_E_NOMEM;
        for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
            if (bridge_jobq_init(&mx->wait[i][c], cap) != BRIDGE_OK)
                return BRIDGE_E_NOMEM;
    }
    return BRIDGE_OK;
}

bridge_backend_t *bridge_bmux_view(bridge_bmux_t *mx, uint32_t i)
{
    return &mx->view[i < mx->n ? i : 0u];
}

void bridge_bmux_fini(bridge_bmux_t *mx)
{
    for (uint32_t i = 0; i < BRIDGE_XARB_MAX; i++) {
        bridge_jobq_free(&mx->done[i]);
        for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
            bridge_jobq_free(&mx->wait[i][c]);
    }
}
