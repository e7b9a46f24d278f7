/* SPDX-License-Identifier: BSD-3-Clause */
/* test_qos_order.c - QoS inside a backend: with many BACKGROUND jobs queued, later NORMAL, HIGH and RT jobs start and complete before every queued job of a less urgent class that had not started; under a BACKGROUND flood an RT job starts at its submit, no BACKGROUND job starts while RT jobs are pending, and the BACKGROUND jobs held back still complete with the CPU reference's outputs; on the stand-in CUDA driver, RT runs in its green context and the others in theirs, or, without green contexts, the backend says so and uses stream priorities on the stand-in Level Zero driver, RT on the high-priority queue and BACKGROUND on the low one (argv[2]: cpu, opencl, cuda or level_zero; 77 when the backend has no device). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel_test.h"
#include "zl.h"
#include "test_exit.h"

#define N_BG     24u
#define N_NORMAL 4u
#define N_JOBS   (N_BG + N_NORMAL + 2u)

#define N_FLOOD_BG 16u
#define N_FLOOD_RT 8u /* more than the device slots: RT jobs wait in the queue */
#define N_FLOOD    (N_FLOOD_BG + N_FLOOD_RT)

/* The CPU backend's outputs for the inputs of io[0..n) into ref[]. */
static int cpu_reference(const bridge_registry_t *reg, bridge_job_t *job, accel_io_t *ref, uint32_t n)
{
    bridge_backend_t cpu = {.ops = &bridge_backend_cpu};
    bridge_backend_config_t cfg = {.queue_depth = 4};
    char why[256] = "";
    int fails = cpu.ops->init(&cpu, &cfg) != BRIDGE_OK;
    for (uint32_t i = 0; i < reg->n_models && !fails; i++)
        fails |= cpu.ops->load_model(&cpu, reg->models[i], why, sizeof(why)) != BRIDGE_OK;
    for (uint32_t i = 0; i < n && !fails; i++) {
        bridge_job_t rj;
        if (accel_io_make(&ref[i], job[i].model, 1000 + i))
            return 1;
        accel_job_fill(&rj, job[i].model, &ref[i], IPC_QOS_NORMAL, IPC_HANDLE(2, i));
        fails |= accel_run_one(&cpu, &rj) != 0;
    }
    cpu.ops->shutdown(&cpu);
    if (fails)
        fprintf(stderr, "FAIL: CPU reference: %s\n", why);
    return fails;
}

/* Submit a BACKGROUND flood, then more RT jobs than the device takes at
 * once, no poll between; then the rules of the RT class under load. */
