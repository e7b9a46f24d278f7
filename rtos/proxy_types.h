/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_types.h - the storage of the ZENEDGE proxy driver: every type the
 * caller declares (proxy_t, proxy_config_t, the request and result
 * records) and the enums that size their arrays. The functions that work
 * on them are in proxy.h; this header has no function, so a board file
 * that only holds a proxy_t in its static memory needs no more.
 *
 * Freestanding: no libc, no allocation. Array sizes come from
 * rtos/zenedge_config.h; every user of proxy_t must see the same values.
 */
#ifndef ZENEDGE_PROXY_TYPES_H
#define ZENEDGE_PROXY_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "zenedge/ipc_heap.h"
#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"
#include "zenedge_config.h"
#include "zport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Final status kinds, for per-contract counters: X(kind, name). The enum
 * and the names of proxy_end_name() come from this one list. */
/* clang-format off */
#define PROXY_END_LIST(X) \
    X(PROXY_END_OK            , "ok") \
    X(PROXY_END_FAILED        , "failed") \
    X(PROXY_END_TIMED_OUT     , "timed_out") \
    X(PROXY_END_CANCELLED     , "cancelled") \
    X(PROXY_END_BRIDGE_LOST   , "bridge_lost") \
    X(PROXY_END_BAD_COMPLETION, "bad_completion")

enum proxy_end_kind {
#define PROXY_END_ENUM_(kind, name) kind,
    PROXY_END_LIST(PROXY_END_ENUM_)
#undef PROXY_END_ENUM_
    PROXY_END_COUNT
};
/* clang-format on */

/* Completions rejected by the completion handler, by reason:
 * X(reason, name, meaning). The enum and the names of
 * proxy_cq_reject_name() come from this one list. */
/* clang-format off */
#define PROXY_CQ_REJECT_LIST(X) \
    X(PROXY_CQ_BAD_CMD      , "bad_cmd"           , "cmd is not PONG / JOB_DONE / ERROR") \
    X(PROXY_CQ_BAD_HANDLE   , "bad_handle"        , "slot >= max_jobs or generation 0") \
    X(PROXY_CQ_UNKNOWN_JOB  , "unknown_job"       , "generation not the slot's last one (forged or very old)") \
    X(PROXY_CQ_DUPLICATE    , "duplicate"         , "a second answer while the job still holds its slot") \
    X(PROXY_CQ_STALE        , "stale"             , "an answer for a use of the slot already released") \
    X(PROXY_CQ_CMD_MISMATCH , "cmd_mismatch"      , "PONG for a job, JOB_DONE for a ping") \
    X(PROXY_CQ_BAD_STATUS   , "bad_status"        , "status >= IPC_STATUS_COUNT") \
    X(PROXY_CQ_BAD_TIME     , "bad_time"          , "backend_ns > the configured maximum") \
    X(PROXY_CQ_UNATTRIBUTED , "unattributed_error", "CMD_ERROR naming no job of ours") \
    X(PROXY_CQ_RING_CORRUPT , "ring_corrupt"      , "the completion ring's head was impossible")

enum proxy_cq_reject {
#define PROXY_CQ_ENUM_(reason, name, meaning) reason,
    PROXY_CQ_REJECT_LIST(PROXY_CQ_ENUM_)
#undef PROXY_CQ_ENUM_
    PROXY_CQ_REJECT_COUNT
};
/* clang-format on */

/* Entries of stats.cq_rejected[]: one per reason, or with
 * ZEN_CFG_REJECT_COUNTERS 0 a single one ([0]) for every reason. */
#if ZEN_CFG_REJECT_COUNTERS
#define PROXY_CQ_REJECT_SLOTS PROXY_CQ_REJECT_COUNT
#else
#define PROXY_CQ_REJECT_SLOTS 1u
#endif

/* Tensor signature of a model (registered by the application). */
typedef struct proxy_model {
    uint32_t id;                           /* 1..0xFFFFFFFF */
    uint32_t n_in;                         /* 0..ZEN_CFG_MAX_TENSORS */
    uint32_t n_out;                        /* 0..ZEN_CFG_MAX_TENSORS */
    uint32_t in_len[ZEN_CFG_MAX_TENSORS];  /* bytes */
    uint32_t out_len[ZEN_CFG_MAX_TENSORS]; /* bytes */
} proxy_model_t;

