/*
 * cpu.c - the CPU reference backend: every shipped model in plain C.
 *
 * Other backends are checked against these results, so the kernels are
 * written for clarity and a fixed summation order (k ascending, no fused
 * multiply-add requested), not for speed. Jobs run synchronously inside
 * submit(); the finished job waits in a small queue until poll() returns
 * it, which keeps the asynchronous contract of backend.h.
 *
 * Tensors live in the shared region, at offsets the peer chose: they may
 * be unaligned and may change while we read them. Inputs are therefore
 * copied once into private, aligned scratch buffers, the kernel runs on
 * the copies, and the output is copied back; a hostile peer can make the
 * answer wrong but cannot make the kernel misbehave.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bridge_errors.h"
#include "backend.h"
#include "zl.h"

typedef struct cpu_model {
    uint32_t id;
    bridge_kernel_t kernel;
    uint32_t m, k, n; /* gemm: [m,k] x [k,n]; mlp: in k, hidden m, out n */
    const float *w1, *b1, *w2, *b2;
} cpu_model_t;

typedef struct cpu_state {
    cpu_model_t models[BRIDGE_MAX_MODELS];
    uint32_t n_models;
    bridge_job_t **done; /* finished, not yet polled */
    uint32_t n_done, depth;
    void *scratch[IPC_MAX_TENSORS + 1]; /* in[0..3], out[0] */
    size_t scratch_len;
    float *hidden;
    size_t hidden_len;
} cpu_state_t;

static int cpu_probe(bridge_device_info_t *devs, int max, char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    if (devs && max > 0) {
        memset(&devs[0], 0, sizeof(devs[0]));
        strcpy(devs[0].backend, "cpu");
        strcpy(devs[0].platform, "host");
        strcpy(devs[0].device, "reference kernels in plain C (one thread)");
        devs[0].index = 0;
    }
    return 1;
}

static int cpu_init(bridge_backend_t *be, const bridge_backend_config_t *cfg)
{
    if (be == NULL)
        return BRIDGE_E_INVAL;
    if (cfg && cfg->device && cfg->device[0] && strcmp(cfg->device, "0") != 0 && strcmp(cfg->device, "host") != 0)
        return BRIDGE_E_NO_DEVICE;
    cpu_state_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return BRIDGE_E_NOMEM;
    s->depth = cfg && cfg->queue_depth ? cfg->queue_depth : BRIDGE_QUEUE_DEPTH_DEFAULT;
    s->done = calloc(s->depth, sizeof(*s->done));
    if (s->done == NULL) {
        free(s);
        return BRIDGE_E_NOMEM;
    }
    be->priv = s;
    return BRIDGE_OK;
}

static int grow(void **p, size_t *have, size_t want)
{
    if (*have >= want)
        return BRIDGE_OK;
    void *n = realloc(*p, want);
    if (n == NULL)
        return BRIDGE_E_NOMEM;
    *p = n;
    *have = want;
    return BRIDGE_OK;
}

static int cpu_load_model(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || m == NULL)
        return BRIDGE_E_INVAL;
    if (s->n_models >= BRIDGE_MAX_MODELS)
        return BRIDGE_E_NOMEM;
    const char *kname = bridge_model_opt(m, "cpu", "kernel");
    if (kname == NULL) {
        snprintf(why, whylen, "%s: [backend.cpu] kernel: missing", m->manifest);
        return BRIDGE_E_UNSUPPORTED;
    }
    cpu_model_t cm = {.id = m->id, .kernel = bridge_kernel_by_name(kname)};
    uint32_t dim[3];
    const char *bad = bridge_kernel_check(cm.kernel, m, dim);
    if (bad) {
        snprintf(why, whylen, "%s: [backend.cpu] kernel: %s %s", m->manifest, kname, bad);
        return BRIDGE_E_UNSUPPORTED;
    }
    if (cm.kernel == BRIDGE_K_GEMM_F32) {
        cm.m = dim[0];
        cm.k = dim[1];
        cm.n = dim[2];
    } else if (cm.kernel == BRIDGE_K_MLP_RELU_F32) { /* in k, hidden m, out n */
        cm.k = dim[0];
        cm.m = dim[1];
        cm.n = dim[2];
        cm.w1 = bridge_model_weight(m, "w1")->data; /* present and f32: checked above */
        cm.b1 = bridge_model_weight(m, "b1")->data;
        cm.w2 = bridge_model_weight(m, "w2")->data;
        cm.b2 = bridge_model_weight(m, "b2")->data;
        if (grow((void **)&s->hidden, &s->hidden_len, (size_t)cm.m * sizeof(float)) != BRIDGE_OK)
            return BRIDGE_E_NOMEM;
    }
    size_t need = 0;
    for (uint32_t i = 0; i < m->n_in; i++)
        need = m->in[i].bytes > need ? m->in[i].bytes : need;
    need = m->out[0].bytes > need ? m->out[0].bytes : need;
    for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++) {
        size_t have = s->scratch_len;
        if (grow(&s->scratch[i], &have, need) != BRIDGE_OK)
            return BRIDGE_E_NOMEM;
    }
    if (need > s->scratch_len)
        s->scratch_len = need;
    s->models[s->n_models++] = cm;
    return BRIDGE_OK;
}

