/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * contract.c - contract checks in front of the proxy driver.
 * Freestanding: no libc.
 *
 * Context: task. The check order and which layer owns which check are in
 * contract.h. The contract's counters (rejected[], with acct.submitted,
 * period_start_ns) and its proxy_account_t are written inside the proxy
 * port's critical section: the in-flight and budget checks (pj_admit) run
 * in the critical section of the proxy's claim, which counts the job in
 * flight in the same one, so two tasks sharing a contract cannot both
 * take its last place; the proxy charges the account in its own critical
 * sections (completion, end of a job).
 */
#include "contract.h"
#include "zenedge/barrier.h"

#include <stddef.h>

#include "proxy_internal.h"
#include "zenedge/ipc_errors.h"

#if ZEN_CFG_CONTRACT

#define ERR_NAME_(name, value, meaning) #name,
static const char *const err_names[] = {CONTRACT_ERROR_LIST(ERR_NAME_)};
#undef ERR_NAME_
_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == (unsigned)(CONTRACT_E_BASE - CONTRACT_E_LAST) - 1u,
               "CONTRACT_ERROR_LIST: consecutive values from CONTRACT_E_BASE - 1 to CONTRACT_E_LAST + 1");

const char *contract_strerror(int err)
{
    if (err == CONTRACT_OK)
        return "CONTRACT_OK";
    if (err == CONTRACT_E_BASE)
        return "CONTRACT_E_BASE";
    if (err < CONTRACT_E_BASE && err > CONTRACT_E_LAST)
        return err_names[CONTRACT_E_BASE - 1 - err];
    return proxy_strerror(err);
}

#define REJ_NAME_(reason, name) [reason] = name,
static const char *const rej_names[CONTRACT_REJ_COUNT] = {CONTRACT_REJECT_LIST(REJ_NAME_)};
#undef REJ_NAME_

const char *contract_reject_name(int reason)
{
    if (reason < 0 || reason >= CONTRACT_REJ_COUNT)
        return "?";
    return rej_names[reason];
}

int contract_reject_reason(int err)
{
    switch (err) {
    case CONTRACT_E_INVAL:
    case PROXY_E_INVAL:
    case PROXY_E_MODEL_SIGNATURE:
    case PROXY_E_TENSOR_TOO_BIG:
    case PROXY_E_BAD_BUF: return CONTRACT_REJ_BAD_ARG;
    case PROXY_E_BUF_BUSY: return CONTRACT_REJ_BUF_BUSY;
    case PROXY_E_UNKNOWN_MODEL: return CONTRACT_REJ_UNKNOWN_MODEL;
    case CONTRACT_E_NOT_ALLOWED: return CONTRACT_REJ_NOT_ALLOWED;
    case CONTRACT_E_INFLIGHT_LIMIT: return CONTRACT_REJ_INFLIGHT;
    case CONTRACT_E_BUDGET_EXHAUSTED: return CONTRACT_REJ_BUDGET;
    case PROXY_E_RING_FULL: return CONTRACT_REJ_RING_FULL;
    case PROXY_E_HEAP_EXHAUSTED: return CONTRACT_REJ_HEAP;
    case PROXY_E_JOB_TABLE_FULL: return CONTRACT_REJ_JOB_TABLE;
    case PROXY_E_BRIDGE_OFFLINE: return CONTRACT_REJ_OFFLINE;
    default: return CONTRACT_REJ_OTHER;
    }
}

