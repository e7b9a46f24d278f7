/* SPDX-License-Identifier: BSD-3-Clause */
/* serve.c - serving the submission rings (serve.h). */
#include "serve.h"

#include <string.h>

#include "arbitrate.h"
#include "bridge_errors.h"
#include "log.h"
#include "validate.h"
#include "zl.h"

#define STALL_GIVEUP_NS 10000000000ull /* backend kept every job this long: stop waiting for it */

/* ------------------------------------------------------------------ */
/* The part                                                            */
/* ------------------------------------------------------------------ */

int bridge_serve_init(bridge_serve_t *s, const bridge_config_t *cfg, const bridge_registry_t *reg, bridge_backend_t *be,
                      bridge_stats_t *st, bridge_answers_t *ans, bridge_attach_t *at)
{
    memset(s, 0, sizeof(*s));
    s->reg = reg;
    s->be = be;
    s->st = st;
    s->ans = ans;
    s->at = at;
    s->last_packet_ns = zl_now_ns();
    return bridge_jobs_init(&s->jobs, cfg->queue_depth, be, reg, st, ans, at);
}

void bridge_serve_fini(bridge_serve_t *s)
{
    bridge_jobs_fini(&s->jobs);
}

uint32_t bridge_serve_collect(bridge_serve_t *s, int timeout_ms)
{
    return bridge_jobs_collect(&s->jobs, timeout_ms);
}

void bridge_serve_drop_jobs(bridge_serve_t *s)
{
    bridge_jobs_drop(&s->jobs);
    s->unhandled = 0;
    s->stalled_since = 0;
    s->giving_up = false;
}

bool bridge_serve_busy(const bridge_serve_t *s)
{
    return bridge_jobs_busy(&s->jobs);
}

uint64_t bridge_serve_stalled_since(const bridge_serve_t *s)
{
    return s->stalled_since;
}

void bridge_serve_stop(bridge_serve_t *s)
{
    s->stopping = true;
}

/* ------------------------------------------------------------------ */
/* One packet                                                          */
/* ------------------------------------------------------------------ */

static void count_rx(bridge_serve_t *s, const ipc_packet_t *p)
{
    if (p->cmd == CMD_PING)
        s->st->rx_ping++;
    else if (p->cmd == CMD_RUN_MODEL)
        s->st->rx_run_model++;
    else
        s->st->rx_other++;
}

/* A RUN_MODEL packet that passed the packet checks: refused (before it
 * takes a job-pool entry) or run through one job. */
static void handle_job(bridge_serve_t *s, uint32_t ring, const ipc_packet_t *p, uint64_t t_pick)
{
    const ipc_region_t *v = &s->at->v;
    ipc_job_desc_t desc;
    const bridge_model_t *m = NULL;
    bridge_job_t tmp = {.handle = p->payload_id,
                        .slot = IPC_HANDLE_SLOT(p->payload_id),
                        .t_pickup = t_pick,
                        .cmd = CMD_JOB_DONE,
                        .ring = ring};
    bridge_job_copy_in(v, tmp.slot, &desc); /* the one read of the descriptor */
    enum ipc_status st = bridge_validate_job(v, s->reg, ring, p, &desc, &m);
    tmp.qos = desc.qos;
    tmp.model = m;
    if (st != IPC_STATUS_OK)
        BLOG_DEBUG("job 0x%08x (model %u, qos %u, ring %u) refused: %s", p->payload_id, desc.model_id, desc.qos, ring,
                   ipc_status_name(st));
    else if (s->stopping)
        st = IPC_STATUS_SHUTDOWN;
    else if (desc.cancel != 0u)
        st = IPC_STATUS_CANCELLED;
    else if (desc.timeout_us != 0u && zl_now_ns() - t_pick > (uint64_t)desc.timeout_us * 1000u)
        st = IPC_STATUS_EXPIRED;
    bridge_job_t *j = st == IPC_STATUS_OK ? bridge_jobs_get(&s->jobs) : NULL;
    if (st == IPC_STATUS_OK && j == NULL) { /* only while giving up on a backend that keeps every job */
        BLOG_ERR("backend %s holds all %u jobs: job 0x%08x answered BACKEND_ERROR", s->be->ops->name, s->jobs.n_jobs,
                 p->payload_id);
        st = IPC_STATUS_BACKEND_ERROR;
    }
    if (st != IPC_STATUS_OK) {
        /* Answered from the copy, before any job-pool entry is taken.
         * STALE: the slot belongs to another use; do not touch it. */
        bridge_jobs_answer(&s->jobs, &tmp, st, st != IPC_STATUS_STALE);
        return;
    }
    *j = tmp;
    for (uint32_t i = 0; i < m->n_in; i++) {
        j->in[i] = v->base + desc.in[i].off;
        j->in_len[i] = desc.in[i].len;
    }
    for (uint32_t i = 0; i < m->n_out; i++) {
        j->out[i] = v->base + desc.out[i].off;
        j->out_len[i] = desc.out[i].len;
    }
    bridge_jobs_submit(&s->jobs, j);
}

