/*
 * proxy.c - proxy driver: region set-up, model table, submission
 * (proxy_submit, proxy_ping, ipc_send) and the completion handler.
 * Freestanding: no libc, no allocation, no floating point.
 */
#include "proxy.h"

#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"

/* ---------------------------------------------------------------------- */
/* Names                                                                   */
/* ---------------------------------------------------------------------- */

static const char *const err_names[] = {
    "PROXY_E_BASE", "PROXY_E_INVAL", "PROXY_E_NOT_STARTED", "PROXY_E_CONFIG",
    "PROXY_E_REGION", "PROXY_E_HEAP_CONFIG", "PROXY_E_UNKNOWN_MODEL", "PROXY_E_MODEL_TABLE_FULL",
    "PROXY_E_MODEL_SIGNATURE", "PROXY_E_BRIDGE_OFFLINE", "PROXY_E_RING_FULL", "PROXY_E_RING_CORRUPT",
    "PROXY_E_JOB_TABLE_FULL", "PROXY_E_HEAP_EXHAUSTED", "PROXY_E_TENSOR_TOO_BIG", "PROXY_E_BAD_HANDLE",
    "PROXY_E_WAIT_TIMEOUT", "PROXY_E_TOO_LATE", "PROXY_E_ALREADY_ENDED", "PROXY_E_JOB_FAILED",
    "PROXY_E_TIMED_OUT", "PROXY_E_CANCELLED", "PROXY_E_BRIDGE_LOST", "PROXY_E_BAD_COMPLETION",
    "PROXY_E_BAD_BUF", "PROXY_E_BUF_BUSY", "PROXY_E_BUF_TABLE_FULL",
};
_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == (unsigned)(PROXY_E_BASE - PROXY_E_LAST),
               "one name per proxy code");

const char *proxy_strerror(int err)
{
    if (err == PROXY_OK)
        return "PROXY_OK";
    if (err <= PROXY_E_BASE && err > PROXY_E_LAST)
        return err_names[PROXY_E_BASE - err];
    if (err <= IPC_E_BASE && err > IPC_E_LAST)
        return ipc_strerror(err);
    return "PROXY_E_?";
}

static const char *const state_names[] = {
    "INVALID", "SUBMITTED", "RUNNING", "DONE", "FAILED", "TIMED_OUT", "CANCELLED", "BRIDGE_LOST",
};

const char *proxy_job_state_name(int state)
{
    if (state < 0 || state > PROXY_JOB_BRIDGE_LOST)
        return "?";
    return state_names[state];
}

static const char *const end_names[PROXY_END_COUNT] = {
    "ok", "failed", "timed_out", "cancelled", "bridge_lost", "bad_completion",
};

const char *proxy_end_name(int kind)
{
    if (kind < 0 || kind >= PROXY_END_COUNT)
        return "?";
    return end_names[kind];
}

static const char *const cq_names[PROXY_CQ_REJECT_COUNT] = {
    "bad_cmd", "bad_handle", "unknown_job", "duplicate", "stale", "cmd_mismatch",
    "bad_status", "bad_time", "unattributed_error", "ring_corrupt",
};

const char *proxy_cq_reject_name(int reason)
{
    if (reason < 0 || reason >= PROXY_CQ_REJECT_COUNT)
        return "?";
    return cq_names[reason];
}

/* ---------------------------------------------------------------------- */
/* Memory routines                                                         */
/* ---------------------------------------------------------------------- */

/* Word types that may alias the caller's tensors (int32, float, ...). */
typedef uint64_t __attribute__((may_alias)) pj_u64_t;
typedef uint32_t __attribute__((may_alias)) pj_u32_t;

