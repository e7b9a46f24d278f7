/*
 * dispatch.c - the serving loop of zenedge-bridged (overview in dispatch.h).
 *
 * Answer accounting: every packet taken from a submission ring produces
 * exactly one answer (JOB_DONE, PONG or ERROR). A packet is only taken
 * while `pend_n + reserved < pend_cap`, where reserved counts packets taken
 * but not yet answered; so the private answer queue can never overflow and
 * a JOB_DONE or PONG is never dropped, whatever the ZENEDGE side does with
 * its completion ring. Only CMD_ERROR answers (submissions that name no
 * valid job slot) are dropped, and counted, when the ring is full.
 */
#include "dispatch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge_errors.h"
#include "ivshmem_server.h"
#include "log.h"
#include "stats.h"
#include "transport.h"
#include "validate.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"
#include "zl.h"

#define ROUND_MAX      256u   /* packets of rings 1.. taken in one round */
#define RT_BATCHES     8u     /* ring-0 batches per drain before other upkeep */
#define UPKEEP_NS      20000000ull   /* doorbell socket and timers: every 20 ms */
#define REPLACE_NS     500000000ull  /* re-created shm object check: every 0.5 s */
#define IDLE_WAIT_MS   50

typedef struct daemon {
    const bridge_config_t   *cfg;
    const bridge_registry_t *reg;
    bridge_backend_t        *be;
    bridge_signals_t        *sig;

    bridge_transport_t tr;
    ipc_region_t       v;
    bool               attached;
    bool               stopping;
    ipc_ring_cons_t    sq[IPC_MAX_SQ];
    ipc_ring_prod_t    cq;
    uint32_t           epoch;          /* our bridge epoch */
    uint32_t           zen_epoch;      /* zenedge epoch seen at attach */
    uint32_t           weight[IPC_MAX_SQ];
    int                notify_mode;

    /* doorbells */
    int  efd;                          /* ours: the ZENEDGE side rings it */
    int  lfd;                          /* listening socket */
    ivshm_server_t *ivs;               /* --ivshmem-socket: QEMU's ivshmem-doorbell
                                          (owns efd and peer_efd then) */
    int  ivs_shm_fd;                   /* the backing file handed to QEMU */
    int  conn;                         /* connected ZENEDGE side, or -1 */
    int  peer_efd;                     /* its eventfd, or -1 */
    char sock[BRIDGE_CFG_PATH];
    uint32_t posted;                   /* answers posted since the last doorbell */

    /* private answer queue (FIFO) */
    ipc_packet_t *pend;
    uint32_t      pend_cap, pend_head, pend_n, reserved;

    /* job pool handed to the backend */
    bridge_job_t  *jobs;
    bridge_job_t **free_jobs;
    uint32_t       n_free, n_jobs;

    bridge_stats_t st;
    uint32_t       dump_seq;

    /* heartbeat thread */
    pthread_t        hb_thread;
    bool             hb_started;
    pthread_mutex_t  hb_lock;
    ipc_side_t      *hb_side;          /* guarded by hb_lock; NULL when detached */
    _Atomic uint64_t alive_ns;         /* last sign of life of the dispatcher */
    atomic_int       hb_stop;

    /* timers */
    uint64_t start_ns, last_packet_ns, last_upkeep_ns, last_replace_ns, next_stats_ns;
    char     last_wait_msg[2048];
} daemon_t;

/* ------------------------------------------------------------------ */
/* Heartbeat                                                           */
/* ------------------------------------------------------------------ */

static void *hb_main(void *arg)
{
    daemon_t *d = arg;
    /* Signals are for the dispatch thread (its waits must see EINTR). */
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    const uint64_t period = (uint64_t)d->cfg->hb_period_us * 1000u;
    const uint64_t watchdog = (uint64_t)d->cfg->watchdog_ms * 1000000u;
    bool warned = false;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&d->hb_stop)) {
        uint64_t ns = (uint64_t)next.tv_nsec + period;
        next.tv_sec += (time_t)(ns / 1000000000u);
        next.tv_nsec = (long)(ns % 1000000000u);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        uint64_t now = zl_now_ns();
        if (now > (uint64_t)next.tv_sec * 1000000000u + (uint64_t)next.tv_nsec + 10u * period) {
            next.tv_sec = (time_t)(now / 1000000000u);   /* fell far behind: do not burst */
            next.tv_nsec = (long)(now % 1000000000u);
        }
        uint64_t alive = atomic_load(&d->alive_ns);
        pthread_mutex_lock(&d->hb_lock);
        ipc_side_t *me = d->hb_side;
        if (me != NULL) {
            if (now - alive < watchdog || alive > now) {
                /* Only this thread writes heartbeat; the peer reads it once. */
                ipc_write_once(&me->heartbeat, ipc_read_once(&me->heartbeat) + 1u);
                ipc_cache_clean(&me->heartbeat, 4);
                warned = false;
            } else if (!warned) {
                BLOG_ERR("dispatcher silent for %llu ms (watchdog %u ms): heartbeat stopped so the ZENEDGE "
                         "side declares this bridge lost",
                         (unsigned long long)((now - alive) / 1000000u), d->cfg->watchdog_ms);
                warned = true;
            }
        }
        pthread_mutex_unlock(&d->hb_lock);
    }
    return NULL;
}

static void hb_set_side(daemon_t *d, ipc_side_t *me)
{
    pthread_mutex_lock(&d->hb_lock);
    d->hb_side = me;
    pthread_mutex_unlock(&d->hb_lock);
}

