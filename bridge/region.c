/* SPDX-License-Identifier: BSD-3-Clause */
/* region.c - one region served by zenedge-bridged (region.h): the
 * per-region steps of the dispatch loop (dispatch.c). */
#include "region.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bridge_errors.h"
#include "log.h"
#include "transport.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"
#include "zl.h"

#define UPKEEP_NS 20000000ull /* doorbell socket and timers: every 20 ms */

void bridge_region_init(bridge_region_t *r, const char *name, const bridge_config_t *cfg, const bridge_registry_t *reg,
                        bridge_backend_t *be)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
    if (r->name[0])
        snprintf(r->prefix, sizeof(r->prefix), "region %s: ", r->name);
    r->cfg = *cfg;
    r->reg = reg;
    r->be = be;
    bridge_stats_init(&r->st);
    bridge_heartbeat_init(&r->hb, r->cfg.hb_period_us, r->cfg.watchdog_ms);
    r->hb.log_prefix = r->prefix;
    bridge_answers_init(&r->ans, &r->st);
    bridge_attach_init(&r->at, &r->cfg, &r->st);
    bridge_peer_init(&r->peer, &r->cfg, &r->st);
    r->start_ns = zl_now_ns();
}

int bridge_region_setup(bridge_region_t *r, int shared_efd)
{
    int rc = bridge_serve_init(&r->serve, &r->cfg, r->reg, r->be, &r->st, &r->ans, &r->at);
    if (rc != BRIDGE_OK)
        return rc;
    r->peer.shared_efd = shared_efd;
    rc = bridge_peer_open(&r->peer);
    if (rc != BRIDGE_OK)
        return rc;
    return bridge_heartbeat_start(&r->hb);
}

/* A sign of life; while work waits on a backend that keeps every job,
 * only as of its last progress: the watchdog then stops the heartbeat of
 * a stuck backend as of a stuck dispatcher. */
void bridge_region_alive(bridge_region_t *r)
{
    bridge_heartbeat_alive(&r->hb, bridge_serve_stalled_since(&r->serve));
}

static void doorbell(bridge_region_t *r, bool force)
{
    if (r->at.attached)
        bridge_answers_doorbell(&r->ans, force, r->at.notify_mode, r->peer.peer_efd, r->at.v.hdr);
}

void bridge_region_now(const bridge_region_t *r, const char *reason, bridge_stats_now_t *now)
{
    memset(now, 0, sizeof(*now));
    now->reason = reason;
    now->attached = r->at.attached;
    now->epoch = r->at.epoch;
    now->pending = r->ans.n;
    now->uptime_ms = (zl_now_ns() - r->start_ns) / 1000000u;
    now->ring_corrupt_seen = r->ans.cq.corrupt;
    for (uint32_t q = 0; q < IPC_MAX_SQ; q++)
        now->ring_corrupt_seen += r->at.sq[q].corrupt;
    if (r->at.attached) {
        now->n_sq = r->at.v.n_sq;
        for (uint32_t q = 0; q < r->at.v.n_sq; q++)
            now->ring_fill[q] = ipc_ring_peek_fill(r->at.v.sq[q], r->at.v.sq_slots);
        now->cq_fill = ipc_ring_peek_fill(r->at.v.cq, r->at.v.cq_slots);
    }
}

void bridge_region_dump(bridge_region_t *r, const char *reason, const char *stats_file)
{
    bridge_stats_now_t now;
    bridge_region_now(r, reason, &now);
    bridge_stats_dump(&r->st, r->reg, &now, stats_file);
}

/* The heartbeat stops first; the backend gives its jobs back before the
 * mapping may go; queued answers are for a region that is gone. */
static void detach(bridge_region_t *r, const char *why, bool unmap)
{
    bridge_heartbeat_set_side(&r->hb, NULL);
    bridge_serve_drop_jobs(&r->serve);
    r->st.dropped_reinit += bridge_answers_discard(&r->ans);
    bridge_attach_detach(&r->at, why, unmap);
}

bool bridge_region_work_ready(bridge_region_t *r)
{
    if (!r->at.attached)
        return false;
    if (ipc_read_once(&r->at.v.hdr->magic) != IPC_REGION_MAGIC ||
        ipc_read_once(&r->at.v.hdr->zen.epoch) != r->at.zen_epoch)
        return true;
    if (r->ans.n > 0 && ipc_ring_free_count(&r->ans.cq) > 0)
        return true;
    if (r->be->ops->finished && r->be->ops->finished(r->be) > 0)
        return true; /* a finished job to answer */
    if (bridge_answers_room(&r->ans) == 0)
        return false;
    for (uint32_t q = 0; q < r->at.v.n_sq; q++)
        if (bridge_attach_sq_ready(&r->at, q) > 0)
            return true;
    return false;
}

