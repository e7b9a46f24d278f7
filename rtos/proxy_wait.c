/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_wait.c - the task's half of a job: wait, status query, cancel, and
 * the queries (account, bridge online, usage).
 *
 * Context: task; proxy_wait() may block in zport_wait() (outside the
 * critical section). Each look at a job is one critical section: look up
 * the handle, end the job if its deadline passed (job_table.c), read its
 * record. Collecting writes the job's PJ_COLLECTED flag (and releases the
 * slot when the bridge has answered) and the descriptor's line 3 (t_wake,
 * this side's trace). The outputs are copied outside the critical
 * section: the slot and its blocks stay the task's until PJ_COLLECTED is
 * set. A cancel writes the descriptor's cancel word (write once, read
 * once by the bridge at pickup) and ends the job.
 */
#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

static uint32_t state_of(proxy_t *p, const proxy_job_t *j)
{
    if (!(j->flags & PJ_ENDED))
        return pj_picked_up(p, j) ? PROXY_JOB_RUNNING : PROXY_JOB_SUBMITTED;
    switch (j->final) {
    case PROXY_OK: return PROXY_JOB_DONE;
    case PROXY_E_TIMED_OUT: return PROXY_JOB_TIMED_OUT;
    case PROXY_E_CANCELLED: return PROXY_JOB_CANCELLED;
    case PROXY_E_BRIDGE_LOST: return PROXY_JOB_BRIDGE_LOST;
    default: return PROXY_JOB_FAILED;
    }
}

/* End the job if its deadline has passed (critical section held). Inline
 * in each caller, as lookup_as(): an image that links only the wait holds
 * no copy of its own. */
static inline __attribute__((always_inline)) void check_deadline(proxy_t *p, proxy_job_t *j, uint64_t now)
{
    if (!(j->flags & PJ_ENDED) && now >= j->deadline_ns)
        pj_end(p, j, pj_expiry_code(p), IPC_STATUS_COUNT);
}

static void fill_result(const proxy_t *p, const proxy_job_t *j, uint32_t h, proxy_result_t *res)
{
    (void)p;
    res->status = j->final;
    res->ipc_status = j->ipc_status;
    res->handle = h;
    res->model_id = j->model_id;
    res->result = j->result;
    res->bridge_epoch = j->bridge_epoch;
    res->backend_ns = j->backend_ns;
    res->t_submit = j->t_submit;
#if ZEN_CFG_STAGE_TIMES
    res->t_pickup = j->t_pickup;
    res->t_backend_start = j->t_backend_start;
    res->t_backend_end = j->t_backend_end;
    res->t_complete = j->t_complete;
#else
    res->t_pickup = res->t_backend_start = res->t_backend_end = res->t_complete = 0;
#endif
    res->t_complete_seen = j->t_seen;
    res->t_wake = 0;
    res->times_valid = ZEN_CFG_STAGE_TIMES && j->times_valid != 0u && j->final == PROXY_OK;
}

/* The outputs of a job that ended PROXY_OK: invalidated in place in its
 * buffers, or invalidated and copied out of its own blocks. The blocks
 * are the job's, taken in the claim from the heap or the buffers (private
 * records, inside the region's lay-out by construction, as in the
 * submission's fill): their addresses need no bound check of their own. */
static void take_outputs(proxy_t *p, const proxy_job_t *j, const proxy_out_t *out, uint32_t n_out)
{
    if (j->flags & PJ_OUT_BUFS) {
        for (uint32_t i = 0; i < pj_nt(j->n_out); i++) {
            ipc_tensor_ref_t ref = j->out[i];
            ipc_cache_invalidate(p->region.base + ref.off, ref.len);
        }
    } else if (out) {
        for (uint32_t i = 0; i < pj_nt(n_out); i++) {
            ipc_tensor_ref_t ref = j->out[i];
            const uint8_t *src = p->region.base + ref.off;
            ipc_cache_invalidate(src, ref.len);
            pj_copy(out[i].ptr, src, ref.len);
        }
    }
}

/* The caller's output list fits the job (critical section held): as
 * many outputs as the job's own blocks, which the submission took for
 * its model (one per output, of the model's length), and each buffer at
 * least as long as the block copied into it. */
