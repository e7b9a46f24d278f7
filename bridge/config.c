/* SPDX-License-Identifier: BSD-3-Clause */
/* config.c - defaults, INI file (libinih) and command line of zenedge-bridged. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"
#include "log.h"
#include "zl.h"

void bridge_config_defaults(bridge_config_t *c, const char *models_dir)
{
    memset(c, 0, sizeof(*c));
    c->doorbell = IPC_DB_ADAPTIVE;
    c->spin_us = 50;
    snprintf(c->models, sizeof(c->models), "%s", models_dir ? models_dir : "models");
    strcpy(c->backend, "cpu");
    c->queue_depth = 16;
    c->cpu = -1;
    c->batch = 32;
    c->hb_period_us = 10000;
    c->watchdog_ms = 5000;
    c->drain_timeout_ms = 2000;
    c->log_level = BRIDGE_LOG_INFO;
}

static int cfg_err(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cfg_err(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return BRIDGE_E_CONFIG;
}

/* A count: decimal digits only ("010" is ten, never octal), or 0x and
 * hex digits. No sign, no space, no suffix. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL)
        return false;
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    const char *d = base == 16 ? s + 2 : s;
    if (!(base == 16 ? isxdigit((unsigned char)*d) : isdigit((unsigned char)*d)))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(d, &end, base);
    if (errno || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
        *out = true;
        return true;
    }
    if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
        *out = false;
        return true;
    }
    return false;
}

static int set_str(char *dst, size_t len, const char *v, const char *key, char *err, size_t errlen)
{
    if (strlen(v) >= len)
        return cfg_err(err, errlen, "%s: '%s' longer than %zu characters", key, v, len - 1);
    strcpy(dst, v);
    return BRIDGE_OK;
}

static int set_u32(uint32_t *dst, const char *v, uint64_t lo, uint64_t hi, const char *key, char *err, size_t errlen)
{
    uint64_t x;
    if (!parse_u64(v, &x) || x < lo || x > hi)
        return cfg_err(err, errlen, "%s: '%s' must be an integer in [%llu, %llu]", key, v, (unsigned long long)lo,
                       (unsigned long long)hi);
    *dst = (uint32_t)x;
    return BRIDGE_OK;
}

/* An octal mode: owner read-write at least, never write for others. */
static int set_mode(uint32_t *dst, const char *v, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long m = strtoul(v, &end, 8);
    if (errno || *end != '\0' || end == v || m > 0777 || (m & 0600) != 0600 || (m & 0002) != 0)
        return cfg_err(err, errlen,
                       "shm-mode: '%s' must be an octal mode with owner read-write and no write for others "
                       "(e.g. 0600, 0660)",
                       v);
    *dst = (uint32_t)m;
    return BRIDGE_OK;
}

/* "8,4,1" -> weights of rings 1, 2, 3 ... */
static int set_weights(bridge_config_t *c, const char *v, char *err, size_t errlen)
{
    char buf[128];
    if (strlen(v) >= sizeof(buf))
        return cfg_err(err, errlen, "weights: '%s' too long", v);
    strcpy(buf, v);
    uint32_t i = 1;
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save), i++) {
        if (i >= IPC_MAX_SQ)
            return cfg_err(err, errlen, "weights: '%s' lists more than %u rings (1..%u; ring 0 is strict priority)", v,
                           IPC_MAX_SQ - 1u, IPC_MAX_SQ - 1u);
        if (set_u32(&c->weights[i], t, 1, 1024, "weights", err, errlen) != BRIDGE_OK)
            return BRIDGE_E_CONFIG;
    }
    return BRIDGE_OK;
}

/* --allow-uid / --allow-gid: checked now (names resolved), kept as text. */
static int set_allow(bridge_config_t *c, const char *k, const char *v, char *err, size_t errlen)
{
    bool gid = !strcmp(k, "allow-gid");
    zl_allow_t a;
    zl_allow_init(&a);
    int e = zl_allow_add(&a, v, gid);
    if (e)
        return cfg_err(err, errlen, "%s: '%s' must list at most %d %s, numbers or known names", k, v, ZL_ALLOW_MAX,
                       gid ? "groups" : "users");
    return set_str(gid ? c->allow_gid : c->allow_uid, sizeof(c->allow_uid), v, k, err, errlen);
}