void pj_copy(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if ((((uintptr_t)d | (uintptr_t)s) & 7u) == 0) {
        /* One 64-byte line per iteration, loads before stores: tensors in
         * the heap are line aligned, and the lines of a copy out of the
         * heap come from the peer's cache, so several misses in flight
         * matter more than the instruction count. */
        pj_u64_t *dw = (pj_u64_t *)dst;
        const pj_u64_t *sw = (const pj_u64_t *)src;
        uint32_t lines = n / 64u;
        for (uint32_t i = 0; i < lines; i++, dw += 8, sw += 8) {
            uint64_t a0 = sw[0], a1 = sw[1], a2 = sw[2], a3 = sw[3];
            uint64_t a4 = sw[4], a5 = sw[5], a6 = sw[6], a7 = sw[7];
            dw[0] = a0; dw[1] = a1; dw[2] = a2; dw[3] = a3;
            dw[4] = a4; dw[5] = a5; dw[6] = a6; dw[7] = a7;
        }
        d += lines * 64u;
        s += lines * 64u;
        n -= lines * 64u;
    }
    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
        pj_u32_t *dw = (pj_u32_t *)(void *)d;           /* alignment checked above */
        const pj_u32_t *sw = (const pj_u32_t *)(const void *)s;
        uint32_t words = n / 4u;
        for (uint32_t i = 0; i < words; i++)
            dw[i] = sw[i];
        d += words * 4u;
        s += words * 4u;
        n -= words * 4u;
    }
    for (uint32_t i = 0; i < n; i++)
        d[i] = s[i];
}

