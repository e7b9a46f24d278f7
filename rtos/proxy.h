/*
 * proxy.h - the ZENEDGE proxy driver: lays out the shared region, submits
 * jobs on the submission rings (ipc_send), handles completions (callable
 * from interrupt context), keeps the job table, enforces per-job
 * deadlines and watches the bridge's liveness.
 *
 * Freestanding: no libc, no allocation, no floating point. All storage is
 * the proxy_t the caller provides; its arrays are sized by
 * rtos/zenedge_config.h. Every OS or board service goes through
 * rtos/zport.h.
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
 * reserved, with its tensor blocks, until the bridge answers it, so that
 * the bridge never writes into memory that was handed to another job; its
 * descriptor's cancel word is set so that a bridge that picks it up later
 * answers CANCELLED without running it. The late answer is recognised by
 * the handle generation, counted, and frees the slot. When a new bridge
 * epoch appears, the slots whose packets the lost instance had already
 * dequeued (ring tail at the time of the loss) are reclaimed at once: no
 * answer can come for them. Packets still in a ring are answered by the
 * new instance, and that answer frees their slots. Which packets the lost
 * instance had dequeued is told by the tails the new instance adopted at
 * attach (ipc_side_t.sq_tail_at_start, protocol 1.1) when it publishes
 * them, else by the tails this side saw when it noticed the loss (or at
 * the new epoch, if the loss went unnoticed: then a packet the new
 * instance dequeued before our tick would be counted as the old one's).
 * A restart quicker than the loss detection ends, with the start tails,
 * only the jobs whose packets an earlier instance had dequeued: the jobs
 * whose packets are still in a ring simply run on the new instance.
 * Without them (a 1.0 bridge) the new epoch ends every job in flight.
 *
 * Error codes: PROXY_OK (0) or a negative proxy_err_t (base -3000).
 */
#ifndef ZENEDGE_PROXY_H
#define ZENEDGE_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "zenedge/ipc_doorbell.h"

#include "zenedge/ipc_heap.h"
#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"
#include "zenedge_config.h"
#include "zport.h"

typedef enum proxy_err {
    PROXY_OK                  = 0,
    PROXY_E_BASE              = -3000,
    PROXY_E_INVAL             = -3001, /* bad argument from the local caller */
    PROXY_E_NOT_STARTED       = -3002, /* proxy_init()/proxy_start() not done */
    PROXY_E_CONFIG            = -3003, /* configuration out of range (max_jobs > ZEN_CFG_MAX_JOBS ...) */
    PROXY_E_REGION            = -3004, /* the core refused the region layout (logged with its code) */
    PROXY_E_HEAP_CONFIG       = -3005, /* heap classes do not fit the heap or the link array */
    PROXY_E_UNKNOWN_MODEL     = -3006, /* model id not in the model table */
    PROXY_E_MODEL_TABLE_FULL  = -3007, /* ZEN_CFG_MAX_MODELS entries already registered */
    PROXY_E_MODEL_SIGNATURE   = -3008, /* tensor count or length differs from the model's */
    PROXY_E_BRIDGE_OFFLINE    = -3009, /* bridge not READY, lost, or never seen */
    PROXY_E_RING_FULL         = -3010, /* the submission ring of the class is full */
    PROXY_E_RING_CORRUPT      = -3011, /* the bridge's ring counter is impossible */
    PROXY_E_JOB_TABLE_FULL    = -3012, /* every job slot is in use */
    PROXY_E_HEAP_EXHAUSTED    = -3013, /* no free heap block for a tensor */
    PROXY_E_TENSOR_TOO_BIG    = -3014, /* a tensor exceeds the largest heap class */
    PROXY_E_BAD_HANDLE        = -3015, /* not a live, uncollected job of this proxy */
    PROXY_E_WAIT_TIMEOUT      = -3016, /* the wait ended before the job did; job still live */
    PROXY_E_TOO_LATE          = -3017, /* cancel: the bridge has already picked the job up */
    PROXY_E_ALREADY_ENDED     = -3018, /* cancel: the job already has its final status */
    /* Final statuses of a job (proxy_result_t.status); PROXY_OK = done. */
    PROXY_E_JOB_FAILED        = -3019, /* the bridge answered a non-OK status (ipc_status) */
    PROXY_E_TIMED_OUT         = -3020, /* deadline passed with the bridge alive */
    PROXY_E_CANCELLED         = -3021, /* cancelled before pickup */
    PROXY_E_BRIDGE_LOST       = -3022, /* bridge silent, stopped or restarted while in flight */
    PROXY_E_BAD_COMPLETION    = -3023, /* the answer was malformed (rejected and counted) */
    /* Tensor buffers (zero-copy path). */
    PROXY_E_BAD_BUF           = -3024, /* not a live buffer id of this proxy, or too short for the tensor */
    PROXY_E_BUF_BUSY          = -3025, /* a job not yet released reads (or writes) the buffer */
    PROXY_E_BUF_TABLE_FULL    = -3026, /* ZEN_CFG_MAX_BUFS buffers already allocated */
    PROXY_E_LAST              = -3027
} proxy_err_t;