int bridge_cpu_list_parse(const char *s, uint64_t *words, uint32_t n_words, char *err, size_t errlen)
{
    uint32_t max = n_words * 64u;
    memset(words, 0, n_words * sizeof(*words));
    const char *p = s;
    do {
        char *e;
        unsigned long a = strtoul(p, &e, 10), b = a;
        if (e == p || *p == '-' || *p == '+')
            return cfg_err(err, errlen, "worker-cpus: '%s' is not a CPU list like 1-3,5", s);
        if (*e == '-') {
            const char *q = e + 1;
            b = strtoul(q, &e, 10);
            if (e == q || *q == '-' || *q == '+' || b < a)
                return cfg_err(err, errlen, "worker-cpus: '%s' is not a CPU list like 1-3,5", s);
        }
        if (b >= max)
            return cfg_err(err, errlen, "worker-cpus: CPU %lu is over the limit %u", b, max - 1u);
        for (unsigned long c = a; c <= b; c++)
            words[c / 64u] |= 1ull << (c % 64u);
        p = e + (*e == ',');
        if ((*e != ',' && *e != '\0') || (*e == ',' && *p == '\0'))
            return cfg_err(err, errlen, "worker-cpus: '%s' is not a CPU list like 1-3,5", s);
    } while (*p);
    return BRIDGE_OK;
}

int bridge_config_transport_key(bridge_config_t *c, const char *k, const char *v, char *err, size_t errlen)
{
    int rc = BRIDGE_OK;
    if (!strcmp(k, "shm"))
        rc = set_str(c->shm, sizeof(c->shm), v, k, err, errlen);
    else if (!strcmp(k, "file"))
        rc = set_str(c->file, sizeof(c->file), v, k, err, errlen);
    else if (!strcmp(k, "shm-owner"))
        rc = set_str(c->shm_owner, sizeof(c->shm_owner), v, k, err, errlen);
    else if (!strcmp(k, "shm-group"))
        rc = set_str(c->shm_group, sizeof(c->shm_group), v, k, err, errlen);
    else if (!strcmp(k, "shm-mode"))
        rc = set_mode(&c->shm_mode, v, err, errlen);
    else if (!strcmp(k, "offset")) {
        if (!parse_u64(v, &c->file_offset))
            rc = cfg_err(err, errlen, "offset: '%s' is not a byte count", v);
    } else if (!strcmp(k, "size")) {
        if (!parse_u64(v, &c->file_size) || c->file_size < IPC_REGION_MIN_SIZE || c->file_size > IPC_REGION_MAX_SIZE)
            rc = cfg_err(err, errlen, "size: '%s' must be in [%u, %u] bytes", v, IPC_REGION_MIN_SIZE,
                         IPC_REGION_MAX_SIZE);
    } else if (!strcmp(k, "doorbell")) {
        int m = ipc_db_mode_parse(v);
        if (m < 0)
            rc = cfg_err(err, errlen, "doorbell: '%s' is not one of poll, eventfd, adaptive", v);
        else
            c->doorbell = m;
    } else if (!strcmp(k, "socket"))
        rc = set_str(c->socket, sizeof(c->socket), v, k, err, errlen);
    else if (!strcmp(k, "ivshmem-socket") || !strcmp(k, "ivshmem_socket"))
        rc = set_str(c->ivshmem_socket, sizeof(c->ivshmem_socket), v, k, err, errlen);
    else if (!strcmp(k, "ivshmem-group") || !strcmp(k, "ivshmem_group"))
        rc = set_str(c->ivshmem_group, sizeof(c->ivshmem_group), v, k, err, errlen);
    else if (!strcmp(k, "allow-uid") || !strcmp(k, "allow-gid"))
        rc = set_allow(c, k, v, err, errlen);
    else if (!strcmp(k, "spin-us"))
        rc = set_u32(&c->spin_us, v, 0, 1000000, k, err, errlen);
    else
        rc = 1;
    return rc;
}

/* One setting by its long name (shared by the INI file and the command
 * line, so both accept exactly the same keys). */
