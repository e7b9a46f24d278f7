/* SPDX-License-Identifier: BSD-3-Clause */
/* test_accel_models.c - every shipped model on an accelerator backend (argv[2]: opencl, on PoCL in CI, cuda or level_zero) against the CPU reference, many jobs in flight, and the digits accuracy per backend; exits 77 when the backend has no device. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "accel_test.h"
#include "zl.h"
#include "test_exit.h"

#define SEEDS 6u

static int load_all(bridge_backend_t *be, const bridge_registry_t *reg)
{
    char why[512];
    for (uint32_t i = 0; i < reg->n_models; i++) {
        why[0] = '\0';
        int rc = be->ops->load_model(be, reg->models[i], why, sizeof(why));
        if (rc != BRIDGE_OK) {
            fprintf(stderr, "FAIL: %s load_model %s: %s: %s\n", be->ops->name, reg->models[i]->name,
                    bridge_strerror(rc), why);
            return -1;
        }
    }
    return 0;
}

/* One job per model and seed, run alone, compared with the CPU. */
static int check_models(bridge_backend_t *cpu, bridge_backend_t *ocl, const bridge_registry_t *reg)
{
    int fails = 0;
    for (uint32_t mi = 0; mi < reg->n_models; mi++) {
        const bridge_model_t *m = reg->models[mi];
        double worst = 0.0;
        uint64_t dev_ns = 0;
        for (uint32_t seed = 1; seed <= SEEDS; seed++) {
            accel_io_t a, b;
            if (accel_io_make(&a, m, seed) || accel_io_make(&b, m, seed)) {
                fprintf(stderr, "FAIL: out of memory\n");
                return 1;
            }
            bridge_job_t jc, jo;
            accel_job_fill(&jc, m, &a, IPC_QOS_NORMAL, IPC_HANDLE(seed, mi));
            accel_job_fill(&jo, m, &b, IPC_QOS_NORMAL, IPC_HANDLE(seed, mi));
            if (accel_run_one(cpu, &jc) || accel_run_one(ocl, &jo)) {
                fails++;
            } else if (jo.status != IPC_STATUS_OK) {
                fprintf(stderr, "FAIL: %s seed %u: status %u\n", m->name, seed, jo.status);
                fails++;
            } else {
                double d;
                uint32_t bad = accel_compare(m, b.out, a.out, &d);
                worst = d > worst ? d : worst;
                if (bad) {
                    fprintf(stderr, "FAIL: %s seed %u: %u element(s) out of tolerance, max |diff| %g\n", m->name, seed,
                            bad, d);
                    fails++;
                }
                if (jo.result != jc.result) {
                    fprintf(stderr, "FAIL: %s seed %u: result %u, cpu %u\n", m->name, seed, jo.result, jc.result);
                    fails++;
                }
                if (jo.backend_ns == 0 || jo.t_backend_end < jo.t_backend_start) {
                    fprintf(stderr, "FAIL: %s seed %u: backend_ns %llu, start %llu end %llu\n", m->name, seed,
                            (unsigned long long)jo.backend_ns, (unsigned long long)jo.t_backend_start,
                            (unsigned long long)jo.t_backend_end);
                    fails++;
                }
                dev_ns += jo.backend_ns;
            }
            accel_io_free(&a);
            accel_io_free(&b);
        }
        printf("%-10s %s vs cpu: %u jobs, max |diff| %.3g, mean backend time %.1f us\n", m->name, ocl->ops->name, SEEDS,
               worst, (double)dev_ns / SEEDS / 1000.0);
    }
    return fails;
}

