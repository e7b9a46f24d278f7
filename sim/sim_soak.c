/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_soak.c - zenedge-sim --soak SECONDS: the tasks run for a fixed time
 * in rounds of --soak-round-s; between two rounds the ZENEDGE side
 * re-initialises its proxy over the same region (proxy_init() with the
 * next epoch: the bridge detaches and attaches again). The bridge may be
 * restarted from outside meanwhile (scripts/soak.sh). Every round's jobs
 * are drained before the next starts, so each round's books close:
 *
 *   lost       jobs taken without a final status at the end of the
 *              round: in the task's books (taken by the proxy, final
 *              status collected) or the contract's (submitted, ended)
 *   duplicated final statuses beyond the jobs taken, in either book (a
 *              second answer the proxy refused, completion rejections
 *              "duplicate" and "stale", reached no task: counted apart
 *              as second_answers_refused)
 *   wrong      outputs that differ from the CPU reference
 *
 * All three must be 0; failures a restart explains (bridge_lost,
 * timed_out) are counted and printed, not errors. See docs/zenedge-sim.md.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "sim.h"
#include "sim_soak.h"
#include "zl.h"

typedef struct soak_totals {
    uint64_t submitted, ended[PROXY_END_COUNT], lost, duplicated, rejected;
    uint64_t cq_rejected[PROXY_CQ_REJECT_COUNT], late_answers, bridge_epochs, bridge_lost, reclaimed;
    uint64_t second_answers; /* answers the proxy refused as a job's second */
    uint32_t rounds, reinits, reinit_failed, rounds_without_ok;
} soak_totals_t;

static soak_totals_t tot;

/* A task's round in the sim's own books: jobs the proxy took against
 * final statuses the task collected; and in the contract's: submitted
 * against final statuses. A job missing from either is lost, one too many
 * in either is duplicated (the larger gap of the two counts). */
static void soak_account_task(int i)
{
    static uint32_t prev_taken[SIM_MAX_TASKS], prev_seen[SIM_MAX_TASKS];
    task_t *t = &sim.tasks[i];
    uint32_t taken = t->attempted - t->rejected - prev_taken[i], seen = t->ok + t->failed - prev_seen[i];
    prev_taken[i] += taken;
    prev_seen[i] += seen;
    contract_stats_t st;
    contract_get_stats(&t->c, &st);
    uint64_t ended = 0;
    for (int k = 0; k < PROXY_END_COUNT; k++) {
        tot.ended[k] += st.ended[k];
        ended += st.ended[k];
    }
    tot.submitted += st.submitted;
    uint64_t lost_c = ended < st.submitted ? st.submitted - ended : 0,
             dup_c = ended > st.submitted ? ended - st.submitted : 0;
    uint64_t lost_t = seen < taken ? taken - seen : 0, dup_t = seen > taken ? seen - taken : 0;
    tot.lost += lost_c > lost_t ? lost_c : lost_t;
    tot.duplicated += dup_c > dup_t ? dup_c : dup_t;
}

/* One round's counters into the totals (before the re-initialisation
 * resets the contracts' and the proxy's). */
static void soak_account(uint32_t ok_before)
{
    uint32_t ok_now = 0;
    for (int i = 0; i < sim.n_tasks; i++) {
        ok_now += sim.tasks[i].ok;
        if (!sim.tasks[i].error)
            soak_account_task(i);
    }
    const proxy_stats_t *ps = &sim.proxy->stats;
    for (int k = 0; k < PROXY_CQ_REJECT_COUNT; k++)
        tot.cq_rejected[k] += ps->cq_rejected[k];
    tot.second_answers += ps->cq_rejected[PROXY_CQ_DUPLICATE] + ps->cq_rejected[PROXY_CQ_STALE];
    tot.late_answers += ps->late_answers;
    tot.bridge_epochs += ps->bridge_epochs;
    tot.bridge_lost += ps->bridge_lost;
    tot.reclaimed += ps->reclaimed;
    tot.rounds++;
    if (ok_now == ok_before)
        tot.rounds_without_ok++;
}

/* The proxy again over the same region with the next epoch, the models
 * and contracts again, the port's interrupt thread again; then up to
 * --timeout-s for the bridge to attach (it may be restarting: the tasks
 * then see it offline and back off). 0, or -1 after a message. */
