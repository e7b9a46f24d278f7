/* SPDX-License-Identifier: BSD-3-Clause */
/* attach.c - attaching zenedge-bridged to the region (attach.h). */
#include "attach.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bridge_errors.h"
#include "log.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_doorbell.h"
#include "zenedge/ipc_errors.h"
#include "zl.h"

#define REPLACE_NS     500000000ull   /* re-created shm object check: every 0.5 s */
#define FLAP_STABLE_NS 10000000000ull /* an attach this long resets the flap back-off */
#define FLAP_MIN_NS    10000000ull    /* first delay after a short attach */
#define FLAP_MAX_NS    5000000000ull  /* the longest */
#define SQ_BACKOFF_MIN 1000000ull     /* corrupt submission ring: first pause */
#define SQ_BACKOFF_MAX 1000000000ull  /* the longest */

void bridge_attach_init(bridge_attach_t *at, const bridge_config_t *cfg, bridge_stats_t *st)
{
    memset(at, 0, sizeof(*at));
    at->cfg = cfg;
    at->st = st;
    at->tr.map.fd = -1;
}

/* One log line per waiting state, not one per attempt. */
static void wait_msg(bridge_attach_t *at, bridge_log_level_t lvl, const char *msg)
{
    if (strcmp(at->last_wait_msg, msg) == 0)
        return;
    snprintf(at->last_wait_msg, sizeof(at->last_wait_msg), "%s", msg);
    bridge_log(lvl, "%s", msg);
}

static void unmap_or_retire(bridge_attach_t *at);

/* A mapping that faulted (zero pages now) or whose object was removed or
 * re-created while we waited is useless: map the name again. */
static int map_region(bridge_attach_t *at)
{
    char msg[2048];
    if (at->tr.mapped) {
        bool faulted = bridge_transport_faulted(&at->tr);
        uint64_t now = zl_now_ns();
        bool replaced = false;
        if (!faulted && now - at->last_replace_ns > REPLACE_NS) {
            at->last_replace_ns = now;
            replaced = bridge_transport_replaced(&at->tr, at->cfg);
        }
        if (faulted || replaced) {
            BLOG_INFO("%s %s while waiting: mapping it again", at->tr.what,
                      faulted ? "shrank under the mapping (SIGBUS caught)" : "was removed or re-created");
            unmap_or_retire(at);
        }
    }
    if (at->tr.mapped)
        return BRIDGE_OK;
    int e = 0;
    int rc = bridge_transport_open(&at->tr, at->cfg, &e);
    if (rc == BRIDGE_E_NOT_READY) {
        snprintf(msg, sizeof(msg), "waiting for the region: shm %s %s (the ZENEDGE side creates it)", at->cfg->shm,
                 e == ENOENT ? "does not exist yet" : "is still empty");
        wait_msg(at, BRIDGE_LOG_INFO, msg);
    } else if (rc != BRIDGE_OK) {
        snprintf(msg, sizeof(msg), "cannot map the region (%s): %s; retrying", at->tr.what, strerror(e));
        wait_msg(at, BRIDGE_LOG_ERROR, msg);
    }
    return rc;
}

