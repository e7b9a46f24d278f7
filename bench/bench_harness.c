/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_harness.c - zenedge-bench: the paired harness. Two processes
 * pinned to the two CPUs (bench.h tells the protocol of a phase), rounds
 * of short phases, the per-item medians over rounds, and the self-test's
 * functional checks of the harness.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zl.h"
#include "zenedge/barrier.h"

#define PHASE_TIMEOUT_S 30u

/* ---------------------------------------------------------------------- */
/* Medians                                                                 */
/* ---------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Exact: the values are sorted, never bucketed. scratch may be v: a value
 * is copied to a slot at or before its own. */
bench_summary_t bench_summarise(const double *v, uint32_t n, double *scratch)
{
    bench_summary_t s = {NAN, NAN, NAN, 0};
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

int bench_item_index(const char *key)
{
    for (size_t i = 0; i < bench_n_items; i++)
        if (strcmp(bench_items[i].key, key) == 0)
            return (int)i;
    return -1;
}

int bench_results_alloc(bench_results_t *res, uint32_t rounds)
{
    memset(res, 0, sizeof(*res));
    res->rounds = rounds;
    size_t cells = bench_n_items * (size_t)rounds;
    res->value = malloc(cells * sizeof(double));
    res->dbpp = malloc(cells * sizeof(double));
    res->run = calloc(bench_n_items, sizeof(bool));
    res->skip = calloc(bench_n_items, sizeof(char *));
    res->item_sum = calloc(bench_n_items, sizeof(bench_summary_t));
    res->db_sum = calloc(bench_n_items, sizeof(bench_summary_t));
    if (!res->value || !res->dbpp || !res->run || !res->skip || !res->item_sum || !res->db_sum) {
        fprintf(stderr, "zenedge-bench: out of memory for %zu samples\n", cells);
        return -1;
    }
    for (size_t i = 0; i < cells; i++)
        res->value[i] = res->dbpp[i] = NAN;
    return 0;
}

void bench_results_free(bench_results_t *res)
{
    free(res->value);
    free(res->dbpp);
    free(res->run);
    free(res->skip);
    free(res->item_sum);
    free(res->db_sum);
    res->value = res->dbpp = NULL;
    res->run = NULL;
    res->skip = NULL;
    res->item_sum = res->db_sum = NULL;
}

void bench_harness_summarise(bench_results_t *res)
{
    double *scratch = calloc(res->rounds + 1, sizeof(double));
    if (!scratch)
        return;
    for (size_t i = 0; i < bench_n_items; i++) {
        res->item_sum[i] = bench_summarise(&res->value[i * res->rounds], res->rounds, scratch);
        res->db_sum[i] = bench_summarise(&res->dbpp[i * res->rounds], res->rounds, scratch);
    }
    free(scratch);
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

static void watchdog_arm(const char *what)
{
    watchdog_item = what;
    alarm(PHASE_TIMEOUT_S);
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
        fprintf(stderr, "zenedge-bench: cannot pin the bridge side to CPU %d: %s\n", c->opt->cpu_follow, strerror(-r));
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
            return 1; /* the leader's watchdog reports it */
        ipc_write_once(&c->sh->errors, errors);
        ipc_write_once(&c->sh->doorbells, doorbells);
        ipc_store_release(&c->sh->ack, s); /* R3: publishes errors/doorbells; pairs with A3 */
    }
}

/* ---------------------------------------------------------------------- */
/* The leader (zenedge side): rounds of phases                             */
/* ---------------------------------------------------------------------- */

static uint32_t ops_of(const bench_opts_t *o, const bench_item_t *it)
{
    switch (it->opsclass) {
    case BENCH_OPS_RTT: return o->rtt_ops;
    case BENCH_OPS_BLOCK: return o->block_ops;
    case BENCH_OPS_SLEEP: return o->sleep_ops;
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
    ipc_store_release(&c->sh->seq, c->phase_seq); /* R4: pairs with A4 */
}

static int run_phase(bench_ctx_t *c, size_t i, bench_results_t *res, uint32_t round)
{
    const bench_item_t *it = &bench_items[i];
    uint32_t ops = ops_of(c->opt, it);
    bench_sample_t s = {0, ops, 0, 0};
    watchdog_arm(it->key);
    post_phase(c, (uint32_t)i, ops);
    if (it->lead(c, it, ops, &s) != 0)
        return -1;
    bench_wait_ack(c, c->phase_seq);
    alarm(0);
    uint32_t ferr = ipc_read_once(&c->sh->errors);
    uint32_t fdb = ipc_read_once(&c->sh->doorbells);
    res->errors += (uint64_t)s.errors + ferr;
    if (s.errors || ferr)
        fprintf(stderr, "zenedge-bench: %s round %u: %u wrong packets (zenedge side %u, bridge side %u)\n", it->key,
                round, s.errors + ferr, s.errors, ferr);
    double pkts = it->kind == BENCH_RTT ? 2.0 * ops : (double)ops;
    res->value[i * res->rounds + round] = ops ? (double)s.ns / ops : NAN;
    res->dbpp[i * res->rounds + round] = pkts > 0 ? (s.doorbells + fdb) / pkts : NAN;
    return 0;
}

static bool item_selected(const bench_opts_t *o, const bench_item_t *it)
{
    return o->only == NULL || strstr(it->key, o->only) != NULL;
}

static int leader_run(bench_ctx_t *c, bench_results_t *res, bool progress)
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
            fprintf(stderr, "zenedge-bench: round %u/%u, %.0f s\n", r + 1, res->rounds, (double)(now - t_start) / 1e9);
            t_last = now;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* One run: fork, pin, rounds, shutdown                                    */
/* ---------------------------------------------------------------------- */

/* Pins this process (the zenedge side) and attaches it; 0 or 1. */
static int leader_start(bench_ctx_t *c)
{
    const bench_opts_t *o = c->opt;
    int pr = zl_pin_cpu(o->cpu_lead);
    if (pr != 0) {
        if (!o->no_pin) {
            fprintf(stderr, "zenedge-bench: cannot pin the zenedge side to CPU %d: %s\n", o->cpu_lead, strerror(-pr));
            return 1;
        }
        fprintf(stderr, "zenedge-bench: selftest runs unpinned (CPU %d: %s)\n", o->cpu_lead, strerror(-pr));
    }
    return bench_attach(c, BENCH_LEADER) != 0 ? 1 : 0;
}

/* Waits for the follower to be pinned and attached; 0, or 1 (then
 * *child is 0 when it has already exited). */
static int follower_wait_ready(bench_ctx_t *c, pid_t *child)
{
    int rc = 0;
    watchdog_arm("follower start");
    while (ipc_load_acquire(&c->sh->ready) == 0) {
        int st;
        if (waitpid(*child, &st, WNOHANG) == *child) {
            fprintf(stderr, "zenedge-bench: the bridge-side process exited during setup\n");
            *child = 0;
            rc = 1;
            break;
        }
        ipc_cpu_relax();
    }
    alarm(0);
    return rc;
}

/* Ends the follower: asked to quit after a good run, killed otherwise.
 * Returns rc, or 1 when a good run's follower did not exit cleanly. */
static int follower_stop(bench_ctx_t *c, pid_t child, int rc)
{
    if (rc == 0) {
        watchdog_arm("shutdown");
        post_phase(c, BENCH_QUIT, 0);
        bench_wait_ack(c, c->phase_seq);
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
    return rc;
}

int bench_harness_run(bench_ctx_t *c, bench_results_t *res)
{
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
        _exit(follower_main(c, parent));
    watchdog_child = child;

    int rc = leader_start(c);
    if (rc == 0)
        rc = follower_wait_ready(c, &child);
    if (rc == 0 && leader_run(c, res, !c->opt->selftest) != 0)
        rc = 1;
    if (child > 0)
        rc = follower_stop(c, child, rc);
    /* The follower has ended: nothing left for the watchdog to kill, and
     * the bridge CPU is free for what runs next. */
    watchdog_child = 0;
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Self-test: the harness moved every packet, and the doorbell counts add  */
/* up where they are deterministic. Functional only; never timed.          */
/* ---------------------------------------------------------------------- */

/* Every run item measured in every round; eventfd mode rang once a packet. */
static int selftest_items(const bench_results_t *res)
{
    int fails = 0;
    for (size_t i = 0; i < bench_n_items; i++) {
        if (!res->run[i])
            continue;
        if (res->item_sum[i].n != res->rounds) {
            fprintf(stderr, "selftest: %s measured %u of %u rounds\n", bench_items[i].key, res->item_sum[i].n,
                    res->rounds);
            fails++;
        }
    }
    int e = bench_item_index("ours_eventfd_rtt");
    if (e >= 0 && res->run[e] && (res->db_sum[e].min != 1.0 || res->db_sum[e].max != 1.0)) {
        fprintf(stderr, "selftest: eventfd mode rang %.3f..%.3f doorbells per packet, expected exactly 1\n",
                res->db_sum[e].min, res->db_sum[e].max);
        fails++;
    }
    return fails;
}

int bench_selftest_check(bench_ctx_t *c, const bench_results_t *res)
{
    int fails = 0;
    if (res->errors) {
        fprintf(stderr, "selftest: %llu wrong packets\n", (unsigned long long)res->errors);
        fails++;
    }
    fails += selftest_items(res);
    ipc_ring_t *rings[] = {c->view.sq[0], c->view.sq[1], c->view.cq};
    uint32_t slots[] = {c->view.sq_slots, c->view.sq_slots, c->view.cq_slots};
    for (int k = 0; k < 3; k++) {
        int fill = ipc_ring_peek_fill(rings[k], slots[k]);
        if (fill != 0) {
            fprintf(stderr, "selftest: ring %d holds %d packets after the run, expected 0\n", k, fill);
            fails++;
        }
    }
    /* Both sides end every phase awake: a needs_wakeup flag left set would
     * make the peer ring for nothing (or, cleared too early, lose a wake). */
    if (ipc_read_once(&c->view.hdr->zen.needs_wakeup) != 0 || ipc_read_once(&c->view.hdr->bridge.needs_wakeup) != 0) {
        fprintf(stderr, "selftest: needs_wakeup still set after the run (zenedge %u, bridge %u)\n",
                ipc_read_once(&c->view.hdr->zen.needs_wakeup), ipc_read_once(&c->view.hdr->bridge.needs_wakeup));
        fails++;
    }
    return fails ? 1 : 0;
}

/* The e2e section under --selftest --only e2e: every CPU row measured
 * (direct, ring copy, ring in place), no wrong answer. */
int bench_selftest_e2e_check(const bench_e2e_t *e)
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

/* The RT under load section under --selftest: a CPU row with RT jobs in
 * both kinds of phase, every figure present, BACKGROUND jobs done, no
 * wrong answer. A build without the bridge has nothing to check. */
int bench_selftest_rt_check(const bench_rt_t *r)
{
    if (r->not_built)
        return 0;
    const bench_rt_row_t *cpu = NULL;
    for (uint32_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->row[i].backend, "cpu") == 0)
            cpu = &r->row[i];
    if (!r->measured || cpu == NULL) {
        fprintf(stderr, "selftest: rt_load measured no CPU row (%s)\n", r->note[0] ? r->note : "no note");
        return 1;
    }
    for (uint32_t i = 0; i < r->n_rows; i++) {
        const bench_rt_row_t *w = &r->row[i];
        bool bad = w->n[0] == 0 || w->n[1] == 0 || w->flood_jobs == 0;
        for (int k = 0; k < 2; k++)
            bad |= isnan(w->rtt_p50[k]) || isnan(w->rtt_p99[k]) || isnan(w->start_p99[k]);
        if (bad) {
            fprintf(stderr,
                    "selftest: rt_load %s: a figure is missing (RT jobs alone %u, with the flood %u, "
                    "flood jobs %llu)\n",
                    w->backend, w->n[0], w->n[1], (unsigned long long)w->flood_jobs);
            return 1;
        }
    }
    if (r->errors) {
        fprintf(stderr, "selftest: rt_load: %llu failed jobs or wrong answers\n", (unsigned long long)r->errors);
        return 1;
    }
    return 0;
}
