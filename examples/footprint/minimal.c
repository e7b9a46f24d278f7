/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * minimal.c - reference application for the footprint figures: what a
 * task that runs one model under one contract pays. Configuration:
 * minimal_cfg.h (8 job slots, one ring, one tensor each way, copy path only,
 * logging off, every optional feature off). The calls: proxy_init, proxy_model_register,
 * contract_init, proxy_start, contract_submit_job, contract_wait; the
 * doorbell interrupt runs the completion handler and the timer interrupt
 * the tick (ports/template). docs/footprint.md gives the figures.
 */
#include "app.h"
#include "contract.h"
#include "port.h"

#define REGION_BASE ((void *)0x60000000u)     /* the shared memory window */
#define REGION_SIZE ZEN_CFG_FIXED_REGION_SIZE /* 64 KB (minimal_cfg.h) */
#define DOORBELL    ((volatile uint32_t *)0x40001000u)
#define MODEL_ID    7u

static struct zport port;
static proxy_t proxy;
static contract_t contract;
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

void app_main(void)
{
    proxy_config_t cfg;
    proxy_config_default(&cfg, &port, REGION_SIZE);
    cfg.max_jobs = ZEN_CFG_MAX_JOBS;
    cfg.n_sq = 1; /* one queue class: every QoS on one ring */
    cfg.n_heap_classes = 1;
    cfg.sq_slots = ZEN_CFG_FIXED_SQ_SLOTS;
    cfg.heap[0].block_size = ZEN_CFG_FIXED_HEAP_BLOCK; /* 15 blocks: ZEN_CFG_HEAP_MAX_BLOCKS 16 */
    zport_template_init(&port, &proxy, 1000000u, DOORBELL, 0);
    if (proxy_init(&proxy, REGION_BASE, &cfg) != PROXY_OK)
        return;
    if (proxy_model_register(&proxy, &m) != PROXY_OK || contract_init(&contract, &proxy, &cc) != CONTRACT_OK ||
        proxy_start(&proxy) != PROXY_OK)
        return;
    for (;;) {
        const proxy_in_t in = {input, sizeof(input)};
        const proxy_out_t out = {output, sizeof(output)};
        proxy_result_t res;
        uint32_t h;
        if (contract_submit_job(&contract, MODEL_ID, &in, 1, 0, &h) == CONTRACT_OK)
            (void)contract_wait(&contract, h, PROXY_WAIT_UNTIL_DEADLINE, &res, &out, 1);
        input[0]++;
    }
}