/* Short constant name of a proxy code, delegating to ipc_strerror() for
 * core codes; "PROXY_E_?" otherwise. */
const char *proxy_strerror(int err);

/* What the status query reports. */
typedef enum proxy_job_state {
    PROXY_JOB_INVALID     = 0, /* handle is not a live job */
    PROXY_JOB_SUBMITTED   = 1, /* in the submission ring */
    PROXY_JOB_RUNNING     = 2, /* the bridge dequeued it, no answer yet */
    PROXY_JOB_DONE        = 3, /* final: ran, outputs ready */
    PROXY_JOB_FAILED      = 4, /* final: bridge status not OK, or bad completion */
    PROXY_JOB_TIMED_OUT   = 5, /* final */
    PROXY_JOB_CANCELLED   = 6, /* final */
    PROXY_JOB_BRIDGE_LOST = 7  /* final */
} proxy_job_state_t;
const char *proxy_job_state_name(int state);

/* Final status kinds, for per-contract counters. */
enum proxy_end_kind {
    PROXY_END_OK = 0, PROXY_END_FAILED, PROXY_END_TIMED_OUT, PROXY_END_CANCELLED,
    PROXY_END_BRIDGE_LOST, PROXY_END_BAD_COMPLETION, PROXY_END_COUNT
};
const char *proxy_end_name(int kind);

/* Completions rejected by the completion handler, by reason. */
enum proxy_cq_reject {
    PROXY_CQ_BAD_CMD = 0,      /* cmd is not PONG / JOB_DONE / ERROR */
    PROXY_CQ_BAD_HANDLE,       /* slot >= max_jobs or generation 0 */
    PROXY_CQ_UNKNOWN_JOB,      /* generation not the slot's last one (forged or very old) */
    PROXY_CQ_DUPLICATE,        /* a second answer while the job still holds its slot */
    PROXY_CQ_STALE,            /* an answer for a use of the slot already released */
    PROXY_CQ_CMD_MISMATCH,     /* PONG for a job, JOB_DONE for a ping */
    PROXY_CQ_BAD_STATUS,       /* status >= IPC_STATUS_COUNT */
    PROXY_CQ_BAD_TIME,         /* backend_ns > the configured maximum */
    PROXY_CQ_UNATTRIBUTED,     /* CMD_ERROR naming no job of ours */
    PROXY_CQ_RING_CORRUPT,     /* the completion ring's head was impossible */
    PROXY_CQ_REJECT_COUNT
};
const char *proxy_cq_reject_name(int reason);

/* Doorbell policy towards the bridge after a submission: ipc_db_mode_t
 * (ipc_doorbell.h). IPC_DB_POLL never rings (the bridge polls),
 * IPC_DB_EVENTFD rings after every submission, IPC_DB_ADAPTIVE only when
 * the bridge announced sleep (W2). */