static bool outputs_fit(const proxy_job_t *j, const proxy_out_t *out, uint32_t n_out)
{
    if (out == 0)
        return true;
    if (j->flags & (PJ_OUT_BUFS | PJ_PING))
        return false;            /* the outputs are in the job's buffers, or a ping has none */
    bool ok = n_out == j->n_out; /* then n_out <= ZEN_CFG_MAX_TENSORS */
    for (uint32_t i = 0; ok && i < pj_nt(n_out); i++)
        ok = out[i].ptr != 0 && out[i].len >= j->out[i].len;
    return ok;
}

/* Collect an ended job: entered with the critical section held (key),
 * returns with it released. now: the clock read in that critical
 * section, after the job ended (t_wake is never before t_complete_seen). */
static int collect(proxy_t *p, proxy_job_t *j, uint32_t h, uint32_t key, uint64_t start, uint64_t now,
                   proxy_result_t *res, const proxy_out_t *out, uint32_t n_out)
{
    ipc_job_desc_t *d = ipc_region_job(&p->region, IPC_HANDLE_SLOT(h)); /* h: the job's, looked up */
    d->t_wake = now;                                                    /* line 3: written by this side only */
    fill_result(p, j, h, res);
    res->t_wake = now;
    res->t_wait_call = start;
    pj_trace_put(p, res, d->qos, j->acct ? j->acct->trace_tag : 0u);
    zport_crit_exit(p->port, key);
    int32_t st = res->status;
    if (st == PROXY_OK)
        take_outputs(p, j, out, n_out);
    key = zport_crit_enter(p->port);
    j->flags |= PJ_COLLECTED;
    pj_release_if_done(p, j);
    zport_crit_exit(p->port, key);
    return st;
}

/* In the critical section: the job of handle h if it is charged to owner
 * (any account when owner is NULL), in one look-up, or NULL; *rc says
 * which (PROXY_OK, PROXY_E_BAD_HANDLE, PROXY_E_NOT_OWNER). */
static inline __attribute__((always_inline)) proxy_job_t *lookup_as(proxy_t *p, const proxy_account_t *owner,
                                                                    uint32_t h, int *rc)
{
    proxy_job_t *j = pj_find(p, h, PJ_BUSY | PJ_PUBLISHED | PJ_COLLECTED);
    *rc = PROXY_E_BAD_HANDLE;
    if (j != 0) {
        *rc = PROXY_OK;
        if (owner != 0 && j->acct != owner) {
            *rc = PROXY_E_NOT_OWNER;
            j = 0;
        }
    }
    return j;
}

static int refuse(proxy_t *p, uint32_t h, int rc)
{
    if (rc == PROXY_E_NOT_OWNER)
        ZEN_LOG(p->port, ZPORT_LOG_WARN, "proxy: handle 0x%x is charged to another account", (unsigned)h);
    return rc;
}

int proxy_wait(proxy_t *p, uint32_t h, uint32_t timeout_us, proxy_result_t *res, const proxy_out_t *out, uint32_t n_out)
{
    return proxy_wait_as(p, 0, h, timeout_us, res, out, n_out);
}