static int check_flood(bridge_backend_t *be, const bridge_registry_t *reg, const bridge_model_t *gemm,
                       const bridge_model_t *digits)
{
    accel_io_t io[N_FLOOD], ref[N_FLOOD];
    bridge_job_t job[N_FLOOD];
    for (uint32_t i = 0; i < N_FLOOD; i++) {
        const bridge_model_t *m = i < N_FLOOD_BG ? gemm : digits;
        if (accel_io_make(&io[i], m, 1000 + i))
            return 1;
        accel_job_fill(&job[i], m, &io[i], i < N_FLOOD_BG ? IPC_QOS_BACKGROUND : IPC_QOS_RT, IPC_HANDLE(3, i));
    }
    if (cpu_reference(reg, job, ref, N_FLOOD))
        return 1;
    uint64_t t_rt_sub = 0, t_rt_ret = 0, t_ret[N_FLOOD];
    for (uint32_t i = 0; i < N_FLOOD; i++) {
        if (i == N_FLOOD_BG)
            t_rt_sub = zl_now_ns();
        if (be->ops->submit(be, &job[i]) != BRIDGE_OK) {
            fprintf(stderr, "FAIL: flood submit %u\n", i);
            return 1;
        }
        t_ret[i] = zl_now_ns();
        if (i == N_FLOOD_BG)
            t_rt_ret = t_ret[i];
    }
    bridge_job_t *done[N_FLOOD];
    uint32_t back = 0;
    uint64_t end = zl_now_ns() + 60ull * 1000000000ull;
    while (back < N_FLOOD && zl_now_ns() < end) {
        int n = be->ops->poll(be, done + back, (int)(N_FLOOD - back), 100);
        back += n > 0 ? (uint32_t)n : 0;
    }
    if (back != N_FLOOD) {
        fprintf(stderr, "FAIL: flood: %u of %u jobs came back within 60 s\n", back, N_FLOOD);
        return 1;
    }
    int fails = 0;
    uint32_t held = 0, bg_while_rt_pending = 0;
    for (uint32_t i = 0; i < N_FLOOD; i++) {
        double d = 0;
        if (job[i].status != IPC_STATUS_OK || accel_compare(job[i].model, io[i].out, ref[i].out, &d)) {
            fprintf(stderr, "FAIL: flood job %u (class %u): status %u, output differs from the CPU's\n", i, job[i].qos,
                    job[i].status);
            fails++;
        }
        if (i < N_FLOOD_BG && job[i].t_backend_start > t_rt_sub) {
            held++;
            /* Pending: an RT job whose submit had returned and that had not
             * started (the CPU backend may start a BACKGROUND job between
             * two RT submissions, when no RT job waits). */
            bool pending = false;
            for (uint32_t r = N_FLOOD_BG; r < N_FLOOD; r++)
                pending |= t_ret[r] < job[i].t_backend_start && job[r].t_backend_start > job[i].t_backend_start;
            bg_while_rt_pending += pending;
        }
    }
    /* An accelerator backend starts an RT job inside its submit (a device
     * slot is kept for RT). The CPU backend hands it to its RT worker
     * thread: it starts when that thread wakes, ahead of every queued
     * BACKGROUND job (checked below); the bound only catches a wait
     * behind BACKGROUND work on a loaded machine (one gemm is ~0.3 ms). */
    uint64_t slack = strcmp(be->ops->name, "cpu") == 0 ? 50000000ull : 0;
    if (job[N_FLOOD_BG].t_backend_start > t_rt_ret + slack) {
        fprintf(stderr,
                "FAIL: the first RT job did not start at its submit: it waited %.1f us behind BACKGROUND work\n",
                (double)(job[N_FLOOD_BG].t_backend_start - t_rt_ret) / 1e3);
        fails++;
    }
    if (bg_while_rt_pending) {
        fprintf(stderr, "FAIL: %u BACKGROUND job(s) started while RT jobs were pending\n", bg_while_rt_pending);
        fails++;
    }
    if (held == 0) {
        fprintf(stderr, "FAIL: no BACKGROUND job was still queued when the RT jobs came: nothing tested\n");
        fails++;
    }
    printf("%s flood: %u BACKGROUND then %u RT; the first RT started %.1f us after its submit; %u BACKGROUND "
           "jobs held back, started after every RT job and completed with the CPU's outputs: %s\n",
           be->ops->name, N_FLOOD_BG, N_FLOOD_RT, (double)(job[N_FLOOD_BG].t_backend_start - t_rt_sub) / 1e3, held,
           fails ? "NO" : "yes");
    for (uint32_t i = 0; i < N_FLOOD; i++) {
        accel_io_free(&io[i]);
        accel_io_free(&ref[i]);
    }
    return fails;
}

/* On the stand-in driver (it exports zenedge_fake_cuda_launch_log; 16
 * SMs): with green contexts every RT launch (the mlp) ran in RT's
 * partition of ZENEDGE_CUDA_RT_SMS SMs (default 4) and every other (gemm)
 * in the rest; without (ZENEDGE_FAKE_CUDA_GREEN=0, a 12.3 driver, or
 * ZENEDGE_CUDA_RT_SMS 0 or not a count below 16) the backend said why in
 * its init line (said[]) and every launch ran in the primary context;
 * RT's stream at a higher priority either way. 0 when it holds or the
 * driver is a real one. */
