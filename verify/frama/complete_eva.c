/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * complete_eva.c - EVA driver for the ZENEDGE side's completion handler on
 * a region whose every byte is unknown after set-up: the completion ring's
 * counters and packets, the descriptors' answer lines and the bridge's
 * side words may hold anything a broken or hostile bridge wrote.
 *
 * Set-up with the real code: proxy_init() on a small region (ports/template
 * port), then jobs taken and published through the job table's own calls
 * (pj_take, pj_publish), some of them ended (pj_end) as a loss would, so
 * that answers meet jobs in flight, ended-and-held jobs and free slots.
 *
 * Analysed: rtos/proxy_complete.c:proxy_complete (cq_readable, cq_corrupt,
 * handle_one, pj_find, answer, judge, take_answer, read_u64_once), rtos/proxy_complete.c:proxy_work_pending,
 * rtos/proxy_complete.c:proxy_idle_prepare, rtos/proxy_complete.c:proxy_idle_finish,
 * rtos/job_table.c:pj_end, rtos/job_table.c:pj_release_if_done.
 */
#include "__fc_builtin.h"
#include "port.h"
#include "proxy_internal.h"

#define REGION 16384u

static unsigned char shm[REGION] __attribute__((aligned(64)));
static proxy_t p;
static struct zport port;

int main(void)
{
    proxy_config_t cfg = {0};

    zport_template_init(&port, &p, 1000000u, 0, 0);
    proxy_config_default(&cfg, &port, REGION);
    /* the words it leaves to its pj_zero(), which stores through volatile
     * on a 64-bit host: EVA does not keep what such stores wrote */
    cfg.features = 0;
    cfg.backend_ns_max = 0;
    cfg.hb_slack_us = 0;
    cfg.n_sq = 1;
    cfg.sq_slots = 8;
    cfg.cq_slots = 8;
    cfg.max_jobs = 4;
    cfg.trace_slots = 4; /* the job trace laid out too, small */
    cfg.n_heap_classes = 1;
    cfg.heap[0].block_size = 256;
    cfg.heap[0].count = 0;
    if (proxy_init(&p, shm, &cfg) != PROXY_OK)
        return 1;
    for (uint32_t i = 0; i < 3u; i++) {
        proxy_job_t *j = pj_take(&p);
        if (j == 0)
            return 1;
        j->t_submit = Frama_C_unsigned_long_interval(0u, 1000000000u);
        j->deadline_ns = j->t_submit + 1000000u;
        j->acct = 0; /* as the submission sets it before publishing: no account */
        pj_publish(&p, j);
        if (Frama_C_nondet(0, 1))
            pj_end(&p, j, PROXY_E_BRIDGE_LOST, IPC_STATUS_COUNT);
    }
    port.ticks_ns = Frama_C_unsigned_long_interval(0u, 2000000000u);

    Frama_C_make_unknown((char *)shm, sizeof(shm)); /* the bridge wrote anything */

    (void)proxy_complete(&p);
    (void)proxy_complete(&p); /* after a corrupt ring: the back-off path */
    if (!proxy_idle_prepare(&p))
        proxy_idle_finish(&p, Frama_C_nondet(0, 1) != 0);
    (void)proxy_work_pending(&p);
    return 0;
}