/* Validate the header and every ring; the completion ring goes to cq. */
static int check_region(bridge_attach_t *at, ipc_ring_prod_t *cq)
{
    char msg[2048];
    ipc_fault_t f = {0};
    int rc = ipc_region_attach(&at->v, at->tr.map.base, (uint32_t)at->tr.map.size, &f);
    if (rc == IPC_E_NOT_READY) {
        snprintf(msg, sizeof(msg), "waiting for the region in %s to be initialised (magic is 0: %s)", at->tr.what,
                 ipc_strerror(rc));
        wait_msg(at, BRIDGE_LOG_INFO, msg);
        return BRIDGE_E_NOT_READY;
    }
    if (rc != IPC_OK) {
        snprintf(msg, sizeof(msg),
                 "region in %s rejected: %s: %s = %u (0x%x) breaks limit %u (0x%x): %s; waiting "
                 "for the ZENEDGE side to re-initialise it",
                 at->tr.what, ipc_strerror(rc), f.field ? f.field : "?", f.value, f.value, f.limit, f.limit,
                 f.rule ? f.rule : "");
        wait_msg(at, BRIDGE_LOG_ERROR, msg);
        return BRIDGE_E_ATTACH;
    }
    for (uint32_t r = 0; r <= at->v.n_sq; r++) {
        rc = r < at->v.n_sq ? ipc_ring_cons_attach(&at->sq[r], at->v.sq[r], at->v.sq_slots)
                            : ipc_ring_prod_attach(cq, at->v.cq, at->v.cq_slots);
        if (rc != IPC_OK) {
            snprintf(msg, sizeof(msg),
                     "region in %s rejected: %s ring %u: %s (head/tail inconsistent); waiting for "
                     "the ZENEDGE side to re-initialise it",
                     at->tr.what, r < at->v.n_sq ? "submission" : "completion", r, ipc_strerror(rc));
            wait_msg(at, BRIDGE_LOG_ERROR, msg);
            return BRIDGE_E_ATTACH;
        }
    }
    return BRIDGE_OK;
}

/* STARTING, the next epoch with the adopted tails, features; READY comes
 * after the heartbeat has the side. */
static void publish_start(bridge_attach_t *at)
{
    ipc_side_t *me = &at->v.hdr->bridge;
    ipc_store_release(&me->state, IPC_STATE_STARTING);
    uint32_t old = ipc_read_once(&me->epoch);
    uint32_t e = (old > at->epoch ? old : at->epoch) + 1u;
    if (e == 0)
        e = 1; /* epoch 0 means "never started" */
    at->epoch = e;
    /* The tails this instance adopted, before it dequeues anything: the
     * zenedge side reclaims the slots of packets below them only (an
     * earlier instance took those) and waits for our answer to the rest.
     * Published by the release of the new epoch below (the ZENEDGE side
     * reads them after its acquire of bridge.epoch). */
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        ipc_write_once(&me->sq_tail_at_start[r], r < at->v.n_sq ? at->sq[r].tail : 0u);
    ipc_write_once(&me->features, (at->v.features & IPC_FEAT_KNOWN) | IPC_FEAT_START_TAILS);
    ipc_write_once(&me->hb_period_us, at->cfg->hb_period_us);
    ipc_write_once(&me->needs_wakeup, 0u);
    ipc_cache_clean(me, IPC_CACHELINE);
    ipc_store_release(&me->epoch, e);
    at->zen_epoch = ipc_load_acquire(&at->v.hdr->zen.epoch);
}

