/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * job_table.c - the slot life cycle of the job table: take, look up, end,
 * release (the states are drawn in proxy.h).
 *
 * Context: any, always inside the port's critical section (the callers
 * hold it: submission in task context, completion in interrupt context,
 * the deadline and epoch work in timer context, wait/cancel in task
 * context). Touches: jobs[] (flags, gen, final, ipc_status, acct, the
 * tensor lists), free_head, n_busy, n_held, stats.ended[], n_ended, the
 * owner's proxy_account_t, the heap (a released job's own blocks), the buffer
 * counts (through pb_drop), the deadline heap (dl_heap, dl_n, dl_pos), and
 * in the region only a descriptor's cancel word (write once, read once by
 * the bridge at pickup).
 *
 * The deadline heap holds the slot of every job in flight (published, no
 * final status), earliest deadline first: a job enters it when it is
 * published (pj_publish) and leaves it when it ends (pj_end), each in
 * O(log max_jobs), so that proxy_tick() looks only at the jobs whose
 * deadline passed, never at the whole table.
 */
#include "proxy_internal.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"

/* ---- the deadline heap: dl_heap[0..dl_n), numbered from 1 (the entry at
 * position i is dl_heap[i - 1], its parent at i / 2, its children at 2i
 * and 2i + 1); dl_pos[slot] is the slot's position, 0: not in it ---- */

static uint64_t dl_of(const proxy_t *p, uint32_t slot)
{
    return p->jobs[slot].deadline_ns;
}

static uint32_t dl_at(const proxy_t *p, uint32_t i)
{
    return p->dl_heap[i - 1u];
}

static void dl_put(proxy_t *p, uint32_t i, uint32_t slot)
{
    p->dl_heap[i - 1u] = (uint16_t)slot;
    p->dl_pos[slot] = (uint16_t)i;
}

/* Put slot at position i of the heap and restore the order: one step at
 * a time towards the root while its parent is later, else towards the
 * leaves while a child is earlier (the earlier of the two, the first on a
 * tie). A move up is never followed by a move down (the entry left below
 * is later), so one loop serves the insertion (i the new last entry) and
 * the removal (i the hole, slot the former last entry): O(log dl_n) steps.
 * Down, the earlier child is chosen first (its deadline kept in a
 * register), then compared with the entry's: no loop over the two. */
static void dl_sift(proxy_t *p, uint32_t i, uint32_t slot)
{
    uint32_t n = p->dl_n;
    uint64_t d = dl_of(p, slot);
    for (;;) {
        uint32_t k = i >> 1; /* the parent, 0 at the root */
        if (k == 0u || dl_of(p, dl_at(p, k)) <= d) {
            k = 2u * i; /* the first child */
            if (k > n)
                break;
            uint64_t dk = dl_of(p, dl_at(p, k));
            if (k < n) {
                uint64_t d2 = dl_of(p, dl_at(p, k + 1u));
                if (d2 < dk) {
                    dk = d2;
                    k++;
                }
            }
            if (dk >= d)
                break;
        }
        dl_put(p, i, dl_at(p, k));
        i = k;
    }
    dl_put(p, i, slot);
}

static void dl_remove(proxy_t *p, uint32_t slot)
{
    uint32_t i = p->dl_pos[slot];
    if (i == 0u)
        return;
    p->dl_pos[slot] = 0;
    uint32_t n = p->dl_n--;
    if (i < n) /* not the last entry: the last one fills the hole */
        dl_sift(p, i, dl_at(p, n));
}

void pj_publish(proxy_t *p, proxy_job_t *j)
{
    uint32_t slot = pj_slot(p, j);
    j->flags |= PJ_PUBLISHED;
    if (p->dl_pos[slot] != 0u || p->dl_n >= pj_max_jobs(p))
        return; /* already in (or no room: cannot happen, one entry per slot) */
    dl_sift(p, ++p->dl_n, slot);
}

/* ---- the slot life cycle ---- */

/* A free slot holds no tensors, no account and no flags (proxy_init()
 * zeroes the table, pj_unclaim() clears them), and its final status is
 * read only once PJ_ENDED is set (pj_end() writes it first): taking it
 * sets only the generation and PJ_BUSY. */
proxy_job_t *pj_take(proxy_t *p)
{
    uint32_t s = p->free_head;
    if (s >= pj_max_jobs(p)) /* PJ_NIL too: the list is empty */
        return 0;
    proxy_job_t *j = &p->jobs[s];
    ipc_in_register(j);
    p->free_head = j->next_free; /* read again only once the slot is free */
    j->slot = s;                 /* the same word: pj_slot() while taken */
    uint32_t gen = (j->gen + 1u) & IPC_GEN_MASK;
    j->gen = gen ? gen : 1u;
    j->flags = PJ_BUSY;
    /* No answer yet: the answer's words of the slot's last job are not
     * this one's (a job that ends unanswered reports zeros). */
    j->result = 0;
    j->bridge_epoch = 0;
    j->backend_ns = 0;
    j->t_seen = 0;
    p->n_busy++;
    return j;
}

