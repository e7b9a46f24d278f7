/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_report_rt.c - zenedge-bench: the "RT under load" section in the
 * text table and the JSON report (bench_rt_load.c measures it).
 *
 * JSON, in "ratios" (suffix "" for the CPU backend, "_<backend>" for the
 * others): rt_flood_rtt_p50_vs_alone, rt_flood_rtt_p99_vs_alone,
 * rt_flood_start_p99_vs_alone (flood / alone), and the absolute figures
 * rt_{alone,flood}_{rtt,start}_{p50,p99}_us. The CPU keys are always
 * present (null when not measured). The details are in "rt_load".
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const rt_kind[2] = {"alone", "flood"};

static const char *rt_note(const bench_rt_t *e)
{
    return e->note[0] ? e->note : "not measured";
}

/* "" for the CPU backend, "_<backend>" for the others. */
static void rt_suffix(const bench_rt_row_t *w, char *out, size_t len)
{
    if (strcmp(w->backend, "cpu") == 0)
        out[0] = '\0';
    else
        snprintf(out, len, "_%s", w->backend);
}

static const bench_rt_row_t *rt_cpu_row(const bench_rt_t *e)
{
    for (uint32_t i = 0; i < e->n_rows; i++)
        if (strcmp(e->row[i].backend, "cpu") == 0)
            return &e->row[i];
    return NULL;
}

/* The ratios in the table's ratio list: targets on the CPU backend, the
 * other backends reported. */
void bench_report_rt_targets(FILE *f, const char *pair, const bench_rt_t *e)
{
    const bench_rt_row_t *cpu = rt_cpu_row(e);
    for (size_t k = 0; k < BENCH_RT_N_TARGETS; k++) {
        const bench_rt_target_t *t = &bench_rt_targets[k];
        char tgt[16];
        snprintf(tgt, sizeof(tgt), "<= %.1f", t->max);
        if (cpu == NULL)
            fprintf(f, "%-40s %-5s %8s %8s %8s %-9s %-8s rt_load: %s\n", t->key, pair, "-", "-", "-", tgt, "n/a",
                    rt_note(e));
        for (uint32_t i = 0; i < e->n_rows; i++) {
            const bench_rt_row_t *w = &e->row[i];
            char key[64], sfx[24];
            rt_suffix(w, sfx, sizeof(sfx));
            snprintf(key, sizeof(key), "%s%s", t->key, sfx);
            double v = bench_rt_ratio(w, k);
            bool is_cpu = w == cpu;
            fprintf(f, "%-40s %-5s %8.3f %8s %8s %-9s %-8s %s\n", key, pair, v, "-", "-", is_cpu ? tgt : "-",
                    is_cpu ? bench_rt_status(k, v, w->noisy) : "", t->meaning);
        }
    }
}

/* The section: how it ran, then per backend and kind of phase the RT
 * job's percentiles (us). */
void bench_report_rt_table(FILE *f, const bench_opts_t *o, const bench_rt_t *e)
{
    if (!e->measured) {
        fprintf(f, "\nrt_load: %s (an RT job alone and with a BACKGROUND flood, through zenedge-bridged)\n",
                rt_note(e));
        return;
    }
    const bench_rt_row_t *w0 = &e->row[0];
    fprintf(f,
            "\nrt_load: RT under load through the ring and the real dispatcher (bridge_dispatch_run, forked on "
            "CPU %d: %s; zenedge side on CPU %d, polling). RT: vector_add, one job in flight, "
            "released every %u us; flood: BACKGROUND gemm, %u jobs kept in flight. Phases alternate alone / "
            "with the flood, %u of each, %u RT jobs per phase. rtt: submit call -> job collected; start: "
            "t_submit -> t_backend_start (shared clock)%s%s\n",
            o->cpu_follow, w0->sched[0] ? w0->sched : "poll doorbell", o->cpu_lead, BENCH_RT_PERIOD_US,
            BENCH_RT_FLOOD_DEPTH, w0->phases, w0->jobs_per_phase, e->note[0] ? "; " : "", e->note);
    fprintf(f, "%-8s %-6s %7s %10s %10s %10s %10s %10s\n", "backend", "phase", "jobs", "rtt p50", "rtt p99", "rtt max",
            "start p50", "start p99");
    for (uint32_t i = 0; i < e->n_rows; i++) {
        const bench_rt_row_t *w = &e->row[i];
        for (int k = 0; k < 2; k++)
            fprintf(f, "%-8s %-6s %7u %10.1f %10.1f %10.1f %10.1f %10.1f\n", w->backend, rt_kind[k], w->n[k],
                    w->rtt_p50[k], w->rtt_p99[k], w->rtt_max[k], w->start_p50[k], w->start_p99[k]);
        fprintf(f,
                "%-8s flood: %.0f gemm jobs/s completed; %u RT releases found the previous job in flight; "
                "zenedge side off its CPU (a pass > 50 us late) %u times alone, %u with the flood%s\n",
                w->backend, w->flood_jobs_per_s, w->late, w->stalls[0], w->stalls[1],
                w->noisy ? ": NOISY (a busy machine; its p99 are the scheduler's)" : "");
        if (i > 0 && strcmp(w->sched, w0->sched) != 0)
            fprintf(f, "%-8s dispatcher: %s\n", w->backend, w->sched);
    }
    fprintf(f, "rt_load errors: %llu failed jobs or wrong answers\n", (unsigned long long)e->errors);
}

