/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_manifest - the model manifest parser (bridge/manifest.c over
 * libinih): the input is a model.ini's contents, read through the real
 * entry point bridge_manifest_parse(). Oracle: every code is one of the
 * documented ones and a refusal comes with a message; an accepted manifest
 * has an id in 1..65535, a valid name, 1..IPC_MAX_TENSORS inputs and
 * outputs, at most BRIDGE_MAX_WEIGHTS weights, and every tensor's count
 * the product of its dims and its bytes count times the dtype size, in
 * 1..BRIDGE_TENSOR_MAX_BYTES; anything else aborts.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"
#include "fuzz.h"
#include "fuzz_file.h"
#include "manifest.h"

static void check_spec(const bridge_tensor_spec_t *t)
{
    static const uint32_t dt_size[] = {0, 4, 4, 1};
    if (strnlen(t->name, sizeof(t->name)) >= sizeof(t->name) || t->dtype < BRIDGE_DT_F32 || t->dtype > BRIDGE_DT_U8 ||
        t->n_dims == 0 || t->n_dims > BRIDGE_MAX_DIMS)
        abort();
    uint64_t count = 1;
    for (uint32_t d = 0; d < t->n_dims; d++)
        count *= t->dims[d] ? t->dims[d] : 0xFFFFFFFFull; /* a 0 dim fails below */
    if (count != t->count || (uint64_t)t->count * dt_size[t->dtype] != t->bytes || t->bytes == 0 ||
        t->bytes > BRIDGE_TENSOR_MAX_BYTES)
        abort();
}

static void check_model(const bridge_model_t *m)
{
    if (m->id == 0 || m->id > BRIDGE_MODEL_ID_MAX || m->name[0] == '\0' ||
        strnlen(m->name, sizeof(m->name)) >= sizeof(m->name) ||
        strnlen(m->description, sizeof(m->description)) >= sizeof(m->description))
        abort();
    for (const char *p = m->name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            abort();
    if (m->n_in == 0 || m->n_in > IPC_MAX_TENSORS || m->n_out == 0 || m->n_out > IPC_MAX_TENSORS ||
        m->n_weights > BRIDGE_MAX_WEIGHTS || m->n_opts > BRIDGE_MAX_BACKEND_OPTS)
        abort();
    for (uint32_t i = 0; i < m->n_in; i++)
        check_spec(&m->in[i]);
    for (uint32_t i = 0; i < m->n_out; i++)
        check_spec(&m->out[i]);
    for (uint32_t i = 0; i < m->n_weights; i++) {
        check_spec(&m->weights[i].spec);
        const char *f = m->weights[i].file;
        if (f[0] == '\0' || f[0] == '.' || strnlen(f, BRIDGE_FILE_MAX) >= BRIDGE_FILE_MAX || strchr(f, '/') != NULL ||
            m->weights[i].data != NULL)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bridge_model_t m;
    char err[1024];
    err[0] = '\0';
    int rc = bridge_manifest_parse(&m, fuzz_file(data, size), err, sizeof(err));
    if (rc != BRIDGE_OK && rc != BRIDGE_E_MANIFEST && rc != BRIDGE_E_NOMEM)
        abort();
    if (rc == BRIDGE_E_MANIFEST && (err[0] == '\0' || strnlen(err, sizeof(err)) >= sizeof(err)))
        abort();
    if (rc == BRIDGE_OK)
        check_model(&m);
    return 0;
}