/* Fill the backend queue with jobs of every model, then drain it. */
static int check_async(bridge_backend_t *cpu, bridge_backend_t *ocl, const bridge_registry_t *reg, uint32_t depth)
{
    enum { N = 32 };
    accel_io_t io[N], ref[N];
    bridge_job_t job[N], rj;
    int fails = 0;
    uint32_t seen[N] = {0};
    for (uint32_t i = 0; i < N; i++) {
        const bridge_model_t *m = reg->models[i % reg->n_models];
        if (accel_io_make(&io[i], m, 100 + i) || accel_io_make(&ref[i], m, 100 + i))
            return 1;
        accel_job_fill(&job[i], m, &io[i], i % IPC_QOS_COUNT, IPC_HANDLE(1, i));
        accel_job_fill(&rj, m, &ref[i], IPC_QOS_NORMAL, IPC_HANDLE(1, i));
        if (accel_run_one(cpu, &rj))
            return 1;
    }
    uint32_t next = 0, back = 0;
    int busy_seen = 0;
    uint64_t end = zl_now_ns() + 60ull * 1000000000ull;
    while (back < N && zl_now_ns() < end) {
        while (next < N) {
            int rc = ocl->ops->submit(ocl, &job[next]);
            if (rc == BRIDGE_E_BUSY) {
                busy_seen = 1;
                if ((uint32_t)ocl->ops->in_flight(ocl) != depth) {
                    fprintf(stderr, "FAIL: BUSY with %d in flight, depth %u\n", ocl->ops->in_flight(ocl), depth);
                    fails++;
                }
                break;
            }
            if (rc != BRIDGE_OK) {
                fprintf(stderr, "FAIL: submit %u: %s\n", next, bridge_strerror(rc));
                return fails + 1;
            }
            next++;
        }
        bridge_job_t *done[8];
        int n = ocl->ops->poll(ocl, done, 8, 100);
        if (n < 0) {
            fprintf(stderr, "FAIL: poll: %s\n", bridge_strerror(n));
            return fails + 1;
        }
        for (int k = 0; k < n; k++) {
            uint32_t i = (uint32_t)(done[k] - job);
            if (i >= N || seen[i]++) {
                fprintf(stderr, "FAIL: poll returned job %u twice or a foreign job\n", i);
                return fails + 1;
            }
            back++;
            double d;
            if (done[k]->status != IPC_STATUS_OK || accel_compare(done[k]->model, io[i].out, ref[i].out, &d)) {
                fprintf(stderr, "FAIL: async job %u (%s): status %u or output differs\n", i, done[k]->model->name,
                        done[k]->status);
                fails++;
            }
        }
    }
    if (back != N || ocl->ops->in_flight(ocl) != 0) {
        fprintf(stderr, "FAIL: %u of %u jobs came back, %d still in flight\n", back, N, ocl->ops->in_flight(ocl));
        fails++;
    }
    if (!busy_seen) {
        fprintf(stderr, "FAIL: the queue never filled (depth %u, %u jobs)\n", depth, N);
        fails++;
    }
    printf("async: %u jobs of %u models through a queue of depth %u: %s\n", N, reg->n_models, depth,
           fails ? "FAILED" : "all correct, each returned once");
    for (uint32_t i = 0; i < N; i++) {
        accel_io_free(&io[i]);
        accel_io_free(&ref[i]);
    }
    return fails;
}

/* A finished job rings the dispatcher's doorbell (set_wake) and shows in
 * finished() before poll is called: a dispatcher asleep on its doorbell
 * wakes when the device is done, not at the end of its idle wait. */
