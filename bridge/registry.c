/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * registry.c - the model registry (registry.h): every manifest of the
 * model directory loaded (manifest.c parses, weights.c loads the files),
 * duplicates refused, models sorted by id for lookups.
 */
#define _DEFAULT_SOURCE
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bridge_errors.h"
#include "manifest.h"

int bridge_model_load(bridge_model_t *m, const char *path, char *err, size_t errlen)
{
    int rc = bridge_manifest_parse(m, path, err, errlen);
    return rc == BRIDGE_OK ? bridge_weights_load(m, err, errlen) : rc;
}

/* ------------------------------------------------------------------ */
/* The registry                                                        */
/* ------------------------------------------------------------------ */

static int cmp_model(const void *a, const void *b)
{
    const bridge_model_t *x = *(bridge_model_t *const *)a, *y = *(bridge_model_t *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void bridge_registry_free(bridge_registry_t *reg)
{
    if (reg == NULL)
        return;
    for (uint32_t i = 0; i < reg->n_models; i++) {
        bridge_model_free(reg->models[i]);
        free(reg->models[i]);
    }
    memset(reg, 0, sizeof(*reg));
}

int bridge_registry_load(bridge_registry_t *reg, const char *dir, char *err, size_t errlen)
{
    if (reg == NULL || dir == NULL)
        return BRIDGE_E_INVAL;
    memset(reg, 0, sizeof(*reg));
    DIR *d = opendir(dir);
    if (d == NULL) {
        bridge_errf(err, errlen, "%s: model directory cannot be opened: %s", dir, strerror(errno));
        return BRIDGE_E_IO;
    }
    /* Read the names first and sort them, so errors and ids come out in a
     * stable order whatever the file system returns. */
    char *names[256];
    size_t n_names = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n_names < 256) {
        if (e->d_name[0] == '.')
            continue;
        names[n_names] = strdup(e->d_name);
        if (names[n_names] == NULL)
            break;
        n_names++;
    }
    closedir(d);
    qsort(names, n_names, sizeof(names[0]), cmp_str);

    int rc = BRIDGE_OK;
    for (size_t i = 0; i < n_names && rc == BRIDGE_OK; i++) {
        char path[BRIDGE_PATH_MAX];
        struct stat st;
        int pl = snprintf(path, sizeof(path), "%s/%s/model.ini", dir, names[i]);
        if (pl < 0 || (size_t)pl >= sizeof(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (reg->n_models >= BRIDGE_MAX_MODELS) {
            bridge_errf(err, errlen, "%s: more than %u models", path, BRIDGE_MAX_MODELS);
            rc = BRIDGE_E_MANIFEST;
            break;
        }
        bridge_model_t *m = calloc(1, sizeof(*m));
        if (m == NULL) {
            rc = BRIDGE_E_NOMEM;
            break;
        }
        rc = bridge_model_load(m, path, err, errlen);
        if (rc != BRIDGE_OK) {
            free(m);
            break;
        }
        for (uint32_t j = 0; j < reg->n_models; j++) {
            const bridge_model_t *o = reg->models[j];
            if (o->id == m->id || strcmp(o->name, m->name) == 0) {
                if (o->id == m->id)
                    bridge_errf(err, errlen, "%s: [model] id: %u already declared by %s", path, m->id, o->manifest);
                else
                    bridge_errf(err, errlen, "%s: [model] name: '%s' already declared by %s", path, m->name,
                                o->manifest);
                rc = BRIDGE_E_MODEL_DUP;
                break;
            }
        }
        if (rc != BRIDGE_OK) {
            bridge_model_free(m);
            free(m);
            break;
        }
        reg->models[reg->n_models++] = m;
    }
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    if (rc == BRIDGE_OK && reg->n_models == 0) {
        bridge_errf(err, errlen, "%s: no <model>/model.ini found", dir);
        rc = BRIDGE_E_NO_MODELS;
    }
    if (rc != BRIDGE_OK) {
        bridge_registry_free(reg);
        return rc;
    }
    qsort(reg->models, reg->n_models, sizeof(reg->models[0]), cmp_model);
    return BRIDGE_OK;
}

const bridge_model_t *bridge_registry_find(const bridge_registry_t *reg, uint32_t id)
{
    if (reg == NULL)
        return NULL;
    uint32_t lo = 0, hi = reg->n_models;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        uint32_t mid_id = reg->models[mid]->id;
        if (mid_id == id)
            return reg->models[mid];
        if (mid_id < id)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return NULL;
}

int bridge_registry_index(const bridge_registry_t *reg, const bridge_model_t *m)
{
    if (reg == NULL || m == NULL)
        return -1;
    uint32_t lo = 0, hi = reg->n_models;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (reg->models[mid] == m)
            return (int)mid;
        if (reg->models[mid]->id < m->id)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return -1;
}

const bridge_model_t *bridge_registry_find_name(const bridge_registry_t *reg, const char *name)
{
    if (reg == NULL || name == NULL)
        return NULL;
    for (uint32_t i = 0; i < reg->n_models; i++)
        if (strcmp(reg->models[i]->name, name) == 0)
            return reg->models[i];
    return NULL;
}

const bridge_weight_t *bridge_model_weight(const bridge_model_t *m, const char *name)
{
    for (uint32_t i = 0; m && i < m->n_weights; i++)
        if (strcmp(m->weights[i].spec.name, name) == 0)
            return &m->weights[i];
    return NULL;
}

const char *bridge_model_opt(const bridge_model_t *m, const char *backend, const char *key)
{
    for (uint32_t i = 0; m && i < m->n_opts; i++)
        if (strcmp(m->opts[i].backend, backend) == 0 && strcmp(m->opts[i].key, key) == 0)
            return m->opts[i].value;
    return NULL;
}