int bridge_attach_try(bridge_attach_t *at, bridge_answers_t *ans, bridge_heartbeat_t *hb)
{
    if (at->next_try_ns && zl_now_ns() < at->next_try_ns)
        return BRIDGE_E_NOT_READY; /* flapping: backing off */
    int rc = map_region(at);
    if (rc == BRIDGE_OK)
        rc = check_region(at, &ans->cq);
    if (rc == BRIDGE_OK)
        rc = bridge_answers_reset(ans, at->v.max_jobs);
    if (rc != BRIDGE_OK)
        return rc;
    publish_start(at);
    at->arb.n_sq = at->v.n_sq;
    at->arb.batch = at->cfg->batch;
    bridge_arb_weights(at->cfg->weights, at->v.sq_weight, at->arb.weight);
    /* Adaptive needs the ZENEDGE side to keep needs_wakeup; without the
     * feature bit ring after every batch, as in eventfd mode. */
    at->notify_mode = at->cfg->doorbell;
    if (at->notify_mode == IPC_DB_ADAPTIVE && !(at->v.features & IPC_FEAT_NEED_WAKEUP))
        at->notify_mode = IPC_DB_EVENTFD;
    ipc_side_t *me = &at->v.hdr->bridge;
    bridge_heartbeat_set_side(hb, me);
    ipc_cache_clean(me, IPC_CACHELINE);
    ipc_store_release(&me->state, IPC_STATE_READY);
    at->attached = true;
    at->attached_ns = zl_now_ns();
    at->next_try_ns = 0;
    at->sq_bad = 0;
    memset(at->sq_backoff_ns, 0, sizeof(at->sq_backoff_ns));
    at->st->attaches++;
    at->last_wait_msg[0] = '\0';
    if (at->v.features & IPC_FEAT_NONCOHERENT)
        BLOG_INFO("%s: the region is not cache-coherent (IPC_FEAT_NONCOHERENT): the ZENEDGE side maintains its "
                  "cache, this side none",
                  at->tr.what);
    BLOG_INFO("attached to %s: %u bytes, %u submission rings x %u slots (weights %u/%u/%u), completion ring %u "
              "slots, %u jobs, heap %u bytes; bridge epoch %u, zenedge epoch %u, doorbell %s; READY",
              at->tr.what, at->v.size, at->v.n_sq, at->v.sq_slots, at->arb.weight[1], at->arb.weight[2],
              at->arb.weight[3], at->v.cq_slots, at->v.max_jobs, at->v.heap_size, at->epoch, at->zen_epoch,
              ipc_db_mode_name(at->cfg->doorbell));
    return BRIDGE_OK;
}

