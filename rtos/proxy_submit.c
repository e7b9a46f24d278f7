/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_submit.c - submission: the request check, proxy_submit, proxy_ping
 * and ipc_send.
 *
 * Context: task. A submission runs in three steps, so that the critical
 * section never covers a copy:
 *  1. claim, inside the critical section: a contract's admission rule
 *     (pj_admit), started, bridge online, room in the ring, a slot
 *     (job_table.c), its tensor blocks (heap) or buffers (proxy_bufs.c);
 *     writes the slot's fields, n_busy, the reject counters of stats,
 *     the owner's in-flight count;
 *  2. fill, outside it: the inputs into the slot's own blocks and the
 *     descriptor (the request lines; the answer and trace lines zeroed):
 *     nobody else can reach a slot that is not yet PJ_PUBLISHED;
 *  3. publish, inside it again: re-check the bridge, enqueue (R1 on
 *     the submission ring publishes the descriptor; W2 decides the
 *     doorbell), mark the slot PJ_PUBLISHED, count; or roll back (the
 *     in-flight count too); the doorbell is rung after leaving the section.
 * proxy_check_request() is pure and takes no lock.
 */
#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zenedge/ipc_errors.h"

int proxy_check_request(const proxy_t *p, const proxy_request_t *req, const proxy_model_t **model)
{
    if (p == 0 || req == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    if (req->qos >= IPC_QOS_COUNT || req->deadline_us > ZEN_CFG_MAX_DEADLINE_US ||
        (req->n_in != 0 && req->in == 0 && req->in_buf == 0) || (req->in != 0 && req->in_buf != 0))
        return PROXY_E_INVAL;
#if !ZEN_CFG_ZERO_COPY
    if (req->in_buf != 0 || req->out_buf != 0)
        return PROXY_E_INVAL; /* no zero-copy path in this build */
#endif
    const proxy_model_t *m = proxy_model_find(p, req->model_id);
    if (m == 0)
        return PROXY_E_UNKNOWN_MODEL;
    if (req->n_in != m->n_in || (req->out_buf != 0 && req->n_out != m->n_out))
        return PROXY_E_MODEL_SIGNATURE;
    if (!ZEN_CFG_ZERO_COPY || req->in_buf == 0) /* without zero-copy in_buf is NULL (above) */
        for (uint32_t i = 0; i < pj_nt(m->n_in); i++)
            if (req->in[i].ptr == 0 || req->in[i].len != m->in_len[i])
                return PROXY_E_MODEL_SIGNATURE;
    if (model)
        *model = m;
    return PROXY_OK;
}

/* Enqueue and decide (and count) the doorbell; the caller rings it, after
 * leaving the critical section when it holds one. The caller has checked
 * p, pkt and ring and set *ring_it false. Inlined in its two callers. */
static inline __attribute__((always_inline)) int sq_enqueue(proxy_t *p, uint32_t ring, const ipc_packet_t *pkt,
                                                            bool *ring_it)
{
    int r = ipc_ring_enqueue(&p->sq[ring], pkt); /* R1 inside: publishes the packet */
    if (r == IPC_E_RING_FULL)
        return PROXY_E_RING_FULL;
    if (r == IPC_E_RING_CORRUPT)
        return PROXY_E_RING_CORRUPT;
    if (r < 0)
        return PROXY_E_INVAL;
    uint32_t mode = p->doorbell;           /* IPC_DB_POLL, _EVENTFD or _ADAPTIVE: proxy_init() refuses others */
    ipc_region_hdr_t *hdr = p->region.hdr; /* read once: the counter's store may alias it */
    *ring_it = mode != IPC_DB_POLL && (mode == IPC_DB_EVENTFD || ipc_peer_wants_doorbell(&hdr->bridge)); /* W2 */
    if (*ring_it) {
        p->stats.doorbells++;
        /* statistic; only this side writes it */
        ipc_write_once(&hdr->zen.doorbells, p->stats.doorbells);
    }
    return PROXY_OK;
}

int ipc_send(proxy_t *p, uint32_t ring, const ipc_packet_t *pkt)
{
    bool ring_it = false;
    int rc = PROXY_E_INVAL;
    if (p != 0 && pkt != 0 && ring < pj_n_sq(p)) /* publish() passes a ring of pj_ring_of() */
        rc = sq_enqueue(p, ring, pkt, &ring_it);
    if (ring_it)
        zport_doorbell(p->port);
    return rc;
}

static bool bridge_accepts(const proxy_t *p)
{
    return p->bridge_online != 0u;
}

/* Step 3: inside the critical section, re-check the bridge and publish the
 * packet; roll back on failure. */
static int publish(proxy_t *p, proxy_job_t *j, ipc_job_desc_t *d, uint32_t cmd, uint32_t ring, uint32_t h,
                   proxy_account_t *acct)
{
    int rc;
    bool ring_it = false;
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
        rc = sq_enqueue(p, ring, &pkt, &ring_it);
        if (rc == PROXY_OK) {
            j->sq_seq = seq;
            if (ZEN_CFG_MAX_SQ > 1u) /* one ring: every job's is 0, the zeroed table's */
                j->ring = (uint8_t)ring;
            j->acct = acct;   /* counted in acct->inflight since the claim */
            pj_publish(p, j); /* PJ_PUBLISHED, and into the deadline heap */
            p->stats.submitted++;
            if (acct)
                acct->submitted++;
        } else if (rc == PROXY_E_RING_FULL) {
            p->stats.rej_ring_full++;
        }
    }
    if (rc != PROXY_OK) {
        ipc_write_once(&d->handle, 0u);
        ipc_cache_clean(&d->handle, 4);
        pj_unclaim(p, j);
        if (acct)
            acct->inflight--; /* the claim's count given back */
    }
    zport_crit_exit(p->port, key);
    /* Decided inside, rung outside: a port's doorbell (a system call on
     * Linux) never lengthens the critical section. A late ring is harmless:
     * the packet is already published and the bridge re-checks its rings. */
    if (ring_it)
        zport_doorbell(p->port);
    return rc;
}