void pj_zero(void *dst, uint32_t n)
{
    volatile uint8_t *d = (volatile uint8_t *)dst;
    if (((uintptr_t)d & 3u) == 0) {
        volatile uint32_t *dw = (volatile uint32_t *)dst;
        uint32_t words = n / 4u;
        for (uint32_t i = 0; i < words; i++)
            dw[i] = 0u;
        d += words * 4u;
        n -= words * 4u;
    }
    for (uint32_t i = 0; i < n; i++)
        d[i] = 0u;
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                  */
/* ---------------------------------------------------------------------- */

void proxy_config_default(proxy_config_t *cfg, struct zport *port, uint32_t region_size)
{
    if (cfg == 0)
        return;
    pj_zero(cfg, (uint32_t)sizeof(*cfg));
    cfg->port = port;
    cfg->region_size = region_size;
    cfg->n_sq = IPC_QOS_COUNT;
    cfg->sq_slots = 64;
    cfg->cq_slots = 0;
    cfg->max_jobs = ZEN_CFG_MAX_JOBS;
    cfg->features = 0;
    cfg->hb_period_us = ZEN_CFG_HB_PERIOD_US;
    cfg->epoch = 1;
    cfg->doorbell = IPC_DB_ADAPTIVE;
    cfg->n_heap_classes = 0;
    cfg->backend_ns_max = 0;
    cfg->hb_slack_us = 0;
}

int proxy_init(proxy_t *p, void *region_base, const proxy_config_t *cfg)
{
    if (p == 0 || region_base == 0 || cfg == 0 || cfg->port == 0)
        return PROXY_E_INVAL;
    pj_zero(p, (uint32_t)sizeof(*p));
    p->port = cfg->port;
    if (cfg->max_jobs == 0 || cfg->max_jobs > ZEN_CFG_MAX_JOBS) {
        zport_log(p->port, ZPORT_LOG_ERROR, "proxy: max_jobs=%u out of [1, ZEN_CFG_MAX_JOBS=%u]",
                  (unsigned)cfg->max_jobs, (unsigned)ZEN_CFG_MAX_JOBS);
        return PROXY_E_CONFIG;
    }
    if (cfg->doorbell >= IPC_DB_MODES) {
        zport_log(p->port, ZPORT_LOG_ERROR, "proxy: doorbell=%u is not an IPC_DB_* mode (max %u)",
                  (unsigned)cfg->doorbell, (unsigned)IPC_DB_MODES - 1u);
        return PROXY_E_CONFIG;
    }
    if (cfg->n_heap_classes == 0 || cfg->n_heap_classes > IPC_HEAP_MAX_CLASSES) {
        zport_log(p->port, ZPORT_LOG_ERROR, "proxy: n_heap_classes=%u out of [1, %u]",
                  (unsigned)cfg->n_heap_classes, (unsigned)IPC_HEAP_MAX_CLASSES);
        return PROXY_E_HEAP_CONFIG;
    }

    ipc_region_config_t rc;
    ipc_region_config_default(&rc, cfg->region_size);
    rc.n_sq = cfg->n_sq;
    rc.sq_slots = cfg->sq_slots;
    rc.cq_slots = cfg->cq_slots;
    rc.max_jobs = cfg->max_jobs;
    rc.features = cfg->features;
    rc.hb_period_us = cfg->hb_period_us ? cfg->hb_period_us : ZEN_CFG_HB_PERIOD_US;
    rc.epoch = cfg->epoch ? cfg->epoch : 1u;
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        rc.sq_weight[i] = cfg->sq_weight[i];
    int err = ipc_region_init(&p->region, region_base, &rc);
    if (err != IPC_OK) {
        zport_log(p->port, ZPORT_LOG_ERROR,
                  "proxy: region layout refused (%s): size=%u n_sq=%u sq_slots=%u max_jobs=%u",
                  ipc_strerror(err), (unsigned)cfg->region_size, (unsigned)cfg->n_sq,
                  (unsigned)cfg->sq_slots, (unsigned)cfg->max_jobs);
        return PROXY_E_REGION;
    }
    uint32_t links = ipc_heap_links_needed(p->region.heap_size, cfg->heap, cfg->n_heap_classes);
    if (links == 0 || links > ZEN_CFG_HEAP_MAX_BLOCKS) {
        zport_log(p->port, ZPORT_LOG_ERROR,
                  "proxy: heap classes need %u blocks for a heap of %u bytes (limit ZEN_CFG_HEAP_MAX_BLOCKS=%u, 0 = malformed)",
                  (unsigned)links, (unsigned)p->region.heap_size, (unsigned)ZEN_CFG_HEAP_MAX_BLOCKS);
        return PROXY_E_HEAP_CONFIG;
    }
    err = ipc_heap_init(&p->heap, &p->region, cfg->heap, cfg->n_heap_classes, p->heap_links,
                        ZEN_CFG_HEAP_MAX_BLOCKS);
    if (err != IPC_OK) {
        zport_log(p->port, ZPORT_LOG_ERROR, "proxy: heap init failed (%s)", ipc_strerror(err));
        return PROXY_E_HEAP_CONFIG;
    }
    for (uint32_t i = 0; i < p->region.n_sq; i++) {
        err = ipc_ring_prod_attach(&p->sq[i], p->region.sq[i], p->region.sq_slots);
        if (err != IPC_OK)
            return PROXY_E_REGION;
    }
    err = ipc_ring_cons_attach(&p->cq, p->region.cq, p->region.cq_slots);
    if (err != IPC_OK)
        return PROXY_E_REGION;

    p->max_jobs = cfg->max_jobs;
    p->doorbell = cfg->doorbell;
    p->backend_ns_max = cfg->backend_ns_max ? cfg->backend_ns_max : ZEN_CFG_BACKEND_NS_MAX;
    p->hb_slack_us = cfg->hb_slack_us ? cfg->hb_slack_us : ZEN_CFG_HB_SLACK_US;
    p->hb_period_us = rc.hb_period_us;
    for (uint32_t s = 0; s < p->max_jobs; s++) {
        p->jobs[s].next_free = (s + 1u < p->max_jobs) ? s + 1u : PJ_NIL;
        p->jobs[s].gen = 0;
    }
    p->free_head = 0;
    return PROXY_OK;
}

int proxy_model_register(proxy_t *p, const proxy_model_t *m)
{
    if (p == 0 || m == 0 || m->id == 0)
        return PROXY_E_INVAL;
    if (m->n_in > IPC_MAX_TENSORS || m->n_out > IPC_MAX_TENSORS) {
        zport_log(p->port, ZPORT_LOG_ERROR, "proxy: model %u has n_in=%u n_out=%u (limit IPC_MAX_TENSORS=%u)",
                  (unsigned)m->id, (unsigned)m->n_in, (unsigned)m->n_out, (unsigned)IPC_MAX_TENSORS);
        return PROXY_E_MODEL_SIGNATURE;
    }
    uint32_t largest = p->heap.n_classes ? p->heap.cls[p->heap.n_classes - 1u].block_size : 0u;
    for (uint32_t i = 0; i < m->n_in + m->n_out; i++) {
        uint32_t len = i < m->n_in ? m->in_len[i] : m->out_len[i - m->n_in];
        if (len == 0 || len > largest) {
            zport_log(p->port, ZPORT_LOG_ERROR,
                      "proxy: model %u tensor %u has %u bytes (must be in [1, largest heap block %u])",
                      (unsigned)m->id, (unsigned)i, (unsigned)len, (unsigned)largest);
            return PROXY_E_MODEL_SIGNATURE;
        }
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
        for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++) {
            slot->in_len[i] = i < m->n_in ? m->in_len[i] : 0u;
            slot->out_len[i] = i < m->n_out ? m->out_len[i] : 0u;
        }
    }
    zport_crit_exit(p->port, key);
    if (rc != PROXY_OK)
        zport_log(p->port, ZPORT_LOG_ERROR, "proxy: model %u refused: table holds ZEN_CFG_MAX_MODELS=%u",
                  (unsigned)m->id, (unsigned)ZEN_CFG_MAX_MODELS);
    return rc;
}

