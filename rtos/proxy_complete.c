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
    (void)p;
    (void)d;
    (void)now;
    j->times_valid = 0; /* ZEN_CFG_STAGE_TIMES 0: not kept */
#endif
}

/* Copy the answer line of the descriptor once (after A1 on the CQ, which
 * published it), every word through the barrier helpers, then judge the
 * copy: the checks and the stores below use the same local values, never
 * the shared line again. Returns false if backend_ns is out of range. */
static bool take_answer(proxy_t *p, proxy_job_t *j, uint64_t now)
{
    ipc_job_desc_t *d = ipc_region_job(&p->region, pj_slot(p, j));
    ipc_cache_invalidate(&d->t_pickup, IPC_CACHELINE);
    uint64_t backend_ns = read_u64_once(&d->backend_ns);
    const uint32_t epoch = ipc_read_once(&d->bridge_epoch);
    const uint32_t result = ipc_read_once(&d->result);

    if (backend_ns > p->backend_ns_max)
        return false;
    /* The backend cannot have run longer than the job existed on our
     * clock: clamp to the submit -> seen span before charging. */
    uint64_t span = now >= j->t_submit ? now - j->t_submit : 0u;
    if (backend_ns > span) {
        backend_ns = span;
        p->stats.time_clamped++;
    }
    j->backend_ns = backend_ns;
    j->result = result;
    j->bridge_epoch = epoch;
    if (epoch != p->bridge_epoch)
        p->stats.epoch_mismatch++;
    take_stage_times(p, j, d, now);
    return true;
}

static void handle_one(proxy_t *p, const ipc_packet_t *pkt, uint64_t now)
{
    uint32_t cmd = pkt->cmd;
    uint32_t status = pkt->flags;
    uint32_t h = pkt->payload_id;
    bool is_error = cmd == CMD_ERROR;

    if (cmd != CMD_PONG && cmd != CMD_JOB_DONE && !is_error) {
        cq_reject(p, PROXY_CQ_BAD_CMD);
        return;
    }
    uint32_t slot = IPC_HANDLE_SLOT(h);
    uint32_t gen = IPC_HANDLE_GEN(h);
    if (gen == 0 || slot >= p->max_jobs) {
        cq_reject(p, is_error ? PROXY_CQ_UNATTRIBUTED : PROXY_CQ_BAD_HANDLE);
        return;
    }
    proxy_job_t *j = &p->jobs[slot];
    if ((j->flags & (PJ_BUSY | PJ_PUBLISHED)) != (PJ_BUSY | PJ_PUBLISHED) || j->gen != gen) {
        if (is_error)
            cq_reject(p, PROXY_CQ_UNATTRIBUTED);
        else
            cq_reject(p, j->gen == gen ? PROXY_CQ_STALE : PROXY_CQ_UNKNOWN_JOB);
        return;
    }
    if (j->flags & PJ_ANSWERED) {
        cq_reject(p, PROXY_CQ_DUPLICATE);
        return;
    }

    /* An answer attributed to a live job: from here on the slot is no
     * longer needed by the bridge, whatever the answer's quality. */
    bool ping = (j->flags & PJ_PING) != 0u;
    bool good = true;
    if (!is_error && ((ping && cmd != CMD_PONG) || (!ping && cmd != CMD_JOB_DONE))) {
        cq_reject(p, PROXY_CQ_CMD_MISMATCH);
        good = false;
    } else if (status >= IPC_STATUS_COUNT || (is_error && status == IPC_STATUS_OK)) {
        cq_reject(p, PROXY_CQ_BAD_STATUS);
        good = false;
    } else if (!is_error && !take_answer(p, j, now)) {
        cq_reject(p, PROXY_CQ_BAD_TIME);
        good = false;
    }

    j->flags |= PJ_ANSWERED;
    j->t_seen = now;
    ipc_job_desc_t *d = ipc_region_job(&p->region, slot);
    d->t_complete_seen = now; /* line 3: written by this side only */

    if (good) {
        p->stats.completions++;
        if (j->acct && !is_error) {
            j->acct->used_ns += j->backend_ns;
            j->acct->charged_total_ns += j->backend_ns;
        }
    }
    if (j->flags & PJ_ENDED) {
        p->stats.late_answers++;
        if (p->n_held)
            p->n_held--;
    } else if (!good) {
        pj_end(p, j, PROXY_E_BAD_COMPLETION, status < IPC_STATUS_COUNT ? status : IPC_STATUS_COUNT);
    } else {
        pj_end(p, j, status == IPC_STATUS_OK ? PROXY_OK : PROXY_E_JOB_FAILED, status);
    }
    pj_release_if_done(p, j);
}

/* Back-off after a corrupt completion ring: the first retry after 1 ms,
 * doubling to 1 s, and at once when the bridge epoch moves. */
#define CQ_BACKOFF_MIN_NS 1000000ull
#define CQ_BACKOFF_MAX_NS 1000000000ull

/* Whether the completion ring may be read now; inside the critical
 * section. A ring found corrupt is left alone (no read, no count) until
 * its retry time or a new bridge epoch: the completion context sleeps
 * instead of counting corrupt reads. */
static bool cq_readable(proxy_t *p, uint64_t now)
{
    if (p->cq_backoff_ns == 0u)
        return true;
    if (ipc_read_once(&p->region.hdr->bridge.epoch) != p->cq_bad_epoch) {
        p->cq_backoff_ns = 0;
        return true;
    }
    return now >= p->cq_retry_ns;
}

/* Count a corrupt read once and back off (doubling); inside the
 * critical section. */
static void cq_corrupt(proxy_t *p, uint64_t now)
{
    cq_reject(p, PROXY_CQ_RING_CORRUPT);
    uint64_t b = p->cq_backoff_ns * 2u;
    p->cq_backoff_ns = b < CQ_BACKOFF_MIN_NS ? CQ_BACKOFF_MIN_NS : b > CQ_BACKOFF_MAX_NS ? CQ_BACKOFF_MAX_NS : b;
    p->cq_retry_ns = now + p->cq_backoff_ns;
    p->cq_bad_epoch = ipc_read_once(&p->region.hdr->bridge.epoch);
}

int pj_complete_upto(proxy_t *p, uint32_t max)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    int handled = 0;
    for (uint32_t i = 0; i < max; i++) { /* bounded work per call */
        ipc_packet_t pkt;
        uint32_t key = zport_crit_enter(p->port);
        uint64_t now = zport_now_ns(p->port);
        int r = cq_readable(p, now) ? ipc_ring_dequeue(&p->cq, &pkt) : IPC_E_RING_EMPTY; /* A1 inside */
        if (r != IPC_OK) {
            if (r == IPC_E_RING_CORRUPT)
                cq_corrupt(p, now);
            else if (r == IPC_E_RING_EMPTY && p->cq_backoff_ns != 0u && now >= p->cq_retry_ns)
                p->cq_backoff_ns = 0; /* the retry found a sane ring */
            zport_crit_exit(p->port, key);
            break;
        }
        p->cq_backoff_ns = 0;
        handle_one(p, &pkt, zport_now_ns(p->port));
        zport_crit_exit(p->port, key);
        handled++;
    }
    return handled;
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
    int r = cq_readable(p, zport_now_ns(p->port)) ? ipc_ring_ready_count(&p->cq) : 0;
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