bool bridge_region_busy(const bridge_region_t *r)
{
    return r->ans.n > 0 || bridge_serve_busy(&r->serve);
}

void bridge_region_upkeep(bridge_region_t *r, uint64_t now)
{
    if (now - r->last_upkeep_ns > UPKEEP_NS) {
        r->last_upkeep_ns = now;
        bridge_peer_upkeep(&r->peer, r->at.epoch);
    }
}

uint32_t bridge_region_step(bridge_region_t *r, int *what)
{
    if (!r->at.attached) {
        int rc = bridge_attach_try(&r->at, &r->ans, &r->hb);
        if (rc == BRIDGE_OK)
            bridge_peer_ring(&r->peer); /* a connected peer re-checks at once */
        *what = rc == BRIDGE_OK ? BRIDGE_REGION_CHANGED : BRIDGE_REGION_NOT_YET;
        return 0;
    }
    char why[256];
    bool unmap;
    if (bridge_attach_changed(&r->at, why, sizeof(why), &unmap)) {
        detach(r, why, unmap);
        *what = BRIDGE_REGION_CHANGED;
        return 0;
    }
    *what = BRIDGE_REGION_SERVED;
    uint32_t work = bridge_serve_pass(&r->serve);
    bridge_answers_flush(&r->ans);
    doorbell(r, false);
    return work;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* EINTR ends it early: fine */
}

static bool rings_empty(bridge_region_t *r)
{
    for (uint32_t q = 0; q < r->at.v.n_sq; q++)
        if (bridge_attach_sq_ready(&r->at, q) != 0)
            return false;
    return true;
}

static void shutdown_drain(bridge_region_t *r)
{
    ipc_side_t *me = &r->at.v.hdr->bridge;
    bridge_serve_stop(&r->serve);
    ipc_store_release(&me->state, IPC_STATE_STOPPING);
    BLOG_INFO("stopping: finishing jobs in flight, answering queued jobs %s", ipc_status_name(IPC_STATUS_SHUTDOWN));
    uint64_t until = zl_now_ns() + (uint64_t)r->cfg.drain_timeout_ms * 1000000u;
    while (r->be->ops->in_flight(r->be) > 0 && zl_now_ns() < until)
        bridge_serve_collect(&r->serve, 10);
    for (;;) {
        bridge_region_alive(r);
        uint32_t work = bridge_serve_pass(&r->serve);
        bridge_answers_flush(&r->ans);
        doorbell(r, false);
        if (rings_empty(r) && r->ans.n == 0 && !bridge_serve_busy(&r->serve))
            break;
        if (zl_now_ns() >= until) {
            BLOG_WARN("stopping: %u answers still queued after %u ms (completion ring full: is the ZENEDGE side "
                      "alive?); given up",
                      r->ans.n, r->cfg.drain_timeout_ms);
            break;
        }
        if (work == 0)
            sleep_ms(1);
    }
    bridge_heartbeat_set_side(&r->hb, NULL);
    ipc_store_release(&me->state, IPC_STATE_OFFLINE);
    ipc_cache_clean(me, IPC_CACHELINE);
    doorbell(r, true); /* lets a sleeping ZENEDGE side see OFFLINE now */
    BLOG_INFO("state OFFLINE (bridge epoch %u)", r->at.epoch);
}

void bridge_region_stop(bridge_region_t *r)
{
    char why[256];
    bool unmap;
    if (r->at.attached && bridge_attach_changed(&r->at, why, sizeof(why), &unmap))
        BLOG_WARN("stopping: region no longer ours (%s): nothing to answer", why);
    else if (r->at.attached)
        shutdown_drain(r);
}

void bridge_region_hb_stop(bridge_region_t *r)
{
    bridge_heartbeat_fini(&r->hb);
}

void bridge_region_fini(bridge_region_t *r)
{
    bridge_peer_close(&r->peer);
    bridge_attach_fini(&r->at);
    bridge_answers_free(&r->ans);
    bridge_serve_fini(&r->serve);
}