static int set_key(bridge_config_t *c, const char *k, const char *v, char *err, size_t errlen)
{
    uint32_t u = 0;
    int rc = bridge_config_transport_key(c, k, v, err, errlen);
    if (rc != 1)
        return rc;
    rc = BRIDGE_OK;
    if (!strcmp(k, "models"))
        rc = set_str(c->models, sizeof(c->models), v, k, err, errlen);
    else if (!strcmp(k, "backend"))
        rc = set_str(c->backend, sizeof(c->backend), v, k, err, errlen);
    else if (!strcmp(k, "device"))
        rc = set_str(c->device, sizeof(c->device), v, k, err, errlen);
    else if (!strcmp(k, "queue-depth"))
        rc = set_u32(&c->queue_depth, v, 1, 4096, k, err, errlen);
    else if (!strcmp(k, "cpu")) {
        if (!strcmp(v, "-1") || !strcmp(v, "none"))
            c->cpu = -1;
        else if ((rc = set_u32(&u, v, 0, 1023, k, err, errlen)) == BRIDGE_OK)
            c->cpu = (int)u;
    } else if (!strcmp(k, "rt-priority")) {
        if ((rc = set_u32(&u, v, 0, 99, k, err, errlen)) == BRIDGE_OK)
            c->rt_priority = (int)u;
    } else if (!strcmp(k, "worker-cpus")) {
        uint64_t w[BRIDGE_CFG_CPU_WORDS];
        if ((rc = set_str(c->worker_cpus, sizeof(c->worker_cpus), v, k, err, errlen)) == BRIDGE_OK)
            rc = c->worker_cpus[0] ? bridge_cpu_list_parse(v, w, BRIDGE_CFG_CPU_WORDS, err, errlen) : BRIDGE_OK;
    } else if (!strcmp(k, "background-sched")) {
        if (strcmp(v, "idle") != 0 && strcmp(v, "nice") != 0)
            rc = cfg_err(err, errlen, "%s: '%s' is neither idle nor nice", k, v);
        else
            c->background_nice = !strcmp(v, "nice");
    } else if (!strcmp(k, "batch"))
        rc = set_u32(&c->batch, v, 1, 1024, k, err, errlen);
    else if (!strcmp(k, "weights"))
        rc = set_weights(c, v, err, errlen);
    else if (!strcmp(k, "hb-period-us"))
        rc = set_u32(&c->hb_period_us, v, 100, 10000000, k, err, errlen);
    else if (!strcmp(k, "watchdog-ms"))
        rc = set_u32(&c->watchdog_ms, v, 100, 3600000, k, err, errlen);
    else if (!strcmp(k, "drain-timeout-ms"))
        rc = set_u32(&c->drain_timeout_ms, v, 0, 600000, k, err, errlen);
    else if (!strcmp(k, "log-level")) {
        int l = bridge_log_level_parse(v);
        if (l < 0)
            rc = cfg_err(err, errlen, "log-level: '%s' is not one of error, warn, info, debug", v);
        else
            c->log_level = l;
    } else if (!strcmp(k, "syslog")) {
        if (!parse_bool(v, &c->syslog))
            rc = cfg_err(err, errlen, "syslog: '%s' is not a boolean (true/false)", v);
    } else if (!strcmp(k, "stats-interval-s"))
        rc = set_u32(&c->stats_interval_s, v, 0, 86400, k, err, errlen);
    else if (!strcmp(k, "stats-file"))
        rc = set_str(c->stats_file, sizeof(c->stats_file), v, k, err, errlen);
    else if (!strcmp(k, "region"))
        rc = bridge_config_region_arg(c, v, err, errlen);
    else if (!strcmp(k, "exit-after-idle-s"))
        rc = set_u32(&c->exit_after_idle_s, v, 0, 86400 * 365, k, err, errlen);
    else
        rc = cfg_err(err, errlen, "%s: unknown setting", k);
    return rc;
}

