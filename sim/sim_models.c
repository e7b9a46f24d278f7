/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_models.c - zenedge-sim's model catalogue: the manifests of --models,
 * loaded by the bridge's registry (registry.h, the one reader of
 * models/<name>/model.ini), turned into the proxy's signatures, and what
 * the sim makes of each model: inputs per job and the reference its output
 * is checked against (sim.h, sim_kind_t).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"
#include "sim.h"

/* ---------------------------------------------------------------------- */
/* The catalogue                                                           */
/* ---------------------------------------------------------------------- */

static bool all_dtype(const bridge_tensor_spec_t *s, uint32_t n, bridge_dtype_t dt)
{
    for (uint32_t i = 0; i < n; i++)
        if (s[i].dtype != dt)
            return false;
    return true;
}

/* The computation a manifest names, if its signature is the one the sim
 * knows how to feed and check; SIM_K_GENERIC otherwise. */
static sim_kind_t kind_of(const bridge_model_t *m, sim_model_t *sm)
{
    if (m->result == BRIDGE_RESULT_ARGMAX && m->dataset_x[0] && m->dataset_y[0] && m->n_in == 1 &&
        m->in[0].dtype == BRIDGE_DT_F32 && m->n_out >= 1 && m->out[0].dtype == BRIDGE_DT_F32)
        return SIM_K_CLASSIFIER;
    const char *k = bridge_model_opt(m, "cpu", "kernel");
    if (k == NULL || m->n_out != 1)
        return SIM_K_GENERIC;
    const bridge_tensor_spec_t *in = m->in, *out = &m->out[0];
    if (strcmp(k, "vector_add_i32") == 0 && m->n_in == 2 && all_dtype(in, 2, BRIDGE_DT_I32) &&
        out->dtype == BRIDGE_DT_I32 && in[0].count == out->count && in[1].count == out->count)
        return SIM_K_VECTOR_ADD;
    if (strcmp(k, "saxpy_f32") == 0 && m->n_in == 3 && all_dtype(in, 3, BRIDGE_DT_F32) && out->dtype == BRIDGE_DT_F32 &&
        in[0].count == 1 && in[1].count == out->count && in[2].count == out->count)
        return SIM_K_SAXPY;
    if (strcmp(k, "gemm_f32") == 0 && m->n_in == 2 && all_dtype(in, 2, BRIDGE_DT_F32) && out->dtype == BRIDGE_DT_F32 &&
        in[0].n_dims == 2 && in[1].n_dims == 2 && out->n_dims == 2 && in[0].dims[1] == in[1].dims[0] &&
        out->dims[0] == in[0].dims[0] && out->dims[1] == in[1].dims[1]) {
        sm->gm = in[0].dims[0];
        sm->gk = in[0].dims[1];
        sm->gn = in[1].dims[1];
        return SIM_K_GEMM;
    }
    return SIM_K_GENERIC;
}

int sim_models_load(void)
{
    char err[1200];
    int rc = bridge_registry_load(&sim.reg, sim.models_dir, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "zenedge-sim: --models %s: %s\n", sim.models_dir, err);
        return 2;
    }
    for (uint32_t i = 0; i < sim.reg.n_models; i++) {
        const bridge_model_t *m = sim.reg.models[i];
        sim_model_t *sm = &sim.models[sim.n_models++];
        memset(sm, 0, sizeof(*sm));
        sm->m = m;
        sm->sig.id = m->id;
        sm->sig.n_in = m->n_in;
        sm->sig.n_out = m->n_out;
        for (uint32_t k = 0; k < m->n_in; k++)
            sm->sig.in_len[k] = m->in[k].bytes;
        for (uint32_t k = 0; k < m->n_out; k++)
            sm->sig.out_len[k] = m->out[k].bytes;
        sm->kind = kind_of(m, sm);
    }
    return 0;
}

