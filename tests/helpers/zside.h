/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zside.h - test harness that plays the ZENEDGE side against a real
 * zenedge-bridged process: creates the region in POSIX shared memory with
 * ipc_region_init(), writes descriptors and packets (good or corrupt),
 * reads completions, and starts/stops the daemon by PID. Every process and
 * shm object it makes is removed at exit, including on a failed assert,
 * a signal or the global alarm (set ZSIDE_KEEP_LOG to keep the daemon log).
 */
#ifndef ZENEDGE_TEST_ZSIDE_H
#define ZENEDGE_TEST_ZSIDE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"
#include "zl.h"

typedef struct zside {
    zl_map_t map;
    ipc_region_t v;
    ipc_ring_prod_t sq[IPC_MAX_SQ];
    ipc_ring_cons_t cq;
    char shm[64];
    char stats[256];
    char log[256];
    char sock[256];
    char file[256]; /* file transport: backing file, else "" */
    uint64_t file_off;
    pid_t bridge;
    uint32_t gen[IPC_MAX_JOBS];
    uint32_t heap_next;
    uint32_t dump_seq;
} zside_t;

#define ZS_CHECK(cond, ...)                                                 \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
            exit(1);                                                        \
        }                                                                   \
    } while (0)

/* Arm cleanup (atexit + SIGTERM/SIGINT/SIGALRM) and a global deadline. */
void zside_guard(zside_t *z, unsigned deadline_s);

/* Create and initialise the region (shm /zenedge-test-<tag>-<pid>). */
int zside_create(zside_t *z, const char *tag, uint32_t size, uint32_t max_jobs, uint32_t epoch);
/* Same, in a regular file at byte offset `offset` (file transport). */
int zside_create_file(zside_t *z, const char *tag, uint64_t offset, uint32_t size, uint32_t max_jobs, uint32_t epoch);
/* Re-initialise the same region in place (a restarted ZENEDGE side). */
int zside_reinit(zside_t *z, uint32_t max_jobs, uint32_t epoch);

/* Start the daemon: exe, models dir, doorbell mode, then extra args (NULL
 * terminated). Its stderr goes to z->log. */
pid_t zside_start_bridge(zside_t *z, const char *exe, const char *models, const char *doorbell, ...);
/* Wait until bridge.state == READY with an epoch != old_epoch. */
bool zside_wait_ready(zside_t *z, uint32_t old_epoch, int timeout_ms);
/* SIGTERM, wait up to timeout_ms for exit; returns the exit status, or -1
 * (killed with SIGKILL after the timeout). */
int zside_stop_bridge(zside_t *z, int timeout_ms);
void zside_kill_bridge(zside_t *z);

/* Tensor heap bump allocator (cache-line aligned). */
uint32_t zside_alloc(zside_t *z, uint32_t len);
/* Next handle for a slot (generation +1, never 0). */
uint32_t zside_next_handle(zside_t *z, uint32_t slot);
/* Fill descriptor lines 0-1 of a slot. */
void zside_fill(zside_t *z, uint32_t handle, uint32_t model, uint32_t qos, uint32_t n_in, const ipc_tensor_ref_t *in,
                uint32_t n_out, const ipc_tensor_ref_t *out);
int zside_send(zside_t *z, uint32_t ring, uint16_t cmd, uint16_t flags, uint32_t payload);
/* Next completion within timeout_ms: 1, or 0 on timeout. */
int zside_wait(zside_t *z, ipc_packet_t *out, int timeout_ms);

/* Ask the daemon for a statistics dump (SIGUSR1) and read one counter. */
bool zside_stat(zside_t *z, const char *key, uint64_t *val);
/* Read a counter from the last dump without asking for a new one. */
bool zside_stat_cached(zside_t *z, const char *key, uint64_t *val);

void zside_destroy(zside_t *z);

#endif /* ZENEDGE_TEST_ZSIDE_H */
