/* SPDX-License-Identifier: BSD-3-Clause */
/* accel_test.c - helpers of the accelerator backend tests (see accel_test.h). */
#include "accel_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zl.h"
#include "test_exit.h"

#ifdef ZENEDGE_HAVE_OPENCL
extern const bridge_backend_ops_t bridge_backend_opencl;
#endif
#ifdef ZENEDGE_HAVE_CUDA
extern const bridge_backend_ops_t bridge_backend_cuda;
#endif
#ifdef ZENEDGE_HAVE_LEVEL_ZERO
extern const bridge_backend_ops_t bridge_backend_level_zero;
#endif

const bridge_backend_ops_t *accel_backend(const char *name)
{
#ifdef ZENEDGE_HAVE_OPENCL
    if (strcmp(name, "opencl") == 0)
        return &bridge_backend_opencl;
#endif
#ifdef ZENEDGE_HAVE_CUDA
    if (strcmp(name, "cuda") == 0)
        return &bridge_backend_cuda;
#endif
#ifdef ZENEDGE_HAVE_LEVEL_ZERO
    if (strcmp(name, "level_zero") == 0)
        return &bridge_backend_level_zero;
#endif
    (void)name;
    return NULL;
}

static uint32_t xs(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

int accel_io_make(accel_io_t *io, const bridge_model_t *m, uint32_t seed)
{
    memset(io, 0, sizeof(*io));
    uint32_t st = seed * 2654435761u + 1u;
    io->n_in = m->n_in;
    for (uint32_t i = 0; i < m->n_in; i++) {
        io->in[i] = malloc(m->in[i].bytes);
        if (io->in[i] == NULL)
            return -1;
        for (uint32_t e = 0; e < m->in[i].count; e++) {
            uint32_t r = xs(&st);
            if (m->in[i].dtype == BRIDGE_DT_I32) {
                int32_t v = (int32_t)r; /* full range: exercises the wrap */
                memcpy((char *)io->in[i] + 4u * e, &v, 4);
            } else if (m->in[i].dtype == BRIDGE_DT_F32) {
                /* digits take raw pixels 0..16; others -2..2 */
                float v =
                    m->result == BRIDGE_RESULT_ARGMAX ? (float)(r % 17u) : ((float)(r % 40001u) / 10000.0f) - 2.0f;
                memcpy((char *)io->in[i] + 4u * e, &v, 4);
            } else {
                ((uint8_t *)io->in[i])[e] = (uint8_t)r;
            }
        }
    }
    io->out = calloc(1, m->out[0].bytes);
    return io->out ? 0 : -1;
}

void accel_io_free(accel_io_t *io)
{
    for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++)
        free(io->in[i]);
    free(io->out);
    memset(io, 0, sizeof(*io));
}

void accel_job_fill(bridge_job_t *job, const bridge_model_t *m, const accel_io_t *io, uint32_t qos, uint32_t handle)
{
    memset(job, 0, sizeof(*job));
    job->handle = handle;
    job->slot = IPC_HANDLE_SLOT(handle);
    job->qos = qos;
    job->model = m;
    for (uint32_t i = 0; i < m->n_in; i++) {
        job->in[i] = io->in[i];
        job->in_len[i] = m->in[i].bytes;
    }
    job->out[0] = io->out;
    job->out_len[0] = m->out[0].bytes;
    job->status = 0xFFFFu;
}

int accel_run_one(bridge_backend_t *be, bridge_job_t *job)
{
    int rc = be->ops->submit(be, job);
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "FAIL: %s submit of model %u: %s\n", be->ops->name, job->model->id, bridge_strerror(rc));
        return -1;
    }
    uint64_t end = zl_now_ns() + 30ull * 1000000000ull;
    while (zl_now_ns() < end) {
        bridge_job_t *done[1];
        int n = be->ops->poll(be, done, 1, 100);
        if (n < 0) {
            fprintf(stderr, "FAIL: %s poll: %s\n", be->ops->name, bridge_strerror(n));
            return -1;
        }
        if (n == 1) {
            if (done[0] != job) {
                fprintf(stderr, "FAIL: %s poll returned another job\n", be->ops->name);
                return -1;
            }
            return 0;
        }
    }
    fprintf(stderr, "FAIL: %s: job of model %u not back within 30 s\n", be->ops->name, job->model->id);
    return -1;
}

uint32_t accel_compare(const bridge_model_t *m, const void *got, const void *ref, double *max_abs)
{
    uint32_t bad = 0;
    double worst = 0.0;
    if (m->out[0].dtype == BRIDGE_DT_I32) {
        if (memcmp(got, ref, m->out[0].bytes) != 0)
            for (uint32_t i = 0; i < m->out[0].count; i++)
                bad += memcmp((const char *)got + 4u * i, (const char *)ref + 4u * i, 4) != 0;
        *max_abs = bad ? 1.0 : 0.0;
        return bad;
    }
    double rel = ACCEL_TOL_GEMM, abs_tol = ACCEL_TOL_GEMM;
    if (m->result == BRIDGE_RESULT_ARGMAX)
        rel = abs_tol = ACCEL_TOL_LOGITS;
    else if (m->n_in == 3)
        rel = ACCEL_TOL_SAXPY_REL, abs_tol = ACCEL_TOL_SAXPY_ABS;
    for (uint32_t i = 0; i < m->out[0].count; i++) {
        float g, r;
        memcpy(&g, (const char *)got + 4u * i, 4);
        memcpy(&r, (const char *)ref + 4u * i, 4);
        double d = fabs((double)g - (double)r);
        if (!(d <= abs_tol + rel * fabs((double)r))) /* NaN counts as bad */
            bad++;
        if (d > worst || d != d)
            worst = d;
    }
    *max_abs = worst;
    return bad;
}

int accel_digits_accuracy(bridge_backend_t *be, const bridge_model_t *m, uint32_t *correct, uint32_t *n)
{
    float *x;
    uint8_t *y;
    char err[512] = "";
    int rc = bridge_model_dataset(m, &x, &y, n, err, sizeof(err));
    if (rc == BRIDGE_E_IO) {
        printf("skipped: held-out set not present (%s)\n", err);
        return TEST_SKIP;
    }
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "FAIL dataset: %s: %s\n", bridge_strerror(rc), err);
        return -1;
    }
    *correct = 0;
    float logits[16];
    int ret = 0;
    uint32_t k = m->in[0].count;
    for (uint32_t i = 0; i < *n; i++) {
        bridge_job_t job;
        memset(&job, 0, sizeof(job));
        job.handle = IPC_HANDLE(1, i);
        job.model = m;
        job.qos = IPC_QOS_NORMAL;
        job.in[0] = x + (size_t)i * k;
        job.in_len[0] = m->in[0].bytes;
        job.out[0] = logits;
        job.out_len[0] = m->out[0].bytes;
        if (m->out[0].bytes > sizeof(logits) || accel_run_one(be, &job) != 0 || job.status != IPC_STATUS_OK) {
            fprintf(stderr, "FAIL: %s: digits sample %u did not run (status %u)\n", be->ops->name, i, job.status);
            ret = -1;
            break;
        }
        *correct += job.result == y[i];
    }
    free(x);
    free(y);
    return ret;
}
