/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_cli.c - zenedge-sim's command line: options, --help and the task
 * specs. A spec is checked here as far as it can be without the model
 * catalogue; its model names are resolved once the manifests are loaded
 * (sim_tasks_resolve()), so --models may come after --task.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "sim.h"
#include "zl.h"

struct sim_state sim = {.size = 16u << 20,
                        .mode = IPC_DB_ADAPTIVE,
                        .cpu = -1,
                        .timeout_s = 10.0,
                        .spin_us = 50,
                        .max_jobs = 256,
                        .sq_slots = 256,
                        .shm_group = -1};

#ifndef ZENEDGE_VERSION
#define ZENEDGE_VERSION "0.0.0"
#endif
#ifndef ZENEDGE_MODELS_DIR
#define ZENEDGE_MODELS_DIR "models"
#endif

/* The installed models, as zenedge-bridged finds them: the compiled-in
 * folder, else ../share/zenedge/models beside the program (a relocated
 * install tree). */
static void default_models(void)
{
    static char dir[1200];
    snprintf(dir, sizeof(dir), "%s", ZENEDGE_MODELS_DIR);
    sim.models_dir = dir;
    if (access(dir, R_OK | X_OK) == 0)
        return;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (slash == NULL)
        return;
    *slash = '\0';
    char alt[1200];
    snprintf(alt, sizeof(alt), "%s/../share/zenedge/models", exe);
    if (access(alt, R_OK | X_OK) == 0)
        snprintf(dir, sizeof(dir), "%s", alt);
}

static void usage_options(FILE *f)
{
    fprintf(f,
            "Usage: zenedge-sim --shm NAME [options] [--task SPEC]...\n"
            "\n"
            "The ZENEDGE partition as a Linux program. It creates the shared region as\n"
            "the POSIX shared memory object NAME, lays it out (submission ring per QoS\n"
            "class, completion ring, job table, tensor heap with size classes 64, 256,\n"
            "4096 and 16384 bytes), reads the model manifests (DIR/*/model.ini, as\n"
            "zenedge-bridged does) and registers the models its tasks name, waits for\n"
            "zenedge-bridged to be READY, runs the tasks (threads, each under its own\n"
            "contract), checks every result, prints per-contract results and per-stage\n"
            "latencies, and removes the region.\n"
            "\n"
            "Options:\n"
            "  --shm NAME          POSIX shared memory name of the region (required)\n"
            "  --size BYTES        region size (default 16777216; suffixes k, M)\n"
            "  --shm-mode MODE     mode of the region, octal (default 0660 with\n"
            "                      --shm-group, else 0600; never writable by others).\n"
            "                      The region is created new (O_EXCL): an object of\n"
            "                      that name owned by another user is refused and left\n"
            "                      in place; a stale one of ours (its creator is gone)\n"
            "                      is replaced\n"
            "  --shm-group GROUP   give the region to GROUP (e.g. zenedge, the daemon's\n"
            "                      group; we must be a member)\n"
            "  --doorbell MODE     poll | eventfd | adaptive (default adaptive)\n"
            "                      poll: no system call, both sides spin on the rings;\n"
            "                      eventfd: eventfds exchanged over --socket, each side\n"
            "                      rings after publishing work and sleeps when idle;\n"
            "                      adaptive: spin --spin-us, then announce sleep (the\n"
            "                      needs-wake-up flag) and sleep; rung only then\n"
            "  --socket PATH       bridge's doorbell socket (default, as zenedge-bridged's:\n"
            "                      <rundir>/<NAME>.sock; rundir: $RUNTIME_DIRECTORY,\n"
            "                      else /run/zenedge for root, else\n"
            "                      $XDG_RUNTIME_DIR/zenedge); reconnected when the\n"
            "                      bridge restarts\n"
            "  --allow-uid LIST    bridges allowed on the socket beside our own uid and\n"
            "                      root (uids or user names, comma separated); any other\n"
            "                      listener is refused before it gets our doorbell\n"
            "  --allow-gid LIST    bridges allowed by primary group\n"
            "  --cpu N             pin the process to CPU N (default: not pinned)\n"
            "  --models DIR        model manifests (default: the installed models, as\n"
            "                      zenedge-bridged: %s), the same folder\n"
            "                      zenedge-bridged reads; a classifier's held-out set is\n"
            "                      the [dataset] of its manifest\n"
            "  --task SPEC         a task (repeatable; default: one closed-loop task per\n"
            "                      shipped model, vector_add, saxpy, gemm and digits_mlp,\n"
            "                      100 jobs each, gemm 50, digits over the whole test set)\n"
            "  --timeout-s S       how long to wait for the bridge to be READY and for\n"
            "                      the doorbell socket (default 10)\n"
            "  --spin-us N         adaptive mode: spin before sleeping (default 50)\n"
            "  --max-jobs N        job table size (default 256, at most %u)\n"
            "  --sq-slots N        slots per submission ring, power of two (default 256)\n"
            "  --quiet             only the summary lines\n"
            "  --hist FILE         write the per-stage latency histograms of every task\n"
            "                      (fixed log-linear buckets, zenedge/lat_hist.h) as CSV:\n"
            "                      task,stage,bucket_upper_ns,count\n"
            "  --trace FILE        write every collected job as CSV, read back from the\n"
            "                      region's job trace while the tasks run: the columns of\n"
            "                      zenedge-ipc trace with the task's name after seq, and a\n"
            "                      last line \"# records=N lost=M\"\n"
            "  --soak SECONDS      soak: the tasks run for SECONDS (their count= ignored)\n"
            "                      in rounds; between two rounds the proxy is\n"
            "                      re-initialised (new epoch). Prints a soak: line;\n"
            "                      exit 0 only when no job was lost, duplicated or\n"
            "                      wrong (docs/zenedge-sim.md)\n"
            "  --soak-round-s N    soak: seconds per round (default 10)\n"
            "  --version, --help\n"
            "Numbers are decimal (08 is eight, 010 is ten). FILEs are opened before the\n"
            "run: one that cannot be written stops it at once. SIGINT/SIGTERM stop the\n"
            "tasks (their jobs in flight are collected), print the report, remove the\n"
            "region and exit 128+signal.\n"
            "\n",
            ZENEDGE_MODELS_DIR, (unsigned)ZEN_CFG_MAX_JOBS);
}