static void alive(daemon_t *d)
{
    atomic_store_explicit(&d->alive_ns, zl_now_ns(), memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* Answers                                                             */
/* ------------------------------------------------------------------ */

static uint32_t pend_room(const daemon_t *d)
{
    return d->pend_cap - d->pend_n - d->reserved;
}

static void count_tx(daemon_t *d, const ipc_packet_t *a)
{
    if (a->cmd == CMD_PONG)
        d->st.tx_pong++;
    else if (a->cmd == CMD_JOB_DONE)
        d->st.tx_job_done++;
    else
        d->st.tx_error++;
}

/* Post one answer; keeps it in the private queue if the ring is full. */
static void post(daemon_t *d, const ipc_packet_t *a, bool droppable)
{
    if (d->reserved > 0)
        d->reserved--;
    d->st.status[a->flags < IPC_STATUS_COUNT ? a->flags : 0]++;
    if (d->pend_n == 0) {
        int r = ipc_ring_enqueue(&d->cq, a);
        if (r == IPC_OK) {
            count_tx(d, a);
            d->posted++;
            return;
        }
        if (r == IPC_E_RING_FULL)
            d->st.cq_full++;
        else
            d->st.ring_corrupt++;
    }
    if (droppable) {
        d->st.error_dropped++;
        return;
    }
    if (d->pend_n >= d->pend_cap) {   /* cannot happen: reserved at take() */
        BLOG_ERR("answer queue overflow (%u): answer for 0x%08x lost", d->pend_cap, a->payload_id);
        return;
    }
    d->pend[(d->pend_head + d->pend_n) % d->pend_cap] = *a;
    d->pend_n++;
    if (d->pend_n > d->st.pending_max)
        d->st.pending_max = d->pend_n;
}

static void flush_pending(daemon_t *d)
{
    while (d->pend_n > 0) {
        uint32_t first = d->pend_cap - d->pend_head;
        if (first > d->pend_n)
            first = d->pend_n;
        int r = ipc_ring_enqueue_burst(&d->cq, &d->pend[d->pend_head], first);
        if (r <= 0)
            return;
        for (int i = 0; i < r; i++)
            count_tx(d, &d->pend[d->pend_head + (uint32_t)i]);
        d->pend_head = (d->pend_head + (uint32_t)r) % d->pend_cap;
        d->pend_n -= (uint32_t)r;
        d->posted += (uint32_t)r;
        if ((uint32_t)r < first)
            return;
    }
}

static void answer(daemon_t *d, uint16_t cmd, uint32_t handle, uint32_t status)
{
    ipc_packet_t a = {.cmd = cmd, .flags = (uint16_t)status, .payload_id = handle, .timestamp = zl_now_ns()};
    post(d, &a, false);
}

/* A submission that names no job: CMD_ERROR, the offending cmd in timestamp. */
static void answer_error(daemon_t *d, const ipc_packet_t *p, uint32_t status)
{
    ipc_packet_t a = {.cmd = CMD_ERROR, .flags = (uint16_t)status, .payload_id = p->payload_id,
                      .timestamp = p->cmd};
    post(d, &a, true);
}

static void notify_peer(daemon_t *d)
{
    if (d->posted == 0 || !d->attached)
        return;
    d->posted = 0;
    int r = zl_db_notify(d->notify_mode, d->peer_efd, &d->v.hdr->bridge, &d->v.hdr->zen);
    if (r < 0)
        BLOG_DEBUG("doorbell to the ZENEDGE side failed: %s", strerror(-r));
}

/* ------------------------------------------------------------------ */
/* Jobs                                                                */
/* ------------------------------------------------------------------ */

static void job_put(daemon_t *d, bridge_job_t *j)
{
    d->free_jobs[d->n_free++] = j;
}

/* Write the answer line of the descriptor, then post JOB_DONE. The plain
 * stores to line 2 are published by R1 of the completion ring. */
static void job_finish(daemon_t *d, bridge_job_t *j, uint32_t status, bool write_desc)
{
    uint64_t now = zl_now_ns();
    if (write_desc && d->attached) {
        ipc_job_desc_t *dd = &d->v.jobs[j->slot];
        dd->t_pickup = j->t_pickup;
        dd->t_backend_start = j->t_backend_start;
        dd->t_backend_end = j->t_backend_end;
        dd->t_complete = now;
        dd->backend_ns = j->backend_ns;
        dd->bridge_epoch = d->epoch;
        dd->result = status == IPC_STATUS_OK ? j->result : 0u;
        ipc_cache_clean(&dd->t_pickup, IPC_CACHELINE);
    }
    if (status == IPC_STATUS_OK) {
        bridge_stats_lat_add(&d->st.lat[BRIDGE_STAGE_QUEUE], j->t_backend_start - j->t_pickup);
        bridge_stats_lat_add(&d->st.lat[BRIDGE_STAGE_BACKEND], j->t_backend_end - j->t_backend_start);
        bridge_stats_lat_add(&d->st.lat[BRIDGE_STAGE_POST], now - j->t_backend_end);
        bridge_stats_lat_add(&d->st.lat[BRIDGE_STAGE_TOTAL], now - j->t_pickup);
        d->st.models_run[j->model && j->model->id < 8u ? j->model->id : 0]++;
    }
    answer(d, j->cmd, j->handle, status);
    job_put(d, j);
}

/* Take finished jobs back from the backend (waiting up to timeout_ms). */
static int reap(daemon_t *d, int timeout_ms)
{
    bridge_job_t *done[32];
    int n = d->be->ops->poll(d->be, done, 32, timeout_ms);
    for (int i = 0; i < n; i++)
        job_finish(d, done[i], done[i]->status == IPC_STATUS_OK ? IPC_STATUS_OK : IPC_STATUS_BACKEND_ERROR, true);
    return n < 0 ? 0 : n;
}

static bridge_job_t *job_get(daemon_t *d)
{
    for (int tries = 0; d->n_free == 0 && tries < 1000; tries++)
        reap(d, 10);
    return d->n_free ? d->free_jobs[--d->n_free] : NULL;
}

/* One packet taken from ring `ring` at t_pick (the dequeue time). */
static void handle(daemon_t *d, uint32_t ring, const ipc_packet_t *p, uint64_t t_pick)
{
    enum ipc_status s = bridge_validate_packet(&d->v, ring, p);
    if (p->cmd == CMD_PING)
        d->st.rx_ping++;
    else if (p->cmd == CMD_RUN_MODEL)
        d->st.rx_run_model++;
    else
        d->st.rx_other++;
    if (s != IPC_STATUS_OK) {
        BLOG_DEBUG("ring %u: packet cmd=0x%04x flags=0x%04x payload_id=0x%08x refused: %s", ring, p->cmd, p->flags,
                   p->payload_id, ipc_status_name(s));
        if (bridge_status_attributable(s))
            answer(d, bridge_answer_cmd(p->cmd), p->payload_id, s);
        else
            answer_error(d, p, s);
        return;
    }
    if ((d->v.features & IPC_FEAT_SHARED_CLOCK) && p->timestamp != 0 && t_pick >= p->timestamp)
        bridge_stats_lat_add(&d->st.lat[BRIDGE_STAGE_RING], t_pick - p->timestamp);
    if (p->cmd == CMD_PING) {
        answer(d, CMD_PONG, p->payload_id, d->stopping ? IPC_STATUS_SHUTDOWN : IPC_STATUS_OK);
        return;
    }

    uint32_t slot = IPC_HANDLE_SLOT(p->payload_id);
    ipc_job_desc_t desc;
    bridge_job_copy_in(&d->v, slot, &desc);   /* the one read of the descriptor */
    const bridge_model_t *m = NULL;
    s = bridge_validate_job(&d->v, d->reg, ring, p, &desc, &m);

    bridge_job_t *j = job_get(d);
    if (j == NULL) {   /* the backend kept every job for 10 s */
        BLOG_ERR("backend %s holds all %u jobs: job 0x%08x answered BACKEND_ERROR", d->be->ops->name, d->n_jobs,
                 p->payload_id);
        answer(d, CMD_JOB_DONE, p->payload_id, IPC_STATUS_BACKEND_ERROR);
        return;
    }
    memset(j, 0, sizeof(*j));
    j->handle = p->payload_id;
    j->slot = slot;
    j->qos = desc.qos;
    j->model = m;
    j->t_pickup = t_pick;
    j->cmd = CMD_JOB_DONE;
    j->ring = ring;

    if (s != IPC_STATUS_OK) {
        BLOG_DEBUG("job 0x%08x (model %u, qos %u, ring %u) refused: %s", p->payload_id, desc.model_id, desc.qos, ring,
                   ipc_status_name(s));
        /* STALE: the slot belongs to another use; do not touch it. */
        job_finish(d, j, s, s != IPC_STATUS_STALE);
        return;
    }
    if (d->stopping) {
        job_finish(d, j, IPC_STATUS_SHUTDOWN, true);
        return;
    }
    if (desc.cancel != 0u) {
        job_finish(d, j, IPC_STATUS_CANCELLED, true);
        return;
    }
    for (uint32_t i = 0; i < m->n_in; i++) {
        j->in[i] = d->v.base + desc.in[i].off;
        j->in_len[i] = desc.in[i].len;
    }
    for (uint32_t i = 0; i < m->n_out; i++) {
        j->out[i] = d->v.base + desc.out[i].off;
        j->out_len[i] = desc.out[i].len;
    }
    if (desc.timeout_us != 0u && zl_now_ns() - t_pick > (uint64_t)desc.timeout_us * 1000u) {
        job_finish(d, j, IPC_STATUS_EXPIRED, true);
        return;
    }
    int rc = d->be->ops->submit(d->be, j);
    for (int tries = 0; rc == BRIDGE_E_BUSY && tries < 1000; tries++) {
        d->st.backend_busy++;
        reap(d, 10);
        rc = d->be->ops->submit(d->be, j);
    }
    if (rc != BRIDGE_OK) {
        BLOG_WARN("backend %s refused job 0x%08x (model %u): %s", d->be->ops->name, j->handle, m->id,
                  bridge_strerror(rc));
        job_finish(d, j, IPC_STATUS_BACKEND_ERROR, true);
        return;
    }
    reap(d, 0);
}

/* ------------------------------------------------------------------ */
/* Arbitration                                                         */
/* ------------------------------------------------------------------ */

/* Take up to max packets of ring r, within the answer budget. */
static int take(daemon_t *d, uint32_t r, ipc_packet_t *buf, uint32_t max)
{
    uint32_t room = pend_room(d);
    if (max > room)
        max = room;
    if (max == 0)
        return 0;
    int n = ipc_ring_dequeue_burst(&d->sq[r], buf, max);
    if (n <= 0)
        return 0;
    d->reserved += (uint32_t)n;
    d->st.rx_ring[r] += (uint32_t)n;
    uint32_t fill = (uint32_t)n + (d->sq[r].head_seen - d->sq[r].tail);
    if (fill > d->st.fill_max[r])
        d->st.fill_max[r] = fill;
    d->last_packet_ns = zl_now_ns();
    return n;
}

static uint32_t drain_rt(daemon_t *d)
{
    ipc_packet_t buf[ROUND_MAX];
    uint32_t total = 0;
    uint32_t batch = d->cfg->batch < ROUND_MAX ? d->cfg->batch : ROUND_MAX;
    for (uint32_t b = 0; b < RT_BATCHES; b++) {
        int n = take(d, 0, buf, batch);
        if (n <= 0)
            break;
        uint64_t t = d->last_packet_ns;
        for (int i = 0; i < n; i++)
            handle(d, 0, &buf[i], t);
        total += (uint32_t)n;
    }
    return total;
}

static bool rt_ready(daemon_t *d)
{
    if (d->sq[0].head_seen != d->sq[0].tail)
        return true;
    return ipc_ring_ready_count(&d->sq[0]) > 0;
}

/* One round: RT first, then rings 1.. by weight, higher classes first, RT
 * re-checked before each of their packets (strict priority). */
static uint32_t round_once(daemon_t *d)
{
    uint32_t work = drain_rt(d);
    ipc_packet_t buf[ROUND_MAX];
    uint8_t from[ROUND_MAX];
    uint64_t when[IPC_MAX_SQ] = {0};
    uint32_t n = 0;
    for (uint32_t r = 1; r < d->v.n_sq && n < ROUND_MAX; r++) {
        uint32_t want = d->weight[r];
        if (want > ROUND_MAX - n)
            want = ROUND_MAX - n;
        int k = take(d, r, buf + n, want);
        when[r] = d->last_packet_ns;
        for (int i = 0; i < k; i++)
            from[n + (uint32_t)i] = (uint8_t)r;
        n += (uint32_t)(k > 0 ? k : 0);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && rt_ready(d))
            work += drain_rt(d);
        handle(d, from[i], &buf[i], when[from[i]]);
    }
    work += n;
    if (work)
        d->st.rounds++;
    return work;
}

/* ------------------------------------------------------------------ */
/* Attach / detach                                                     */
/* ------------------------------------------------------------------ */

static void wait_msg(daemon_t *d, bridge_log_level_t lvl, const char *msg)
{
    if (strcmp(d->last_wait_msg, msg) == 0)
        return;
    snprintf(d->last_wait_msg, sizeof(d->last_wait_msg), "%s", msg);
    bridge_log(lvl, "%s", msg);
}

static void set_weights(daemon_t *d)
{
    static const uint32_t defaults[IPC_MAX_SQ] = {0, 8, 4, 1, 1, 1, 1, 1};
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++) {
        uint32_t w = d->cfg->weights[r];
        if (w == 0)
            w = d->v.sq_weight[r];
        if (w == 0)
            w = defaults[r];
        d->weight[r] = w > ROUND_MAX ? ROUND_MAX : w;
    }
}