int proxy_wait_as(proxy_t *p, const proxy_account_t *owner, uint32_t h, uint32_t timeout_us, proxy_result_t *res,
                  const proxy_out_t *out, uint32_t n_out)
{
    if (p == 0 || res == 0 || (n_out != 0 && out == 0) || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint64_t start = zport_now_ns(p->port);
    uint64_t until = timeout_us == PROXY_WAIT_UNTIL_DEADLINE ? ~(uint64_t)0 : start + ipc_us_to_ns(timeout_us);
    for (;;) { /* each pass blocks until a wake-up or a deadline */
        uint32_t key = zport_crit_enter(p->port);
        uint64_t now = zport_now_ns(p->port);
        int rc;
        proxy_job_t *j = lookup_as(p, owner, h, &rc);
        if (j != 0 && !outputs_fit(j, out, n_out))
            rc = PROXY_E_INVAL;
        if (rc != PROXY_OK) {
            zport_crit_exit(p->port, key);
            return refuse(p, h, rc);
        }
        bool ended = (j->flags & PJ_ENDED) != 0u;
        if (!ended && now >= j->deadline_ns) { /* check_deadline(), without testing the flag again */
            pj_end(p, j, pj_expiry_code(p), IPC_STATUS_COUNT);
            ended = true;
        }
        if (ended)
            return collect(p, j, h, key, start, now, res, out, n_out);
        uint32_t seq = ipc_read_once(&j->wake_seq);
        uint64_t wake_at = until < j->deadline_ns ? until : j->deadline_ns;
        zport_crit_exit(p->port, key);
        if (now >= until)
            return PROXY_E_WAIT_TIMEOUT;
        (void)zport_wait(p->port, &j->wake_seq, seq, wake_at);
    }
}

int proxy_job_status(proxy_t *p, uint32_t h, proxy_job_info_t *info)
{
    return proxy_job_status_as(p, 0, h, info);
}

int proxy_job_status_as(proxy_t *p, const proxy_account_t *owner, uint32_t h, proxy_job_info_t *info)
{
    if (p == 0 || info == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint64_t now = zport_now_ns(p->port);
    uint32_t key = zport_crit_enter(p->port);
    int rc;
    proxy_job_t *j = lookup_as(p, owner, h, &rc);
    info->state = PROXY_JOB_INVALID;
    info->status = 0;
    info->model_id = 0;
    info->deadline_ns = 0;
    if (j) {
        check_deadline(p, j, now);
        info->state = state_of(p, j);
        info->status = (j->flags & PJ_ENDED) ? j->final : 0;
        info->model_id = j->model_id;
        info->deadline_ns = j->deadline_ns;
    }
    zport_crit_exit(p->port, key);
    return refuse(p, h, rc);
}

int proxy_cancel(proxy_t *p, uint32_t h)
{
    return proxy_cancel_as(p, 0, h);
}

int proxy_cancel_as(proxy_t *p, const proxy_account_t *owner, uint32_t h)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint32_t key = zport_crit_enter(p->port);
    int rc;
    proxy_job_t *j = lookup_as(p, owner, h, &rc);
    if (rc != PROXY_OK) {
        /* no job of this owner: nothing touched */
    } else if (j->flags & PJ_ENDED) {
        rc = PROXY_E_ALREADY_ENDED;
    } else if (pj_picked_up(p, j)) {
        rc = PROXY_E_TOO_LATE;
    } else {
        /* Read once by the bridge at pickup; it answers CANCELLED, and
         * that answer frees the slot. */
        ipc_job_desc_t *d = ipc_region_job(&p->region, pj_slot(p, j));
        ipc_write_once(&d->cancel, 1u);
        ipc_cache_clean(&d->cancel, 4);
        pj_end(p, j, PROXY_E_CANCELLED, IPC_STATUS_COUNT);
    }
    zport_crit_exit(p->port, key);
    return refuse(p, h, rc);
}

bool proxy_bridge_online(proxy_t *p)
{
    if (p == 0)
        return false;
    uint32_t key = zport_crit_enter(p->port);
    bool on = p->bridge_online != 0u;
    zport_crit_exit(p->port, key);
    return on;
}

void proxy_usage(proxy_t *p, proxy_usage_t *u)
{
    if (p == 0 || u == 0)
        return;
    uint32_t key = zport_crit_enter(p->port);
    u->slots_busy = p->n_busy;
    u->slots_held = p->n_held;
    u->heap_free_bytes = ipc_heap_free_bytes(&p->heap);
    u->bufs_live = 0;
    u->bufs_busy = 0;
#if ZEN_CFG_ZERO_COPY
    u->bufs_live = p->n_bufs;
    for (uint32_t i = 0; i < ZEN_CFG_MAX_BUFS; i++)
        if (p->bufs[i].live && pb_busy(&p->bufs[i]))
            u->bufs_busy++;
#endif
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        u->sq_head[i] = i < ZEN_CFG_MAX_SQ && i < p->region.n_sq ? p->sq[i].head : 0u;
    zport_crit_exit(p->port, key);
}