/* Step 1, one tensor list (the inputs or the outputs): own heap blocks
 * (counted in the job's n_in or n_out) or the caller's buffers (ids,
 * through pb_take). */
static int take_list(proxy_t *p, proxy_job_t *j, bool is_in, const proxy_model_t *m, const uint32_t *ids)
{
    ipc_tensor_ref_t *refs = is_in ? j->in : j->out;
    uint8_t *count = is_in ? &j->n_in : &j->n_out;
    const uint32_t *lens = is_in ? m->in_len : m->out_len;
    uint32_t n = is_in ? m->n_in : m->n_out;
    for (uint32_t i = 0; i < pj_nt(n); i++) {
#if ZEN_CFG_ZERO_COPY
        if (ids) {
            int brc = pb_take(p, j, ids[i], lens[i], is_in);
            if (brc != PROXY_OK)
                return brc;
            continue;
        }
#else
        (void)ids;
#endif
        int err = ipc_heap_alloc(&p->heap, lens[i], &refs[i]);
        if (err != IPC_OK) {
            if (err == IPC_E_HEAP_TOO_BIG)
                return PROXY_E_TENSOR_TOO_BIG;
            p->stats.rej_heap++;
            return PROXY_E_HEAP_EXHAUSTED;
        }
        *count = (uint8_t)(i + 1u);
    }
    return PROXY_OK;
}

/* Step 1, tensors: the model's inputs and outputs as own heap blocks or
 * the caller's buffers. On failure the caller rolls the slot back, which
 * gives back exactly what was taken. */
static int take_tensors(proxy_t *p, proxy_job_t *j, const proxy_model_t *m, const uint32_t *in_buf,
                        const uint32_t *out_buf)
{
    if (in_buf)
        j->flags |= PJ_IN_BUFS;
    if (out_buf)
        j->flags |= PJ_OUT_BUFS;
    int rc = take_list(p, j, true, m, in_buf);
    if (rc == PROXY_OK)
        rc = take_list(p, j, false, m, out_buf);
    return rc;
}

/* Step 1, inside the critical section: every check that does not need
 * the inputs, a slot and the tensor blocks (or the caller's buffers); a
 * ping (m NULL) takes no tensors. */
static int job_take(proxy_t *p, const proxy_model_t *m, uint32_t ring, const uint32_t *in_buf, const uint32_t *out_buf,
                    proxy_job_t **out)
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
    proxy_job_t *j = pj_take(p);
    if (j == 0) {
        p->stats.rej_jobs_full++;
        return PROXY_E_JOB_TABLE_FULL;
    }
    if (m) {
        int rc = take_tensors(p, j, m, in_buf, out_buf);
        if (rc != PROXY_OK) {
            pj_unclaim(p, j); /* gives back what was taken so far */
            return rc;
        }
    } else {
        j->flags |= PJ_PING;
    }
    *out = j;
    return PROXY_OK;
}

/* Step 1: the owner's admission rule first, then the job's slot and
 * tensors; an owned job counts in acct->inflight from here on (given back
 * on failure), so that the rule of the next claim sees it. */
static int job_claim(proxy_t *p, proxy_account_t *acct, uint64_t now, bool admit, const proxy_model_t *m, uint32_t ring,
                     const uint32_t *in_buf, const uint32_t *out_buf, proxy_job_t **out)
{
#if ZEN_CFG_CONTRACT
    if (admit) {
        int arc = pj_admit(acct, now);
        if (arc != PROXY_OK)
            return arc;
    }
#else
    (void)now;
    (void)admit;
#endif
    int rc = job_take(p, m, ring, in_buf, out_buf, out);
    if (acct && rc == PROXY_OK)
        acct->inflight++;
    return rc;
}

/* Step 2, outside the critical section: the slot and blocks are ours
 * alone until the packet is published. Copy the inputs into the job's
 * blocks and fill descriptor lines 0-3 with plain stores (the packet's R1
 * publishes them), one pass over each tensor list. The handle and the
 * cancel word are stored "once": they are the words a late reader of an
 * older use of the slot may look at. Returns the descriptor. */