/* Tensor signature of a model (registered by the application). */
typedef struct proxy_model {
    uint32_t id;                          /* 1..0xFFFFFFFF */
    uint32_t n_in;                        /* 0..IPC_MAX_TENSORS */
    uint32_t n_out;                       /* 0..IPC_MAX_TENSORS */
    uint32_t in_len[IPC_MAX_TENSORS];     /* bytes */
    uint32_t out_len[IPC_MAX_TENSORS];    /* bytes */
} proxy_model_t;

typedef struct proxy_in {
    const void *ptr;
    uint32_t    len;
} proxy_in_t;

typedef struct proxy_out {
    void     *ptr;
    uint32_t  len;
} proxy_out_t;

/* Accounting block of a job's owner (embedded in contract_t). Updated by
 * the proxy inside its critical section. */
typedef struct proxy_account {
    uint32_t inflight;                    /* submitted, no final status yet */
    uint64_t used_ns;                     /* backend time charged this period */
    uint64_t charged_total_ns;            /* backend time charged ever */
    uint32_t ended[PROXY_END_COUNT];      /* final statuses by kind */
    uint32_t failed_status[IPC_STATUS_COUNT]; /* PROXY_END_FAILED by bridge status */
} proxy_account_t;

/* A submission. Inputs come either from private memory (in: copied into
 * per-job heap blocks) or from tensor buffers (in_buf: read in place, no
 * copy). Outputs go either to per-job heap blocks that proxy_wait()
 * copies out (out_buf NULL) or straight into tensor buffers (out_buf: n_out
 * buffer ids, written in place by the bridge). */
typedef struct proxy_request {
    uint32_t           model_id;
    uint32_t           qos;               /* IPC_QOS_* */
    uint32_t           deadline_us;       /* from submission; 0: ZEN_CFG_DEFAULT_DEADLINE_US */
    const proxy_in_t  *in;                /* n_in inputs, lengths as the model says */
    uint32_t           n_in;
    const uint32_t    *in_buf;            /* instead of in: n_in buffer ids (in must be NULL) */
    const uint32_t    *out_buf;           /* NULL, or n_out buffer ids for the outputs */
    uint32_t           n_out;             /* with out_buf: the model's output count */
    proxy_account_t   *acct;              /* may be NULL */
} proxy_request_t;

/* A tensor buffer of the zero-copy path: a heap block the application
 * owns from proxy_buf_alloc() to proxy_buf_free(), named by a buffer id
 * (slot and generation, so a stale id is refused). Private record. */
typedef struct proxy_buf {
    ipc_tensor_ref_t ref;                 /* region offset and length of the block */
    uint16_t         readers;             /* unreleased jobs reading it */
    uint8_t          writer;              /* 1: an unreleased job writes it */
    uint8_t          live;                /* allocated */
    uint32_t         gen;                 /* generation of the current or last use */
} proxy_buf_t;

/* Everything known about a job when it ended. Times in ns; the bridge's
 * stage times are 0 when unknown or inconsistent (times_valid false). */
typedef struct proxy_result {
    int32_t  status;                      /* PROXY_OK or a final PROXY_E_* */
    uint32_t ipc_status;                  /* the bridge's status, IPC_STATUS_COUNT if none */
    uint32_t handle;
    uint32_t model_id;                    /* 0 for a ping */
    uint32_t result;                      /* the model's result word */
    uint32_t bridge_epoch;
    uint64_t backend_ns;                  /* as charged (clamped) */
    uint64_t t_submit, t_pickup, t_backend_start, t_backend_end, t_complete;
    uint64_t t_complete_seen, t_wake;
    uint64_t t_wait_call;                 /* when the task called the wait that returned: later
                                             than t_complete_seen if the job ended before the
                                             task asked (a pipelined or busy task) */
    bool     times_valid;                 /* bridge stage times usable (shared clock, ordered) */
} proxy_result_t;

