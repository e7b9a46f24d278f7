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
 * Return codes: 0, a contract code (base -2000) for a broken rule, or a
 * proxy code (base -3000) for a resource the proxy lacked (ring full, heap
 * exhausted, job table full, bridge offline). contract_strerror() names
 * both.
 */
#ifndef ZENEDGE_CONTRACT_H
#define ZENEDGE_CONTRACT_H

#include <stdint.h>

#include "proxy.h"
#include "zenedge_config.h"

typedef enum contract_err {
    CONTRACT_OK                 = 0,
    CONTRACT_E_BASE             = -2000,
    CONTRACT_E_INVAL            = -2001, /* bad argument (NULL, count, qos, deadline) */
    CONTRACT_E_CONFIG           = -2002, /* contract configuration out of range */
    CONTRACT_E_UNKNOWN_MODEL    = -2003, /* model id not registered with the proxy */
    CONTRACT_E_NOT_ALLOWED      = -2004, /* model not in the contract's allowed list */
    CONTRACT_E_BAD_TENSORS      = -2005, /* input count or sizes differ from the model */
    CONTRACT_E_INFLIGHT_LIMIT   = -2006, /* max_inflight jobs already in flight */
    CONTRACT_E_BUDGET_EXHAUSTED = -2007, /* backend time budget of this period used up */
    CONTRACT_E_NOT_OWNER        = -2008, /* handle belongs to another contract */
    CONTRACT_E_LAST             = -2009
} contract_err_t;

/* Name of a contract, proxy or core code. */
const char *contract_strerror(int err);

/* Why a submission was refused (per-contract counters). */
enum contract_reject {
    CONTRACT_REJ_BAD_ARG = 0, CONTRACT_REJ_UNKNOWN_MODEL, CONTRACT_REJ_NOT_ALLOWED,
    CONTRACT_REJ_INFLIGHT, CONTRACT_REJ_BUDGET, CONTRACT_REJ_RING_FULL, CONTRACT_REJ_HEAP,
    CONTRACT_REJ_JOB_TABLE, CONTRACT_REJ_OFFLINE, CONTRACT_REJ_BUF_BUSY, CONTRACT_REJ_OTHER,
    CONTRACT_REJ_COUNT
};
const char *contract_reject_name(int reason);
/* The reason a submission return code stands for (CONTRACT_REJ_OTHER for
 * codes that are not rejections). */
int contract_reject_reason(int err);

typedef struct contract_config {
    const char *name;                          /* for logs; may be NULL */
    uint32_t    models[ZEN_CFG_CONTRACT_MODELS]; /* allowed model ids */
    uint32_t    n_models;                      /* 1..ZEN_CFG_CONTRACT_MODELS */
    uint32_t    max_inflight;                  /* >= 1 */
    uint64_t    budget_ns;                     /* backend time per period; 0: unlimited */
    uint64_t    period_ns;                     /* budget period; needed when budget_ns > 0 */
    uint32_t    qos;                           /* IPC_QOS_* */
    uint32_t    deadline_us;                   /* default deadline; 0: ZEN_CFG_DEFAULT_DEADLINE_US */
} contract_config_t;

typedef struct contract {
    proxy_t          *proxy;
    contract_config_t cfg;
    proxy_account_t   acct;                    /* charged by the proxy */
    uint32_t          reserving;               /* submissions between check and publish */
    uint64_t          period_start_ns;
    uint32_t          submitted;               /* accepted submissions */
    uint32_t          rejected[CONTRACT_REJ_COUNT];
} contract_t;

/* Check cfg and bind the contract to a proxy. */
int contract_init(contract_t *c, proxy_t *proxy, const contract_config_t *cfg);

/* Submit model_id with n_in inputs (copied into the shared heap).
 * deadline_us 0: the contract's default. On success *handle names the
 * job; collect it with contract_wait(). */
int contract_submit_job(contract_t *c, uint32_t model_id, const proxy_in_t *in, uint32_t n_in,
                        uint32_t deadline_us, uint32_t *handle);

/* The zero-copy form: the inputs are the tensor buffers in_buf[0..n_in)
 * (proxy_buf_alloc(), filled in place by the caller) and the outputs are
 * written by the bridge straight into out_buf[0..n_out); n_in and n_out
 * must be the model's. Same contract rules and codes as
 * contract_submit_job(), plus PROXY_E_BAD_BUF (unknown id, or shorter than
 * the model's tensor) and PROXY_E_BUF_BUSY (see proxy.h for the sharing
 * rules). Collect the job with contract_wait(..., NULL, 0): on PROXY_OK
 * the outputs are in the buffers. */
int contract_submit_bufs(contract_t *c, uint32_t model_id, const uint32_t *in_buf, uint32_t n_in,
                         const uint32_t *out_buf, uint32_t n_out, uint32_t deadline_us, uint32_t *handle);

/* As proxy_wait(), for a job of this contract. */
int contract_wait(contract_t *c, uint32_t handle, uint32_t timeout_us, proxy_result_t *res,
                  const proxy_out_t *out, uint32_t n_out);

/* As proxy_job_status() (non-blocking) and proxy_cancel(). */
int contract_job_status(contract_t *c, uint32_t handle, proxy_job_info_t *info);
int contract_cancel(contract_t *c, uint32_t handle);

/* A consistent copy of the contract's counters. */
typedef struct contract_stats {
    uint32_t submitted;
    uint32_t rejected[CONTRACT_REJ_COUNT];
    uint32_t inflight;
    uint32_t ended[PROXY_END_COUNT];
    uint32_t failed_status[IPC_STATUS_COUNT];
    uint64_t used_ns;                          /* this period */
    uint64_t charged_total_ns;
} contract_stats_t;
void contract_get_stats(contract_t *c, contract_stats_t *st);

#endif /* ZENEDGE_CONTRACT_H */
