/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpu_kernels.c - the CPU reference backend's kernels, in plain C.
 *
 * Other backends are checked against these results, so the kernels are
 * written for clarity and a fixed summation order (k ascending, no fused
 * multiply-add requested), not for speed.
 *
 * Tensors live in the shared region, at offsets the peer chose: they may
 * be unaligned and may change while we read them. Inputs are therefore
 * copied once into the worker's private, aligned scratch buffers, the
 * kernel runs on the copies, and the output is copied back; a hostile
 * peer can make the answer wrong but cannot make the kernel misbehave.
 */
#include <string.h>

#include "../bridge_errors.h"

#include "cpu.h"
#include "zl.h"

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

void bridge_cpu_run(const cpu_model_t *cm, bridge_job_t *job, void *const scratch[IPC_MAX_TENSORS + 1], float *hidden)
{
    const bridge_model_t *m = job->model;
    for (uint32_t i = 0; i < m->n_in; i++)
        memcpy(scratch[i], job->in[i], job->in_len[i]);
    void *o = scratch[IPC_MAX_TENSORS];
    job->status = IPC_STATUS_OK;
    switch (cm->kernel) {
    case BRIDGE_K_VECTOR_ADD_I32: k_vector_add(scratch[0], scratch[1], o, m->out[0].count); break;
    case BRIDGE_K_SAXPY_F32: k_saxpy(*(const float *)scratch[0], scratch[1], scratch[2], o, m->out[0].count); break;
    case BRIDGE_K_GEMM_F32: k_gemm(scratch[0], scratch[1], o, cm->m, cm->k, cm->n); break;
    case BRIDGE_K_MLP_RELU_F32: k_mlp(cm, scratch[0], hidden, o); break;
    default: job->status = IPC_STATUS_BACKEND_ERROR; break; /* load_model admits none such */
    }
    job->result = 0;
    if (job->status == IPC_STATUS_OK) {
        memcpy(job->out[0], o, m->out[0].bytes);
        job->result = bridge_backend_result(m, o);
    }
    job->t_backend_end = zl_now_ns();
    job->backend_ns = job->t_backend_end - job->t_backend_start;
}

int bridge_cpu_model(const bridge_model_t *m, cpu_model_t *out, size_t *hidden_bytes, char *why, size_t whylen)
{
    const char *kname = bridge_model_opt(m, "cpu", "kernel");
    if (kname == NULL) {
        bridge_why(why, whylen, "%s: [backend.cpu] kernel: missing", m->manifest);
        return BRIDGE_E_UNSUPPORTED;
    }
    cpu_model_t cm = {.id = m->id, .kernel = bridge_kernel_by_name(kname)};
    uint32_t dim[3];
    const char *bad = bridge_kernel_check(cm.kernel, m, dim);
    if (bad) {
        bridge_why(why, whylen, "%s: [backend.cpu] kernel: %s %s", m->manifest, kname, bad);
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
        *hidden_bytes = (size_t)cm.m * sizeof(float);
    }
    *out = cm;
    return BRIDGE_OK;
}