typedef struct proxy_job_info {
    uint32_t state;                       /* proxy_job_state_t */
    int32_t  status;                      /* final status when state is final */
    uint32_t model_id;
    uint64_t deadline_ns;
} proxy_job_info_t;

typedef struct proxy_stats {
    uint32_t submitted;                   /* jobs and pings put on a ring */
    uint32_t pings;
    uint32_t rej_offline, rej_ring_full, rej_jobs_full, rej_heap;
    uint32_t doorbells;                   /* zport_doorbell() calls */
    uint32_t completions;                 /* answers accepted */
    uint32_t late_answers;                /* answers for jobs that had ended locally */
    uint32_t cq_rejected[PROXY_CQ_REJECT_COUNT];
    uint32_t time_clamped;                /* backend_ns above the submit..seen span */
    uint32_t bad_timestamps;              /* stage times out of order (kept, times dropped) */
    uint32_t epoch_mismatch;              /* answer names another bridge epoch */
    uint32_t ended[PROXY_END_COUNT];      /* final statuses, all owners */
    uint32_t bridge_lost;                 /* online -> lost transitions */
    uint32_t bridge_epochs;               /* new bridge epochs seen */
    uint32_t reclaimed;                   /* reserved slots freed by a new epoch */
    uint32_t start_tails_used;            /* new epochs whose sq_tail_at_start[] decided the reclaim */
    uint32_t start_tails_bad;             /* ... whose sq_tail_at_start[] was implausible (ignored) */
} proxy_stats_t;

/* What the proxy is holding right now ("nothing left behind" checks). */
typedef struct proxy_usage {
    uint32_t slots_busy;                  /* job slots not free */
    uint32_t slots_reserved;              /* ended locally, waiting for an answer */
    uint32_t heap_free_bytes;
    uint32_t bufs_live;                   /* tensor buffers allocated */
    uint32_t bufs_busy;                   /* of them, named by an unreleased job */
    uint32_t sq_head[IPC_MAX_SQ];         /* packets ever produced per ring */
} proxy_usage_t;

typedef struct proxy_config {
    struct zport *port;
    uint32_t region_size;                 /* bytes at region_base */
    uint32_t n_sq;                        /* submission rings (default IPC_QOS_COUNT) */
    uint32_t sq_slots;                    /* per ring, power of two */
    uint32_t cq_slots;                    /* 0: smallest power of two >= max_jobs */
    uint32_t max_jobs;                    /* <= ZEN_CFG_MAX_JOBS */
    uint32_t features;                    /* IPC_FEAT_* */
    uint32_t hb_period_us;                /* our heartbeat period */
    uint32_t epoch;                       /* our epoch (+1 per boot) */
    uint32_t sq_weight[IPC_MAX_SQ];
    uint32_t doorbell;                    /* IPC_DB_* */
    uint32_t n_heap_classes;
    ipc_heap_class_cfg_t heap[IPC_HEAP_MAX_CLASSES];
    uint64_t backend_ns_max;              /* 0: ZEN_CFG_BACKEND_NS_MAX */
    uint32_t hb_slack_us;                 /* 0: ZEN_CFG_HB_SLACK_US */
} proxy_config_t;

/* Private job record (one per slot). Fields are the proxy's; read them
 * only through the functions below. */
typedef struct proxy_job {
    uint32_t          flags;
    uint32_t          gen;                /* generation of the current or last use */
    uint32_t          wake_seq;           /* bumped when the job ends (zport_wait word) */
    uint32_t          next_free;
    int32_t           final;
    uint32_t          ipc_status;
    uint32_t          model_id;
    uint32_t          result;
    uint32_t          bridge_epoch;
    uint32_t          sq_seq;             /* ring head before our packet */
    uint8_t           ring;
    uint8_t           n_in;
    uint8_t           n_out;
    uint8_t           times_valid;
    uint8_t           buf_in[IPC_MAX_TENSORS];  /* buffer slots when PJ_IN_BUFS */
    uint8_t           buf_out[IPC_MAX_TENSORS]; /* buffer slots when PJ_OUT_BUFS */
    proxy_account_t  *acct;
    ipc_tensor_ref_t  in[IPC_MAX_TENSORS];
    ipc_tensor_ref_t  out[IPC_MAX_TENSORS];
    uint64_t          deadline_ns;
    uint64_t          t_submit, t_pickup, t_backend_start, t_backend_end, t_complete, t_seen;
    uint64_t          backend_ns;
} proxy_job_t;

