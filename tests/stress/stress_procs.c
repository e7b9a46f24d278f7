/* SPDX-License-Identifier: BSD-3-Clause */
/* stress_procs: two processes over POSIX shared memory laid out as a real
 * region. The parent (zenedge side) initialises the region and sends N
 * sequence-numbered packets on submission ring 0; the child (bridge side)
 * attaches with full validation and forwards each packet onto the
 * completion ring; the parent checks both directions: zero lost,
 * duplicated or reordered, full and empty paths exercised.
 * Usage: stress_procs [N] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

#define REGION_SIZE (1u << 20)

typedef struct {
    uint64_t full, empty, bad;
} counters_t;

static int bridge_child(void *base, uint64_t total)
{
    ipc_region_t v;
    ipc_fault_t fault;
    int err;
    while ((err = ipc_region_attach(&v, base, REGION_SIZE, &fault)) == IPC_E_NOT_READY)
        usleep(100);
    if (err) {
        fprintf(stderr, "child: attach: %s (%s=%u)\n", ipc_strerror(err), fault.field, fault.value);
        return 2;
    }
    ipc_ring_cons_t sq;
    ipc_ring_prod_t cq;
    if (ipc_ring_cons_attach(&sq, v.sq[0], v.sq_slots) || ipc_ring_prod_attach(&cq, v.cq, v.cq_slots))
        return 3;
    ipc_packet_t buf[32];
    uint64_t moved = 0, expect = 0;
    counters_t k = {0, 0, 0};
    while (moved < total) {
        int n = ipc_ring_dequeue_burst(&sq, buf, 1 + (uint32_t)(moved % 32));
        if (n < 0)
            return 4;
        if (n == 0) {
            k.empty++;
            ipc_cpu_relax();
            continue;
        }
        for (int i = 0; i < n; i++, expect++) {
            if (buf[i].timestamp != expect) {
                fprintf(stderr, "child: FAIL: packet %llu carries %llu\n", (unsigned long long)expect,
                        (unsigned long long)buf[i].timestamp);
                return 5;
            }
            buf[i].cmd = CMD_JOB_DONE;
        }
        int off = 0;
        while (off < n) {
            int m = ipc_ring_enqueue_burst(&cq, buf + off, (uint32_t)(n - off));
            if (m < 0)
                return 6;
            if (m == 0) {
                k.full++;
                ipc_cpu_relax();
            }
            off += m;
        }
        moved += (uint64_t)n;
    }
    printf("stress_procs: bridge side: received=%llu ring_empty=%llu cq_full=%llu\n", (unsigned long long)moved,
           (unsigned long long)k.empty, (unsigned long long)k.full);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull;
    char name[64];
    snprintf(name, sizeof(name), "/zenedge-stress-%d", (int)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, REGION_SIZE) != 0) {
        perror("shm");
        return 1;
    }
    void *base = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    shm_unlink(name); /* nothing is left behind whatever happens next */
    close(fd);
    if (base == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        alarm(540);
        _exit(bridge_child(base, total));
    }
    alarm(560);
    ipc_region_t v;
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, REGION_SIZE);
    cfg.sq_slots = 64; /* small rings: the full paths are taken often */
    cfg.max_jobs = 64;
    cfg.cq_slots = 64;
    int err = ipc_region_init(&v, base, &cfg);
    if (err) {
        fprintf(stderr, "init: %s\n", ipc_strerror(err));
        kill(pid, SIGKILL);
        return 1;
    }
    ipc_ring_prod_t sq;
    ipc_ring_cons_t cq;
    if (ipc_ring_prod_attach(&sq, v.sq[0], v.sq_slots) || ipc_ring_cons_attach(&cq, v.cq, v.cq_slots)) {
        kill(pid, SIGKILL);
        return 1;
    }
    uint64_t sent = 0, back = 0;
    counters_t k = {0, 0, 0};
    ipc_packet_t buf[32];
    while (back < total) {
        if (sent < total) {
            uint32_t n = 1 + (uint32_t)(sent % 29);
            if (n > total - sent)
                n = (uint32_t)(total - sent);
            for (uint32_t i = 0; i < n; i++) {
                buf[i].cmd = CMD_RUN_MODEL;
                buf[i].flags = 0;
                buf[i].payload_id = (uint32_t)(sent + i);
                buf[i].timestamp = sent + i;
            }
            int m = ipc_ring_enqueue_burst(&sq, buf, n);
            if (m < 0) {
                k.bad++;
                break;
            }
            if (m == 0)
                k.full++;
            sent += (uint64_t)m;
        }
        int r = ipc_ring_dequeue_burst(&cq, buf, 32);
        if (r < 0) {
            k.bad++;
            break;
        }
        if (r == 0)
            k.empty++;
        for (int i = 0; i < r; i++, back++) {
            if (buf[i].timestamp != back || buf[i].cmd != CMD_JOB_DONE || buf[i].payload_id != (uint32_t)back) {
                fprintf(stderr, "FAIL: completion %llu carries %llu\n", (unsigned long long)back,
                        (unsigned long long)buf[i].timestamp);
                k.bad++;
                r = -1;
                break;
            }
        }
        if (r < 0)
            break;
    }
    int status = 0;
    if (k.bad)
        kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    int child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    printf("stress_procs: packets=%llu each way, returned=%llu lost=%llu duplicated=0 reordered=0 "
           "sq_full=%llu cq_empty=%llu errors=%llu child=%s\n",
           (unsigned long long)total, (unsigned long long)back, (unsigned long long)(total - back),
           (unsigned long long)k.full, (unsigned long long)k.empty, (unsigned long long)k.bad,
           child_ok ? "ok" : "FAILED");
    munmap(base, REGION_SIZE);
    if (k.bad || !child_ok || back != total)
        return 1;
    if (total >= 100000 && (k.full == 0 || k.empty == 0)) {
        printf("FAIL: full and empty paths must both be exercised\n");
        return 1;
    }
    return 0;
}
