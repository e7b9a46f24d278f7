/* SPDX-License-Identifier: BSD-3-Clause */
/* test_life_daemon.c - a real zenedge-bridged against a hostile region, one threat per mode: "flip" (a process flips the ZENEDGE epoch word for 3 s: the daemon's log stays small and it serves PING within 50 ms afterwards), "corrupt-sq" (an impossible submission ring head: one log line, little CPU, a small count of corrupt reads, the other rings still served), "slow" (backend jobs of the stand-in CUDA driver that finish after the region was re-initialised in place, then re-created: no output copy and no answer into the new region, no touch of the old mapping, the daemon serves on), "slow-ocl" (the same with OpenCL and a gemm large enough to outlive the daemon's wait on a CPU device). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "test_exit.h"
#include "zenedge/barrier.h"
#include "zside.h"

#define MAX_JOBS 64u
#define BIG      1280u /* slow-ocl: a gemm of BIG x BIG floats, seconds of work per job on a CPU device */

static zside_t z;
static uint32_t region_size = 1u << 20;
static char big_models[512]; /* slow-ocl: the model folder made here */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Lines of the daemon log holding needle (all lines for ""). */
static unsigned log_lines(const char *needle)
{
    FILE *f = fopen(z.log, "r");
    if (f == NULL)
        return 0;
    char line[2048];
    unsigned n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* utime + stime of the daemon, in clock ticks. */
static unsigned long long cpu_ticks(void)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)z.bridge);
    FILE *f = fopen(path, "r");
    ZS_CHECK(f != NULL, "cannot read %s", path);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    ZS_CHECK(p != NULL, "odd %s", path);
    unsigned long long ut = 0, st = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    ZS_CHECK(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2, "parse %s", path);
    return ut + st;
}

/* A PING on the RT ring: its round trip in ms, or -1 without an answer
 * within timeout_ms. Other completions met on the way are skipped. */
static int ping_ms(int timeout_ms)
{
    uint32_t h = zside_next_handle(&z, 1);
    uint64_t t0 = zl_now_ns();
    if (zside_send(&z, IPC_QOS_RT, CMD_PING, 0, h) != IPC_OK)
        return -1;
    ipc_packet_t a;
    while (zside_wait(&z, &a, timeout_ms) == 1)
        if (a.cmd == CMD_PONG && a.payload_id == h)
            return (int)((zl_now_ns() - t0) / 1000000u);
    return -1;
}

/* PING until one is answered (the daemon re-attaches after its back-off). */
static void wait_serving(const char *what, int total_ms)
{
    for (int t = 0; t < total_ms; t += 200)
        if (ping_ms(200) >= 0)
            return;
    ZS_CHECK(0, "%s: no PONG within %d ms (log %s)", what, total_ms, z.log);
}

/* Ten PINGs, each answered within limit_ms (50 in poll mode; adaptive
 * without a doorbell peer sleeps up to 50 ms when idle). */
static void ping_fast(const char *what, int limit_ms)
{
    int worst = 0;
    for (int i = 0; i < 10; i++) {
        int ms = ping_ms(1000);
        ZS_CHECK(ms >= 0 && ms < limit_ms, "%s: PING %d answered in %d ms (want < %d)", what, i, ms, limit_ms);
        worst = ms > worst ? ms : worst;
    }
    printf("%s: 10 PINGs, slowest %d ms\n", what, worst);
}

