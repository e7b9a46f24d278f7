/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_tasks.c - zenedge-sim's tasks: each a thread under its own contract
 * that makes a job's inputs (sim_models.c), submits it (copied, or in its
 * zero-copy buffers), collects it, checks the output and feeds the job's
 * stages into its lat_trace_t.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include "zenedge/barrier.h"
#include "zl.h"

void sim_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                  */
/* ---------------------------------------------------------------------- */

/* A+B... to model ids: every name must be a manifest's. */
static int resolve_list(const char *spec, uint32_t *out, uint32_t *n, const char *task)
{
    char *copy = strdup(spec);
    int rc = 0;
    *n = 0;
    for (char *save = NULL, *m = strtok_r(copy, "+", &save); m && rc == 0; m = strtok_r(NULL, "+", &save)) {
        const sim_model_t *sm = sim_model_find_name(m);
        if (sm == NULL) {
            char known[BRIDGE_MAX_MODELS * BRIDGE_NAME_MAX];
            sim_models_list(known, sizeof(known));
            fprintf(stderr, "zenedge-sim: unknown model '%s' in task '%s' (manifests in %s: %s)\n", m, task,
                    sim.models_dir, known);
            rc = -1;
        } else {
            out[(*n)++] = sm->m->id;
        }
    }
    free(copy);
    return rc;
}

/* A task's classifiers need their held-out sets: 0, or 1 when one cannot
 * be read (the task does not run). */
static int resolve_sets(task_t *t)
{
    for (uint32_t k = 0; k < t->n_models; k++) {
        sim_model_t *sm = sim_model_find(t->models[k]);
        const char *err = sm->kind == SIM_K_CLASSIFIER ? sim_model_load_set(sm) : NULL;
        if (err) {
            fprintf(stderr, "zenedge-sim: task %s cannot run: cannot read the held-out set of %s: %s\n", t->name,
                    sm->m->name, err);
            t->error = 1;
            return 1;
        }
    }
    return 0;
}

int sim_tasks_resolve(void)
{
    int rc = 0;
    for (int i = 0; i < sim.n_tasks; i++) {
        task_t *t = &sim.tasks[i];
        if (resolve_list(t->model_spec, t->models, &t->n_models, t->name) ||
            (t->allow_spec && resolve_list(t->allow_spec, t->allow, &t->n_allow, t->name)))
            return 2;
        if (!t->allow_spec) {
            memcpy(t->allow, t->models, sizeof(t->models));
            t->n_allow = t->n_models;
        }
        rc |= resolve_sets(t);
        /* a classifier alone runs over its whole held-out set by default */
        const sim_model_t *first = sim_model_find(t->models[0]);
        if (t->count == SIM_COUNT_UNSET)
            t->count = (t->n_models == 1 && first->kind == SIM_K_CLASSIFIER && first->set_n) ? first->set_n : 100u;
        lat_trace_init(&t->trace);
        lat_hist_init(&t->rtt_split[SIM_SPLIT_WITHOUT]);
        lat_hist_init(&t->rtt_split[SIM_SPLIT_WITH]);
    }
    return rc;
}

/* One set of tensor buffers per pipeline slot of a zero_copy task. */
static int alloc_zero_copy(task_t *t)
{
    const proxy_model_t *sig = proxy_model_find(sim.proxy, t->models[0]);
    for (uint32_t d = 0; sig && d < t->depth; d++)
        for (uint32_t k = 0; k < sig->n_in + sig->n_out; k++) {
            bool is_out = k >= sig->n_in;
            uint32_t o = is_out ? k - sig->n_in : 0;
            uint32_t len = is_out ? sig->out_len[o] : sig->in_len[k];
            int br = is_out ? proxy_buf_alloc(sim.proxy, len, &t->zc_out[d][o], &t->zc_pout[d][o])
                            : proxy_buf_alloc(sim.proxy, len, &t->zc_in[d][k], &t->zc_pin[d][k]);
            if (br != PROXY_OK) {
                fprintf(stderr,
                        "zenedge-sim: task %s: zero_copy: tensor buffer of %u bytes: %s (the table "
                        "holds ZEN_CFG_MAX_BUFS=%u buffers for all tasks)\n",
                        t->name, (unsigned)len, proxy_strerror(br), (unsigned)ZEN_CFG_MAX_BUFS);
                return 2;
            }
        }
    return 0;
}

