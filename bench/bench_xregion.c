/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_xregion.c - zenedge-bench, item "xregion": RT of region A under
 * region B's BACKGROUND flood, two ZENEDGE partitions on one
 * zenedge-bridged (bench.h, bench_xregion_t).
 *
 * The programs themselves run, as a deployment runs them: zenedge-bridged
 * with two regions (--region a=...,share=3 --region b=...,share=1), its
 * dispatcher and CPU workers on CPU 1, and one zenedge-sim per region on
 * CPU 0 (unpinned on a one-CPU machine). Three phases, a fresh daemon
 * each: "alone" (A's RT task, B's region idle), "flood" (the same with B
 * flooding BACKGROUND from before A starts until after it ends),
 * "share" (A and B both keep 32 NORMAL jobs in flight: the device time
 * the daemon charged each within a window inside the phase, against 3:1).
 * The flood and share phases run a load model written for the run
 * (make_models) that the sims do not recompute. The heartbeat
 * period is 1 s (the ZENEDGE side's limit about 3 s): the heartbeat
 * thread shares CPU 1 with the flood's worker, and a busy shared machine
 * may hold it off that CPU for longer than the default's 50 ms limit;
 * liveness is not what is measured here. --selftest (a functional check:
 * every job OK) runs unpinned and short. The round trips come from the
 * sims' own reports (per-task percentiles), the shares from the daemon's
 * statistics (snapshot); every job must be OK.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ZENEDGE_BENCH_BRIDGED
#define ZENEDGE_BENCH_BRIDGED "zenedge-bridged"
#endif
#ifndef ZENEDGE_BENCH_SIM
#define ZENEDGE_BENCH_SIM "zenedge-sim"
#endif
#ifndef ZENEDGE_BENCH_MODELS_DIR
#define ZENEDGE_BENCH_MODELS_DIR "models"
#endif

typedef struct xr_env {
    char bridged[PATH_MAX], sim[PATH_MAX], tmp[256], tag[64];
    bool two_cpus;
    uint32_t ms;      /* length of a phase */
    char why[128];    /* the first thing that failed */
    int phase;        /* 0 alone, 1 flood, 2 share: in the names of the logs */
    char hb_us[16];   /* the daemon's heartbeat period */
    char models[400]; /* the run's model directory (make_models) */
    char load[16];    /* the flood's and share phase's model: xr_load, or gemm to compare */
    char bg[8];       /* the daemon's --background-sched: idle, or nice to compare */
    uint32_t edge_ms; /* share phase: XR_EDGE_MS, shorter for --selftest */
} xr_env_t;

/* The compiled-in path, else the program next to this one. */
static bool find_exe(const char *built, const char *name, char *out, size_t len)
{
    if (access(built, X_OK) == 0) {
        snprintf(out, len, "%s", built);
        return true;
    }
    char self[PATH_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, len, "%s/%s", self, name);
    return access(out, X_OK) == 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Start argv with stdout and stderr into log. Returns the pid or -1. */
static pid_t spawn(char *const argv[], const char *log)
{
    pid_t p = fork();
    if (p != 0)
        return p;
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    execv(argv[0], argv);
    _exit(127);
}

/* Wait for p up to ms; killed after. Returns its exit status, or -1. */
static int reap_any(pid_t p, unsigned ms)
{
    for (unsigned t = 0; t < ms; t += 10) {
        int st;
        if (waitpid(p, &st, WNOHANG) == p)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        sleep_ms(10);
    }
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
    return -1;
}

/* reap_any, the first failure noted in e->why. Returns 0 or -1. */
static int reap(xr_env_t *e, pid_t p, unsigned ms, const char *what)
{
    int st = reap_any(p, ms);
    if (st != 0 && e->why[0] == '\0')
        snprintf(e->why, sizeof(e->why), "%s ended with status %d", what, st);
    return st == 0 ? 0 : -1;
}

static void path(const xr_env_t *e, const char *what, char *out, size_t len)
{
    snprintf(out, len, "%s/%s-%s", e->tmp, e->tag, what);
}

/* The daemon with regions a (share 3) and b (share 1). */
static pid_t start_daemon(const xr_env_t *e)
{
    char ra[768], rb[768], log[512], sa[512], sb[512], stats[512];
    path(e, "stats", stats, sizeof(stats));
    path(e, "a.sock", sa, sizeof(sa));
    path(e, "b.sock", sb, sizeof(sb));
    snprintf(ra, sizeof(ra), "a=/%s-a,socket=%s,share=3", e->tag, sa);
    snprintf(rb, sizeof(rb), "b=/%s-b,socket=%s,share=1", e->tag, sb);
    path(e, "bridge.log", log, sizeof(log));
    char *argv[] = {(char *)e->bridged,
                    "--region",
                    ra,
                    "--region",
                    rb,
                    "--models",
                    (char *)e->models,
                    "--doorbell",
                    "adaptive",
                    "--spin-us",
                    "5",
                    "--log-level",
                    "warn",
                    "--hb-period-us",
                    (char *)e->hb_us,
                    "--background-sched",
                    (char *)e->bg,
                    "--stats-file",
                    stats,
                    e->two_cpus ? "--cpu" : NULL,
                    "1",
                    "--worker-cpus",
                    "1",
                    NULL};
    return spawn(argv, log);
}

/* A zenedge-sim on region r with task spec task. */
static pid_t start_sim(const xr_env_t *e, char r, const char *task)
{
    char shm[128], sock[512], log[512], cpu[8] = "0", rn[2] = {r, 0};
    snprintf(shm, sizeof(shm), "/%s-%c", e->tag, r);
    char name[24];
    snprintf(name, sizeof(name), "%s.sock", rn);
    path(e, name, sock, sizeof(sock));
    snprintf(name, sizeof(name), "p%d-sim-%s.log", e->phase, rn);
    path(e, name, log, sizeof(log));
    char *argv[] = {(char *)e->sim,
                    "--shm",
                    shm,
                    "--socket",
                    sock,
                    "--doorbell",
                    "adaptive",
                    "--models",
                    (char *)e->models,
                    "--timeout-s",
                    "20",
                    "--max-jobs",
                    "64",
                    "--sq-slots",
                    "64",
                    "--task",
                    (char *)task,
                    e->two_cpus ? "--cpu" : NULL,
                    cpu,
                    NULL};
    return spawn(argv, log);
}

/* From region r's sim log: the p50/p99 round trip of task `task` and its
 * counts, and the device time it was charged. Returns 0 or -1 (a job not
 * OK, or no such task). */
static int read_task(const xr_env_t *e, char r, const char *task, double *p50, double *p99, uint32_t *ok,
                     double *dev_us)
{
    char log[512], name[24], line[512], head[64];
    snprintf(name, sizeof(name), "p%d-sim-%c.log", e->phase, r);
    path(e, name, log, sizeof(log));
    FILE *f = fopen(log, "r");
    if (f == NULL)
        return -1;
    snprintf(head, sizeof(head), "task %s (", task);
    bool in = false;
    int found = 0;
    unsigned sub = 0, done = 0, good = 0, failed = 1;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "task ", 5))
            in = !strncmp(line, head, strlen(head));
        if (in && sscanf(line, "task %*s %*s %*s submitted=%u completed=%u ok=%u failed=%u", &sub, &done, &good,
                         &failed) == 4)
            found |= 1;
        const char *c = strstr(line, "backend_time_charged_us=");
        if (in && c)
            *dev_us = strtod(c + strlen("backend_time_charged_us="), NULL);
        if (in && sscanf(line, "  round trip %lf %lf", p50, p99) == 2) {
            found |= 2;
            in = false;
        }
    }
    fclose(f);
    *ok = good;
    return found == 3 && failed == 0 && good == done && good > 0 ? 0 : -1;
}