static void usage_spec(FILE *f)
{
    fprintf(f, "SPEC is comma-separated key=value:\n"
               "  name=NAME           task and contract name (required)\n"
               "  qos=rt|high|normal|background   QoS class (default normal)\n"
               "  model=A[+B...]      models the task runs, in turn, by manifest name\n"
               "                      (required)\n"
               "  count=N             jobs to submit (default 100; a classifier alone: its\n"
               "                      held-out set size)\n"
               "  inflight=N          contract's max jobs in flight (default 4)\n"
               "  depth=N             jobs the task keeps in flight (default = inflight; a\n"
               "                      larger depth shows in-flight-limit rejections)\n"
               "  deadline_ms=N       per-job deadline (default 2000)\n"
               "  allow=A[+B...]      models the contract allows (default: the task's)\n"
               "  budget_us=N         backend time budget per period (default 0 = none)\n"
               "  period_ms=N         budget period (default 100)\n"
               "  rate_hz=N           submissions per second (0 = closed loop, default)\n"
               "  phase_ms=N          submit only in alternate windows of N ms counted from\n"
               "                      the start of the tasks: off, on, off, on... (0 = always,\n"
               "                      default); in an off window the task collects its jobs\n"
               "                      and waits. The round trips of every other task are then\n"
               "                      split by whether a phased task was on (\"with\") or none\n"
               "                      was on nor had a job in flight (\"without\")\n"
               "  stop_ms=N           submit nothing from N ms after the start of the tasks\n"
               "                      (0 = no limit, default); the jobs of count not yet\n"
               "                      submitted then are not attempted\n"
               "  zero_copy=0|1       1: tensors in buffers kept in the shared heap\n"
               "                      (proxy_buf_alloc, contract_submit_bufs): inputs written\n"
               "                      into them, outputs read from them, no copy by the proxy.\n"
               "                      Needs a single model and depth <= 4; all such tasks\n"
               "                      together at most ZEN_CFG_MAX_BUFS buffers\n"
               "\n"
               "Checks, by the model's [backend.cpu] kernel: vector_add_i32 exactly against\n"
               "a plain C sum; saxpy_f32 and gemm_f32 against plain C with relative\n"
               "tolerance 1e-4 (of max(|ref|, 1)). A classifier (result = argmax and a\n"
               "[dataset], e.g. digits_mlp) runs over its held-out set: the result word\n"
               "must be the argmax of output 0, and the accuracy against the labels is\n"
               "reported. Any other model gets inputs filled by dtype and only its final\n"
               "status is checked.\n"
               "\n"
               "Output: per task the counts (submitted, completed, rejected by reason,\n"
               "failed by status) and p50/p99/max per stage (submit->pickup,\n"
               "pickup->start, backend, end->complete, complete->seen, seen->wake,\n"
               "round trip; from fixed-bucket histograms), then\n"
               "  sim: jobs=N ok=N failed=N rejected=N accuracy=0.XXXX rtt_p50_us=X.X rtt_p99_us=X.X\n"
               "(accuracy=nan without a classifier task). With a phase_ms task, before it,\n"
               "per task without phase_ms (round trips in us; nan without jobs):\n"
               "  split: task=NAME phased=A[+B...] without: p50_us=X p99_us=X jobs=N | with:\n"
               "  p50_us=X p99_us=X jobs=N\n"
               "Exit status (sysexits.h): 0 no job failed; 1 a job failed or gave a wrong\n"
               "result, or a task could not run; 64 usage error (an option, a value, a\n"
               "task spec, a model name); 69 no bridge answered (no READY within\n"
               "--timeout-s, no doorbell socket); 70 internal error; 73 a FILE or the\n"
               "region cannot be created; 77 the region's name belongs to another user;\n"
               "78 the model manifests do not load; 128+N stopped by signal N.\n");
}