static int try_attach(daemon_t *d)
{
    char msg[2048];
    /* A mapping that faulted (zero pages now) or whose object was removed or
     * re-created while we waited is useless: map the name again. */
    if (d->tr.mapped) {
        bool faulted = bridge_transport_faulted();
        uint64_t now = zl_now_ns();
        bool replaced = false;
        if (!faulted && now - d->last_replace_ns > REPLACE_NS) {
            d->last_replace_ns = now;
            replaced = bridge_transport_replaced(&d->tr, d->cfg);
        }
        if (faulted || replaced) {
            BLOG_INFO("%s %s while waiting: mapping it again", d->tr.what,
                      faulted ? "shrank under the mapping (SIGBUS caught)" : "was removed or re-created");
            bridge_transport_close(&d->tr);
        }
    }
    if (!d->tr.mapped) {
        int e = 0;
        int rc = bridge_transport_open(&d->tr, d->cfg, &e);
        if (rc == BRIDGE_E_NOT_READY) {
            snprintf(msg, sizeof(msg), "waiting for the region: shm %s %s (the ZENEDGE side creates it)", d->cfg->shm,
                     e == ENOENT ? "does not exist yet" : "is still empty");
            wait_msg(d, BRIDGE_LOG_INFO, msg);
            return rc;
        }
        if (rc != BRIDGE_OK) {
            snprintf(msg, sizeof(msg), "cannot map the region (%s): %s; retrying", d->tr.what, strerror(e));
            wait_msg(d, BRIDGE_LOG_ERROR, msg);
            return rc;
        }
    }
    ipc_fault_t f = {0};
    int rc = ipc_region_attach(&d->v, d->tr.map.base, (uint32_t)d->tr.map.size, &f);
    if (rc == IPC_E_NOT_READY) {
        snprintf(msg, sizeof(msg), "waiting for the region in %s to be initialised (magic is 0: %s)", d->tr.what,
                 ipc_strerror(rc));
        wait_msg(d, BRIDGE_LOG_INFO, msg);
        return BRIDGE_E_NOT_READY;
    }
    if (rc != IPC_OK) {
        snprintf(msg, sizeof(msg), "region in %s rejected: %s: %s = %u (0x%x) breaks limit %u (0x%x): %s; waiting "
                 "for the ZENEDGE side to re-initialise it",
                 d->tr.what, ipc_strerror(rc), f.field ? f.field : "?", f.value, f.value, f.limit, f.limit,
                 f.rule ? f.rule : "");
        wait_msg(d, BRIDGE_LOG_ERROR, msg);
        return BRIDGE_E_ATTACH;
    }
    for (uint32_t r = 0; r <= d->v.n_sq; r++) {
        rc = r < d->v.n_sq ? ipc_ring_cons_attach(&d->sq[r], d->v.sq[r], d->v.sq_slots)
                           : ipc_ring_prod_attach(&d->cq, d->v.cq, d->v.cq_slots);
        if (rc != IPC_OK) {
            snprintf(msg, sizeof(msg), "region in %s rejected: %s ring %u: %s (head/tail inconsistent); waiting for "
                     "the ZENEDGE side to re-initialise it",
                     d->tr.what, r < d->v.n_sq ? "submission" : "completion", r, ipc_strerror(rc));
            wait_msg(d, BRIDGE_LOG_ERROR, msg);
            return BRIDGE_E_ATTACH;
        }
    }
    uint32_t cap = 2u * d->v.max_jobs < 64u ? 64u : 2u * d->v.max_jobs;
    if (cap != d->pend_cap) {
        ipc_packet_t *p = realloc(d->pend, cap * sizeof(*p));
        if (p == NULL)
            return BRIDGE_E_NOMEM;
        d->pend = p;
        d->pend_cap = cap;
    }
    d->pend_head = d->pend_n = d->reserved = 0;

    ipc_side_t *me = &d->v.hdr->bridge;
    ipc_store_release(&me->state, IPC_STATE_STARTING);
    uint32_t old = ipc_read_once(&me->epoch);
    uint32_t e = (old > d->epoch ? old : d->epoch) + 1u;
    if (e == 0)
        e = 1;   /* epoch 0 means "never started" */
    d->epoch = e;
    /* The tails this instance adopted, before it dequeues anything: the
     * zenedge side reclaims the slots of packets below them only (an
     * earlier instance took those) and waits for our answer to the rest.
     * Published with the new epoch. */
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        ipc_write_once(&me->sq_tail_at_start[r], r < d->v.n_sq ? d->sq[r].tail : 0u);
    ipc_write_once(&me->features, (d->v.features & IPC_FEAT_KNOWN) | IPC_FEAT_START_TAILS);
    ipc_write_once(&me->hb_period_us, d->cfg->hb_period_us);
    ipc_write_once(&me->needs_wakeup, 0u);
    ipc_cache_clean(me, IPC_CACHELINE);
    ipc_store_release(&me->epoch, e);
    d->zen_epoch = ipc_load_acquire(&d->v.hdr->zen.epoch);
    set_weights(d);
    /* Adaptive needs the ZENEDGE side to keep needs_wakeup; without the
     * feature bit ring after every batch, as in eventfd mode. */
    d->notify_mode = d->cfg->doorbell;
    if (d->notify_mode == IPC_DB_ADAPTIVE && !(d->v.features & IPC_FEAT_NEED_WAKEUP))
        d->notify_mode = IPC_DB_EVENTFD;
    hb_set_side(d, me);
    ipc_cache_clean(me, IPC_CACHELINE);
    ipc_store_release(&me->state, IPC_STATE_READY);
    d->attached = true;
    d->st.attaches++;
    d->last_wait_msg[0] = '\0';
    BLOG_INFO("attached to %s: %u bytes, %u submission rings x %u slots (weights %u/%u/%u), completion ring %u "
              "slots, %u jobs, heap %u bytes; bridge epoch %u, zenedge epoch %u, doorbell %s; READY",
              d->tr.what, d->v.size, d->v.n_sq, d->v.sq_slots, d->weight[1], d->weight[2], d->weight[3],
              d->v.cq_slots, d->v.max_jobs, d->v.heap_size, d->epoch, d->zen_epoch,
              ipc_db_mode_name(d->cfg->doorbell));
    if (d->peer_efd >= 0)
        zl_db_ring(d->peer_efd);   /* a connected peer re-checks at once */
    return BRIDGE_OK;
}

