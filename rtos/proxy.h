/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy.h - the ZENEDGE proxy driver: lays out the shared region, submits
 * jobs on the submission rings (ipc_send), handles completions (callable
 * from interrupt context), keeps the job table, enforces per-job
 * deadlines and watches the bridge's liveness.
 *
 * Freestanding: no libc, no allocation, no floating point. All storage is
 * the proxy_t the caller provides (proxy_types.h); its arrays are sized by
 * rtos/zenedge_config.h. Every OS or board service goes through
 * rtos/zport.h. Which file runs in which context: docs/porting.md.
 *
 * Job life cycle (one slot of the job table):
 *
 *   FREE --submit--> SUBMITTED --(bridge dequeued it)--> RUNNING
 *        \                \__________________________________\
 *         \                 answer | deadline | cancel | bridge lost
 *          \                                  v
 *           \                 ENDED: exactly one final status
 *            \                (DONE, FAILED, TIMED_OUT, CANCELLED,
 *             \                BRIDGE_LOST, BAD_COMPLETION)
 *              \                               |
 *               `---- released when the final status was collected by
 *                     the task (proxy_wait) AND the bridge answered (or a
 *                     new bridge epoch made an answer impossible)
 *
 * A slot whose job ended locally (timed out, cancelled, bridge lost) stays
 * held, with its tensor blocks, until the bridge answers it, so that
 * the bridge never writes into memory that was handed to another job.
 * What a bridge loss and a new bridge epoch do to the jobs in flight and
 * the held slots is told once, step by step, in docs/protocol.md
 * ("Bridge loss and restart").
 *
 * Error codes: PROXY_OK (0) or a negative proxy_err_t (base -3000); every
 * function below lists the ones it returns.
 */
#ifndef ZENEDGE_PROXY_H
#define ZENEDGE_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "proxy_types.h"
#include "zenedge/ipc_doorbell.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The one list of proxy codes: X(name, value, meaning). The enum and the
 * names of proxy_strerror() are generated from it, so a name can never
 * drift from its value. Values are consecutive from PROXY_E_BASE - 1. */
/* clang-format off */
#define PROXY_ERROR_LIST(X) \
    X(PROXY_E_INVAL            , -3001, "bad argument from the local caller") \
    X(PROXY_E_NOT_STARTED      , -3002, "proxy_init()/proxy_start() not done") \
    X(PROXY_E_CONFIG           , -3003, "configuration out of range (max_jobs > ZEN_CFG_MAX_JOBS ...)") \
    X(PROXY_E_REGION           , -3004, "the core refused the region layout (logged with its code)") \
    X(PROXY_E_HEAP_CONFIG      , -3005, "heap classes do not fit the heap or the link array") \
    X(PROXY_E_UNKNOWN_MODEL    , -3006, "model id not in the model table") \
    X(PROXY_E_MODEL_TABLE_FULL , -3007, "ZEN_CFG_MAX_MODELS entries already registered") \
    X(PROXY_E_MODEL_SIGNATURE  , -3008, "tensor count or length differs from the model's") \
    X(PROXY_E_BRIDGE_OFFLINE   , -3009, "bridge not READY, lost, or never seen") \
    X(PROXY_E_RING_FULL        , -3010, "the submission ring of the class is full") \
    X(PROXY_E_RING_CORRUPT     , -3011, "the bridge's ring counter is impossible") \
    X(PROXY_E_JOB_TABLE_FULL   , -3012, "every job slot is in use") \
    X(PROXY_E_HEAP_EXHAUSTED   , -3013, "no free heap block for a tensor") \
    X(PROXY_E_TENSOR_TOO_BIG   , -3014, "a tensor exceeds the largest heap class") \
    X(PROXY_E_BAD_HANDLE       , -3015, "not a live, uncollected job of this proxy") \
    X(PROXY_E_WAIT_TIMEOUT     , -3016, "the wait ended before the job did; job still live") \
    X(PROXY_E_TOO_LATE         , -3017, "cancel: the bridge has already picked the job up") \
    X(PROXY_E_ALREADY_ENDED    , -3018, "cancel: the job already has its final status") \
    /* Final statuses of a job (proxy_result_t.status); PROXY_OK = done. */ \
    X(PROXY_E_JOB_FAILED       , -3019, "the bridge answered a non-OK status (ipc_status)") \
    X(PROXY_E_TIMED_OUT        , -3020, "deadline passed with the bridge alive") \
    X(PROXY_E_CANCELLED        , -3021, "cancelled before pickup") \
    X(PROXY_E_BRIDGE_LOST      , -3022, "bridge silent, stopped or restarted while in flight") \
    X(PROXY_E_BAD_COMPLETION   , -3023, "the answer was malformed (rejected and counted)") \
    /* Tensor buffers (zero-copy path). */ \
    X(PROXY_E_BAD_BUF          , -3024, "not a live buffer id of this proxy, or too short for the tensor") \
    X(PROXY_E_BUF_BUSY         , -3025, "a job not yet released reads (or writes) the buffer") \
    X(PROXY_E_BUF_TABLE_FULL   , -3026, "ZEN_CFG_MAX_BUFS buffers already allocated") \
    /* Owner check of the *_as() calls (the contract layer). */ \
    X(PROXY_E_NOT_OWNER        , -3027, "the job is charged to another account (another contract)")

typedef enum proxy_err {
    PROXY_OK     = 0,
    PROXY_E_BASE = -3000,
#define PROXY_ERR_ENUM_(name, value, meaning) name = value,
    PROXY_ERROR_LIST(PROXY_ERR_ENUM_)
#undef PROXY_ERR_ENUM_
    PROXY_E_LAST = -3028
} proxy_err_t;
/* clang-format on */

/* Short constant name of a proxy code, delegating to ipc_strerror() for
 * core codes; "PROXY_E_?" otherwise. */
const char *proxy_strerror(int err);

/* What the status query reports: X(state, value, name). */
/* clang-format off */
#define PROXY_JOB_STATE_LIST(X) \
    X(PROXY_JOB_INVALID    , 0, "INVALID")      /* handle is not a live job */ \
    X(PROXY_JOB_SUBMITTED  , 1, "SUBMITTED")    /* in the submission ring */ \
    X(PROXY_JOB_RUNNING    , 2, "RUNNING")      /* the bridge dequeued it, no answer yet */ \
    X(PROXY_JOB_DONE       , 3, "DONE")         /* final: ran, outputs ready */ \
    X(PROXY_JOB_FAILED     , 4, "FAILED")       /* final: bridge status not OK, or bad completion */ \
    X(PROXY_JOB_TIMED_OUT  , 5, "TIMED_OUT")    /* final */ \
    X(PROXY_JOB_CANCELLED  , 6, "CANCELLED")    /* final */ \
    X(PROXY_JOB_BRIDGE_LOST, 7, "BRIDGE_LOST")  /* final */

typedef enum proxy_job_state {
#define PROXY_JOB_STATE_ENUM_(state, value, name) state = value,
    PROXY_JOB_STATE_LIST(PROXY_JOB_STATE_ENUM_)
#undef PROXY_JOB_STATE_ENUM_
} proxy_job_state_t;
/* clang-format on */

/* Names of a job state, a final status kind (enum proxy_end_kind) and a
 * completion reject reason (enum proxy_cq_reject); "?" out of range. */
const char *proxy_job_state_name(int state);
const char *proxy_end_name(int kind);
const char *proxy_cq_reject_name(int reason);

/* Doorbell policy towards the bridge after a submission: ipc_db_mode_t
 * (ipc_doorbell.h). IPC_DB_POLL never rings (the bridge polls),
 * IPC_DB_EVENTFD rings after every submission, IPC_DB_ADAPTIVE only when
 * the bridge announced sleep (W2). */

/* ---------------------------------------------------------------------- */
/* Set-up (task context, before the other calls): proxy_setup.c           */
/* ---------------------------------------------------------------------- */

/* Fill cfg with defaults: IPC_QOS_COUNT rings of 64 slots, max_jobs =
 * ZEN_CFG_MAX_JOBS, doorbell on demand, heartbeat ZEN_CFG_HB_PERIOD_US,
 * epoch 1, no heap classes (the caller adds them). Nothing for a NULL cfg. */
void proxy_config_default(proxy_config_t *cfg, struct zport *port, uint32_t region_size);

/* Lay out the region at region_base (IPC_CACHELINE aligned, region_size
 * bytes), cut the heap, reset the job table. The zenedge side's state is
 * STARTING until proxy_start().
 * Returns PROXY_OK, PROXY_E_INVAL (NULL argument or port), PROXY_E_CONFIG
 * (max_jobs, n_sq above ZEN_CFG_MAX_SQ, doorbell mode), PROXY_E_HEAP_CONFIG (heap classes),
 * PROXY_E_REGION (the core refused the layout; logged). */
int proxy_init(proxy_t *p, void *region_base, const proxy_config_t *cfg);

/* Add a model to the table, or replace the one with the same id (before
 * proxy_start()).
 * Returns PROXY_OK, PROXY_E_INVAL (NULL, id 0), PROXY_E_MODEL_SIGNATURE
 * (more than ZEN_CFG_MAX_TENSORS tensors, a length 0 or above the largest heap
 * block), PROXY_E_MODEL_TABLE_FULL. */
int proxy_model_register(proxy_t *p, const proxy_model_t *m);

/* The registered model with this id, or NULL (no error code). */
const proxy_model_t *proxy_model_find(const proxy_t *p, uint32_t model_id);

/* Publish READY and start watching the bridge (runs one proxy_tick()).
 * Returns PROXY_OK, PROXY_E_INVAL (NULL or not initialised). */
int proxy_start(proxy_t *p);

/* Publish OFFLINE; jobs in flight still end by their deadlines. No code. */
void proxy_stop(proxy_t *p);

/* ---------------------------------------------------------------------- */
/* Submission (task context): proxy_submit.c                              */
/* ---------------------------------------------------------------------- */

/* The one check of a request, pure (reads the model table, writes
 * nothing): queue class, deadline, the in / in_buf choice, the model and
 * its tensor signature. On PROXY_OK *model (may be NULL) is the model the
 * request names. The contract layer calls it, then submits as
 * proxy_submit_checked() does.
 * Returns PROXY_OK, PROXY_E_INVAL (NULL, not initialised, qos, deadline
 * above ZEN_CFG_MAX_DEADLINE_US, inputs neither or both of in / in_buf),
 * PROXY_E_UNKNOWN_MODEL, PROXY_E_MODEL_SIGNATURE (input count, an input
 * NULL or of another length, with out_buf an output count not the
 * model's). */
int proxy_check_request(const proxy_t *p, const proxy_request_t *req, const proxy_model_t **model);

/* Submit a request that passed proxy_check_request(), which gave m:
 * allocate a slot and tensor blocks (or take the buffers), copy the
 * inputs into the heap, fill the descriptor and ipc_send() it. On any
 * error nothing is left behind (slot, blocks, buffers and ring untouched).
 * Returns PROXY_OK (*handle names the job), PROXY_E_INVAL (NULL),
 * PROXY_E_NOT_STARTED, PROXY_E_BRIDGE_OFFLINE, PROXY_E_RING_FULL,
 * PROXY_E_RING_CORRUPT, PROXY_E_JOB_TABLE_FULL, PROXY_E_HEAP_EXHAUSTED,
 * PROXY_E_TENSOR_TOO_BIG, PROXY_E_BAD_BUF, PROXY_E_BUF_BUSY. */
int proxy_submit_checked(proxy_t *p, const proxy_request_t *req, const proxy_model_t *m, uint32_t *handle);

/* proxy_check_request() then proxy_submit_checked(): the codes of both. */
int proxy_submit(proxy_t *p, const proxy_request_t *req, uint32_t *handle);

/* Submit a PING (occupies a job slot until its PONG, like a job).
 * Returns PROXY_OK, PROXY_E_INVAL (NULL, qos, deadline),
 * PROXY_E_NOT_STARTED, PROXY_E_BRIDGE_OFFLINE, PROXY_E_RING_FULL,
 * PROXY_E_RING_CORRUPT, PROXY_E_JOB_TABLE_FULL. */
int proxy_ping(proxy_t *p, uint32_t qos, uint32_t deadline_us, uint32_t *handle);

/* Enqueue one packet on submission ring `ring` and ring the bridge's
 * doorbell as the doorbell policy says. O(1), never blocks, no loop. Call
 * it inside the critical section (the rings have one producer: this side).
 * Returns PROXY_OK, PROXY_E_INVAL (NULL, ring out of range),
 * PROXY_E_RING_FULL, PROXY_E_RING_CORRUPT. */
int ipc_send(proxy_t *p, uint32_t ring, const ipc_packet_t *pkt);

#if ZEN_CFG_ZERO_COPY
/* ---------------------------------------------------------------------- */
/* Tensor buffers, the zero-copy path (task context): proxy_bufs.c        */
/* ---------------------------------------------------------------------- */

/*
 * proxy_submit() with `in` copies every input into the heap and
 * proxy_wait() with `out` copies every output back: simple, and the
 * caller's memory is free again at once, but each byte is moved twice
 * more than needed. A task that wants no copy allocates its tensors in the
 * shared heap once (typically at start-up), builds its inputs there
 * through proxy_buf_ptr(), names the buffers in the request (in_buf,
 * out_buf) and reads its outputs in place after proxy_wait() returned
 * PROXY_OK.
 *
 * Rules (checked in proxy_submit, O(1) per tensor):
 *  - a buffer may be read by several unreleased jobs at once, or written
 *    by one, never both: naming a buffer that a job still writes, or as an
 *    output one that a job still reads, is PROXY_E_BUF_BUSY; so is an
 *    output named twice or also named as an input of the same job;
 *  - a job is released when its final status was collected AND the bridge
 *    answered (see the life cycle above): after a timeout, a cancel or a
 *    lost bridge, its buffers stay busy until the late answer or the
 *    reclaim, so the bridge never writes a buffer that is in use again;
 *  - while a job names a buffer the task must not write it (inputs) nor
 *    read it (outputs); the proxy cannot stop plain memory accesses, so
 *    this one is the caller's part (proxy_buf_busy() tells);
 *  - the buffer must hold at least the model's tensor length; the
 *    descriptor names exactly the model's length.
 * Cache maintenance for non-coherent ports is done by the proxy (clean of
 * inputs at submission, invalidate of outputs before a PROXY_OK wait
 * returns).
 */

/* Allocate a buffer of len bytes from the heap; *buf_id names it, *ptr is
 * where this side reads and writes it (IPC_CACHELINE aligned).
 * Returns PROXY_OK, PROXY_E_INVAL (NULL, len 0, not initialised),
 * PROXY_E_BUF_TABLE_FULL, PROXY_E_TENSOR_TOO_BIG, PROXY_E_HEAP_EXHAUSTED. */
int proxy_buf_alloc(proxy_t *p, uint32_t len, uint32_t *buf_id, void **ptr);

/* Give the buffer back to the heap.
 * Returns PROXY_OK, PROXY_E_INVAL (NULL, not initialised), PROXY_E_BAD_BUF,
 * PROXY_E_BUF_BUSY (a job not yet released names it). */
int proxy_buf_free(proxy_t *p, uint32_t buf_id);

/* Where the buffer lives on this side, and its length (NULL for a bad id). */
void *proxy_buf_ptr(proxy_t *p, uint32_t buf_id, uint32_t *len);

/* True while an unreleased job reads or writes the buffer (false for a bad id). */
bool proxy_buf_busy(proxy_t *p, uint32_t buf_id);
#endif /* ZEN_CFG_ZERO_COPY */

/* ---------------------------------------------------------------------- */
/* Completion (interrupt context): proxy_complete.c                       */
/* ---------------------------------------------------------------------- */

/* Completion handler: safe in interrupt context. Handles at most
 * ZEN_CFG_CQ_BUDGET packets (call again while it returns the budget).
 * Every packet is validated; rejects are counted in stats.cq_rejected;
 * nothing outside the job table is written. A corrupt ring (impossible
 * head) is counted once (ring_corrupt) and then left unread for a
 * back-off of 1 ms doubling to 1 s, or until the bridge epoch changes:
 * the completion context sleeps instead of counting corrupt reads.
 * Returns the number of packets handled (>= 0), or PROXY_E_INVAL (NULL,
 * not initialised). */
int proxy_complete(proxy_t *p);

/* Idle handshake of this side's completion context (W1 in ipc_proto.h,
 * through the ipc_doorbell.h helpers). No error codes.
 * proxy_work_pending(): true if the completion ring holds packets; false
 * for NULL, an empty ring, or a corrupt one (its back-off is timed by
 * proxy_complete, which the port's tick calls).
 * proxy_idle_prepare(): announce sleep, fence, re-check; returns true if
 * work arrived meanwhile (then do not sleep; the flag is cleared).
 * proxy_idle_finish(): clear the flag after waking (counts the wake-up). */
bool proxy_work_pending(proxy_t *p);
bool proxy_idle_prepare(proxy_t *p);
void proxy_idle_finish(proxy_t *p, bool was_woken);

/* ---------------------------------------------------------------------- */
/* Liveness (timer context): liveness.c                                   */
/* ---------------------------------------------------------------------- */

/* Periodic work (about every half heartbeat period): publish our
 * heartbeat, watch the bridge's state/epoch/heartbeat, end jobs past their
 * deadline (taken earliest first from the deadline heap: only the expired
 * ones are looked at) or orphaned by a lost bridge, reclaim held slots on
 * a new epoch. The work over jobs is done in critical sections of at most
 * ZEN_CFG_CRIT_BATCH slots, the lock released in between. Returns the
 * number of jobs that ended during the call (>= 0), or PROXY_E_INVAL
 * (NULL, not initialised). */
int proxy_tick(proxy_t *p);

/* ---------------------------------------------------------------------- */
/* Wait, status, cancel (task context): proxy_wait.c                      */
/* ---------------------------------------------------------------------- */

/* Wait until job h has its final status or timeout_us elapsed
 * (PROXY_WAIT_UNTIL_DEADLINE: as long as the job's deadline, which always
 * ends it; 0: do not block). On a final status: fills *res, copies the
 * outputs into out[0..n_out) when the job is done, releases the handle.
 * out may be NULL (n_out 0); when given, n_out must equal the model's and
 * each buffer hold its output. A job submitted with out_buf takes out NULL:
 * its outputs are already in the buffers when PROXY_OK is returned.
 * Returns the job's final status (res->status: PROXY_OK,
 * PROXY_E_JOB_FAILED, PROXY_E_TIMED_OUT, PROXY_E_CANCELLED,
 * PROXY_E_BRIDGE_LOST, PROXY_E_BAD_COMPLETION), or without collecting:
 * PROXY_E_WAIT_TIMEOUT (the job goes on), PROXY_E_BAD_HANDLE,
 * PROXY_E_INVAL (NULL, not initialised, out not fitting the model or
 * given for a job with out_buf). */
#define PROXY_WAIT_UNTIL_DEADLINE 0xFFFFFFFFu
int proxy_wait(proxy_t *p, uint32_t h, uint32_t timeout_us, proxy_result_t *res, const proxy_out_t *out,
               uint32_t n_out);

/* Non-blocking status query; does not release the handle (a job past its
 * deadline ends here).
 * Returns PROXY_OK, PROXY_E_BAD_HANDLE (info->state PROXY_JOB_INVALID),
 * PROXY_E_INVAL (NULL, not initialised). */
int proxy_job_status(proxy_t *p, uint32_t h, proxy_job_info_t *info);

/* Cancel a job not yet picked up by the bridge: it ends CANCELLED at once
 * (collect it with proxy_wait); its slot stays held until the bridge
 * answers.
 * Returns PROXY_OK, PROXY_E_TOO_LATE (the bridge dequeued it),
 * PROXY_E_ALREADY_ENDED, PROXY_E_BAD_HANDLE, PROXY_E_INVAL (NULL, not
 * initialised). */
int proxy_cancel(proxy_t *p, uint32_t h);

/* The same three calls for the owner of a job (the contract layer): one
 * look-up finds the job and checks that it is charged to `owner`; a job
 * of another account is left untouched and answered PROXY_E_NOT_OWNER
 * (logged as a warning). owner NULL: any account, as the calls above.
 * Returns what the call above returns, plus PROXY_E_NOT_OWNER. */
int proxy_wait_as(proxy_t *p, const proxy_account_t *owner, uint32_t h, uint32_t timeout_us, proxy_result_t *res,
                  const proxy_out_t *out, uint32_t n_out);
int proxy_job_status_as(proxy_t *p, const proxy_account_t *owner, uint32_t h, proxy_job_info_t *info);
int proxy_cancel_as(proxy_t *p, const proxy_account_t *owner, uint32_t h);

/* Queries, any task: bridge online (false for NULL); what the proxy holds
 * (nothing written for NULL). */
bool proxy_bridge_online(proxy_t *p);
void proxy_usage(proxy_t *p, proxy_usage_t *u);

/* The region view (read-only use: statistics, tools). */
static inline const ipc_region_t *proxy_region(const proxy_t *p)
{
    return &p->region;
}

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_PROXY_H */
