/*
 * bench_main.c - zenedge-bench: command line, the paired harness (two
 * pinned processes, alternating short phases), statistics, ratios, and
 * the table / JSON / CSV output.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zl.h"
#include "zenedge/barrier.h"

#define PHASE_TIMEOUT_S  30u

#ifndef ZENEDGE_BENCH_MODELS_DIR
#define ZENEDGE_BENCH_MODELS_DIR "models"
#endif

#ifndef ZENEDGE_BENCH_CORE_BUILD
#define ZENEDGE_BENCH_CORE_BUILD "zenedge_core"
#endif

/* ---------------------------------------------------------------------- */
/* Ratios: taken per round between two neighbouring phases                */
/* ---------------------------------------------------------------------- */

typedef enum ratio_cmp { CMP_NONE = 0, CMP_AT_MOST, CMP_AT_LEAST } ratio_cmp_t;

typedef struct ratio_def {
    const char *key;
    const char *num;        /* item key: ours */
    const char *den;        /* item key: the reference */
    bool        throughput; /* true: num throughput / den throughput (higher is better);
                               false: num time / den time (lower is better) */
    ratio_cmp_t cmp;
    double      target;
    const char *meaning;
} ratio_def_t;

static const ratio_def_t ratio_defs[] = {
    { "polled_rtt_vs_raw", "ours_poll_rtt", "raw_rtt", false, CMP_AT_MOST, 1.5,
      "polled PING RTT / raw cache-line RTT" },
    { "stream32_vs_rte_ring", "ours_stream_b32", "rte_ring_stream_b32", true, CMP_AT_LEAST, 1.0,
      "throughput at batch 32: ours / rte_ring" },
    { "eventfd_rtt_vs_raw_eventfd", "ours_eventfd_rtt", "eventfd_rtt", false, CMP_AT_MOST, 1.2,
      "eventfd-doorbell PING RTT / raw eventfd RTT" },
    { "adaptive_rtt_vs_polled", "ours_adaptive_busy_rtt", "ours_poll_rtt", false, CMP_AT_MOST, 1.5,
      "adaptive PING RTT, peer busy / polled PING RTT" },
    { "stream1_vs_rte_ring", "ours_stream_b1", "rte_ring_stream_b1", true, CMP_NONE, 0,
      "throughput at batch 1: ours / rte_ring" },
    { "stream8_vs_rte_ring", "ours_stream_b8", "rte_ring_stream_b8", true, CMP_NONE, 0,
      "throughput at batch 8: ours / rte_ring" },
    { "polled_rtt_vs_rte_ring", "ours_poll_rtt", "rte_ring_rtt", false, CMP_NONE, 0,
      "polled PING RTT / rte_ring RTT" },
    { "adaptive_sleep_rtt_vs_raw_eventfd", "ours_adaptive_sleep_rtt", "eventfd_rtt", false, CMP_NONE, 0,
      "adaptive PING RTT, peer asleep / raw eventfd RTT" },
    { "unix_rtt_vs_raw_eventfd", "unix_rtt", "eventfd_rtt", false, CMP_NONE, 0,
      "UNIX socket RTT / raw eventfd RTT (alternatives compared)" },
    { "layout_rtt_new_vs_orig", "layout_new_rtt", "layout_orig_rtt", false, CMP_NONE, 0,
      "layout: PING RTT, split lines / original packed" },
    { "layout_stream1_new_vs_orig", "layout_new_stream_b1", "layout_orig_stream_b1", true, CMP_NONE, 0,
      "layout: throughput at batch 1, split lines / original packed" },
    { "layout_stream32_new_vs_orig", "layout_new_stream_b32", "layout_orig_stream_b32", true, CMP_NONE, 0,
      "layout: throughput at batch 32, split lines / original packed" },
    { "core_vs_layout_new_stream32", "ours_stream_b32", "layout_new_stream_b32", true, CMP_NONE, 0,
      "throughput at batch 32: ipc_ring (validating) / bare copy of its layout" },
};
#define N_RATIOS (sizeof(ratio_defs) / sizeof(ratio_defs[0]))

typedef struct summary {
    double median, min, max;
    uint32_t n;
} summary_t;

typedef struct results {
    uint32_t rounds;
    double  *value;     /* [item][round]: ns per RTT or per packet; NAN if not run */
    double  *dbpp;      /* [item][round]: eventfd writes per packet */
    bool    *run;       /* [item]: measured */
    const char **skip;  /* [item]: reason, if skipped */
    summary_t *item_sum;
    summary_t *db_sum;
    summary_t ratio_sum[N_RATIOS];
    summary_t ratio_cls[N_RATIOS][3];   /* by placement class of the round */
    uint32_t  cls_rounds[3];
    uint64_t errors;
    bench_e2e_t e2e;
} results_t;

#define E2E_TARGET_US 2.0

/* Headlines: the largest of the CPU backend's per-model overheads (every
 * model must meet the target), for the in-place path (e2e_cpu_overhead_us)
 * or the copying one (e2e_cpu_copy_overhead_us); NAN if none was measured. */
static double e2e_cpu_headline(const bench_e2e_t *e, bool copy)
{
    double v = NAN;
    for (uint32_t i = 0; i < e->n_rows; i++) {
        double x = copy ? e->row[i].overhead_us : e->row[i].overhead_ip_us;
        if (strcmp(e->row[i].backend, "cpu") == 0 && !isnan(x) && (isnan(v) || x > v))
            v = x;
    }
    return v;
}

static const char *const e2e_stage_names[E2E_ST_COUNT] = {
    "call->submit", "submit->pickup", "pickup->backend", "backend", "backend->complete",
    "complete->seen", "seen->return",
};

/* Placement of the two vCPUs in a round, told by that round's raw RTT
 * (this machine shows about 60, 130 or 490 ns). */
#define PLACE_NEAR_NS  95.0
#define PLACE_FAR_NS   300.0
static const char *const place_names[3] = { "near", "mid", "far" };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static summary_t summarise(const double *v, uint32_t n, double *scratch)
{
    summary_t s = { NAN, NAN, NAN, 0 };
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            scratch[k++] = v[i];
    if (k == 0)
        return s;
    qsort(scratch, k, sizeof(double), cmp_double);
    s.n = k;
    s.min = scratch[0];
    s.max = scratch[k - 1];
    s.median = (k & 1u) ? scratch[k / 2] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
    return s;
}

