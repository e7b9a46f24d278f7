/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_setup.c - the proxy's names, configuration, region layout, model
 * table, start and stop.
 *
 * Context: task, before the other contexts run (proxy_init,
 * proxy_model_register) or while they run (proxy_start, proxy_stop).
 * proxy_init() writes every field of proxy_t without a lock: nothing else
 * may use the proxy yet. proxy_model_register() writes models[] and
 * n_models in one critical section. proxy_start()/proxy_stop() write
 * `started` and publish this side's state (L1 in ipc_proto.h) in one
 * critical section; the heartbeat and the bridge watch are liveness.c's.
 */
#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_layout.h"

/* ---------------------------------------------------------------------- */
/* Names, each generated from the list that defines its value             */
/* ---------------------------------------------------------------------- */

#define ERR_NAME_(name, value, meaning) #name,
static const char *const err_names[] = {PROXY_ERROR_LIST(ERR_NAME_)};
#undef ERR_NAME_
_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == (unsigned)(PROXY_E_BASE - PROXY_E_LAST) - 1u,
               "PROXY_ERROR_LIST: consecutive values from PROXY_E_BASE - 1 to PROXY_E_LAST + 1");

const char *proxy_strerror(int err)
{
    if (err == PROXY_OK)
        return "PROXY_OK";
    if (err == PROXY_E_BASE)
        return "PROXY_E_BASE";
    if (err < PROXY_E_BASE && err > PROXY_E_LAST)
        return err_names[PROXY_E_BASE - 1 - err];
    if (err <= IPC_E_BASE && err > IPC_E_LAST)
        return ipc_strerror(err);
    return "PROXY_E_?";
}

#define STATE_NAME_(state, value, name) [value] = name,
static const char *const state_names[] = {PROXY_JOB_STATE_LIST(STATE_NAME_)};
#undef STATE_NAME_

const char *proxy_job_state_name(int state)
{
    if (state < 0 || (unsigned)state >= sizeof(state_names) / sizeof(state_names[0]) || state_names[state] == 0)
        return "?";
    return state_names[state];
}

#define END_NAME_(kind, name) [kind] = name,
static const char *const end_names[PROXY_END_COUNT] = {PROXY_END_LIST(END_NAME_)};
#undef END_NAME_

const char *proxy_end_name(int kind)
{
    if (kind < 0 || kind >= PROXY_END_COUNT)
        return "?";
    return end_names[kind];
}

#define CQ_NAME_(reason, name, meaning) [reason] = name,
static const char *const cq_names[PROXY_CQ_REJECT_COUNT] = {PROXY_CQ_REJECT_LIST(CQ_NAME_)};
#undef CQ_NAME_

