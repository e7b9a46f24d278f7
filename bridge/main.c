/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - zenedge-bridged: command line, signals, CPU pinning and
 * real-time priority, model registry and backend set-up, then the
 * dispatch loop (dispatch.c). Usage: --help, docs/bridge.md.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include "backends/backend.h"
#include "bridge_errors.h"
#include "check_config.h"
#include "config.h"
#include "dispatch.h"
#include "instance.h"
#include "log.h"
#include "registry.h"
#include "service.h"
#include "transport.h"
#include "warm.h"
#include "zl.h"

#ifndef ZENEDGE_VERSION
#define ZENEDGE_VERSION "0.0.0"
#endif
#ifndef ZENEDGE_MODELS_DIR
#define ZENEDGE_MODELS_DIR "models"
#endif

static bridge_signals_t sigs;

static void on_stop(int sig)
{
    (void)sig;
    sigs.stop = 1;
}

static void on_dump(int sig)
{
    (void)sig;
    sigs.dump = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    bridge_service_request_reload(); /* the heartbeat thread re-reads the settings */
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking wait returns at once */
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_dump;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

static int list_devices(void)
{
    int found = 0;
    for (const bridge_backend_ops_t *const *b = bridge_backend_list(); *b; b++) {
        bridge_device_info_t devs[16];
        char why[256] = "";
        int n = (*b)->probe(devs, 16, why, sizeof(why));
        if (n < 0) {
            printf("%-10s no device: %s\n", (*b)->name, why[0] ? why : bridge_strerror(n));
            continue;
        }
        for (int i = 0; i < n && i < 16; i++) {
            printf("%-10s device %d: %s / %s\n", devs[i].backend, devs[i].index, devs[i].platform, devs[i].device);
            found++;
        }
    }
    return found > 0 ? 0 : 1;
}

/* The compiled-in model directory, or, when it does not exist (an install
 * moved to another prefix), <dir of the executable>/../share/zenedge/models. */
static void default_models(char *out, size_t len)
{
    snprintf(out, len, "%s", ZENEDGE_MODELS_DIR);
    if (access(out, R_OK | X_OK) == 0)
        return;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    char alt[1200];
    snprintf(alt, sizeof(alt), "%s/../share/zenedge/models", exe);
    if (access(alt, R_OK | X_OK) == 0)
        snprintf(out, len, "%s", alt);
}

/* A dispatcher that polls never sleeps: workers that share its CPU get
 * a share by nice weight (the BACKGROUND worker then not SCHED_IDLE:
 * qs->bg_idle cleared), and none at all below its SCHED_FIFO priority
 * (refused). 0, or -1 (logged). */
static int check_spinner(const bridge_config_t *cfg, bridge_qos_sched_t *qs)
{
    if (cfg->doorbell != IPC_DB_POLL || cfg->cpu < 0 || cfg->cpu >= (int)BRIDGE_CPU_MAX)
        return 0;
    bool any = false;
    for (uint32_t w = 0; w < BRIDGE_CPU_WORDS; w++)
        any |= qs->cpus[w] != 0;
    if (any && !(qs->cpus[cfg->cpu / 64] >> (cfg->cpu % 64) & 1u))
        return 0;
    if (cfg->rt_priority > 0) {
        BLOG_ERR("--doorbell poll with --rt-priority %d: the dispatcher spins at SCHED_FIFO on CPU %d, and workers "
                 "there would never run; give --worker-cpus without CPU %d, or --doorbell eventfd or adaptive",
                 cfg->rt_priority, cfg->cpu, cfg->cpu);
        return -1;
    }
    BLOG_WARN("--doorbell poll: the dispatcher spins on CPU %d, which the workers share (by nice weight only; "
              "the BACKGROUND worker at nice %d, not SCHED_IDLE, which would starve it there)",
              cfg->cpu, qs->prio[IPC_QOS_BACKGROUND]);
    qs->bg_idle = 0;
    return 0;
}

/* Pin the dispatcher (--cpu), make it SCHED_FIFO (--rt-priority) and
 * choose the workers' scheduling into *qs: priorities below the
 * dispatcher's, on --worker-cpus, else on every CPU the daemon may use
 * but the dispatcher's. 0, or -1 (logged). */
static int setup_sched(const bridge_config_t *cfg, bridge_qos_sched_t *qs)
{
    char err[256];
    bridge_qos_sched_default(qs, cfg->rt_priority, getpriority(PRIO_PROCESS, 0));
    qs->bg_idle &= !cfg->background_nice;
    if (cfg->worker_cpus[0] &&
        bridge_cpu_list_parse(cfg->worker_cpus, qs->cpus, BRIDGE_CPU_WORDS, err, sizeof(err)) != BRIDGE_OK) {
        BLOG_ERR("%s", err);
        return -1;
    }
    if (cfg->cpu >= 0) {
        cpu_set_t may;
        if (!cfg->worker_cpus[0] && sched_getaffinity(0, sizeof(may), &may) == 0) {
            CPU_CLR(cfg->cpu, &may);
            if (CPU_COUNT(&may) == 0)
                CPU_SET(cfg->cpu, &may); /* one CPU: share it, priorities decide */
            for (uint32_t c = 0; c < BRIDGE_CPU_MAX && c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &may))
                    qs->cpus[c / 64u] |= 1ull << (c % 64u);
        }
        int r = zl_pin_cpu(cfg->cpu);
        if (r < 0) {
            BLOG_ERR("cannot pin to CPU %d: %s", cfg->cpu, strerror(-r));
            return -1;
        }
        BLOG_INFO("pinned to CPU %d", cfg->cpu);
    }
    if (cfg->rt_priority > 0) {
        struct sched_param sp = {.sched_priority = cfg->rt_priority};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
            BLOG_ERR("cannot set SCHED_FIFO priority %d: %s (needs CAP_SYS_NICE or an rtprio limit)", cfg->rt_priority,
                     strerror(errno));
            return -1;
        }
        BLOG_INFO("running SCHED_FIFO priority %d", cfg->rt_priority);
    }
    if (strcmp(cfg->backend, "cpu") == 0 && check_spinner(cfg, qs) != 0)
        return -1;
    if (strcmp(cfg->backend, "cpu") == 0) {
        char d[256];
        bridge_qos_sched_describe(qs, d, sizeof(d));
        BLOG_INFO("qos scheduling: %s", d);
    }
    return 0;
}

