/* SPDX-License-Identifier: BSD-3-Clause */
/* warm.c - models loaded into the backend and warmed by a dry run (warm.h). */
#include "warm.h"

#include <stdlib.h>

#include "bridge_errors.h"
#include "log.h"
#include "zl.h"

#define WARM_TIMEOUT_NS 120000000000ull /* a dry run (a cold kernel build included) */

int bridge_models_load(bridge_backend_t *be, const bridge_registry_t *reg)
{
    char err[1024] = "";
    for (uint32_t i = 0; i < reg->n_models; i++) {
        const bridge_model_t *m = reg->models[i];
        int rc = be->ops->load_model(be, m, err, sizeof(err));
        if (rc != BRIDGE_OK) {
            BLOG_ERR("backend %s cannot run model %u (%s): %s (%s)", be->ops->name, m->id, m->name, err,
                     bridge_strerror(rc));
            return rc;
        }
        BLOG_INFO("model %u %s: %u input(s), %u output(s), %u weight(s) from %s", m->id, m->name, m->n_in, m->n_out,
                  m->n_weights, m->manifest);
    }
    return BRIDGE_OK;
}

/* One dry run of model m with zero inputs through submit and poll:
 * BRIDGE_OK, or an error (logged). The job's buffers are freed only once
 * it is back. */
static int warm_one(bridge_backend_t *be, const bridge_model_t *m)
{
    bridge_job_t job = {.model = m, .qos = IPC_QOS_BACKGROUND, .cmd = CMD_JOB_DONE};
    void *buf[IPC_MAX_TENSORS + 1] = {NULL};
    int ok = 1;
    for (uint32_t i = 0; i < m->n_in && ok; i++) {
        ok = (buf[i] = calloc(1, m->in[i].bytes ? m->in[i].bytes : 1u)) != NULL;
        job.in[i] = buf[i];
        job.in_len[i] = m->in[i].bytes;
    }
    ok = ok && (buf[IPC_MAX_TENSORS] = calloc(1, m->out[0].bytes ? m->out[0].bytes : 1u)) != NULL;
    job.out[0] = buf[IPC_MAX_TENSORS];
    job.out_len[0] = m->out[0].bytes;
    int rc = ok ? be->ops->submit(be, &job) : BRIDGE_E_NOMEM;
    int back = 0;
    uint64_t until = zl_now_ns() + WARM_TIMEOUT_NS;
    while (rc == BRIDGE_OK && !back && zl_now_ns() < until) {
        bridge_job_t *done = NULL;
        back = be->ops->poll(be, &done, 1, 100);
        rc = back < 0 ? back : BRIDGE_OK;
    }
    if (rc == BRIDGE_OK && !back) {
        BLOG_ERR("backend %s: the dry run of model %u (%s) did not end within %llu s", be->ops->name, m->id, m->name,
                 WARM_TIMEOUT_NS / 1000000000ull);
        return BRIDGE_E_TIMEOUT; /* the backend may still write the buffers: keep them */
    }
    if (rc == BRIDGE_OK && job.status != IPC_STATUS_OK)
        rc = BRIDGE_E_BACKEND;
    for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++)
        free(buf[i]);
    if (rc != BRIDGE_OK) {
        BLOG_ERR("backend %s: the dry run of model %u (%s) failed: %s", be->ops->name, m->id, m->name,
                 bridge_strerror(rc));
        return rc;
    }
    BLOG_DEBUG("model %u %s warmed on %s: %llu us on the backend", m->id, m->name, be->ops->name,
               (unsigned long long)(job.backend_ns / 1000u));
    return BRIDGE_OK;
}

int bridge_models_warm(bridge_backend_t *be, const bridge_registry_t *reg, uint64_t t_start)
{
    for (uint32_t i = 0; i < reg->n_models; i++) {
        int rc = warm_one(be, reg->models[i]);
        if (rc != BRIDGE_OK)
            return rc;
    }
    BLOG_INFO("ready in %llu ms: %u models loaded and warmed on %s",
              (unsigned long long)((zl_now_ns() - t_start) / 1000000u), reg->n_models, be->ops->name);
    return BRIDGE_OK;
}
