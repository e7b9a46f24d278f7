/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_report.c - zenedge-bench: the machine description and the three
 * outputs of a run: the text table (stdout), JSON (--json) and CSV
 * (--csv). Their layout is read by the tests (bench/CMakeLists.txt) and by
 * scripts/bench-plot.gp: a key or a column renamed here breaks them.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef ZENEDGE_BENCH_CORE_BUILD
#define ZENEDGE_BENCH_CORE_BUILD "zenedge_core"
#endif

/* The e2e ring stages, cut where the job descriptor's timestamps and the
 * caller's clock readings fall (E2E_ST_* in bench.h). They are not the
 * lat_stage_name() stages: call->submit and seen->return hold the
 * caller's copies, which lat_trace does not see, and the names are JSON
 * keys (ring_stages_ns) that must not change. */
static const char *const e2e_stage_names[E2E_ST_COUNT] = {
    "call->submit",      "submit->pickup", "pickup->backend", "backend",
    "backend->complete", "complete->seen", "seen->return",
};

/* ---------------------------------------------------------------------- */
/* Machine description                                                     */
/* ---------------------------------------------------------------------- */

static void cpu_model_read(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                p[strcspn(p, "\n")] = '\0';
                snprintf(out, len, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

void bench_machine_read(bench_machine_t *m)
{
    cpu_model_read(m->cpu_model, sizeof(m->cpu_model));
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
/* Shared by the outputs                                                   */
/* ---------------------------------------------------------------------- */

typedef struct report {
    FILE *f;
    const bench_opts_t *o;
    const bench_machine_t *m;
    const bench_results_t *res;
    char pair[32];    /* "A,B": the CPU pair every figure is tagged with */
    char e2e_tgt[16]; /* "<= 2.0" */
} report_t;

static void report_init(report_t *r, FILE *f, const bench_opts_t *o, const bench_machine_t *m,
                        const bench_results_t *res)
{
    r->f = f;
    r->o = o;
    r->m = m;
    r->res = res;
    snprintf(r->pair, sizeof(r->pair), "%d,%d", o->cpu_lead, o->cpu_follow);
    snprintf(r->e2e_tgt, sizeof(r->e2e_tgt), "<= %.1f", bench_e2e_target_us);
}

static const char *unit_of(const bench_item_t *it)
{
    return it->kind == BENCH_RTT ? "ns/rtt" : "ns/pkt";
}

static const char *mode_of(const bench_opts_t *o)
{
    return o->selftest ? "selftest" : o->quick ? "quick" : "full";
}

static const char *e2e_note(const bench_e2e_t *e)
{
    return e->note[0] ? e->note : "not measured";
}

/* ---------------------------------------------------------------------- */
/* Text table                                                              */
/* ---------------------------------------------------------------------- */

static void table_header(const report_t *r)
{
    const bench_opts_t *o = r->o;
    const bench_machine_t *m = r->m;
    fprintf(r->f, "zenedge-bench %s  %s  (%ld CPUs, %s)\n", BENCH_VERSION, m->cpu_model, m->n_cpus, m->kernel);
    fprintf(r->f,
            "date %s  cpus %s (zenedge side %d, bridge side %d)  %s run: %u rounds, "
            "phases of %u RTT / %u blocking RTT / %u sleeping RTT / %u packets\n",
            m->date, r->pair, o->cpu_lead, o->cpu_follow, mode_of(o), r->res->rounds, o->rtt_ops, o->block_ops,
            o->sleep_ops, o->stream_ops);
    fprintf(r->f, "ring code: %s; adaptive spin %llu us, idle gap %llu us\n", ZENEDGE_BENCH_CORE_BUILD,
            (unsigned long long)(o->spin_ns / 1000u), (unsigned long long)(o->gap_ns / 1000u));
}

static void table_items(const report_t *r)
{
    FILE *f = r->f;
    const bench_results_t *res = r->res;
    fprintf(f, "\n%-44s %-5s %10s %10s %10s %-7s %8s %7s %6s\n", "item", "cpus", "median", "min", "max", "unit",
            "Mpkt/s", "db/pkt", "phases");
    const char *group = "";
    for (size_t i = 0; i < bench_n_items; i++) {
        const bench_item_t *it = &bench_items[i];
        if (strcmp(group, it->group) != 0) {
            group = it->group;
            fprintf(f, "[%s]\n", group);
        }
        if (!res->run[i]) {
            fprintf(f, "%-44s %-5s %s\n", it->label, r->pair, res->skip[i]);
            continue;
        }
        const bench_summary_t *s = &res->item_sum[i];
        char rate[16] = "-", db[16] = "-";
        if (it->kind == BENCH_STREAM && s->median > 0)
            snprintf(rate, sizeof(rate), "%.1f", 1000.0 / s->median);
        if (it->counts_doorbells)
            snprintf(db, sizeof(db), "%.3f", res->db_sum[i].median);
        fprintf(f, "%-44s %-5s %10.1f %10.1f %10.1f %-7s %8s %7s %6u\n", it->label, r->pair, s->median, s->min, s->max,
                unit_of(it), rate, db, s->n);
    }
}

/* The ratio rows, then the doorbell count with its target. */
static void table_ratios(const report_t *r)
{
    FILE *f = r->f;
    const bench_results_t *res = r->res;
    fprintf(f, "\n%-40s %-5s %8s %8s %8s %-9s %-8s %s\n", "ratio (per round, then summarised)", "cpus", "median", "min",
            "max", "target", "status", "meaning");
    for (size_t k = 0; k < BENCH_N_RATIOS; k++) {
        const bench_ratio_t *d = &bench_ratios[k];
        const bench_summary_t *s = &res->ratio_sum[k];
        char tgt[16] = "-";
        if (d->cmp != BENCH_CMP_NONE)
            snprintf(tgt, sizeof(tgt), "%s %.1f", bench_ratio_cmp_str(d), d->target);
        if (s->n == 0)
            fprintf(f, "%-40s %-5s %8s %8s %8s %-9s %-8s %s\n", d->key, r->pair, "-", "-", "-", tgt, "n/a", d->meaning);
        else
            fprintf(f, "%-40s %-5s %8.3f %8.3f %8.3f %-9s %-8s %s\n", d->key, r->pair, s->median, s->min, s->max, tgt,
                    bench_ratio_status(d, s->median), d->meaning);
    }
    const bench_db_target_t *t = &bench_db_target;
    int ab = bench_item_index(t->item);
    if (ab >= 0 && res->run[ab])
        fprintf(f, "%-40s %-5s %8.3f %8.3f %8.3f %-9s %-8s %s\n", t->key, r->pair, res->db_sum[ab].median,
                res->db_sum[ab].min, res->db_sum[ab].max, t->target,
                res->db_sum[ab].median <= t->max ? "met" : "NOT met", t->meaning);
}

/* The e2e overheads in the ratio list: per backend and model, then the
 * CPU backend's headlines. */
static void table_e2e_targets(const report_t *r)
{
    FILE *f = r->f;
    const bench_e2e_t *e = &r->res->e2e;
    for (uint32_t i = 0; i < e->n_rows; i++) {
        const bench_e2e_row_t *w = &e->row[i];
        bool cpu = strcmp(w->backend, "cpu") == 0; /* the target is stated for the CPU backend */
        for (int copy = 0; copy < 2; copy++) {
            char key[80];
            double v = copy ? w->overhead_us : w->overhead_ip_us;
            snprintf(key, sizeof(key), "e2e_%s_%s_overhead_us_%s", w->backend, copy ? "copy" : "inplace", w->model);
            fprintf(f, "%-40s %-5s %8.3f %8s %8s %-9s %-8s %s\n", key, r->pair, v, "-", "-", cpu ? r->e2e_tgt : "-",
                    !cpu ? "" : bench_e2e_status(v),
                    copy ? "tensors copied in and out: median(ring) - median(direct), us per job"
                         : "tensor buffers in place: median(ring) - median(direct), us per job");
        }
    }
    for (int copy = 1; copy >= 0; copy--) {
        const char *key = copy ? "e2e_cpu_copy_overhead_us" : "e2e_cpu_overhead_us";
        double h = bench_e2e_headline(e, copy);
        if (isnan(h))
            fprintf(f, "%-40s %-5s %8s %8s %8s %-9s %-8s e2e: %s\n", key, r->pair, "-", "-", "-", r->e2e_tgt, "n/a",
                    e2e_note(e));
        else
            fprintf(f, "%-40s %-5s %8.3f %8s %8s %-9s %-8s %s\n", key, r->pair, h, "-", "-", r->e2e_tgt,
                    bench_e2e_status(h),
                    copy ? "CPU backend, tensors copied: largest per-model overhead, us"
                         : "CPU backend, tensor buffers in place: largest per-model overhead, us");
    }
}

static void table_placement(const report_t *r)
{
    FILE *f = r->f;
    const bench_results_t *res = r->res;
    fprintf(f, "\nratio medians by placement of the round (raw RTT: near < %.0f ns <= mid < %.0f ns <= far)\n",
            bench_place_near_ns, bench_place_far_ns);
    fprintf(f, "%-40s %-5s %16s %16s %16s\n", "ratio", "cpus", bench_place_names[0], bench_place_names[1],
            bench_place_names[2]);
    fprintf(f, "%-40s %-5s %16u %16u %16u\n", "(rounds)", r->pair, res->cls_rounds[0], res->cls_rounds[1],
            res->cls_rounds[2]);
    for (size_t k = 0; k < BENCH_N_RATIOS; k++) {
        fprintf(f, "%-40s %-5s", bench_ratios[k].key, r->pair);
        for (uint32_t p = 0; p < BENCH_PLACES; p++) {
            const bench_summary_t *s = &res->ratio_cls[k][p];
            if (s->n == 0)
                fprintf(f, " %16s", "-");
            else
                fprintf(f, " %16.3f", s->median);
        }
        fputc('\n', f);
    }
}

/* The e2e section: how it ran, then ns per job of every path. */
static void table_e2e_paths(const report_t *r)
{
    FILE *f = r->f;
    const bench_opts_t *o = r->o;
    const bench_e2e_t *e = &r->res->e2e;
    const bench_e2e_row_t *w0 = &e->row[0];
    fprintf(f,
            "\ne2e: RUN_MODEL through the ring (zenedge side on CPU %d, polled contract_wait; the bridge "
            "dispatcher bridge_dispatch_run, poll doorbell, forked for the whole section on CPU %d) versus "
            "direct (the same backend's submit + poll in-process on CPU %d). ring copy: "
            "contract_submit_job, inputs copied into the heap and outputs out of it; ring in place: "
            "contract_submit_bufs on tensor buffers in the heap, no copy. %u phases of %u jobs per path, "
            "the three paths in rotating order%s%s\n",
            o->cpu_lead, o->cpu_follow, o->cpu_lead, w0->phases, w0->jobs_per_phase, e->note[0] ? "; " : "", e->note);
    fprintf(f, "%-24s %-5s %-7s %-13s %10s %10s %10s %9s %9s\n", "e2e (ns per job)", "cpus", "backend", "path",
            "median", "min", "max", "over us", "target");
    for (uint32_t i = 0; i < e->n_rows; i++) {
        const bench_e2e_row_t *w = &e->row[i];
        char lab[48];
        snprintf(lab, sizeof(lab), "%s (model %u)", w->model, w->model_id);
        bool cpu = strcmp(w->backend, "cpu") == 0;
        fprintf(f, "%-24s %-5s %-7s %-13s %10.1f %10.1f %10.1f %9s %9s\n", lab, r->pair, w->backend, "direct",
                w->direct[0], w->direct[1], w->direct[2], "-", "-");
        for (int copy = 1; copy >= 0; copy--) {
            const double *v = copy ? w->ring : w->ring_ip;
            double ov = copy ? w->overhead_us : w->overhead_ip_us;
            fprintf(f, "%-24s %-5s %-7s %-13s %10.1f %10.1f %10.1f %9.3f %9s\n", lab, r->pair, w->backend,
                    copy ? "ring copy" : "ring in place", v[0], v[1], v[2], ov, !cpu ? "-" : bench_e2e_status(ov));
        }
    }
}

static void table_e2e_stages(const report_t *r)
{
    FILE *f = r->f;
    const bench_e2e_t *e = &r->res->e2e;
    fprintf(f, "e2e ring stages (median over phases of the per-phase mean, ns; job descriptor timestamps)\n");
    fprintf(f, "%-14s %-7s %-13s", "model", "backend", "path");
    for (int s = 0; s < E2E_ST_COUNT; s++)
        fprintf(f, " %17s", e2e_stage_names[s]);
    fprintf(f, " %17s\n", "direct backend");
    for (uint32_t i = 0; i < e->n_rows; i++) {
        const bench_e2e_row_t *w = &e->row[i];
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
    fprintf(f, "e2e errors: %llu wrong answers\n", (unsigned long long)e->errors);
}

void bench_report_table(FILE *f, const bench_opts_t *o, const bench_machine_t *m, const bench_results_t *res)
{
    report_t r;
    report_init(&r, f, o, m, res);
    table_header(&r);
    table_items(&r);
    table_ratios(&r);
    table_e2e_targets(&r);
    bench_report_rt_targets(f, r.pair, &res->rt);
    table_placement(&r);
    if (!res->e2e.measured) {
        fprintf(f, "\ne2e: %s (RUN_MODEL through zenedge-bridged versus the CPU backend called in-process)\n",
                e2e_note(&res->e2e));
    } else {
        table_e2e_paths(&r);
        table_e2e_stages(&r);
    }
    bench_report_rt_table(f, o, &res->rt);
    fprintf(f, "errors: %llu wrong packets\n", (unsigned long long)res->errors);
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                    */
/* ---------------------------------------------------------------------- */

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

static void json_summary(FILE *f, const bench_summary_t *s)
{
    fputs("{\"median\": ", f);
    json_num(f, s->median);
    fputs(", \"min\": ", f);
    json_num(f, s->min);
    fputs(", \"max\": ", f);
    json_num(f, s->max);
    fprintf(f, ", \"n\": %u}", s->n);
}

void bench_json_str(FILE *f, const char *s)
{
    json_str(f, s);
}

void bench_json_num(FILE *f, double v)
{
    json_num(f, v);
}

/* "program", "version", "machine", "config". */
static void json_head(const report_t *r)
{
    FILE *f = r->f;
    const bench_opts_t *o = r->o;
    fprintf(f, "{\n  \"program\": \"zenedge-bench\",\n  \"version\": \"%s\",\n", BENCH_VERSION);
    fputs("  \"machine\": {\"cpu_model\": ", f);
    json_str(f, r->m->cpu_model);
    fprintf(f, ", \"cpus_online\": %ld, \"kernel\": ", r->m->n_cpus);
    json_str(f, r->m->kernel);
    fputs(", \"date\": ", f);
    json_str(f, r->m->date);
    fprintf(f, ", \"cpu_pair\": \"%s\", \"cpu_zenedge\": %d, \"cpu_bridge\": %d},\n", r->pair, o->cpu_lead,
            o->cpu_follow);
    fprintf(f,
            "  \"config\": {\"mode\": \"%s\", \"rounds\": %u, \"rtt_ops\": %u, \"block_ops\": %u, "
            "\"sleep_ops\": %u, \"stream_ops\": %u, \"spin_ns\": %llu, \"gap_ns\": %llu, \"ring_code\": \"%s\"},\n",
            mode_of(o), r->res->rounds, o->rtt_ops, o->block_ops, o->sleep_ops, o->stream_ops,
            (unsigned long long)o->spin_ns, (unsigned long long)o->gap_ns, ZENEDGE_BENCH_CORE_BUILD);
}

/* "ratios": the medians, then the e2e headlines and per-model overheads. */
static void json_ratios(const report_t *r)
{
    FILE *f = r->f;
    const bench_results_t *res = r->res;
    fputs("  \"ratios\": {", f);
    for (size_t k = 0; k < BENCH_N_RATIOS; k++) {
        fprintf(f, "%s\n    \"%s\": ", k ? "," : "", bench_ratios[k].key);
        json_num(f, res->ratio_sum[k].n ? res->ratio_sum[k].median : NAN);
    }
    fputs(",\n    \"e2e_cpu_overhead_us\": ", f);
    json_num(f, bench_e2e_headline(&res->e2e, false));
    fputs(",\n    \"e2e_cpu_copy_overhead_us\": ", f);
    json_num(f, bench_e2e_headline(&res->e2e, true));
    for (uint32_t i = 0; i < res->e2e.n_rows; i++) {
        fprintf(f, ",\n    \"e2e_%s_inplace_overhead_us_%s\": ", res->e2e.row[i].backend, res->e2e.row[i].model);
        json_num(f, res->e2e.row[i].overhead_ip_us);
        fprintf(f, ",\n    \"e2e_%s_copy_overhead_us_%s\": ", res->e2e.row[i].backend, res->e2e.row[i].model);
        json_num(f, res->e2e.row[i].overhead_us);
    }
    bench_report_rt_json_ratios(f, &res->rt);
    bench_report_xregion_ratios(f, &res->xr);
    fputs("\n  },\n", f);
}

static void json_ratio_details(const report_t *r)
{
    FILE *f = r->f;
    const bench_results_t *res = r->res;
    fputs("  \"ratio_details\": {", f);
    for (size_t k = 0; k < BENCH_N_RATIOS; k++) {
        const bench_ratio_t *d = &bench_ratios[k];
        fprintf(f,
                "%s\n    \"%s\": {\"cpus\": \"%s\", \"num\": \"%s\", \"den\": \"%s\", \"higher_is_better\": %s, "
                "\"target\": ",
                k ? "," : "", d->key, r->pair, d->num, d->den, d->throughput ? "true" : "false");
        if (d->cmp == BENCH_CMP_NONE)
            fputs("null", f);
        else
            fprintf(f, "\"%s %.2f\"", bench_ratio_cmp_str(d), d->target);
        fputs(", \"status\": ", f);
        json_str(f, res->ratio_sum[k].n ? bench_ratio_status(d, res->ratio_sum[k].median) : "n/a");
        fputs(", \"summary\": ", f);
        json_summary(f, &res->ratio_sum[k]);
        fputs(", \"meaning\": ", f);
        json_str(f, d->meaning);
        fputc('}', f);
    }
    fputs("\n  },\n", f);
}

static void json_placement(const report_t *r)
{
    FILE *f = r->f;
    const bench_results_t *res = r->res;
    fprintf(f,
            "  \"placement\": {\"near_below_ns\": %.0f, \"far_from_ns\": %.0f, \"rounds\": "
            "{\"%s\": %u, \"%s\": %u, \"%s\": %u},\n    \"ratio_medians\": {",
            bench_place_near_ns, bench_place_far_ns, bench_place_names[0], res->cls_rounds[0], bench_place_names[1],
            res->cls_rounds[1], bench_place_names[2], res->cls_rounds[2]);
    for (size_t k = 0; k < BENCH_N_RATIOS; k++) {
        fprintf(f, "%s\n      \"%s\": {", k ? "," : "", bench_ratios[k].key);
        for (uint32_t p = 0; p < BENCH_PLACES; p++) {
            fprintf(f, "%s\"%s\": ", p ? ", " : "", bench_place_names[p]);
            json_num(f, res->ratio_cls[k][p].n ? res->ratio_cls[k][p].median : NAN);
        }
        fputc('}', f);
    }
    fputs("\n    }\n  },\n", f);
}

static void json_items(const report_t *r)
{
    FILE *f = r->f;
    const bench_results_t *res = r->res;
    fputs("  \"items\": [", f);
    for (size_t i = 0; i < bench_n_items; i++) {
        const bench_item_t *it = &bench_items[i];
        fprintf(f, "%s\n    {\"key\": \"%s\", \"label\": ", i ? "," : "", it->key);
        json_str(f, it->label);
        fprintf(f, ", \"group\": \"%s\", \"cpus\": \"%s\", \"unit\": \"%s\", \"batch\": %u, ", it->group, r->pair,
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
    fputs("\n  ],\n", f);
}

static void json_stages(FILE *f, const double *st)
{
    for (int s = 0; s < E2E_ST_COUNT; s++) {
        fprintf(f, "%s\"%s\": ", s ? ", " : "", e2e_stage_names[s]);
        json_num(f, st[s]);
    }
}

static void json_e2e_row(FILE *f, const bench_e2e_row_t *w, bool first)
{
    fprintf(f,
            "%s\n    {\"backend\": \"%s\", \"model\": \"%s\", \"model_id\": %u, \"phases\": %u, "
            "\"jobs_per_phase\": %u, \"unit\": \"ns/job\", \"direct\": ",
            first ? "" : ",", w->backend, w->model, w->model_id, w->phases, w->jobs_per_phase);
    bench_summary_t sd = {w->direct[0], w->direct[1], w->direct[2], w->phases};
    bench_summary_t sr = {w->ring[0], w->ring[1], w->ring[2], w->phases};
    bench_summary_t si = {w->ring_ip[0], w->ring_ip[1], w->ring_ip[2], w->phases};
    json_summary(f, &sd);
    fputs(", \"ring\": ", f);
    json_summary(f, &sr);
    fputs(", \"ring_inplace\": ", f);
    json_summary(f, &si);
    fputs(", \"overhead_us\": ", f);
    json_num(f, w->overhead_us);
    fputs(", \"inplace_overhead_us\": ", f);
    json_num(f, w->overhead_ip_us);
    fputs(", \"direct_backend_ns\": ", f);
    json_num(f, w->direct_backend_ns);
    fputs(", \"ring_stages_ns\": {", f);
    json_stages(f, w->stage);
    fputs("}, \"ring_inplace_stages_ns\": {", f);
    json_stages(f, w->stage_ip);
    fprintf(f, "}, \"bad_times\": %u, \"bad_times_inplace\": %u}", w->bad_times, w->bad_times_ip);
}

/* "e2e": the note when it did not run, else the rows; then "errors". */
static void json_e2e(const report_t *r)
{
    FILE *f = r->f;
    const bench_e2e_t *e = &r->res->e2e;
    fputs("  \"e2e\": ", f);
    if (!e->measured) {
        json_str(f, e2e_note(e));
    } else {
        fprintf(f,
                "{\"target_us\": %.1f, \"cpus\": \"%s\", \"dispatcher\": \"forked for the whole section\", "
                "\"errors\": %llu, \"note\": ",
                bench_e2e_target_us, r->pair, (unsigned long long)e->errors);
        json_str(f, e->note);
        fputs(", \"rows\": [", f);
        for (uint32_t i = 0; i < e->n_rows; i++)
            json_e2e_row(f, &e->row[i], i == 0);
        fputs("\n  ]}", f);
    }
    fprintf(f, ",\n  \"errors\": %llu\n}\n", (unsigned long long)r->res->errors);
}

int bench_report_json(const char *path, const bench_opts_t *o, const bench_machine_t *m, const bench_results_t *res)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "zenedge-bench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    report_t r;
    report_init(&r, f, o, m, res);
    json_head(&r);
    json_ratios(&r);
    json_ratio_details(&r);
    json_placement(&r);
    json_items(&r);
    bench_report_rt_json(f, r.pair, &res->rt);
    bench_report_xregion_json(f, &res->xr);
    json_e2e(&r);
    if (fclose(f) != 0) {
        fprintf(stderr, "zenedge-bench: writing %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* CSV: one line per round, one column per item (ns per RTT or per packet) */
/* ---------------------------------------------------------------------- */

int bench_report_csv(const char *path, const bench_results_t *res)
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