int main(int argc, char **argv)
{
    bridge_config_t cfg;
    char err[1024] = "";
    char models_dir[1200];
    default_models(models_dir, sizeof(models_dir));
    bridge_config_defaults(&cfg, models_dir);
    int rc = bridge_config_parse_args(&cfg, argc, argv, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "zenedge-bridged: %s\n", err);
        return rc == BRIDGE_E_INVAL ? EX_USAGE : EX_CONFIG;
    }
    if (cfg.help) {
        bridge_config_usage(stdout, "zenedge-bridged");
        return 0;
    }
    if (cfg.version) {
        printf("zenedge-bridged %s (protocol %u.%u; backends:", ZENEDGE_VERSION, IPC_VERSION_MAJOR, IPC_VERSION_MINOR);
        for (const bridge_backend_ops_t *const *b = bridge_backend_list(); *b; b++)
            printf(" %s", (*b)->name);
        printf(")\n");
        return 0;
    }
    if (cfg.list_devices)
        return list_devices() == 0 ? EX_OK : EX_UNAVAILABLE;
    zl_obj_policy_t pol;
    if (bridge_config_check(&cfg, err, sizeof(err)) != BRIDGE_OK ||
        bridge_transport_policy(&cfg, &pol, err, sizeof(err)) != BRIDGE_OK) {
        fprintf(stderr, "zenedge-bridged: %s\n", err);
        return EX_CONFIG;
    }
    if (cfg.check_config) {
        bridge_log_open("zenedge-bridged", (bridge_log_level_t)cfg.log_level, false);
        return bridge_check_config(&cfg, stdout);
    }

    uint64_t t_start = zl_now_ns();
    bridge_log_open("zenedge-bridged", (bridge_log_level_t)cfg.log_level, cfg.syslog);
    bridge_service_init();
    bridge_service_set_reload(argc, argv, models_dir, &cfg);
    install_signals();
    BLOG_INFO("zenedge-bridged %s starting (protocol %u.%u, pid %d)", ZENEDGE_VERSION, IPC_VERSION_MAJOR,
              IPC_VERSION_MINOR, (int)getpid());
    if (cfg.config_file[0])
        BLOG_INFO("settings read from %s", cfg.config_file);
    bridge_instance_t inst[BRIDGE_REGIONS_MAX]; /* one daemon per region: held until exit */
    rc = bridge_instance_lock_all(inst, &cfg, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        BLOG_ERR("%s", err);
        return rc == BRIDGE_E_BUSY ? EX_TEMPFAIL : EX_OSERR;
    }

    bridge_qos_sched_t qs;
    if (setup_sched(&cfg, &qs) != 0)
        return EX_CONFIG;

    bridge_registry_t reg;
    bridge_service_status("loading models from %s", cfg.models);
    rc = bridge_registry_load(&reg, cfg.models, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        BLOG_ERR("model registry: %s (%s)", err, bridge_strerror(rc));
        return bridge_exit_status(rc);
    }
    bridge_backend_t be = {.ops = bridge_backend_find(cfg.backend)};
    if (be.ops == NULL) {
        BLOG_ERR("backend '%s' is not built in (see --list-devices)", cfg.backend);
        bridge_registry_free(&reg);
        return EX_CONFIG;
    }
    bridge_backend_config_t bcfg = {
        .device = cfg.device[0] ? cfg.device : NULL, .queue_depth = cfg.queue_depth, .qos_sched = &qs};
    rc = be.ops->init(&be, &bcfg);
    if (rc != BRIDGE_OK) {
        BLOG_ERR("backend %s: init failed: %s", be.ops->name, bridge_strerror(rc));
        bridge_registry_free(&reg);
        return bridge_exit_status(rc);
    }
    bridge_service_status("warming %u models on %s", reg.n_models, be.ops->name);
    rc = bridge_models_load(&be, &reg);
    if (rc == BRIDGE_OK)
        rc = bridge_models_warm(&be, &reg, t_start);
    if (rc != BRIDGE_OK) {
        be.ops->shutdown(&be);
        bridge_registry_free(&reg);
        return bridge_exit_status(rc);
    }

    rc = bridge_dispatch_run(&cfg, &reg, &be, &sigs);
    bridge_service_stopping(rc == BRIDGE_OK ? "stopping" : bridge_strdesc(rc));
    be.ops->shutdown(&be);
    bridge_registry_free(&reg);
    BLOG_INFO("exit (%s)", rc == BRIDGE_OK ? "clean" : bridge_strerror(rc));
    bridge_log_close();
    bridge_instance_unlock_all(inst);
    return bridge_exit_status(rc);
}