int contract_init(contract_t *c, proxy_t *proxy, const contract_config_t *cfg)
{
    if (c == 0 || proxy == 0 || cfg == 0)
        return CONTRACT_E_INVAL;
    pj_zero(c, (uint32_t)sizeof(*c));
    const char *name = cfg->name ? cfg->name : "?";
    if (cfg->n_models == 0 || cfg->n_models > ZEN_CFG_CONTRACT_MODELS) {
        ZEN_LOG(proxy->port, ZPORT_LOG_ERROR, "contract %s: n_models=%u out of [1, ZEN_CFG_CONTRACT_MODELS=%u]", name,
                (unsigned)cfg->n_models, (unsigned)ZEN_CFG_CONTRACT_MODELS);
        return CONTRACT_E_CONFIG;
    }
    if (cfg->max_inflight == 0 || cfg->max_inflight > ZEN_CFG_MAX_JOBS) {
        ZEN_LOG(proxy->port, ZPORT_LOG_ERROR, "contract %s: max_inflight=%u out of [1, ZEN_CFG_MAX_JOBS=%u]", name,
                (unsigned)cfg->max_inflight, (unsigned)ZEN_CFG_MAX_JOBS);
        return CONTRACT_E_CONFIG;
    }
    if (cfg->qos >= IPC_QOS_COUNT) {
        ZEN_LOG(proxy->port, ZPORT_LOG_ERROR, "contract %s: qos=%u out of [0, %u)", name, (unsigned)cfg->qos,
                (unsigned)IPC_QOS_COUNT);
        return CONTRACT_E_CONFIG;
    }
    if (cfg->budget_ns != 0 && cfg->period_ns == 0) {
        ZEN_LOG(proxy->port, ZPORT_LOG_ERROR, "contract %s: budget_ns=%llu needs a period_ns > 0", name,
                (unsigned long long)cfg->budget_ns);
        return CONTRACT_E_CONFIG;
    }
    if (cfg->deadline_us > ZEN_CFG_MAX_DEADLINE_US) {
        ZEN_LOG(proxy->port, ZPORT_LOG_ERROR, "contract %s: deadline_us=%u above ZEN_CFG_MAX_DEADLINE_US=%u", name,
                (unsigned)cfg->deadline_us, (unsigned)ZEN_CFG_MAX_DEADLINE_US);
        return CONTRACT_E_CONFIG;
    }
    ipc_in_register(c);
    c->proxy = proxy;
    c->cfg.name = cfg->name;
    for (uint32_t i = 0; i < ZEN_CFG_CONTRACT_MODELS; i++)
        c->cfg.models[i] = i < cfg->n_models ? cfg->models[i] : 0u;
    c->cfg.n_models = cfg->n_models;
    c->cfg.max_inflight = cfg->max_inflight;
    c->cfg.budget_ns = cfg->budget_ns;
    c->cfg.period_ns = cfg->period_ns;
    c->cfg.qos = cfg->qos;
    c->cfg.deadline_us = cfg->deadline_us;
    c->period_start_ns = zport_now_ns(proxy->port);
    return CONTRACT_OK;
}

static bool allowed(const contract_t *c, uint32_t model_id)
{
    for (uint32_t i = 0; i < c->cfg.n_models; i++) /* <= ZEN_CFG_CONTRACT_MODELS */
        if (c->cfg.models[i] == model_id)
            return true;
    return false;
}

/* The contract's admission rule, run by the proxy in the critical section
 * of the job's claim (pj_admit below): the in-flight limit (the account
 * counts every job claimed and not yet ended) and the time budget. */
static int check_and_charge(proxy_account_t *acct, uint64_t now)
{
    contract_t *c = (contract_t *)(void *)((uint8_t *)acct - offsetof(contract_t, acct));
    if (c->acct.inflight >= c->cfg.max_inflight)
        return CONTRACT_E_INFLIGHT_LIMIT;
    if (c->cfg.budget_ns != 0) {
        if (now - c->period_start_ns >= c->cfg.period_ns) {
            c->period_start_ns = now; /* a new period: nothing used, under any budget > 0 */
            c->acct.used_ns = 0;
        } else if (c->acct.used_ns >= c->cfg.budget_ns) {
            return CONTRACT_E_BUDGET_EXHAUSTED;
        }
    }
    return CONTRACT_OK;
}

/* The contract's part of a submission, around the proxy's: the allowed
 * list, the request check (once, by the proxy), the in-flight and budget
 * rules (in the proxy's claim), the counters. rc is the caller's own
 * argument check (a refusal is counted like the others). req carries the
 * model and the tensors; the rest of it is filled here. */
static int submit(contract_t *c, proxy_request_t *req, uint32_t deadline_us, uint32_t *handle, int rc)
{
    proxy_t *p = c->proxy;
    req->qos = c->cfg.qos;
    req->deadline_us = deadline_us ? deadline_us : c->cfg.deadline_us;
    req->acct = &c->acct;
    /* The contract's rule first: a model it does not name is refused as
     * such, whatever the request holds (and tells nothing about it). */
    const proxy_model_t *m = 0;
    if (rc == CONTRACT_OK)
        rc = allowed(c, req->model_id) ? proxy_check_request(p, req, &m) : CONTRACT_E_NOT_ALLOWED;
    /* p, req, m and handle checked above */
    if (rc == CONTRACT_OK)
        rc = pj_submit(p, req, zport_now_ns(p->port), m, handle, true);
    /* One count of the outcome: a refusal under its reason here; an
     * accepted job was counted as submitted (acct.submitted) by the
     * proxy's publish, in its critical section. */
    if (rc != PROXY_OK) {
        uint32_t key = zport_crit_enter(p->port);
        c->rejected[CONTRACT_REJ_INDEX(rc)]++;
        zport_crit_exit(p->port, key);
    }
    return rc;
}