typedef struct proxy {
    struct zport    *port;
    uint32_t         started;
    uint32_t         max_jobs;
    uint32_t         doorbell;
    uint32_t         hb_slack_us;
    uint64_t         backend_ns_max;
    ipc_region_t     region;
    ipc_heap_t       heap;
    ipc_ring_prod_t  sq[IPC_MAX_SQ];
    ipc_ring_cons_t  cq;
    uint32_t         free_head;           /* free slot list through next_free */
    uint32_t         n_busy;
    uint32_t         n_reserved;
    uint32_t         n_models;
    proxy_model_t    models[ZEN_CFG_MAX_MODELS];
    proxy_job_t      jobs[ZEN_CFG_MAX_JOBS];
    uint32_t         heap_links[ZEN_CFG_HEAP_MAX_BLOCKS];
    proxy_buf_t      bufs[ZEN_CFG_MAX_BUFS];
    uint32_t         n_bufs;              /* live buffers */
    /* liveness (inside the critical section) */
    uint32_t         zen_hb;
    uint32_t         hb_period_us;
    uint64_t         zen_hb_next_ns;
    uint32_t         bridge_online;       /* 1: READY, heartbeat moving */
    uint32_t         bridge_epoch;        /* last epoch seen (0: none) */
    uint32_t         bridge_hb;           /* last heartbeat value seen */
    uint64_t         bridge_hb_ns;        /* when it last moved */
    uint32_t         lost_tail[IPC_MAX_SQ]; /* ring tails when the bridge was lost */
    uint32_t         lost_tail_valid;
    proxy_stats_t    stats;
} proxy_t;

/* Fill cfg with defaults: IPC_QOS_COUNT rings of 64 slots, max_jobs =
 * ZEN_CFG_MAX_JOBS, doorbell on demand, heartbeat ZEN_CFG_HB_PERIOD_US,
 * epoch 1, no heap classes (the caller adds them). */
void proxy_config_default(proxy_config_t *cfg, struct zport *port, uint32_t region_size);

/* Lay out the region at region_base (IPC_CACHELINE aligned, region_size
 * bytes), cut the heap, reset the job table. The zenedge side's state is
 * STARTING until proxy_start(). */
int proxy_init(proxy_t *p, void *region_base, const proxy_config_t *cfg);

/* Add a model to the table (before proxy_start()). */
int proxy_model_register(proxy_t *p, const proxy_model_t *m);
const proxy_model_t *proxy_model_find(const proxy_t *p, uint32_t model_id);

/* Publish READY and start watching the bridge; proxy_stop() publishes
 * OFFLINE (jobs in flight still end by their deadlines). */
int  proxy_start(proxy_t *p);
void proxy_stop(proxy_t *p);

/* Submit a job: allocate a slot and tensor blocks, copy the inputs into
 * the heap, fill the descriptor and ipc_send() it. On any error nothing is
 * left behind (slot, blocks and ring untouched). */
int proxy_submit(proxy_t *p, const proxy_request_t *req, uint32_t *handle);

/*
 * Tensor buffers: the zero-copy path.
 *
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
 * where this side reads and writes it (IPC_CACHELINE aligned). */
int proxy_buf_alloc(proxy_t *p, uint32_t len, uint32_t *buf_id, void **ptr);

/* Give the buffer back to the heap (PROXY_E_BUF_BUSY while a job names it). */
int proxy_buf_free(proxy_t *p, uint32_t buf_id);

