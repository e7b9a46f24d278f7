/* SPDX-License-Identifier: BSD-3-Clause */
/* config_region.c - the regions of a daemon that serves several
 * ([region.NAME] sections, --region): config.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"
#include "config.h"

#define PERIOD_MS_DEFAULT 100u

static const char *const class_names[IPC_QOS_COUNT] = {"rt", "high", "normal", "background"};

const char *bridge_config_class_name(uint32_t cls)
{
    return cls < IPC_QOS_COUNT ? class_names[cls] : "?";
}

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return BRIDGE_E_CONFIG;
}

static bool name_ok(const char *n)
{
    size_t l = strlen(n);
    if (l == 0 || l >= BRIDGE_REGION_NAME)
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return true;
}

/* Region `name`, created when new. NULL: a bad name or one too many. */
static bridge_region_spec_t *spec(bridge_config_t *c, const char *name, char *err, size_t errlen)
{
    if (!name_ok(name)) {
        fail(err, errlen, "region '%s': a name is 1..31 of a-z 0-9 _ -", name);
        return NULL;
    }
    for (uint32_t i = 0; i < c->n_regions; i++)
        if (!strcmp(c->regions[i].name, name))
            return &c->regions[i];
    if (c->n_regions >= BRIDGE_REGIONS_MAX) {
        fail(err, errlen, "region '%s': more regions than the %u one daemon serves", name, BRIDGE_REGIONS_MAX);
        return NULL;
    }
    bridge_region_spec_t *s = &c->regions[c->n_regions++];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->share = 1;
    s->period_ms = PERIOD_MS_DEFAULT;
    return s;
}

static int set_num(uint32_t *dst, const char *v, uint32_t lo, uint32_t hi, const char *k, char *err, size_t errlen)
{
    char *end = NULL;
    unsigned long long x = strtoull(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || x < lo || x > hi) {
        if (err && errlen)
            snprintf(err, errlen, "%s: '%s' must be a whole number in [%u, %u]", k, v, lo, hi);
        return BRIDGE_E_CONFIG;
    }
    *dst = (uint32_t)x;
    return BRIDGE_OK;
}

/* A transport key, checked on a scratch copy now and kept for the build. */
static int set_transport(bridge_region_spec_t *s, const char *k, const char *v, char *err, size_t errlen)
{
    bridge_config_t *tmp = calloc(1, sizeof(*tmp));
    if (tmp == NULL)
        return fail(err, errlen, "%s: out of memory", k);
    int rc = bridge_config_transport_key(tmp, k, v, err, errlen);
    free(tmp);
    if (rc == 1)
        return fail(err, errlen,
                    "%s: unknown region setting (share, max-class, budget-us, period-ms, or one of the "
                    "transport and doorbell settings)",
                    k);
    if (rc != BRIDGE_OK)
        return rc;
    size_t used = strlen(s->kv), need = strlen(k) + strlen(v) + 2;
    if (strchr(v, '\n') || used + need >= sizeof(s->kv))
        return fail(err, errlen, "%s: region settings longer than %u bytes", k, BRIDGE_REGION_KV_LEN - 1u);
    snprintf(s->kv + used, sizeof(s->kv) - used, "%s=%s\n", k, v);
    return BRIDGE_OK;
}

static int region_set(bridge_config_t *c, const char *name, const char *key, const char *v, char *err, size_t errlen)
{
    char k[64];
    snprintf(k, sizeof(k), "%s", key);
    for (char *p = k; *p; p++)
        if (*p == '_')
            *p = '-';
    bridge_region_spec_t *s = spec(c, name, err, errlen);
    if (s == NULL)
        return BRIDGE_E_CONFIG;
    if (!strcmp(k, "share"))
        return set_num(&s->share, v, 1, 1000, k, err, errlen);
    if (!strcmp(k, "budget-us"))
        return set_num(&s->budget_us, v, 0, 1000000, k, err, errlen);
    if (!strcmp(k, "period-ms"))
        return set_num(&s->period_ms, v, 1, 1000, k, err, errlen);
    if (!strcmp(k, "max-class")) {
        for (uint32_t i = 0; i < IPC_QOS_COUNT; i++)
            if (!strcmp(v, class_names[i])) {
                s->max_class = i;
                return BRIDGE_OK;
            }
        return fail(err, errlen, "max-class: '%s' is not one of rt, high, normal, background", v);
    }
    return set_transport(s, k, v, err, errlen);
}