typedef struct ini_ctx {
    bridge_config_t *c;
    const char *path;
    char *err;
    size_t errlen;
    int rc;
} ini_ctx_t;

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx_t *x = user;
    if (x->rc != BRIDGE_OK)
        return 0;
    char why[512] = "";
    char val[BRIDGE_CFG_PATH + 64];
    if (bridge_config_strip_comment(value, val, sizeof(val)) != BRIDGE_OK) {
        x->rc = cfg_err(x->err, x->errlen, "[%s] %s: value longer than %zu characters", section, name, sizeof(val) - 1);
        return 0;
    }
    value = val;
    /* INI keys use '_' or '-' alike: stats_interval_s == stats-interval-s. */
    char key[64];
    snprintf(key, sizeof(key), "%s", name);
    for (char *p = key; *p; p++)
        if (*p == '_')
            *p = '-';
    if (!strncmp(section, "region.", 7)) {
        if (bridge_config_region_set(x->c, section + 7, key, value, why, sizeof(why)) == BRIDGE_OK)
            return 1;
        x->rc = cfg_err(x->err, x->errlen, "[%s] %s", section, why);
        return 0;
    }
    if (strcmp(section, "bridge") != 0 && strcmp(section, "dispatch") != 0 && strcmp(section, "log") != 0) {
        x->rc =
            cfg_err(x->err, x->errlen, "[%s] %s: unknown section (bridge, dispatch, log, region.NAME)", section, name);
        return 0;
    }
    if (set_key(x->c, key, value, why, sizeof(why)) != BRIDGE_OK) {
        x->rc = cfg_err(x->err, x->errlen, "[%s] %s", section, why);
        return 0;
    }
    return 1;
}

int bridge_config_load_file(bridge_config_t *c, const char *path, char *err, size_t errlen)
{
    ini_ctx_t x = {.c = c, .path = path, .err = err, .errlen = errlen, .rc = BRIDGE_OK};
    int line = ini_parse(path, cfg_handler, &x);
    if (line == -1) {
        cfg_err(err, errlen, "%s: cannot be opened: %s", path, strerror(errno));
        return BRIDGE_E_IO;
    }
    if (line == -2)
        return BRIDGE_E_NOMEM;
    if (x.rc != BRIDGE_OK) {
        char why[768];
        snprintf(why, sizeof(why), "%s", err ? err : "");
        return cfg_err(err, errlen, "%s:%d: %s", path, line, why);
    }
    if (line > 0)
        return cfg_err(err, errlen, "%s:%d: not 'key = value' or '[section]'", path, line);
    return BRIDGE_OK;
}

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"shm", required_argument, NULL, 's'},
    {"file", required_argument, NULL, 'f'},
    {"offset", required_argument, NULL, 1000},
    {"size", required_argument, NULL, 1001},
    {"shm-owner", required_argument, NULL, 1019},
    {"shm-group", required_argument, NULL, 1020},
    {"shm-mode", required_argument, NULL, 1021},
    {"doorbell", required_argument, NULL, 'd'},
    {"socket", required_argument, NULL, 1002},
    {"ivshmem-socket", required_argument, NULL, 1018},
    {"ivshmem-group", required_argument, NULL, 1040},
    {"allow-uid", required_argument, NULL, 1019},
    {"allow-gid", required_argument, NULL, 1020},
    {"spin-us", required_argument, NULL, 1003},
    {"models", required_argument, NULL, 'm'},
    {"backend", required_argument, NULL, 'b'},
    {"device", required_argument, NULL, 1004},
    {"queue-depth", required_argument, NULL, 1005},
    {"cpu", required_argument, NULL, 1006},
    {"rt-priority", required_argument, NULL, 1007},
    {"worker-cpus", required_argument, NULL, 1019},
    {"background-sched", required_argument, NULL, 1042},
    {"batch", required_argument, NULL, 1008},
    {"weights", required_argument, NULL, 1009},
    {"hb-period-us", required_argument, NULL, 1010},
    {"watchdog-ms", required_argument, NULL, 1011},
    {"drain-timeout-ms", required_argument, NULL, 1012},
    {"log-level", required_argument, NULL, 'l'},
    {"syslog", no_argument, NULL, 1013},
    {"stats-interval-s", required_argument, NULL, 1014},
    {"stats-file", required_argument, NULL, 1015},
    {"exit-after-idle-s", required_argument, NULL, 1016},
    {"list-devices", no_argument, NULL, 1017},
    {"region", required_argument, NULL, 1041},
    {"check-config", no_argument, NULL, 't'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int bridge_config_parse_args(bridge_config_t *c, int argc, char **argv, char *err, size_t errlen)
{
    /* Pass 1: the config file, so that the command line overrides it. */
    for (int i = 1; i < argc; i++) {
        const char *path = NULL;
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
        if (path) {
            snprintf(c->config_file, sizeof(c->config_file), "%s", path);
            int rc = bridge_config_load_file(c, path, err, errlen);
            if (rc != BRIDGE_OK)
                return rc;
        }
    }
    /* Pass 2: every option. */
    optind = 1;
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, ":c:s:f:d:m:b:l:tVh", long_opts, NULL)) != -1) {
        int rc = BRIDGE_OK;
        switch (o) {
        case 'c': break;
        case 'V': c->version = true; break;
        case 't': c->check_config = true; break;
        case 'h': c->help = true; break;
        case 1013: c->syslog = true; break;
        case 1017: c->list_devices = true; break;
        case ':': cfg_err(err, errlen, "option '%s' needs a value", argv[optind - 1]); return BRIDGE_E_INVAL;
        case '?': cfg_err(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]); return BRIDGE_E_INVAL;
        default: {
            const char *name = NULL;
            for (const struct option *lo = long_opts; lo->name; lo++)
                if (lo->val == o)
                    name = lo->name;
            rc = name ? set_key(c, name, optarg, err, errlen) : BRIDGE_E_CONFIG;
            break;
        }
        }
        if (rc != BRIDGE_OK)
            return BRIDGE_E_INVAL;
    }
    if (optind < argc) {
        cfg_err(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
        return BRIDGE_E_INVAL;
    }
    return BRIDGE_OK;
}