int pj_admit(proxy_account_t *acct, uint64_t now)
{
    return check_and_charge(acct, now);
}

int contract_submit_job(contract_t *c, uint32_t model_id, const proxy_in_t *in, uint32_t n_in, uint32_t deadline_us,
                        uint32_t *handle)
{
    if (c == 0 || c->proxy == 0)
        return CONTRACT_E_INVAL;
    proxy_request_t req;
    req.model_id = model_id;
    req.in = in;
    req.n_in = n_in;
    req.in_buf = 0;
    req.out_buf = 0;
    req.n_out = 0;
    return submit(c, &req, deadline_us, handle, handle == 0 ? CONTRACT_E_INVAL : CONTRACT_OK);
}

#if ZEN_CFG_ZERO_COPY
int contract_submit_bufs(contract_t *c, uint32_t model_id, const uint32_t *in_buf, uint32_t n_in,
                         const uint32_t *out_buf, uint32_t n_out, uint32_t deadline_us, uint32_t *handle)
{
    if (c == 0 || c->proxy == 0)
        return CONTRACT_E_INVAL;
    /* Every output goes to a buffer: a model with outputs needs out_buf,
     * so an absent list is an empty one (the proxy's check then finds the
     * count wrong). An absent input list with inputs stays absent: the
     * proxy's check refuses it (PROXY_E_INVAL). */
    static const uint32_t no_ids[1] = {0u};
    proxy_request_t req;
    req.model_id = model_id;
    req.in = 0;
    req.n_in = n_in;
    req.in_buf = in_buf ? in_buf : (n_in == 0 ? no_ids : 0);
    req.out_buf = out_buf ? out_buf : no_ids;
    req.n_out = n_out;
    /* A count without its list is this call's own error: in a request an
     * absent out_buf means "copy the outputs out", which this call does
     * not offer. */
    return submit(c, &req, deadline_us, handle,
                  handle == 0 || (n_out != 0 && out_buf == 0) ? CONTRACT_E_INVAL : CONTRACT_OK);
}
#endif

int contract_wait(contract_t *c, uint32_t handle, uint32_t timeout_us, proxy_result_t *res, const proxy_out_t *out,
                  uint32_t n_out)
{
    if (c == 0 || c->proxy == 0)
        return CONTRACT_E_INVAL;
    return proxy_wait_as(c->proxy, &c->acct, handle, timeout_us, res, out, n_out);
}

int contract_job_status(contract_t *c, uint32_t handle, proxy_job_info_t *info)
{
    if (c == 0 || c->proxy == 0)
        return CONTRACT_E_INVAL;
    return proxy_job_status_as(c->proxy, &c->acct, handle, info);
}

int contract_cancel(contract_t *c, uint32_t handle)
{
    if (c == 0 || c->proxy == 0)
        return CONTRACT_E_INVAL;
    return proxy_cancel_as(c->proxy, &c->acct, handle);
}

void contract_get_stats(contract_t *c, contract_stats_t *st)
{
    if (c == 0 || st == 0 || c->proxy == 0)
        return;
    uint32_t key = zport_crit_enter(c->proxy->port);
    st->submitted = c->acct.submitted;
    for (uint32_t i = 0; i < CONTRACT_REJ_SLOTS; i++)
        st->rejected[i] = c->rejected[i];
    st->inflight = c->acct.inflight;
    for (uint32_t i = 0; i < PROXY_END_COUNT; i++)
        st->ended[i] = c->acct.ended[i];
    for (uint32_t i = 0; i < IPC_STATUS_COUNT; i++)
        st->failed_status[i] = c->acct.failed_status[i];
    st->used_ns = c->acct.used_ns;
    st->charged_total_ns = c->acct.charged_total_ns;
    zport_crit_exit(c->proxy->port, key);
}

#else
typedef int contract_not_built_t; /* ZEN_CFG_CONTRACT 0: proxy-only use */
#endif
