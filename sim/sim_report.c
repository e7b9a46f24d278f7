/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_report.c - zenedge-sim's report: per task the contract's counts and
 * the stage table, the proxy's counters, the --hist CSV and the summary
 * line. Every latency comes from the tasks' lat_trace_t (fixed buckets,
 * zenedge/lat_hist.h): a p50/p99 is the upper edge of its bucket (at most
 * 25 % above the samples in it, clamped to the largest seen), max is exact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim.h"

/* Microseconds, nan when there is no sample. */
static double q_us(const lat_hist_t *h, uint32_t permille)
{
    return h->n ? (double)lat_hist_quantile(h, permille) / 1000.0 : NAN;
}

static double max_us(const lat_hist_t *h)
{
    return h->n ? (double)h->max_ns / 1000.0 : NAN;
}

static void report_counts(const task_t *t, const contract_stats_t *st)
{
    sim_say("task %s (qos=%s, models=", t->name, sim_qos_name(t->qos));
    for (uint32_t i = 0; i < t->n_models; i++)
        sim_say("%s%s", i ? "+" : "", sim_model_name(t->models[i]));
    sim_say("): submitted=%u completed=%u ok=%u failed=%u rejected=%u", st->submitted, t->ok + t->mismatches, t->ok,
            t->failed, t->rejected);
    if (t->labels_total)
        sim_say(" accuracy=%.4f (%u/%u)", (double)t->labels_correct / t->labels_total, t->labels_correct,
                t->labels_total);
    sim_say("\n  rejected by reason:");
    for (int r = 0; r < CONTRACT_REJ_COUNT; r++)
        if (st->rejected[r])
            sim_say(" %s=%u", contract_reject_name(r), st->rejected[r]);
    sim_say("\n  final status:");
    for (int k = 0; k < PROXY_END_COUNT; k++)
        if (st->ended[k])
            sim_say(" %s=%u", proxy_end_name(k), st->ended[k]);
    for (int s = 0; s < IPC_STATUS_COUNT; s++)
        if (st->failed_status[s])
            sim_say(" bridge_status_%d=%u", s, st->failed_status[s]);
    if (t->mismatches)
        sim_say(" wrong_output=%u", t->mismatches);
    sim_say("  backend_time_charged_us=%.1f\n", (double)st->charged_total_ns / 1000.0);
}

static void report_task(task_t *t)
{
    contract_stats_t st;
    contract_get_stats(&t->c, &st);
    report_counts(t, &st);
    if (t->trace.stage[LAT_ROUND_TRIP].n == 0) {
        sim_say("  no job completed: no latencies\n");
        return;
    }
    sim_say("  %-15s %10s %10s %10s %8s\n", "stage (us)", "p50", "p99", "max", "n");
    for (uint32_t s = 0; s < LAT_STAGES; s++) {
        const lat_hist_t *h = &t->trace.stage[s];
        sim_say("  %-15s %10.1f %10.1f %10.1f %8u\n", lat_stage_name(s), q_us(h, 500), q_us(h, 990), max_us(h), h->n);
    }
}

static void report_proxy(void)
{
    const proxy_stats_t *ps = &sim.proxy->stats;
    sim_say("proxy: submitted=%u completions=%u late_answers=%u doorbells=%u bridge_lost=%u bridge_epochs=%u "
            "reclaimed=%u start_tails_used=%u start_tails_bad=%u\n",
            ps->submitted, ps->completions, ps->late_answers, ps->doorbells, ps->bridge_lost, ps->bridge_epochs,
            ps->reclaimed, ps->start_tails_used, ps->start_tails_bad);
    sim_say("proxy: rejected completions:");
    for (int k = 0; k < PROXY_CQ_REJECT_COUNT; k++)
        sim_say(" %s=%u", proxy_cq_reject_name(k), ps->cq_rejected[k]);
    sim_say(" time_clamped=%u bad_timestamps=%u\n", ps->time_clamped, ps->bad_timestamps);
}

