/* test_qos_order.c - QoS inside a backend: with many BACKGROUND jobs queued, later NORMAL, HIGH and RT jobs start and complete before every queued job of a less urgent class that had not started (argv[2]: cpu, opencl or cuda; 77 when the backend has no device). */
#include <stdlib.h>
#include <string.h>

#include "accel_test.h"
#include "zl.h"
#include "test_exit.h"

#define N_BG     24u
#define N_NORMAL 4u
#define N_JOBS   (N_BG + N_NORMAL + 2u)

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODELS_DIR cpu|opencl|cuda [DEVICE]\n", argv[0]);
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
        printf("skipped: no %s device (%s)\n", strcmp(ops->name, "cuda") == 0 ? "CUDA" : "OpenCL", why);
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
    if ((rc = ops->init(&be, &cfg)) != BRIDGE_OK) {
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
     * slot) are outside the rule; every other job must complete after all
     * jobs of a more urgent class, and in submission order within its class. */
    uint32_t started_early = 0, late_bg_before_rt = 0, pos_rt = 0;
    for (uint32_t k = 0; k < N_JOBS; k++)
        if (order[k]->qos == IPC_QOS_RT)
            pos_rt = k;
    for (uint32_t k = 0; k < pos_rt; k++)
        if (order[k]->qos == IPC_QOS_BACKGROUND && order[k]->t_backend_start > t_all_submitted)
            late_bg_before_rt++;
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
        if ((int)j->qos < last_qos) {
            fprintf(stderr,
                    "FAIL: completion %u is job %u of class %u after a class %d job that had not "
                    "started either\n",
                    k, i, j->qos, last_qos);
            fails++;
        }
        last_qos = (int)j->qos;
        if (have_last[j->qos] && i < last_idx[j->qos]) {
            fprintf(stderr, "FAIL: job %u of class %u completed after job %u of the same class\n", i, j->qos,
                    last_idx[j->qos]);
            fails++;
        }
        have_last[j->qos] = 1;
        last_idx[j->qos] = i;
    }
    if (late_bg_before_rt) {
        fprintf(stderr, "FAIL: %u queued BACKGROUND job(s) completed before the RT job\n", late_bg_before_rt);
        fails++;
    }
    if (started_early >= N_BG) {
        fprintf(stderr, "FAIL: %u jobs started before the RT job was submitted: nothing was queued\n", started_early);
        fails++;
    }
    printf("%s qos: %u BACKGROUND + %u NORMAL + HIGH + RT submitted; %u had started at once; the RT job "
           "completed %u-th, before all %u queued BACKGROUND jobs: %s\n",
           ops->name, N_BG, N_NORMAL, started_early, pos_rt + 1, N_BG - started_early, fails ? "NO" : "yes");
    ops->shutdown(&be);
    for (uint32_t i = 0; i < N_JOBS; i++)
        accel_io_free(&io[i]);
    bridge_registry_free(&reg);
    return fails ? 1 : 0;
}