static int item_index(const char *key)
{
    for (size_t i = 0; i < bench_n_items; i++)
        if (strcmp(bench_items[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* ---------------------------------------------------------------------- */
/* Machine description                                                     */
/* ---------------------------------------------------------------------- */

typedef struct machine {
    char cpu_model[128];
    long n_cpus;
    char kernel[256];
    char date[64];
} machine_t;

static void machine_read(machine_t *m)
{
    snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof(line), f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *p = strchr(line, ':');
                if (p) {
                    p++;
                    while (*p == ' ' || *p == '\t')
                        p++;
                    p[strcspn(p, "\n")] = '\0';
                    snprintf(m->cpu_model, sizeof(m->cpu_model), "%s", p);
                }
                break;
            }
        }
        fclose(f);
    }
    m->n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname, u.release, u.machine);
    else
        snprintf(m->kernel, sizeof(m->kernel), "unknown");
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* ---------------------------------------------------------------------- */
/* Watchdog: a phase that does not end is a bug, never a hang              */
/* ---------------------------------------------------------------------- */

static volatile sig_atomic_t watchdog_child = 0;
static const char *volatile watchdog_item = "setup";

static void watchdog_fire(int sig)
{
    (void)sig;
    static const char msg1[] = "zenedge-bench: a phase did not finish within the watchdog time, item ";
    static const char msg2[] = "; stopping\n";
    ssize_t r = write(2, msg1, sizeof(msg1) - 1);
    const char *it = watchdog_item;
    r = write(2, it, strlen(it));
    r = write(2, msg2, sizeof(msg2) - 1);
    (void)r;
    if (watchdog_child > 0)
        kill((pid_t)watchdog_child, SIGKILL);
    _exit(1);
}

/* ---------------------------------------------------------------------- */
/* The follower process (bridge side)                                      */
/* ---------------------------------------------------------------------- */

static int follower_main(bench_ctx_t *c, pid_t parent)
{
    /* Never outlive the leader. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        return 1;
    int r = zl_pin_cpu(c->opt->cpu_follow);
    if (r != 0 && !c->opt->no_pin) {
        fprintf(stderr, "zenedge-bench: cannot pin the bridge side to CPU %d: %s\n",
                c->opt->cpu_follow, strerror(-r));
        return 1;
    }
    if (bench_attach(c, BENCH_FOLLOWER) != 0)
        return 1;
    ipc_store_release(&c->sh->ready, 1u);

    uint32_t last = 0;
    for (;;) {
        uint32_t s;
        /* A4: pairs with the leader's release of seq; publishes item/ops/arg. */
        while ((s = ipc_load_acquire(&c->sh->seq)) == last)
            ipc_cpu_relax();
        last = s;
        uint32_t item = ipc_read_once(&c->sh->item);
        uint32_t ops = ipc_read_once(&c->sh->ops);
        uint32_t arg = ipc_read_once(&c->sh->arg);
        if (item == BENCH_QUIT) {
            ipc_store_release(&c->sh->ack, s);
            return 0;
        }
        if (item >= bench_n_items) {
            fprintf(stderr, "zenedge-bench: item %u >= %zu\n", item, bench_n_items);
            return 1;
        }
        uint32_t errors = 0, doorbells = 0;
        const bench_item_t *it = &bench_items[item];
        if (it->follow(c, it, ops, arg, &errors, &doorbells) != 0)
            return 1;   /* the leader's watchdog reports it */
        ipc_write_once(&c->sh->errors, errors);
        ipc_write_once(&c->sh->doorbells, doorbells);
        ipc_store_release(&c->sh->ack, s);   /* R3: publishes errors/doorbells; pairs with A3 */
    }
}

/* ---------------------------------------------------------------------- */
/* The leader (zenedge side): rounds of phases                             */
/* ---------------------------------------------------------------------- */

static uint32_t ops_of(const bench_opts_t *o, const bench_item_t *it)
{
    switch (it->opsclass) {
    case BENCH_OPS_RTT:    return o->rtt_ops;
    case BENCH_OPS_BLOCK:  return o->block_ops;
    case BENCH_OPS_SLEEP:  return o->sleep_ops;
    case BENCH_OPS_STREAM: return o->stream_ops;
    }
    return 1;
}

static void post_phase(bench_ctx_t *c, uint32_t item, uint32_t ops)
{
    ipc_write_once(&c->sh->item, item);
    ipc_write_once(&c->sh->ops, ops);
    ipc_write_once(&c->sh->arg, 0u);
    c->phase_seq++;
    ipc_store_release(&c->sh->seq, c->phase_seq);   /* R4: pairs with A4 */
}

static int run_phase(bench_ctx_t *c, size_t i, results_t *res, uint32_t round)
{
    const bench_item_t *it = &bench_items[i];
    uint32_t ops = ops_of(c->opt, it);
    bench_sample_t s = { 0, ops, 0, 0 };
    watchdog_item = it->key;
    alarm(PHASE_TIMEOUT_S);
    post_phase(c, (uint32_t)i, ops);
    if (it->lead(c, it, ops, &s) != 0)
        return -1;
    bench_wait_ack(c, c->phase_seq);
    alarm(0);
    uint32_t ferr = ipc_read_once(&c->sh->errors);
    uint32_t fdb = ipc_read_once(&c->sh->doorbells);
    res->errors += (uint64_t)s.errors + ferr;
    if (s.errors || ferr)
        fprintf(stderr, "zenedge-bench: %s round %u: %u wrong packets (zenedge side %u, bridge side %u)\n",
                it->key, round, s.errors + ferr, s.errors, ferr);
    double pkts = it->kind == BENCH_RTT ? 2.0 * ops : (double)ops;
    res->value[i * res->rounds + round] = ops ? (double)s.ns / ops : NAN;
    res->dbpp[i * res->rounds + round] = pkts > 0 ? (s.doorbells + fdb) / pkts : NAN;
    return 0;
}

static bool item_selected(const bench_opts_t *o, const bench_item_t *it)
{
    return o->only == NULL || strstr(it->key, o->only) != NULL;
}

static int leader_run(bench_ctx_t *c, results_t *res, bool progress)
{
    const bench_opts_t *o = c->opt;
    for (size_t i = 0; i < bench_n_items; i++) {
        const bench_item_t *it = &bench_items[i];
        res->skip[i] = it->unavailable ? it->unavailable(c) : NULL;
        if (!res->skip[i] && !item_selected(o, it))
            res->skip[i] = "not selected (--only)";
        res->run[i] = res->skip[i] == NULL;
    }
    uint64_t t_start = zl_now_ns(), t_last = t_start;
    for (uint32_t r = 0; r < res->rounds; r++) {
        /* ABBA order: odd rounds run the items backwards, so a slow drift
         * within a round does not favour the item that runs first. */
        for (size_t k = 0; k < bench_n_items; k++) {
            size_t i = (r & 1u) ? bench_n_items - 1 - k : k;
            if (res->run[i] && run_phase(c, i, res, r) != 0)
                return -1;
        }
        uint64_t now = zl_now_ns();
        if (progress && now - t_last > 2000000000ull) {
            fprintf(stderr, "zenedge-bench: round %u/%u, %.0f s\n", r + 1, res->rounds,
                    (double)(now - t_start) / 1e9);
            t_last = now;
        }
    }
    return 0;
}

