/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * contract.h - the contract layer: what a ZENEDGE task may ask of the
 * accelerator. A contract names the models it may run, how many of its
 * jobs may be in flight, a backend-time budget per period (charged with
 * the time the bridge reports, clamped by the proxy), a QoS class and a
 * default deadline. contract_submit_job() checks every rule, then hands
 * the job to the proxy driver; a rejected call leaves nothing behind.
 *
 * Freestanding; storage (contract_t) is the caller's.
 *
 * Return codes: 0, a contract code (base -2000) for a broken contract rule,
 * or a proxy code (base -3000) for the proxy's own checks (the request,
 * the model, the tensors) and the resources the proxy lacked (ring full,
 * heap exhausted, job table full, bridge offline). contract_strerror()
 * names both. Every failure has one code, that of the layer that owns the
 * check: the request is checked once, by proxy_check_request(), so an
 * unknown model is PROXY_E_UNKNOWN_MODEL, wrong tensors are
 * PROXY_E_MODEL_SIGNATURE and a bad deadline or input list PROXY_E_INVAL,
 * whichever layer the task called.
 *
 * Check order of a submission (the first failure is reported):
 *  1. the contract's own arguments (contract, handle, for buffers an
 *     output count without its list): CONTRACT_E_INVAL;
 *  2. the allowed list: CONTRACT_E_NOT_ALLOWED (a model the contract does
 *     not name is refused as such, whatever the request holds);
 *  3. the request, by proxy_check_request(): PROXY_E_INVAL,
 *     PROXY_E_UNKNOWN_MODEL, PROXY_E_MODEL_SIGNATURE;
 *  4. in the critical section of the proxy's claim, first, the in-flight
 *     limit and the budget: CONTRACT_E_INFLIGHT_LIMIT,
 *     CONTRACT_E_BUDGET_EXHAUSTED;
 *  5. the proxy's resources, by its submission (proxy_submit_checked()
 *     without a second argument check), in the same critical section
 *     (the job then counts in flight): PROXY_E_NOT_STARTED,
 *     PROXY_E_BRIDGE_OFFLINE, PROXY_E_RING_FULL, PROXY_E_RING_CORRUPT,
 *     PROXY_E_JOB_TABLE_FULL, PROXY_E_HEAP_EXHAUSTED, PROXY_E_TENSOR_TOO_BIG,
 *     and for buffers PROXY_E_BAD_BUF, PROXY_E_BUF_BUSY.
 */
#ifndef ZENEDGE_CONTRACT_H
#define ZENEDGE_CONTRACT_H

#include <stdint.h>

#include "proxy.h"
#include "zenedge_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The one list of contract codes: X(name, value, meaning). The enum and
 * the names of contract_strerror() are generated from it. Values are
 * consecutive from CONTRACT_E_BASE - 1. An unknown model and tensors
 * that do not fit it have no contract code: proxy_check_request() owns
 * those checks (PROXY_E_UNKNOWN_MODEL, PROXY_E_MODEL_SIGNATURE). */
/* clang-format off */
#define CONTRACT_ERROR_LIST(X) \
    X(CONTRACT_E_INVAL           , -2001, "bad argument of a contract call (NULL contract or handle, a count without its list)") \
    X(CONTRACT_E_CONFIG          , -2002, "contract configuration out of range") \
    X(CONTRACT_E_NOT_ALLOWED     , -2003, "model not in the contract's allowed list") \
    X(CONTRACT_E_INFLIGHT_LIMIT  , -2004, "max_inflight jobs already in flight") \
    X(CONTRACT_E_BUDGET_EXHAUSTED, -2005, "backend time budget of this period used up")

typedef enum contract_err {
    CONTRACT_OK     = 0,
    CONTRACT_E_BASE = -2000,
#define CONTRACT_ERR_ENUM_(name, value, meaning) name = value,
    CONTRACT_ERROR_LIST(CONTRACT_ERR_ENUM_)
#undef CONTRACT_ERR_ENUM_
    CONTRACT_E_LAST = -2006
} contract_err_t;
/* clang-format on */

/* Name of a contract, proxy or core code ("CONTRACT_E_?" / "PROXY_E_?"
 * for none). */
const char *contract_strerror(int err);

/* Why a submission was refused (per-contract counters): X(reason, name).
 * The enum and the names of contract_reject_name() come from this list. */
/* clang-format off */
#define CONTRACT_REJECT_LIST(X) \
    X(CONTRACT_REJ_BAD_ARG      , "bad_argument") \
    X(CONTRACT_REJ_UNKNOWN_MODEL, "unknown_model") \
    X(CONTRACT_REJ_NOT_ALLOWED  , "not_allowed") \
    X(CONTRACT_REJ_INFLIGHT     , "inflight_limit") \
    X(CONTRACT_REJ_BUDGET       , "budget_exhausted") \
    X(CONTRACT_REJ_RING_FULL    , "ring_full") \
    X(CONTRACT_REJ_HEAP         , "heap_exhausted") \
    X(CONTRACT_REJ_JOB_TABLE    , "job_table_full") \
    X(CONTRACT_REJ_OFFLINE      , "bridge_offline") \
    X(CONTRACT_REJ_BUF_BUSY     , "buffer_busy") \
    X(CONTRACT_REJ_OTHER        , "other")