/* The load model of the flood and share phases: h = relu(x . w1 + b1),
 * y = h . w2 + b2 on the CPU backend's mlp_relu_f32 kernel, XR_LOAD_IN ->
 * XR_LOAD_HIDDEN -> XR_LOAD_OUT, about as many multiply-adds per job as
 * the 64x64 gemm. zenedge-sim checks a gemm against a reference it
 * computes itself, as many operations per job as the backend's: with both
 * sims on one CPU and the daemon on the other, the sims' checking, not the
 * device, then limits the job rate (measured: the CPU backend busy about
 * 60 % of a "saturated" share phase, the two regions at equal rates, shares
 * 0.50/0.50 whatever the weights). This model has no reference in the sim
 * (only its status is checked), so the sims stay light, the device is the
 * bottleneck and the flood's client does not take the RT client's CPU. */
#define XR_LOAD_IN     256u
#define XR_LOAD_HIDDEN 512u
#define XR_LOAD_OUT    16u
#define XR_LOAD_ID     60001u

/* count floats of a fixed pseudo-random pattern into dir/name. 0 or -1. */
static int write_f32(const char *dir, const char *name, uint32_t count, uint32_t seed)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f == NULL)
        return -1;
    uint32_t x = seed;
    size_t put = 0;
    for (uint32_t i = 0; i < count; i++) {
        x = x * 1664525u + 1013904223u;
        float v = ((float)(x >> 8) / 16777216.0f - 0.5f) / 16.0f;
        put += fwrite(&v, sizeof(v), 1, f);
    }
    return fclose(f) == 0 && put == count ? 0 : -1;
}