typedef struct proxy_in {
    const void *ptr;
    uint32_t len;
} proxy_in_t;

typedef struct proxy_out {
    void *ptr;
    uint32_t len;
} proxy_out_t;

/* Accounting block of a job's owner (embedded in contract_t). Updated by
 * the proxy inside its critical section. */
typedef struct proxy_account {
    uint32_t inflight;                        /* claimed, no final status yet */
    uint32_t submitted;                       /* published (put on a ring) */
    uint64_t used_ns;                         /* backend time charged this period */
    uint64_t charged_total_ns;                /* backend time charged ever */
    uint32_t ended[PROXY_END_COUNT];          /* final statuses by kind */
    uint32_t failed_status[IPC_STATUS_COUNT]; /* PROXY_END_FAILED by bridge status */
    uint32_t trace_tag;                       /* the owner's number in the job trace (0: none) */
} proxy_account_t;

/* A submission. Inputs come either from private memory (in: copied into
 * per-job heap blocks) or from tensor buffers (in_buf: read in place, no
 * copy). Outputs go either to per-job heap blocks that proxy_wait()
 * copies out (out_buf NULL) or straight into tensor buffers (out_buf: n_out
 * buffer ids, written in place by the bridge). */
typedef struct proxy_request {
    uint32_t model_id;
    uint32_t qos;         /* IPC_QOS_* */
    uint32_t deadline_us; /* from submission; 0: ZEN_CFG_DEFAULT_DEADLINE_US */
    const proxy_in_t *in; /* n_in inputs, lengths as the model says */
    uint32_t n_in;
    const uint32_t *in_buf;  /* instead of in: n_in buffer ids (in must be NULL) */
    const uint32_t *out_buf; /* NULL, or n_out buffer ids for the outputs */
    uint32_t n_out;          /* with out_buf: the model's output count */
    proxy_account_t *acct;   /* may be NULL */
} proxy_request_t;

/* A tensor buffer of the zero-copy path: a heap block the application
 * owns from proxy_buf_alloc() to proxy_buf_free(), named by a buffer id
 * (slot and generation, so a stale id is refused). Private record. */
typedef struct proxy_buf {
    ipc_tensor_ref_t ref; /* region offset and length of the block */
    uint16_t readers;     /* unreleased jobs reading it */
    uint8_t writer;       /* 1: an unreleased job writes it */
    uint8_t live;         /* allocated */
    uint32_t gen;         /* generation of the current or last use */
} proxy_buf_t;

/* Everything known about a job when it ended. Times in ns; the bridge's
 * stage times are 0 when unknown or inconsistent (times_valid false). */
typedef struct proxy_result {
    int32_t status;      /* PROXY_OK or a final PROXY_E_* */
    uint32_t ipc_status; /* the bridge's status, IPC_STATUS_COUNT if none */
    uint32_t handle;
    uint32_t model_id; /* 0 for a ping */
    uint32_t result;   /* the model's result word */
    uint32_t bridge_epoch;
    uint64_t backend_ns; /* as charged (clamped) */
    uint64_t t_submit, t_pickup, t_backend_start, t_backend_end, t_complete;
    uint64_t t_complete_seen, t_wake;
    uint64_t t_wait_call; /* when the task called the wait that returned: later
                                             than t_complete_seen if the job ended before the
                                             task asked (a pipelined or busy task) */
    bool times_valid;     /* bridge stage times usable (shared clock, ordered) */
} proxy_result_t;

typedef struct proxy_job_info {
    uint32_t state; /* proxy_job_state_t (proxy.h) */
    int32_t status; /* final status when state is final */
    uint32_t model_id;
    uint64_t deadline_ns;
} proxy_job_info_t;