/* --hist (opened before the run): every non-empty bucket of every stage
 * of every task. */
static void write_hist(FILE *f, const char *path)
{
    fprintf(f, "task,stage,bucket_upper_ns,count\n");
    for (int i = 0; i < sim.n_tasks; i++)
        for (uint32_t s = 0; s < LAT_STAGES; s++)
            for (uint32_t b = 0; b < LAT_HIST_BUCKETS; b++)
                if (sim.tasks[i].trace.stage[s].count[b])
                    fprintf(f, "%s,%s,%llu,%u\n", sim.tasks[i].name, lat_stage_name(s),
                            (unsigned long long)lat_hist_upper(b), sim.tasks[i].trace.stage[s].count[b]);
    if (fclose(f) != 0)
        fprintf(stderr, "zenedge-sim: --hist '%s': %s\n", path, strerror(errno));
}

/* The round trips of every task in one histogram: same buckets, so the
 * counts add. */
static void add_hist(lat_hist_t *sum, const lat_hist_t *h)
{
    for (uint32_t b = 0; b < LAT_HIST_BUCKETS; b++)
        sum->count[b] += h->count[b];
    sum->n += h->n;
    if (h->n && h->min_ns < sum->min_ns)
        sum->min_ns = h->min_ns;
    if (h->n && h->max_ns > sum->max_ns)
        sum->max_ns = h->max_ns;
}

/* With phased tasks: per other task that ran both while they were off and
 * while they were on, its round trips without and with them (one line
 * each, before the summary line). A task that ran only in one kind of
 * window has nothing to compare and no line. */
static void report_split(void)
{
    if (sim.n_phased == 0)
        return;
    char names[SIM_MAX_TASKS * 48] = "";
    for (int i = 0; i < sim.n_tasks; i++)
        if (sim.tasks[i].phase_ms && !sim.tasks[i].error) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof(names) - l, "%s%s", l ? "+" : "", sim.tasks[i].name);
        }
    for (int i = 0; i < sim.n_tasks; i++) {
        const task_t *t = &sim.tasks[i];
        const lat_hist_t *wo = &t->rtt_split[SIM_SPLIT_WITHOUT], *wi = &t->rtt_split[SIM_SPLIT_WITH];
        if (t->phase_ms || t->error || wo->n == 0 || wi->n == 0)
            continue;
        printf("split: task=%s phased=%s without: p50_us=%.1f p99_us=%.1f jobs=%u | with: p50_us=%.1f p99_us=%.1f "
               "jobs=%u\n",
               t->name, names, q_us(wo, 500), q_us(wo, 990), wo->n, q_us(wi, 500), q_us(wi, 990), wi->n);
    }
}

uint32_t sim_report(void)
{
    uint32_t jobs = 0, ok = 0, failed = 0, rejected = 0, lt = 0, lc = 0;
    lat_hist_t rtt;
    lat_hist_init(&rtt);
    for (int i = 0; i < sim.n_tasks; i++) {
        task_t *t = &sim.tasks[i];
        report_task(t);
        jobs += t->attempted;
        ok += t->ok;
        failed += t->failed;
        rejected += t->rejected;
        lt += t->labels_total;
        lc += t->labels_correct;
        add_hist(&rtt, &t->trace.stage[LAT_ROUND_TRIP]);
    }
    report_proxy();
    report_split();
    if (sim.hist_f) {
        write_hist(sim.hist_f, sim.hist_path);
        sim.hist_f = NULL;
    }
    char acc[32];
    if (lt)
        snprintf(acc, sizeof(acc), "%.4f", (double)lc / lt);
    else
        snprintf(acc, sizeof(acc), "nan");
    printf("sim: jobs=%u ok=%u failed=%u rejected=%u accuracy=%s rtt_p50_us=%.1f rtt_p99_us=%.1f\n", jobs, ok, failed,
           rejected, acc, q_us(&rtt, 500), q_us(&rtt, 990));
    fflush(stdout);
    return failed;
}
