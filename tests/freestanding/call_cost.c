/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * call_cost.c - the instructions of one call of each ZENEDGE-side entry
 * point on the job path, for a ring size and a load given on the command
 * line: ipc_send (one packet), contract_submit_job (one 64-byte input
 * copied), proxy_complete (one answer), contract_wait (collect, one
 * 64-byte output copied), proxy_tick (nothing due). Under callgrind
 * (call_cost.sh, CALL_COST_CALLGRIND=1) each measured call is one dump
 * named after it; run natively it only checks that every call succeeds.
 *
 * Load "empty": no other job; "full": every other slot of the job table
 * (ZEN_CFG_MAX_JOBS - 1) holds a ping in flight, dequeued by the bridge,
 * with an earlier deadline than the measured job. "submit_first" is the
 * same submission with the earliest deadline of all: the one case whose
 * cost grows with the load (the deadline heap's sift-up, log2 of the
 * jobs in flight).
 *
 * Usage: call_cost SQ_SLOTS empty|full    Exit 0, 1 on a failed call, 2 usage.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "crit_port.h"
#include "zenedge/barrier.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS       ((void)0)
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#define MODEL 1u

static bool use_cg;

#define MEASURE(label, call)                \
    do {                                    \
        if (use_cg)                         \
            CALLGRIND_ZERO_STATS;           \
        call;                               \
        if (use_cg)                         \
            CALLGRIND_DUMP_STATS_AT(label); \
    } while (0)

static void bridge_ready(cp_world_t *w)
{
    ipc_side_t *b = &w->proxy->region.hdr->bridge;
    ipc_write_once(&b->hb_period_us, 1000000u);
    ipc_write_once(&b->heartbeat, ++w->hb);
    ipc_store_release(&b->state, IPC_STATE_READY);
}

static int world_init(cp_world_t *w, contract_t *c, uint32_t sq_slots)
{
    memset(w, 0, sizeof(*w));
    w->max_jobs = ZEN_CFG_MAX_JOBS;
    w->size = 8u << 20;
    w->region = aligned_alloc(IPC_CACHELINE, w->size);
    w->proxy = calloc(1, sizeof(proxy_t));
    if (!w->region || !w->proxy)
        return -1;
    memset(w->region, 0, w->size);
    w->port.proxy = w->proxy;
    w->port.now = 1000000000ull;
    proxy_config_t cfg;
    proxy_config_default(&cfg, &w->port, w->size);
    cfg.max_jobs = ZEN_CFG_MAX_JOBS;
    cfg.sq_slots = sq_slots;
    cfg.doorbell = IPC_DB_POLL;
    cfg.features = IPC_FEAT_SHARED_CLOCK;
    cfg.n_heap_classes = 1;
    cfg.heap[0] = (ipc_heap_class_cfg_t){64, 16};
    const proxy_model_t m = {.id = MODEL, .n_in = 1, .n_out = 1, .in_len = {64}, .out_len = {64}};
    const contract_config_t cc = {.models = {MODEL}, .n_models = 1, .max_inflight = ZEN_CFG_MAX_JOBS, .qos = 0};
    if (proxy_init(w->proxy, w->region, &cfg) != PROXY_OK || proxy_model_register(w->proxy, &m) != PROXY_OK ||
        contract_init(c, w->proxy, &cc) != CONTRACT_OK || proxy_start(w->proxy) != PROXY_OK ||
        hand_attach(&w->bridge, w->region, w->size) != 0)
        return -1;
    w->epoch = 1;
    ipc_store_release(&w->proxy->region.hdr->bridge.epoch, w->epoch);
    bridge_ready(w);
    proxy_tick(w->proxy); /* sees the epoch: drains the completion ring, runs the recovery pass */
    bridge_ready(w);
    proxy_tick(w->proxy); /* takes it online (docs/protocol.md, step 1) */
    return proxy_bridge_online(w->proxy) ? 0 : -1;
}