int bridge_config_check(const bridge_config_t *c, char *err, size_t errlen)
{
    if (c->n_regions > 0)
        return bridge_config_regions_check(c, err, errlen);
    if (c->shm[0] && c->file[0])
        return cfg_err(err, errlen, "give either --shm or --file, not both");
    if (!c->shm[0] && !c->file[0])
        return cfg_err(err, errlen, "no region: give --shm NAME or --file PATH --offset N --size N");
    if (c->file[0] && c->file_size == 0)
        return cfg_err(err, errlen, "--file needs --size (bytes of the region, >= %u)", IPC_REGION_MIN_SIZE);
    if ((c->shm_mode & 0020) && !c->shm_group[0])
        return cfg_err(err, errlen, "shm-mode %04o lets the group write but no shm-group is given", c->shm_mode);
    if (c->ivshmem_group[0] && !c->ivshmem_socket[0])
        return cfg_err(err, errlen, "--ivshmem-group needs --ivshmem-socket");
    if (c->ivshmem_socket[0] && (!c->file[0] || c->doorbell == 0))
        return cfg_err(err, errlen,
                       "--ivshmem-socket needs --file (the region's backing file) and doorbell eventfd or adaptive");
    if (c->file[0] && c->doorbell != 0 && !c->socket[0] && !c->ivshmem_socket[0])
        return cfg_err(err, errlen, "--file with doorbell %s needs --socket PATH", ipc_db_mode_name(c->doorbell));
    return BRIDGE_OK;
}

/* The first half of --help: region, doorbells, models and backend. */
void bridge_config_print(const bridge_config_t *c, FILE *out)
{
    fprintf(out, "config: shm=%s file=%s offset=%llu size=%llu doorbell=%s socket=%s spin_us=%u\n", c->shm, c->file,
            (unsigned long long)c->file_offset, (unsigned long long)c->file_size, ipc_db_mode_name(c->doorbell),
            c->socket, c->spin_us);
    fprintf(out,
            "config: models=%s backend=%s device=%s queue_depth=%u cpu=%d rt_priority=%d worker_cpus=%s "
            "background_sched=%s batch=%u\n",
            c->models, c->backend, c->device, c->queue_depth, c->cpu, c->rt_priority, c->worker_cpus,
            c->background_nice ? "nice" : "idle", c->batch);
}