static void detach(daemon_t *d, const char *why, bool unmap)
{
    hb_set_side(d, NULL);
    /* An asynchronous backend may still write outputs into the region:
     * wait for it before the mapping can go away. Results are discarded. */
    uint64_t until = zl_now_ns() + 5000000000ull;
    while (d->be->ops->in_flight(d->be) > 0 && zl_now_ns() < until) {
        bridge_job_t *done[32];
        int n = d->be->ops->poll(d->be, done, 32, 10);
        for (int i = 0; i < n; i++)
            job_put(d, done[i]);
        d->st.dropped_reinit += n > 0 ? (uint64_t)n : 0u;
    }
    d->st.dropped_reinit += d->pend_n;
    d->pend_n = d->pend_head = d->reserved = 0;
    d->attached = false;
    d->st.detaches++;
    BLOG_WARN("detached from the region: %s; %s", why, unmap ? "mapping it again" : "attaching again");
    if (unmap)
        bridge_transport_close(&d->tr);
}

/* Why the attached region can no longer be trusted, or NULL. */
static bool region_changed(daemon_t *d, char *why, size_t len, bool *unmap)
{
    ipc_region_hdr_t *h = d->v.hdr;
    *unmap = false;
    if (bridge_transport_faulted()) {
        snprintf(why, len, "the object behind %.160s shrank under the mapping (SIGBUS caught)", d->tr.what);
        *unmap = true;
        return true;
    }
    uint32_t magic = ipc_load_acquire(&h->magic);
    if (magic != IPC_REGION_MAGIC) {
        snprintf(why, len, "region magic is 0x%08x, not 0x%08x: the ZENEDGE side is re-initialising it", magic,
                 IPC_REGION_MAGIC);
        return true;
    }
    uint32_t ze = ipc_load_acquire(&h->zen.epoch);
    if (ze != d->zen_epoch) {
        snprintf(why, len, "the ZENEDGE side restarted (epoch %u -> %u)", d->zen_epoch, ze);
        return true;
    }
    uint32_t be = ipc_read_once(&h->bridge.epoch);
    if (be != d->epoch) {
        snprintf(why, len, "the bridge epoch word reads %u, not %u: the region was re-initialised", be, d->epoch);
        return true;
    }
    uint64_t now = zl_now_ns();
    if (now - d->last_replace_ns > REPLACE_NS) {
        d->last_replace_ns = now;
        if (bridge_transport_replaced(&d->tr, d->cfg)) {
            snprintf(why, len, "%.160s was removed or re-created by the ZENEDGE side", d->tr.what);
            *unmap = true;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Doorbell connection                                                 */
/* ------------------------------------------------------------------ */

static void peer_close(daemon_t *d)
{
    if (d->ivs) {   /* the eventfds belong to the ivshmem server */
        d->peer_efd = -1;
        return;
    }
    if (d->conn >= 0)
        close(d->conn);
    if (d->peer_efd >= 0)
        close(d->peer_efd);
    d->conn = d->peer_efd = -1;
}

/* QEMU's ivshmem-doorbell: a guest that left is forgotten, a new one is
 * taken (its vector-0 eventfd interrupts it as MSI-X vector 0). */
static void ivshmem_upkeep(daemon_t *d)
{
    int gone = ivshm_server_reap(d->ivs);
    if (gone > 0) {
        BLOG_INFO("QEMU guest left %s; serving on, waiting for a new one", d->cfg->ivshmem_socket);
        d->st.peer_losses += (uint32_t)gone;
        d->peer_efd = -1;
    }
    if (d->peer_efd >= 0)
        return;
    int id = ivshm_server_accept(d->ivs, 0);
    if (id > 0) {
        d->peer_efd = ivshm_server_peer_fd(d->ivs, (uint32_t)id, 0);
        d->st.peer_connects++;
        BLOG_INFO("QEMU guest connected on %s as ivshmem peer %d; completions go as MSI-X vector 0",
                  d->cfg->ivshmem_socket, id);
        if (d->peer_efd >= 0)
            zl_db_ring(d->peer_efd);
    } else if (id != -EAGAIN && id != -EINTR) {
        BLOG_DEBUG("ivshmem accept on %s: %s", d->cfg->ivshmem_socket, strerror(-id));
    }
}

static void doorbell_upkeep(daemon_t *d)
{
    if (d->ivs) {
        ivshmem_upkeep(d);
        return;
    }
    if (d->lfd < 0)
        return;
    if (d->conn >= 0 && zl_db_peer_gone(d->conn)) {
        BLOG_INFO("ZENEDGE side disconnected from %s; serving on, waiting for a new connection", d->sock);
        peer_close(d);
        d->st.peer_losses++;
    }
    zl_hello_t hello;
    int pefd = -1;
    int c = zl_db_accept(d->lfd, 0, d->efd, IPC_SIDE_BRIDGE, d->epoch, &pefd, &hello);
    if (c >= 0) {
        if (hello.side != IPC_SIDE_ZENEDGE) {
            BLOG_WARN("doorbell hello on %s from side %u, not the ZENEDGE side (%u): refused", d->sock, hello.side,
                      IPC_SIDE_ZENEDGE);
            close(c);
            close(pefd);
            d->st.hello_rejects++;
            return;
        }
        if (d->conn >= 0)
            BLOG_INFO("a new ZENEDGE side replaces the previous connection on %s", d->sock);
        peer_close(d);
        d->conn = c;
        d->peer_efd = pefd;
        d->st.peer_connects++;
        BLOG_INFO("ZENEDGE side connected on %s (its epoch %u); eventfds exchanged", d->sock, hello.epoch);
        zl_db_ring(pefd);   /* let it look at its completion ring once */
    } else if (c == -EPROTO) {
        d->st.hello_rejects++;
        BLOG_WARN("malformed doorbell hello on %s: connection closed", d->sock);
    } else if (c != -EAGAIN && c != -EINTR) {
        BLOG_DEBUG("doorbell accept on %s: %s", d->sock, strerror(-c));
    }
}

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

static void dump_stats(daemon_t *d, const char *reason)
{
    d->dump_seq++;
    uint64_t corrupt = d->cq.corrupt;
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        corrupt += d->sq[r].corrupt;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL)
        return;
    fprintf(m, "dump_seq %u\nreason %s\npid %d\nuptime_ms %llu\nattached %d\nepoch %u\npending %u\n", d->dump_seq,
            reason, (int)getpid(), (unsigned long long)((zl_now_ns() - d->start_ns) / 1000000u), d->attached,
            d->epoch, d->pend_n);
    fprintf(m, "ring_corrupt_seen %llu\n", (unsigned long long)corrupt);
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        fprintf(m, "ring%u.fill %d\n", r,
                d->attached && r < d->v.n_sq ? ipc_ring_peek_fill(d->v.sq[r], d->v.sq_slots) : 0);
    fprintf(m, "cq.fill %d\n", d->attached ? ipc_ring_peek_fill(d->v.cq, d->v.cq_slots) : 0);
    bridge_stats_write(&d->st, m);
    fclose(m);

    const bridge_stats_t *s = &d->st;
    BLOG_INFO("statistics (%s): rx ping=%llu run_model=%llu other=%llu | tx pong=%llu job_done=%llu error=%llu "
              "(dropped %llu) | cq_full=%llu pending=%u/%llu max | attaches=%llu peers=%llu",
              reason, (unsigned long long)s->rx_ping, (unsigned long long)s->rx_run_model,
              (unsigned long long)s->rx_other, (unsigned long long)s->tx_pong, (unsigned long long)s->tx_job_done,
              (unsigned long long)s->tx_error, (unsigned long long)s->error_dropped,
              (unsigned long long)s->cq_full, d->pend_n, (unsigned long long)s->pending_max,
              (unsigned long long)s->attaches, (unsigned long long)s->peer_connects);
    char line[1024];
    int o = snprintf(line, sizeof(line), "statistics: answers by status:");
    for (uint32_t i = 0; i < IPC_STATUS_COUNT && o < (int)sizeof(line); i++)
        if (s->status[i])
            o += snprintf(line + o, sizeof(line) - (size_t)o, " %s=%llu", ipc_status_name(i) + 11,
                          (unsigned long long)s->status[i]);
    BLOG_INFO("%s", line);
    o = snprintf(line, sizeof(line), "statistics: latency p50/p99/max us:");
    for (int st = 0; st < BRIDGE_STAGE_COUNT && o < (int)sizeof(line); st++)
        o += snprintf(line + o, sizeof(line) - (size_t)o, " %s %.1f/%.1f/%.1f", bridge_stage_name(st),
                      (double)bridge_stats_lat_pct(&s->lat[st], 50) / 1e3,
                      (double)bridge_stats_lat_pct(&s->lat[st], 99) / 1e3, (double)s->lat[st].max_ns / 1e3);
    BLOG_INFO("%s", line);
    o = snprintf(line, sizeof(line), "statistics: rings taken/max fill:");
    for (uint32_t r = 0; r < IPC_MAX_SQ && o < (int)sizeof(line); r++)
        if (s->rx_ring[r] || (d->attached && r < d->v.n_sq))
            o += snprintf(line + o, sizeof(line) - (size_t)o, " %u:%llu/%u", r, (unsigned long long)s->rx_ring[r],
                          s->fill_max[r]);
    BLOG_INFO("%s", line);

    if (d->cfg->stats_file[0]) {
        char tmp[BRIDGE_CFG_PATH + 32];
        snprintf(tmp, sizeof(tmp), "%s.tmp.%d", d->cfg->stats_file, (int)getpid());
        FILE *f = fopen(tmp, "w");
        if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0 || rename(tmp, d->cfg->stats_file) != 0) {
            BLOG_WARN("cannot write statistics to %s: %s", d->cfg->stats_file, strerror(errno));
            unlink(tmp);
        }
    }
    free(buf);
}

/* ------------------------------------------------------------------ */
/* Main loop                                                           */
/* ------------------------------------------------------------------ */

static bool work_ready(void *arg)
{
    daemon_t *d = arg;
    if (d->sig->stop || d->sig->dump || !d->attached)
        return d->sig->stop || d->sig->dump;
    if (ipc_read_once(&d->v.hdr->magic) != IPC_REGION_MAGIC ||
        ipc_read_once(&d->v.hdr->zen.epoch) != d->zen_epoch)
        return true;
    if (d->pend_n > 0 && ipc_ring_free_count(&d->cq) > 0)
        return true;
    if (pend_room(d) == 0)
        return false;
    for (uint32_t r = 0; r < d->v.n_sq; r++)
        if (ipc_ring_ready_count(&d->sq[r]) > 0)
            return true;
    return false;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);   /* EINTR ends it early: fine */
}