const proxy_model_t *proxy_model_find(const proxy_t *p, uint32_t model_id)
{
    if (p == 0 || model_id == 0)
        return 0;
    for (uint32_t i = 0; i < p->n_models && i < ZEN_CFG_MAX_MODELS; i++)  /* bounded by config */
        if (p->models[i].id == model_id)
            return &p->models[i];
    return 0;
}

int proxy_start(proxy_t *p)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint32_t key = zport_crit_enter(p->port);
    p->started = 1;
    p->zen_hb_next_ns = 0;
    ipc_region_hdr_t *h = p->region.hdr;
    /* Publishes this side's words (features, period) written at init. */
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
    ipc_store_release(&p->region.hdr->zen.state, IPC_STATE_OFFLINE);
    ipc_cache_clean(&p->region.hdr->zen, (uint32_t)sizeof(p->region.hdr->zen));
    zport_crit_exit(p->port, key);
}

/* ---------------------------------------------------------------------- */
/* Submission                                                              */
/* ---------------------------------------------------------------------- */

/* W2 of the needs-wake-up handshake: after the store-release of head in
 * ipc_ring_enqueue(), a full fence orders that store before the load of
 * the bridge's needs_wakeup; pairs with the bridge's W1 (store flag,
 * fence, re-check its rings). */
static bool bridge_wants_doorbell(const proxy_t *p)
{
    const ipc_side_t *peer = &p->region.hdr->bridge;
    ipc_fence();
    ipc_cache_invalidate(peer, (uint32_t)sizeof(*peer));
    return ipc_read_once(&peer->needs_wakeup) != 0u;
}

int ipc_send(proxy_t *p, uint32_t ring, const ipc_packet_t *pkt)
{
    if (p == 0 || pkt == 0 || ring >= p->region.n_sq)
        return PROXY_E_INVAL;
    int r = ipc_ring_enqueue(&p->sq[ring], pkt);   /* R1 inside: publishes the packet */
    if (r == IPC_E_RING_FULL)
        return PROXY_E_RING_FULL;
    if (r == IPC_E_RING_CORRUPT)
        return PROXY_E_RING_CORRUPT;
    if (r < 0)
        return PROXY_E_INVAL;
    bool ring_it = p->doorbell == IPC_DB_EVENTFD ||
                   (p->doorbell == IPC_DB_ADAPTIVE && bridge_wants_doorbell(p));
    if (ring_it) {
        zport_doorbell(p->port);
        p->stats.doorbells++;
        /* statistic; only this side writes it */
        ipc_write_once(&p->region.hdr->zen.doorbells, p->stats.doorbells);
    }
    return PROXY_OK;
}

static bool bridge_accepts(const proxy_t *p)
{
    return p->bridge_online != 0u;
}

/* Take a free slot and give it its next generation (critical section). */
static proxy_job_t *slot_take(proxy_t *p)
{
    uint32_t s = p->free_head;
    if (s == PJ_NIL || s >= p->max_jobs)
        return 0;
    proxy_job_t *j = &p->jobs[s];
    p->free_head = j->next_free;
    j->next_free = PJ_NIL;
    uint32_t gen = (j->gen + 1u) & IPC_GEN_MASK;
    j->gen = gen ? gen : 1u;
    j->flags = PJ_BUSY;
    j->final = 0;
    j->ipc_status = IPC_STATUS_COUNT;
    j->n_in = 0;
    j->n_out = 0;
    j->acct = 0;
    p->n_busy++;
    return j;
}

/* Fill descriptor lines 0-3 of a new job with plain stores; the packet's
 * R1 publishes them. The handle and the cancel word are stored "once":
 * they are the words a late reader of an older use of the slot may look at. */
static void desc_fill(proxy_t *p, const proxy_job_t *j, uint32_t h, uint32_t qos, uint32_t timeout_us)
{
    ipc_job_desc_t *d = ipc_region_job(&p->region, pj_slot(p, j));
    pj_zero((uint8_t *)d + 8, (uint32_t)sizeof(*d) - 8u);
    ipc_write_once(&d->handle, h);
    d->model_id = j->model_id;
    d->qos = (uint8_t)qos;
    d->n_in = j->n_in;
    d->n_out = j->n_out;
    d->req_flags = 0;
    d->timeout_us = timeout_us;
    d->t_submit = j->t_submit;
    ipc_write_once(&d->cancel, 0u);
    d->reserved0 = 0;
    for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++) {
        d->in[i].off = i < j->n_in ? j->in[i].off : 0u;
        d->in[i].len = i < j->n_in ? j->in[i].len : 0u;
        d->out[i].off = i < j->n_out ? j->out[i].off : 0u;
        d->out[i].len = i < j->n_out ? j->out[i].len : 0u;
    }
    ipc_cache_clean(d, (uint32_t)sizeof(*d));
}

