/* serve.c - serving the submission rings (serve.h). */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include "arbitrate.h"
#include "bridge_errors.h"
#include "log.h"
#include "validate.h"
#include "zenedge/ipc_cache.h"
#include "zl.h"

#define STALL_GIVEUP_NS 10000000000ull   /* backend kept every job this long: stop waiting for it */
#define COLLECT_MAX     32

/* ------------------------------------------------------------------ */
/* Jobs                                                                */
/* ------------------------------------------------------------------ */

int bridge_serve_init(bridge_serve_t *s, const bridge_config_t *cfg, const bridge_registry_t *reg,
                      bridge_backend_t *be, bridge_stats_t *st, bridge_answers_t *ans, bridge_attach_t *at)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->reg = reg;
    s->be = be;
    s->st = st;
    s->ans = ans;
    s->at = at;
    s->last_packet_ns = zl_now_ns();
    /* As many jobs as the backend may hold: a job that has an entry is
     * never refused BUSY by a backend that keeps to its queue depth. */
    s->n_jobs = cfg->queue_depth ? cfg->queue_depth : 1u;
    s->jobs = calloc(s->n_jobs, sizeof(*s->jobs));
    s->free_jobs = calloc(s->n_jobs, sizeof(*s->free_jobs));
    s->held = calloc(s->n_jobs, sizeof(*s->held));
    if (s->jobs == NULL || s->free_jobs == NULL || s->held == NULL)
        return BRIDGE_E_NOMEM;
    for (uint32_t i = 0; i < s->n_jobs; i++)
        s->free_jobs[s->n_free++] = &s->jobs[i];
    return BRIDGE_OK;
}

void bridge_serve_fini(bridge_serve_t *s)
{
    free(s->jobs);
    free(s->free_jobs);
    free(s->held);
    s->jobs = NULL;
    s->free_jobs = s->held = NULL;
}

static void job_put(bridge_serve_t *s, bridge_job_t *j)
{
    s->free_jobs[s->n_free++] = j;
}

/* The one answer of a job: the answer line of its descriptor, then
 * JOB_DONE. The plain stores to line 2 are published by R1 of the
 * completion ring. j may be a pool entry or a refused packet's copy. */
static void job_answer(bridge_serve_t *s, const bridge_job_t *j, uint32_t status, bool write_desc)
{
    uint64_t now = zl_now_ns();
    if (write_desc && s->at->attached) {
        ipc_job_desc_t *dd = &s->at->v.jobs[j->slot];
        dd->t_pickup = j->t_pickup;
        dd->t_backend_start = j->t_backend_start;
        dd->t_backend_end = j->t_backend_end;
        dd->t_complete = now;
        dd->backend_ns = j->backend_ns;
        dd->bridge_epoch = s->at->epoch;
        dd->result = status == IPC_STATUS_OK ? j->result : 0u;
        ipc_cache_clean(&dd->t_pickup, IPC_CACHELINE);
    }
    if (status == IPC_STATUS_OK) {
        bridge_stats_lat_add(s->st, BRIDGE_LAT_PICKUP_START, j->t_backend_start - j->t_pickup);
        bridge_stats_lat_add(s->st, BRIDGE_LAT_BACKEND, j->t_backend_end - j->t_backend_start);
        bridge_stats_lat_add(s->st, BRIDGE_LAT_END_COMPLETE, now - j->t_backend_end);
        bridge_stats_lat_add(s->st, BRIDGE_LAT_PICKUP_POSTED, now - j->t_pickup);
        int idx = bridge_registry_index(s->reg, j->model);
        if (idx >= 0 && (uint32_t)idx < BRIDGE_MAX_MODELS)
            s->st->model_run[idx]++;
    }
    bridge_answers_post(s->ans, j->cmd, j->handle, status);
}

uint32_t bridge_serve_collect(bridge_serve_t *s, int timeout_ms)
{
    bridge_job_t *done[COLLECT_MAX];
    uint32_t total = 0;
    int n;
    if (s->be->ops->in_flight(s->be) <= 0)
        return 0;   /* nothing can come back */
    do {
        n = s->be->ops->poll(s->be, done, COLLECT_MAX, total ? 0 : timeout_ms);
        for (int i = 0; i < n; i++) {
            job_answer(s, done[i], done[i]->status == IPC_STATUS_OK ? IPC_STATUS_OK : IPC_STATUS_BACKEND_ERROR,
                       true);
            job_put(s, done[i]);
        }
        total += n > 0 ? (uint32_t)n : 0u;
    } while (n == COLLECT_MAX);
    if (total > 0)
        s->progress = true;
    return total;
}

