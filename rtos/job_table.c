/*
 * job_table.c - the proxy's private job table: final statuses, slot
 * release, and the task-side calls (wait, status query, cancel).
 * Freestanding: no libc.
 */
#include "proxy.h"

#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

proxy_job_t *pj_lookup(proxy_t *p, uint32_t h)
{
    uint32_t slot = IPC_HANDLE_SLOT(h);
    uint32_t gen = IPC_HANDLE_GEN(h);
    if (gen == 0 || slot >= p->max_jobs)
        return 0;
    proxy_job_t *j = &p->jobs[slot];
    if ((j->flags & (PJ_BUSY | PJ_PUBLISHED | PJ_COLLECTED)) != (PJ_BUSY | PJ_PUBLISHED) || j->gen != gen)
        return 0;
    return j;
}

static uint32_t end_kind(int32_t code)
{
    switch (code) {
    case PROXY_OK: return PROXY_END_OK;
    case PROXY_E_JOB_FAILED: return PROXY_END_FAILED;
    case PROXY_E_TIMED_OUT: return PROXY_END_TIMED_OUT;
    case PROXY_E_CANCELLED: return PROXY_END_CANCELLED;
    case PROXY_E_BRIDGE_LOST: return PROXY_END_BRIDGE_LOST;
    default: return PROXY_END_BAD_COMPLETION;
    }
}

void pj_end(proxy_t *p, proxy_job_t *j, int32_t code, uint32_t ipc_status)
{
    if (j->flags & PJ_ENDED)   /* exactly one final status */
        return;
    j->final = code;
    j->ipc_status = ipc_status;
    j->flags |= PJ_ENDED;
    uint32_t kind = end_kind(code);
    p->stats.ended[kind]++;
    if (j->acct) {
        if (j->acct->inflight)
            j->acct->inflight--;
        j->acct->ended[kind]++;
        if (kind == PROXY_END_FAILED && ipc_status < IPC_STATUS_COUNT)
            j->acct->failed_status[ipc_status]++;
    }
    if (!(j->flags & PJ_ANSWERED)) {
        p->n_reserved++;
        if (code != PROXY_OK) {
            /* Advisory, read once at pickup: a bridge that reaches the
             * packet later answers CANCELLED without running it. */
            ipc_job_desc_t *d = ipc_region_job(&p->region, pj_slot(p, j));
            ipc_write_once(&d->cancel, 1u);
            ipc_cache_clean(&d->cancel, 4);
        }
    }
    /* The waiter reads wake_seq before it blocks (inside the critical
     * section) and the port's wait compares it atomically. */
    ipc_store_release(&j->wake_seq, ipc_read_once(&j->wake_seq) + 1u);
    zport_wake(p->port, &j->wake_seq);
}

/* Give back the job's tensors: its own heap blocks to the heap, the
 * caller's buffers to the caller (one reader or the writer less). */
static void free_blocks(proxy_t *p, proxy_job_t *j)
{
    for (uint32_t i = 0; i < j->n_in; i++) {
        if (j->flags & PJ_IN_BUFS) {
            proxy_buf_t *b = &p->bufs[j->buf_in[i] < ZEN_CFG_MAX_BUFS ? j->buf_in[i] : 0];
            if (b->readers)
                b->readers--;
        } else {
            (void)ipc_heap_free(&p->heap, j->in[i].off);
        }
    }
    for (uint32_t i = 0; i < j->n_out; i++) {
        if (j->flags & PJ_OUT_BUFS)
            p->bufs[j->buf_out[i] < ZEN_CFG_MAX_BUFS ? j->buf_out[i] : 0].writer = 0u;
        else
            (void)ipc_heap_free(&p->heap, j->out[i].off);
    }
    j->n_in = 0;
    j->n_out = 0;
}

static void slot_put(proxy_t *p, proxy_job_t *j)
{
    free_blocks(p, j);
    j->flags = 0;
    j->acct = 0;
    j->next_free = p->free_head;
    p->free_head = pj_slot(p, j);
    if (p->n_busy)
        p->n_busy--;
}

void pj_release_if_done(proxy_t *p, proxy_job_t *j)
{
    const uint32_t all = PJ_BUSY | PJ_ENDED | PJ_ANSWERED | PJ_COLLECTED;
    if ((j->flags & all) == all)
        slot_put(p, j);
}

void pj_unreserve(proxy_t *p, proxy_job_t *j)
{
    slot_put(p, j);
}

void pj_end_all_inflight(proxy_t *p, int32_t code)
{
    for (uint32_t s = 0; s < p->max_jobs; s++) {
        proxy_job_t *j = &p->jobs[s];
        if ((j->flags & (PJ_BUSY | PJ_PUBLISHED | PJ_ANSWERED | PJ_ENDED)) == (PJ_BUSY | PJ_PUBLISHED))
            pj_end(p, j, code, IPC_STATUS_COUNT);
    }
}