/* The final statuses of a job follow each other in the code list as the
 * end kinds do: the kind is a distance, no chain of comparisons. */
#define END_KIND_OF(code) ((uint32_t)(PROXY_E_JOB_FAILED - (code)) + PROXY_END_FAILED)
_Static_assert(END_KIND_OF(PROXY_E_TIMED_OUT) == PROXY_END_TIMED_OUT, "end kind: timed out");
_Static_assert(END_KIND_OF(PROXY_E_CANCELLED) == PROXY_END_CANCELLED, "end kind: cancelled");
_Static_assert(END_KIND_OF(PROXY_E_BRIDGE_LOST) == PROXY_END_BRIDGE_LOST, "end kind: bridge lost");
_Static_assert(END_KIND_OF(PROXY_E_BAD_COMPLETION) == PROXY_END_BAD_COMPLETION, "end kind: bad completion");
_Static_assert(PROXY_END_OK == 0 && PROXY_END_BAD_COMPLETION + 1 == PROXY_END_COUNT, "end kinds");

static uint32_t end_kind(int32_t code)
{
    uint32_t k = (uint32_t)(PROXY_E_JOB_FAILED - code); /* 0 for FAILED */
    if (code == PROXY_OK)
        return PROXY_END_OK;
    return k < PROXY_END_BAD_COMPLETION - PROXY_END_FAILED ? k + PROXY_END_FAILED : PROXY_END_BAD_COMPLETION;
}

void pj_end(proxy_t *p, proxy_job_t *j, int32_t code, uint32_t ipc_status)
{
    uint32_t f = j->flags;
    if (f & PJ_ENDED) /* exactly one final status */
        return;
    j->final = code;
    j->ipc_status = ipc_status;
    j->flags = f | PJ_ENDED;
    uint32_t kind = end_kind(code);
    p->stats.ended[kind]++;
    p->n_ended++;
    if (j->acct) {
        if (j->acct->inflight)
            j->acct->inflight--;
        j->acct->ended[kind]++;
        if (kind == PROXY_END_FAILED && ipc_status < IPC_STATUS_COUNT)
            j->acct->failed_status[ipc_status]++;
    }
    if (!(f & PJ_ANSWERED)) {
        p->n_held++;
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
    /* Last, in the same critical section: the arguments are not kept
     * across the heap's sift. */
    dl_remove(p, pj_slot(p, j));
}

/* Give back the job's tensors: its own heap blocks to the heap, the
 * caller's buffers to the caller (one reader or the writer less). */
static void free_blocks(proxy_t *p, proxy_job_t *j)
{
    for (uint32_t i = 0; i < pj_nt(j->n_in); i++) {
#if ZEN_CFG_ZERO_COPY
        if (j->flags & PJ_IN_BUFS)
            pb_drop(p, j->buf_in[i], true);
        else
#endif
            (void)ipc_heap_free(&p->heap, j->in[i].off);
    }
    for (uint32_t i = 0; i < pj_nt(j->n_out); i++) {
#if ZEN_CFG_ZERO_COPY
        if (j->flags & PJ_OUT_BUFS)
            pb_drop(p, j->buf_out[i], false);
        else
#endif
            (void)ipc_heap_free(&p->heap, j->out[i].off);
    }
    j->n_in = 0;
    j->n_out = 0;
}

/* The slot back to the free list, with its tensors: a released job's or
 * one that never reached a ring (one function for both: no wrapper). */
void pj_unclaim(proxy_t *p, proxy_job_t *j)
{
    /* Not in the deadline heap: a released job has ended (pj_end took it
     * out), a job given back by the submission was never published. */
    free_blocks(p, j);
    uint32_t s = pj_slot(p, j); /* read before next_free takes its word */
    j->flags = 0;
    j->acct = 0;
    j->next_free = p->free_head;
    p->free_head = s;
    if (p->n_busy)
        p->n_busy--;
}

void pj_release_if_done(proxy_t *p, proxy_job_t *j)
{
    const uint32_t all = PJ_BUSY | PJ_ENDED | PJ_ANSWERED | PJ_COLLECTED;
    if ((j->flags & all) == all)
        pj_unclaim(p, j);
}

bool pj_picked_up(proxy_t *p, const proxy_job_t *j)
{
    (void)ipc_ring_free_count(&p->sq[j->ring]); /* refreshes tail_seen (A2) */
    return pj_below(j, p->sq[j->ring].tail_seen);
}