/* The run's model directory: the source tree's vector_add and gemm
 * (linked) and the load model, written here. 0 or -1. */
static int make_models(xr_env_t *e)
{
    char d[512], p[600];
    path(e, "models", e->models, sizeof(e->models));
    snprintf(d, sizeof(d), "%s/xr_load", e->models);
    if ((mkdir(e->models, 0700) != 0 && errno != EEXIST) || (mkdir(d, 0700) != 0 && errno != EEXIST))
        return -1;
    const char *linked[] = {"vector_add", "gemm"};
    for (size_t i = 0; i < 2; i++) {
        char to[PATH_MAX];
        snprintf(to, sizeof(to), "%s/%s", ZENEDGE_BENCH_MODELS_DIR, linked[i]);
        snprintf(p, sizeof(p), "%s/%s", e->models, linked[i]);
        if (symlink(to, p) != 0 && errno != EEXIST)
            return -1;
    }
    snprintf(p, sizeof(p), "%s/model.ini", d);
    FILE *f = fopen(p, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "; written by zenedge-bench (xregion): device load whose output zenedge-sim does not recompute\n"
            "[model]\nid = %u\nname = xr_load\nresult = none\n"
            "[input.0]\nname = x\ndtype = f32\nshape = %u\n[output.0]\nname = y\ndtype = f32\nshape = %u\n"
            "[weight.0]\nname = w1\ndtype = f32\nshape = %u,%u\nfile = w1.f32\n"
            "[weight.1]\nname = b1\ndtype = f32\nshape = %u\nfile = b1.f32\n"
            "[weight.2]\nname = w2\ndtype = f32\nshape = %u,%u\nfile = w2.f32\n"
            "[weight.3]\nname = b2\ndtype = f32\nshape = %u\nfile = b2.f32\n"
            "[backend.cpu]\nkernel = mlp_relu_f32\n",
            XR_LOAD_ID, XR_LOAD_IN, XR_LOAD_OUT, XR_LOAD_IN, XR_LOAD_HIDDEN, XR_LOAD_HIDDEN, XR_LOAD_HIDDEN,
            XR_LOAD_OUT, XR_LOAD_OUT);
    if (fclose(f) != 0)
        return -1;
    return write_f32(d, "w1.f32", XR_LOAD_IN * XR_LOAD_HIDDEN, 1) | write_f32(d, "b1.f32", XR_LOAD_HIDDEN, 2) |
           write_f32(d, "w2.f32", XR_LOAD_HIDDEN * XR_LOAD_OUT, 3) | write_f32(d, "b2.f32", XR_LOAD_OUT, 4);
}

