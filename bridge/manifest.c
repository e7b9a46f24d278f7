/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * manifest.c - load and validate one model manifest (manifest.h,
 * docs/models.md).
 *
 * Manifests are parsed with libinih; every key is checked as it is read,
 * and the whole model is checked once the file is read (contiguous tensor
 * indices, each entry complete, sizes within limits, unique weight names).
 * Weights are loaded afterwards (weights.c).
 */
#define _DEFAULT_SOURCE
#include "manifest.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"

/* ------------------------------------------------------------------ */
/* Small parsers                                                       */
/* ------------------------------------------------------------------ */

int bridge_errf(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return 0;
}

size_t bridge_dtype_size(bridge_dtype_t dt)
{
    switch (dt) {
    case BRIDGE_DT_F32: return 4;
    case BRIDGE_DT_I32: return 4;
    case BRIDGE_DT_U8: return 1;
    default: return 0;
    }
}

const char *bridge_dtype_name(bridge_dtype_t dt)
{
    switch (dt) {
    case BRIDGE_DT_F32: return "f32";
    case BRIDGE_DT_I32: return "i32";
    case BRIDGE_DT_U8: return "u8";
    default: return "?";
    }
}

static bridge_dtype_t dtype_parse(const char *s)
{
    if (strcmp(s, "f32") == 0 || strcmp(s, "float32") == 0)
        return BRIDGE_DT_F32;
    if (strcmp(s, "i32") == 0 || strcmp(s, "int32") == 0)
        return BRIDGE_DT_I32;
    if (strcmp(s, "u8") == 0 || strcmp(s, "uint8") == 0)
        return BRIDGE_DT_U8;
    return BRIDGE_DT_NONE;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= BRIDGE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

/* A plain file name inside the model folder: no '/', not "." or "..". */
static bool file_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= BRIDGE_FILE_MAX || s[0] == '.' || strchr(s, '/') != NULL)
        return false;
    return true;
}

/* Decimal unsigned 32-bit number, whole string. */
static bool parse_u32(const char *s, uint32_t *out)
{
    if (s == NULL || *s == '\0')
        return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10u + (uint64_t)(*p - '0');
        if (v > 0xFFFFFFFFu)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* "64", "64,32", "64x32", "4 x 4": 1..BRIDGE_MAX_DIMS dims, each >= 1,
 * product <= BRIDGE_TENSOR_MAX_BYTES / size. */
static bool parse_shape(const char *s, bridge_tensor_spec_t *t, const char **why)
{
    char buf[BRIDGE_VALUE_MAX];
    if (strlen(s) >= sizeof(buf)) {
        *why = "too long";
        return false;
    }
    strcpy(buf, s);
    uint32_t n = 0;
    uint64_t count = 1;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",x ", &save); tok; tok = strtok_r(NULL, ",x ", &save)) {
        uint32_t d;
        if (n >= BRIDGE_MAX_DIMS) {
            *why = "more than 4 dimensions";
            return false;
        }
        if (!parse_u32(tok, &d) || d == 0) {
            *why = "each dimension must be an integer >= 1";
            return false;
        }
        t->dims[n++] = d;
        count *= d;
        if (count > BRIDGE_TENSOR_MAX_BYTES) {
            *why = "more than 64 MiB of elements";
            return false;
        }
    }
    if (n == 0) {
        *why = "must list 1 to 4 dimensions";
        return false;
    }
    t->n_dims = n;
    t->count = (uint32_t)count;
    return true;
}

/* ------------------------------------------------------------------ */
/* Parsing one manifest                                                */
/* ------------------------------------------------------------------ */

typedef struct parse_ctx {
    bridge_model_t *m;
    const char *path;
    char *err;
    size_t errlen;
    int code; /* first error, BRIDGE_OK while none */
    bool seen_model;
    bool seen_id;
    bool seen_name;
    /* bit i: field present, for input/output/weight i */
    uint32_t in_seen, out_seen, w_seen;
    uint8_t in_fields[IPC_MAX_TENSORS], out_fields[IPC_MAX_TENSORS], w_fields[BRIDGE_MAX_WEIGHTS];
} parse_ctx_t;

enum { F_NAME = 1, F_DTYPE = 2, F_SHAPE = 4, F_FILE = 8 };