/* One packet taken from ring `ring` at t_pick (the dequeue time). */
static void handle(bridge_serve_t *s, uint32_t ring, const ipc_packet_t *p, uint64_t t_pick)
{
    s->unhandled--;
    count_rx(s, p);
    enum ipc_status st = bridge_validate_packet(&s->at->v, ring, p);
    if (st != IPC_STATUS_OK) {
        BLOG_DEBUG("ring %u: packet cmd=0x%04x flags=0x%04x payload_id=0x%08x refused: %s", ring, p->cmd, p->flags,
                   p->payload_id, ipc_status_name(st));
        if (bridge_status_attributable(st))
            bridge_answers_post(s->ans, bridge_answer_cmd(p->cmd), p->payload_id, st);
        else
            bridge_answers_post_error(s->ans, p, st);
        return;
    }
    if ((s->at->v.features & IPC_FEAT_SHARED_CLOCK) && p->timestamp != 0 && t_pick >= p->timestamp)
        bridge_stats_lat_add(s->st, BRIDGE_LAT_SUBMIT_PICKUP, t_pick - p->timestamp);
    if (p->cmd == CMD_PING) {
        bridge_answers_post(s->ans, CMD_PONG, p->payload_id, s->stopping ? IPC_STATUS_SHUTDOWN : IPC_STATUS_OK);
        return;
    }
    handle_job(s, ring, p, t_pick);
}

/* ------------------------------------------------------------------ */
/* Arbitration applied                                                 */
/* ------------------------------------------------------------------ */

/* Packets that may be taken now: each needs a place for its answer and,
 * unless giving up on the backend, a job-pool entry. */
static uint32_t budget(const bridge_serve_t *s)
{
    uint32_t room = bridge_answers_room(s->ans);
    if (s->giving_up)
        return room;
    uint32_t free = s->jobs.n_free;
    uint32_t jobs = free > s->unhandled ? free - s->unhandled : 0u;
    return room < jobs ? room : jobs;
}

/* A corrupt ring counts as empty: logged once and left alone for a
 * while (attach.c), never counted millions of times a second. */
static uint32_t ready(bridge_serve_t *s, uint32_t r)
{
    return bridge_attach_sq_ready(s->at, r);
}

/* Whether ring 0 has work, checked before every packet of the other
 * rings: the head seen last answers without a load when it shows some. */
static uint32_t rt_waiting(bridge_serve_t *s)
{
    ipc_ring_cons_t *c = &s->at->sq[0];
    return c->head_seen != c->tail ? c->head_seen - c->tail : ready(s, 0);
}

/* Take up to max packets of ring r; their answers are promised at once. */
static uint32_t take(bridge_serve_t *s, uint32_t r, ipc_packet_t *buf, uint32_t max)
{
    if (max == 0)
        return 0;
    int n = ipc_ring_dequeue_burst(&s->at->sq[r], buf, max);
    if (n == IPC_E_RING_CORRUPT)
        bridge_attach_sq_corrupt(s->at, r);
    if (n <= 0)
        return 0;
    bridge_answers_promise(s->ans, (uint32_t)n);
    s->unhandled += (uint32_t)n;
    s->st->rx_ring[r] += (uint32_t)n;
    uint32_t fill = (uint32_t)n + (s->at->sq[r].head_seen - s->at->sq[r].tail);
    if (fill > s->st->fill_max[r])
        s->st->fill_max[r] = fill;
    s->last_packet_ns = zl_now_ns();
    return (uint32_t)n;
}

static void round_begin(bridge_round_t *c)
{
    c->rt_n = c->rt_i = c->rt_b = c->n = c->i = 0;
    c->draining = true; /* a round starts with a drain of ring 0 */
    c->checked = c->planned = false;
}

