/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * liveness.c - heartbeats, bridge epochs and deadlines (proxy_tick), with
 * the ring-tail and reclaim helpers of a bridge loss and a new epoch.
 *
 * Context: timer (proxy_tick, about every half heartbeat period). The
 * watch runs in one critical section of O(rings) work: it writes this
 * side's heartbeat word (L3), reads the bridge's state (L1), epoch (L2),
 * heartbeat (L3) and start tails (L4) (labels in ipc_proto.h), and writes
 * the liveness fields of proxy_t (zen_hb, zen_hb_next_ns, bridge_*,
 * lost_tail[], lost_tail_valid), stats (bridge_lost, bridge_epochs,
 * start_tails_*), and, on a loss or a new epoch, asks for a recovery pass
 * (rec_*: which jobs to end, which held slots to free).
 *
 * Before a recovery pass the completion ring is drained (the completion
 * handler, one packet per critical section, at most the ring's size), and
 * the bridge counts as online only while no pass is pending: a new epoch
 * goes online at the tick after the one that drained the ring and ran its
 * pass. The work over jobs follows in sections of at most ZEN_CFG_CRIT_BATCH
 * slots, the lock released in between: the recovery pass visits the
 * table from a cursor (rec_next) and ends or reclaims through
 * job_table.c (a reclaimed descriptor's cancel and handle words: write
 * once; stats.reclaimed); the deadline step ends the expired jobs taken
 * from the deadline heap, earliest first. So the time with interrupts
 * masked is bounded by ZEN_CFG_CRIT_BATCH jobs, never by the table, and a
 * tick with nothing expired looks at one job.
 *
 * What is online, lost and a new epoch, and what each does to the jobs,
 * is told step by step in docs/protocol.md ("Bridge loss and restart");
 * the steps are numbered the same here.
 */
#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

/* The bridge's heartbeat period, 0 for the default, within the bounds
 * (the default too: a build that sets it outside them gets the bound). */
static uint32_t clamp_period(uint32_t us)
{
    if (us == 0)
        us = ZEN_CFG_HB_PERIOD_US;
    if (us < ZEN_CFG_HB_PERIOD_MIN_US)
        return ZEN_CFG_HB_PERIOD_MIN_US;
    if (us > ZEN_CFG_HB_PERIOD_MAX_US)
        return ZEN_CFG_HB_PERIOD_MAX_US;
    return us;
}

/* The life-cycle flags of a published, unanswered job that has no final
 * status yet (in flight), and of a held slot: ended locally, not
 * answered. */
#define IN_FLIGHT (PJ_BUSY | PJ_PUBLISHED)
#define HELD      (PJ_BUSY | PJ_PUBLISHED | PJ_ENDED)

/* The job's ring: always ring 0 in a one-ring build. */
static uint32_t ring_of(const proxy_job_t *j)
{
    return ZEN_CFG_MAX_SQ == 1u ? 0u : j->ring;
}

/* The later of two positions of a free-running ring counter. */
static uint32_t later(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0 ? a : b;
}

/* Step 2: the bridge was lost: remember how far it had read each ring. */
static void snapshot_tails(proxy_t *p)
{
    for (uint32_t i = 0; i < pj_n_sq(p); i++) {
        (void)ipc_ring_free_count(&p->sq[i]); /* refreshes tail_seen (A2) */
        p->lost_tail[i] = p->sq[i].tail_seen;
    }
    p->lost_tail_valid = 1;
}

/* Ask for a recovery pass over the job table (steps 2, 5 and 6): end the
 * jobs in flight whose packets lie below end[] (NULL: the ring heads now,
 * below which every job in flight lies and no job published later does),
 * and, with tail, free the held slots whose packets lie below tail[]. A
 * pass still under way is widened (each bound the later of the two) and
 * restarts at slot 0, so that every slot is visited under the widened
 * bounds. The pass itself runs in proxy_tick(), ZEN_CFG_CRIT_BATCH slots
 * per critical section. Out of line: the loss and the new epoch share one
 * copy. */
static __attribute__((noinline)) void rec_request(proxy_t *p, const uint32_t *end, const uint32_t *tail)
{
    if (!p->lost_tail_valid)
        snapshot_tails(p); /* step 2, once per loss */
    bool fresh = p->rec_pending == 0u;
    if (fresh)
        p->rec_reclaim = 0;
    for (uint32_t i = 0; i < pj_n_sq(p); i++) {
        /* Every bound asked for earlier lies at or below the head now (a
         * head or a start tail then, and a head only moves on): the head
         * needs no later(). */
        uint32_t e = end ? end[i] : p->sq[i].head;
        p->rec_end[i] = fresh || !end ? e : later(p->rec_end[i], e);
        if (tail)
            p->rec_tail[i] = p->rec_reclaim ? later(p->rec_tail[i], tail[i]) : tail[i];
    }
    if (tail)
        p->rec_reclaim = 1;
    p->rec_pending = 1;
    p->rec_next = 0;
    p->stats.recoveries++;
}

/* Step 4: take the tails the new instance adopted at attach as the point
 * up to which the lost instances dequeued (lost_tail), if it published
 * them (IPC_FEAT_START_TAILS) and each lies within one ring of our head.
 * Returns whether it did. Called after the L2 acquire of the new epoch. */
static bool adopt_start_tails(proxy_t *p)
{
#if !ZEN_CFG_START_TAILS
    (void)p;
    return false; /* not built: our own snapshot decides */
#else
    ipc_side_t *b = &p->region.hdr->bridge;
    if (!(ipc_read_once(&b->features) & IPC_FEAT_START_TAILS)) /* L2: written before the epoch */
        return false;                                          /* a 1.0 bridge: our own snapshot decides */
    uint32_t start[IPC_MAX_SQ];
    for (uint32_t i = 0; i < pj_n_sq(p); i++) {
        start[i] = ipc_read_once(&b->sq_tail_at_start[i]); /* L4 */
        /* The tail can be at most one ring behind our head and never
         * ahead of it. */
        uint32_t behind = p->sq[i].head - start[i];
        if (behind > p->region.sq_slots) {
            p->stats.start_tails_bad++;
            ZEN_LOG(p->port, ZPORT_LOG_WARN,
                    "proxy: bridge epoch start tail of ring %u is %u, %u behind our head %u (limit %u): ignored",
                    (unsigned)i, (unsigned)start[i], (unsigned)behind, (unsigned)p->sq[i].head,
                    (unsigned)p->region.sq_slots);
            return false;
        }
    }
    for (uint32_t i = 0; i < pj_n_sq(p); i++)
        p->lost_tail[i] = start[i];
    p->lost_tail_valid = 1;
    p->stats.start_tails_used++;
    return true;
#endif
}

/* Step 6 for one slot: the lost instance had dequeued its packet, no
 * answer can come: free it. Should the packet be read again anyway, the
 * descriptor names no job (handle 0, cancel set): it is answered STALE and
 * never touches the tensor blocks we are about to free. */
static void reclaim_one(proxy_t *p, proxy_job_t *j, uint32_t slot)
{
    ipc_job_desc_t *d = ipc_region_job(&p->region, slot);
    ipc_write_once(&d->cancel, 1u);
    ipc_write_once(&d->handle, 0u);
    ipc_cache_clean(d, 32u);
    j->flags |= PJ_ANSWERED;
    if (p->n_held)
        p->n_held--;
    p->stats.reclaimed++;
    pj_release_if_done(p, j);
}

/* Steps 5 and 6 for one slot of a recovery pass. A job published after
 * the pass was asked for lies at or above every bound: untouched. */
static void rec_visit(proxy_t *p, uint32_t slot)
{
    proxy_job_t *j = &p->jobs[slot];
    ipc_in_register(j);
    uint32_t f = j->flags & (PJ_BUSY | PJ_PUBLISHED | PJ_ANSWERED | PJ_ENDED); /* read once */
    if (f == IN_FLIGHT) {
        if (!pj_below(j, p->rec_end[ring_of(j)]))
            return; /* published after the bound: neither ended nor held */
        pj_end(p, j, PROXY_E_BRIDGE_LOST, IPC_STATUS_COUNT);
        f = HELD; /* ended, still not answered */
    }
    if (f == HELD && p->rec_reclaim && pj_below(j, p->rec_tail[ring_of(j)]))
        reclaim_one(p, j, slot);
}

/* One critical section of a recovery pass (one is pending): at most
 * ZEN_CFG_CRIT_BATCH slots. A table of at most ZEN_CFG_CRIT_BATCH slots
 * is visited in one section (the bound is at or above max_jobs from any
 * cursor): the test folds. Returns the slots it visits. */
static uint32_t rec_step(proxy_t *p)
{
    uint32_t s = p->rec_next;
    uint32_t stop = s + ZEN_CFG_CRIT_BATCH; /* rec_next <= max_jobs <= 4096 */
    if (ZEN_CFG_MAX_JOBS <= ZEN_CFG_CRIT_BATCH || stop >= pj_max_jobs(p)) {
        stop = pj_max_jobs(p);
        p->rec_pending = 0; /* this section ends the pass */
    }
    p->rec_next = stop;
    uint32_t n = stop - s;
    for (; s < stop; s++)
        rec_visit(p, s);
    return n;
}

/* Steps 3-6: a new bridge epoch (after the L2 acquire of epoch). With
 * start tails, the jobs below them end and their slots are freed; without,
 * every job in flight ends and the held slots below lost_tail are freed.
 * The pass over the table runs after the watch (rec_step). */
static void new_epoch(proxy_t *p, uint32_t epoch)
{
    if (p->bridge_epoch != 0u) {
        ZEN_LOG(p->port, ZPORT_LOG_WARN, "proxy: bridge epoch %u replaced epoch %u: jobs in flight end BRIDGE_LOST",
                (unsigned)epoch, (unsigned)p->bridge_epoch);
    }
    const uint32_t *end = 0; /* the ring heads */
    if (epoch != 0u && adopt_start_tails(p))
        end = p->lost_tail;
    rec_request(p, end, p->lost_tail);
    p->lost_tail_valid = 0;
    p->stats.bridge_epochs += epoch != 0u; /* epoch 0: the bridge left, no new epoch */
    p->bridge_epoch = epoch;
    p->bridge_online = 0;
}

/* Our heartbeat (L3): one untorn store, read once by the bridge. */
static void beat(proxy_t *p, ipc_region_hdr_t *h, uint64_t now)
{
    if (!p->started || now < p->zen_hb_next_ns)
        return;
    p->zen_hb++;
    ipc_write_once(&h->zen.heartbeat, p->zen_hb); /* L3 */
    ipc_cache_clean(&h->zen.heartbeat, 4);
    p->zen_hb_next_ns = now + ipc_us_to_ns(p->hb_period_us);
}

/* The silence window in nanoseconds, (period * misses + slack) * 1000,
 * as two 32 x 32-bit products: period <= ZEN_CFG_HB_PERIOD_MAX_US. */
_Static_assert(ZEN_CFG_HB_MISSES <= 0xFFFFFFFFu / 1000u, "heartbeat misses: the window factor fits 32 bits");

/* Our heartbeat and the bridge watch (steps 1-6); critical section held.
 * Online only with no recovery pass pending: the ring was drained first
 * (proxy_tick, drain_answers). */
static void watch(proxy_t *p, ipc_region_hdr_t *h, uint64_t now)
{
    beat(p, h, now);
    ipc_cache_invalidate(&h->bridge, (uint32_t)sizeof(h->bridge));
    uint32_t state = ipc_load_acquire(&h->bridge.state);                    /* L1 */
    uint32_t epoch = ipc_load_acquire(&h->bridge.epoch);                    /* L2 */
    uint32_t hb = ipc_read_once(&h->bridge.heartbeat);                      /* L3 */
    uint32_t period = clamp_period(ipc_read_once(&h->bridge.hb_period_us)); /* after L1/L2 */
    uint64_t window = ipc_mul32(period, ZEN_CFG_HB_MISSES * 1000u) + ipc_us_to_ns(p->hb_slack_us);

    if (epoch != p->bridge_epoch) {
        new_epoch(p, epoch);
        p->bridge_hb = ~hb; /* a new epoch's heartbeat counts as moved */
    }
    if (hb != p->bridge_hb) {
        p->bridge_hb = hb;
        p->bridge_hb_ns = now;
    }

    /* Orphaned (step 2) and alive (step 1) exclude each other: a stale
     * heartbeat or an OFFLINE state is never online. */
    bool stale = now - p->bridge_hb_ns > window;
    bool alive = false;
    if (epoch != 0u && (stale || state == IPC_STATE_OFFLINE)) {
        /* Step 2, once per loss: no job is published while the bridge is
         * offline, so the jobs in flight now are all there will be. */
        if (!p->lost_tail_valid)
            rec_request(p, 0, 0);
    } else {
        alive = epoch != 0u && state == IPC_STATE_READY && !p->rec_pending; /* not stale here */
    }

    if (alive) {
        if (!p->bridge_online) {
            ZEN_LOG(p->port, ZPORT_LOG_INFO, "proxy: bridge epoch %u online (heartbeat period %u us)", (unsigned)epoch,
                    (unsigned)period);
        }
        p->lost_tail_valid = 0; /* the instance is serving: no snapshot of a loss */
    } else if (p->bridge_online) {
        p->stats.bridge_lost++;
        ZEN_LOG(p->port, ZPORT_LOG_WARN,
                "proxy: bridge epoch %u offline: state=%u, heartbeat still for %llu ns (limit %llu ns)",
                (unsigned)epoch, (unsigned)state, (unsigned long long)(now - p->bridge_hb_ns),
                (unsigned long long)window);
    }
    p->bridge_online = alive ? 1u : 0u;
}

/* Steps 2 and 3: before a recovery pass ends jobs, and before a new epoch
 * is taken online, consume what the completion ring holds, as the
 * completion context would: an answer the lost instance posted ends its
 * job as it would have (not BRIDGE_LOST, and never refused afterwards as
 * a duplicate of a reclaim). Before the first epoch this instance takes
 * online no job of ours is published, so an answer that a bridge pass
 * attached to an earlier ZENEDGE epoch posted after our restart names no
 * job of ours and is refused (docs/protocol.md). At most the ring's size
 * in packets, one per critical section (proxy_complete). */
static void drain_answers(proxy_t *p)
{
    (void)pj_complete_upto(p, p->region.cq_slots);
}

/* Step 7 for one critical section: end at most ZEN_CFG_CRIT_BATCH jobs
 * whose deadline passed, earliest first. Returns how many it ended
 * (ZEN_CFG_CRIT_BATCH: more may have). */
static uint32_t expire_step(proxy_t *p, uint64_t now)
{
    uint32_t n = 0;
    for (; n < ZEN_CFG_CRIT_BATCH; n++) {
        proxy_job_t *j = pj_dl_first(p);
        if (j == 0)
            break;
        ipc_in_register(j);
        if (now < j->deadline_ns)
            break;
        pj_end(p, j, pj_expiry_code(p), IPC_STATUS_COUNT); /* leaves the heap */
    }
    return n;
}

int proxy_tick(proxy_t *p)
{
    ipc_region_hdr_t *h = p ? p->region.hdr : 0; /* written by proxy_init() only */
    if (h == 0)
        return PROXY_E_INVAL;
    uint64_t now = zport_now_ns(p->port);
    uint32_t key = zport_crit_enter(p->port);
    uint32_t ended = p->n_ended;
    watch(p, h, now);
    bool pass = p->rec_pending != 0u;
    zport_crit_exit(p->port, key);
    if (pass)
        drain_answers(p);

    /* Steps 2, 5, 6: the recovery pass, if one is asked for, then step 7,
     * the deadlines: ZEN_CFG_CRIT_BATCH slots per critical section, with
     * the lock released in between. At most three walks of the table (two
     * for the recovery: a pass widened by another tick restarts, one for
     * the deadlines); what is left over continues at the next tick. The
     * last section counts the jobs that ended during the call. One
     * update of tick_slots_max counts the slots of either step. */
    uint32_t left = 3u * (pj_max_jobs(p) / ZEN_CFG_CRIT_BATCH + 1u);
    for (;;) {
        key = zport_crit_enter(p->port);
        bool more = true;
        uint32_t n;
        if (p->rec_pending) {
            n = rec_step(p);
        } else {
            n = expire_step(p, now);
            more = n == ZEN_CFG_CRIT_BATCH;
        }
        if (n > p->stats.tick_slots_max)
            p->stats.tick_slots_max = n;
        if (!more || --left == 0u)
            break;
        zport_crit_exit(p->port, key);
    }
    ended = p->n_ended - ended;
    zport_crit_exit(p->port, key);
    return (int)ended;
}