void sim_say(const char *fmt, ...)
{
    if (sim.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

const char *sim_qos_name(uint32_t qos)
{
    static const char *const q[] = {"rt", "high", "normal", "background"};
    return qos < IPC_QOS_COUNT ? q[qos] : "?";
}

/* Leading decimal digits of s (at most 10, leading zeros allowed: "08" is
 * 8, "010" is 10; no sign, no space, no base prefix) into *out; *rest
 * after them. false: no digit, or too large for 32 bits. */
static bool decimal(const char *s, uint64_t *out, const char **rest)
{
    uint64_t x = 0;
    const char *p = s;
    while (*p == '0' && p[1] >= '0' && p[1] <= '9')
        p++;
    const char *digits = p;
    for (; *p >= '0' && *p <= '9' && p - digits < 11; p++)
        x = x * 10u + (uint64_t)(*p - '0');
    *out = x;
    *rest = p;
    return p > digits && p - digits <= 10 && x <= 0xFFFFFFFFu;
}

/* A whole decimal number in [lo, hi] for option or key k: 0, or -1 after
 * one line naming k, the value and the limits. */
static int num_u32(const char *k, const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint64_t x;
    const char *rest;
    if (!decimal(v, &x, &rest) || *rest || x < lo || x > hi) {
        fprintf(stderr, "zenedge-sim: %s '%s': not a decimal number in [%u, %u] (see --help)\n", k, v, lo, hi);
        return -1;
    }
    *out = (uint32_t)x;
    return 0;
}

static int parse_u32(const char *k, const char *v, uint32_t *out)
{
    return num_u32(k, v, 0, 0xFFFFFFFFu, out);
}

/* A model list A[+B...]: kept as given, counted; the names are resolved
 * against the manifests later. */
static int parse_model_list(const char *v, char **keep, uint32_t *n, const char *spec)
{
    *n = 0;
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, "+");
        if (len)
            (*n)++;
        p += len + (p[len] == '+');
    }
    if (*n > ZEN_CFG_CONTRACT_MODELS) {
        fprintf(stderr, "zenedge-sim: task '%s' lists more than %u models\n", spec, (unsigned)ZEN_CFG_CONTRACT_MODELS);
        return -1;
    }
    free(*keep);
    *keep = strdup(v);
    return *n ? 0 : -1;
}