static int mode_flip(void)
{
    wait_serving("before flipping", 10000);
    ping_fast("before flipping", 50);
    unsigned before = log_lines("");
    uint32_t e = ipc_read_once(&z.v.hdr->zen.epoch);
    uint64_t end = zl_now_ns() + 3000000000ull, flips = 0;
    while (zl_now_ns() < end) {
        ipc_store_release(&z.v.hdr->zen.epoch, ++e);
        flips++;
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    unsigned during = log_lines("") - before;
    unsigned detached = log_lines("detached from the region");
    printf("%llu epoch flips in 3 s: %u log lines, %u detaches, %u summaries of suppressed lines\n",
           (unsigned long long)flips, during, detached, log_lines("suppressed"));
    ZS_CHECK(during <= 60, "%u log lines while the epoch flipped for 3 s (want <= 60)", during);
    wait_serving("after flipping", 12000);
    ping_fast("after flipping", 50);
    return TEST_PASS;
}

static int mode_corrupt_sq(void)
{
    wait_serving("before the corruption", 10000);
    uint32_t tail = ipc_read_once(&z.v.sq[2]->tail);
    uint32_t head = ipc_read_once(&z.v.sq[2]->head);
    ipc_store_release(&z.v.sq[2]->head, tail + 4u * z.v.sq_slots); /* more ready than slots */
    sleep_ms(200);
    unsigned long long c0 = cpu_ticks();
    sleep_ms(2000);
    unsigned long long used = cpu_ticks() - c0;
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t seen = 0;
    ZS_CHECK(zside_stat(&z, "ring_corrupt_seen", &seen), "no statistics dump");
    unsigned lines = log_lines("submission ring 2 is corrupt");
    printf("corrupt ring 2: %u log line(s), %llu of %ld ticks/s CPU over 2 s, %llu corrupt reads\n", lines, used, hz,
           (unsigned long long)seen);
    ZS_CHECK(lines == 1, "%u log lines name the corrupt ring (want 1)", lines);
    ZS_CHECK(used * 5u <= (unsigned long long)hz * 2u, "daemon used %llu ticks in 2 s (want <= %ld: 20%%)", used,
             hz * 2 / 5);
    ZS_CHECK(seen <= 100, "%llu corrupt reads counted in 2 s (want <= 100)", (unsigned long long)seen);
    ping_fast("RT ring while ring 2 is corrupt", 120);
    /* Sane again: served after the back-off (at most 1 s). */
    ipc_store_release(&z.v.sq[2]->head, head);
    uint32_t h = zside_next_handle(&z, 3);
    ZS_CHECK(zside_send(&z, 2, CMD_PING, 0, h) == IPC_OK, "enqueue on ring 2");
    ipc_packet_t a;
    ZS_CHECK(zside_wait(&z, &a, 3000) == 1 && a.payload_id == h, "ring 2 not served again within 3 s");
    ZS_CHECK(log_lines("submission ring 2 is consistent again") == 1, "no line for the ring's recovery");
    return TEST_PASS;
}

/* n vector_add jobs on ring 2, each with its own tensors; their output
 * offsets into out[]. */
static void send_adds(uint32_t n, uint32_t first_slot, uint32_t *out)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = zside_alloc(&z, 4096), b = zside_alloc(&z, 4096);
        out[i] = zside_alloc(&z, 4096);
        uint32_t h = zside_next_handle(&z, first_slot + i);
        ipc_tensor_ref_t in[2] = {{a, 4096}, {b, 4096}}, o[1] = {{out[i], 4096}};
        zside_fill(&z, h, 1, IPC_QOS_NORMAL, 2, in, 1, o);
        ZS_CHECK(zside_send(&z, 2, CMD_RUN_MODEL, 0, h) == IPC_OK, "enqueue job %u", i);
    }
}

/* The region re-created under the daemon: a new object by the same name. */
static void recreate(uint32_t epoch)
{
    zl_map_t old = z.map;
    shm_unlink(z.shm);
    ZS_CHECK(zl_shm_create(&z.map, z.shm, region_size) == 0, "re-create %s", z.shm);
    old.owner = 0;
    zl_unmap(&old);
    ZS_CHECK(zside_reinit(&z, MAX_JOBS, epoch) == 0, "re-initialise");
}

/* After the late completions: the new region's slots and outputs untouched,
 * no answer for an old job. */
static void check_untouched(const char *what, uint32_t first_slot, const uint32_t *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const ipc_job_desc_t *d = &z.v.jobs[first_slot + i];
        ZS_CHECK(d->t_complete == 0 && d->bridge_epoch == 0 && d->result == 0,
                 "%s: slot %u got an answer line in the new region", what, first_slot + i);
        const unsigned char *p = z.v.base + out[i];
        for (uint32_t k = 0; k < 4096; k++)
            ZS_CHECK(p[k] == 0xA5, "%s: output %u of the old region copied into the new one", what, i);
    }
    ipc_packet_t a;
    while (zside_wait(&z, &a, 10) == 1)
        ZS_CHECK(a.cmd != CMD_JOB_DONE, "%s: JOB_DONE 0x%08x posted into the new region", what, a.payload_id);
}

