/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dispatch.c - zenedge-bridged's dispatch thread: wires the parts together
 * and runs the loop (overview in dispatch.h).
 *
 * Each part has its own state and file: region.c (everything per region:
 * attach, doorbell peer, answers, serving pass, heartbeat, statistics),
 * bmux.c (one backend shared by several regions, in front of it the
 * arbiter across regions, xarb.c). This file only decides when each runs:
 * one region as the daemon always did, or several in turn.
 */
#include "dispatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bmux.h"
#include "bridge_errors.h"
#include "log.h"
#include "region.h"
#include "region_stats.h"
#include "zenedge/barrier.h"
#include "zl.h"

#define IDLE_WAIT_MS 50

typedef struct daemon {
    const bridge_config_t *cfg;
    const bridge_registry_t *reg;
    bridge_backend_t *be;
    bridge_signals_t *sig;
    uint32_t n;         /* regions */
    uint32_t n_init;    /* regions set up so far (bridge_region_init) */
    bridge_region_t *r; /* [n] */
    bridge_bmux_t *mx;  /* several regions: the shared backend; NULL for one */
    int efd;            /* several regions: the eventfd every doorbell rings; -1 */
    uint64_t start_ns, next_stats_ns;
} daemon_t;

static void log_region(const bridge_region_t *r)
{
    bridge_log_set_prefix(r ? r->prefix : "");
}

static void dump(daemon_t *d, const char *reason)
{
    if (d->mx == NULL) {
        bridge_region_dump(&d->r[0], reason, d->cfg->stats_file);
        return;
    }
    for (uint32_t i = 0; i < d->n; i++) {
        log_region(&d->r[i]);
        bridge_region_dump(&d->r[i], reason, NULL);
    }
    log_region(NULL);
    bridge_regions_stats_dump(d->r, d->n, d->mx, reason, d->cfg->stats_file);
}

static bool work_ready(void *arg)
{
    daemon_t *d = arg;
    if (d->sig->stop || d->sig->dump)
        return true;
    for (uint32_t i = 0; i < d->n; i++)
        if (bridge_region_work_ready(&d->r[i]))
            return true;
    return d->mx != NULL && d->mx->real->ops->finished && d->mx->real->ops->finished(d->mx->real) > 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* EINTR ends it early: fine */
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
    uint64_t last = 0;
    for (uint32_t i = 0; i < d->n; i++)
        last = d->r[i].serve.last_packet_ns > last ? d->r[i].serve.last_packet_ns : last;
    if (cfg->exit_after_idle_s && now - last > (uint64_t)cfg->exit_after_idle_s * 1000000000ull) {
        BLOG_INFO("no packet for %u s (--exit-after-idle-s): stopping", cfg->exit_after_idle_s);
        return false;
    }
    for (uint32_t i = 0; i < d->n; i++) {
        log_region(&d->r[i]);
        bridge_region_upkeep(&d->r[i], now);
    }
    log_region(NULL);
    return true;
}

/* One region: the loop the daemon always ran. */
static void serve_loop(daemon_t *d)
{
    const bridge_config_t *cfg = d->cfg;
    bridge_region_t *r = &d->r[0];
    while (!d->sig->stop) {
        bridge_region_alive(r);
        if (!timers(d))
            break;
        int what;
        uint32_t work = bridge_region_step(r, &what);
        if (what == BRIDGE_REGION_NOT_YET)
            sleep_ms(50);
        if (what != BRIDGE_REGION_SERVED || work != 0)
            continue;
        /* Never sleep long while the backend holds jobs: they are
         * collected on the next pass. A backend that rings our doorbell
         * when a job finishes (set_wake) wakes us itself. */
        bool busy = bridge_serve_busy(&r->serve) && d->be->ops->set_wake == NULL;
        int rc = zl_db_idle_wait(cfg->doorbell, r->peer.efd, &r->at.v.hdr->bridge, (uint64_t)cfg->spin_us * 1000u,
                                 (r->ans.n || busy) ? 1 : IDLE_WAIT_MS, work_ready, d);
        if (rc < 0 && rc != -EINTR)
            BLOG_DEBUG("idle wait: %s", strerror(-rc));
    }
}

