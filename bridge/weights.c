/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * weights.c - the files next to a manifest: a model's weights, loaded into
 * memory once at start, and its optional held-out data set (registry.h).
 * Every file is read with zl_read_file() (a regular file, symlinks not
 * followed, size bounded), the one file reader of the Linux side.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"
#include "manifest.h"
#include "registry.h"
#include "zl.h"

static int load_weight(bridge_model_t *m, uint32_t i, char *err, size_t errlen)
{
    bridge_weight_t *w = &m->weights[i];
    char fpath[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX];
    snprintf(fpath, sizeof(fpath), "%s/%s", m->dir, w->file);
    size_t len = 0;
    int e = 0;
    void *data = zl_read_file(fpath, w->spec.bytes, &len, &e);
    if (data == NULL && e == -ENOMEM)
        return BRIDGE_E_NOMEM;
    if (data == NULL && e == -EFBIG) {
        bridge_errf(err, errlen, "%s: [weight.%u] file: '%s' holds more than %u bytes, the shape needs %u", m->manifest,
                    i, w->file, w->spec.bytes, w->spec.bytes);
        return BRIDGE_E_WEIGHTS;
    }
    if (data == NULL) {
        bridge_errf(err, errlen, "%s: [weight.%u] file: '%s' cannot be read: %s", m->manifest, i, w->file,
                    strerror(-e));
        return BRIDGE_E_WEIGHTS;
    }
    if (len != w->spec.bytes) {
        bridge_errf(err, errlen, "%s: [weight.%u] file: '%s' holds %zu bytes, the shape needs %u", m->manifest, i,
                    w->file, len, w->spec.bytes);
        free(data);
        return BRIDGE_E_WEIGHTS;
    }
    w->data = data;
    return BRIDGE_OK;
}

int bridge_weights_load(bridge_model_t *m, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < m->n_weights; i++) {
        int r = load_weight(m, i, err, errlen);
        if (r != BRIDGE_OK) {
            bridge_model_free(m);
            return r;
        }
    }
    return BRIDGE_OK;
}

void bridge_model_free(bridge_model_t *m)
{
    if (m == NULL)
        return;
    for (uint32_t i = 0; i < BRIDGE_MAX_WEIGHTS; i++) {
        free(m->weights[i].data);
        m->weights[i].data = NULL;
    }
}

static void *read_in_dir(const bridge_model_t *m, const char *file, char *path, size_t plen, size_t *len)
{
    snprintf(path, plen, "%s/%s", m->dir, file);
    int e = 0;
    return zl_read_file(path, (size_t)BRIDGE_TENSOR_MAX_BYTES * 4u, len, &e);
}

int bridge_model_dataset(const bridge_model_t *m, float **x, uint8_t **y, uint32_t *count, char *err, size_t errlen)
{
    if (m == NULL || x == NULL || y == NULL || count == NULL)
        return BRIDGE_E_INVAL;
    *x = NULL;
    *y = NULL;
    *count = 0;
    if (m->dataset_x[0] == '\0' || m->dataset_y[0] == '\0') {
        bridge_errf(err, errlen, "%s: no [dataset] x and y", m->manifest);
        return BRIDGE_E_IO;
    }
    char px[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX], py[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX];
    size_t lx = 0, ly = 0;
    void *bx = read_in_dir(m, m->dataset_x, px, sizeof(px), &lx);
    void *by = read_in_dir(m, m->dataset_y, py, sizeof(py), &ly);
    if (bx == NULL || by == NULL) {
        bridge_errf(err, errlen, "%s: cannot be read", bx == NULL ? px : py);
        free(bx);
        free(by);
        return BRIDGE_E_IO;
    }
    size_t row = m->in[0].bytes;
    if (m->in[0].dtype != BRIDGE_DT_F32 || ly == 0 || lx != ly * row) {
        bridge_errf(err, errlen, "%s: %zu bytes, expected %zu labels x %zu bytes", px, lx, ly, row);
        free(bx);
        free(by);
        return BRIDGE_E_WEIGHTS;
    }
    *x = bx;
    *y = by;
    *count = (uint32_t)ly;
    return BRIDGE_OK;
}