/* Second half of a submission: inside the critical section, re-check the
 * bridge and publish the packet; roll back on failure. */
static int publish(proxy_t *p, proxy_job_t *j, uint32_t cmd, uint32_t ring, uint32_t h,
                   proxy_account_t *acct)
{
    int rc;
    uint32_t key = zport_crit_enter(p->port);
    if (!bridge_accepts(p)) {
        p->stats.rej_offline++;
        rc = PROXY_E_BRIDGE_OFFLINE;
    } else {
        ipc_packet_t pkt;
        pkt.cmd = (uint16_t)cmd;
        pkt.flags = IPC_PKT_FLAGS_NONE;
        pkt.payload_id = h;
        pkt.timestamp = j->t_submit;
        uint32_t seq = p->sq[ring].head;
        rc = ipc_send(p, ring, &pkt);
        if (rc == PROXY_OK) {
            j->sq_seq = seq;
            j->ring = (uint8_t)ring;
            j->acct = acct;
            j->flags |= PJ_PUBLISHED;
            if (acct)
                acct->inflight++;
            p->stats.submitted++;
        } else if (rc == PROXY_E_RING_FULL) {
            p->stats.rej_ring_full++;
        }
    }
    if (rc != PROXY_OK) {
        ipc_write_once(&ipc_region_job(&p->region, pj_slot(p, j))->handle, 0u);
        pj_unreserve(p, j);
    }
    zport_crit_exit(p->port, key);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Tensor buffers                                                          */
/* ---------------------------------------------------------------------- */

#define PB_SLOT(id) ((id) & 0xFFu)
#define PB_GEN(id)  ((id) >> 8)
#define PB_GEN_MASK 0x00FFFFFFu

_Static_assert(ZEN_CFG_MAX_BUFS >= 1u && ZEN_CFG_MAX_BUFS <= 255u, "ZEN_CFG_MAX_BUFS must be 1..255");

/* The live buffer named by id, or NULL (critical section held). */
proxy_buf_t *pb_lookup(proxy_t *p, uint32_t id)
{
    uint32_t s = PB_SLOT(id), gen = PB_GEN(id);
    if (s >= ZEN_CFG_MAX_BUFS || gen == 0u)
        return 0;
    proxy_buf_t *b = &p->bufs[s];
    return b->live && b->gen == gen ? b : 0;
}

int proxy_buf_alloc(proxy_t *p, uint32_t len, uint32_t *buf_id, void **ptr)
{
    if (p == 0 || buf_id == 0 || ptr == 0 || len == 0u || p->region.hdr == 0)
        return PROXY_E_INVAL;
    int rc = PROXY_E_BUF_TABLE_FULL;
    uint32_t key = zport_crit_enter(p->port);
    for (uint32_t s = 0; s < ZEN_CFG_MAX_BUFS; s++) {   /* allocation time, not the job path */
        proxy_buf_t *b = &p->bufs[s];
        if (b->live)
            continue;
        int err = ipc_heap_alloc(&p->heap, len, &b->ref);
        if (err != IPC_OK) {
            rc = err == IPC_E_HEAP_TOO_BIG ? PROXY_E_TENSOR_TOO_BIG : PROXY_E_HEAP_EXHAUSTED;
            break;
        }
        uint32_t gen = (b->gen + 1u) & PB_GEN_MASK;
        b->gen = gen ? gen : 1u;
        b->live = 1u;
        b->readers = 0u;
        b->writer = 0u;
        p->n_bufs++;
        *buf_id = (b->gen << 8) | s;
        *ptr = ipc_region_ptr(&p->region, b->ref.off, b->ref.len);
        rc = PROXY_OK;
        break;
    }
    zport_crit_exit(p->port, key);
    return rc;
}

int proxy_buf_free(proxy_t *p, uint32_t buf_id)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint32_t key = zport_crit_enter(p->port);
    proxy_buf_t *b = pb_lookup(p, buf_id);
    int rc = PROXY_OK;
    if (b == 0) {
        rc = PROXY_E_BAD_BUF;
    } else if (pb_busy(b)) {
        rc = PROXY_E_BUF_BUSY;
    } else {
        (void)ipc_heap_free(&p->heap, b->ref.off);
        b->live = 0u;
        if (p->n_bufs)
            p->n_bufs--;
    }
    zport_crit_exit(p->port, key);
    return rc;
}