sim_model_t *sim_model_find(uint32_t id)
{
    for (uint32_t i = 0; i < sim.n_models; i++)
        if (sim.models[i].m->id == id)
            return &sim.models[i];
    return NULL;
}

sim_model_t *sim_model_find_name(const char *name)
{
    for (uint32_t i = 0; i < sim.n_models; i++)
        if (strcmp(sim.models[i].m->name, name) == 0)
            return &sim.models[i];
    return NULL;
}

const char *sim_model_name(uint32_t id)
{
    const sim_model_t *sm = sim_model_find(id);
    return sm ? sm->m->name : "?";
}

const char *sim_model_load_set(sim_model_t *sm)
{
    if (!sm->set_tried) {
        sm->set_tried = true;
        if (bridge_model_dataset(sm->m, &sm->set_x, &sm->set_y, &sm->set_n, sm->set_err, sizeof(sm->set_err)) !=
                BRIDGE_OK &&
            !sm->set_err[0])
            snprintf(sm->set_err, sizeof(sm->set_err), "%s: [dataset] cannot be read", sm->m->manifest);
    }
    return sm->set_err[0] ? sm->set_err : NULL;
}

void sim_models_list(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < sim.n_models && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? " " : "", sim.models[i].m->name);
}

/* Register with the proxy every model a task names (the proxy's table
 * holds ZEN_CFG_MAX_MODELS; the catalogue may hold more). */
int sim_models_register(void)
{
    for (int i = 0; i < sim.n_tasks; i++) {
        const task_t *t = &sim.tasks[i];
        for (uint32_t k = 0; k < t->n_models + t->n_allow; k++) {
            uint32_t id = k < t->n_models ? t->models[k] : t->allow[k - t->n_models];
            if (proxy_model_find(sim.proxy, id))
                continue;
            int rc = proxy_model_register(sim.proxy, &sim_model_find(id)->sig);
            if (rc != PROXY_OK) {
                fprintf(stderr,
                        "zenedge-sim: model %s (%s): cannot be registered: %s (at most %u models, each "
                        "tensor at most %u bytes)\n",
                        sim_model_name(id), sim_model_find(id)->m->manifest, proxy_strerror(rc),
                        (unsigned)ZEN_CFG_MAX_MODELS, (unsigned)SIM_TENSOR_MAX);
                return 2;
            }
        }
    }
    return 0;
}

void sim_models_free(void)
{
    for (uint32_t i = 0; i < sim.n_models; i++) {
        free(sim.models[i].set_x);
        free(sim.models[i].set_y);
    }
    sim.n_models = 0;
    bridge_registry_free(&sim.reg);
}

/* ---------------------------------------------------------------------- */
/* Jobs: inputs and references                                             */
/* ---------------------------------------------------------------------- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

static float frand(uint32_t *s)
{
    return (float)((lcg(s) >> 8) & 0xFFFF) / 65536.0f - 0.5f;
}

void job_free(job_t *j)
{
    for (uint32_t i = 0; i < j->n_in; i++)
        free(j->in[i]);
    free(j->ref);
    memset(j, 0, sizeof(*j));
}

static void make_vector_add(job_t *j, uint32_t n, uint32_t *s)
{
    int32_t *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4), *ref = malloc((size_t)n * 4);
    for (uint32_t i = 0; i < n; i++) {
        a[i] = (int32_t)lcg(s);
        b[i] = (int32_t)lcg(s);
        ref[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
    }
    j->in[0] = a;
    j->in[1] = b;
    j->ref = ref;
}

static void make_saxpy(job_t *j, uint32_t n, uint32_t *s)
{
    float *al = malloc(4), *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4), *ref = malloc((size_t)n * 4);
    al[0] = 2.0f * frand(s);
    for (uint32_t i = 0; i < n; i++) {
        x[i] = frand(s);
        y[i] = frand(s);
        ref[i] = (float)((double)al[0] * x[i] + y[i]);
    }
    j->in[0] = al;
    j->in[1] = x;
    j->in[2] = y;
    j->ref = ref;
}

static void make_gemm(job_t *j, const sim_model_t *sm, uint32_t *s)
{
    uint32_t m = sm->gm, k = sm->gk, n = sm->gn;
    float *a = malloc((size_t)m * k * 4), *b = malloc((size_t)k * n * 4), *ref = malloc((size_t)m * n * 4);
    /* a and b drawn in turn, as long as either has elements left */
    for (uint32_t i = 0; i < m * k || i < k * n; i++) {
        if (i < m * k)
            a[i] = frand(s);
        if (i < k * n)
            b[i] = frand(s);
    }
    for (uint32_t r = 0; r < m; r++)
        for (uint32_t c = 0; c < n; c++) {
            double acc = 0;
            for (uint32_t p = 0; p < k; p++)
                acc += (double)a[r * k + p] * b[p * n + c];
            ref[r * n + c] = (float)acc;
        }
    j->in[0] = a;
    j->in[1] = b;
    j->ref = ref;
}