/* Phase alone (flood false) or flood: A's RT round trips. */
static int phase_rt(xr_env_t *e, bench_xregion_t *x, int k)
{
    char rt[160], bg[160];
    uint32_t n = BENCH_XR_RATE_HZ * e->ms / 1000u;
    snprintf(rt, sizeof(rt), "name=rt,qos=rt,model=vector_add,count=%u,inflight=1,rate_hz=%u", n, BENCH_XR_RATE_HZ);
    snprintf(bg, sizeof(bg), "name=bg,qos=background,model=%s,count=100000000,inflight=%u,stop_ms=%u", e->load,
             BENCH_RT_FLOOD_DEPTH, e->ms + 1500u);
    pid_t d = start_daemon(e), b = -1;
    if (k == 1) {
        b = start_sim(e, 'b', bg);
        sleep_ms(300);
    }
    pid_t a = start_sim(e, 'a', rt);
    int rc = reap(e, a, e->ms + 30000u, "zenedge-sim a");
    if (b > 0)
        rc |= reap(e, b, e->ms + 30000u, "zenedge-sim b");
    kill(d, SIGTERM);
    rc |= reap(e, d, 10000, "zenedge-bridged");
    double dev = 0, f50, f99;
    int t = read_task(e, 'a', "rt", &x->rtt_p50_us[k], &x->rtt_p99_us[k], &x->rt_jobs[k], &dev);
    uint32_t fj = 0;
    if (k == 1 && read_task(e, 'b', "bg", &f50, &f99, &fj, &dev) != 0)
        t = -1;
    if (t != 0 && e->why[0] == '\0')
        snprintf(e->why, sizeof(e->why), "phase %s: a job not OK or no report", k ? "flood" : "alone");
    rc |= t;
    x->flood_jobs = k == 1 ? fj : x->flood_jobs;
    return rc;
}

/* The share phase's window: it starts XR_EDGE_MS after the sims and ends
 * XR_EDGE_MS before they stop, so that both are saturating throughout
 * (the two sims start some tens of milliseconds apart, more on a busy
 * machine; counted over the whole run, that skew alone moved a share by
 * up to 0.025 in 1.5 s phases). --selftest: 150 ms. */
#define XR_EDGE_MS 500u

/* The daemon's statistics after a SIGUSR1 (--stats-file, rewritten on each
 * dump): v[0], v[1] the device time charged to a and b (arbiter.*.device_ns),
 * v[2] its uptime (ms). 0, or -1 (no new dump within 2 s). */
static int snapshot(const xr_env_t *e, pid_t d, double v[3])
{
    char p[512], line[256];
    path(e, "stats", p, sizeof(p));
    double seq0 = -1, seq = -1;
    for (int k = 0; k < 401; k++) {
        FILE *f = fopen(p, "r");
        double got[4] = {-1, -1, -1, -1};
        while (f && fgets(line, sizeof(line), f)) {
            const char *key[] = {"arbiter.a.device_ns ", "arbiter.b.device_ns ", "region.a.uptime_ms ",
                                 "region.a.dump_seq "};
            for (int i = 0; i < 4; i++)
                if (!strncmp(line, key[i], strlen(key[i])))
                    got[i] = strtod(line + strlen(key[i]), NULL);
        }
        if (f)
            fclose(f);
        seq = got[3];
        if (k == 0) {
            seq0 = seq;
            kill(d, SIGUSR1);
        } else if (seq > seq0 && got[0] >= 0 && got[1] >= 0 && got[2] >= 0) {
            memcpy(v, got, 3 * sizeof(double));
            return 0;
        }
        sleep_ms(5);
    }
    return -1;
}

/* Both regions saturate NORMAL: the device time each was charged within
 * the window, from the daemon's own accounts. */