void *proxy_buf_ptr(proxy_t *p, uint32_t buf_id, uint32_t *len)
{
    if (p == 0 || p->region.hdr == 0)
        return 0;
    uint32_t key = zport_crit_enter(p->port);
    proxy_buf_t *b = pb_lookup(p, buf_id);
    void *ptr = b ? ipc_region_ptr(&p->region, b->ref.off, b->ref.len) : 0;
    if (b && len)
        *len = b->ref.len;
    zport_crit_exit(p->port, key);
    return ptr;
}

bool proxy_buf_busy(proxy_t *p, uint32_t buf_id)
{
    if (p == 0 || p->region.hdr == 0)
        return false;
    uint32_t key = zport_crit_enter(p->port);
    proxy_buf_t *b = pb_lookup(p, buf_id);
    bool busy = b != 0 && pb_busy(b);
    zport_crit_exit(p->port, key);
    return busy;
}

/* Take buffer id as tensor i of job j (input or output) after checking
 * it; the job's counts grow only on success so that a roll-back gives back
 * exactly what was taken. */
static int take_buf(proxy_t *p, proxy_job_t *j, uint32_t id, uint32_t need, bool is_in)
{
    proxy_buf_t *b = pb_lookup(p, id);
    if (b == 0 || b->ref.len < need)
        return PROXY_E_BAD_BUF;
    if (b->writer != 0u || (!is_in && b->readers != 0u))
        return PROXY_E_BUF_BUSY;
    uint32_t s = PB_SLOT(id);
    if (is_in) {
        b->readers++;
        j->buf_in[j->n_in] = (uint8_t)s;
        j->in[j->n_in].off = b->ref.off;
        j->in[j->n_in].len = need;
        j->n_in++;
    } else {
        b->writer = 1u;
        j->buf_out[j->n_out] = (uint8_t)s;
        j->out[j->n_out].off = b->ref.off;
        j->out[j->n_out].len = need;
        j->n_out++;
    }
    return PROXY_OK;
}

/* First half, in the critical section: every check that does not need
 * the inputs, a slot and the tensor blocks (or the caller's buffers). */
static int reserve(proxy_t *p, const proxy_model_t *m, uint32_t ring, const uint32_t *in_buf,
                   const uint32_t *out_buf, proxy_job_t **out)
{
    if (!p->started)
        return PROXY_E_NOT_STARTED;
    if (!bridge_accepts(p)) {
        p->stats.rej_offline++;
        return PROXY_E_BRIDGE_OFFLINE;
    }
    int room = ipc_ring_free_count(&p->sq[ring]);
    if (room < 0)
        return PROXY_E_RING_CORRUPT;
    if (room == 0) {
        p->stats.rej_ring_full++;
        return PROXY_E_RING_FULL;
    }
    proxy_job_t *j = slot_take(p);
    if (j == 0) {
        p->stats.rej_jobs_full++;
        return PROXY_E_JOB_TABLE_FULL;
    }
    if (m) {
        if (in_buf)
            j->flags |= PJ_IN_BUFS;
        if (out_buf)
            j->flags |= PJ_OUT_BUFS;
        for (uint32_t i = 0; i < m->n_in + m->n_out; i++) {
            bool is_in = i < m->n_in;
            uint32_t len = is_in ? m->in_len[i] : m->out_len[i - m->n_in];
            const uint32_t *ids = is_in ? in_buf : out_buf;
            if (ids) {
                int brc = take_buf(p, j, ids[is_in ? i : i - m->n_in], len, is_in);
                if (brc != PROXY_OK) {
                    pj_unreserve(p, j);   /* gives back what was taken so far */
                    return brc;
                }
                continue;
            }
            ipc_tensor_ref_t *ref = is_in ? &j->in[i] : &j->out[i - m->n_in];
            int err = ipc_heap_alloc(&p->heap, len, ref);
            if (err != IPC_OK) {
                pj_unreserve(p, j);   /* frees the blocks taken so far */
                if (err == IPC_E_HEAP_TOO_BIG)
                    return PROXY_E_TENSOR_TOO_BIG;
                p->stats.rej_heap++;
                return PROXY_E_HEAP_EXHAUSTED;
            }
            if (is_in)
                j->n_in = (uint8_t)(i + 1u);
            else
                j->n_out = (uint8_t)(i - m->n_in + 1u);
        }
    }
    *out = j;
    return PROXY_OK;
}