bool bridge_attach_changed(bridge_attach_t *at, char *why, size_t len, bool *unmap)
{
    ipc_region_hdr_t *h = at->v.hdr;
    *unmap = false;
    if (bridge_transport_faulted(&at->tr)) {
        snprintf(why, len, "the object behind %.160s shrank under the mapping (SIGBUS caught)", at->tr.what);
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
    if (ze != at->zen_epoch) {
        snprintf(why, len, "the ZENEDGE side restarted (epoch %u -> %u)", at->zen_epoch, ze);
        return true;
    }
    uint32_t be = ipc_read_once(&h->bridge.epoch);
    if (be != at->epoch) {
        snprintf(why, len, "the bridge epoch word reads %u, not %u: the region was re-initialised", be, at->epoch);
        return true;
    }
    uint64_t now = zl_now_ns();
    if (now - at->last_replace_ns > REPLACE_NS) {
        at->last_replace_ns = now;
        if (bridge_transport_replaced(&at->tr, at->cfg)) {
            snprintf(why, len, "%.160s was removed or re-created by the ZENEDGE side", at->tr.what);
            *unmap = true;
            return true;
        }
    }
    return false;
}

/* Keep the mapping for the backend jobs that may still point into it;
 * the live transport starts afresh. */
static void retire(bridge_attach_t *at)
{
    uint32_t i = 0;
    while (i < BRIDGE_ATTACH_RETIRED && at->retired[i].mapped)
        i++;
    if (i < BRIDGE_ATTACH_RETIRED) {
        at->retired[i] = at->tr;
        at->retired_gen[i] = at->gen - 1u; /* the jobs of the attach that ended */
        at->retired_left[i] = at->jobs_left;
        BLOG_WARN("%s stays mapped until the backend gives back its %u job(s) of the ended attach", at->tr.what,
                  at->jobs_left);
    } else {
        BLOG_ERR("%s: %u job(s) may point into it and %u earlier mappings are held already (limit %u): it stays "
                 "mapped for good",
                 at->tr.what, at->jobs_left, BRIDGE_ATTACH_RETIRED, BRIDGE_ATTACH_RETIRED);
    }
    memset(&at->tr.map, 0, sizeof(at->tr.map));
    at->tr.map.fd = -1;
    at->tr.mapped = false;
    at->tr.guard = 0; /* the retired mapping keeps its guard slot */
}

/* Unmap the live mapping, unless stale backend jobs may still hold it. */
static void unmap_or_retire(bridge_attach_t *at)
{
    if (at->jobs_left > 0 && at->tr.mapped)
        retire(at);
    else
        bridge_transport_close(&at->tr);
}

void bridge_attach_detach(bridge_attach_t *at, const char *why, bool unmap)
{
    uint64_t now = zl_now_ns();
    at->attached = false;
    at->st->detaches++;
    if (now - at->attached_ns < FLAP_STABLE_NS)
        at->flap_ns = at->flap_ns == 0 ? FLAP_MIN_NS : at->flap_ns * 2u > FLAP_MAX_NS ? FLAP_MAX_NS : at->flap_ns * 2u;
    else
        at->flap_ns = 0;
    at->next_try_ns = at->flap_ns ? now + at->flap_ns : 0;
    BLOG_WARN("detached from the region: %s; %s in %llu ms%s", why, unmap ? "mapping it again" : "attaching again",
              (unsigned long long)(at->flap_ns / 1000000u), at->flap_ns ? " (it changed soon after the attach)" : "");
    if (unmap)
        unmap_or_retire(at);
}

void bridge_attach_job_back(bridge_attach_t *at, uint32_t gen)
{
    if (at->jobs_left > 0 && gen != at->gen)
        at->jobs_left--;
    for (uint32_t i = 0; i < BRIDGE_ATTACH_RETIRED; i++) {
        if (!at->retired[i].mapped || at->retired_left[i] == 0 || gen > at->retired_gen[i])
            continue;
        if (--at->retired_left[i] > 0)
            continue;
        BLOG_INFO("%s: the last backend job of the ended attach is back: unmapped", at->retired[i].what);
        bridge_transport_close(&at->retired[i]); /* never unlinks the peer's object */
    }
}

void bridge_attach_sq_corrupt(bridge_attach_t *at, uint32_t r)
{
    uint32_t bit = 1u << r;
    uint64_t b = at->sq_backoff_ns[r] * 2u;
    at->sq_backoff_ns[r] = b < SQ_BACKOFF_MIN ? SQ_BACKOFF_MIN : b > SQ_BACKOFF_MAX ? SQ_BACKOFF_MAX : b;
    at->sq_retry_ns[r] = zl_now_ns() + at->sq_backoff_ns[r];
    if (at->sq_bad & bit)
        return; /* said once per episode */
    at->sq_bad |= bit;
    uint32_t head = ipc_read_once(&at->v.sq[r]->head);
    BLOG_ERR("submission ring %u is corrupt: head %u, tail %u: %u packets ready breaks the limit of %u slots; not "
             "read again before 1 ms, doubling to 1 s, or a new attach (the ZENEDGE side's epoch or the region)",
             r, head, at->sq[r].tail, head - at->sq[r].tail, at->v.sq_slots);
}

uint32_t bridge_attach_sq_ready(bridge_attach_t *at, uint32_t r)
{
    uint32_t bit = 1u << r;
    if ((at->sq_bad & bit) && zl_now_ns() < at->sq_retry_ns[r])
        return 0;
    int n = ipc_ring_ready_count(&at->sq[r]);
    if (n == IPC_E_RING_CORRUPT) {
        bridge_attach_sq_corrupt(at, r);
        return 0;
    }
    if (at->sq_bad & bit) {
        at->sq_bad &= ~bit;
        at->sq_backoff_ns[r] = 0;
        BLOG_WARN("submission ring %u is consistent again (head - tail = %d)", r, n);
    }
    return n > 0 ? (uint32_t)n : 0u;
}

void bridge_attach_fini(bridge_attach_t *at)
{
    bridge_transport_close(&at->tr);
    for (uint32_t i = 0; i < BRIDGE_ATTACH_RETIRED; i++)
        bridge_transport_close(&at->retired[i]);
}
