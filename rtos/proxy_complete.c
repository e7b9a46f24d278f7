/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_complete.c - the completion handler and the idle handshake of the
 * completion context.
 *
 * Context: interrupt (or the port's completion thread). Every packet is
 * handled inside its own critical section: dequeue (A1 on the completion
 * ring publishes the packet and the descriptor's answer line), judge,
 * then write only the job table (the answered job's record, its owner's
 * account, n_held), stats (completions, late_answers, cq_rejected,
 * time_clamped, bad_timestamps, epoch_mismatch) and the descriptor's line
 * 3 (t_complete_seen, this side's trace). At most ZEN_CFG_CQ_BUDGET
 * packets per call. The idle handshake writes this side's needs_wakeup
 * and wakeups only, through the ipc_doorbell.h helpers (W1).
 */
#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"

static void cq_reject(proxy_t *p, uint32_t reason)
{
    p->stats.cq_rejected[ZEN_CFG_REJECT_COUNTERS ? reason : 0u]++;
}

/* One read of a 64-bit word of the answer line. A 32-bit target has no
 * single 64-bit load (and no libatomic here): each half is read once, and
 * only the returned copy is used, so the halves cannot be re-read. */
static uint64_t read_u64_once(const uint64_t *w)
{
#if UINTPTR_MAX > 0xffffffffu
    return ipc_read_once(w);
#else
    const uint32_t *h = (const uint32_t *)(const void *)w;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint32_t hi = ipc_read_once(&h[0]), lo = ipc_read_once(&h[1]);
#else
    uint32_t lo = ipc_read_once(&h[0]), hi = ipc_read_once(&h[1]);
#endif
    return ((uint64_t)hi << 32) | lo;
#endif
}

/* The bridge's stage times of the answer line, each read once and judged
 * as read: kept only with a shared clock and in order. */
static void take_stage_times(proxy_t *p, proxy_job_t *j, const ipc_job_desc_t *d, uint64_t now)
{
#if ZEN_CFG_STAGE_TIMES
    const uint64_t t_pickup = read_u64_once(&d->t_pickup);
    const uint64_t t_bstart = read_u64_once(&d->t_backend_start);
    const uint64_t t_bend = read_u64_once(&d->t_backend_end);
    const uint64_t t_complete = read_u64_once(&d->t_complete);
    bool shared = (p->region.features & IPC_FEAT_SHARED_CLOCK) != 0u;
    bool ordered = j->t_submit <= t_pickup && t_pickup <= t_bstart && t_bstart <= t_bend && t_bend <= t_complete &&
                   t_complete <= now;
    if (shared && ordered) {
        j->t_pickup = t_pickup;
        j->t_backend_start = t_bstart;
        j->t_backend_end = t_bend;
        j->t_complete = t_complete;
        j->times_valid = 1;
    } else {
        if (shared)
            p->stats.bad_timestamps++;
        j->t_pickup = j->t_backend_start = j->t_backend_end = j->t_complete = 0;
        j->times_valid = 0;
    }
#else
    (void)p; /* ZEN_CFG_STAGE_TIMES 0: not kept, times_valid never read */
    (void)j;
    (void)d;
    (void)now;
#endif
}

/* Read the answer line of descriptor d (after A1 on the CQ, which
 * published it), each word once through the barrier helpers and judged
 * as read: the checks and the stores below use the local copy, never the
 * shared word again; result and bridge_epoch are read only once
 * backend_ns is found in range. A good answer is charged to the job's
 * owner here. Returns false if backend_ns is out of range. */
static bool take_answer(proxy_t *p, proxy_job_t *j, const ipc_job_desc_t *d, uint64_t now)
{
    ipc_cache_invalidate(&d->t_pickup, IPC_CACHELINE);
    uint64_t backend_ns = read_u64_once(&d->backend_ns);
    if (backend_ns > p->backend_ns_max)
        return false;
    j->result = ipc_read_once(&d->result);
    const uint32_t epoch = ipc_read_once(&d->bridge_epoch);
    j->bridge_epoch = epoch;
    if (epoch != p->bridge_epoch)
        p->stats.epoch_mismatch++;
    /* The backend cannot have run longer than the job existed on our
     * clock: clamp to the submit -> seen span before charging. */
    uint64_t span = now - j->t_submit;
    if (span > now) /* now before t_submit */
        span = 0;
    if (backend_ns > span) {
        backend_ns = span;
        p->stats.time_clamped++;
    }
    j->backend_ns = backend_ns;
    if (j->acct) {
        j->acct->used_ns += backend_ns;
        j->acct->charged_total_ns += backend_ns;
    }
    take_stage_times(p, j, d, now);
    return true;
}

/* Judge an answer attributed to job j (live, not answered yet), its
 * answer line in descriptor d: the reject reason, or
 * PROXY_CQ_REJECT_COUNT for a good answer (taken by take_answer()). */
static uint32_t judge(proxy_t *p, proxy_job_t *j, const ipc_job_desc_t *d, uint32_t cmd, uint32_t status, uint64_t now)
{
    bool is_error = cmd == CMD_ERROR;
    uint32_t want = (j->flags & PJ_PING) ? CMD_PONG : CMD_JOB_DONE;
    if (!is_error && cmd != want)
        return PROXY_CQ_CMD_MISMATCH;
    if (status >= IPC_STATUS_COUNT || (is_error && status == IPC_STATUS_OK))
        return PROXY_CQ_BAD_STATUS;
    if (!is_error && !take_answer(p, j, d, now))
        return PROXY_CQ_BAD_TIME;
    return PROXY_CQ_REJECT_COUNT;
}

/* An answer attributed to a live job: from here on the slot is no longer
 * needed by the bridge, whatever the answer's quality. The clock is read
 * after the dequeue: never before the bridge's t_complete of the packet
 * it published. */
static __attribute__((noinline)) void answer(proxy_t *p, proxy_job_t *j, const ipc_packet_t *pkt)
{
    uint32_t cmd = pkt->cmd;
    uint32_t status = pkt->flags;
    ipc_job_desc_t *d = ipc_region_job(&p->region, pj_slot(p, j));
    uint64_t now = zport_now_ns(p->port);
    j->flags |= PJ_ANSWERED;
    j->t_seen = now;
    d->t_complete_seen = now; /* line 3: written by this side only */
    uint32_t why = judge(p, j, d, cmd, status, now);
    int32_t code = PROXY_E_BAD_COMPLETION;
    if (why == PROXY_CQ_REJECT_COUNT) {
        p->stats.completions++;
        code = status == IPC_STATUS_OK ? PROXY_OK : PROXY_E_JOB_FAILED;
    } else {
        cq_reject(p, why);
    }
    if (j->flags & PJ_ENDED) {
        p->stats.late_answers++;
        if (p->n_held)
            p->n_held--;
    } else {
        pj_end(p, j, code, status < IPC_STATUS_COUNT ? status : IPC_STATUS_COUNT);
    }
    pj_release_if_done(p, j);
}

/* Out of line even in an LTO build: the completion and the task's calls
 * share one copy. */
__attribute__((noinline)) proxy_job_t *pj_find(proxy_t *p, uint32_t h, uint32_t look)
{
    uint32_t slot = IPC_HANDLE_SLOT(h);
    uint32_t gen = IPC_HANDLE_GEN(h);
    if (gen == 0 || slot >= p->max_jobs)
        return 0;
    proxy_job_t *j = &p->jobs[slot];
    ipc_in_register(j); /* flags and generation read from the result's register */
    if ((j->flags & look) != (PJ_BUSY | PJ_PUBLISHED) || j->gen != gen)
        return 0;
    return j;
}

/* Why an answer naming handle h found no job to answer (pj_find() with
 * PJ_ANSWERED clear returned NULL). */
static uint32_t unattributed(const proxy_t *p, uint32_t h, bool is_error)
{
    uint32_t slot = IPC_HANDLE_SLOT(h);
    uint32_t gen = IPC_HANDLE_GEN(h);
    if (gen == 0 || slot >= p->max_jobs)
        return is_error ? PROXY_CQ_UNATTRIBUTED : PROXY_CQ_BAD_HANDLE;
    const proxy_job_t *j = &p->jobs[slot];
    if ((j->flags & (PJ_BUSY | PJ_PUBLISHED)) != (PJ_BUSY | PJ_PUBLISHED) || j->gen != gen)
        return is_error ? PROXY_CQ_UNATTRIBUTED : j->gen == gen ? PROXY_CQ_STALE : PROXY_CQ_UNKNOWN_JOB;
    return PROXY_CQ_DUPLICATE;
}

static void handle_one(proxy_t *p, const ipc_packet_t *pkt)
{
    uint32_t cmd = pkt->cmd;
    uint32_t h = pkt->payload_id;
    bool is_error = cmd == CMD_ERROR;
    uint32_t why = PROXY_CQ_BAD_CMD;

    if (cmd == CMD_PONG || cmd == CMD_JOB_DONE || is_error) {
        proxy_job_t *j = pj_find(p, h, PJ_BUSY | PJ_PUBLISHED | PJ_ANSWERED);
        if (j != 0) {
            answer(p, j, pkt);
            return;
        }
        why = unattributed(p, h, is_error);
    }
    cq_reject(p, why);
}

/* Back-off after a corrupt completion ring: the first retry after 1 ms,
 * doubling to 1 s, and at once when the bridge epoch moves. */
#define CQ_BACKOFF_MIN_NS 1000000u
#define CQ_BACKOFF_MAX_NS 1000000000u

/* Whether the completion ring may be read now; inside the critical
 * section. A ring found corrupt is left alone (no read, no count) until
 * its retry time or a new bridge epoch: the completion context sleeps
 * instead of counting corrupt reads. The clock is read only while the
 * ring backs off. *was: the back-off that a corrupt read now doubles (0
 * when healthy or in a new epoch: the first one); *at: the bridge epoch,
 * read once here, that a corrupt read now backs off in (should the bridge
 * move on before the dequeue, its new epoch retries at once). Inline in
 * each caller: an image that links only the completion holds no copy of
 * its own. */
static inline __attribute__((always_inline)) bool cq_readable(proxy_t *p, uint32_t *was, uint32_t *at)
{
    uint32_t b = p->cq_backoff_ns;
    uint32_t epoch = ipc_read_once(&p->region.hdr->bridge.epoch);
    if (b != 0u && epoch != p->cq_bad_epoch)
        b = 0; /* a new bridge epoch: the back-off starts again */
    *was = b;
    *at = epoch;
    return b == 0u || zport_now_ns(p->port) >= p->cq_retry_ns;
}

/* Count a corrupt read once and back off (doubling) in the bridge epoch
 * cq_readable() read; inside the critical section. */
static void cq_corrupt(proxy_t *p, uint32_t was, uint32_t epoch)
{
    uint64_t now = zport_now_ns(p->port);
    cq_reject(p, PROXY_CQ_RING_CORRUPT);
    uint32_t b = was != 0u ? was * 2u : CQ_BACKOFF_MIN_NS; /* at most 2 s */
    if (b > CQ_BACKOFF_MAX_NS)
        b = CQ_BACKOFF_MAX_NS;
    p->cq_backoff_ns = b;
    p->cq_retry_ns = now + b;
    p->cq_bad_epoch = epoch;
}

int pj_complete_upto(proxy_t *p, uint32_t max)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    ipc_ring_cons_t *cq = &p->cq;
    ipc_in_register(cq);   /* with LTO the inlined dequeue reaches its words from it */
    uint32_t i = 0;        /* the packets handled */
    for (; i < max; i++) { /* bounded work per call */
        ipc_packet_t pkt;
        uint32_t key = zport_crit_enter(p->port);
        int r = IPC_E_RING_EMPTY;
        uint32_t was, epoch;
        if (cq_readable(p, &was, &epoch)) {
            p->cq_backoff_ns = 0;           /* a sane ring (again), unless found corrupt below */
            r = ipc_ring_dequeue(cq, &pkt); /* A1 inside */
            if (r == IPC_E_RING_CORRUPT)
                cq_corrupt(p, was, epoch);
        }
        if (r == IPC_OK)
            handle_one(p, &pkt);
        zport_crit_exit(p->port, key);
        if (r != IPC_OK)
            break;
    }
    return (int)i;
}

int proxy_complete(proxy_t *p)
{
    return pj_complete_upto(p, ZEN_CFG_CQ_BUDGET); /* bounded work per interrupt */
}

bool proxy_work_pending(proxy_t *p)
{
    if (p == 0 || p->region.hdr == 0)
        return false;
    uint32_t key = zport_crit_enter(p->port);
    /* A corrupt ring is not work: proxy_complete retries it when its
     * back-off is over (the port's tick wakes the completion context). */
    uint32_t was, epoch;
    int r = cq_readable(p, &was, &epoch) ? ipc_ring_ready_count(&p->cq) : 0;
    zport_crit_exit(p->port, key);
    return r > 0;
}

bool proxy_idle_prepare(proxy_t *p)
{
    ipc_side_t *me = &p->region.hdr->zen;
    /* W1: announce sleep, full fence, then re-check the completion ring;
     * pairs with the bridge's W2 (publish, fence, read our flag). */
    ipc_sleep_announce(me);
    if (proxy_work_pending(p)) {
        ipc_sleep_cancel(me);
        return true;
    }
    return false;
}

void proxy_idle_finish(proxy_t *p, bool was_woken)
{
    ipc_side_t *me = &p->region.hdr->zen;
    ipc_sleep_cancel(me);
    if (was_woken) /* statistic; only this side writes it */
        ipc_write_once(&me->wakeups, ipc_read_once(&me->wakeups) + 1u);
    ipc_cache_clean(me, (uint32_t)sizeof(*me));
}