/* A model the sim has no reference for: every input drawn by its dtype. */
static void make_generic(job_t *j, const bridge_model_t *m, uint32_t *s)
{
    for (uint32_t k = 0; k < m->n_in; k++) {
        const bridge_tensor_spec_t *t = &m->in[k];
        void *p = malloc(t->bytes);
        for (uint32_t i = 0; i < t->count; i++) {
            if (t->dtype == BRIDGE_DT_F32)
                ((float *)p)[i] = frand(s);
            else if (t->dtype == BRIDGE_DT_I32)
                ((int32_t *)p)[i] = (int32_t)lcg(s);
            else
                ((uint8_t *)p)[i] = (uint8_t)(lcg(s) >> 24);
        }
        j->in[k] = p;
    }
}

void job_make(job_t *j, const sim_model_t *sm, uint32_t idx, uint32_t seed)
{
    memset(j, 0, sizeof(*j));
    j->model = sm->m->id;
    j->sm = sm;
    j->idx = idx;
    j->n_in = sm->m->n_in;
    uint32_t s = seed * 2654435761u + idx * 40503u + 1u;
    uint32_t n = sm->m->out[0].count;
    switch (sm->kind) {
    case SIM_K_VECTOR_ADD: make_vector_add(j, n, &s); break;
    case SIM_K_SAXPY: make_saxpy(j, n, &s); break;
    case SIM_K_GEMM: make_gemm(j, sm, &s); break;
    case SIM_K_CLASSIFIER: {
        uint32_t row = idx % sm->set_n, len = sm->m->in[0].bytes;
        void *x = malloc(len);
        memcpy(x, (const uint8_t *)sm->set_x + (size_t)row * len, len);
        j->in[0] = x;
        j->label = sm->set_y[row];
        break;
    }
    default: make_generic(j, sm->m, &s); break;
    }
}

static int check_close(const float *o, const float *ref, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        double r = ref[i];
        double tol = 1e-4 * (fabs(r) > 1.0 ? fabs(r) : 1.0);
        if (!(fabs((double)o[i] - r) <= tol))
            return 0;
    }
    return 1;
}

int job_check(const job_t *j, const void *out0, uint32_t result, task_t *t)
{
    const bridge_tensor_spec_t *o = &j->sm->m->out[0];
    switch (j->sm->kind) {
    case SIM_K_VECTOR_ADD: return memcmp(out0, j->ref, o->bytes) == 0;
    case SIM_K_SAXPY:
    case SIM_K_GEMM: return check_close(out0, j->ref, o->count);
    case SIM_K_CLASSIFIER: {
        const float *logits = out0;
        uint32_t best = 0;
        for (uint32_t i = 1; i < o->count; i++)
            if (logits[i] > logits[best])
                best = i;
        t->labels_total++;
        if (best == j->label)
            t->labels_correct++;
        return result == best;
    }
    default: return 1; /* the final status was OK: all the sim can know */
    }
}
