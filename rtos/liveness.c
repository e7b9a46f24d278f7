/*
 * liveness.c - heartbeats, bridge epochs and deadlines (proxy_tick).
 * Freestanding: no libc.
 *
 * The bridge is "online" (submissions accepted) while its state is READY,
 * its epoch is not 0 and its heartbeat moved within
 * ZEN_CFG_HB_MISSES * period + slack, where period is the bridge's own
 * promise clamped to [ZEN_CFG_HB_PERIOD_MIN_US, ZEN_CFG_HB_PERIOD_MAX_US].
 * It is "lost" when the heartbeat is stale or the state is OFFLINE: every
 * job in flight then ends with PROXY_E_BRIDGE_LOST at once. A STOPPING
 * bridge is offline for new work but still answers what it holds. A new
 * epoch ends the jobs the previous instance held (with the start tails the
 * new instance published, those whose packets were dequeued before them;
 * without, every job in flight) and reclaims the slots of jobs that ended
 * locally and whose packets the lost instance had dequeued (see proxy.h).
 */
#include "proxy.h"

#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

static uint32_t clamp_period(uint32_t us)
{
    if (us == 0)
        return ZEN_CFG_HB_PERIOD_US;
    if (us < ZEN_CFG_HB_PERIOD_MIN_US)
        return ZEN_CFG_HB_PERIOD_MIN_US;
    if (us > ZEN_CFG_HB_PERIOD_MAX_US)
        return ZEN_CFG_HB_PERIOD_MAX_US;
    return us;
}

/* Our heartbeat and the bridge watch; critical section held. */
static void watch(proxy_t *p, uint64_t now)
{
    ipc_region_hdr_t *h = p->region.hdr;

    if (p->started && now >= p->zen_hb_next_ns) {
        p->zen_hb++;
        ipc_write_once(&h->zen.heartbeat, p->zen_hb);   /* read once by the bridge */
        ipc_cache_clean(&h->zen.heartbeat, 4);
        p->zen_hb_next_ns = now + (uint64_t)p->hb_period_us * 1000u;
    }

    ipc_cache_invalidate(&h->bridge, (uint32_t)sizeof(h->bridge));
    /* Acquire on state and epoch: they publish the bridge's other words. */
    uint32_t state = ipc_load_acquire(&h->bridge.state);
    uint32_t epoch = ipc_load_acquire(&h->bridge.epoch);
    uint32_t hb = ipc_read_once(&h->bridge.heartbeat);
    uint32_t period = clamp_period(ipc_read_once(&h->bridge.hb_period_us));
    uint64_t window = ((uint64_t)period * ZEN_CFG_HB_MISSES + p->hb_slack_us) * 1000u;

    if (epoch != p->bridge_epoch) {
        if (p->bridge_epoch != 0u) {
            zport_log(p->port, ZPORT_LOG_WARN,
                      "proxy: bridge epoch %u replaced epoch %u: jobs in flight end BRIDGE_LOST",
                      (unsigned)epoch, (unsigned)p->bridge_epoch);
        }
        /* After the acquire of epoch above. With the tails the new
         * instance adopted, only the jobs an earlier instance had dequeued
         * are lost; the packets still in a ring are the new instance's
         * and their jobs go on. Without them, every job in flight ends. */
        if (epoch != 0u && pj_adopt_start_tails(p))
            pj_end_dequeued_inflight(p, PROXY_E_BRIDGE_LOST);
        else
            pj_end_all_inflight(p, PROXY_E_BRIDGE_LOST);
        pj_reclaim_reserved(p);
        if (epoch != 0u)
            p->stats.bridge_epochs++;
        p->bridge_epoch = epoch;
        p->bridge_hb = hb;
        p->bridge_hb_ns = now;
        p->bridge_online = 0;
    } else if (hb != p->bridge_hb) {
        p->bridge_hb = hb;
        p->bridge_hb_ns = now;
    }

    bool stale = now - p->bridge_hb_ns > window;
    bool alive = epoch != 0u && state == IPC_STATE_READY && !stale;
    bool orphaned = epoch != 0u && (stale || state == IPC_STATE_OFFLINE);

    if (alive && !p->bridge_online) {
        zport_log(p->port, ZPORT_LOG_INFO, "proxy: bridge epoch %u online (heartbeat period %u us)",
                  (unsigned)epoch, (unsigned)period);
    }
    if (orphaned && !p->lost_tail_valid)
        pj_snapshot_tails(p);
    if (!alive && p->bridge_online) {
        p->stats.bridge_lost++;
        zport_log(p->port, ZPORT_LOG_WARN,
                  "proxy: bridge epoch %u offline: state=%u, heartbeat still for %llu ns (limit %llu ns)",
                  (unsigned)epoch, (unsigned)state, (unsigned long long)(now - p->bridge_hb_ns),
                  (unsigned long long)window);
    }
    if (alive)
        p->lost_tail_valid = 0;   /* the instance is serving: no snapshot of a loss */
    p->bridge_online = alive ? 1u : 0u;
    if (orphaned)
        pj_end_all_inflight(p, PROXY_E_BRIDGE_LOST);
}

int proxy_tick(proxy_t *p)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint64_t now = zport_now_ns(p->port);
    uint32_t key = zport_crit_enter(p->port);
    uint32_t ended_before = 0;
    for (uint32_t k = 0; k < PROXY_END_COUNT; k++)
        ended_before += p->stats.ended[k];
    watch(p, now);
    zport_crit_exit(p->port, key);

    /* Deadlines: one short critical section per slot keeps the time with
     * interrupts masked bounded by one job, not by the table. */
    for (uint32_t s = 0; s < p->max_jobs; s++) {
        key = zport_crit_enter(p->port);
        proxy_job_t *j = &p->jobs[s];
        if ((j->flags & (PJ_BUSY | PJ_PUBLISHED | PJ_ENDED)) == (PJ_BUSY | PJ_PUBLISHED) &&
            now >= j->deadline_ns)
            pj_end(p, j, pj_expiry_code(p), IPC_STATUS_COUNT);
        zport_crit_exit(p->port, key);
    }

    key = zport_crit_enter(p->port);
    uint32_t ended_after = 0;
    for (uint32_t k = 0; k < PROXY_END_COUNT; k++)
        ended_after += p->stats.ended[k];
    zport_crit_exit(p->port, key);
    return (int)(ended_after - ended_before);
}