static void compute(results_t *res)
{
    double *scratch = calloc(res->rounds + 1, sizeof(double));
    double *ratio = calloc(res->rounds + 1, sizeof(double));
    if (!scratch || !ratio) {
        free(scratch);
        free(ratio);
        return;
    }
    for (size_t i = 0; i < bench_n_items; i++) {
        res->item_sum[i] = summarise(&res->value[i * res->rounds], res->rounds, scratch);
        res->db_sum[i] = summarise(&res->dbpp[i * res->rounds], res->rounds, scratch);
    }
    int raw = item_index("raw_rtt");
    int *cls = calloc(res->rounds + 1, sizeof(int));
    double *sub = calloc(res->rounds + 1, sizeof(double));
    if (!cls || !sub) {
        free(cls);
        free(sub);
        free(scratch);
        free(ratio);
        return;
    }
    for (uint32_t r = 0; r < res->rounds; r++) {
        double v = (raw >= 0 && res->run[raw]) ? res->value[(size_t)raw * res->rounds + r] : NAN;
        cls[r] = isnan(v) ? -1 : v < PLACE_NEAR_NS ? 0 : v < PLACE_FAR_NS ? 1 : 2;
        if (cls[r] >= 0)
            res->cls_rounds[cls[r]]++;
    }
    for (size_t k = 0; k < N_RATIOS; k++) {
        const ratio_def_t *d = &ratio_defs[k];
        int a = item_index(d->num), b = item_index(d->den);
        res->ratio_sum[k] = (summary_t){ NAN, NAN, NAN, 0 };
        for (int p = 0; p < 3; p++)
            res->ratio_cls[k][p] = (summary_t){ NAN, NAN, NAN, 0 };
        if (a < 0 || b < 0 || !res->run[a] || !res->run[b])
            continue;
        for (uint32_t r = 0; r < res->rounds; r++) {
            double x = res->value[(size_t)a * res->rounds + r];
            double y = res->value[(size_t)b * res->rounds + r];
            ratio[r] = (isnan(x) || isnan(y) || x <= 0 || y <= 0) ? NAN : (d->throughput ? y / x : x / y);
        }
        res->ratio_sum[k] = summarise(ratio, res->rounds, scratch);
        for (int p = 0; p < 3; p++) {
            for (uint32_t r = 0; r < res->rounds; r++)
                sub[r] = cls[r] == p ? ratio[r] : NAN;
            res->ratio_cls[k][p] = summarise(sub, res->rounds, scratch);
        }
    }
    free(cls);
    free(sub);
    free(scratch);
    free(ratio);
}

/* ---------------------------------------------------------------------- */
/* Output                                                                  */
/* ---------------------------------------------------------------------- */

static const char *unit_of(const bench_item_t *it)
{
    return it->kind == BENCH_RTT ? "ns/rtt" : "ns/pkt";
}

static const char *target_status(const ratio_def_t *d, double v)
{
    if (d->cmp == CMP_NONE)
        return "";
    if (isnan(v))
        return "n/a";
    bool ok = d->cmp == CMP_AT_MOST ? v <= d->target : v >= d->target;
    return ok ? "met" : "NOT met";
}