static int check_wake(bridge_backend_t *be, const bridge_registry_t *reg)
{
    if (be->ops->set_wake == NULL || be->ops->finished == NULL) {
        fprintf(stderr, "FAIL: %s has no set_wake/finished: a sleeping dispatcher would not wake\n", be->ops->name);
        return 1;
    }
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) {
        perror("eventfd");
        return 1;
    }
    int fails = 0;
    const bridge_model_t *m = reg->models[0];
    accel_io_t io;
    bridge_job_t job;
    if (accel_io_make(&io, m, 3)) {
        close(efd);
        return 1;
    }
    accel_job_fill(&job, m, &io, IPC_QOS_NORMAL, IPC_HANDLE(1, 77));
    be->ops->set_wake(be, efd);
    if (be->ops->finished(be) != 0) {
        fprintf(stderr, "FAIL: finished() is %d with nothing submitted\n", be->ops->finished(be));
        fails++;
    }
    if (be->ops->submit(be, &job) != BRIDGE_OK) {
        fprintf(stderr, "FAIL: submit of %s\n", m->name);
        fails++;
    } else {
        struct pollfd pfd = {.fd = efd, .events = POLLIN};
        int r = poll(&pfd, 1, 10000); /* the job takes micro- to milliseconds */
        int fin = be->ops->finished(be);
        bridge_job_t *done[1];
        int n = be->ops->poll(be, done, 1, 10000);
        if (r != 1)
            fprintf(stderr, "FAIL: the doorbell was not rung within 10 s of the job's submit\n");
        if (fin != 1)
            fprintf(stderr, "FAIL: finished() is %d after the ring, not 1\n", fin);
        if (n != 1 || done[0] != &job || job.status != IPC_STATUS_OK)
            fprintf(stderr, "FAIL: poll after the ring gave %d job(s)\n", n);
        fails += (r != 1) + (fin != 1) + (n != 1 || done[0] != &job || job.status != IPC_STATUS_OK);
        if (be->ops->finished(be) != 0) {
            fprintf(stderr, "FAIL: finished() is %d after poll took the job\n", be->ops->finished(be));
            fails++;
        }
    }
    be->ops->set_wake(be, -1);
    close(efd);
    accel_io_free(&io);
    printf("wake: a finished job rings the doorbell and shows in finished(): %s\n", fails ? "FAILED" : "yes");
    return fails;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODELS_DIR opencl|cuda|level_zero [DEVICE]\n", argv[0]);
        return 1;
    }
    char why[512] = "";
    bridge_device_info_t devs[8];
    const bridge_backend_ops_t *ops = accel_backend(argv[2]);
    if (ops == NULL) {
        printf("skipped: backend '%s' is not built into this tree\n", argv[2]);
        return TEST_SKIP;
    }
    int nd = ops->probe(devs, 8, why, sizeof(why));
    if (nd == BRIDGE_E_NO_DEVICE || nd == 0) {
        printf("skipped: no %s device (%s)\n", ops->name, why);
        return TEST_SKIP;
    }
    if (nd <= 0) {
        fprintf(stderr, "FAIL: probe: %s: %s\n", bridge_strerror(nd), why);
        return 1;
    }
    bridge_registry_t reg;
    int rc = bridge_registry_load(&reg, argv[1], why, sizeof(why));
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "FAIL registry: %s: %s\n", bridge_strerror(rc), why);
        return 1;
    }
    const uint32_t depth = 8;
    bridge_backend_t cpu = {.ops = &bridge_backend_cpu}, ocl = {.ops = ops};
    bridge_backend_config_t ccfg = {.queue_depth = 1};
    bridge_backend_config_t ocfg = {.device = argc > 3 ? argv[3] : NULL, .queue_depth = depth};
    if (cpu.ops->init(&cpu, &ccfg) != BRIDGE_OK || load_all(&cpu, &reg))
        return 1;
    uint64_t t0 = zl_now_ns();
    rc = ocl.ops->init(&ocl, &ocfg);
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "FAIL: %s init: %s\n", ops->name, bridge_strerror(rc));
        return 1;
    }
    if (load_all(&ocl, &reg))
        return 1;
    printf("%s: %d device(s), first %s / %s; init + load of %u models %.1f ms\n", ops->name, nd, devs[0].platform,
           devs[0].device, reg.n_models, (double)(zl_now_ns() - t0) / 1e6);

    int fails = check_models(&cpu, &ocl, &reg);
    fails += check_async(&cpu, &ocl, &reg, depth);
    fails += check_wake(&ocl, &reg);

    const bridge_model_t *dm = bridge_registry_find_name(&reg, "digits_mlp");
    if (dm == NULL) {
        fprintf(stderr, "FAIL: digits_mlp not in the registry\n");
        fails++;
    } else {
        uint32_t cc = 0, oc = 0, n = 0;
        int a = accel_digits_accuracy(&cpu, dm, &cc, &n);
        int b = a == 0 ? accel_digits_accuracy(&ocl, dm, &oc, &n) : a;
        if (a < 0 || b < 0) {
            fails++;
        } else if (a == 0 && b == 0) {
            printf("digits_mlp accuracy on the held-out set: cpu %.4f (%u/%u), %s %.4f (%u/%u)\n", (double)cc / n, cc,
                   n, ops->name, (double)oc / n, oc, n);
            if (cc != oc || (double)oc / n < 0.95) {
                fprintf(stderr, "FAIL: %s accuracy differs from cpu or is below 0.95\n", ops->name);
                fails++;
            }
        }
    }
    ocl.ops->shutdown(&ocl);
    cpu.ops->shutdown(&cpu);
    bridge_registry_free(&reg);
    printf("%s\n", fails ? "FAIL" : "PASS");
    return fails ? 1 : 0;
}