/* Several regions: each sleeps as its doorbell mode says (poll: never;
 * adaptive: after spin-us, announced in its header; eventfd), all on the
 * one eventfd their ZENEDGE sides and the backend ring. */
static void idle_many(daemon_t *d, int timeout_ms)
{
    bool poll = false;
    uint64_t spin = 0, until = zl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (uint32_t i = 0; i < d->n; i++) {
        poll |= d->r[i].cfg.doorbell == IPC_DB_POLL;
        if (d->r[i].cfg.doorbell == IPC_DB_ADAPTIVE && d->r[i].cfg.spin_us * 1000ull > spin)
            spin = d->r[i].cfg.spin_us * 1000ull;
    }
    uint64_t spin_end = poll ? until : zl_now_ns() + spin;
    for (uint32_t k = 0; zl_now_ns() < spin_end; k++) {
        if (work_ready(d))
            return;
        ipc_cpu_relax();
    }
    if (poll || d->efd < 0)
        return;
    for (uint32_t i = 0; i < d->n; i++)
        if (d->r[i].at.attached && d->r[i].at.notify_mode == IPC_DB_ADAPTIVE)
            ipc_sleep_announce(&d->r[i].at.v.hdr->bridge); /* W1 */
    if (!work_ready(d))
        zl_db_wait(d->efd, timeout_ms);
    for (uint32_t i = 0; i < d->n; i++)
        if (d->r[i].at.attached && d->r[i].at.notify_mode == IPC_DB_ADAPTIVE)
            ipc_sleep_cancel(&d->r[i].at.v.hdr->bridge);
}

/* Signs of life. A region over its budget waits on its contract, not on
 * a stuck backend: its heartbeat goes on (the serving pass's stall
 * watch, serve.h, would otherwise stop it). */
static void alive_many(daemon_t *d)
{
    uint64_t now = zl_now_ns();
    for (uint32_t i = 0; i < d->n; i++) {
        if (bridge_xarb_over_budget(&d->mx->arb, i, now))
            bridge_heartbeat_alive(&d->r[i].hb, now);
        else
            bridge_region_alive(&d->r[i]);
    }
}

static void serve_many(daemon_t *d)
{
    while (!d->sig->stop) {
        alive_many(d);
        if (!timers(d))
            break;
        uint32_t work = bridge_bmux_pump(d->mx, 0);
        bool busy = false;
        for (uint32_t i = 0; i < d->n; i++) {
            int what;
            log_region(&d->r[i]);
            work += bridge_region_step(&d->r[i], &what);
            work += what == BRIDGE_REGION_CHANGED;
            busy |= d->r[i].ans.n > 0 || (bridge_serve_busy(&d->r[i].serve) && d->be->ops->set_wake == NULL);
        }
        log_region(NULL);
        if (work != 0)
            continue;
        int wait_ms = busy ? 1 : IDLE_WAIT_MS;
        uint64_t now = zl_now_ns(), refill = bridge_xarb_next_refill(&d->mx->arb, now);
        if (refill != UINT64_MAX && (refill - now) / 1000000u < (uint64_t)wait_ms)
            wait_ms = (int)((refill - now) / 1000000u) + 1;
        idle_many(d, wait_ms);
    }
}

/* Several regions: the shared backend's views, the arbiter's contracts,
 * the one eventfd. Returns BRIDGE_OK, BRIDGE_E_NOMEM, BRIDGE_E_CONFIG or
 * BRIDGE_E_DOORBELL. */
