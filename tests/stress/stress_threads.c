/* SPDX-License-Identifier: BSD-3-Clause */
/* stress_threads: one producer thread and one consumer thread move N
 * sequence-numbered packets through a small ring in random bursts; none may
 * be lost, duplicated or reordered, and both the full and the empty paths
 * must be hit. Run under TSan as well. Usage: stress_threads [N] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_ring.h"

#define SLOTS 64u

static _Alignas(64) uint8_t mem[IPC_RING_BYTES(SLOTS)];
static uint64_t total;
static uint64_t full_hits, empty_hits, errors;

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void *producer(void *arg)
{
    ipc_ring_prod_t *p = arg;
    ipc_packet_t batch[32];
    uint32_t seed = 0x1234567u;
    uint64_t seq = 0;
    while (seq < total) {
        uint32_t n = 1 + rnd(&seed) % 32;
        if (n > total - seq)
            n = (uint32_t)(total - seq);
        for (uint32_t i = 0; i < n; i++) {
            batch[i].cmd = CMD_RUN_MODEL;
            batch[i].flags = 0;
            batch[i].payload_id = (uint32_t)(seq + i);
            batch[i].timestamp = seq + i;
        }
        int r = (rnd(&seed) & 1) ? ipc_ring_enqueue_burst(p, batch, n) : ipc_ring_enqueue_bulk(p, batch, n);
        if (r == IPC_E_RING_FULL || r == 0) {
            full_hits++;
            ipc_cpu_relax();
            continue;
        }
        if (r < 0) {
            errors++;
            break;
        }
        seq += (uint32_t)r;
    }
    return NULL;
}

static void *consumer(void *arg)
{
    ipc_ring_cons_t *c = arg;
    ipc_packet_t batch[32];
    uint32_t seed = 0x7654321u;
    uint64_t expect = 0;
    while (expect < total) {
        uint32_t max = 1 + rnd(&seed) % 32;
        int n = ipc_ring_dequeue_burst(c, batch, max);
        if (n == 0) {
            empty_hits++;
            ipc_cpu_relax();
            continue;
        }
        if (n < 0) {
            errors++;
            break;
        }
        for (int i = 0; i < n; i++, expect++) {
            if (batch[i].timestamp != expect || batch[i].payload_id != (uint32_t)expect ||
                batch[i].cmd != CMD_RUN_MODEL) {
                fprintf(stderr, "FAIL: packet %llu carries seq %llu\n", (unsigned long long)expect,
                        (unsigned long long)batch[i].timestamp);
                errors++;
                return NULL;
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    total = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull;
    alarm(540); /* never hang: a stuck test dies instead */
    ipc_ring_t *r = (ipc_ring_t *)mem;
    ipc_ring_prod_t p;
    ipc_ring_cons_t c;
    if (ipc_ring_init(r, SLOTS, 0, IPC_SIDE_ZENEDGE) || ipc_ring_prod_attach(&p, r, SLOTS) ||
        ipc_ring_cons_attach(&c, r, SLOTS)) {
        fprintf(stderr, "FAIL: ring setup\n");
        return 1;
    }
    pthread_t tp, tc;
    pthread_create(&tc, NULL, consumer, &c);
    pthread_create(&tp, NULL, producer, &p);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    printf("stress_threads: packets=%llu lost=0 duplicated=0 reordered=0 ring_full=%llu ring_empty=%llu "
           "errors=%llu corrupt=%u/%u\n",
           (unsigned long long)total, (unsigned long long)full_hits, (unsigned long long)empty_hits,
           (unsigned long long)errors, p.corrupt, c.corrupt);
    if (errors != 0 || r->head != (uint32_t)total || r->tail != (uint32_t)total) {
        printf("FAIL: errors=%llu head=%u tail=%u\n", (unsigned long long)errors, r->head, r->tail);
        return 1;
    }
    if (total >= 100000 && (full_hits == 0 || empty_hits == 0)) {
        printf("FAIL: full and empty paths must both be exercised\n");
        return 1;
    }
    return 0;
}