static const cpu_model_t *find_model(const cpu_state_t *s, uint32_t id)
{
    for (uint32_t i = 0; i < s->n_models; i++)
        if (s->models[i].id == id)
            return &s->models[i];
    return NULL;
}

static void k_vector_add(const int32_t *a, const int32_t *b, int32_t *c, uint32_t n)
{
    /* Wrapping addition, defined for every input: done in unsigned. */
    for (uint32_t i = 0; i < n; i++)
        c[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
}

static void k_saxpy(float alpha, const float *x, const float *y, float *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = alpha * x[i] + y[i];
}

static void k_gemm(const float *a, const float *b, float *c, uint32_t m, uint32_t k, uint32_t n)
{
    for (uint32_t i = 0; i < m; i++)
        for (uint32_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (uint32_t p = 0; p < k; p++)
                acc += a[(size_t)i * k + p] * b[(size_t)p * n + j];
            c[(size_t)i * n + j] = acc;
        }
}

static void k_mlp(const cpu_model_t *cm, const float *x, float *h, float *out)
{
    for (uint32_t j = 0; j < cm->m; j++) {
        float acc = 0.0f;
        for (uint32_t p = 0; p < cm->k; p++)
            acc += x[p] * cm->w1[(size_t)p * cm->m + j];
        acc += cm->b1[j];
        h[j] = acc > 0.0f ? acc : 0.0f;
    }
    for (uint32_t c = 0; c < cm->n; c++) {
        float acc = 0.0f;
        for (uint32_t j = 0; j < cm->m; j++)
            acc += h[j] * cm->w2[(size_t)j * cm->n + c];
        out[c] = acc + cm->b2[c];
    }
}

static int cpu_submit(bridge_backend_t *be, bridge_job_t *job)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || job == NULL || job->model == NULL)
        return BRIDGE_E_INVAL;
    if (s->n_done >= s->depth)
        return BRIDGE_E_BUSY;
    const cpu_model_t *cm = find_model(s, job->model->id);
    if (cm == NULL)
        return BRIDGE_E_UNSUPPORTED;
    const bridge_model_t *m = job->model;
    /* The dispatcher validated lengths against the model; check again so
     * the kernel can never overrun a scratch buffer whatever the caller. */
    for (uint32_t i = 0; i < m->n_in; i++)
        if (job->in[i] == NULL || job->in_len[i] != m->in[i].bytes || job->in_len[i] > s->scratch_len)
            return BRIDGE_E_INVAL;
    if (job->out[0] == NULL || job->out_len[0] != m->out[0].bytes || m->out[0].bytes > s->scratch_len)
        return BRIDGE_E_INVAL;

    job->t_backend_start = zl_now_ns();
    for (uint32_t i = 0; i < m->n_in; i++)
        memcpy(s->scratch[i], job->in[i], job->in_len[i]);
    void *o = s->scratch[IPC_MAX_TENSORS];
    switch (cm->kernel) {
    case BRIDGE_K_VECTOR_ADD_I32: k_vector_add(s->scratch[0], s->scratch[1], o, m->out[0].count); break;
    case BRIDGE_K_SAXPY_F32:
        k_saxpy(*(const float *)s->scratch[0], s->scratch[1], s->scratch[2], o, m->out[0].count);
        break;
    case BRIDGE_K_GEMM_F32: k_gemm(s->scratch[0], s->scratch[1], o, cm->m, cm->k, cm->n); break;
    case BRIDGE_K_MLP_RELU_F32: k_mlp(cm, s->scratch[0], s->hidden, o); break;
    default: return BRIDGE_E_UNSUPPORTED;
    }
    memcpy(job->out[0], o, m->out[0].bytes);
    job->result = bridge_backend_result(m, o);
    job->t_backend_end = zl_now_ns();
    job->backend_ns = job->t_backend_end - job->t_backend_start;
    job->status = IPC_STATUS_OK;
    s->done[s->n_done++] = job;
    return BRIDGE_OK;
}

static int cpu_poll(bridge_backend_t *be, bridge_job_t **done, int max, int timeout_ms)
{
    (void)timeout_ms; /* jobs finish inside submit: nothing to wait for */
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || done == NULL || max < 0)
        return BRIDGE_E_INVAL;
    uint32_t n = s->n_done < (uint32_t)max ? s->n_done : (uint32_t)max;
    for (uint32_t i = 0; i < n; i++)
        done[i] = s->done[i];
    memmove(s->done, s->done + n, (s->n_done - n) * sizeof(*s->done));
    s->n_done -= n;
    return (int)n;
}

static int cpu_in_flight(const bridge_backend_t *be)
{
    const cpu_state_t *s = be ? be->priv : NULL;
    return s ? (int)s->n_done : 0;
}

static void cpu_shutdown(bridge_backend_t *be)
{
    cpu_state_t *s = be ? be->priv : NULL;
    if (s == NULL)
        return;
    for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++)
        free(s->scratch[i]);
    free(s->hidden);
    free(s->done);
    free(s);
    be->priv = NULL;
}

const bridge_backend_ops_t bridge_backend_cpu = {
    .name = "cpu",
    .probe = cpu_probe,
    .init = cpu_init,
    .load_model = cpu_load_model,
    .submit = cpu_submit,
    .poll = cpu_poll,
    .in_flight = cpu_in_flight,
    .shutdown = cpu_shutdown,
};
