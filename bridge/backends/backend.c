/* SPDX-License-Identifier: BSD-3-Clause */
/* backend.c - the table of built-in backends and helpers shared by them. */
#include "backend.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const bridge_backend_ops_t *const builtin[] = {
    &bridge_backend_cpu,
#ifdef ZENEDGE_HAVE_OPENCL
    &bridge_backend_opencl,
#endif
#ifdef ZENEDGE_HAVE_CUDA
    &bridge_backend_cuda,
#endif
#ifdef ZENEDGE_HAVE_LEVEL_ZERO
    &bridge_backend_level_zero,
#endif
    NULL,
};

const bridge_backend_ops_t *bridge_backend_find(const char *name)
{
    for (size_t i = 0; name && builtin[i]; i++)
        if (strcmp(builtin[i]->name, name) == 0)
            return builtin[i];
    return NULL;
}

const bridge_backend_ops_t *const *bridge_backend_list(void)
{
    return builtin;
}

void bridge_why(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

void bridge_qos_sched_default(bridge_qos_sched_t *q, int rt_priority, int dispatcher_nice)
{
    static const int nice_step[IPC_QOS_COUNT] = {1, 2, 3, 4};
    memset(q, 0, sizeof(*q));
    q->fifo = rt_priority > 0;
    q->bg_idle = !q->fifo;
    q->dispatcher = q->fifo ? rt_priority : dispatcher_nice;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        int p = q->fifo ? rt_priority - 1 - (int)c : dispatcher_nice + nice_step[c];
        q->prio[c] = q->fifo ? (p < 1 ? 1 : p) : (p > 19 ? 19 : p);
    }
}

/* "1-3,5" of the set bits of cpus into buf. */
static void cpu_list(const uint64_t *cpus, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (uint32_t c = 0; c < BRIDGE_CPU_MAX && at + 1 < len; c++) {
        if (!(cpus[c / 64u] >> (c % 64u) & 1u))
            continue;
        uint32_t e = c;
        while (e + 1 < BRIDGE_CPU_MAX && (cpus[(e + 1) / 64u] >> ((e + 1) % 64u) & 1u))
            e++;
        int n = e > c ? snprintf(buf + at, len - at, "%s%u-%u", at ? "," : "", c, e)
                      : snprintf(buf + at, len - at, "%s%u", at ? "," : "", c);
        at += n > 0 ? (size_t)n : 0u;
        c = e;
    }
}

void bridge_qos_sched_describe(const bridge_qos_sched_t *q, char *buf, size_t len)
{
    char cpus[128];
    bool pinned = false;
    for (uint32_t w = 0; w < BRIDGE_CPU_WORDS; w++)
        pinned |= q->cpus[w] != 0;
    if (pinned)
        cpu_list(q->cpus, cpus, sizeof(cpus));
    char bg[48];
    snprintf(bg, sizeof(bg), !q->fifo && q->bg_idle ? "SCHED_IDLE (nice %d)" : "%d", q->prio[IPC_QOS_BACKGROUND]);
    snprintf(buf, len, "%s dispatcher %d, rt %d, high %d, normal %d, background %s; workers %s%s",
             q->fifo ? "SCHED_FIFO" : "nice", q->dispatcher, q->prio[IPC_QOS_RT], q->prio[IPC_QOS_HIGH],
             q->prio[IPC_QOS_NORMAL], bg, pinned ? "on CPUs " : "not pinned", pinned ? cpus : "");
}

uint32_t bridge_backend_result(const bridge_model_t *m, const void *out0)
{
    if (m == NULL || out0 == NULL || m->result != BRIDGE_RESULT_ARGMAX)
        return 0;
    const unsigned char *p = out0;
    uint32_t best = 0;
    float bv;
    memcpy(&bv, p, sizeof(bv));
    for (uint32_t i = 1; i < m->out[0].count; i++) {
        float x;
        memcpy(&x, p + 4u * i, sizeof(x));
        if (x > bv) { /* NaN never wins */
            bv = x;
            best = i;
        }
    }
    return best;
}

static const struct {
    const char *name;
    bridge_kernel_t k;
} kernel_names[] = {
    {"vector_add_i32", BRIDGE_K_VECTOR_ADD_I32},
    {"saxpy_f32", BRIDGE_K_SAXPY_F32},
    {"gemm_f32", BRIDGE_K_GEMM_F32},
    {"mlp_relu_f32", BRIDGE_K_MLP_RELU_F32},
};