/* One backend's keys in "ratios" (each preceded by ",\n"). */
static void json_rt_keys(FILE *f, const bench_rt_row_t *w, const char *sfx)
{
    static const char *const what[2] = {"rtt", "start"};
    for (size_t k = 0; k < BENCH_RT_N_TARGETS; k++) {
        fprintf(f, ",\n    \"%s%s\": ", bench_rt_targets[k].key, sfx);
        bench_json_num(f, w ? bench_rt_ratio(w, k) : NAN);
    }
    for (int kind = 0; kind < 2; kind++)
        for (int x = 0; x < 2; x++)
            for (int q = 0; q < 2; q++) {
                double v = NAN;
                if (w)
                    v = x == 0 ? (q ? w->rtt_p99[kind] : w->rtt_p50[kind])
                               : (q ? w->start_p99[kind] : w->start_p50[kind]);
                fprintf(f, ",\n    \"rt_%s_%s_%s_us%s\": ", rt_kind[kind], what[x], q ? "p99" : "p50", sfx);
                bench_json_num(f, v);
            }
}

void bench_report_rt_json_ratios(FILE *f, const bench_rt_t *e)
{
    const bench_rt_row_t *cpu = rt_cpu_row(e);
    json_rt_keys(f, cpu, "");
    for (uint32_t i = 0; i < e->n_rows; i++) {
        char sfx[24];
        rt_suffix(&e->row[i], sfx, sizeof(sfx));
        if (sfx[0])
            json_rt_keys(f, &e->row[i], sfx);
    }
}

static void json_rt_row(FILE *f, const bench_rt_row_t *w, bool first)
{
    fprintf(f, "%s\n    {\"backend\": \"%s\", \"phases\": %u, \"jobs_per_phase\": %u", first ? "" : ",", w->backend,
            w->phases, w->jobs_per_phase);
    for (int k = 0; k < 2; k++) {
        fprintf(f, ", \"%s\": {\"jobs\": %u, \"jobs_with_times\": %u, \"rtt_p50_us\": ", rt_kind[k], w->n[k],
                w->n_start[k]);
        bench_json_num(f, w->rtt_p50[k]);
        fputs(", \"rtt_p99_us\": ", f);
        bench_json_num(f, w->rtt_p99[k]);
        fputs(", \"rtt_max_us\": ", f);
        bench_json_num(f, w->rtt_max[k]);
        fputs(", \"start_p50_us\": ", f);
        bench_json_num(f, w->start_p50[k]);
        fputs(", \"start_p99_us\": ", f);
        bench_json_num(f, w->start_p99[k]);
        fputc('}', f);
    }
    fprintf(f, ", \"flood_jobs\": %llu, \"flood_jobs_per_s\": ", (unsigned long long)w->flood_jobs);
    bench_json_num(f, w->flood_jobs_per_s);
    fprintf(f, ", \"late_releases\": %u, \"stalls_alone\": %u, \"stalls_flood\": %u, \"noisy\": %s", w->late,
            w->stalls[0], w->stalls[1], w->noisy ? "true" : "false");
    for (size_t k = 0; k < BENCH_RT_N_TARGETS; k++)
        fprintf(f, ", \"%s\": \"%s\"",
                k == 0   ? "status_rtt_p50"
                : k == 1 ? "status_rtt_p99"
                         : "status_start_p99",
                strcmp(w->backend, "cpu") == 0 ? bench_rt_status(k, bench_rt_ratio(w, k), w->noisy) : "");
    fputc('}', f);
}

/* "rt_load": the note when it did not run, else how it ran and the rows. */
void bench_report_rt_json(FILE *f, const char *pair, const bench_rt_t *e)
{
    fputs("  \"rt_load\": ", f);
    if (!e->measured) {
        bench_json_str(f, rt_note(e));
        fputs(",\n", f);
        return;
    }
    fprintf(f,
            "{\"cpus\": \"%s\", \"period_us\": %u, \"flood_depth\": %u, \"rt_model\": \"vector_add\", "
            "\"flood_model\": \"gemm\", \"errors\": %llu, \"targets\": {",
            pair, BENCH_RT_PERIOD_US, BENCH_RT_FLOOD_DEPTH, (unsigned long long)e->errors);
    for (size_t k = 0; k < BENCH_RT_N_TARGETS; k++)
        fprintf(f, "%s\"%s\": %.1f", k ? ", " : "", bench_rt_targets[k].key, bench_rt_targets[k].max);
    fputs("}, \"note\": ", f);
    bench_json_str(f, e->note);
    fputs(", \"rows\": [", f);
    for (uint32_t i = 0; i < e->n_rows; i++)
        json_rt_row(f, &e->row[i], i == 0);
    fputs("\n  ]},\n", f);
}