static int parse_qos(const char *v, uint32_t *qos)
{
    for (uint32_t i = 0; i < IPC_QOS_COUNT; i++)
        if (strcmp(v, sim_qos_name(i)) == 0) {
            *qos = i;
            return 0;
        }
    fprintf(stderr, "zenedge-sim: qos=%s is not rt|high|normal|background\n", v);
    return -1;
}

/* One key=value of a spec. */
static int parse_key(task_t *t, const char *k, char *v, const char *spec)
{
    static const struct {
        const char *key;
        size_t off;
    } nums[] = {
        {"count", offsetof(task_t, count)},         {"inflight", offsetof(task_t, inflight)},
        {"depth", offsetof(task_t, depth)},         {"deadline_ms", offsetof(task_t, deadline_ms)},
        {"budget_us", offsetof(task_t, budget_us)}, {"period_ms", offsetof(task_t, period_ms)},
        {"rate_hz", offsetof(task_t, rate_hz)},     {"zero_copy", offsetof(task_t, zero_copy)},
        {"phase_ms", offsetof(task_t, phase_ms)},   {"stop_ms", offsetof(task_t, stop_ms)},
    };
    if (strcmp(k, "name") == 0) {
        snprintf(t->name, sizeof(t->name), "%s", v);
        return 0;
    }
    if (strcmp(k, "qos") == 0)
        return parse_qos(v, &t->qos);
    if (strcmp(k, "model") == 0)
        return parse_model_list(v, &t->model_spec, &t->n_models, spec);
    if (strcmp(k, "allow") == 0)
        return parse_model_list(v, &t->allow_spec, &t->n_allow, spec);
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        if (strcmp(k, nums[i].key) == 0)
            return parse_u32(k, v, (uint32_t *)((char *)t + nums[i].off));
    fprintf(stderr, "zenedge-sim: unknown key '%s' in task '%s'\n", k, spec);
    return -1;
}

/* The limits a spec must keep whatever its models. */
static int check_task(task_t *t, const char *spec)
{
    if (!t->name[0] || !t->n_models) {
        fprintf(stderr, "zenedge-sim: task '%s' needs name= and model=\n", spec);
        return -1;
    }
    if (t->inflight == 0 || t->inflight > SIM_MAX_DEPTH || t->depth > SIM_MAX_DEPTH || t->deadline_ms == 0 ||
        t->deadline_ms > ZEN_CFG_MAX_DEADLINE_US / 1000u || (t->budget_us && t->period_ms == 0)) {
        fprintf(stderr,
                "zenedge-sim: task '%s': inflight and depth must be in [1, %u], deadline_ms in [1, %u], "
                "period_ms > 0 with a budget\n",
                spec, (unsigned)SIM_MAX_DEPTH, (unsigned)(ZEN_CFG_MAX_DEADLINE_US / 1000u));
        return -1;
    }
    if (t->depth == 0)
        t->depth = t->inflight;
    if (t->zero_copy > 1u || (t->zero_copy && (t->n_models != 1 || t->depth > SIM_ZC_DEPTH))) {
        fprintf(stderr,
                "zenedge-sim: task '%s': zero_copy=%u needs zero_copy 0 or 1, one model (has %u) and "
                "depth <= %u (has %u)\n",
                spec, (unsigned)t->zero_copy, (unsigned)t->n_models, (unsigned)SIM_ZC_DEPTH, (unsigned)t->depth);
        return -1;
    }
    return 0;
}

static int parse_task(const char *spec)
{
    if (sim.n_tasks >= SIM_MAX_TASKS) {
        fprintf(stderr, "zenedge-sim: at most %d tasks\n", SIM_MAX_TASKS);
        return -1;
    }
    task_t *t = &sim.tasks[sim.n_tasks];
    memset(t, 0, sizeof(*t));
    t->qos = IPC_QOS_NORMAL;
    t->count = SIM_COUNT_UNSET;
    t->inflight = 4;
    t->deadline_ms = 2000;
    t->period_ms = 100;
    char *copy = strdup(spec);
    int rc = 0;
    for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv && rc == 0; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "zenedge-sim: '%s' in task '%s' is not key=value\n", kv, spec);
            rc = -1;
            break;
        }
        *eq = 0;
        rc = parse_key(t, kv, eq + 1, spec);
    }
    free(copy);
    if (rc == 0)
        rc = check_task(t, spec);
    if (rc) {
        free(t->model_spec);
        free(t->allow_spec);
        memset(t, 0, sizeof(*t));
        return -1;
    }
    sim.n_tasks++;
    return 0;
}

