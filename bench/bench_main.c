/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_main.c - zenedge-bench: the order of a run. Command line
 * (bench_cli.c), the paired items on the two pinned CPUs
 * (bench_harness.c), the end-to-end section (bench_e2e.c), RT under load
 * (bench_rt_load.c), medians and
 * ratios (bench_harness.c, bench_ratios.c), the outputs (bench_report.c),
 * the self-test's verdict.
 */
#include "bench.h"

#include <stdio.h>
#include <string.h>

/* --selftest runs the e2e section only when asked for (--only e2e): then
 * with tiny phases, as a functional check of both ring paths. */
static bool e2e_selected(const bench_opts_t *o)
{
    return o->selftest ? o->only != NULL && strstr("e2e", o->only) != NULL
                       : o->only == NULL || strstr("e2e", o->only) != NULL;
}

/* RT under load: run unless --only names something else; a plain
 * --selftest runs it short, on the CPU backend. */
static bool rt_selected(const bench_opts_t *o)
{
    return o->only == NULL || strstr("rt_load", o->only) != NULL;
}

static int run_rt(const bench_opts_t *o, bench_results_t *res)
{
    if (rt_selected(o))
        return bench_rt_run(o, &res->rt) != 0 || res->rt.errors ? 1 : 0;
    snprintf(res->rt.note, sizeof(res->rt.note), "not selected (--only)");
    return 0;
}

/* Two regions on one daemon: run unless --only names something else;
 * --selftest runs it (short) only with --only xregion. */
static bool xr_selected(const bench_opts_t *o)
{
    return o->selftest ? o->only != NULL && strstr("xregion", o->only) != NULL
                       : o->only == NULL || strstr("xregion", o->only) != NULL;
}

static int run_xr(const bench_opts_t *o, bench_results_t *res)
{
    if (xr_selected(o)) {
        int rc = bench_xregion_run(o, &res->xr) != 0 || res->xr.errors ? 1 : 0;
        bench_report_xregion_text(stdout, &res->xr);
        return rc;
    }
    snprintf(res->xr.note, sizeof(res->xr.note), "not selected (--only xregion)");
    return 0;
}

/* After the paired items (their follower has ended: the bridge CPU is
 * free for the dispatcher). Returns 0 or 1. */
static int run_e2e(const bench_opts_t *o, bench_results_t *res)
{
    if (e2e_selected(o))
        return bench_e2e_run(o, &res->e2e) != 0 || res->e2e.errors ? 1 : 0;
    snprintf(res->e2e.note, sizeof(res->e2e.note), "%s",
             o->selftest ? "not run by --selftest without --only e2e" : "not selected (--only)");
    return 0;
}

/* Summaries, the outputs and, under --selftest, the checks. Returns 0 or 1. */
static int finish(bench_ctx_t *c, const bench_opts_t *o, const bench_machine_t *m, bench_results_t *res)
{
    bench_harness_summarise(res);
    bench_ratios_compute(res);
    bench_report_table(stdout, o, m, res);
    int rc = 0;
    if (o->json_path && bench_report_json(o->json_path, o, m, res) != 0)
        rc = 1;
    if (o->csv_path && bench_report_csv(o->csv_path, res) != 0)
        rc = 1;
    if (res->errors)
        rc = 1;
    if (o->selftest) {
        int st = bench_selftest_check(c, res);
        if (e2e_selected(o) && st == 0)
            st = bench_selftest_e2e_check(&res->e2e);
        if (rt_selected(o) && st == 0)
            st = bench_selftest_rt_check(&res->rt);
        if (xr_selected(o) && st == 0 && (!res->xr.measured || res->xr.errors)) {
            fprintf(stderr, "selftest: xregion: %s\n", res->xr.note);
            st = 1;
        }
        printf("selftest: %s\n", st == 0 ? "ok" : "FAILED");
        if (st)
            rc = 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    bench_opts_t o;
    int rc = bench_cli_parse(argc, argv, &o);
    if (rc != BENCH_CLI_RUN)
        return rc;
    bench_machine_t m; /* the date is the run's start */
    bench_machine_read(&m);

    bench_results_t res;
    if (bench_results_alloc(&res, o.rounds) != 0)
        return 1;
    bench_ctx_t c;
    memset(&c, 0, sizeof(c));
    c.opt = &o;
    if (bench_setup(&c) != 0)
        return 1;

    rc = bench_harness_run(&c, &res);
    if (rc == 0)
        rc = run_e2e(&o, &res);
    if (rc == 0)
        rc = run_rt(&o, &res);
    if (rc == 0)
        rc = run_xr(&o, &res);
    if (rc == 0)
        rc = finish(&c, &o, &m, &res);
    bench_teardown(&c);
    bench_results_free(&res);
    return rc;
}
