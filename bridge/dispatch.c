/*
 * dispatch.c - zenedge-bridged's dispatch thread: wires the parts together
 * and runs the loop (overview in dispatch.h).
 *
 * Each part has its own state and file: heartbeat.c (its thread),
 * answers.c (completion ring, private answer queue, doorbell after
 * answers), attach.c (region), peer.c (doorbell connection), serve.c (one
 * serving pass: arbitrate, validate, answer or run), jobs.c (the job pool
 * and the backend: submit, collect, answer a job), arbitrate.c (pure ring
 * policy), stats.c (counters and their dump). This file only decides
 * when each runs.
 */
#include "dispatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answers.h"
#include "attach.h"
#include "bridge_errors.h"
#include "heartbeat.h"
#include "log.h"
#include "peer.h"
#include "serve.h"
#include "stats.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"
#include "zl.h"

#define UPKEEP_NS    20000000ull /* doorbell socket and timers: every 20 ms */
#define IDLE_WAIT_MS 50

typedef struct daemon {
    const bridge_config_t *cfg;
    const bridge_registry_t *reg;
    bridge_backend_t *be;
    bridge_signals_t *sig;

    bridge_stats_t st;
    bridge_heartbeat_t hb;
    bridge_answers_t ans;
    bridge_attach_t at;
    bridge_peer_t peer;
    bridge_serve_t serve;

    uint64_t start_ns, last_upkeep_ns, next_stats_ns;
} daemon_t;

/* A sign of life; while work waits on a backend that keeps every job,
 * only as of its last progress: the watchdog then stops the heartbeat of
 * a stuck backend as of a stuck dispatcher. */
static void alive(daemon_t *d)
{
    bridge_heartbeat_alive(&d->hb, bridge_serve_stalled_since(&d->serve));
}

static void doorbell(daemon_t *d, bool force)
{
    if (d->at.attached)
        bridge_answers_doorbell(&d->ans, force, d->at.notify_mode, d->peer.peer_efd, d->at.v.hdr);
}

static void dump(daemon_t *d, const char *reason)
{
    bridge_stats_now_t now = {.reason = reason, .attached = d->at.attached, .epoch = d->at.epoch, .pending = d->ans.n};
    now.uptime_ms = (zl_now_ns() - d->start_ns) / 1000000u;
    now.ring_corrupt_seen = d->ans.cq.corrupt;
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        now.ring_corrupt_seen += d->at.sq[r].corrupt;
    if (d->at.attached) {
        now.n_sq = d->at.v.n_sq;
        for (uint32_t r = 0; r < d->at.v.n_sq; r++)
            now.ring_fill[r] = ipc_ring_peek_fill(d->at.v.sq[r], d->at.v.sq_slots);
        now.cq_fill = ipc_ring_peek_fill(d->at.v.cq, d->at.v.cq_slots);
    }
    bridge_stats_dump(&d->st, d->reg, &now, d->cfg->stats_file);
}

static int attach(daemon_t *d)
{
    int rc = bridge_attach_try(&d->at, &d->ans, &d->hb);
    if (rc == BRIDGE_OK)
        bridge_peer_ring(&d->peer); /* a connected peer re-checks at once */
    return rc;
}

/* The heartbeat stops first; the backend gives its jobs back before the
 * mapping may go; queued answers are for a region that is gone. */
static void detach(daemon_t *d, const char *why, bool unmap)
{
    bridge_heartbeat_set_side(&d->hb, NULL);
    bridge_serve_drop_jobs(&d->serve);
    d->st.dropped_reinit += bridge_answers_discard(&d->ans);
    bridge_attach_detach(&d->at, why, unmap);
}

static bool work_ready(void *arg)
{
    daemon_t *d = arg;
    if (d->sig->stop || d->sig->dump || !d->at.attached)
        return d->sig->stop || d->sig->dump;
    if (ipc_read_once(&d->at.v.hdr->magic) != IPC_REGION_MAGIC ||
        ipc_read_once(&d->at.v.hdr->zen.epoch) != d->at.zen_epoch)
        return true;
    if (d->ans.n > 0 && ipc_ring_free_count(&d->ans.cq) > 0)
        return true;
    if (bridge_answers_room(&d->ans) == 0)
        return false;
    for (uint32_t r = 0; r < d->at.v.n_sq; r++)
        if (bridge_attach_sq_ready(&d->at, r) > 0)
            return true;
    return false;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* EINTR ends it early: fine */
}

static bool rings_empty(daemon_t *d)
{
    for (uint32_t r = 0; r < d->at.v.n_sq; r++)
        if (bridge_attach_sq_ready(&d->at, r) != 0)
            return false;
    return true;
}