static int parse_size(const char *arg)
{
    uint64_t v;
    const char *end;
    bool ok = decimal(arg, &v, &end);
    if (*end == 'k' || *end == 'K') {
        v <<= 10;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        v <<= 20;
        end++;
    }
    if (!ok || *end || v < 65536 || v > IPC_REGION_MAX_SIZE) {
        fprintf(stderr,
                "zenedge-sim: --size '%s': not a decimal byte count in [65536, %u] (suffixes k, M) (see --help)\n", arg,
                IPC_REGION_MAX_SIZE);
        return -1;
    }
    sim.size = (size_t)v;
    return 0;
}

/* --timeout-s: decimal seconds, a fraction allowed, in (0, 3600]. */
static int parse_seconds(const char *arg)
{
    uint64_t whole;
    const char *p;
    bool ok = decimal(arg, &whole, &p);
    if (ok && *p == '.') {
        const char *f = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        ok = p > f;
    }
    double s = ok && !*p ? strtod(arg, NULL) : 0;
    if (!(s > 0 && s <= 3600)) {
        fprintf(stderr, "zenedge-sim: --timeout-s '%s': not decimal seconds in (0, 3600] (see --help)\n", arg);
        return -1;
    }
    sim.timeout_s = s;
    return 0;
}

/* --shm-mode: octal, owner read-write, no write for others (as
 * zenedge-bridged's --shm-mode). */
static int parse_mode(const char *arg)
{
    char *end;
    errno = 0;
    unsigned long m = strtoul(arg, &end, 8);
    if (errno || *end || end == arg || arg[0] < '0' || arg[0] > '7' || m > 0777 || (m & 0600) != 0600 || (m & 0002)) {
        fprintf(stderr,
                "zenedge-sim: --shm-mode '%s': not an octal mode with owner read-write and no write for others "
                "(e.g. 0600, 0660) (see --help)\n",
                arg);
        return -1;
    }
    sim.shm_mode = (unsigned)m;
    return 0;
}

/* One option with a value; -1 to go on, else the exit status. */
static int parse_value(int o, const char *arg)
{
    int bad = 0;
    switch (o) {
    case 's': sim.shm = arg; break;
    case 'z': bad = parse_size(arg); break;
    case 'd':
        sim.mode = ipc_db_mode_parse(arg);
        if (sim.mode < 0) {
            fprintf(stderr, "zenedge-sim: --doorbell '%s': not poll|eventfd|adaptive (see --help)\n", arg);
            bad = -1;
        }
        break;
    case 'k': sim.socket = arg; break;
    case 'U': sim.allow_uid = arg; break;
    case 'G': sim.allow_gid = arg; break;
    case 'M': bad = parse_mode(arg); break;
    case 'g': {
        gid_t g;
        char why[256];
        if ((bad = zl_group_parse(arg, &g, why, sizeof(why))) != 0)
            fprintf(stderr, "zenedge-sim: --shm-group '%s': %s (see --help)\n", arg, why);
        sim.shm_group = (long)g;
        break;
    }
    case 'c': {
        uint32_t cpu;
        bad = num_u32("--cpu", arg, 0, CPU_SETSIZE - 1, &cpu);
        sim.cpu = (int)cpu;
        break;
    }
    case 'H': sim.hist_path = arg; break;
    case 'R': sim.trace_path = arg; break;
    case 'O': bad = num_u32("--soak", arg, 1, 604800, &sim.soak_s); break;
    case 'X': bad = num_u32("--soak-round-s", arg, 1, 604800, &sim.soak_round_s); break;
    case 'm': sim.models_dir = arg; break;
    case 't': bad = parse_task(arg); break;
    case 'T': bad = parse_seconds(arg); break;
    case 'S': bad = num_u32("--spin-us", arg, 0, 1000000, &sim.spin_us); break;
    case 'J': bad = num_u32("--max-jobs", arg, 1, ZEN_CFG_MAX_JOBS, &sim.max_jobs); break;
    case 'Q':
        bad = num_u32("--sq-slots", arg, IPC_RING_MIN_SLOTS, IPC_RING_MAX_SLOTS, &sim.sq_slots);
        if (!bad && !ipc_is_pow2(sim.sq_slots)) {
            fprintf(stderr, "zenedge-sim: --sq-slots '%s': not a power of two in [2, 65536] (see --help)\n", arg);
            bad = -1;
        }
        break;
    default: return -2;
    }
    return bad ? EX_USAGE : -1;
}