void bridge_serve_drop_jobs(bridge_serve_t *s)
{
    /* An asynchronous backend may still write outputs into the region:
     * wait for it before the mapping can go away. Results are discarded. */
    uint64_t until = zl_now_ns() + 5000000000ull;
    while (s->be->ops->in_flight(s->be) > 0 && zl_now_ns() < until) {
        bridge_job_t *done[COLLECT_MAX];
        int n = s->be->ops->poll(s->be, done, COLLECT_MAX, 10);
        for (int i = 0; i < n; i++)
            job_put(s, done[i]);
        s->st->dropped_reinit += n > 0 ? (uint64_t)n : 0u;
    }
    for (; s->held_n > 0; s->held_n--) {
        job_put(s, s->held[s->held_head]);
        s->held_head = (s->held_head + 1u) % s->n_jobs;
        s->st->dropped_reinit++;
    }
    s->held_head = s->unhandled = 0;
    s->stalled_since = 0;
    s->giving_up = s->progress = false;
}

bool bridge_serve_busy(const bridge_serve_t *s)
{
    return s->held_n > 0 || s->be->ops->in_flight(s->be) > 0;
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
/* Submitting                                                          */
/* ------------------------------------------------------------------ */

static void hold(bridge_serve_t *s, bridge_job_t *j)
{
    s->held[(s->held_head + s->held_n) % s->n_jobs] = j;
    s->held_n++;
}

/* Hand a job to the backend; BUSY keeps it (in order) for the next pass. */
static void submit(bridge_serve_t *s, bridge_job_t *j)
{
    int rc = s->held_n > 0 ? BRIDGE_E_BUSY : s->be->ops->submit(s->be, j);
    if (rc == BRIDGE_E_BUSY) {
        s->st->backend_busy++;
        hold(s, j);
        return;
    }
    if (rc != BRIDGE_OK) {
        BLOG_WARN("backend %s refused job 0x%08x (model %u): %s", s->be->ops->name, j->handle, j->model->id,
                  bridge_strerror(rc));
        job_answer(s, j, IPC_STATUS_BACKEND_ERROR, true);
        job_put(s, j);
    }
}

/* Jobs refused BUSY go first, in order; given up with the rest. */
static void submit_held(bridge_serve_t *s)
{
    while (s->held_n > 0) {
        bridge_job_t *j = s->held[s->held_head];
        int rc = s->giving_up ? BRIDGE_E_TIMEOUT : s->be->ops->submit(s->be, j);
        if (rc == BRIDGE_E_BUSY) {
            s->st->backend_busy++;
            return;
        }
        s->held_head = (s->held_head + 1u) % s->n_jobs;
        s->held_n--;
        if (rc == BRIDGE_OK)
            s->progress = true;
        if (rc != BRIDGE_OK) {
            BLOG_WARN("backend %s refused job 0x%08x (model %u): %s", s->be->ops->name, j->handle, j->model->id,
                      bridge_strerror(rc));
            job_answer(s, j, IPC_STATUS_BACKEND_ERROR, true);
            job_put(s, j);
        }
    }
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
    bridge_job_t tmp = {.handle = p->payload_id, .slot = IPC_HANDLE_SLOT(p->payload_id), .t_pickup = t_pick,
                        .cmd = CMD_JOB_DONE, .ring = ring};
    bridge_job_copy_in(v, tmp.slot, &desc);   /* the one read of the descriptor */
    enum ipc_status st = bridge_validate_job(v, s->reg, ring, p, &desc, &m);
    tmp.qos = desc.qos;
    tmp.model = m;
    if (st != IPC_STATUS_OK)
        BLOG_DEBUG("job 0x%08x (model %u, qos %u, ring %u) refused: %s", p->payload_id, desc.model_id, desc.qos,
                   ring, ipc_status_name(st));
    else if (s->stopping)
        st = IPC_STATUS_SHUTDOWN;
    else if (desc.cancel != 0u)
        st = IPC_STATUS_CANCELLED;
    else if (desc.timeout_us != 0u && zl_now_ns() - t_pick > (uint64_t)desc.timeout_us * 1000u)
        st = IPC_STATUS_EXPIRED;
    else if (s->n_free == 0) {   /* only while giving up on a backend that keeps every job */
        BLOG_ERR("backend %s holds all %u jobs: job 0x%08x answered BACKEND_ERROR", s->be->ops->name, s->n_jobs,
                 p->payload_id);
        st = IPC_STATUS_BACKEND_ERROR;
    }
    if (st != IPC_STATUS_OK) {
        /* STALE: the slot belongs to another use; do not touch it. */
        job_answer(s, &tmp, st, st != IPC_STATUS_STALE);
        return;
    }
    bridge_job_t *j = s->free_jobs[--s->n_free];
    *j = tmp;
    for (uint32_t i = 0; i < m->n_in; i++) {
        j->in[i] = v->base + desc.in[i].off;
        j->in_len[i] = desc.in[i].len;
    }
    for (uint32_t i = 0; i < m->n_out; i++) {
        j->out[i] = v->base + desc.out[i].off;
        j->out_len[i] = desc.out[i].len;
    }
    submit(s, j);
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
    uint32_t jobs = s->n_free > s->unhandled ? s->n_free - s->unhandled : 0u;
    return room < jobs ? room : jobs;
}

static uint32_t ready(bridge_serve_t *s, uint32_t r)
{
    int n = ipc_ring_ready_count(&s->at->sq[r]);
    return n > 0 ? (uint32_t)n : 0u;
}

/* Whether ring 0 has work, checked before every packet of the other
 * rings: the head seen last answers without a load when it shows some. */
static uint32_t rt_waiting(bridge_serve_t *s)
{
    ipc_ring_cons_t *c = &s->at->sq[0];
    return c->head_seen != c->tail ? c->head_seen - c->tail : ready(s, 0);
}

/* Take up to max packets of ring r; their answers are reserved at once. */
static uint32_t take(bridge_serve_t *s, uint32_t r, ipc_packet_t *buf, uint32_t max)
{
    if (max == 0)
        return 0;
    int n = ipc_ring_dequeue_burst(&s->at->sq[r], buf, max);
    if (n <= 0)
        return 0;
    bridge_answers_reserve(s->ans, (uint32_t)n);
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
    c->draining = true;   /* a round starts with a drain of ring 0 */
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
    bool waiting = s->held_n > 0;
    for (uint32_t r = 0; !waiting && s->n_free == 0 && r < s->at->v.n_sq; r++)
        waiting = ready(s, r) > 0;
    uint64_t now = zl_now_ns();
    if (!waiting || s->progress) {
        s->stalled_since = waiting ? now : 0;
        s->giving_up = false;
    } else if (s->stalled_since == 0) {
        s->stalled_since = now;
    }
    s->progress = false;
    if (waiting && !s->giving_up && now - s->stalled_since > STALL_GIVEUP_NS) {
        BLOG_ERR("backend %s kept all %u jobs for %llu s: answering BACKEND_ERROR until it gives one back",
                 s->be->ops->name, s->n_jobs, STALL_GIVEUP_NS / 1000000000ull);
        s->giving_up = true;
    }
}

uint32_t bridge_serve_pass(bridge_serve_t *s)
{
    /* With every job in the backend there is nothing else to do: wait a
     * little for one to come back instead of spinning. */
    int wait_ms = s->n_free == 0 && s->be->ops->in_flight(s->be) > 0 ? 10 : 0;
    uint32_t work = 0, packets = 0, ring;
    const ipc_packet_t *p;
    uint64_t t;
    note_stall(s);
    round_begin(&s->round);
    for (;;) {
        /* The one place finished jobs come back: before each packet (so
         * an answer goes out as soon as its job is done) and after the
         * last; never while a packet is being served. */
        work += bridge_serve_collect(s, wait_ms);
        wait_ms = 0;
        submit_held(s);
        if (!round_next(s, &ring, &p, &t))
            break;
        handle(s, ring, p, t);
        packets++;
    }
    if (packets)
        s->st->rounds++;
    return work + packets;
}