static void shutdown_drain(daemon_t *d)
{
    ipc_side_t *me = &d->at.v.hdr->bridge;
    bridge_serve_stop(&d->serve);
    ipc_store_release(&me->state, IPC_STATE_STOPPING);
    BLOG_INFO("stopping: finishing jobs in flight, answering queued jobs %s", ipc_status_name(IPC_STATUS_SHUTDOWN));
    uint64_t until = zl_now_ns() + (uint64_t)d->cfg->drain_timeout_ms * 1000000u;
    while (d->be->ops->in_flight(d->be) > 0 && zl_now_ns() < until)
        bridge_serve_collect(&d->serve, 10);
    for (;;) {
        alive(d);
        uint32_t work = bridge_serve_pass(&d->serve);
        bridge_answers_flush(&d->ans);
        doorbell(d, false);
        if (rings_empty(d) && d->ans.n == 0 && !bridge_serve_busy(&d->serve))
            break;
        if (zl_now_ns() >= until) {
            BLOG_WARN("stopping: %u answers still queued after %u ms (completion ring full: is the ZENEDGE side "
                      "alive?); given up",
                      d->ans.n, d->cfg->drain_timeout_ms);
            break;
        }
        if (work == 0)
            sleep_ms(1);
    }
    bridge_heartbeat_set_side(&d->hb, NULL);
    ipc_store_release(&me->state, IPC_STATE_OFFLINE);
    ipc_cache_clean(me, IPC_CACHELINE);
    doorbell(d, true); /* lets a sleeping ZENEDGE side see OFFLINE now */
    BLOG_INFO("state OFFLINE (bridge epoch %u)", d->at.epoch);
}

/* Signals, statistics timer, idle exit, doorbell upkeep. Returns false
 * when the daemon should stop (--exit-after-idle-s). */
static bool timers(daemon_t *d)
{
    const bridge_config_t *cfg = d->cfg;
    uint64_t now = zl_now_ns();
    if (d->sig->dump) {
        d->sig->dump = 0;
        dump(d, "SIGUSR1");
    }
    if (d->next_stats_ns && now >= d->next_stats_ns) {
        d->next_stats_ns = now + (uint64_t)cfg->stats_interval_s * 1000000000ull;
        dump(d, "interval");
    }
    if (cfg->exit_after_idle_s && now - d->serve.last_packet_ns > (uint64_t)cfg->exit_after_idle_s * 1000000000ull) {
        BLOG_INFO("no packet for %u s (--exit-after-idle-s): stopping", cfg->exit_after_idle_s);
        return false;
    }
    if (now - d->last_upkeep_ns > UPKEEP_NS) {
        d->last_upkeep_ns = now;
        bridge_peer_upkeep(&d->peer, d->at.epoch);
    }
    return true;
}

static void serve_loop(daemon_t *d)
{
    const bridge_config_t *cfg = d->cfg;
    while (!d->sig->stop) {
        alive(d);
        if (!timers(d))
            break;
        if (!d->at.attached) {
            if (attach(d) != BRIDGE_OK)
                sleep_ms(50);
            continue;
        }
        char why[256];
        bool unmap;
        if (bridge_attach_changed(&d->at, why, sizeof(why), &unmap)) {
            detach(d, why, unmap);
            continue;
        }
        uint32_t work = bridge_serve_pass(&d->serve);
        bridge_answers_flush(&d->ans);
        doorbell(d, false);
        if (work == 0) {
            /* Never sleep long while the backend holds jobs: they are
             * collected on the next pass. */
            bool busy = bridge_serve_busy(&d->serve);
            int r = zl_db_idle_wait(cfg->doorbell, d->peer.efd, &d->at.v.hdr->bridge, (uint64_t)cfg->spin_us * 1000u,
                                    (d->ans.n || busy) ? 1 : IDLE_WAIT_MS, work_ready, d);
            if (r < 0 && r != -EINTR)
                BLOG_DEBUG("idle wait: %s", strerror(-r));
        }
    }
}

static int setup(daemon_t *d)
{
    int rc = bridge_serve_init(&d->serve, d->cfg, d->reg, d->be, &d->st, &d->ans, &d->at);
    if (rc != BRIDGE_OK)
        return rc;
    if (bridge_transport_guard_install() != BRIDGE_OK)
        BLOG_WARN("SIGBUS guard not installed: %s", strerror(errno));
    rc = bridge_peer_open(&d->peer);
    if (rc != BRIDGE_OK)
        return rc;
    return bridge_heartbeat_start(&d->hb);
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
    bridge_stats_init(&d->st);
    bridge_heartbeat_init(&d->hb, cfg->hb_period_us, cfg->watchdog_ms);
    bridge_answers_init(&d->ans, &d->st);
    bridge_attach_init(&d->at, cfg, &d->st);
    bridge_peer_init(&d->peer, cfg, &d->st);
    d->start_ns = zl_now_ns();
    d->next_stats_ns = cfg->stats_interval_s ? d->start_ns + (uint64_t)cfg->stats_interval_s * 1000000000ull : 0;

    int rc = setup(d);
    if (rc == BRIDGE_OK) {
        serve_loop(d);
        char why[256];
        bool unmap;
        if (d->at.attached && bridge_attach_changed(&d->at, why, sizeof(why), &unmap))
            BLOG_WARN("stopping: region no longer ours (%s): nothing to answer", why);
        else if (d->at.attached)
            shutdown_drain(d);
    }
    bridge_heartbeat_fini(&d->hb);
    dump(d, "exit");
    bridge_peer_close(&d->peer);
    bridge_attach_fini(&d->at);
    bridge_answers_free(&d->ans);
    bridge_serve_fini(&d->serve);
    free(d);
    return rc;
}