int bridge_config_region_set(bridge_config_t *c, const char *name, const char *key, const char *v, char *err,
                             size_t errlen)
{
    char why[600] = "";
    int rc = region_set(c, name, key, v, why, sizeof(why));
    if (rc != BRIDGE_OK)
        fail(err, errlen, "%s%.31s%s%s", strncmp(why, "region ", 7) ? "region " : "",
             strncmp(why, "region ", 7) ? name : "", strncmp(why, "region ", 7) ? ": " : "", why);
    return rc;
}

int bridge_config_region_arg(bridge_config_t *c, const char *arg, char *err, size_t errlen)
{
    char buf[2048];
    if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
        return fail(err, errlen, "--region: longer than %zu bytes", sizeof(buf) - 1);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    if (tok == NULL)
        return fail(err, errlen, "--region '%s': give NAME[=SHM][,key=value...]", arg);
    char *eq = strchr(tok, '=');
    if (eq)
        *eq = '\0';
    int rc = eq ? bridge_config_region_set(c, tok, "shm", eq + 1, err, errlen)
                : (spec(c, tok, err, errlen) ? BRIDGE_OK : BRIDGE_E_CONFIG);
    const char *name = tok;
    while (rc == BRIDGE_OK && (tok = strtok_r(NULL, ",", &save)) != NULL) {
        char *e = strchr(tok, '=');
        if (e == NULL)
            return fail(err, errlen, "--region %s: '%s' is not key=value", name, tok);
        *e = '\0';
        rc = bridge_config_region_set(c, name, tok, e + 1, err, errlen);
    }
    return rc;
}

/* Apply region i's own "key=value" lines over out. */
static int apply(const bridge_region_spec_t *s, bridge_config_t *out, char *err, size_t errlen)
{
    char kv[BRIDGE_REGION_KV_LEN];
    snprintf(kv, sizeof(kv), "%s", s->kv);
    char *save = NULL;
    for (char *line = strtok_r(kv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *e = strchr(line, '=');
        if (e == NULL)
            continue;
        *e = '\0';
        int rc = bridge_config_transport_key(out, line, e + 1, err, errlen);
        if (rc != BRIDGE_OK)
            return rc == 1 ? BRIDGE_E_CONFIG : rc;
    }
    return BRIDGE_OK;
}

int bridge_config_region_build(const bridge_config_t *c, uint32_t i, bridge_config_t *out, char *err, size_t errlen)
{
    if (i >= c->n_regions)
        return fail(err, errlen, "no region %u (%u regions)", i, c->n_regions);
    const bridge_region_spec_t *s = &c->regions[i];
    *out = *c;
    out->n_regions = 0;
    out->shm[0] = out->file[0] = out->socket[0] = out->ivshmem_socket[0] = out->ivshmem_group[0] = '\0';
    out->stats_file[0] = '\0';
    out->file_offset = out->file_size = 0;
    char why[900] = "";
    int rc = apply(s, out, why, sizeof(why));
    if (rc == BRIDGE_OK)
        rc = bridge_config_check(out, why, sizeof(why));
    if (rc == BRIDGE_OK && out->ivshmem_socket[0])
        rc = fail(why, sizeof(why),
                  "ivshmem-socket: a QEMU guest needs a daemon of its own (not one of several "
                  "regions)");
    if (rc != BRIDGE_OK)
        return fail(err, errlen, "region %s: %s", s->name, why);
    return BRIDGE_OK;
}

/* The object a region maps, for the duplicate check. */
static void what(const bridge_config_t *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s", r->shm[0] ? "shm:" : "file:", r->shm[0] ? r->shm : r->file);
}

int bridge_config_regions_check(const bridge_config_t *c, char *err, size_t errlen)
{
    if (c->shm[0] || c->file[0])
        return fail(err, errlen,
                    "--shm/--file and regions exclude each other: give every region its section or "
                    "--region");
    bridge_config_t *r = calloc(BRIDGE_REGIONS_MAX, sizeof(*r));
    if (r == NULL)
        return fail(err, errlen, "out of memory");
    int rc = BRIDGE_OK;
    for (uint32_t i = 0; i < c->n_regions && rc == BRIDGE_OK; i++)
        rc = bridge_config_region_build(c, i, &r[i], err, errlen);
    for (uint32_t i = 0; i < c->n_regions && rc == BRIDGE_OK; i++)
        for (uint32_t j = 0; j < i && rc == BRIDGE_OK; j++) {
            char a[BRIDGE_CFG_PATH + 8], b[BRIDGE_CFG_PATH + 8];
            what(&r[i], a, sizeof(a));
            what(&r[j], b, sizeof(b));
            if (!strcmp(a, b) || (r[i].socket[0] && !strcmp(r[i].socket, r[j].socket)))
                rc = fail(err, errlen, "regions %s and %s name the same object or doorbell socket", c->regions[j].name,
                          c->regions[i].name);
        }
    free(r);
    return rc;
}