/* Where the buffer lives on this side, and its length (NULL for a bad id). */
void *proxy_buf_ptr(proxy_t *p, uint32_t buf_id, uint32_t *len);

/* True while an unreleased job reads or writes the buffer (false for a bad id). */
bool proxy_buf_busy(proxy_t *p, uint32_t buf_id);

/* Submit a PING (occupies a job slot until its PONG, like a job). */
int proxy_ping(proxy_t *p, uint32_t qos, uint32_t deadline_us, uint32_t *handle);

/* Enqueue one packet on submission ring `ring` and ring the bridge's
 * doorbell as the doorbell policy says. O(1), never blocks, no loop:
 * PROXY_E_RING_FULL when full. Call it inside the critical section (the
 * rings have one producer: this side). */
int ipc_send(proxy_t *p, uint32_t ring, const ipc_packet_t *pkt);

/* Completion handler: safe in interrupt context. Handles at most
 * ZEN_CFG_CQ_BUDGET packets and returns how many (call again while it
 * returns the budget). Every packet is validated; rejects are counted in
 * stats.cq_rejected; nothing outside the job table is written. */
int proxy_complete(proxy_t *p);

/* Periodic work (timer context, about every half heartbeat period):
 * publish our heartbeat, watch the bridge's state/epoch/heartbeat, end
 * jobs past their deadline or orphaned by a lost bridge, reclaim reserved
 * slots on a new epoch. Returns the number of jobs it ended. */
int proxy_tick(proxy_t *p);

/* Wait (task context) until job h has its final status or timeout_us
 * elapsed (PROXY_WAIT_UNTIL_DEADLINE: as long as the job's deadline,
 * which always ends it; 0: do not block). On a final status: fills *res,
 * copies the outputs into out[0..n_out) when the job is done, releases
 * the handle, and returns res->status (PROXY_OK or a final PROXY_E_*).
 * Otherwise returns PROXY_E_WAIT_TIMEOUT and the job goes on. out may be
 * NULL (n_out 0); when given, n_out must equal the model's and each
 * buffer hold its output. A job submitted with out_buf takes out NULL:
 * its outputs are already in the buffers when PROXY_OK is returned. */
#define PROXY_WAIT_UNTIL_DEADLINE 0xFFFFFFFFu
int proxy_wait(proxy_t *p, uint32_t h, uint32_t timeout_us, proxy_result_t *res,
               const proxy_out_t *out, uint32_t n_out);

/* Non-blocking status query; does not release the handle. */
int proxy_job_status(proxy_t *p, uint32_t h, proxy_job_info_t *info);

/* Cancel a job not yet picked up by the bridge: it ends CANCELLED at once
 * (collect it with proxy_wait); its slot stays reserved until the bridge
 * answers. PROXY_E_TOO_LATE once the bridge dequeued it. */
int proxy_cancel(proxy_t *p, uint32_t h);

/* The account a live job is charged to (NULL if none or bad handle). */
proxy_account_t *proxy_job_account(proxy_t *p, uint32_t h);

bool proxy_bridge_online(proxy_t *p);
void proxy_usage(proxy_t *p, proxy_usage_t *u);

/* Idle handshake of this side's completion context (W1 in ipc_proto.h).
 * proxy_work_pending(): true if the completion ring holds packets.
 * proxy_idle_prepare(): announce sleep, fence, re-check; returns true if
 * work arrived meanwhile (then do not sleep; the flag is cleared).
 * proxy_idle_finish(): clear the flag after waking (counts the wake-up). */
bool proxy_work_pending(proxy_t *p);
bool proxy_idle_prepare(proxy_t *p);
void proxy_idle_finish(proxy_t *p, bool was_woken);

/* The region view (read-only use: statistics, tools). */
static inline const ipc_region_t *proxy_region(const proxy_t *p) { return &p->region; }

#endif /* ZENEDGE_PROXY_H */