static int check_fake_parts(const char *said)
{
    const char *lib = getenv("ZENEDGE_CUDA_LIBRARY");
    void *h = lib ? dlopen(lib, RTLD_NOW | RTLD_NOLOAD) : NULL;
    int (*logf)(int *, unsigned *, int *, int) = NULL;
    void *sym = h ? dlsym(h, "zenedge_fake_cuda_launch_log") : NULL;
    if (sym == NULL)
        return 0;
    memcpy(&logf, &sym, sizeof(logf));
    static int kind[4096], prio[4096];
    static unsigned sms[4096];
    int n = logf(kind, sms, prio, 4096);
    const char *g = getenv("ZENEDGE_FAKE_CUDA_GREEN");
    const char *want_sms = getenv("ZENEDGE_CUDA_RT_SMS");
    char *end = NULL;
    unsigned long rt_sms = want_sms ? strtoul(want_sms, &end, 10) : 4; /* the fake's 16 / 4 */
    int sms_ok = want_sms == NULL || (*want_sms && *end == '\0' && rt_sms > 0 && rt_sms < 16);
    int green = !(g && strcmp(g, "0") == 0) && sms_ok;
    char line[160];
    if (green)
        snprintf(line, sizeof(line), "CUDA: green contexts: RT on %lu SMs, the other classes on %lu", rt_sms,
                 16 - rt_sms);
    else if (g && strcmp(g, "0") == 0)
        snprintf(line, sizeof(line), "CUDA: no green contexts (driver 12.3): stream priorities only");
    else if (rt_sms == 0 && *end == '\0')
        snprintf(line, sizeof(line),
                 "CUDA: no green contexts (driver 12.4, ZENEDGE_CUDA_RT_SMS=0): stream priorities only");
    else
        snprintf(line, sizeof(line),
                 "CUDA: no green contexts (driver 12.4, ZENEDGE_CUDA_RT_SMS=%s is not a count "
                 "from 0 to 15): stream priorities only",
                 want_sms);
    int fails = 0, rt_prio = 1, bg_prio = -100;
    for (int i = 0; i < n && i < 4096; i++) {
        int rt = kind[i] == 3;
        unsigned want = !green ? 0u : rt ? (unsigned)rt_sms : 16u - (unsigned)rt_sms;
        if (sms[i] != want) {
            fprintf(stderr, "FAIL: launch %d (%s) ran on a context of %u SMs\n", i, rt ? "RT" : "other", sms[i]);
            fails++;
        }
        rt_prio = rt && prio[i] < rt_prio ? prio[i] : rt_prio;
        bg_prio = !rt && prio[i] > bg_prio ? prio[i] : bg_prio;
    }
    if (strstr(said, line) == NULL) {
        fprintf(stderr, "FAIL: the CUDA init did not say '%s'\n", line);
        fails++;
    }
    if (rt_prio >= bg_prio) {
        fprintf(stderr, "FAIL: RT's stream priority %d is not above the others' %d\n", rt_prio, bg_prio);
        fails++;
    }
    printf("fake CUDA: %d launches; %s: %s\n", n,
           green ? "RT in its green context, the others in the rest" : "no green contexts, stream priorities",
           fails ? "NO" : "yes");
    return fails;
}

/* On the stand-in Level Zero driver (it exports
 * zenedge_fake_ze_launch_log; loaded through ZE_ENABLE_ALT_DRIVERS):
 * every RT launch (the mlp) ran on a queue of priority HIGH, the gemm
 * launches of the other classes on NORMAL (NORMAL, HIGH) and LOW
 * (BACKGROUND) queues, both seen, and init said so. 0 when it holds or
 * the driver is a real one. */
static int check_fake_ze(const char *said)
{
    const char *lib = getenv("ZE_ENABLE_ALT_DRIVERS");
    void *h = lib ? dlopen(lib, RTLD_NOW | RTLD_NOLOAD) : NULL;
    void *sym = h ? dlsym(h, "zenedge_fake_ze_launch_log") : NULL;
    int (*logf)(int *, int *, int) = NULL;
    if (sym == NULL)
        return 0;
    memcpy(&logf, &sym, sizeof(logf));
    static int kind[4096], prio[4096];
    int n = logf(kind, prio, 4096), fails = 0, seen_low = 0, seen_normal = 0;
    for (int i = 0; i < n && i < 4096; i++) {
        /* ze_command_queue_priority_t: 0 normal, 1 low, 2 high */
        if (kind[i] == 3 && prio[i] != 2) {
            fprintf(stderr, "FAIL: RT launch %d ran on a queue of priority %d, not high\n", i, prio[i]);
            fails++;
        }
        if (kind[i] == 2 && prio[i] == 2) {
            fprintf(stderr, "FAIL: a gemm launch (%d) ran on RT's high-priority queue\n", i);
            fails++;
        }
        seen_low += kind[i] == 2 && prio[i] == 1;
        seen_normal += kind[i] == 2 && prio[i] == 0;
    }
    if (!seen_low || !seen_normal) {
        fprintf(stderr, "FAIL: gemm launches on low (%d) and normal (%d) priority queues expected\n", seen_low,
                seen_normal);
        fails++;
    }
    if (strstr(said, "queue priorities RT high, HIGH and NORMAL normal, BACKGROUND low") == NULL) {
        fprintf(stderr, "FAIL: the Level Zero init did not name its queue priorities\n");
        fails++;
    }
    printf("fake Level Zero: %d launches; RT on the high-priority queue, BACKGROUND on the low one: %s\n", n,
           fails ? "NO" : "yes");
    return fails;
}