static void shutdown_drain(daemon_t *d)
{
    ipc_side_t *me = &d->v.hdr->bridge;
    d->stopping = true;
    ipc_store_release(&me->state, IPC_STATE_STOPPING);
    BLOG_INFO("stopping: finishing jobs in flight, answering queued jobs %s", ipc_status_name(IPC_STATUS_SHUTDOWN));
    uint64_t until = zl_now_ns() + (uint64_t)d->cfg->drain_timeout_ms * 1000000u;
    while (d->be->ops->in_flight(d->be) > 0 && zl_now_ns() < until)
        reap(d, 10);
    for (;;) {
        alive(d);
        uint32_t work = round_once(d);
        flush_pending(d);
        notify_peer(d);
        bool rings_empty = true;
        for (uint32_t r = 0; r < d->v.n_sq; r++)
            if (ipc_ring_ready_count(&d->sq[r]) != 0)
                rings_empty = false;
        if (rings_empty && d->pend_n == 0)
            break;
        if (zl_now_ns() >= until) {
            BLOG_WARN("stopping: %u answers still queued after %u ms (completion ring full: is the ZENEDGE side "
                      "alive?); given up",
                      d->pend_n, d->cfg->drain_timeout_ms);
            break;
        }
        if (work == 0)
            sleep_ms(1);
    }
    hb_set_side(d, NULL);
    ipc_store_release(&me->state, IPC_STATE_OFFLINE);
    ipc_cache_clean(me, IPC_CACHELINE);
    d->posted++;
    notify_peer(d);   /* lets a sleeping ZENEDGE side see OFFLINE now */
    BLOG_INFO("state OFFLINE (bridge epoch %u)", d->epoch);
}

