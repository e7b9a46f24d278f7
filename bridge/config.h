/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.h - settings of zenedge-bridged: defaults, the INI file
 * (libinih; format in docs/bridge.md and dist/zenedge-bridged.conf) and
 * the command line, which overrides the file.
 *
 * Role: the settings part; pure parsing and checking, no I/O but the INI
 * file read and the help printed.
 * Thread: the main thread, before serving starts; the settings are read
 * only afterwards.
 * May touch: the INI file (read only), the stream it prints to.
 */
#ifndef ZENEDGE_BRIDGE_CONFIG_H
#define ZENEDGE_BRIDGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zenedge/ipc_proto.h"

#define BRIDGE_CFG_PATH 1024

#define BRIDGE_REGIONS_MAX   8u    /* regions one daemon serves */
#define BRIDGE_REGION_NAME   32u   /* a region's name: [a-z0-9_-], 1..31 characters */
#define BRIDGE_REGION_KV_LEN 1536u /* its own settings, "key=value\n" lines */

/* One region of a daemon that serves several ([region.NAME] sections,
 * --region; config_region.c). Its settings are the daemon's with its own
 * transport and doorbell keys over them (bridge_config_region_build). */
typedef struct bridge_region_spec {
    char name[BRIDGE_REGION_NAME];
    uint32_t share;     /* weight within a class across regions, 1..1000 (0: 1) */
    uint32_t max_class; /* highest class its jobs run as: IPC_QOS_RT (0) .. IPC_QOS_BACKGROUND */
    uint32_t budget_us; /* device time per period, 0..1000000; 0: no budget */
    uint32_t period_ms; /* the budget's period, 1..1000 (default 100) */
    char kv[BRIDGE_REGION_KV_LEN];
} bridge_region_spec_t;

typedef struct bridge_config {
    char config_file[BRIDGE_CFG_PATH];
    /* transport: exactly one of shm / file */
    char shm[256];
    char file[BRIDGE_CFG_PATH];
    uint64_t file_offset;
    uint64_t file_size;
    /* who may own and write the region (linux/zl.h zl_obj_policy_t) */
    char shm_owner[256]; /* users allowed to own it besides us and root, "a,b" */
    char shm_group[64];  /* the group allowed write access ("" none) */
    uint32_t shm_mode;   /* 0: no bound; else the most permissive mode accepted */
    /* doorbell */
    int doorbell;                         /* IPC_DB_* */
    char socket[BRIDGE_CFG_PATH];         /* "" = zl_default_socket(shm) */
    char ivshmem_socket[BRIDGE_CFG_PATH]; /* "" = off; else serve QEMU ivshmem-doorbell here */
    char ivshmem_group[64];               /* "" = socket 0600; else 0660 with this group */
    uint32_t spin_us;                     /* adaptive: spin before sleeping */
    char allow_uid[256];                  /* doorbell peers: uids/users beside ours and root */
    char allow_gid[256];                  /* doorbell peers: gids/groups; the first owns the socket */
    /* models and backend */
    char models[BRIDGE_CFG_PATH];
    char backend[32];
    char device[128];
    uint32_t queue_depth;
    /* scheduling */
    int cpu;                      /* -1: not pinned */
    int rt_priority;              /* 0: normal scheduling, 1..99 SCHED_FIFO */
    char worker_cpus[256];        /* CPU backend workers' CPU list ("1-3,5"); "": see --help */
    bool background_nice;         /* --background-sched nice: BACKGROUND worker not at SCHED_IDLE */
    uint32_t batch;               /* packets taken from a ring at once */
    uint32_t weights[IPC_MAX_SQ]; /* WRR weight of ring i (i >= 1); 0 = region/default */
    /* liveness and shutdown */
    uint32_t hb_period_us;
    uint32_t watchdog_ms;      /* heartbeat stops if the dispatcher is stuck this long */
    uint32_t drain_timeout_ms; /* shutdown: time given to post the last answers */
    /* log and statistics */
    int log_level; /* BRIDGE_LOG_* */
    bool syslog;
    uint32_t stats_interval_s; /* 0: only on SIGUSR1 and at exit */
    char stats_file[BRIDGE_CFG_PATH];
    uint32_t exit_after_idle_s; /* 0: never */
    /* several regions (none: the one of --shm/--file) */
    uint32_t n_regions;
    bridge_region_spec_t regions[BRIDGE_REGIONS_MAX];
    /* one-shot actions */
    bool list_devices;
    bool check_config; /* --check-config / -t */
    bool version;
    bool help;
} bridge_config_t;