/* ops->init with what it says on stderr kept in said[] (and echoed). */
static int init_said(bridge_backend_t *be, const bridge_backend_config_t *cfg, char *said, size_t len)
{
    FILE *t = tmpfile();
    int saved = dup(2);
    fflush(stderr);
    if (t && saved >= 0)
        dup2(fileno(t), 2);
    int rc = be->ops->init(be, cfg);
    fflush(stderr);
    said[0] = '\0';
    if (t && saved >= 0) {
        dup2(saved, 2);
        rewind(t);
        size_t n = fread(said, 1, len - 1, t);
        said[n] = '\0';
        fputs(said, stderr);
    }
    if (saved >= 0)
        close(saved);
    if (t)
        fclose(t);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODELS_DIR cpu|opencl|cuda|level_zero [DEVICE]\n", argv[0]);
        return 1;
    }
    const bridge_backend_ops_t *ops = strcmp(argv[2], "cpu") == 0 ? &bridge_backend_cpu : accel_backend(argv[2]);
    if (ops == NULL) {
        printf("skipped: backend '%s' is not built into this tree\n", argv[2]);
        return TEST_SKIP;
    }
    char why[512] = "";
    int nd = ops->probe(NULL, 0, why, sizeof(why));
    if (nd == BRIDGE_E_NO_DEVICE || nd == 0) {
        printf("skipped: no %s device (%s)\n", ops->name, why);
        return TEST_SKIP;
    }
    bridge_registry_t reg;
    int rc = bridge_registry_load(&reg, argv[1], why, sizeof(why));
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "FAIL registry: %s: %s\n", bridge_strerror(rc), why);
        return 1;
    }
    const bridge_model_t *gemm = bridge_registry_find_name(&reg, "gemm");
    const bridge_model_t *digits = bridge_registry_find_name(&reg, "digits_mlp");
    if (gemm == NULL || digits == NULL) {
        fprintf(stderr, "FAIL: gemm or digits_mlp missing from the registry\n");
        return 1;
    }
    bridge_backend_t be = {.ops = ops};
    bridge_backend_config_t cfg = {.device = argc > 3 ? argv[3] : NULL, .queue_depth = 64};
    char said[2048];
    if ((rc = init_said(&be, &cfg, said, sizeof(said))) != BRIDGE_OK) {
        fprintf(stderr, "FAIL: %s init: %s\n", ops->name, bridge_strerror(rc));
        return 1;
    }
    if (ops->load_model(&be, gemm, why, sizeof(why)) != BRIDGE_OK ||
        ops->load_model(&be, digits, why, sizeof(why)) != BRIDGE_OK) {
        fprintf(stderr, "FAIL: load_model: %s\n", why);
        return 1;
    }

    /* Submission order: BG x N_BG, NORMAL x N_NORMAL, HIGH, RT; no poll in
     * between, so only the jobs that found a free device slot at submit
     * have started when the last one is submitted. */
    accel_io_t io[N_JOBS];
    bridge_job_t job[N_JOBS];
    for (uint32_t i = 0; i < N_JOBS; i++) {
        uint32_t qos = i < N_BG               ? IPC_QOS_BACKGROUND
                       : i < N_BG + N_NORMAL  ? IPC_QOS_NORMAL
                       : i == N_BG + N_NORMAL ? IPC_QOS_HIGH
                                              : IPC_QOS_RT;
        const bridge_model_t *m = qos == IPC_QOS_RT ? digits : gemm;
        if (accel_io_make(&io[i], m, i + 1))
            return 1;
        accel_job_fill(&job[i], m, &io[i], qos, IPC_HANDLE(1, i));
    }
    for (uint32_t i = 0; i < N_JOBS; i++)
        if ((rc = ops->submit(&be, &job[i])) != BRIDGE_OK) {
            fprintf(stderr, "FAIL: submit %u: %s\n", i, bridge_strerror(rc));
            return 1;
        }
    uint64_t t_all_submitted = zl_now_ns();

    bridge_job_t *order[N_JOBS];
    uint32_t back = 0;
    uint64_t end = zl_now_ns() + 60ull * 1000000000ull;
    while (back < N_JOBS && zl_now_ns() < end) {
        int n = ops->poll(&be, order + back, (int)(N_JOBS - back), 100);
        if (n < 0) {
            fprintf(stderr, "FAIL: poll: %s\n", bridge_strerror(n));
            return 1;
        }
        back += (uint32_t)n;
    }
    int fails = 0;
    if (back != N_JOBS) {
        fprintf(stderr, "FAIL: %u of %u jobs came back within 60 s\n", back, N_JOBS);
        return 1;
    }
    /* Jobs that had started before the last submit returned (found a free
     * slot) are outside the rule; every other job must start after all
     * such jobs of a more urgent class; below RT (which may run on a part
     * of the device of its own) also complete after them; within a class
     * in submission order. */
    uint32_t started_early = 0, late_bg_before_rt = 0, late_out_of_order = 0;
    const bridge_job_t *rt = &job[N_JOBS - 1];
    for (uint32_t a = 0; a < N_JOBS; a++) {
        const bridge_job_t *ja = &job[a];
        if (ja->t_backend_start <= t_all_submitted)
            continue;
        late_bg_before_rt += ja->qos == IPC_QOS_BACKGROUND && ja->t_backend_start < rt->t_backend_start;
        for (uint32_t b = 0; b < N_JOBS; b++)
            if (job[b].t_backend_start > t_all_submitted && job[b].qos < ja->qos &&
                job[b].t_backend_start > ja->t_backend_start)
                late_out_of_order++;
    }
    int last_qos = -1;
    uint32_t last_idx[IPC_QOS_COUNT] = {0};
    int have_last[IPC_QOS_COUNT] = {0};
    for (uint32_t k = 0; k < N_JOBS; k++) {
        bridge_job_t *j = order[k];
        uint32_t i = (uint32_t)(j - job);
        if (j->status != IPC_STATUS_OK) {
            fprintf(stderr, "FAIL: job %u status %u\n", i, j->status);
            fails++;
        }
        if (j->t_backend_start <= t_all_submitted) {
            started_early++;
            continue;
        }
        if (j->qos == IPC_QOS_RT)
            continue;
        if ((int)j->qos < last_qos) {
            fprintf(stderr,
                    "FAIL: completion %u is job %u of class %u after a class %d job that had not "
                    "started either\n",
                    k, i, j->qos, last_qos);
            fails++;
        }
        last_qos = (int)j->qos;
        /* Within a class the jobs start in submission order (one FIFO per
         * class); two of them on two device slots may finish in either
         * order, so the start times are compared, not the completions. */
        uint32_t first = i < last_idx[j->qos] ? i : last_idx[j->qos], then = i ^ last_idx[j->qos] ^ first;
        if (have_last[j->qos] && job[first].t_backend_start > job[then].t_backend_start) {
            fprintf(stderr, "FAIL: job %u of class %u started before job %u, submitted earlier\n", then, j->qos, first);
            fails++;
        }
        have_last[j->qos] = 1;
        last_idx[j->qos] = i;
    }
    if (late_bg_before_rt) {
        fprintf(stderr, "FAIL: %u queued BACKGROUND job(s) started before the RT job\n", late_bg_before_rt);
        fails++;
    }
    if (late_out_of_order) {
        fprintf(stderr, "FAIL: %u queued job(s) started before a queued job of a more urgent class\n",
                late_out_of_order);
        fails++;
    }
    if (started_early >= N_BG) {
        fprintf(stderr, "FAIL: %u jobs started before the RT job was submitted: nothing was queued\n", started_early);
        fails++;
    }
    printf("%s qos: %u BACKGROUND + %u NORMAL + HIGH + RT submitted; %u had started at once; the RT job "
           "started %s, before all %u queued BACKGROUND jobs, which started by class: %s\n",
           ops->name, N_BG, N_NORMAL, started_early, rt->t_backend_start <= t_all_submitted ? "at its submit" : "later",
           N_BG - started_early, fails ? "NO" : "yes");
    fails += check_flood(&be, &reg, gemm, digits);
    fails += check_fake_parts(said);
    fails += check_fake_ze(said);
    ops->shutdown(&be);
    for (uint32_t i = 0; i < N_JOBS; i++)
        accel_io_free(&io[i]);
    bridge_registry_free(&reg);
    return fails ? 1 : 0;
}