/* The RT ring's next batch of the current drain; false when it gave none. */
static bool rt_batch(bridge_serve_t *s)
{
    bridge_round_t *c = &s->round;
    uint32_t want = bridge_arb_rt_batch(&s->at->arb, c->rt_b++, ready(s, 0), budget(s));
    c->rt_n = take(s, 0, c->rt, want);
    c->rt_i = 0;
    c->rt_t = s->last_packet_ns;
    if (c->rt_n == 0)
        c->draining = false;
    return c->rt_n > 0;
}

/* Rings 1..: this round's share, taken at once by the plan of arbitrate.c. */
static void plan_round(bridge_serve_t *s)
{
    bridge_round_t *c = &s->round;
    uint32_t rdy[IPC_MAX_SQ] = {0}, plan[IPC_MAX_SQ];
    for (uint32_t r = 1; r < s->at->v.n_sq; r++)
        rdy[r] = ready(s, r);
    bridge_arb_round(&s->at->arb, rdy, budget(s), plan);
    c->n = c->i = 0;
    for (uint32_t r = 1; r < s->at->v.n_sq; r++) {
        uint32_t k = take(s, r, c->buf + c->n, plan[r]);
        c->when[r] = s->last_packet_ns;
        for (uint32_t i = 0; i < k; i++)
            c->from[c->n + i] = (uint8_t)r;
        c->n += k;
    }
    c->planned = true;
}

/* The next packet of the round, in arbitration order: RT drained first;
 * then rings 1.. by weight, RT drained again before each of their packets
 * but the first (strict priority). False when the round is over. */
static bool round_next(bridge_serve_t *s, uint32_t *ring, const ipc_packet_t **p, uint64_t *t)
{
    bridge_round_t *c = &s->round;
    bool rt = c->rt_i < c->rt_n || (c->draining && rt_batch(s));
    if (!rt) {
        if (!c->planned)
            plan_round(s);
        if (c->i >= c->n)
            return false;
        if (!c->checked && bridge_arb_rt_preempts(c->i, rt_waiting(s))) {
            c->checked = c->draining = true;
            c->rt_b = 0;
            rt = rt_batch(s);
        }
    }
    if (rt) {
        *ring = 0;
        *p = &c->rt[c->rt_i++];
        *t = c->rt_t;
        return true;
    }
    c->checked = false;
    *ring = c->from[c->i];
    *p = &c->buf[c->i++];
    *t = c->when[*ring];
    return true;
}

/* Work waits while the backend keeps every job: note since when it last
 * gave one back or took one, and give up on it (BACKEND_ERROR without a
 * job) after STALL_GIVEUP_NS without such progress. */
static void note_stall(bridge_serve_t *s)
{
    bool waiting = s->jobs.held_n > 0;
    for (uint32_t r = 0; !waiting && s->jobs.n_free == 0 && r < s->at->v.n_sq; r++)
        waiting = ready(s, r) > 0;
    uint64_t now = zl_now_ns();
    if (bridge_jobs_progress(&s->jobs) || !waiting) {
        s->stalled_since = waiting ? now : 0;
        s->giving_up = false;
    } else if (s->stalled_since == 0) {
        s->stalled_since = now;
    }
    if (waiting && !s->giving_up && now - s->stalled_since > STALL_GIVEUP_NS) {
        BLOG_ERR("backend %s kept all %u jobs for %llu s: answering BACKEND_ERROR until it gives one back",
                 s->be->ops->name, s->jobs.n_jobs, STALL_GIVEUP_NS / 1000000000ull);
        s->giving_up = true;
    }
}

uint32_t bridge_serve_pass(bridge_serve_t *s)
{
    /* With every job in the backend there is nothing else to do: wait a
     * little for one to come back instead of spinning. */
    int wait_ms = s->jobs.n_free == 0 && s->be->ops->in_flight(s->be) > 0 ? 10 : 0;
    uint32_t work = 0, packets = 0, ring;
    const ipc_packet_t *p;
    uint64_t t;
    note_stall(s);
    round_begin(&s->round);
    for (;;) {
        /* The one place finished jobs come back: before each packet (so
         * an answer goes out as soon as its job is done) and after the
         * last; never while a packet is being served. */
        work += bridge_jobs_collect(&s->jobs, wait_ms);
        wait_ms = 0;
        bridge_jobs_resubmit(&s->jobs, s->giving_up);
        if (!round_next(s, &ring, &p, &t))
            break;
        handle(s, ring, p, t);
        packets++;
    }
    if (packets)
        s->st->rounds++;
    return work + packets;
}
