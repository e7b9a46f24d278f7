/*
 * proxy_internal.h - definitions shared by the proxy's own .c files
 * (proxy.c, job_table.c, liveness.c). Not part of the API.
 */
#ifndef ZENEDGE_PROXY_INTERNAL_H
#define ZENEDGE_PROXY_INTERNAL_H

#include "proxy.h"

/* proxy_job_t.flags */
#define PJ_BUSY       0x01u  /* slot taken (from submit to release) */
#define PJ_PUBLISHED  0x02u  /* the packet is on a ring */
#define PJ_ANSWERED   0x04u  /* the bridge answered (or a new epoch made it moot) */
#define PJ_ENDED      0x08u  /* the final status is set */
#define PJ_COLLECTED  0x10u  /* the task collected the final status */
#define PJ_PING       0x20u  /* a PING, not a RUN_MODEL */
#define PJ_IN_BUFS    0x40u  /* inputs are tensor buffers (buf_in), not own blocks */
#define PJ_OUT_BUFS   0x80u  /* outputs are tensor buffers (buf_out), not own blocks */

#define PJ_NIL        0xFFFFFFFFu

/* Copy / zero private or shared memory with plain loops (no libc). The
 * library is built with -fno-tree-loop-distribute-patterns so that the
 * compiler does not turn them back into memcpy/memset calls. */
void pj_copy(void *dst, const void *src, uint32_t n);
void pj_zero(void *dst, uint32_t n);

/* All below: the caller holds the critical section. */

/* The live job named by h (busy, published, generation matches, not
 * collected), or NULL. */
proxy_job_t *pj_lookup(proxy_t *p, uint32_t h);

/* Give the job its one final status and wake its waiter. */
void pj_end(proxy_t *p, proxy_job_t *j, int32_t code, uint32_t ipc_status);

/* Release the slot and its tensor blocks if the job is ended, answered
 * and collected. */
void pj_release_if_done(proxy_t *p, proxy_job_t *j);

/* Return a slot that never reached a ring (submission rolled back). */
void pj_unreserve(proxy_t *p, proxy_job_t *j);

/* End every published, unanswered, not yet ended job with `code`. */
void pj_end_all_inflight(proxy_t *p, int32_t code);

/* The bridge was lost: remember how far it had read each ring. */
void pj_snapshot_tails(proxy_t *p);

/* A new bridge epoch: free the reserved slots whose packets the lost
 * instance had dequeued (snapshot now if the loss went unnoticed). */
void pj_reclaim_reserved(proxy_t *p);

/* A new bridge epoch: take the tails it adopted at attach as the point up
 * to which the lost instances dequeued (lost_tail), if it published them
 * (IPC_FEAT_START_TAILS) and each lies within one ring of our head.
 * Returns whether it did. */
bool pj_adopt_start_tails(proxy_t *p);

/* End with `code` the published, unanswered, not yet ended jobs whose
 * packets were dequeued before lost_tail (the lost instances held them);
 * the others are still in a ring for the new instance. */
void pj_end_dequeued_inflight(proxy_t *p, int32_t code);

/* True when the ring has dequeued the job's packet (tail passed it). */
bool pj_picked_up(proxy_t *p, const proxy_job_t *j);

/* Final status for a job whose time ran out, given the bridge's state. */
int32_t pj_expiry_code(const proxy_t *p);

/* The live tensor buffer named by id, or NULL. */
proxy_buf_t *pb_lookup(proxy_t *p, uint32_t id);

/* An unreleased job reads or writes the buffer. */
static inline bool pb_busy(const proxy_buf_t *b)
{
    return b->readers != 0u || b->writer != 0u;
}

/* Index of a job record. */
static inline uint32_t pj_slot(const proxy_t *p, const proxy_job_t *j)
{
    return (uint32_t)(j - p->jobs);
}

#endif /* ZENEDGE_PROXY_INTERNAL_H */
