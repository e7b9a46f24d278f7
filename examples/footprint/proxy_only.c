/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_only.c - minimal.c without the contract layer (ZEN_CFG_CONTRACT 0):
 * the task calls the proxy directly. The calls: proxy_init,
 * proxy_model_register, proxy_start, proxy_submit, proxy_wait; the
 * doorbell interrupt runs the completion handler and the timer interrupt
 * the tick (ports/template). Built by cmake/freestanding/switch-sizes.sh
 * for the cost of the contract layer (docs/porting.md).
 */
#include "app.h"
#include "proxy.h"
#include "port.h"

#define REGION_BASE ((void *)0x60000000u)     /* the shared memory window */
#define REGION_SIZE ZEN_CFG_FIXED_REGION_SIZE /* 64 KB (minimal_cfg.h) */
#define DOORBELL    ((volatile uint32_t *)0x40001000u)
#define MODEL_ID    7u

static struct zport port;
static proxy_t proxy;
static uint8_t input[64], output[64];
static const proxy_in_t in = {input, sizeof(input)};
/* a constant request (a local one would be cleared with memset) */
static const proxy_request_t req = {.model_id = MODEL_ID, .qos = IPC_QOS_RT, .in = &in, .n_in = 1};
static const proxy_model_t m = {.id = MODEL_ID, .n_in = 1, .n_out = 1, .in_len = {64}, .out_len = {64}};

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
    if (proxy_model_register(&proxy, &m) != PROXY_OK || proxy_start(&proxy) != PROXY_OK)
        return;
    for (;;) {
        const proxy_out_t out = {output, sizeof(output)};
        proxy_result_t res;
        uint32_t h;
        if (proxy_submit(&proxy, &req, &h) == PROXY_OK)
            (void)proxy_wait(&proxy, h, PROXY_WAIT_UNTIL_DEADLINE, &res, &out, 1);
        input[0]++;
    }
}
