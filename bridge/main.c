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
#include <unistd.h>

#include "backends/backend.h"
#include "bridge_errors.h"
#include "config.h"
#include "dispatch.h"
#include "instance.h"
#include "log.h"
#include "registry.h"
#include "transport.h"
#include "zl.h"

#ifndef ZENEDGE_VERSION
#define ZENEDGE_VERSION "0.0.0"
#endif
#ifndef ZENEDGE_MODELS_DIR
#define ZENEDGE_MODELS_DIR "models"
#endif

#define WARM_TIMEOUT_NS 120000000000ull /* a dry run (a cold kernel build included) */

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
            printf("%-8s no device: %s\n", (*b)->name, why[0] ? why : bridge_strerror(n));
            continue;
        }
        for (int i = 0; i < n && i < 16; i++) {
            printf("%-8s device %d: %s / %s\n", devs[i].backend, devs[i].index, devs[i].platform, devs[i].device);
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
 * a share by nice weight, and none at all below its SCHED_FIFO priority
 * (refused). 0, or -1 (logged). */
static int check_spinner(const bridge_config_t *cfg, const bridge_qos_sched_t *qs)
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
    BLOG_WARN("--doorbell poll: the dispatcher spins on CPU %d, which the workers share (by nice weight only)",
              cfg->cpu);
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

static int load_models(bridge_backend_t *be, const bridge_registry_t *reg)
{
    char err[1024] = "";
    for (uint32_t i = 0; i < reg->n_models; i++) {
        const bridge_model_t *m = reg->models[i];
        int rc = be->ops->load_model(be, m, err, sizeof(err));
        if (rc != BRIDGE_OK) {
            BLOG_ERR("backend %s cannot run model %u (%s): %s (%s)", be->ops->name, m->id, m->name, err,
                     bridge_strerror(rc));
            return -1;
        }
        BLOG_INFO("model %u %s: %u input(s), %u output(s), %u weight(s) from %s", m->id, m->name, m->n_in, m->n_out,
                  m->n_weights, m->manifest);
    }
    return 0;
}

/* One dry run of model m with zero inputs through submit and poll: 0, or
 * -1 (logged). The job's buffers are freed only once it is back. */
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
        return -1; /* the backend may still write the buffers: keep them */
    }
    if (rc == BRIDGE_OK && job.status != IPC_STATUS_OK)
        rc = BRIDGE_E_BACKEND;
    for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++)
        free(buf[i]);
    if (rc != BRIDGE_OK) {
        BLOG_ERR("backend %s: the dry run of model %u (%s) failed: %s", be->ops->name, m->id, m->name,
                 bridge_strerror(rc));
        return -1;
    }
    BLOG_DEBUG("model %u %s warmed on %s: %llu us on the backend", m->id, m->name, be->ops->name,
               (unsigned long long)(job.backend_ns / 1000u));
    return 0;
}

/* READY means ready: every model has run once (kernels built, caches
 * and pages warm) before the region is attached. 0, or -1 (logged). */
static int warm_models(bridge_backend_t *be, const bridge_registry_t *reg, uint64_t t_start)
{
    for (uint32_t i = 0; i < reg->n_models; i++)
        if (warm_one(be, reg->models[i]) != 0)
            return -1;
    BLOG_INFO("ready in %llu ms: %u models loaded and warmed on %s",
              (unsigned long long)((zl_now_ns() - t_start) / 1000000u), reg->n_models, be->ops->name);
    return 0;
}

int main(int argc, char **argv)
{
    bridge_config_t cfg;
    char err[1024] = "";
    char models_dir[1200];
    default_models(models_dir, sizeof(models_dir));
    bridge_config_defaults(&cfg, models_dir);
    if (bridge_config_parse_args(&cfg, argc, argv, err, sizeof(err)) != BRIDGE_OK) {
        fprintf(stderr, "zenedge-bridged: %s\n", err);
        return 2;
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
        return list_devices();
    zl_obj_policy_t pol;
    if (bridge_config_check(&cfg, err, sizeof(err)) != BRIDGE_OK ||
        bridge_transport_policy(&cfg, &pol, err, sizeof(err)) != BRIDGE_OK) {
        fprintf(stderr, "zenedge-bridged: %s\n", err);
        return 2;
    }

    uint64_t t_start = zl_now_ns();
    bridge_log_open("zenedge-bridged", (bridge_log_level_t)cfg.log_level, cfg.syslog);
    install_signals();
    BLOG_INFO("zenedge-bridged %s starting (protocol %u.%u, pid %d)", ZENEDGE_VERSION, IPC_VERSION_MAJOR,
              IPC_VERSION_MINOR, (int)getpid());
    if (cfg.config_file[0])
        BLOG_INFO("settings read from %s", cfg.config_file);
    bridge_instance_t inst[BRIDGE_REGIONS_MAX]; /* one daemon per region: held until exit */
    int rc = bridge_instance_lock_all(inst, &cfg, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        BLOG_ERR("%s", err);
        return rc == BRIDGE_E_BUSY ? 3 : 1;
    }

    bridge_qos_sched_t qs;
    if (setup_sched(&cfg, &qs) != 0)
        return 1;

    bridge_registry_t reg;
    rc = bridge_registry_load(&reg, cfg.models, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        BLOG_ERR("model registry: %s (%s)", err, bridge_strerror(rc));
        return 1;
    }
    bridge_backend_t be = {.ops = bridge_backend_find(cfg.backend)};
    if (be.ops == NULL) {
        BLOG_ERR("backend '%s' is not built in (see --list-devices)", cfg.backend);
        bridge_registry_free(&reg);
        return 2;
    }
    bridge_backend_config_t bcfg = {
        .device = cfg.device[0] ? cfg.device : NULL, .queue_depth = cfg.queue_depth, .qos_sched = &qs};
    rc = be.ops->init(&be, &bcfg);
    if (rc != BRIDGE_OK) {
        BLOG_ERR("backend %s: init failed: %s", be.ops->name, bridge_strerror(rc));
        bridge_registry_free(&reg);
        return 1;
    }
    if (load_models(&be, &reg) != 0 || warm_models(&be, &reg, t_start) != 0) {
        be.ops->shutdown(&be);
        bridge_registry_free(&reg);
        return 1;
    }

    rc = bridge_dispatch_run(&cfg, &reg, &be, &sigs);
    be.ops->shutdown(&be);
    bridge_registry_free(&reg);
    BLOG_INFO("exit (%s)", rc == BRIDGE_OK ? "clean" : bridge_strerror(rc));
    bridge_log_close();
    bridge_instance_unlock_all(inst);
    return rc == BRIDGE_OK ? 0 : 1;
}