int sim_tasks_prepare(void)
{
    for (int i = 0; i < sim.n_tasks; i++) {
        task_t *t = &sim.tasks[i];
        contract_config_t cc;
        memset(&cc, 0, sizeof(cc));
        cc.name = t->name;
        memcpy(cc.models, t->allow, sizeof(cc.models));
        cc.n_models = t->n_allow;
        cc.max_inflight = t->inflight;
        cc.qos = t->qos;
        cc.deadline_us = t->deadline_ms * 1000u;
        cc.budget_ns = (uint64_t)t->budget_us * 1000u;
        cc.period_ns = (uint64_t)t->period_ms * 1000000u;
        if (contract_init(&t->c, sim.proxy, &cc) != CONTRACT_OK)
            return 2;
        t->c.acct.trace_tag = (uint32_t)i + 1u; /* the task's number in the job trace (--trace) */
        if (t->zero_copy && alloc_zero_copy(t))
            return 2;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* One task                                                                */
/* ---------------------------------------------------------------------- */

typedef struct task_run {
    task_t *t;
    job_t pend[SIM_MAX_DEPTH];
    uint32_t head, tail;                          /* submitted, collected */
    uint8_t out[IPC_MAX_TENSORS][SIM_TENSOR_MAX]; /* the copying path's outputs */
} task_run_t;

static void count_failure(task_t *t, const job_t *j, int rc, const proxy_result_t *res)
{
    t->failed++;
    if (rc == PROXY_OK) {
        t->mismatches++;
        if (t->mismatches <= 3)
            fprintf(stderr, "zenedge-sim: task %s: %s job %u: output differs from the reference\n", t->name,
                    sim_model_name(j->model), j->idx);
    } else if (t->failed - t->mismatches <= 3) {
        fprintf(stderr, "zenedge-sim: task %s: %s job %u ended %s (bridge status %s)\n", t->name,
                sim_model_name(j->model), j->idx, contract_strerror(rc),
                res->ipc_status < IPC_STATUS_COUNT ? (res->ipc_status ? "not OK" : "OK") : "none");
    }
}

/* Wait for the oldest job up to timeout_us (PROXY_WAIT_UNTIL_DEADLINE:
 * until it ends) and account for it; false if it is still in flight. */
static bool finish_job(task_run_t *r, uint32_t timeout_us)
{
    task_t *t = r->t;
    job_t *j = &r->pend[r->tail % SIM_MAX_DEPTH];
    proxy_result_t res;
    proxy_out_t po[IPC_MAX_TENSORS];
    uint32_t n_out = j->sm->sig.n_out;
    for (uint32_t k = 0; k < n_out; k++)
        po[k] = (proxy_out_t){r->out[k], SIM_TENSOR_MAX};
    int rc = t->zero_copy ? contract_wait(&t->c, j->h, timeout_us, &res, NULL, 0)
                          : contract_wait(&t->c, j->h, timeout_us, &res, po, n_out);
    if (rc == PROXY_E_WAIT_TIMEOUT)
        return false;
    if (rc == PROXY_OK) {
        const void *got = t->zero_copy ? t->zc_pout[j->zc_slot][0] : r->out[0]; /* read in place */
        if (job_check(j, got, res.result, t))
            t->ok++;
        else
            count_failure(t, j, rc, &res);
        lat_trace_add(&t->trace, &res);
        if (j->split != SIM_SPLIT_NONE && res.t_wake >= res.t_submit)
            lat_hist_add(&t->rtt_split[j->split], res.t_wake - res.t_submit);
    } else {
        count_failure(t, j, rc, &res);
    }
    job_free(j);
    r->tail++;
    return true;
}

/* What the phased tasks do now, for the split of another task's round
 * trips: WITH when one is in its on window, WITHOUT when every one is
 * idle (off window, nothing in flight), NONE in between (draining) or
 * when there is no phased task. Each task publishes its own state word
 * (plain shared words, read once: no order with other data is needed). */
static uint32_t sim_split_now(void)
{
    if (sim.n_phased == 0)
        return SIM_SPLIT_NONE;
    bool idle = true;
    for (int i = 0; i < sim.n_tasks; i++) {
        const task_t *o = &sim.tasks[i];
        if (!o->phase_ms)
            continue;
        uint32_t st = ipc_read_once(&o->phase_state);
        if (st == SIM_PH_ON)
            return SIM_SPLIT_WITH;
        idle &= st == SIM_PH_IDLE;
    }
    return idle ? SIM_SPLIT_WITHOUT : SIM_SPLIT_NONE;
}

/* stop_ms reached: the task submits nothing more. */
static bool stop_due(const task_t *t)
{
    if (ipc_read_once(&sim.stop))
        return true; /* SIGINT/SIGTERM */
    return t->stop_ms && zl_now_ns() - sim.t_tasks >= (uint64_t)t->stop_ms * 1000000ull;
}

/* A phased task before a submission: in an off window (even window
 * number from sim.t_tasks) it collects its jobs in flight, says idle and
 * sleeps to the next on window. Returns false when stop_ms came meanwhile
 * (the task stays idle). */
static bool phase_wait(task_run_t *r)
{
    task_t *t = r->t;
    uint64_t p = (uint64_t)t->phase_ms * 1000000ull;
    uint64_t now = zl_now_ns();
    uint64_t w = (now - sim.t_tasks) / p;
    if (w & 1u)
        return true; /* on */
    ipc_write_once(&t->phase_state, SIM_PH_DRAIN);
    while (r->tail != r->head)
        finish_job(r, PROXY_WAIT_UNTIL_DEADLINE);
    ipc_write_once(&t->phase_state, SIM_PH_IDLE);
    now = zl_now_ns();
    uint64_t on = sim.t_tasks + (w + 1u) * p;
    if (on > now)
        sim_sleep_ns(on - now);
    if (stop_due(t))
        return false;
    ipc_write_once(&t->phase_state, SIM_PH_ON);
    return true;
}

/* Submit job i; false if it was rejected (and counted). */
static bool submit_job(task_run_t *r, uint32_t i, uint32_t seed)
{
    task_t *t = r->t;
    job_t *j = &r->pend[r->head % SIM_MAX_DEPTH];
    const sim_model_t *sm = sim_model_find(t->models[i % t->n_models]);
    job_make(j, sm, i, seed);
    j->split = t->phase_ms ? SIM_SPLIT_NONE : sim_split_now();
    t->attempted++;
    int rc;
    if (t->zero_copy) {
        /* The slot of the job `depth` submissions ago, which has been
         * collected; its buffers are busy still only if that job ended
         * without the bridge's answer (PROXY_E_BUF_BUSY then). */
        j->zc_slot = r->head % t->depth;
        for (uint32_t k = 0; k < j->n_in; k++)
            memcpy(t->zc_pin[j->zc_slot][k], j->in[k], sm->sig.in_len[k]);
        rc = contract_submit_bufs(&t->c, j->model, t->zc_in[j->zc_slot], j->n_in, t->zc_out[j->zc_slot], sm->sig.n_out,
                                  0, &j->h);
    } else {
        proxy_in_t in[IPC_MAX_TENSORS];
        for (uint32_t k = 0; k < j->n_in; k++)
            in[k] = (proxy_in_t){j->in[k], sm->sig.in_len[k]};
        rc = contract_submit_job(&t->c, j->model, in, j->n_in, 0, &j->h);
    }
    if (rc != 0) {
        t->rejected++;
        job_free(j);
        if (rc == CONTRACT_E_BUDGET_EXHAUSTED || rc == PROXY_E_BRIDGE_OFFLINE || rc == PROXY_E_RING_FULL ||
            rc == PROXY_E_HEAP_EXHAUSTED || rc == PROXY_E_JOB_TABLE_FULL || rc == PROXY_E_BUF_BUSY)
            sim_sleep_ns(1000000); /* back off; the job counts as rejected */
        return false;
    }
    r->head++;
    return true;
}

static void *task_main(void *arg)
{
    task_run_t *r = arg;
    task_t *t = r->t;
    uint32_t seed = (uint32_t)(t - sim.tasks) + 1u;
    uint64_t t0 = zl_now_ns();
    for (uint32_t i = 0; i < t->count; i++) {
        if (t->rate_hz) {
            /* Until the next submission is due, collect what completes,
             * so that the wake-up time is the job's, not the schedule's. */
            uint64_t due = t0 + (uint64_t)i * 1000000000ull / t->rate_hz;
            uint64_t now = zl_now_ns();
            while (now < due && r->tail != r->head) {
                if (!finish_job(r, (uint32_t)((due - now) / 1000u)))
                    break;
                now = zl_now_ns();
            }
            if (due > now)
                sim_sleep_ns(due - now);
        }
        if (stop_due(t))
            break;
        if (t->phase_ms && !phase_wait(r))
            break;
        if (r->head - r->tail >= t->depth)
            finish_job(r, PROXY_WAIT_UNTIL_DEADLINE);
        submit_job(r, i, seed);
    }
    if (t->phase_ms)
        ipc_write_once(&t->phase_state, SIM_PH_DRAIN);
    while (r->tail != r->head)
        finish_job(r, PROXY_WAIT_UNTIL_DEADLINE);
    if (t->phase_ms)
        ipc_write_once(&t->phase_state, SIM_PH_IDLE);
    return NULL;
}

void sim_tasks_run(void)
{
    pthread_t th[SIM_MAX_TASKS];
    task_run_t *run[SIM_MAX_TASKS] = {0};
    sim.n_phased = 0;
    for (int i = 0; i < sim.n_tasks; i++) {
        sim.tasks[i].phase_state = SIM_PH_IDLE; /* before the threads: no other reader yet */
        sim.n_phased += sim.tasks[i].phase_ms && !sim.tasks[i].error;
    }
    sim.t_tasks = zl_now_ns();
    for (int i = 0; i < sim.n_tasks; i++) {
        if (sim.tasks[i].error)
            continue;
        run[i] = calloc(1, sizeof(*run[i]));
        run[i]->t = &sim.tasks[i];
        if (pthread_create(&th[i], NULL, task_main, run[i]) != 0) {
            free(run[i]);
            run[i] = NULL;
        }
    }
    for (int i = 0; i < sim.n_tasks; i++)
        if (run[i]) {
            pthread_join(th[i], NULL);
            free(run[i]);
        }
}