/* All slots but one: pings in flight (taken by the bridge), 100 ms. */
static int fill(cp_world_t *w)
{
    for (uint32_t i = 0; i + 1u < ZEN_CFG_MAX_JOBS; i++) {
        uint32_t h;
        ipc_packet_t pkt;
        if (proxy_ping(w->proxy, i % IPC_QOS_COUNT, 100000u, &h) != PROXY_OK || hand_take(&w->bridge, &pkt) != 0)
            return -1;
    }
    return 0;
}

/* One job through its life, every call measured; deadline_us 0: the
 * contract's default (1 s, after the fill's 100 ms). */
static int one_job(cp_world_t *w, contract_t *c, uint32_t deadline_us, const char *submit_label)
{
    static uint8_t in[64], out[64];
    const proxy_in_t pin = {in, sizeof(in)};
    const proxy_out_t pout = {out, sizeof(out)};
    ipc_packet_t pkt;
    uint32_t h = 0;
    int rc;
    MEASURE(submit_label, rc = contract_submit_job(c, MODEL, &pin, 1, deadline_us, &h));
    if (rc != CONTRACT_OK || hand_take(&w->bridge, &pkt) != 0 || pkt.payload_id != h) {
        fprintf(stderr, "call_cost: %s: %s\n", submit_label, contract_strerror(rc));
        return -1;
    }
    w->port.now += 1000u;
    hand_fill_answer(&w->bridge, h, 500u, w->epoch);
    if (hand_post(&w->bridge, CMD_JOB_DONE, IPC_STATUS_OK, h) < 0)
        return -1;
    w->port.now += 1000u;
    MEASURE("complete", rc = proxy_complete(w->proxy));
    if (rc != 1) {
        fprintf(stderr, "call_cost: complete handled %d answers, not 1\n", rc);
        return -1;
    }
    proxy_result_t res;
    MEASURE("wait", rc = contract_wait(c, h, 0, &res, &pout, 1));
    if (rc != PROXY_OK)
        fprintf(stderr, "call_cost: wait: %s\n", contract_strerror(rc));
    return rc == PROXY_OK ? 0 : -1;
}

static int run(uint32_t sq_slots, bool full)
{
    cp_world_t w;
    static contract_t c;
    if (world_init(&w, &c, sq_slots) != 0 || (full && fill(&w) != 0)) {
        fprintf(stderr, "call_cost: set-up failed\n");
        return 1;
    }
    /* ipc_send: one packet on ring 0, inside the critical section as
     * the API asks; the bridge then takes it away. */
    ipc_packet_t pkt = {.cmd = CMD_PING, .flags = 0, .payload_id = 0, .timestamp = w.port.now};
    ipc_packet_t got;
    int rc;
    uint32_t key = zport_crit_enter(&w.port);
    MEASURE("send", rc = ipc_send(w.proxy, 0, &pkt));
    zport_crit_exit(&w.port, key);
    if (rc != PROXY_OK || hand_take(&w.bridge, &got) != 0)
        return 1;
    if (one_job(&w, &c, 0, "submit") != 0 || one_job(&w, &c, 1000u, "submit_first") != 0) {
        fprintf(stderr, "call_cost: a call failed\n");
        return 1;
    }
    bridge_ready(&w);
    MEASURE("tick", rc = proxy_tick(w.proxy));
    if (rc != 0)
        return 1;
    free(w.region);
    free(w.proxy);
    printf("call_cost: sq_slots=%u load=%s: every call succeeded\n", (unsigned)sq_slots, full ? "full" : "empty");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "empty") != 0 && strcmp(argv[2], "full") != 0)) {
        fprintf(stderr, "usage: call_cost SQ_SLOTS empty|full\n");
        return 2;
    }
    use_cg = getenv("CALL_COST_CALLGRIND") != NULL;
    return run((uint32_t)strtoul(argv[1], NULL, 10), strcmp(argv[2], "full") == 0);
}