static ipc_job_desc_t *fill(proxy_t *p, const proxy_job_t *j, const proxy_request_t *req, const uint32_t *in_buf,
                            uint32_t h, uint32_t timeout_us)
{
    ipc_job_desc_t *d = ipc_region_job(&p->region, IPC_HANDLE_SLOT(h)); /* h: the job's handle */
    pj_zero((uint8_t *)d + 8, (uint32_t)sizeof(*d) - 8u);
    ipc_write_once(&d->handle, h);
    d->model_id = j->model_id;
    d->qos = (uint8_t)req->qos;
    uint32_t n_in = j->n_in, n_out = j->n_out; /* read once: the stores below may alias them */
    d->n_in = (uint8_t)n_in;
    d->n_out = (uint8_t)n_out;
    d->timeout_us = timeout_us;
    d->t_submit = j->t_submit;
    ipc_write_once(&d->cancel, 0u);
    /* req_flags, reserved0 and the unused tensor entries stay zero */
    for (uint32_t i = 0; i < pj_nt(n_in); i++) {
        /* The job's own block, taken in the claim from the heap or the
         * buffers (private records, inside the region's layout by
         * construction): its address needs no bound check of its own. */
        ipc_tensor_ref_t ref = j->in[i];
        uint8_t *dst = p->region.base + ref.off;
        if (in_buf == 0)
            pj_copy(dst, req->in[i].ptr, ref.len);
        ipc_cache_clean(dst, ref.len); /* buffers: the task wrote them in place */
        d->in[i] = ref;
    }
    /* Outputs: no dirty line of ours may be written back over the answer. */
    for (uint32_t i = 0; i < pj_nt(n_out); i++) {
        ipc_tensor_ref_t ref = j->out[i]; /* the job's own, as above */
        ipc_cache_clean(p->region.base + ref.off, ref.len);
        d->out[i] = ref;
    }
    ipc_cache_clean(d, (uint32_t)sizeof(*d));
    return d;
}

int pj_submit(proxy_t *p, const proxy_request_t *req, uint64_t now, const proxy_model_t *m, uint32_t *handle,
              bool admit)
{
    /* An empty id list is no list: a model without inputs (or outputs)
     * gets no buffer flag. */
#if ZEN_CFG_ZERO_COPY
    const uint32_t *in_buf = m && m->n_in ? req->in_buf : 0;
    const uint32_t *out_buf = m && m->n_out ? req->out_buf : 0;
#else
    const uint32_t *in_buf = 0, *out_buf = 0;
#endif
    uint32_t ring = pj_ring_of(p, req->qos);
    uint32_t dl_us = req->deadline_us ? req->deadline_us : ZEN_CFG_DEFAULT_DEADLINE_US;
    proxy_job_t *j = 0;
    uint32_t key = zport_crit_enter(p->port);
    int rc = job_claim(p, req->acct, now, admit, m, ring, in_buf, out_buf, &j);
    if (rc == PROXY_OK) {
        j->model_id = m ? m->id : 0u;
        j->t_submit = now;
        j->deadline_ns = now + ipc_us_to_ns(dl_us);
    }
    zport_crit_exit(p->port, key);
    if (rc != PROXY_OK)
        return rc;
    uint32_t h = IPC_HANDLE(j->gen, pj_slot(p, j));
    ipc_in_register(j);
    ipc_job_desc_t *d = fill(p, j, req, in_buf, h, dl_us);
    rc = publish(p, j, d, m ? CMD_RUN_MODEL : CMD_PING, ring, h, req->acct);
    if (rc == PROXY_OK)
        *handle = h;
    return rc;
}

int proxy_submit_checked(proxy_t *p, const proxy_request_t *req, const proxy_model_t *m, uint32_t *handle)
{
    if (p == 0 || req == 0 || m == 0 || handle == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
#if !ZEN_CFG_ZERO_COPY
    if (req->in_buf != 0 || req->out_buf != 0)
        return PROXY_E_INVAL;
#endif
    return pj_submit(p, req, zport_now_ns(p->port), m, handle, false);
}

int proxy_submit(proxy_t *p, const proxy_request_t *req, uint32_t *handle)
{
    if (handle == 0)
        return PROXY_E_INVAL;
    const proxy_model_t *m = 0;
    int rc = proxy_check_request(p, req, &m);
    if (rc != PROXY_OK)
        return rc;
    return pj_submit(p, req, zport_now_ns(p->port), m, handle, false);
}

int proxy_ping(proxy_t *p, uint32_t qos, uint32_t deadline_us, uint32_t *handle)
{
    if (p == 0 || handle == 0 || p->region.hdr == 0 || qos >= IPC_QOS_COUNT || deadline_us > ZEN_CFG_MAX_DEADLINE_US)
        return PROXY_E_INVAL;
    proxy_request_t req; /* no model, no tensors, no account */
    req.model_id = 0;
    req.qos = qos;
    req.deadline_us = deadline_us;
    req.in = 0;
    req.n_in = 0;
    req.in_buf = 0;
    req.out_buf = 0;
    req.n_out = 0;
    req.acct = 0;
    int rc = pj_submit(p, &req, zport_now_ns(p->port), 0, handle, false);
    if (rc == PROXY_OK)
        p->stats.pings++;
    return rc;
}