static void print_table(FILE *f, const bench_opts_t *o, const machine_t *m, const results_t *res)
{
    char pair[32];
    snprintf(pair, sizeof(pair), "%d,%d", o->cpu_lead, o->cpu_follow);
    fprintf(f, "zenedge-bench %s  %s  (%ld CPUs, %s)\n", BENCH_VERSION, m->cpu_model, m->n_cpus, m->kernel);
    fprintf(f, "date %s  cpus %s (zenedge side %d, bridge side %d)  %s run: %u rounds, "
               "phases of %u RTT / %u blocking RTT / %u sleeping RTT / %u packets\n",
            m->date, pair, o->cpu_lead, o->cpu_follow, o->selftest ? "selftest" : o->quick ? "quick" : "full",
            res->rounds, o->rtt_ops, o->block_ops, o->sleep_ops, o->stream_ops);
    fprintf(f, "ring code: %s; adaptive spin %llu us, idle gap %llu us\n", ZENEDGE_BENCH_CORE_BUILD,
            (unsigned long long)(o->spin_ns / 1000u), (unsigned long long)(o->gap_ns / 1000u));
    fprintf(f, "\n%-44s %-5s %10s %10s %10s %-7s %8s %7s %6s\n", "item", "cpus", "median", "min", "max",
            "unit", "Mpkt/s", "db/pkt", "phases");
    const char *group = "";
    for (size_t i = 0; i < bench_n_items; i++) {
        const bench_item_t *it = &bench_items[i];
        if (strcmp(group, it->group) != 0) {
            group = it->group;
            fprintf(f, "[%s]\n", group);
        }
        if (!res->run[i]) {
            fprintf(f, "%-44s %-5s %s\n", it->label, pair, res->skip[i]);
            continue;
        }
        const summary_t *s = &res->item_sum[i];
        char rate[16] = "-", db[16] = "-";
        if (it->kind == BENCH_STREAM && s->median > 0)
            snprintf(rate, sizeof(rate), "%.1f", 1000.0 / s->median);
        if (it->counts_doorbells)
            snprintf(db, sizeof(db), "%.3f", res->db_sum[i].median);
        fprintf(f, "%-44s %-5s %10.1f %10.1f %10.1f %-7s %8s %7s %6u\n", it->label, pair, s->median, s->min,
                s->max, unit_of(it), rate, db, s->n);
    }
    fprintf(f, "\n%-40s %-5s %8s %8s %8s %-9s %-8s %s\n", "ratio (per round, then summarised)", "cpus",
            "median", "min", "max", "target", "status", "meaning");
    for (size_t k = 0; k < N_RATIOS; k++) {
        const ratio_def_t *d = &ratio_defs[k];
        const summary_t *s = &res->ratio_sum[k];
        char tgt[16] = "-";
        if (d->cmp != CMP_NONE)
            snprintf(tgt, sizeof(tgt), "%s %.1f", d->cmp == CMP_AT_MOST ? "<=" : ">=", d->target);
        if (s->n == 0)
            fprintf(f, "%-40s %-5s %8s %8s %8s %-9s %-8s %s\n", d->key, pair, "-", "-", "-", tgt, "n/a", d->meaning);
        else
            fprintf(f, "%-40s %-5s %8.3f %8.3f %8.3f %-9s %-8s %s\n", d->key, pair, s->median, s->min, s->max,
                    tgt, target_status(d, s->median), d->meaning);
    }
    int ab = item_index("ours_adaptive_busy_rtt");
    if (ab >= 0 && res->run[ab])
        fprintf(f, "%-40s %-5s %8.3f %8.3f %8.3f %-9s %-8s %s\n", "adaptive_busy_eventfd_writes_per_pkt", pair,
                res->db_sum[ab].median, res->db_sum[ab].min, res->db_sum[ab].max, "== 0",
                res->db_sum[ab].median == 0.0 ? "met" : "NOT met",
                "system calls per packet while the peer is busy");
    for (uint32_t i = 0; i < res->e2e.n_rows; i++) {
        const bench_e2e_row_t *w = &res->e2e.row[i];
        bool cpu = strcmp(w->backend, "cpu") == 0;   /* the target is stated for the CPU backend */
        for (int copy = 0; copy < 2; copy++) {
            char key[80];
            double v = copy ? w->overhead_us : w->overhead_ip_us;
            snprintf(key, sizeof(key), "e2e_%s_%s_overhead_us_%s", w->backend, copy ? "copy" : "inplace", w->model);
            fprintf(f, "%-40s %-5s %8.3f %8s %8s %-9s %-8s %s\n", key, pair, v, "-", "-", cpu ? "<= 2.0" : "-",
                    !cpu ? "" : v <= E2E_TARGET_US ? "met" : "NOT met",
                    copy ? "tensors copied in and out: median(ring) - median(direct), us per job"
                         : "tensor buffers in place: median(ring) - median(direct), us per job");
        }
    }
    for (int copy = 1; copy >= 0; copy--) {
        const char *key = copy ? "e2e_cpu_copy_overhead_us" : "e2e_cpu_overhead_us";
        double h = e2e_cpu_headline(&res->e2e, copy);
        if (isnan(h))
            fprintf(f, "%-40s %-5s %8s %8s %8s %-9s %-8s e2e: %s\n", key, pair, "-", "-", "-", "<= 2.0", "n/a",
                    res->e2e.note[0] ? res->e2e.note : "not measured");
        else
            fprintf(f, "%-40s %-5s %8.3f %8s %8s %-9s %-8s %s\n", key, pair, h, "-", "-", "<= 2.0",
                    h <= E2E_TARGET_US ? "met" : "NOT met",
                    copy ? "CPU backend, tensors copied: largest per-model overhead, us"
                         : "CPU backend, tensor buffers in place: largest per-model overhead, us");
    }
    fprintf(f, "\nratio medians by placement of the round (raw RTT: near < %.0f ns <= mid < %.0f ns <= far)\n",
            PLACE_NEAR_NS, PLACE_FAR_NS);
    fprintf(f, "%-40s %-5s %16s %16s %16s\n", "ratio", "cpus", "near", "mid", "far");
    fprintf(f, "%-40s %-5s %16u %16u %16u\n", "(rounds)", pair, res->cls_rounds[0], res->cls_rounds[1],
            res->cls_rounds[2]);
    for (size_t k = 0; k < N_RATIOS; k++) {
        fprintf(f, "%-40s %-5s", ratio_defs[k].key, pair);
        for (int p = 0; p < 3; p++) {
            const summary_t *s = &res->ratio_cls[k][p];
            if (s->n == 0)
                fprintf(f, " %16s", "-");
            else
                fprintf(f, " %16.3f", s->median);
        }
        fputc('\n', f);
    }
    if (!res->e2e.measured) {
        fprintf(f, "\ne2e: %s (RUN_MODEL through zenedge-bridged versus the CPU backend called in-process)\n",
                res->e2e.note[0] ? res->e2e.note : "not measured");
    } else {
        const bench_e2e_row_t *w0 = &res->e2e.row[0];
        fprintf(f, "\ne2e: RUN_MODEL through the ring (zenedge side on CPU %d, polled contract_wait; the bridge "
                   "dispatcher bridge_dispatch_run, poll doorbell, forked for the whole section on CPU %d) versus "
                   "direct (the same backend's submit + poll in-process on CPU %d). ring copy: "
                   "contract_submit_job, inputs copied into the heap and outputs out of it; ring in place: "
                   "contract_submit_bufs on tensor buffers in the heap, no copy. %u phases of %u jobs per path, "
                   "the three paths in rotating order%s%s\n",
                o->cpu_lead, o->cpu_follow, o->cpu_lead, w0->phases, w0->jobs_per_phase,
                res->e2e.note[0] ? "; " : "", res->e2e.note);
        fprintf(f, "%-24s %-5s %-7s %-13s %10s %10s %10s %9s %9s\n", "e2e (ns per job)", "cpus", "backend", "path",
                "median", "min", "max", "over us", "target");
        for (uint32_t i = 0; i < res->e2e.n_rows; i++) {
            const bench_e2e_row_t *w = &res->e2e.row[i];
            char lab[48];
            snprintf(lab, sizeof(lab), "%s (model %u)", w->model, w->model_id);
            bool cpu = strcmp(w->backend, "cpu") == 0;
            fprintf(f, "%-24s %-5s %-7s %-13s %10.1f %10.1f %10.1f %9s %9s\n", lab, pair, w->backend, "direct",
                    w->direct[0], w->direct[1], w->direct[2], "-", "-");
            for (int copy = 1; copy >= 0; copy--) {
                const double *r = copy ? w->ring : w->ring_ip;
                double ov = copy ? w->overhead_us : w->overhead_ip_us;
                fprintf(f, "%-24s %-5s %-7s %-13s %10.1f %10.1f %10.1f %9.3f %9s\n", lab, pair, w->backend,
                        copy ? "ring copy" : "ring in place", r[0], r[1], r[2], ov,
                        !cpu ? "-" : ov <= E2E_TARGET_US ? "met" : "NOT met");
            }
        }
        fprintf(f, "e2e ring stages (median over phases of the per-phase mean, ns; job descriptor timestamps)\n");
        fprintf(f, "%-14s %-7s %-13s", "model", "backend", "path");
        for (int s = 0; s < E2E_ST_COUNT; s++)
            fprintf(f, " %17s", e2e_stage_names[s]);
        fprintf(f, " %17s\n", "direct backend");
        for (uint32_t i = 0; i < res->e2e.n_rows; i++) {
            const bench_e2e_row_t *w = &res->e2e.row[i];
            for (int copy = 1; copy >= 0; copy--) {
                const double *st = copy ? w->stage : w->stage_ip;
                uint32_t bad = copy ? w->bad_times : w->bad_times_ip;
                fprintf(f, "%-14s %-7s %-13s", w->model, w->backend, copy ? "ring copy" : "ring in place");
                for (int s = 0; s < E2E_ST_COUNT; s++)
                    fprintf(f, " %17.1f", st[s]);
                fprintf(f, " %17.1f\n", w->direct_backend_ns);
                if (bad)
                    fprintf(f, "  (%u ring jobs had unusable stage times and are left out of the stages)\n", bad);
            }
        }
        fprintf(f, "e2e errors: %llu wrong answers\n", (unsigned long long)res->e2e.errors);
    }
    fprintf(f, "errors: %llu wrong packets\n", (unsigned long long)res->errors);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.6g", v);
}