static int phase_share(xr_env_t *e, bench_xregion_t *x)
{
    char t[160];
    snprintf(t, sizeof(t), "name=n,qos=normal,model=%s,count=100000000,inflight=32,deadline_ms=20000,stop_ms=%u",
             e->load, e->ms + 2u * e->edge_ms);
    char st[512];
    path(e, "stats", st, sizeof(st));
    unlink(st); /* the earlier phases' daemons wrote theirs at exit */
    pid_t d = start_daemon(e);
    pid_t a = start_sim(e, 'a', t), b = start_sim(e, 'b', t);
    double s0[3] = {0, 0, 0}, s1[3] = {0, 0, 0};
    sleep_ms(e->edge_ms);
    int rc = snapshot(e, d, s0);
    sleep_ms(e->ms);
    rc |= snapshot(e, d, s1);
    if (rc != 0 && e->why[0] == '\0')
        snprintf(e->why, sizeof(e->why), "share phase: no statistics from zenedge-bridged after SIGUSR1");
    rc |= reap(e, a, e->ms + 30000u, "zenedge-sim a");
    rc |= reap(e, b, e->ms + 30000u, "zenedge-sim b");
    kill(d, SIGTERM);
    rc |= reap(e, d, 10000, "zenedge-bridged");
    double p50, p99, dev[2] = {s1[0] - s0[0], s1[1] - s0[1]}, sim_dev;
    uint32_t ok;
    rc |= read_task(e, 'a', "n", &p50, &p99, &ok, &sim_dev);
    rc |= read_task(e, 'b', "n", &p50, &p99, &ok, &sim_dev);
    x->share_busy = s1[2] > s0[2] ? (dev[0] + dev[1]) / ((s1[2] - s0[2]) * 1e6) : NAN;
    x->share_weight[0] = 0.75;
    x->share_weight[1] = 0.25;
    x->share_error = 0;
    for (int i = 0; i < 2; i++) {
        x->share_used[i] = dev[0] + dev[1] > 0 ? dev[i] / (dev[0] + dev[1]) : NAN;
        double err = fabs(x->share_used[i] - x->share_weight[i]) / x->share_weight[i];
        x->share_error = err > x->share_error || isnan(err) ? err : x->share_error;
    }
    return rc;
}