void pj_snapshot_tails(proxy_t *p)
{
    for (uint32_t i = 0; i < p->region.n_sq; i++) {
        (void)ipc_ring_free_count(&p->sq[i]);   /* refreshes tail_seen (A2) */
        p->lost_tail[i] = p->sq[i].tail_seen;
    }
    p->lost_tail_valid = 1;
}

bool pj_adopt_start_tails(proxy_t *p)
{
    ipc_side_t *b = &p->region.hdr->bridge;
    if (!(ipc_read_once(&b->features) & IPC_FEAT_START_TAILS))
        return false;   /* a 1.0 bridge: our own snapshot decides */
    uint32_t start[IPC_MAX_SQ];
    for (uint32_t i = 0; i < p->region.n_sq; i++) {
        start[i] = ipc_read_once(&b->sq_tail_at_start[i]);
        /* The tail can be at most one ring behind our head and never
         * ahead of it. */
        uint32_t behind = p->sq[i].head - start[i];
        if (behind > p->region.sq_slots) {
            p->stats.start_tails_bad++;
            zport_log(p->port, ZPORT_LOG_WARN,
                      "proxy: bridge epoch start tail of ring %u is %u, %u behind our head %u (limit %u): ignored",
                      (unsigned)i, (unsigned)start[i], (unsigned)behind, (unsigned)p->sq[i].head,
                      (unsigned)p->region.sq_slots);
            return false;
        }
    }
    for (uint32_t i = 0; i < p->region.n_sq; i++)
        p->lost_tail[i] = start[i];
    p->lost_tail_valid = 1;
    p->stats.start_tails_used++;
    return true;
}

void pj_end_dequeued_inflight(proxy_t *p, int32_t code)
{
    for (uint32_t s = 0; s < p->max_jobs; s++) {
        proxy_job_t *j = &p->jobs[s];
        if ((j->flags & (PJ_BUSY | PJ_PUBLISHED | PJ_ANSWERED | PJ_ENDED)) == (PJ_BUSY | PJ_PUBLISHED) &&
            (int32_t)(p->lost_tail[j->ring] - (j->sq_seq + 1u)) >= 0)
            pj_end(p, j, code, IPC_STATUS_COUNT);
    }
}

void pj_reclaim_reserved(proxy_t *p)
{
    if (!p->lost_tail_valid)
        pj_snapshot_tails(p);
    for (uint32_t s = 0; s < p->max_jobs; s++) {
        proxy_job_t *j = &p->jobs[s];
        if ((j->flags & (PJ_BUSY | PJ_PUBLISHED | PJ_ANSWERED | PJ_ENDED)) != (PJ_BUSY | PJ_PUBLISHED | PJ_ENDED))
            continue;
        /* Only packets the lost instance had dequeued: the others are
         * still in the ring and the new instance will answer them. */
        if ((int32_t)(p->lost_tail[j->ring] - (j->sq_seq + 1u)) < 0)
            continue;
        /* Should the packet be read again anyway, the descriptor names no
         * job (handle 0, cancel set): it is answered STALE and never
         * touches the tensor blocks we are about to free. */
        ipc_job_desc_t *d = ipc_region_job(&p->region, s);
        ipc_write_once(&d->cancel, 1u);
        ipc_write_once(&d->handle, 0u);
        ipc_cache_clean(d, 32u);
        j->flags |= PJ_ANSWERED;
        if (p->n_reserved)
            p->n_reserved--;
        p->stats.reclaimed++;
        pj_release_if_done(p, j);
    }
    p->lost_tail_valid = 0;
}

bool pj_picked_up(proxy_t *p, const proxy_job_t *j)
{
    (void)ipc_ring_free_count(&p->sq[j->ring]);   /* refreshes tail_seen (A2) */
    return (int32_t)(p->sq[j->ring].tail_seen - (j->sq_seq + 1u)) >= 0;
}

int32_t pj_expiry_code(const proxy_t *p)
{
    return p->bridge_online ? PROXY_E_TIMED_OUT : PROXY_E_BRIDGE_LOST;
}

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

/* End the job if its deadline has passed (critical section held). */
static void check_deadline(proxy_t *p, proxy_job_t *j, uint64_t now)
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
    res->t_pickup = j->t_pickup;
    res->t_backend_start = j->t_backend_start;
    res->t_backend_end = j->t_backend_end;
    res->t_complete = j->t_complete;
    res->t_complete_seen = j->t_seen;
    res->t_wake = 0;
    res->times_valid = j->times_valid != 0u && j->final == PROXY_OK;
}