static int perr(parse_ctx_t *c, const char *section, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(parse_ctx_t *c, const char *section, const char *key, const char *fmt, ...)
{
    if (c->code == BRIDGE_OK) {
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        bridge_errf(c->err, c->errlen, "%s: [%s] %s: %s", c->path, section, key, what);
        c->code = BRIDGE_E_MANIFEST;
    }
    return 0; /* tells inih this line failed */
}

/* "input.2" -> 2 if prefix matches and index < max; -1 bad index; -2 no match */
static int section_index(const char *section, const char *prefix, uint32_t max)
{
    size_t pl = strlen(prefix);
    if (strncmp(section, prefix, pl) != 0 || section[pl] != '.')
        return -2;
    uint32_t i;
    if (!parse_u32(section + pl + 1, &i) || i >= max)
        return -1;
    return (int)i;
}

static int tensor_key(parse_ctx_t *c, const char *section, bridge_tensor_spec_t *t, uint8_t *fields, const char *key,
                      const char *value, char *file_out)
{
    const char *why = NULL;
    if (strcmp(key, "name") == 0) {
        if (!name_ok(value))
            return perr(c, section, key, "'%s' must be 1 to 31 characters of [a-z0-9_]", value);
        strcpy(t->name, value);
        *fields |= F_NAME;
    } else if (strcmp(key, "dtype") == 0) {
        t->dtype = dtype_parse(value);
        if (t->dtype == BRIDGE_DT_NONE)
            return perr(c, section, key, "'%s' is not one of f32, i32, u8", value);
        *fields |= F_DTYPE;
    } else if (strcmp(key, "shape") == 0) {
        if (!parse_shape(value, t, &why))
            return perr(c, section, key, "'%s': %s", value, why);
        *fields |= F_SHAPE;
    } else if (file_out != NULL && strcmp(key, "file") == 0) {
        if (!file_name_ok(value))
            return perr(c, section, key, "'%s' must be a plain file name inside the model folder", value);
        strcpy(file_out, value);
        *fields |= F_FILE;
    } else {
        return perr(c, section, key, "unknown key");
    }
    return 1;
}

static int manifest_handler(void *user, const char *section, const char *key, const char *value)
{
    parse_ctx_t *c = user;
    bridge_model_t *m = c->m;
    if (c->code != BRIDGE_OK)
        return 0;
    int idx;

    if (strcmp(section, "model") == 0) {
        c->seen_model = true;
        if (strcmp(key, "id") == 0) {
            uint32_t id;
            if (!parse_u32(value, &id) || id == 0 || id > BRIDGE_MODEL_ID_MAX)
                return perr(c, section, key, "'%s' must be an integer in [1, %u]", value, BRIDGE_MODEL_ID_MAX);
            m->id = id;
            c->seen_id = true;
        } else if (strcmp(key, "name") == 0) {
            if (!name_ok(value))
                return perr(c, section, key, "'%s' must be 1 to 31 characters of [a-z0-9_]", value);
            strcpy(m->name, value);
            c->seen_name = true;
        } else if (strcmp(key, "description") == 0) {
            snprintf(m->description, sizeof(m->description), "%s", value);
        } else if (strcmp(key, "result") == 0) {
            if (strcmp(value, "none") == 0)
                m->result = BRIDGE_RESULT_NONE;
            else if (strcmp(value, "argmax") == 0)
                m->result = BRIDGE_RESULT_ARGMAX;
            else
                return perr(c, section, key, "'%s' is not one of none, argmax", value);
        } else {
            return perr(c, section, key, "unknown key");
        }
        return 1;
    }
    if ((idx = section_index(section, "input", IPC_MAX_TENSORS)) != -2) {
        if (idx < 0)
            return perr(c, section, key, "input index must be in [0, %u]", IPC_MAX_TENSORS - 1u);
        c->in_seen |= 1u << idx;
        return tensor_key(c, section, &m->in[idx], &c->in_fields[idx], key, value, NULL);
    }
    if ((idx = section_index(section, "output", IPC_MAX_TENSORS)) != -2) {
        if (idx < 0)
            return perr(c, section, key, "output index must be in [0, %u]", IPC_MAX_TENSORS - 1u);
        c->out_seen |= 1u << idx;
        return tensor_key(c, section, &m->out[idx], &c->out_fields[idx], key, value, NULL);
    }
    if ((idx = section_index(section, "weight", BRIDGE_MAX_WEIGHTS)) != -2) {
        if (idx < 0)
            return perr(c, section, key, "weight index must be in [0, %u]", BRIDGE_MAX_WEIGHTS - 1u);
        c->w_seen |= 1u << idx;
        return tensor_key(c, section, &m->weights[idx].spec, &c->w_fields[idx], key, value, m->weights[idx].file);
    }
    if (strcmp(section, "dataset") == 0) {
        char *dst = strcmp(key, "x") == 0 ? m->dataset_x : strcmp(key, "y") == 0 ? m->dataset_y : NULL;
        if (dst == NULL)
            return perr(c, section, key, "unknown key (x, y)");
        if (!file_name_ok(value))
            return perr(c, section, key, "'%s' must be a plain file name inside the model folder", value);
        strcpy(dst, value);
        return 1;
    }
    if (strncmp(section, "backend.", 8) == 0) {
        const char *be = section + 8;
        if (!name_ok(be))
            return perr(c, section, key, "backend name '%s' must be 1 to 31 characters of [a-z0-9_]", be);
        if (!name_ok(key))
            return perr(c, section, key, "key must be 1 to 31 characters of [a-z0-9_]");
        if (strlen(value) >= BRIDGE_VALUE_MAX)
            return perr(c, section, key, "value longer than %u characters", BRIDGE_VALUE_MAX - 1u);
        if (m->n_opts >= BRIDGE_MAX_BACKEND_OPTS)
            return perr(c, section, key, "more than %u backend options", BRIDGE_MAX_BACKEND_OPTS);
        bridge_backend_opt_t *o = &m->opts[m->n_opts++];
        strcpy(o->backend, be);
        strcpy(o->key, key);
        strcpy(o->value, value);
        return 1;
    }
    return perr(c, section, key, "unknown section");
}

/* Indices used must be 0..n-1 and each entry complete. */
static int check_list(parse_ctx_t *c, const char *what, uint32_t seen, const uint8_t *fields, uint32_t max,
                      uint8_t need, uint32_t *n_out)
{
    uint32_t n = 0;
    while (n < max && (seen & (1u << n)))
        n++;
    if ((seen >> n) != 0) {
        char sec[32];
        snprintf(sec, sizeof(sec), "%s.%u", what, n);
        return perr(c, sec, "(section)", "missing: %s sections must be numbered 0, 1, 2 ... without gaps", what);
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((fields[i] & need) != need) {
            char sec[32];
            snprintf(sec, sizeof(sec), "%s.%u", what, i);
            const char *k = !(fields[i] & F_NAME)    ? "name"
                            : !(fields[i] & F_DTYPE) ? "dtype"
                            : !(fields[i] & F_SHAPE) ? "shape"
                                                     : "file";
            return perr(c, sec, k, "missing");
        }
    }
    *n_out = n;
    return 1;
}

static void finish_spec(bridge_tensor_spec_t *t)
{
    t->bytes = (uint32_t)((uint64_t)t->count * bridge_dtype_size(t->dtype));
}
/* A whole-model check failed: the message, and the code to return. */
static int fail(parse_ctx_t *c, const char *section, const char *key, const char *what)
{
    perr(c, section, key, "%s", what);
    return c->code;
}

/* Byte sizes within limits, weight names unique, argmax on f32. */
static int check_sizes(parse_ctx_t *c)
{
    bridge_model_t *m = c->m;
    for (uint32_t i = 0; i < m->n_in; i++)
        finish_spec(&m->in[i]);
    for (uint32_t i = 0; i < m->n_out; i++)
        finish_spec(&m->out[i]);
    for (uint32_t i = 0; i < m->n_weights; i++)
        finish_spec(&m->weights[i].spec);
    for (uint32_t i = 0; i < m->n_in + m->n_out + m->n_weights; i++) {
        const bridge_tensor_spec_t *t = i < m->n_in              ? &m->in[i]
                                        : i < m->n_in + m->n_out ? &m->out[i - m->n_in]
                                                                 : &m->weights[i - m->n_in - m->n_out].spec;
        if (t->bytes > BRIDGE_TENSOR_MAX_BYTES) {
            char sec[32];
            snprintf(sec, sizeof(sec), "%s.%u",
                     i < m->n_in              ? "input"
                     : i < m->n_in + m->n_out ? "output"
                                              : "weight",
                     i < m->n_in              ? i
                     : i < m->n_in + m->n_out ? i - m->n_in
                                              : i - m->n_in - m->n_out);
            perr(c, sec, "shape", "%u bytes exceeds the %u-byte limit", t->bytes, BRIDGE_TENSOR_MAX_BYTES);
            return c->code;
        }
    }
    /* Names unique within each list. */
    for (uint32_t i = 0; i < m->n_weights; i++)
        for (uint32_t j = i + 1; j < m->n_weights; j++)
            if (strcmp(m->weights[i].spec.name, m->weights[j].spec.name) == 0) {
                char sec[32];
                snprintf(sec, sizeof(sec), "weight.%u", j);
                perr(c, sec, "name", "'%s' already used by weight.%u", m->weights[j].spec.name, i);
                return c->code;
            }
    if (m->result == BRIDGE_RESULT_ARGMAX && m->out[0].dtype != BRIDGE_DT_F32) {
        perr(c, "model", "result", "argmax needs output 0 of dtype f32, not %s", bridge_dtype_name(m->out[0].dtype));
        return c->code;
    }
    return BRIDGE_OK;
}

/* The whole model, once every line is read: required keys, complete and
 * contiguous lists, sizes, unique weight names, the result kind. */
static int check_model(parse_ctx_t *c)
{
    bridge_model_t *m = c->m;
    if (!c->seen_model)
        return fail(c, "model", "(section)", "missing");
    if (!c->seen_id)
        return fail(c, "model", "id", "missing");
    if (!c->seen_name)
        return fail(c, "model", "name", "missing");
    if (!check_list(c, "input", c->in_seen, c->in_fields, IPC_MAX_TENSORS, F_NAME | F_DTYPE | F_SHAPE, &m->n_in) ||
        !check_list(c, "output", c->out_seen, c->out_fields, IPC_MAX_TENSORS, F_NAME | F_DTYPE | F_SHAPE, &m->n_out) ||
        !check_list(c, "weight", c->w_seen, c->w_fields, BRIDGE_MAX_WEIGHTS, F_NAME | F_DTYPE | F_SHAPE | F_FILE,
                    &m->n_weights))
        return c->code;
    if (m->n_in == 0)
        return fail(c, "input.0", "(section)", "missing: a model takes at least one input");
    if (m->n_out == 0)
        return fail(c, "output.0", "(section)", "missing: a model writes at least one output");
    return check_sizes(c);
}

int bridge_manifest_parse(bridge_model_t *m, const char *path, char *err, size_t errlen)
{
    if (m == NULL || path == NULL)
        return BRIDGE_E_INVAL;
    memset(m, 0, sizeof(*m));
    if (strlen(path) >= sizeof(m->manifest)) {
        bridge_errf(err, errlen, "%s: path too long", path);
        return BRIDGE_E_MANIFEST;
    }
    strcpy(m->manifest, path);
    strcpy(m->dir, path);
    char *slash = strrchr(m->dir, '/');
    if (slash)
        *slash = '\0';
    else
        strcpy(m->dir, ".");

    parse_ctx_t c = {.m = m, .path = path, .err = err, .errlen = errlen, .code = BRIDGE_OK};
    int line = ini_parse(path, manifest_handler, &c);
    if (line == -1) {
        bridge_errf(err, errlen, "%s: cannot be opened: %s", path, strerror(errno));
        return BRIDGE_E_IO;
    }
    if (line == -2)
        return BRIDGE_E_NOMEM;
    if (c.code != BRIDGE_OK) {
        if (line > 0 && err && errlen) {
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, " (line %d)", line);
        }
        return c.code;
    }
    if (line > 0) {
        bridge_errf(err, errlen, "%s: line %d: not 'key = value' or '[section]'", path, line);
        return BRIDGE_E_MANIFEST;
    }
    return check_model(&c);
}