const char *proxy_cq_reject_name(int reason)
{
    if (reason < 0 || reason >= PROXY_CQ_REJECT_COUNT)
        return "?";
    return cq_names[reason];
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */
/* ---------------------------------------------------------------------- */

void proxy_config_default(proxy_config_t *cfg, struct zport *port, uint32_t region_size)
{
    if (cfg == 0)
        return;
    pj_zero(cfg, (uint32_t)sizeof(*cfg)); /* cq_slots, features, n_heap_classes, backend_ns_max, hb_slack_us 0 */
    cfg->port = port;
    cfg->region_size = region_size;
    cfg->n_sq = IPC_QOS_COUNT < ZEN_CFG_MAX_SQ ? IPC_QOS_COUNT : ZEN_CFG_MAX_SQ;
    cfg->sq_slots = 64;
    cfg->max_jobs = ZEN_CFG_MAX_JOBS;
    cfg->hb_period_us = ZEN_CFG_HB_PERIOD_US;
    cfg->epoch = 1;
    cfg->doorbell = IPC_DB_ADAPTIVE;
    if (ZEN_CFG_JOB_TRACE)
        cfg->trace_slots = ZEN_CFG_JOB_TRACE_SLOTS;
}

/* Why the heap classes were refused (ipc_heap_init() checks them all;
 * the count of blocks is only worked out again for the message). */
static void heap_refused(proxy_t *p, const proxy_config_t *cfg, int err)
{
#if ZEN_CFG_LOG_LEVEL >= ZPORT_LOG_ERROR
    uint32_t links = ipc_heap_links_needed(p->region.heap_size, cfg->heap, cfg->n_heap_classes);
    if (links == 0 || links > ZEN_CFG_HEAP_MAX_BLOCKS) {
        ZEN_LOG(p->port, ZPORT_LOG_ERROR,
                "proxy: heap of %u B needs %u blocks (ZEN_CFG_HEAP_MAX_BLOCKS=%u; 0: bad classes)",
                (unsigned)p->region.heap_size, (unsigned)links, (unsigned)ZEN_CFG_HEAP_MAX_BLOCKS);
        return;
    }
    ZEN_LOG(p->port, ZPORT_LOG_ERROR, "proxy: heap err=%d (ipc_errors.h)", err);
#else
    (void)p;
    (void)cfg;
    (void)err;
#endif
}

/* ZEN_CFG_FIXED_LAYOUT: the geometry of cfg is the one fixed in
 * zenedge_config.h (n_heap_classes was checked to be at least 1). */
static bool fixed_matches(const proxy_config_t *cfg)
{
    /* every word against its value at once (each difference 0): one
     * test, one branch */
    return ((cfg->region_size - ZEN_CFG_FIXED_REGION_SIZE) | (cfg->n_sq - 1u) |
            (cfg->sq_slots - ZEN_CFG_FIXED_SQ_SLOTS) | cfg->cq_slots | (cfg->max_jobs - ZEN_CFG_MAX_JOBS) |
            (cfg->n_heap_classes - 1u) | (cfg->heap[0].block_size - ZEN_CFG_FIXED_HEAP_BLOCK) | cfg->heap[0].count) ==
           0u;
}

/* proxy_init() zeroes the proxy first (pj_zero()), and the set-up then
 * leaves the words that stay 0 (the free list's head and generations,
 * the ring handles' counters, the heap's counts) to that zeroing. A
 * 64-bit host's pj_zero() stores through volatile (proxy_mem.c), which
 * the static analysis of verify/frama does not follow: there they are
 * stored again. */
#define STORE_ZEROS (UINTPTR_MAX > 0xffffffffu)

/* Lays the region out and cuts the heap: with ZEN_CFG_FIXED_LAYOUT from
 * the constants of zenedge_config.h (fixed_matches() held), so that the
 * inline lay-out of ipc_layout.h folds; else from cfg through
 * ipc_region_init() and ipc_heap_init(); then takes the rings. Returns PROXY_OK,
 * PROXY_E_REGION or PROXY_E_HEAP_CONFIG (logged). */
static int region_setup(proxy_t *p, void *region_base, const proxy_config_t *cfg, uint32_t hb_period_us)
{
    ipc_region_config_t rc; /* every field set below */
    rc.region_size = ZEN_CFG_FIXED_LAYOUT ? ZEN_CFG_FIXED_REGION_SIZE : cfg->region_size;
    rc.n_sq = ZEN_CFG_FIXED_LAYOUT ? 1u : cfg->n_sq;
    rc.sq_slots = ZEN_CFG_FIXED_LAYOUT ? ZEN_CFG_FIXED_SQ_SLOTS : cfg->sq_slots;
    rc.cq_slots = ZEN_CFG_FIXED_LAYOUT ? 0u : cfg->cq_slots;
    rc.max_jobs = ZEN_CFG_FIXED_LAYOUT ? ZEN_CFG_MAX_JOBS : cfg->max_jobs;
    rc.features = cfg->features;
    rc.hb_period_us = hb_period_us;
    rc.epoch = cfg->epoch ? cfg->epoch : 1u;
    rc.trace_slots = ZEN_CFG_JOB_TRACE ? cfg->trace_slots : 0u;
    for (uint32_t i = 0; i < ZEN_CFG_MAX_SQ; i++) /* the lay-out reads the n_sq <= ZEN_CFG_MAX_SQ first */
        rc.sq_weight[i] = cfg->sq_weight[i];
    ipc_region_t *view = &p->region;
#if ZEN_CFG_FIXED_LAYOUT
    uint32_t end = 0;
    ipc_in_register(view);
    ipc_in_register(region_base); /* with LTO a constant: the zeroing loop indexes a register instead */
    int err = ipc_layout_region_init(view, region_base, &rc, &end);
#else
    int err = ipc_region_init(view, region_base, &rc);
#endif
    if (err != IPC_OK) {
        ZEN_LOG(p->port, ZPORT_LOG_ERROR,
                "proxy: region err=%d (ipc_errors.h): size=%u n_sq=%u sq_slots=%u max_jobs=%u", err,
                (unsigned)cfg->region_size, (unsigned)cfg->n_sq, (unsigned)cfg->sq_slots, (unsigned)cfg->max_jobs);
        return PROXY_E_REGION;
    }
    /* The rings were just written empty: take them without a read back
     * (every later look at the bridge's counters is validated), into the
     * handles proxy_init() zeroed. The sizes are rc's, as laid out, and
     * with the fixed layout so are the rings' places (constants, not
     * read back from the view). */
    uint32_t cq_slots = ZEN_CFG_FIXED_LAYOUT ? ipc_layout_cq_slots(&rc) : view->cq_slots;
    for (uint32_t i = 0; i < pj_n_sq(p); i++) {
        ipc_ring_t *r = ZEN_CFG_FIXED_LAYOUT ? ipc_layout_ring_at(region_base, &rc, i) : view->sq[i];
        if ((STORE_ZEROS ? ipc_ring_prod_fresh(&p->sq[i], r, rc.sq_slots)
                         : ipc_ring_prod_fresh_zeroed(&p->sq[i], r, rc.sq_slots)) != IPC_OK)
            return PROXY_E_REGION;
    }
    ipc_ring_t *cq = ZEN_CFG_FIXED_LAYOUT ? ipc_layout_ring_at(region_base, &rc, rc.n_sq) : view->cq;
    if ((STORE_ZEROS ? ipc_ring_cons_fresh(&p->cq, cq, cq_slots) : ipc_ring_cons_fresh_zeroed(&p->cq, cq, cq_slots)) !=
        IPC_OK)
        return PROXY_E_REGION;
#if ZEN_CFG_FIXED_LAYOUT
    const ipc_heap_class_cfg_t one = {.block_size = ZEN_CFG_FIXED_HEAP_BLOCK, .count = 0u};
    uint32_t heap_size = (ZEN_CFG_FIXED_REGION_SIZE - end) & ~(IPC_CACHELINE - 1u), count[1];
    err = ipc_layout_heap_plan(heap_size, &one, 1u, count);
    ipc_heap_t *heap = &p->heap;
    ipc_in_register(heap);
    if (err == IPC_OK)
        err = ipc_layout_heap_cut(heap, end, heap_size, &one, 1u, count, p->heap_links, ZEN_CFG_HEAP_MAX_BLOCKS,
                                  !STORE_ZEROS);
#else
    err = ipc_heap_init(&p->heap, &p->region, cfg->heap, cfg->n_heap_classes, p->heap_links, ZEN_CFG_HEAP_MAX_BLOCKS);
#endif
    if (err != IPC_OK) {
        heap_refused(p, cfg, err);
        return PROXY_E_HEAP_CONFIG;
    }
    return PROXY_OK;
}

int proxy_init(proxy_t *p, void *region_base, const proxy_config_t *cfg)
{
    if (p == 0 || region_base == 0 || cfg == 0 || cfg->port == 0)
        return PROXY_E_INVAL;
    pj_zero(p, (uint32_t)sizeof(*p));
    p->port = cfg->port;
    /* n_sq and max_jobs: with ZEN_CFG_FIXED_LAYOUT fixed_matches() below
     * asks for the fixed values, inside these bounds */
    if (!ZEN_CFG_FIXED_LAYOUT && cfg->n_sq > ZEN_CFG_MAX_SQ) {
        ZEN_LOG(p->port, ZPORT_LOG_ERROR, "proxy: n_sq=%u above ZEN_CFG_MAX_SQ=%u", (unsigned)cfg->n_sq,
                (unsigned)ZEN_CFG_MAX_SQ);
        return PROXY_E_CONFIG;
    }
    if (!ZEN_CFG_FIXED_LAYOUT && (cfg->max_jobs == 0 || cfg->max_jobs > ZEN_CFG_MAX_JOBS)) {
        ZEN_LOG(p->port, ZPORT_LOG_ERROR, "proxy: max_jobs=%u out of [1, ZEN_CFG_MAX_JOBS=%u]", (unsigned)cfg->max_jobs,
                (unsigned)ZEN_CFG_MAX_JOBS);
        return PROXY_E_CONFIG;
    }
    if (cfg->doorbell >= IPC_DB_MODES) {
        ZEN_LOG(p->port, ZPORT_LOG_ERROR, "proxy: doorbell=%u above IPC_DB_* max %u", (unsigned)cfg->doorbell,
                (unsigned)IPC_DB_MODES - 1u);
        return PROXY_E_CONFIG;
    }
    if (cfg->n_heap_classes == 0 || cfg->n_heap_classes > IPC_HEAP_MAX_CLASSES) {
        ZEN_LOG(p->port, ZPORT_LOG_ERROR, "proxy: n_heap_classes=%u out of [1, %u]", (unsigned)cfg->n_heap_classes,
                (unsigned)IPC_HEAP_MAX_CLASSES);
        return PROXY_E_HEAP_CONFIG;
    }
    if (ZEN_CFG_FIXED_LAYOUT && !fixed_matches(cfg)) {
        ZEN_LOG(p->port, ZPORT_LOG_ERROR,
                "proxy: geometry other than ZEN_CFG_FIXED_LAYOUT's: size=%u n_sq=%u sq_slots=%u cq_slots=%u "
                "max_jobs=%u heap block=%u count=%u (fixed: %u 1 %u 0 %u %u 0)",
                (unsigned)cfg->region_size, (unsigned)cfg->n_sq, (unsigned)cfg->sq_slots, (unsigned)cfg->cq_slots,
                (unsigned)cfg->max_jobs, (unsigned)cfg->heap[0].block_size, (unsigned)cfg->heap[0].count,
                (unsigned)ZEN_CFG_FIXED_REGION_SIZE, (unsigned)ZEN_CFG_FIXED_SQ_SLOTS, (unsigned)ZEN_CFG_MAX_JOBS,
                (unsigned)ZEN_CFG_FIXED_HEAP_BLOCK);
        return PROXY_E_CONFIG;
    }

    uint32_t hb_period_us = cfg->hb_period_us ? cfg->hb_period_us : ZEN_CFG_HB_PERIOD_US;
    int err = region_setup(p, region_base, cfg, hb_period_us);
    if (err != PROXY_OK)
        return err;
    p->max_jobs = cfg->max_jobs;
    p->doorbell = cfg->doorbell;
    p->backend_ns_max = cfg->backend_ns_max ? cfg->backend_ns_max : ZEN_CFG_BACKEND_NS_MAX;
    p->hb_slack_us = cfg->hb_slack_us ? cfg->hb_slack_us : ZEN_CFG_HB_SLACK_US;
    p->hb_period_us = hb_period_us;
    /* The free list 0 -> 1 -> ... -> max_jobs - 1 -> PJ_NIL, built from
     * its end; free_head and gen: 0 (STORE_ZEROS). */
    uint32_t next = PJ_NIL;
    for (uint32_t s = p->max_jobs; s-- > 0u; next = s) {
        p->jobs[s].next_free = next;
        if (STORE_ZEROS)
            p->jobs[s].gen = 0;
    }
    if (STORE_ZEROS)
        p->free_head = 0;
    return PROXY_OK;
}

/* Index of the first length of len[0..n-1] out of [1, largest] (len - 1
 * wraps for 0), or n. */
static inline uint32_t bad_len(const uint32_t *len, uint32_t n, uint32_t largest)
{
    for (uint32_t i = 0; i < n && i < ZEN_CFG_MAX_TENSORS; i++)
        if (len[i] - 1u >= largest)
            return i;
    return n;
}

int proxy_model_register(proxy_t *p, const proxy_model_t *m)
{
    if (p == 0 || m == 0 || m->id == 0)
        return PROXY_E_INVAL;
    if (m->n_in > ZEN_CFG_MAX_TENSORS || m->n_out > ZEN_CFG_MAX_TENSORS) {
        ZEN_LOG(p->port, ZPORT_LOG_ERROR, "proxy: model %u has n_in=%u n_out=%u (limit ZEN_CFG_MAX_TENSORS=%u)",
                (unsigned)m->id, (unsigned)m->n_in, (unsigned)m->n_out, (unsigned)ZEN_CFG_MAX_TENSORS);
        return PROXY_E_MODEL_SIGNATURE;
    }
    /* the largest block: the last class's (the fixed layout's one class) */
    uint32_t n_cls = p->heap.n_classes;
    uint32_t largest = n_cls == 0u            ? 0u
                       : ZEN_CFG_FIXED_LAYOUT ? ZEN_CFG_FIXED_HEAP_BLOCK
                                              : p->heap.cls[n_cls - 1u].block_size;
    uint32_t bi = bad_len(m->in_len, m->n_in, largest);
    uint32_t bo = bi < m->n_in ? 0u : bad_len(m->out_len, m->n_out, largest);
    if (bi < m->n_in || bo < m->n_out) {
        bool in = bi < m->n_in;
        ZEN_LOG(p->port, ZPORT_LOG_ERROR, "proxy: model %u tensor %u: %u B out of [1, largest heap block %u]",
                (unsigned)m->id, (unsigned)(in ? bi : m->n_in + bo), (unsigned)(in ? m->in_len[bi] : m->out_len[bo]),
                (unsigned)largest);
        (void)in;
        return PROXY_E_MODEL_SIGNATURE;
    }
    uint32_t key = zport_crit_enter(p->port);
    int rc = PROXY_OK;
    proxy_model_t *slot = 0;
    for (uint32_t i = 0; i < p->n_models; i++)
        if (p->models[i].id == m->id)
            slot = &p->models[i];
    if (slot == 0) {
        if (p->n_models >= ZEN_CFG_MAX_MODELS)
            rc = PROXY_E_MODEL_TABLE_FULL;
        else
            slot = &p->models[p->n_models++];
    }
    if (slot) {
        slot->id = m->id;
        slot->n_in = m->n_in;
        slot->n_out = m->n_out;
        for (uint32_t i = 0; i < ZEN_CFG_MAX_TENSORS; i++) {
            slot->in_len[i] = i < m->n_in ? m->in_len[i] : 0u;
            slot->out_len[i] = i < m->n_out ? m->out_len[i] : 0u;
        }
    }
    zport_crit_exit(p->port, key);
    if (rc != PROXY_OK)
        ZEN_LOG(p->port, ZPORT_LOG_ERROR, "proxy: model %u: table full (ZEN_CFG_MAX_MODELS=%u)", (unsigned)m->id,
                (unsigned)ZEN_CFG_MAX_MODELS);
    return rc;
}

const proxy_model_t *proxy_model_find(const proxy_t *p, uint32_t model_id)
{
    if (p == 0 || model_id == 0)
        return 0;
    for (uint32_t i = 0; i < p->n_models && i < ZEN_CFG_MAX_MODELS; i++) /* bounded by config */
        if (p->models[i].id == model_id)
            return &p->models[i];
    return 0;
}

int proxy_start(proxy_t *p)
{
    ipc_region_hdr_t *h = p ? p->region.hdr : 0;
    if (h == 0)
        return PROXY_E_INVAL;
    uint32_t key = zport_crit_enter(p->port);
    p->started = 1;
    p->zen_hb_next_ns = 0;
    /* L1: publishes this side's words (features, period) written at init. */
    ipc_store_release(&h->zen.state, IPC_STATE_READY);
    ipc_cache_clean(&h->zen, (uint32_t)sizeof(h->zen));
    zport_crit_exit(p->port, key);
    proxy_tick(p);
    return PROXY_OK;
}

void proxy_stop(proxy_t *p)
{
    if (p == 0 || p->region.hdr == 0)
        return;
    uint32_t key = zport_crit_enter(p->port);
    p->started = 0;
    ipc_store_release(&p->region.hdr->zen.state, IPC_STATE_OFFLINE); /* L1 */
    ipc_cache_clean(&p->region.hdr->zen, (uint32_t)sizeof(p->region.hdr->zen));
    zport_crit_exit(p->port, key);
}