/* One option; -1 to go on, else the exit status. */
static int parse_option(int o, const char *arg, const char *word)
{
    int rc = parse_value(o, arg);
    if (rc != -2)
        return rc;
    switch (o) {
    case 'q': sim.quiet = 1; return -1;
    case 'h':
        usage_options(stdout);
        usage_spec(stdout);
        return 0;
    case 'V':
        printf("zenedge-sim %s (protocol %u.%u)\n", ZENEDGE_VERSION, IPC_VERSION_MAJOR, IPC_VERSION_MINOR);
        return 0;
    case ':': fprintf(stderr, "zenedge-sim: %s needs a value (see --help)\n", word); return EX_USAGE;
    default: fprintf(stderr, "zenedge-sim: unknown option '%s' (see --help)\n", word); return EX_USAGE;
    }
}

int sim_cli_parse(int argc, char **argv)
{
    static const struct option opts[] = {
        {"shm", required_argument, 0, 's'},
        {"size", required_argument, 0, 'z'},
        {"doorbell", required_argument, 0, 'd'},
        {"socket", required_argument, 0, 'k'},
        {"allow-uid", required_argument, 0, 'U'},
        {"allow-gid", required_argument, 0, 'G'},
        {"cpu", required_argument, 0, 'c'},
        {"models", required_argument, 0, 'm'},
        {"task", required_argument, 0, 't'},
        {"timeout-s", required_argument, 0, 'T'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {"spin-us", required_argument, 0, 'S'},
        {"max-jobs", required_argument, 0, 'J'},
        {"sq-slots", required_argument, 0, 'Q'},
        {"hist", required_argument, 0, 'H'},
        {"shm-mode", required_argument, 0, 'M'},
        {"shm-group", required_argument, 0, 'g'},
        {"trace", required_argument, 0, 'R'},
        {"version", no_argument, 0, 'V'},
        {"soak", required_argument, 0, 'O'},
        {"soak-round-s", required_argument, 0, 'X'},
        {0, 0, 0, 0},
    };
    int o, rc;
    default_models();
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1)
        if ((rc = parse_option(o, optarg, argv[optind - 1])) >= 0)
            return rc;
    if (optind < argc || !sim.shm) {
        if (sim.shm)
            fprintf(stderr, "zenedge-sim: unexpected argument '%s' (see --help)\n", argv[optind]);
        else
            fprintf(stderr, "zenedge-sim: --shm NAME is required (see --help)\n");
        return EX_USAGE;
    }
    if (sim.shm_mode == 0)
        sim.shm_mode = sim.shm_group >= 0 ? 0660 : 0600;
    if ((sim.shm_mode & 0020) && sim.shm_group < 0) {
        fprintf(stderr, "zenedge-sim: --shm-mode %04o lets the group write: give --shm-group (see --help)\n",
                sim.shm_mode);
        return EX_USAGE;
    }
    if (sim.n_tasks == 0) {
        static const char *const defaults[] = {
            "name=vector_add,qos=high,model=vector_add,count=100", "name=saxpy,qos=normal,model=saxpy,count=100",
            "name=gemm,qos=background,model=gemm,count=50", "name=digits,qos=rt,model=digits_mlp"};
        for (int i = 0; i < 4; i++)
            parse_task(defaults[i]);
    }
    return -1;
}