static void json_summary(FILE *f, const summary_t *s)
{
    fputs("{\"median\": ", f);
    json_num(f, s->median);
    fputs(", \"min\": ", f);
    json_num(f, s->min);
    fputs(", \"max\": ", f);
    json_num(f, s->max);
    fprintf(f, ", \"n\": %u}", s->n);
}

static int write_json(const char *path, const bench_opts_t *o, const machine_t *m, const results_t *res)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "zenedge-bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    char pair[32];
    snprintf(pair, sizeof(pair), "%d,%d", o->cpu_lead, o->cpu_follow);
    fprintf(f, "{\n  \"program\": \"zenedge-bench\",\n  \"version\": \"%s\",\n", BENCH_VERSION);
    fputs("  \"machine\": {\"cpu_model\": ", f);
    json_str(f, m->cpu_model);
    fprintf(f, ", \"cpus_online\": %ld, \"kernel\": ", m->n_cpus);
    json_str(f, m->kernel);
    fputs(", \"date\": ", f);
    json_str(f, m->date);
    fprintf(f, ", \"cpu_pair\": \"%s\", \"cpu_zenedge\": %d, \"cpu_bridge\": %d},\n", pair, o->cpu_lead,
            o->cpu_follow);
    fprintf(f, "  \"config\": {\"mode\": \"%s\", \"rounds\": %u, \"rtt_ops\": %u, \"block_ops\": %u, "
               "\"sleep_ops\": %u, \"stream_ops\": %u, \"spin_ns\": %llu, \"gap_ns\": %llu, \"ring_code\": \"%s\"},\n",
            o->selftest ? "selftest" : o->quick ? "quick" : "full", res->rounds, o->rtt_ops, o->block_ops,
            o->sleep_ops, o->stream_ops, (unsigned long long)o->spin_ns, (unsigned long long)o->gap_ns,
            ZENEDGE_BENCH_CORE_BUILD);
    fputs("  \"ratios\": {", f);
    for (size_t k = 0; k < N_RATIOS; k++) {
        fprintf(f, "%s\n    \"%s\": ", k ? "," : "", ratio_defs[k].key);
        json_num(f, res->ratio_sum[k].n ? res->ratio_sum[k].median : NAN);
    }
    fputs(",\n    \"e2e_cpu_overhead_us\": ", f);
    json_num(f, e2e_cpu_headline(&res->e2e, false));
    fputs(",\n    \"e2e_cpu_copy_overhead_us\": ", f);
    json_num(f, e2e_cpu_headline(&res->e2e, true));
    for (uint32_t i = 0; i < res->e2e.n_rows; i++) {
        fprintf(f, ",\n    \"e2e_%s_inplace_overhead_us_%s\": ", res->e2e.row[i].backend, res->e2e.row[i].model);
        json_num(f, res->e2e.row[i].overhead_ip_us);
        fprintf(f, ",\n    \"e2e_%s_copy_overhead_us_%s\": ", res->e2e.row[i].backend, res->e2e.row[i].model);
        json_num(f, res->e2e.row[i].overhead_us);
    }
    fputs("\n  },\n", f);
    fputs("  \"ratio_details\": {", f);
    for (size_t k = 0; k < N_RATIOS; k++) {
        const ratio_def_t *d = &ratio_defs[k];
        fprintf(f, "%s\n    \"%s\": {\"cpus\": \"%s\", \"num\": \"%s\", \"den\": \"%s\", \"higher_is_better\": %s, "
                   "\"target\": ", k ? "," : "", d->key, pair, d->num, d->den, d->throughput ? "true" : "false");
        if (d->cmp == CMP_NONE)
            fputs("null", f);
        else
            fprintf(f, "\"%s %.2f\"", d->cmp == CMP_AT_MOST ? "<=" : ">=", d->target);
        fputs(", \"status\": ", f);
        json_str(f, res->ratio_sum[k].n ? target_status(d, res->ratio_sum[k].median) : "n/a");
        fputs(", \"summary\": ", f);
        json_summary(f, &res->ratio_sum[k]);
        fputs(", \"meaning\": ", f);
        json_str(f, d->meaning);
        fputc('}', f);
    }
    fprintf(f, "\n  },\n  \"placement\": {\"near_below_ns\": %.0f, \"far_from_ns\": %.0f, \"rounds\": "
               "{\"near\": %u, \"mid\": %u, \"far\": %u},\n    \"ratio_medians\": {",
            PLACE_NEAR_NS, PLACE_FAR_NS, res->cls_rounds[0], res->cls_rounds[1], res->cls_rounds[2]);
    for (size_t k = 0; k < N_RATIOS; k++) {
        fprintf(f, "%s\n      \"%s\": {", k ? "," : "", ratio_defs[k].key);
        for (int p = 0; p < 3; p++) {
            fprintf(f, "%s\"%s\": ", p ? ", " : "", place_names[p]);
            json_num(f, res->ratio_cls[k][p].n ? res->ratio_cls[k][p].median : NAN);
        }
        fputc('}', f);
    }
    fputs("\n    }\n  },\n  \"items\": [", f);
    for (size_t i = 0; i < bench_n_items; i++) {
        const bench_item_t *it = &bench_items[i];
        fprintf(f, "%s\n    {\"key\": \"%s\", \"label\": ", i ? "," : "", it->key);
        json_str(f, it->label);
        fprintf(f, ", \"group\": \"%s\", \"cpus\": \"%s\", \"unit\": \"%s\", \"batch\": %u, ", it->group, pair,
                unit_of(it), it->batch);
        if (!res->run[i]) {
            fputs("\"skipped\": ", f);
            json_str(f, res->skip[i]);
            fputc('}', f);
            continue;
        }
        fputs("\"summary\": ", f);
        json_summary(f, &res->item_sum[i]);
        if (it->kind == BENCH_STREAM) {
            fputs(", \"mpkt_per_s_median\": ", f);
            json_num(f, res->item_sum[i].median > 0 ? 1000.0 / res->item_sum[i].median : NAN);
        }
        if (it->counts_doorbells) {
            fputs(", \"eventfd_writes_per_pkt\": ", f);
            json_summary(f, &res->db_sum[i]);
        }
        fputc('}', f);
    }
    fputs("\n  ],\n  \"e2e\": ", f);
    if (!res->e2e.measured) {
        json_str(f, res->e2e.note[0] ? res->e2e.note : "not measured");
    } else {
        fprintf(f, "{\"target_us\": %.1f, \"cpus\": \"%s\", \"dispatcher\": \"forked for the whole section\", "
                   "\"errors\": %llu, \"note\": ", E2E_TARGET_US, pair, (unsigned long long)res->e2e.errors);
        json_str(f, res->e2e.note);
        fputs(", \"rows\": [", f);
        for (uint32_t i = 0; i < res->e2e.n_rows; i++) {
            const bench_e2e_row_t *w = &res->e2e.row[i];
            fprintf(f, "%s\n    {\"backend\": \"%s\", \"model\": \"%s\", \"model_id\": %u, \"phases\": %u, "
                       "\"jobs_per_phase\": %u, \"unit\": \"ns/job\", \"direct\": ",
                    i ? "," : "", w->backend, w->model, w->model_id, w->phases, w->jobs_per_phase);
            summary_t sd = { w->direct[0], w->direct[1], w->direct[2], w->phases };
            summary_t sr = { w->ring[0], w->ring[1], w->ring[2], w->phases };
            json_summary(f, &sd);
            fputs(", \"ring\": ", f);
            json_summary(f, &sr);
            fputs(", \"ring_inplace\": ", f);
            summary_t si = { w->ring_ip[0], w->ring_ip[1], w->ring_ip[2], w->phases };
            json_summary(f, &si);
            fputs(", \"overhead_us\": ", f);
            json_num(f, w->overhead_us);
            fputs(", \"inplace_overhead_us\": ", f);
            json_num(f, w->overhead_ip_us);
            fputs(", \"direct_backend_ns\": ", f);
            json_num(f, w->direct_backend_ns);
            fputs(", \"ring_stages_ns\": {", f);
            for (int s = 0; s < E2E_ST_COUNT; s++) {
                fprintf(f, "%s\"%s\": ", s ? ", " : "", e2e_stage_names[s]);
                json_num(f, w->stage[s]);
            }
            fputs("}, \"ring_inplace_stages_ns\": {", f);
            for (int s = 0; s < E2E_ST_COUNT; s++) {
                fprintf(f, "%s\"%s\": ", s ? ", " : "", e2e_stage_names[s]);
                json_num(f, w->stage_ip[s]);
            }
            fprintf(f, "}, \"bad_times\": %u, \"bad_times_inplace\": %u}", w->bad_times, w->bad_times_ip);
        }
        fputs("\n  ]}", f);
    }
    fprintf(f, ",\n  \"errors\": %llu\n}\n", (unsigned long long)res->errors);
    if (fclose(f) != 0) {
        fprintf(stderr, "zenedge-bench: writing %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* One line per round, one column per item (ns per RTT or per packet). */
static int write_csv(const char *path, const results_t *res)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "zenedge-bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("round", f);
    for (size_t i = 0; i < bench_n_items; i++)
        fprintf(f, ",%s", bench_items[i].key);
    fputc('\n', f);
    for (uint32_t r = 0; r < res->rounds; r++) {
        fprintf(f, "%u", r);
        for (size_t i = 0; i < bench_n_items; i++) {
            double v = res->value[i * res->rounds + r];
            if (isnan(v))
                fputs(",NaN", f);
            else
                fprintf(f, ",%.2f", v);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "zenedge-bench: writing %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Self-test: the harness moved every packet, and the doorbell counts add  */
/* up where they are deterministic. Functional only; never timed.          */
/* ---------------------------------------------------------------------- */

static int selftest_check(bench_ctx_t *c, const results_t *res)
{
    int fails = 0;
    if (res->errors) {
        fprintf(stderr, "selftest: %llu wrong packets\n", (unsigned long long)res->errors);
        fails++;
    }
    for (size_t i = 0; i < bench_n_items; i++) {
        if (!res->run[i])
            continue;
        if (res->item_sum[i].n != res->rounds) {
            fprintf(stderr, "selftest: %s measured %u of %u rounds\n", bench_items[i].key, res->item_sum[i].n,
                    res->rounds);
            fails++;
        }
    }
    int e = item_index("ours_eventfd_rtt");
    if (e >= 0 && res->run[e] && (res->db_sum[e].min != 1.0 || res->db_sum[e].max != 1.0)) {
        fprintf(stderr, "selftest: eventfd mode rang %.3f..%.3f doorbells per packet, expected exactly 1\n",
                res->db_sum[e].min, res->db_sum[e].max);
        fails++;
    }
    ipc_ring_t *rings[] = { c->view.sq[0], c->view.sq[1], c->view.cq };
    uint32_t slots[] = { c->view.sq_slots, c->view.sq_slots, c->view.cq_slots };
    for (int k = 0; k < 3; k++) {
        int fill = ipc_ring_peek_fill(rings[k], slots[k]);
        if (fill != 0) {
            fprintf(stderr, "selftest: ring %d holds %d packets after the run, expected 0\n", k, fill);
            fails++;
        }
    }
    /* Both sides end every phase awake: a needs_wakeup flag left set would
     * make the peer ring for nothing (or, cleared too early, lose a wake). */
    if (ipc_read_once(&c->view.hdr->zen.needs_wakeup) != 0 ||
        ipc_read_once(&c->view.hdr->bridge.needs_wakeup) != 0) {
        fprintf(stderr, "selftest: needs_wakeup still set after the run (zenedge %u, bridge %u)\n",
                ipc_read_once(&c->view.hdr->zen.needs_wakeup), ipc_read_once(&c->view.hdr->bridge.needs_wakeup));
        fails++;
    }
    return fails ? 1 : 0;
}

/* The e2e section under --selftest --only e2e: every CPU row measured
 * (direct, ring copy, ring in place), no wrong answer. */
static int selftest_e2e_check(const bench_e2e_t *e)
{
    uint32_t cpu_rows = 0;
    for (uint32_t i = 0; i < e->n_rows; i++) {
        const bench_e2e_row_t *w = &e->row[i];
        if (strcmp(w->backend, "cpu") != 0)
            continue;
        cpu_rows++;
        if (isnan(w->direct[0]) || isnan(w->ring[0]) || isnan(w->ring_ip[0])) {
            fprintf(stderr, "selftest: e2e %s/%s has a path without a figure\n", w->backend, w->model);
            return 1;
        }
    }
    if (!e->measured || cpu_rows == 0) {
        fprintf(stderr, "selftest: e2e measured no CPU row (%s)\n", e->note[0] ? e->note : "no note");
        return 1;
    }
    if (e->errors) {
        fprintf(stderr, "selftest: e2e: %llu wrong answers\n", (unsigned long long)e->errors);
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Command line                                                            */
/* ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
"Usage: zenedge-bench [OPTIONS]\n"
"\n"
"Measures the ZENEDGE shared-memory transport against the physical limit and\n"
"the usual alternatives, side by side in one run: two processes (the zenedge\n"
"side and the bridge side) pinned to two CPUs alternate short phases of every\n"
"mechanism, and every ratio is taken between neighbouring phases of one round\n"
"before it is summarised (median, min, max over rounds).\n"
"\n"
"Measured: raw cache-line ping-pong (the limit); eventfd, UNIX socket and DPDK\n"
"rte_ring ping-pong; rte_ring streaming at bursts 1/8/32; our ring (a real\n"
"region): PING round trip polled, with eventfd doorbell, adaptive with the peer\n"
"busy and with the peer asleep (eventfd writes per packet counted), streaming of\n"
"16-byte packets at batch 1/8/32; the ring layout experiment (original packed\n"
"layout versus ours); end-to-end RUN_MODEL through the ring and the real bridge\n"
"dispatcher versus the same backend called in-process (when the build has the\n"
"bridge and the RTOS proxy; models vector_add and digits_mlp), both with tensors\n"
"copied through the heap (contract_submit_job) and with tensor buffers used in\n"
"place (contract_submit_bufs); CPU backend, and OpenCL when a platform exists.\n"
"\n"
"Options:\n"
"  --quick            short run (well under a minute)\n"
"  --cpus A,B         pin the zenedge side to CPU A and the bridge side to CPU B\n"
"                     (default 0,1); every figure is tagged with this pair\n"
"  --rounds N         rounds (default: 10000, or 1000 with --quick); a round is one\n"
"                     phase of every item, about 10-20 ms\n"
"  --json FILE        also write the results as JSON (top-level \"ratios\" object)\n"
"  --csv FILE         also write one line per round, one column per item (ns),\n"
"                     for scripts/bench-plot.gp\n"
"  --only SUBSTR      run only the items whose key contains SUBSTR (\"e2e\": only the\n"
"                     end-to-end section)\n"
"  --models DIR       model registry of the end-to-end section (default: the\n"
"                     source tree's models/)\n"
"  --spin-us N        adaptive mode: spin N microseconds before sleeping (default 50)\n"
"  --gap-us N         adaptive, peer asleep: idle time before each PING (default 200;\n"
"                     must exceed the spin time so that the peer really sleeps)\n"
"  --selftest         functional check of the harness with tiny phases: every packet\n"
"                     arrives in order, no ring is left holding packets, eventfd mode\n"
"                     rings once per packet. Exit 0 pass, 1 fail. Not a timing test.\n"
"                     With --only e2e: the end-to-end section with tiny phases\n"
"                     instead (every path answers, no wrong answer).\n"
"  --list             print the item keys and exit\n"
"  --version          print the version and exit\n"
"  -h, --help         this text\n"
"\n"
"Units: ns/rtt is one round trip (request and answer); ns/pkt is one packet of a\n"
"one-way stream (Mpkt/s is its inverse); db/pkt is eventfd writes per packet.\n"
"Throughput ratios (stream*) are ours/theirs in packets per second (higher is\n"
"better); time ratios (*_rtt_*) are ours/theirs in ns (lower is better).\n"
"\n"
"Exit status: 0 success, 1 failure (a phase failed, a wrong packet, a pinning or\n"
"setup error), 2 bad usage.\n");
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_cpus(const char *s, int *a, int *b)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end != ',')
        return -1;
    const char *s2 = end + 1;
    long y = strtol(s2, &end, 10);
    if (errno || end == s2 || *end || x < 0 || y < 0 || x > 4095 || y > 4095 || x == y)
        return -1;
    *a = (int)x;
    *b = (int)y;
    return 0;
}

int main(int argc, char **argv)
{
    bench_opts_t o;
    memset(&o, 0, sizeof(o));
    o.cpu_lead = 0;
    o.cpu_follow = 1;
    o.models_dir = ZENEDGE_BENCH_MODELS_DIR;
    uint32_t rounds = 0, spin_us = 50, gap_us = 200;
    bool list = false;

    enum { O_QUICK = 256, O_CPUS, O_ROUNDS, O_JSON, O_CSV, O_ONLY, O_SPIN, O_GAP, O_SELF, O_LIST, O_VER, O_MODELS };
    static const struct option lo[] = {
        { "quick", no_argument, NULL, O_QUICK },     { "cpus", required_argument, NULL, O_CPUS },
        { "rounds", required_argument, NULL, O_ROUNDS }, { "json", required_argument, NULL, O_JSON },
        { "csv", required_argument, NULL, O_CSV },   { "only", required_argument, NULL, O_ONLY },
        { "spin-us", required_argument, NULL, O_SPIN }, { "gap-us", required_argument, NULL, O_GAP },
        { "selftest", no_argument, NULL, O_SELF },   { "list", no_argument, NULL, O_LIST },
        { "version", no_argument, NULL, O_VER },     { "help", no_argument, NULL, 'h' },
        { "models", required_argument, NULL, O_MODELS },
        { NULL, 0, NULL, 0 },
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (ch) {
        case O_QUICK: o.quick = true; break;
        case O_CPUS:
            if (parse_cpus(optarg, &o.cpu_lead, &o.cpu_follow) != 0) {
                fprintf(stderr, "zenedge-bench: --cpus '%s': expected two different CPU numbers A,B in [0, 4095]\n",
                        optarg);
                return 2;
            }
            break;
        case O_ROUNDS:
            if (parse_u32(optarg, 1, 1000000, &rounds) != 0) {
                fprintf(stderr, "zenedge-bench: --rounds '%s': expected 1..1000000\n", optarg);
                return 2;
            }
            break;
        case O_JSON: o.json_path = optarg; break;
        case O_CSV: o.csv_path = optarg; break;
        case O_ONLY: o.only = optarg; break;
        case O_MODELS: o.models_dir = optarg; break;
        case O_SPIN:
            if (parse_u32(optarg, 0, 1000000, &spin_us) != 0) {
                fprintf(stderr, "zenedge-bench: --spin-us '%s': expected 0..1000000\n", optarg);
                return 2;
            }
            break;
        case O_GAP:
            if (parse_u32(optarg, 1, 1000000, &gap_us) != 0) {
                fprintf(stderr, "zenedge-bench: --gap-us '%s': expected 1..1000000\n", optarg);
                return 2;
            }
            break;
        case O_SELF: o.selftest = true; break;
        case O_LIST: list = true; break;
        case O_VER: printf("zenedge-bench %s\n", BENCH_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "zenedge-bench: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (list) {
        for (size_t i = 0; i < bench_n_items; i++)
            printf("%-28s %s\n", bench_items[i].key, bench_items[i].label);
        return 0;
    }
    o.spin_ns = (uint64_t)spin_us * 1000u;
    o.gap_ns = (uint64_t)gap_us * 1000u;
    if (o.selftest) {
        o.rounds = rounds ? rounds : 2;
        o.rtt_ops = 50;
        o.block_ops = 10;
        o.sleep_ops = 3;
        o.stream_ops = 3 * BENCH_STREAM_SLOTS + 17;   /* wraps every ring */
        o.no_pin = true;
    } else {
        /* Phases of a few hundred microseconds at most (spinning items),
         * far shorter than the ~1 s between vCPU moves; many rounds. */
        o.rounds = rounds ? rounds : (o.quick ? 1000 : 10000);
        o.rtt_ops = 1000;
        o.block_ops = 32;
        o.sleep_ops = 8;
        o.stream_ops = 32768;
    }
    if (!o.selftest && o.gap_ns <= o.spin_ns)
        fprintf(stderr, "zenedge-bench: warning: --gap-us %u <= --spin-us %u: the 'peer asleep' row will "
                        "mostly find the peer still spinning\n", gap_us, spin_us);

    machine_t m;
    machine_read(&m);

    results_t res;
    memset(&res, 0, sizeof(res));
    res.rounds = o.rounds;
    size_t cells = bench_n_items * (size_t)o.rounds;
    res.value = malloc(cells * sizeof(double));
    res.dbpp = malloc(cells * sizeof(double));
    res.run = calloc(bench_n_items, sizeof(bool));
    res.skip = calloc(bench_n_items, sizeof(char *));
    res.item_sum = calloc(bench_n_items, sizeof(summary_t));
    res.db_sum = calloc(bench_n_items, sizeof(summary_t));
    if (!res.value || !res.dbpp || !res.run || !res.skip || !res.item_sum || !res.db_sum) {
        fprintf(stderr, "zenedge-bench: out of memory for %zu samples\n", cells);
        return 1;
    }
    for (size_t i = 0; i < cells; i++)
        res.value[i] = res.dbpp[i] = NAN;

    bench_ctx_t c;
    memset(&c, 0, sizeof(c));
    c.opt = &o;
    if (bench_setup(&c) != 0)
        return 1;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = watchdog_fire;
    sigaction(SIGALRM, &sa, NULL);

    pid_t parent = getpid();
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "zenedge-bench: fork: %s\n", strerror(errno));
        return 1;
    }
    if (child == 0)
        _exit(follower_main(&c, parent));
    watchdog_child = child;

    int rc = 0;
    int pr = zl_pin_cpu(o.cpu_lead);
    if (pr != 0) {
        if (o.no_pin) {
            fprintf(stderr, "zenedge-bench: selftest runs unpinned (CPU %d: %s)\n", o.cpu_lead, strerror(-pr));
        } else {
            fprintf(stderr, "zenedge-bench: cannot pin the zenedge side to CPU %d: %s\n", o.cpu_lead,
                    strerror(-pr));
            rc = 1;
        }
    }
    if (rc == 0 && bench_attach(&c, BENCH_LEADER) != 0)
        rc = 1;
    if (rc == 0) {
        watchdog_item = "follower start";
        alarm(PHASE_TIMEOUT_S);
        while (ipc_load_acquire(&c.sh->ready) == 0) {
            int st;
            if (waitpid(child, &st, WNOHANG) == child) {
                fprintf(stderr, "zenedge-bench: the bridge-side process exited during setup\n");
                child = 0;
                rc = 1;
                break;
            }
            ipc_cpu_relax();
        }
        alarm(0);
    }
    if (rc == 0 && leader_run(&c, &res, !o.selftest) != 0)
        rc = 1;
    if (child > 0) {
        if (rc == 0) {
            watchdog_item = "shutdown";
            alarm(PHASE_TIMEOUT_S);
            post_phase(&c, BENCH_QUIT, 0);
            bench_wait_ack(&c, c.phase_seq);
        } else {
            kill(child, SIGKILL);
        }
        int st = 0;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR)
            ;
        alarm(0);
        if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            fprintf(stderr, "zenedge-bench: the bridge-side process ended with status 0x%x\n", st);
            rc = 1;
        }
    }
    /* --selftest runs the e2e section only when asked for (--only e2e):
     * then with tiny phases, as a functional check of both ring paths. */
    bool e2e_selected = o.selftest ? o.only != NULL && strstr("e2e", o.only) != NULL
                                   : o.only == NULL || strstr("e2e", o.only) != NULL;
    if (rc == 0 && e2e_selected) {
        /* The follower has ended: the bridge CPU is free for the dispatcher. */
        watchdog_child = 0;
        if (bench_e2e_run(&o, &res.e2e) != 0)
            rc = 1;
        else if (res.e2e.errors)
            rc = 1;
    } else if (o.selftest) {
        snprintf(res.e2e.note, sizeof(res.e2e.note), "not run by --selftest without --only e2e");
    } else {
        snprintf(res.e2e.note, sizeof(res.e2e.note), "not selected (--only)");
    }
    if (rc == 0) {
        compute(&res);
        print_table(stdout, &o, &m, &res);
        if (o.json_path && write_json(o.json_path, &o, &m, &res) != 0)
            rc = 1;
        if (o.csv_path && write_csv(o.csv_path, &res) != 0)
            rc = 1;
        if (res.errors)
            rc = 1;
        if (o.selftest) {
            int st = selftest_check(&c, &res);
            if (e2e_selected && st == 0)
                st = selftest_e2e_check(&res.e2e);
            printf("selftest: %s\n", st == 0 ? "ok" : "FAILED");
            if (st)
                rc = 1;
        }
    }
    bench_teardown(&c);
    free(res.value);
    free(res.dbpp);
    free(res.run);
    free(res.skip);
    free(res.item_sum);
    free(res.db_sum);
    return rc;
}