static int mode_slow(int delay_ms)
{
    if (!zside_wait_ready(&z, 0, 30000)) {
        if (log_lines("init failed") || log_lines("cannot run model") || log_lines("not built in")) {
            printf("skipped: the daemon cannot run this backend here (log %s)\n", z.log);
            return TEST_SKIP;
        }
        ZS_CHECK(0, "bridge not READY within 30 s (log %s)", z.log);
    }
    uint32_t out[4];
    for (int round = 0; round < 2; round++) {
        uint32_t epoch = ipc_load_acquire(&z.v.hdr->bridge.epoch);
        z.heap_next = z.v.heap_off; /* the old jobs' tensors where the new region's will be */
        send_adds(4, 8, out);
        sleep_ms(300); /* taken by the backend, completions delayed */
        if (round == 0)
            ZS_CHECK(zside_reinit(&z, MAX_JOBS, 10u + (uint32_t)round) == 0, "re-initialise in place");
        else
            recreate(10u + (uint32_t)round);
        uint32_t keep[4];
        for (uint32_t i = 0; i < 4; i++) { /* the same offsets, as the old jobs' */
            keep[i] = zside_alloc(&z, 4096 * 3) + 2u * 4096u;
            memset(z.v.base + keep[i], 0xA5, 4096);
        }
        ZS_CHECK(keep[0] == out[0], "heap layout differs (%u vs %u)", keep[0], out[0]);
        ZS_CHECK(zside_wait_ready(&z, epoch, 20000), "round %d: not READY again within 20 s (log %s)", round, z.log);
        sleep_ms(delay_ms + 1500 - 5300); /* the late completions come back meanwhile */
        ZS_CHECK(kill(z.bridge, 0) == 0, "round %d: the daemon died (log %s)", round, z.log);
        check_untouched(round == 0 ? "in place" : "re-created", 8, keep, 4);
        wait_serving("after the late completions", 5000);
        printf("round %d: %u late job(s) dropped so far\n", round, log_lines("came back from backend"));
    }
    ZS_CHECK(log_lines("came back from backend") >= 8, "the late completions were not dropped (log %s)", z.log);
    return TEST_PASS;
}

/* A model folder with one gemm of BIG x BIG (id 9): the shipped gemm.cl. */
static void make_big_model(const char *models)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(big_models, sizeof(big_models), "%s/zenedge-life-models-%d", tmp, (int)getpid());
    char path[1024], cmd[2200];
    snprintf(path, sizeof(path), "%s/biggemm", big_models);
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s/gemm/gemm.cl' '%s/biggemm.cl'", path, models, path);
    ZS_CHECK(system(cmd) == 0, "%s", cmd);
    snprintf(path, sizeof(path), "%s/biggemm/model.ini", big_models);
    FILE *f = fopen(path, "w");
    ZS_CHECK(f != NULL, "%s", path);
    fprintf(f, "[model]\nid = 9\nname = biggemm\ndescription = slow gemm\nresult = none\n\n");
    fprintf(f, "[input.0]\nname = a\ndtype = f32\nshape = %u,%u\n\n", BIG, BIG);
    fprintf(f, "[input.1]\nname = b\ndtype = f32\nshape = %u,%u\n\n", BIG, BIG);
    fprintf(f, "[output.0]\nname = c\ndtype = f32\nshape = %u,%u\n\n[backend.cpu]\nkernel = gemm_f32\n", BIG, BIG);
    fclose(f);
}