bridge_kernel_t bridge_kernel_by_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof(kernel_names) / sizeof(kernel_names[0]); i++)
        if (strcmp(kernel_names[i].name, name) == 0)
            return kernel_names[i].k;
    return BRIDGE_K_NONE;
}

static bool all_dtype(const bridge_tensor_spec_t *t, uint32_t n, bridge_dtype_t dt)
{
    for (uint32_t i = 0; i < n; i++)
        if (t[i].dtype != dt)
            return false;
    return true;
}

/* An f32 weight of d0 elements (d1 == 0) or of shape [d0][d1]. */
static bool weight_fits(const bridge_model_t *m, const char *name, uint32_t d0, uint32_t d1)
{
    const bridge_weight_t *w = bridge_model_weight(m, name);
    if (w == NULL || w->data == NULL || w->spec.dtype != BRIDGE_DT_F32)
        return false;
    uint32_t want = d1 ? d0 * d1 : d0;
    return w->spec.count == want &&
           (d1 == 0 || (w->spec.n_dims == 2 && w->spec.dims[0] == d0 && w->spec.dims[1] == d1));
}

const char *bridge_kernel_check(bridge_kernel_t k, const bridge_model_t *m, uint32_t dim[3])
{
    dim[0] = dim[1] = dim[2] = 0;
    switch (k) {
    case BRIDGE_K_VECTOR_ADD_I32:
        if (m->n_in != 2 || m->n_out != 1 || !all_dtype(m->in, 2, BRIDGE_DT_I32) ||
            !all_dtype(m->out, 1, BRIDGE_DT_I32) || m->in[0].count != m->in[1].count ||
            m->out[0].count != m->in[0].count)
            return "needs inputs a, b and output c: i32, all of one element count";
        dim[0] = m->out[0].count;
        return NULL;
    case BRIDGE_K_SAXPY_F32:
        if (m->n_in != 3 || m->n_out != 1 || !all_dtype(m->in, 3, BRIDGE_DT_F32) ||
            !all_dtype(m->out, 1, BRIDGE_DT_F32) || m->in[0].count != 1 || m->in[1].count != m->in[2].count ||
            m->out[0].count != m->in[1].count)
            return "needs inputs alpha f32[1], x f32[n], y f32[n] and output f32[n]";
        dim[0] = m->out[0].count;
        return NULL;
    case BRIDGE_K_GEMM_F32:
        if (m->n_in != 2 || m->n_out != 1 || !all_dtype(m->in, 2, BRIDGE_DT_F32) ||
            !all_dtype(m->out, 1, BRIDGE_DT_F32) || m->in[0].n_dims != 2 || m->in[1].n_dims != 2 ||
            m->out[0].n_dims != 2 || m->in[0].dims[1] != m->in[1].dims[0] || m->out[0].dims[0] != m->in[0].dims[0] ||
            m->out[0].dims[1] != m->in[1].dims[1])
            return "needs inputs a f32[m,k], b f32[k,n] and output c f32[m,n] (2-D shapes)";
        dim[0] = m->in[0].dims[0];
        dim[1] = m->in[0].dims[1];
        dim[2] = m->in[1].dims[1];
        return NULL;
    case BRIDGE_K_MLP_RELU_F32: {
        if (m->n_in != 1 || m->n_out != 1 || m->in[0].dtype != BRIDGE_DT_F32 || m->out[0].dtype != BRIDGE_DT_F32)
            return "needs one input x f32[k] and one output f32[n]";
        const bridge_weight_t *w1 = bridge_model_weight(m, "w1");
        uint32_t in = m->in[0].count, out = m->out[0].count;
        uint32_t h = w1 && w1->spec.n_dims == 2 ? w1->spec.dims[1] : 0;
        if (h == 0 || !weight_fits(m, "w1", in, h) || !weight_fits(m, "b1", h, 0) || !weight_fits(m, "w2", h, out) ||
            !weight_fits(m, "b2", out, 0))
            return "needs f32 weights w1[k][h], b1[h], w2[h][n], b2[n] matching input k and output n";
        dim[0] = in;
        dim[1] = h;
        dim[2] = out;
        return NULL;
    }
    default: return "is not one of vector_add_i32, saxpy_f32, gemm_f32, mlp_relu_f32";
    }
}