typedef struct proxy_stats {
    uint32_t submitted; /* jobs and pings put on a ring */
    uint32_t pings;
    uint32_t rej_offline, rej_ring_full, rej_jobs_full, rej_heap;
    uint32_t doorbells;    /* zport_doorbell() calls */
    uint32_t completions;  /* answers accepted */
    uint32_t late_answers; /* answers for jobs that had ended locally */
    uint32_t cq_rejected[PROXY_CQ_REJECT_SLOTS];
    uint32_t time_clamped;           /* backend_ns above the submit..seen span */
    uint32_t bad_timestamps;         /* stage times out of order (kept, times dropped) */
    uint32_t epoch_mismatch;         /* answer names another bridge epoch */
    uint32_t ended[PROXY_END_COUNT]; /* final statuses, all owners */
    uint32_t bridge_lost;            /* online -> lost transitions */
    uint32_t bridge_epochs;          /* new bridge epochs seen */
    uint32_t reclaimed;              /* held slots freed by a new epoch */
    uint32_t start_tails_used;       /* new epochs whose sq_tail_at_start[] decided the reclaim */
    uint32_t start_tails_bad;        /* ... whose sq_tail_at_start[] was implausible (ignored) */
    uint32_t recoveries;             /* recovery passes asked for (a loss, a new epoch) */
    uint32_t tick_slots_max;         /* most job slots one critical section of proxy_tick()
                                        visited (recovery) or ended (deadlines): at most
                                        ZEN_CFG_CRIT_BATCH */
} proxy_stats_t;

/* What the proxy is holding right now ("nothing left behind" checks). */
typedef struct proxy_usage {
    uint32_t slots_busy; /* job slots not free */
    uint32_t slots_held; /* ended locally, waiting for an answer */
    uint32_t heap_free_bytes;
    uint32_t bufs_live;           /* tensor buffers allocated */
    uint32_t bufs_busy;           /* of them, named by an unreleased job */
    uint32_t sq_head[IPC_MAX_SQ]; /* packets ever produced per ring */
} proxy_usage_t;

typedef struct proxy_config {
    struct zport *port;
    uint32_t region_size;  /* bytes at region_base */
    uint32_t n_sq;         /* submission rings (default IPC_QOS_COUNT), <= ZEN_CFG_MAX_SQ */
    uint32_t sq_slots;     /* per ring, power of two */
    uint32_t cq_slots;     /* 0: smallest power of two >= max_jobs */
    uint32_t max_jobs;     /* <= ZEN_CFG_MAX_JOBS */
    uint32_t features;     /* IPC_FEAT_* */
    uint32_t hb_period_us; /* our heartbeat period */
    uint32_t epoch;        /* our epoch (+1 per boot) */
    uint32_t sq_weight[IPC_MAX_SQ];
    uint32_t doorbell; /* ipc_db_mode_t (ipc_doorbell.h) */
    uint32_t n_heap_classes;
    ipc_heap_class_cfg_t heap[IPC_HEAP_MAX_CLASSES];
    uint64_t backend_ns_max; /* 0: ZEN_CFG_BACKEND_NS_MAX */
    uint32_t hb_slack_us;    /* 0: ZEN_CFG_HB_SLACK_US */
    uint32_t trace_slots;    /* job trace records (default ZEN_CFG_JOB_TRACE_SLOTS; 0: none) */
} proxy_config_t;

/* Private job record (one per slot). Fields are the proxy's; read them
 * only through the functions of proxy.h. */
typedef struct proxy_job {
    uint32_t flags;
    uint32_t gen;      /* generation of the current or last use */
    uint32_t wake_seq; /* bumped when the job ends (zport_wait word) */
    union {
        uint32_t next_free; /* a free slot: the next one of the free list */
        uint32_t slot;      /* a taken slot: its own index (pj_take) */
    };
    int32_t final;
    uint32_t ipc_status;
    uint32_t model_id;
    uint32_t result;
    uint32_t bridge_epoch;
    uint32_t sq_seq; /* ring head before our packet */
    uint8_t ring;
    uint8_t n_in;
    uint8_t n_out;
    uint8_t times_valid;
#if ZEN_CFG_ZERO_COPY
    uint8_t buf_in[ZEN_CFG_MAX_TENSORS];  /* buffer slots when PJ_IN_BUFS */
    uint8_t buf_out[ZEN_CFG_MAX_TENSORS]; /* buffer slots when PJ_OUT_BUFS */
#endif
    proxy_account_t *acct;
    ipc_tensor_ref_t in[ZEN_CFG_MAX_TENSORS];
    ipc_tensor_ref_t out[ZEN_CFG_MAX_TENSORS];
    uint64_t deadline_ns;
    uint64_t t_submit, t_seen;
#if ZEN_CFG_STAGE_TIMES
    uint64_t t_pickup, t_backend_start, t_backend_end, t_complete;
#endif
    uint64_t backend_ns;
} proxy_job_t;