enum contract_reject {
#define CONTRACT_REJ_ENUM_(reason, name) reason,
    CONTRACT_REJECT_LIST(CONTRACT_REJ_ENUM_)
#undef CONTRACT_REJ_ENUM_
    CONTRACT_REJ_COUNT
};
/* clang-format on */
/* Name of a reject reason; "?" out of range. */
const char *contract_reject_name(int reason);
/* The reason a submission return code stands for (CONTRACT_REJ_OTHER for
 * codes that are not rejections). */
int contract_reject_reason(int err);
/* Entries of the rejected[] counters: one per reason, or with
 * ZEN_CFG_REJECT_COUNTERS 0 a single one ([0]) for every reason. */
#if ZEN_CFG_REJECT_COUNTERS
#define CONTRACT_REJ_SLOTS       CONTRACT_REJ_COUNT
#define CONTRACT_REJ_INDEX(code) contract_reject_reason(code)
#else
#define CONTRACT_REJ_SLOTS       1u
#define CONTRACT_REJ_INDEX(code) 0
#endif

typedef struct contract_config {
    const char *name;                         /* for logs; may be NULL */
    uint32_t models[ZEN_CFG_CONTRACT_MODELS]; /* allowed model ids */
    uint32_t n_models;                        /* 1..ZEN_CFG_CONTRACT_MODELS */
    uint32_t max_inflight;                    /* >= 1 */
    uint64_t budget_ns;                       /* backend time per period; 0: unlimited */
    uint64_t period_ns;                       /* budget period; needed when budget_ns > 0 */
    uint32_t qos;                             /* IPC_QOS_* */
    uint32_t deadline_us;                     /* default deadline; 0: ZEN_CFG_DEFAULT_DEADLINE_US */
} contract_config_t;

typedef struct contract {
    proxy_t *proxy;
    uint64_t period_start_ns;
    uint32_t rejected[CONTRACT_REJ_SLOTS];
    contract_config_t cfg;
    proxy_account_t acct; /* charged by the proxy */
} contract_t;

/* Check cfg and bind the contract to a proxy.
 * Returns CONTRACT_OK, CONTRACT_E_INVAL (NULL), CONTRACT_E_CONFIG (model
 * count, max_inflight, qos, budget without period, deadline; logged). */
int contract_init(contract_t *c, proxy_t *proxy, const contract_config_t *cfg);

/* Submit model_id with n_in inputs (copied into the shared heap).
 * deadline_us 0: the contract's default. On success *handle names the
 * job; collect it with contract_wait().
 * Returns CONTRACT_OK or the codes of the check order above (steps 1-5;
 * every refusal is counted in rejected[]). */
int contract_submit_job(contract_t *c, uint32_t model_id, const proxy_in_t *in, uint32_t n_in, uint32_t deadline_us,
                        uint32_t *handle);

/* The zero-copy form: the inputs are the tensor buffers in_buf[0..n_in)
 * (proxy_buf_alloc(), filled in place by the caller) and the outputs are
 * written by the bridge straight into out_buf[0..n_out); n_in and n_out
 * must be the model's. Same contract rules and codes as
 * contract_submit_job(), plus PROXY_E_BAD_BUF (unknown id, or shorter than
 * the model's tensor) and PROXY_E_BUF_BUSY (see proxy.h for the sharing
 * rules). Collect the job with contract_wait(..., NULL, 0): on PROXY_OK
 * the outputs are in the buffers. */
#if ZEN_CFG_ZERO_COPY
int contract_submit_bufs(contract_t *c, uint32_t model_id, const uint32_t *in_buf, uint32_t n_in,
                         const uint32_t *out_buf, uint32_t n_out, uint32_t deadline_us, uint32_t *handle);
#endif

/* As proxy_wait(), for a job of this contract (proxy_wait_as() with the
 * contract's account: one look-up): its codes, plus CONTRACT_E_INVAL (NULL
 * contract), PROXY_E_BAD_HANDLE (not a live job), PROXY_E_NOT_OWNER
 * (another contract's job; nothing touched). */
int contract_wait(contract_t *c, uint32_t handle, uint32_t timeout_us, proxy_result_t *res, const proxy_out_t *out,
                  uint32_t n_out);

/* As proxy_job_status() (non-blocking) and proxy_cancel(): their codes,
 * plus CONTRACT_E_INVAL, PROXY_E_BAD_HANDLE, PROXY_E_NOT_OWNER as for
 * contract_wait(). */
int contract_job_status(contract_t *c, uint32_t handle, proxy_job_info_t *info);
int contract_cancel(contract_t *c, uint32_t handle);

/* A consistent copy of the contract's counters. */
typedef struct contract_stats {
    uint32_t submitted;
    uint32_t rejected[CONTRACT_REJ_SLOTS];
    uint32_t inflight;
    uint32_t ended[PROXY_END_COUNT];
    uint32_t failed_status[IPC_STATUS_COUNT];
    uint64_t used_ns; /* this period */
    uint64_t charged_total_ns;
} contract_stats_t;
/* Nothing written for a NULL or unbound contract. */
void contract_get_stats(contract_t *c, contract_stats_t *st);

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_CONTRACT_H */
