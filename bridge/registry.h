/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * registry.h - the model registry: every models/<name>/model.ini loaded
 * and validated at start (format in docs/models.md).
 *
 * A model is its id (the model_id of a job descriptor), a name, the tensor
 * signature a job must match (inputs and outputs, in order, each a dtype
 * and a shape, hence a byte length), optional weights (raw little-endian
 * files next to the manifest, loaded into memory once) and per-backend
 * options (e.g. the CPU kernel, an OpenCL source). The registry is
 * immutable after load, so the dispatch thread and the validation
 * functions read it without locks.
 *
 * Role: the registry part, in three files: manifest.c (parse and check
 * one model.ini, manifest.h), weights.c (weights and data sets, read with
 * zl_read_file()), registry.c (the directory, duplicates, lookups).
 * Thread: loaded by the main thread before serving starts; read by every
 * thread afterwards, never written.
 * May touch: the model directory (read only) and the memory it allocates.
 */
#ifndef ZENEDGE_BRIDGE_REGISTRY_H
#define ZENEDGE_BRIDGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zenedge/ipc_proto.h"

#define BRIDGE_MAX_MODELS       64u
#define BRIDGE_MAX_WEIGHTS      8u
#define BRIDGE_MAX_DIMS         4u
#define BRIDGE_MAX_BACKEND_OPTS 16u
#define BRIDGE_NAME_MAX         32u  /* names: [a-z0-9_], 1..31 chars */
#define BRIDGE_FILE_MAX         128u /* file names inside a model folder */
#define BRIDGE_VALUE_MAX        256u
#define BRIDGE_PATH_MAX         1024u
#define BRIDGE_MODEL_ID_MAX     65535u      /* ids are 1..65535 */
#define BRIDGE_TENSOR_MAX_BYTES (64u << 20) /* one tensor or weight: 64 MiB */

typedef enum bridge_dtype { BRIDGE_DT_NONE = 0, BRIDGE_DT_F32 = 1, BRIDGE_DT_I32 = 2, BRIDGE_DT_U8 = 3 } bridge_dtype_t;

typedef enum bridge_result_kind {
    BRIDGE_RESULT_NONE = 0,  /* result word 0 */
    BRIDGE_RESULT_ARGMAX = 1 /* index of the largest element of output 0 */
} bridge_result_kind_t;

typedef struct bridge_tensor_spec {
    char name[BRIDGE_NAME_MAX];
    bridge_dtype_t dtype;
    uint32_t n_dims;
    uint32_t dims[BRIDGE_MAX_DIMS];
    uint32_t count; /* product of dims */
    uint32_t bytes; /* count * dtype size */
} bridge_tensor_spec_t;

typedef struct bridge_weight {
    bridge_tensor_spec_t spec;
    char file[BRIDGE_FILE_MAX];
    void *data; /* spec.bytes bytes, loaded at start */
} bridge_weight_t;

typedef struct bridge_backend_opt {
    char backend[BRIDGE_NAME_MAX];
    char key[BRIDGE_NAME_MAX];
    char value[BRIDGE_VALUE_MAX];
} bridge_backend_opt_t;

typedef struct bridge_model {
    uint32_t id;
    char name[BRIDGE_NAME_MAX];
    char description[BRIDGE_VALUE_MAX];
    char dir[BRIDGE_PATH_MAX];      /* folder of the manifest */
    char manifest[BRIDGE_PATH_MAX]; /* path of model.ini */
    bridge_result_kind_t result;
    uint32_t n_in, n_out, n_weights, n_opts;
    bridge_tensor_spec_t in[IPC_MAX_TENSORS];
    bridge_tensor_spec_t out[IPC_MAX_TENSORS];
    bridge_weight_t weights[BRIDGE_MAX_WEIGHTS];
    bridge_backend_opt_t opts[BRIDGE_MAX_BACKEND_OPTS];
    char dataset_x[BRIDGE_FILE_MAX]; /* optional held-out set */
    char dataset_y[BRIDGE_FILE_MAX];
} bridge_model_t;

typedef struct bridge_registry {
    uint32_t n_models;
    bridge_model_t *models[BRIDGE_MAX_MODELS]; /* sorted by id */
} bridge_registry_t;

/*
 * Load every <dir>/<sub>/model.ini (sub-folders without model.ini are
 * ignored). On failure returns BRIDGE_E_MANIFEST, BRIDGE_E_MODEL_DUP,
 * BRIDGE_E_WEIGHTS, BRIDGE_E_NO_MODELS, BRIDGE_E_IO or BRIDGE_E_NOMEM and
 * writes a message naming the file, the section/field and the rule into
 * err (errlen bytes); the registry is then empty.
 */
int bridge_registry_load(bridge_registry_t *reg, const char *dir, char *err, size_t errlen);

/* Load one manifest file into *m (weights included): manifest.h, then
 * bridge_weights_load(). Returns BRIDGE_OK, BRIDGE_E_INVAL, BRIDGE_E_IO,
 * BRIDGE_E_MANIFEST, BRIDGE_E_WEIGHTS or BRIDGE_E_NOMEM, with a message in
 * err. */
int bridge_model_load(bridge_model_t *m, const char *manifest_path, char *err, size_t errlen);

/* Load the weight files of a parsed model (weights.c). Returns BRIDGE_OK,
 * BRIDGE_E_WEIGHTS (a file missing, unreadable or of the wrong size,
 * message in err) or BRIDGE_E_NOMEM; on failure no weight stays loaded. */
int bridge_weights_load(bridge_model_t *m, char *err, size_t errlen);

/* Free a model's weights (the model itself is the caller's). Returns nothing. */
void bridge_model_free(bridge_model_t *m);
/* Free every model and empty the registry. Returns nothing. */
void bridge_registry_free(bridge_registry_t *reg);

/* Model by id, or NULL (never an error code). O(log n), no side effect. */
const bridge_model_t *bridge_registry_find(const bridge_registry_t *reg, uint32_t id);
const bridge_model_t *bridge_registry_find_name(const bridge_registry_t *reg, const char *name);
/* Index of m in reg->models[] (0..n_models-1, the order of ids), or -1 when
 * m is NULL or not one of reg's models. O(log n), no side effect. */
int bridge_registry_index(const bridge_registry_t *reg, const bridge_model_t *m);

/* Weight by name, or NULL (never an error code). */
const bridge_weight_t *bridge_model_weight(const bridge_model_t *m, const char *name);

/* Value of key in section [backend.<backend>], or NULL (never an error code). */
const char *bridge_model_opt(const bridge_model_t *m, const char *backend, const char *key);

/* Bytes of one element (4, 4, 1), 0 for BRIDGE_DT_NONE or an unknown value. */
size_t bridge_dtype_size(bridge_dtype_t dt);
/* "f32", "i32", "u8", "?" otherwise. Never NULL. */
const char *bridge_dtype_name(bridge_dtype_t dt);

/*
 * The held-out data set of a model, when its manifest names one
 * ([dataset] x, y): x is count x (input 0's element count) float32, y is
 * count bytes. Returns BRIDGE_OK, BRIDGE_E_IO if a file is absent (so a
 * test can skip), BRIDGE_E_WEIGHTS if the sizes disagree. Free with free().
 */
int bridge_model_dataset(const bridge_model_t *m, float **x, uint8_t **y, uint32_t *count, char *err, size_t errlen);

#endif /* ZENEDGE_BRIDGE_REGISTRY_H */