int bridge_dispatch_run(const bridge_config_t *cfg, const bridge_registry_t *reg, bridge_backend_t *be,
                        bridge_signals_t *sig)
{
    daemon_t *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return BRIDGE_E_NOMEM;
    d->cfg = cfg;
    d->reg = reg;
    d->be = be;
    d->sig = sig;
    d->efd = d->lfd = d->conn = d->peer_efd = -1;
    d->ivs_shm_fd = -1;
    d->tr.map.fd = -1;
    pthread_mutex_init(&d->hb_lock, NULL);
    d->start_ns = d->last_packet_ns = zl_now_ns();
    d->next_stats_ns = cfg->stats_interval_s ? d->start_ns + (uint64_t)cfg->stats_interval_s * 1000000000ull : 0;
    alive(d);
    int rc = BRIDGE_OK;

    d->n_jobs = cfg->queue_depth + 1u;
    d->jobs = calloc(d->n_jobs, sizeof(*d->jobs));
    d->free_jobs = calloc(d->n_jobs, sizeof(*d->free_jobs));
    if (d->jobs == NULL || d->free_jobs == NULL) {
        rc = BRIDGE_E_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < d->n_jobs; i++)
        job_put(d, &d->jobs[i]);

    if (bridge_transport_guard_install() != BRIDGE_OK)
        BLOG_WARN("SIGBUS guard not installed: %s", strerror(errno));

    if (cfg->doorbell != IPC_DB_POLL && cfg->ivshmem_socket[0]) {
        /* QEMU blocks at start until it has the memory: listen now, and
         * accept in the upkeep, also while the region is not initialised. */
        d->ivs_shm_fd = open(cfg->file, O_RDWR | O_CLOEXEC);
        d->ivs = calloc(1, sizeof(*d->ivs));
        int r = d->ivs_shm_fd < 0 ? -errno : d->ivs == NULL ? -ENOMEM
                                   : ivshm_server_open(d->ivs, cfg->ivshmem_socket, d->ivs_shm_fd, 1);
        if (r < 0) {
            BLOG_ERR("ivshmem server on %s for %s: %s", cfg->ivshmem_socket, cfg->file, strerror(-r));
            free(d->ivs);
            d->ivs = NULL;
            rc = BRIDGE_E_DOORBELL;
            goto out;
        }
        d->efd = ivshm_server_doorbell_fd(d->ivs, 0);
        BLOG_INFO("doorbell %s: ivshmem server listening on %s (region file %s)", ipc_db_mode_name(cfg->doorbell),
                  cfg->ivshmem_socket, cfg->file);
        ivshmem_upkeep(d);
    } else if (cfg->doorbell != IPC_DB_POLL) {
        d->efd = zl_db_create();
        if (d->efd < 0) {
            BLOG_ERR("eventfd: %s", strerror(-d->efd));
            rc = BRIDGE_E_DOORBELL;
            goto out;
        }
        if (cfg->socket[0])
            snprintf(d->sock, sizeof(d->sock), "%s", cfg->socket);
        else
            zl_default_socket(cfg->shm, d->sock, sizeof(d->sock));
        d->lfd = zl_db_listen(d->sock);
        if (d->lfd < 0) {
            BLOG_ERR("doorbell socket %s: %s", d->sock, strerror(-d->lfd));
            rc = BRIDGE_E_DOORBELL;
            goto out;
        }
        BLOG_INFO("doorbell %s: listening on %s", ipc_db_mode_name(cfg->doorbell), d->sock);
    }

    if (pthread_create(&d->hb_thread, NULL, hb_main, d) != 0) {
        BLOG_ERR("heartbeat thread: %s", strerror(errno));
        rc = BRIDGE_E_SYS;
        goto out;
    }
    d->hb_started = true;

    while (!sig->stop) {
        alive(d);
        uint64_t now = zl_now_ns();
        if (sig->dump) {
            sig->dump = 0;
            dump_stats(d, "SIGUSR1");
        }
        if (d->next_stats_ns && now >= d->next_stats_ns) {
            d->next_stats_ns = now + (uint64_t)cfg->stats_interval_s * 1000000000ull;
            dump_stats(d, "interval");
        }
        if (cfg->exit_after_idle_s && now - d->last_packet_ns > (uint64_t)cfg->exit_after_idle_s * 1000000000ull) {
            BLOG_INFO("no packet for %u s (--exit-after-idle-s): stopping", cfg->exit_after_idle_s);
            break;
        }
        if (now - d->last_upkeep_ns > UPKEEP_NS) {
            d->last_upkeep_ns = now;
            doorbell_upkeep(d);
        }
        if (!d->attached) {
            if (try_attach(d) != BRIDGE_OK)
                sleep_ms(50);
            continue;
        }
        char why[256];
        bool unmap;
        if (region_changed(d, why, sizeof(why), &unmap)) {
            detach(d, why, unmap);
            continue;
        }
        uint32_t work = round_once(d);
        /* An asynchronous backend finishes jobs while no packet arrives:
         * collect them on every pass, and never sleep long while some are
         * in flight. */
        bool busy = d->be->ops->in_flight(d->be) > 0;
        if (busy)
            work += (uint32_t)reap(d, 0);
        flush_pending(d);
        notify_peer(d);
        if (work == 0) {
            int r = zl_db_idle_wait(cfg->doorbell, d->efd, &d->v.hdr->bridge, (uint64_t)cfg->spin_us * 1000u,
                                    (d->pend_n || busy) ? 1 : IDLE_WAIT_MS, work_ready, d);
            if (r < 0 && r != -EINTR)
                BLOG_DEBUG("idle wait: %s", strerror(-r));
        }
    }

    if (d->attached) {
        char why[256];
        bool unmap;
        if (region_changed(d, why, sizeof(why), &unmap))
            BLOG_WARN("stopping: region no longer ours (%s): nothing to answer", why);
        else
            shutdown_drain(d);
    }

out:
    if (d->hb_started) {
        atomic_store(&d->hb_stop, 1);
        pthread_join(d->hb_thread, NULL);
    }
    dump_stats(d, "exit");
    peer_close(d);
    if (d->lfd >= 0) {
        close(d->lfd);
        unlink(d->sock);
    }
    if (d->ivs) {
        ivshm_server_close(d->ivs);   /* closes its eventfds, efd among them */
        free(d->ivs);
        d->efd = -1;
    }
    if (d->ivs_shm_fd >= 0)
        close(d->ivs_shm_fd);
    if (d->efd >= 0)
        close(d->efd);
    bridge_transport_close(&d->tr);
    free(d->pend);
    free(d->jobs);
    free(d->free_jobs);
    pthread_mutex_destroy(&d->hb_lock);
    free(d);
    return rc;
}