/* The proxy. Every field is written inside the port's critical section
 * (zport_crit_enter) unless the file that owns it says otherwise; the
 * rtos/ file comments say which context writes which field. The order
 * keeps the words the handlers touch most in the first 124 bytes, where
 * Thumb-2 and RISC-V C reach them with 16-bit loads and stores. */
typedef struct proxy {
    struct zport *port;
    uint32_t started;
    uint32_t max_jobs;
    uint32_t doorbell;
    uint32_t hb_slack_us;
    uint32_t free_head; /* free slot list through next_free */
    uint32_t n_busy;
    uint32_t n_held;
    uint32_t n_models;
    /* liveness (inside the critical section) */
    uint32_t zen_hb;
    uint32_t hb_period_us;
    uint32_t bridge_online;   /* 1: READY, heartbeat moving */
    uint32_t bridge_epoch;    /* last epoch seen (0: none) */
    uint32_t bridge_hb;       /* last heartbeat value seen */
    uint32_t lost_tail_valid; /* lost_tail[] holds a snapshot */
    uint32_t cq_bad_epoch;    /* see cq_backoff_ns */
    uint32_t dl_n;            /* entries of dl_heap */
    /* recovery after a loss or a new epoch, ZEN_CFG_CRIT_BATCH slots per
     * critical section (liveness.c); the bounds are rec_end[], rec_tail[] */
    uint32_t rec_pending; /* 1: slots rec_next..max_jobs-1 still to visit */
    uint32_t rec_next;    /* next slot to visit */
    uint32_t rec_reclaim; /* 1: also free the held slots below rec_tail */
    uint32_t trace_head;  /* job trace records written (job_trace.c) */
    uint32_t n_ended;     /* jobs ended ever (job_table.c pj_end): proxy_tick() counts with it */
    proxy_stats_t stats;
    uint64_t backend_ns_max;
    uint64_t zen_hb_next_ns;
    uint64_t bridge_hb_ns; /* when the bridge's heartbeat last moved */
    /* completion ring found corrupt (proxy_complete.c): not read again
     * before cq_retry_ns unless the bridge epoch moves off cq_bad_epoch */
    uint64_t cq_retry_ns;
    uint32_t cq_backoff_ns; /* 0: healthy; else the current back-off (<= 1 s) */
    ipc_region_t region;
    ipc_ring_prod_t sq[ZEN_CFG_MAX_SQ];
    ipc_ring_cons_t cq;
    uint32_t lost_tail[ZEN_CFG_MAX_SQ]; /* ring tails when the bridge was lost */
    uint32_t rec_end[ZEN_CFG_MAX_SQ];   /* end the jobs in flight whose packet lies below */
    uint32_t rec_tail[ZEN_CFG_MAX_SQ];  /* free the held slots whose packet lies below */
    ipc_heap_t heap;
    proxy_model_t models[ZEN_CFG_MAX_MODELS];
    proxy_job_t jobs[ZEN_CFG_MAX_JOBS];
    /* deadlines: the slots of the jobs in flight (published, no final
     * status), a binary min-heap on deadline_ns (job_table.c); 16 bits
     * hold a slot since ZEN_CFG_MAX_JOBS <= 4096 */
    uint16_t dl_heap[ZEN_CFG_MAX_JOBS];
    uint16_t dl_pos[ZEN_CFG_MAX_JOBS]; /* per slot: index + 1 in dl_heap, 0: not in it */
    uint32_t heap_links[ZEN_CFG_HEAP_MAX_BLOCKS];
#if ZEN_CFG_ZERO_COPY
    proxy_buf_t bufs[ZEN_CFG_MAX_BUFS];
    uint32_t n_bufs; /* live buffers */
#endif
} proxy_t;

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_PROXY_TYPES_H */
