/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * full.c - reference application with every feature of the ZENEDGE side
 * on (full_cfg.h: logging down to debug, zero-copy buffers, bridge stage
 * timestamps, restart start-tails, per-reason reject counters, latency
 * histograms, the contract layer), 8 job slots. The calls of minimal.c,
 * plus a zero-copy submission and the latency histograms.
 */
#include "app.h"
#include "contract.h"
#include "lat_trace.h"
#include "port.h"

#define REGION_BASE ((void *)0x60000000u) /* the shared memory window */
#define REGION_SIZE (64u * 1024u)
#define DOORBELL    ((volatile uint32_t *)0x40001000u)
#define MODEL_ID    7u

static struct zport port;
static proxy_t proxy;
static contract_t contract;
static lat_trace_t trace;
static uint8_t input[64], output[64];
static const proxy_model_t m = {.id = MODEL_ID, .n_in = 1, .n_out = 1, .in_len = {64}, .out_len = {64}};
static const contract_config_t cc = {.models = {MODEL_ID}, .n_models = 1, .max_inflight = 4, .qos = IPC_QOS_RT};

void app_tick_irq(void)
{
    zport_template_timer_irq(&port);
}

void app_doorbell_irq(void)
{
    zport_template_irq(&port);
}

static void run_bufs(uint32_t in_id, uint32_t out_id)
{
    proxy_result_t res;
    uint32_t h;
    if (contract_submit_bufs(&contract, MODEL_ID, &in_id, 1, &out_id, 1, 0, &h) == CONTRACT_OK &&
        contract_wait(&contract, h, PROXY_WAIT_UNTIL_DEADLINE, &res, 0, 0) == PROXY_OK)
        lat_trace_add(&trace, &res);
}

void app_main(void)
{
    proxy_config_t cfg;
    proxy_config_default(&cfg, &port, REGION_SIZE);
    cfg.max_jobs = ZEN_CFG_MAX_JOBS;
    cfg.features = IPC_FEAT_SHARED_CLOCK | IPC_FEAT_START_TAILS;
    cfg.n_heap_classes = 1;
    cfg.heap[0].block_size = 64;
    zport_template_init(&port, &proxy, 1000000u, DOORBELL, 0);
    lat_trace_init(&trace);
    if (proxy_init(&proxy, REGION_BASE, &cfg) != PROXY_OK)
        return;
    uint32_t in_id = 0, out_id = 0;
    void *in_ptr = 0, *out_ptr = 0;
    if (proxy_model_register(&proxy, &m) != PROXY_OK || contract_init(&contract, &proxy, &cc) != CONTRACT_OK ||
        proxy_buf_alloc(&proxy, 64, &in_id, &in_ptr) != PROXY_OK ||
        proxy_buf_alloc(&proxy, 64, &out_id, &out_ptr) != PROXY_OK || proxy_start(&proxy) != PROXY_OK)
        return;
    for (;;) {
        const proxy_in_t in = {input, sizeof(input)};
        const proxy_out_t out = {output, sizeof(output)};
        proxy_result_t res;
        uint32_t h;
        if (contract_submit_job(&contract, MODEL_ID, &in, 1, 0, &h) == CONTRACT_OK &&
            contract_wait(&contract, h, PROXY_WAIT_UNTIL_DEADLINE, &res, &out, 1) == PROXY_OK)
            lat_trace_add(&trace, &res);
        ((uint8_t *)in_ptr)[0] = output[0];
        run_bufs(in_id, out_id);
        input[0] = ((const uint8_t *)out_ptr)[0];
    }
}