int proxy_wait(proxy_t *p, uint32_t h, uint32_t timeout_us, proxy_result_t *res,
               const proxy_out_t *out, uint32_t n_out)
{
    if (p == 0 || res == 0 || (n_out != 0 && out == 0) || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint64_t start = zport_now_ns(p->port);
    uint64_t until = timeout_us == PROXY_WAIT_UNTIL_DEADLINE ? ~(uint64_t)0
                                                            : start + (uint64_t)timeout_us * 1000u;
    uint64_t now = start;
    for (;;) {   /* each pass blocks until a wake-up or a deadline */
        uint32_t key = zport_crit_enter(p->port);
        proxy_job_t *j = pj_lookup(p, h);
        if (j == 0) {
            zport_crit_exit(p->port, key);
            return PROXY_E_BAD_HANDLE;
        }
        if (out && (j->flags & PJ_OUT_BUFS)) {
            zport_crit_exit(p->port, key);
            return PROXY_E_INVAL;   /* the outputs are in the job's buffers */
        }
        if (out) {
            const proxy_model_t *m = proxy_model_find(p, j->model_id);
            bool ok = m != 0 && n_out == m->n_out;
            for (uint32_t i = 0; ok && i < n_out; i++)
                ok = out[i].ptr != 0 && out[i].len >= m->out_len[i];
            if (!ok) {
                zport_crit_exit(p->port, key);
                return PROXY_E_INVAL;
            }
        }
        check_deadline(p, j, now);
        if (j->flags & PJ_ENDED) {
            /* The job may have ended after `now` was read: read the clock
             * again so that t_wake is never before t_complete_seen. */
            now = zport_now_ns(p->port);
            fill_result(p, j, h, res);
            res->t_wake = now;
            res->t_wait_call = start;
            ipc_job_desc_t *d = ipc_region_job(&p->region, pj_slot(p, j));
            d->t_wake = now;   /* line 3: written by this side only */
            zport_crit_exit(p->port, key);
            /* The slot and its blocks stay ours until COLLECTED is set:
             * copy the outputs outside the critical section. */
            if (res->status == PROXY_OK && (j->flags & PJ_OUT_BUFS)) {
                for (uint32_t i = 0; i < j->n_out; i++)
                    ipc_cache_invalidate(ipc_region_ptr(&p->region, j->out[i].off, j->out[i].len),
                                         j->out[i].len);
            } else if (res->status == PROXY_OK && out) {
                for (uint32_t i = 0; i < n_out; i++) {
                    const uint8_t *src = (const uint8_t *)ipc_region_ptr(&p->region, j->out[i].off,
                                                                        j->out[i].len);
                    ipc_cache_invalidate(src, j->out[i].len);
                    pj_copy(out[i].ptr, src, j->out[i].len);
                }
            }
            key = zport_crit_enter(p->port);
            j->flags |= PJ_COLLECTED;
            pj_release_if_done(p, j);
            zport_crit_exit(p->port, key);
            return res->status;
        }
        uint32_t seq = ipc_read_once(&j->wake_seq);
        uint64_t wake_at = until < j->deadline_ns ? until : j->deadline_ns;
        zport_crit_exit(p->port, key);
        if (now >= until)
            return PROXY_E_WAIT_TIMEOUT;
        (void)zport_wait(p->port, &j->wake_seq, seq, wake_at);
        now = zport_now_ns(p->port);
    }
}

int proxy_job_status(proxy_t *p, uint32_t h, proxy_job_info_t *info)
{
    if (p == 0 || info == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint64_t now = zport_now_ns(p->port);
    uint32_t key = zport_crit_enter(p->port);
    proxy_job_t *j = pj_lookup(p, h);
    int rc = PROXY_E_BAD_HANDLE;
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
        rc = PROXY_OK;
    }
    zport_crit_exit(p->port, key);
    return rc;
}

int proxy_cancel(proxy_t *p, uint32_t h)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint32_t key = zport_crit_enter(p->port);
    proxy_job_t *j = pj_lookup(p, h);
    int rc;
    if (j == 0) {
        rc = PROXY_E_BAD_HANDLE;
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
        rc = PROXY_OK;
    }
    zport_crit_exit(p->port, key);
    return rc;
}

proxy_account_t *proxy_job_account(proxy_t *p, uint32_t h)
{
    if (p == 0 || p->region.hdr == 0)
        return 0;
    uint32_t key = zport_crit_enter(p->port);
    proxy_job_t *j = pj_lookup(p, h);
    proxy_account_t *a = j ? j->acct : 0;
    zport_crit_exit(p->port, key);
    return a;
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
    u->slots_reserved = p->n_reserved;
    u->heap_free_bytes = ipc_heap_free_bytes(&p->heap);
    u->bufs_live = p->n_bufs;
    u->bufs_busy = 0;
    for (uint32_t i = 0; i < ZEN_CFG_MAX_BUFS; i++)
        if (p->bufs[i].live && pb_busy(&p->bufs[i]))
            u->bufs_busy++;
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        u->sq_head[i] = i < p->region.n_sq ? p->sq[i].head : 0u;
    zport_crit_exit(p->port, key);
}