/* Defaults; models_dir is the compiled-in model directory. Returns nothing. */
void bridge_config_defaults(bridge_config_t *cfg, const char *models_dir);

/* Read an INI file over cfg. Numbers are decimal ("010" is ten) or 0x
 * hex; "# ..." and "; ..." after a value are comments. BRIDGE_OK,
 * BRIDGE_E_IO, BRIDGE_E_NOMEM, or BRIDGE_E_CONFIG with
 * "file:line: [section] key: why" in err. */
int bridge_config_load_file(bridge_config_t *cfg, const char *path, char *err, size_t errlen);

/* value without an inline comment (a '#' or ';' at its start or after a
 * space, and what follows) and without trailing spaces, into out[len].
 * BRIDGE_OK, or BRIDGE_E_CONFIG when it does not fit. */
int bridge_config_strip_comment(const char *value, char *out, size_t len);

/* Parse the command line: first --config (loaded first), then every other
 * option over it. BRIDGE_OK; BRIDGE_E_CONFIG, BRIDGE_E_IO or
 * BRIDGE_E_NOMEM when the INI file is bad or unreadable; BRIDGE_E_INVAL
 * when the command line is (an unknown option, a missing or bad value);
 * the reason in err. */
int bridge_config_parse_args(bridge_config_t *cfg, int argc, char **argv, char *err, size_t errlen);

/* Cross-field checks (a transport given, sizes). BRIDGE_OK or
 * BRIDGE_E_CONFIG with the reason in err. */
int bridge_config_check(const bridge_config_t *cfg, char *err, size_t errlen);

/* A transport or doorbell setting by its long name (shm, file, offset,
 * size, shm-owner, shm-group, shm-mode, doorbell, socket, ivshmem-socket,
 * ivshmem-group, allow-uid, allow-gid, spin-us). BRIDGE_OK, BRIDGE_E_CONFIG
 * with the reason in err, or 1 when k is none of them. */
int bridge_config_transport_key(bridge_config_t *cfg, const char *k, const char *v, char *err, size_t errlen);

/* config_region.c: key k = v of region name (created on first use, at
 * most BRIDGE_REGIONS_MAX): share, max-class, budget-us, period-ms, or a
 * transport key. BRIDGE_OK or BRIDGE_E_CONFIG with the reason in err. */
int bridge_config_region_set(bridge_config_t *cfg, const char *name, const char *k, const char *v, char *err,
                             size_t errlen);
/* config_region.c: --region NAME[=SHM][,key=value...]. BRIDGE_OK or
 * BRIDGE_E_CONFIG with the reason in err. */
int bridge_config_region_arg(bridge_config_t *cfg, const char *arg, char *err, size_t errlen);
/* config_region.c: the settings of region i: cfg's, without its transport,
 * socket and stats file, with the region's own keys over them, checked
 * (bridge_config_check). BRIDGE_OK or BRIDGE_E_CONFIG ("region NAME: why"
 * in err). */
int bridge_config_region_build(const bridge_config_t *cfg, uint32_t i, bridge_config_t *out, char *err, size_t errlen);
/* config_region.c: the checks of a daemon with regions (no --shm/--file
 * of its own, each region complete, no two on one object or socket).
 * BRIDGE_OK or BRIDGE_E_CONFIG with the reason in err. */
int bridge_config_regions_check(const bridge_config_t *cfg, char *err, size_t errlen);
/* "rt", "high", "normal", "background" for IPC_QOS_*; "?" otherwise. */
const char *bridge_config_class_name(uint32_t cls);

#define BRIDGE_CFG_CPU_WORDS 16u /* CPUs 0..1023 */

/* Parse a CPU list "1-3,5" into the bit set words[n_words] (bit c of
 * word c / 64). BRIDGE_OK, or BRIDGE_E_CONFIG with the reason (not a
 * list, a CPU over n_words * 64 - 1) in err. */
int bridge_cpu_list_parse(const char *s, uint64_t *words, uint32_t n_words, char *err, size_t errlen);

/* Print --help for program name prog. Returns nothing. */
void bridge_config_usage(FILE *out, const char *prog);

/* Print the effective settings (debug log, --help of the config). Returns nothing. */
void bridge_config_print(const bridge_config_t *cfg, FILE *out);

#endif /* ZENEDGE_BRIDGE_CONFIG_H */