static int setup_many(daemon_t *d)
{
    char err[512];
    d->mx = calloc(1, sizeof(*d->mx));
    if (d->mx == NULL)
        return BRIDGE_E_NOMEM;
    int rc = bridge_bmux_init(d->mx, d->be, d->cfg->queue_depth, d->n, d->cfg->queue_depth);
    if (rc != BRIDGE_OK)
        return rc;
    for (uint32_t i = 0; i < d->n; i++) {
        const bridge_region_spec_t *sp = &d->cfg->regions[i];
        bridge_config_t rc_cfg;
        rc = bridge_config_region_build(d->cfg, i, &rc_cfg, err, sizeof(err));
        if (rc != BRIDGE_OK) {
            BLOG_ERR("%s", err);
            return rc;
        }
        bridge_region_init(&d->r[i], sp->name, &rc_cfg, d->reg, bridge_bmux_view(d->mx, i));
        d->n_init = i + 1u;
        bridge_xarb_contract(&d->mx->arb, i, sp->share, sp->max_class, (uint64_t)sp->budget_us * 1000u,
                             (uint64_t)sp->period_ms * 1000000u);
        BLOG_INFO("region %s: %s%s, share %u, classes up to %s, budget %s", sp->name, rc_cfg.shm[0] ? "shm " : "file ",
                  rc_cfg.shm[0] ? rc_cfg.shm : rc_cfg.file, sp->share ? sp->share : 1u,
                  bridge_config_class_name(sp->max_class), sp->budget_us ? "set" : "none");
        if (sp->budget_us)
            BLOG_INFO("region %s: at most %u us of device time per %u ms", sp->name, sp->budget_us, sp->period_ms);
    }
    d->efd = zl_db_create();
    if (d->efd < 0) {
        BLOG_ERR("eventfd: %s", strerror(-d->efd));
        return BRIDGE_E_DOORBELL;
    }
    return BRIDGE_OK;
}

static int setup(daemon_t *d)
{
    if (d->cfg->n_regions == 0) {
        bridge_region_init(&d->r[0], "", d->cfg, d->reg, d->be);
        d->n_init = 1;
    } else {
        int rc = setup_many(d);
        if (rc != BRIDGE_OK)
            return rc;
    }
    if (bridge_transport_guard_install() != BRIDGE_OK)
        BLOG_WARN("SIGBUS guard not installed: %s", strerror(errno));
    for (uint32_t i = 0; i < d->n; i++) {
        log_region(&d->r[i]);
        int rc = bridge_region_setup(&d->r[i], d->efd);
        log_region(NULL);
        if (rc != BRIDGE_OK)
            return rc;
    }
    int wake = d->mx ? d->efd : d->r[0].peer.efd;
    if (d->be->ops->set_wake)
        d->be->ops->set_wake(d->be, wake); /* a finished job wakes the idle wait */
    return BRIDGE_OK;
}

static void teardown(daemon_t *d)
{
    d->n = d->n_init; /* the others were never set up */
    for (uint32_t i = 0; i < d->n; i++) {
        log_region(&d->r[i]);
        bridge_region_hb_stop(&d->r[i]);
    }
    log_region(NULL);
    if (d->n > 0 && (d->mx == NULL || d->n == d->mx->n))
        dump(d, "exit");
    if (d->be->ops->set_wake)
        d->be->ops->set_wake(d->be, -1); /* before the doorbell closes */
    for (uint32_t i = 0; i < d->n; i++) {
        log_region(&d->r[i]);
        bridge_region_fini(&d->r[i]);
    }
    log_region(NULL);
    if (d->mx)
        bridge_bmux_fini(d->mx);
    free(d->mx);
    if (d->efd >= 0)
        close(d->efd);
    free(d->r);
    free(d);
}

int bridge_dispatch_run(const bridge_config_t *cfg, const bridge_registry_t *reg, bridge_backend_t *be,
                        bridge_signals_t *sig)
{
    daemon_t *d = calloc(1, sizeof(*d));
    uint32_t n = cfg->n_regions ? cfg->n_regions : 1u;
    if (d == NULL || (d->r = calloc(n, sizeof(*d->r))) == NULL) {
        free(d);
        return BRIDGE_E_NOMEM;
    }
    d->cfg = cfg;
    d->reg = reg;
    d->be = be;
    d->sig = sig;
    d->n = n;
    d->efd = -1;
    d->start_ns = zl_now_ns();
    d->next_stats_ns = cfg->stats_interval_s ? d->start_ns + (uint64_t)cfg->stats_interval_s * 1000000000ull : 0;

    int rc = setup(d);
    if (rc == BRIDGE_OK) {
        if (d->mx)
            serve_many(d);
        else
            serve_loop(d);
        for (uint32_t i = 0; i < d->n; i++) {
            log_region(&d->r[i]);
            bridge_region_stop(&d->r[i]);
        }
        log_region(NULL);
    }
    teardown(d);
    return rc;
}