static uint32_t deadline_of(uint32_t deadline_us)
{
    return deadline_us ? deadline_us : ZEN_CFG_DEFAULT_DEADLINE_US;
}

int proxy_submit(proxy_t *p, const proxy_request_t *req, uint32_t *handle)
{
    if (p == 0 || req == 0 || handle == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    if (req->qos >= IPC_QOS_COUNT || req->deadline_us > ZEN_CFG_MAX_DEADLINE_US ||
        (req->n_in != 0 && req->in == 0 && req->in_buf == 0) || (req->in != 0 && req->in_buf != 0))
        return PROXY_E_INVAL;
    const proxy_model_t *m = proxy_model_find(p, req->model_id);
    if (m == 0)
        return PROXY_E_UNKNOWN_MODEL;
    if (req->n_in != m->n_in || (req->out_buf != 0 && req->n_out != m->n_out))
        return PROXY_E_MODEL_SIGNATURE;
    if (req->in_buf == 0)
        for (uint32_t i = 0; i < m->n_in; i++)
            if (req->in[i].ptr == 0 || req->in[i].len != m->in_len[i])
                return PROXY_E_MODEL_SIGNATURE;
    /* An empty id list is no list: a model without inputs (or outputs)
     * gets no buffer flag. */
    const uint32_t *in_buf = m->n_in ? req->in_buf : 0;
    const uint32_t *out_buf = m->n_out ? req->out_buf : 0;

    uint32_t ring = ipc_region_ring_of(&p->region, req->qos);
    uint32_t dl_us = deadline_of(req->deadline_us);
    uint64_t now = zport_now_ns(p->port);
    proxy_job_t *j = 0;
    uint32_t key = zport_crit_enter(p->port);
    int rc = reserve(p, m, ring, in_buf, out_buf, &j);
    if (rc == PROXY_OK) {
        j->model_id = m->id;
        j->t_submit = now;
        j->deadline_ns = now + (uint64_t)dl_us * 1000u;
    }
    zport_crit_exit(p->port, key);
    if (rc != PROXY_OK)
        return rc;

    /* The slot and blocks are ours alone until the packet is published:
     * fill them outside the critical section. */
    for (uint32_t i = 0; i < j->n_in; i++) {
        uint8_t *dst = (uint8_t *)ipc_region_ptr(&p->region, j->in[i].off, j->in[i].len);
        if (in_buf == 0)
            pj_copy(dst, req->in[i].ptr, j->in[i].len);
        ipc_cache_clean(dst, j->in[i].len);   /* buffers: the task wrote them in place */
    }
    uint32_t h = IPC_HANDLE(j->gen, pj_slot(p, j));
    desc_fill(p, j, h, req->qos, dl_us);
    rc = publish(p, j, CMD_RUN_MODEL, ring, h, req->acct);
    if (rc == PROXY_OK)
        *handle = h;
    return rc;
}

int proxy_ping(proxy_t *p, uint32_t qos, uint32_t deadline_us, uint32_t *handle)
{
    if (p == 0 || handle == 0 || p->region.hdr == 0 || qos >= IPC_QOS_COUNT ||
        deadline_us > ZEN_CFG_MAX_DEADLINE_US)
        return PROXY_E_INVAL;
    uint32_t ring = ipc_region_ring_of(&p->region, qos);
    uint32_t dl_us = deadline_of(deadline_us);
    uint64_t now = zport_now_ns(p->port);
    proxy_job_t *j = 0;
    uint32_t key = zport_crit_enter(p->port);
    int rc = reserve(p, 0, ring, 0, 0, &j);
    if (rc == PROXY_OK) {
        j->flags |= PJ_PING;
        j->model_id = 0;
        j->t_submit = now;
        j->deadline_ns = now + (uint64_t)dl_us * 1000u;
    }
    zport_crit_exit(p->port, key);
    if (rc != PROXY_OK)
        return rc;
    uint32_t h = IPC_HANDLE(j->gen, pj_slot(p, j));
    desc_fill(p, j, h, qos, dl_us);
    rc = publish(p, j, CMD_PING, ring, h, 0);
    if (rc == PROXY_OK) {
        *handle = h;
        p->stats.pings++;
    }
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Completion handler                                                      */
/* ---------------------------------------------------------------------- */

static void cq_reject(proxy_t *p, uint32_t reason)
{
    p->stats.cq_rejected[reason]++;
}

/* Copy the answer line of the descriptor once (after A1 on the CQ, which
 * published it), then judge the copy. Returns false if backend_ns is out
 * of range. */
static bool take_answer(proxy_t *p, proxy_job_t *j, uint64_t now)
{
    ipc_job_desc_t *d = ipc_region_job(&p->region, pj_slot(p, j));
    ipc_cache_invalidate(&d->t_pickup, IPC_CACHELINE);
    uint64_t t_pickup = d->t_pickup;
    uint64_t t_bstart = d->t_backend_start;
    uint64_t t_bend = d->t_backend_end;
    uint64_t t_complete = d->t_complete;
    uint64_t backend_ns = d->backend_ns;
    uint32_t epoch = d->bridge_epoch;
    uint32_t result = d->result;

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
    bool shared = (p->region.features & IPC_FEAT_SHARED_CLOCK) != 0u;
    bool ordered = j->t_submit <= t_pickup && t_pickup <= t_bstart && t_bstart <= t_bend &&
                   t_bend <= t_complete && t_complete <= now;
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
    d->t_complete_seen = now;   /* line 3: written by this side only */

    if (good) {
        p->stats.completions++;
        if (j->acct && !is_error) {
            j->acct->used_ns += j->backend_ns;
            j->acct->charged_total_ns += j->backend_ns;
        }
    }
    if (j->flags & PJ_ENDED) {
        p->stats.late_answers++;
        if (p->n_reserved)
            p->n_reserved--;
    } else if (!good) {
        pj_end(p, j, PROXY_E_BAD_COMPLETION, status < IPC_STATUS_COUNT ? status : IPC_STATUS_COUNT);
    } else {
        pj_end(p, j, status == IPC_STATUS_OK ? PROXY_OK : PROXY_E_JOB_FAILED, status);
    }
    pj_release_if_done(p, j);
}

int proxy_complete(proxy_t *p)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    int handled = 0;
    for (uint32_t i = 0; i < ZEN_CFG_CQ_BUDGET; i++) {   /* bounded work per interrupt */
        ipc_packet_t pkt;
        uint32_t key = zport_crit_enter(p->port);
        int r = ipc_ring_dequeue(&p->cq, &pkt);   /* A1 inside: publishes the packet and line 2 */
        if (r != IPC_OK) {
            if (r == IPC_E_RING_CORRUPT)
                cq_reject(p, PROXY_CQ_RING_CORRUPT);
            zport_crit_exit(p->port, key);
            break;
        }
        handle_one(p, &pkt, zport_now_ns(p->port));
        zport_crit_exit(p->port, key);
        handled++;
    }
    return handled;
}

bool proxy_work_pending(proxy_t *p)
{
    if (p == 0 || p->region.hdr == 0)
        return false;
    uint32_t key = zport_crit_enter(p->port);
    int r = ipc_ring_ready_count(&p->cq);
    zport_crit_exit(p->port, key);
    return r != 0;   /* a corrupt ring counts as work: the handler counts it */
}

bool proxy_idle_prepare(proxy_t *p)
{
    ipc_side_t *me = &p->region.hdr->zen;
    /* W1: announce sleep, full fence, then re-check the completion ring;
     * pairs with the bridge's W2 (publish, fence, read our flag). */
    ipc_write_once(&me->needs_wakeup, 1u);
    ipc_cache_clean(&me->needs_wakeup, 4);
    ipc_fence();
    if (proxy_work_pending(p)) {
        ipc_write_once(&me->needs_wakeup, 0u);
        ipc_cache_clean(&me->needs_wakeup, 4);
        return true;
    }
    return false;
}

void proxy_idle_finish(proxy_t *p, bool was_woken)
{
    ipc_side_t *me = &p->region.hdr->zen;
    ipc_write_once(&me->needs_wakeup, 0u);
    if (was_woken)   /* statistic; only this side writes it */
        ipc_write_once(&me->wakeups, ipc_read_once(&me->wakeups) + 1u);
    ipc_cache_clean(me, (uint32_t)sizeof(*me));
}