static void cleanup(const xr_env_t *e)
{
    const char *files[] = {"a.sock",       "b.sock",       "bridge.log",   "p0-sim-a.log", "p0-sim-b.log",
                           "p1-sim-a.log", "p1-sim-b.log", "p2-sim-a.log", "p2-sim-b.log", "stats"};
    const char *model[] = {"vector_add",     "gemm",           "xr_load/model.ini", "xr_load/w1.f32",
                           "xr_load/b1.f32", "xr_load/w2.f32", "xr_load/b2.f32",    "xr_load"};
    char p[600];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        path(e, files[i], p, sizeof(p));
        unlink(p);
    }
    for (size_t i = 0; e->models[0] && i < sizeof(model) / sizeof(model[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", e->models, model[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
    if (e->models[0])
        rmdir(e->models);
}

int bench_xregion_run(const bench_opts_t *o, bench_xregion_t *x)
{
    memset(x, 0, sizeof(*x));
    x->ratio_rtt_p99 = x->share_error = NAN;
    xr_env_t e;
    memset(&e, 0, sizeof(e));
    if (!find_exe(ZENEDGE_BENCH_BRIDGED, "zenedge-bridged", e.bridged, sizeof(e.bridged)) ||
        !find_exe(ZENEDGE_BENCH_SIM, "zenedge-sim", e.sim, sizeof(e.sim))) {
        snprintf(x->note, sizeof(x->note), "not measured: zenedge-bridged or zenedge-sim not found");
        return 0;
    }
    const char *t = getenv("TMPDIR");
    snprintf(e.tmp, sizeof(e.tmp), "%s", t && t[0] ? t : "/tmp");
    snprintf(e.tag, sizeof(e.tag), "zenedge-bench-xr-%d", (int)getpid());
    e.two_cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2 && !o->selftest;
    snprintf(e.hb_us, sizeof(e.hb_us), "%s", "1000000");
    e.ms = o->selftest ? 500u : o->quick ? 1500u : 4000u;
    e.edge_ms = o->selftest ? 150u : XR_EDGE_MS;
    const char *lm = getenv("ZENEDGE_BENCH_XR_MODEL"), *bs = getenv("ZENEDGE_BENCH_BACKGROUND");
    snprintf(e.load, sizeof(e.load), "%s", lm && !strcmp(lm, "gemm") ? "gemm" : "xr_load");
    snprintf(e.bg, sizeof(e.bg), "%s", bs && !strcmp(bs, "nice") ? "nice" : "idle");
    if (make_models(&e) != 0) {
        snprintf(x->note, sizeof(x->note), "not measured: cannot write the model directory (TMPDIR): %s",
                 strerror(errno));
        cleanup(&e);
        return -1;
    }
    int rc = phase_rt(&e, x, 0);
    e.phase = 1;
    rc |= phase_rt(&e, x, 1);
    e.phase = 2;
    rc |= phase_share(&e, x);
    if (getenv("ZENEDGE_BENCH_KEEP") == NULL)
        cleanup(&e);
    x->errors = rc != 0;
    x->measured = true;
    x->ratio_rtt_p99 = x->rtt_p99_us[0] > 0 ? x->rtt_p99_us[1] / x->rtt_p99_us[0] : NAN;
    snprintf(x->note, sizeof(x->note), "cpu backend, phases of %u ms, %s, load model %s, BACKGROUND worker %s%s%s",
             e.ms, e.two_cpus ? "daemon on CPU 1, sims on CPU 0" : "unpinned", e.load,
             e.bg[0] == 'i' ? "SCHED_IDLE" : "nice only", rc ? "; failed: " : "", rc ? e.why : "");
    return 0;
}

void bench_report_xregion_ratios(FILE *f, const bench_xregion_t *x)
{
    fputs(",\n    \"xregion_rt_rtt_p99_vs_alone\": ", f);
    bench_json_num(f, x->measured ? x->ratio_rtt_p99 : NAN);
    fputs(",\n    \"xregion_share_error\": ", f);
    bench_json_num(f, x->measured ? x->share_error : NAN);
}

void bench_report_xregion_json(FILE *f, const bench_xregion_t *x)
{
    fputs("  \"xregion\": {\"note\": ", f);
    bench_json_str(f, x->note);
    fprintf(f, ", \"measured\": %s, \"errors\": %llu, \"rt_jobs_alone\": %u, \"rt_jobs_flood\": %u",
            x->measured ? "true" : "false", (unsigned long long)x->errors, x->rt_jobs[0], x->rt_jobs[1]);
    const char *k[] = {"rtt_p50_us_alone", "rtt_p50_us_flood", "rtt_p99_us_alone", "rtt_p99_us_flood",
                       "share_used_a",     "share_used_b",     "share_busy"};
    const double v[] = {x->rtt_p50_us[0], x->rtt_p50_us[1], x->rtt_p99_us[0], x->rtt_p99_us[1],
                        x->share_used[0], x->share_used[1], x->share_busy};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        fprintf(f, ", \"%s\": ", k[i]);
        bench_json_num(f, x->measured ? v[i] : NAN);
    }
    fprintf(f, ", \"flood_jobs\": %llu},\n", (unsigned long long)x->flood_jobs);
}

/* The targets of the two ratios (docs/performance.md). */
#define XR_TARGET_RTT_P99 1.5
#define XR_TARGET_SHARE   0.10

static const char *xr_status(double v, double max)
{
    return isnan(v) ? "n/a" : v <= max ? "met" : "NOT met";
}

void bench_report_xregion_text(FILE *f, const bench_xregion_t *x)
{
    fprintf(f, "xregion (%s)\n", x->note);
    if (!x->measured)
        return;
    fprintf(f,
            "  %-30s %8.3f  target <= %.2f  %-8s A's RT round trip p99 %.1f us alone, %.1f us under B's "
            "BACKGROUND flood (p50 %.1f / %.1f us; RT jobs %u / %u; flood jobs %llu)\n",
            "xregion_rt_rtt_p99_vs_alone", x->ratio_rtt_p99, XR_TARGET_RTT_P99,
            xr_status(x->ratio_rtt_p99, XR_TARGET_RTT_P99), x->rtt_p99_us[0], x->rtt_p99_us[1], x->rtt_p50_us[0],
            x->rtt_p50_us[1], x->rt_jobs[0], x->rt_jobs[1], (unsigned long long)x->flood_jobs);
    fprintf(f,
            "  %-30s %8.3f  target <= %.2f  %-8s shares %.3f / %.3f of device time for weights %.2f / %.2f; "
            "device busy %.0f %% of the window%s\n",
            "xregion_share_error", x->share_error, XR_TARGET_SHARE, xr_status(x->share_error, XR_TARGET_SHARE),
            x->share_used[0], x->share_used[1], x->share_weight[0], x->share_weight[1], x->share_busy * 100.0,
            x->share_busy < 0.75 ? " (below 75 %: not saturated, the shares are the clients' rates)" : "");
    fprintf(f, "  errors: %llu (a job not OK or a program that failed)\n", (unsigned long long)x->errors);
}