static int soak_reinit(uint32_t round)
{
    zport_posix_stop(&sim.port);
    proxy_stop(sim.proxy);
    proxy_config_t cfg = sim.cfg;
    cfg.epoch = (sim.cfg.epoch + 2u * round) | 1u;
    memset(sim.proxy, 0, sizeof(*sim.proxy));
    int r = proxy_init(sim.proxy, sim.base, &cfg);
    if (r != PROXY_OK) {
        fprintf(stderr, "zenedge-sim: soak: re-initialisation %u: proxy_init: %s\n", round, proxy_strerror(r));
        return -1;
    }
    if (sim_models_register() || sim_tasks_prepare()) {
        fprintf(stderr, "zenedge-sim: soak: re-initialisation %u: models or contracts refused\n", round);
        return -1;
    }
    proxy_start(sim.proxy);
    zport_posix_start(&sim.port, sim.proxy, 0, (uint64_t)sim.spin_us * 1000u);
    uint64_t give_up = zl_now_ns() + (uint64_t)(sim.timeout_s * 1e9);
    while (!proxy_bridge_online(sim.proxy) && zl_now_ns() < give_up)
        sim_sleep_ns(5000000);
    tot.reinits++;
    return 0;
}

int sim_soak_run(void)
{
    uint64_t t0 = zl_now_ns(), end = t0 + (uint64_t)sim.soak_s * 1000000000ull;
    if (sim.soak_round_s == 0)
        sim.soak_round_s = 10;
    uint32_t round_ms = sim.soak_round_s * 1000u;
    memset(&tot, 0, sizeof(tot));
    for (uint32_t round = 0;; round++) {
        uint64_t now = zl_now_ns();
        if (now >= end)
            break;
        if (round > 0 && soak_reinit(round) != 0) {
            tot.reinit_failed++;
            return 1;
        }
        uint64_t left_ms = (end - zl_now_ns()) / 1000000ull;
        uint32_t ok_before = 0;
        for (int i = 0; i < sim.n_tasks; i++) {
            sim.tasks[i].count = 0xFFFFFFF0u; /* until stop_ms */
            sim.tasks[i].stop_ms = left_ms < round_ms ? (uint32_t)(left_ms ? left_ms : 1u) : round_ms;
            ok_before += sim.tasks[i].ok;
        }
        sim_tasks_run(); /* joins after the round's jobs are drained */
        soak_account(ok_before);
        if (!sim.quiet)
            sim_say("zenedge-sim: soak round %u done (%.0f s of %u)\n", round + 1, (double)(zl_now_ns() - t0) / 1e9,
                    sim.soak_s);
    }
    return 0;
}

/* The soak's summary line; 0 when nothing was lost, duplicated or wrong
 * and jobs succeeded, else 1. */
int sim_soak_report(void)
{
    uint64_t wrong = 0, rejected = 0, ok = 0;
    for (int i = 0; i < sim.n_tasks; i++) {
        wrong += sim.tasks[i].mismatches;
        rejected += sim.tasks[i].rejected;
        ok += sim.tasks[i].ok;
    }
    printf("soak: seconds=%u rounds=%u reinits=%u submitted=%llu rejected=%llu", sim.soak_s, tot.rounds, tot.reinits,
           (unsigned long long)tot.submitted, (unsigned long long)rejected);
    for (int k = 0; k < PROXY_END_COUNT; k++)
        printf(" %s=%llu", proxy_end_name(k), (unsigned long long)tot.ended[k]);
    printf(" lost=%llu duplicated=%llu wrong=%llu second_answers_refused=%llu", (unsigned long long)tot.lost,
           (unsigned long long)tot.duplicated, (unsigned long long)wrong, (unsigned long long)tot.second_answers);
    printf(" bridge_epochs=%llu bridge_lost_events=%llu late_answers=%llu reclaimed=%llu rounds_without_ok=%u",
           (unsigned long long)tot.bridge_epochs, (unsigned long long)tot.bridge_lost,
           (unsigned long long)tot.late_answers, (unsigned long long)tot.reclaimed, tot.rounds_without_ok);
    printf(" cq_rejected:");
    for (int k = 0; k < PROXY_CQ_REJECT_COUNT; k++)
        if (tot.cq_rejected[k])
            printf(" %s=%llu", proxy_cq_reject_name(k), (unsigned long long)tot.cq_rejected[k]);
    printf("\n");
    fflush(stdout);
    bool bad = tot.lost || tot.duplicated || wrong || tot.reinit_failed || ok == 0;
    if (bad)
        fprintf(stderr, "zenedge-sim: soak FAILED: lost=%llu duplicated=%llu wrong=%llu reinit_failed=%u ok=%llu\n",
                (unsigned long long)tot.lost, (unsigned long long)tot.duplicated, (unsigned long long)wrong,
                tot.reinit_failed, (unsigned long long)ok);
    return bad ? 1 : 0;
}