static void remove_big_model(void)
{
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", big_models);
    if (big_models[0] && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", big_models);
}

/* OpenCL (a CPU device such as PoCL): eight slow jobs, the region
 * re-created under them; the ones still running after the daemon's wait
 * come back late and touch nothing. */
static int mode_slow_ocl(void)
{
    if (!zside_wait_ready(&z, 0, 60000)) {
        if (log_lines("init failed") || log_lines("not built in") || log_lines("cannot run model")) {
            printf("skipped: no usable OpenCL device for the daemon (log %s)\n", z.log);
            return TEST_SKIP;
        }
        ZS_CHECK(0, "bridge not READY within 60 s (log %s)", z.log);
    }
    const uint32_t bytes = BIG * BIG * 4u;
    uint32_t epoch = ipc_load_acquire(&z.v.hdr->bridge.epoch);
    uint32_t a = zside_alloc(&z, bytes), b = zside_alloc(&z, bytes), out = zside_alloc(&z, bytes);
    for (uint32_t i = 0; i < 8; i++) {
        uint32_t h = zside_next_handle(&z, 8 + i);
        ipc_tensor_ref_t in[2] = {{a, bytes}, {b, bytes}}, o[1] = {{out, bytes}};
        zside_fill(&z, h, 9, IPC_QOS_NORMAL, 2, in, 1, o);
        ZS_CHECK(zside_send(&z, 2, CMD_RUN_MODEL, 0, h) == IPC_OK, "enqueue job %u", i);
    }
    sleep_ms(500);
    recreate(20);
    memset(z.v.base + out, 0xA5, bytes);
    ZS_CHECK(zside_wait_ready(&z, epoch, 30000), "not READY again within 30 s (log %s)", z.log);
    unsigned held = log_lines("still holds");
    for (int t = 0; held && t < 90000 && !log_lines("the last backend job of the ended attach is back"); t += 100)
        sleep_ms(100);
    ZS_CHECK(kill(z.bridge, 0) == 0, "the daemon died (log %s)", z.log);
    const ipc_job_desc_t *d = &z.v.jobs[8];
    for (uint32_t i = 0; i < 8; i++, d++)
        ZS_CHECK(d->t_complete == 0 && d->bridge_epoch == 0, "slot %u got an answer line in the new region", 8 + i);
    const unsigned char *p = z.v.base + out;
    for (uint32_t k = 0; k < bytes; k++)
        ZS_CHECK(p[k] == 0xA5, "an output of the old region was copied into the new one (byte %u)", k);
    ipc_packet_t pk;
    while (zside_wait(&z, &pk, 10) == 1)
        ZS_CHECK(pk.cmd != CMD_JOB_DONE, "JOB_DONE 0x%08x posted into the new region", pk.payload_id);
    wait_serving("after the late completions", 5000);
    printf("OpenCL: %s; %u late job(s) dropped\n",
           held ? "jobs outlived the daemon's wait" : "every job was back within the daemon's wait (late path unused)",
           log_lines("came back from backend"));
    ZS_CHECK(!held || log_lines("came back from backend") >= 1, "jobs were held but none came back (log %s)", z.log);
    return TEST_PASS;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR flip|corrupt-sq|slow [BACKEND DELAY_MS]\n", argv[0]);
        return TEST_FAIL;
    }
    const char *mode = argv[3];
    if (strcmp(mode, "slow-ocl") == 0)
        region_size = 32u << 20;
    zside_guard(&z, 240);
    ZS_CHECK(zside_create(&z, "life", region_size, MAX_JOBS, 1) == 0, "region");
    int rc;
    if (strcmp(mode, "slow-ocl") == 0) {
        make_big_model(argv[2]);
        atexit(remove_big_model);
        zside_start_bridge(&z, argv[1], big_models, "adaptive", "--backend", "opencl", "--queue-depth", "8", NULL);
        rc = mode_slow_ocl();
    } else if (strcmp(mode, "slow") == 0) {
        ZS_CHECK(argc >= 6, "slow needs BACKEND DELAY_MS");
        setenv("ZENEDGE_FAKE_CUDA_DELAY_MS", argv[5], 1);
        zside_start_bridge(&z, argv[1], argv[2], "adaptive", "--backend", argv[4], "--queue-depth", "8", NULL);
        rc = mode_slow(atoi(argv[5]));
    } else {
        /* flip: poll mode (PING within 50 ms; the fastest re-attach);
         * corrupt-sq: adaptive (the daemon's CPU time must stay low). */
        zside_start_bridge(&z, argv[1], argv[2], strcmp(mode, "flip") == 0 ? "poll" : "adaptive", NULL);
        ZS_CHECK(zside_wait_ready(&z, 0, 30000), "bridge not READY within 30 s (log %s)", z.log);
        rc = strcmp(mode, "flip") == 0 ? mode_flip() : mode_corrupt_sq();
    }
    if (rc == TEST_PASS) {
        uint64_t t0 = zl_now_ns();
        int st = zside_stop_bridge(&z, 5000);
        unsigned ms = (unsigned)((zl_now_ns() - t0) / 1000000u);
        ZS_CHECK(st == 0, "exit status %d after SIGTERM (log %s)", st, z.log);
        printf("PASS: %s; exit 0 on SIGTERM in %u ms\n", mode, ms);
    }
    zside_destroy(&z);
    return rc;
}
