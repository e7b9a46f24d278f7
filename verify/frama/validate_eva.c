/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * validate_eva.c - EVA driver for the bridge's checks of what the ZENEDGE
 * side wrote: a submission packet and the job descriptor it names, copied
 * in once from a region whose every byte is unknown.
 *
 * The region is laid out by ipc_region_init() (a real layout: the view the
 * bridge adopted at attach is private and stays valid), then every byte of
 * it is made unknown: a hostile or broken peer may have written anything
 * since. The registry holds two models of one and two tensors.
 *
 * Analysed: bridge/validate.c:bridge_validate_packet,
 * bridge/validate.c:bridge_job_copy_in, bridge/validate.c:bridge_validate_job,
 * bridge/registry.c:bridge_registry_find, core/ipc_region.c:ipc_region_in_heap.
 */
#include "__fc_builtin.h"
#include "validate.h"
#include "zenedge/ipc_ring.h"

#define REGION 32768u

static unsigned char shm[REGION] __attribute__((aligned(64)));
static bridge_model_t m1, m2;
static bridge_registry_t reg;

static void models(void)
{
    m1.id = 1;
    m1.n_in = 1;
    m1.n_out = 1;
    m1.in[0].bytes = 64;
    m1.out[0].bytes = 16;
    m2.id = 7;
    m2.n_in = 2;
    m2.n_out = 1;
    m2.in[0].bytes = 128;
    m2.in[1].bytes = 4;
    m2.out[0].bytes = 4;
    reg.n_models = 2;
    reg.models[0] = &m1;
    reg.models[1] = &m2;
}

int main(void)
{
    ipc_region_t v = {0};
    ipc_region_config_t cfg;
    ipc_ring_cons_t c = {0};
    ipc_packet_t pkt = {0};
    ipc_job_desc_t desc;
    const bridge_model_t *m = 0;

    models();
    ipc_region_config_default(&cfg, REGION);
    cfg.n_sq = 2;
    cfg.sq_slots = 8;
    cfg.cq_slots = 8;
    cfg.max_jobs = 8;
    /* config_default zeroes through volatile stores (never a memset call),
     * which EVA does not take as initialisation: the rest set here. */
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        cfg.sq_weight[i] = 0;
    cfg.trace_slots = 4; /* the job trace laid out and validated too */
    if (ipc_region_init(&v, shm, &cfg) != 0)
        return 1;
    Frama_C_make_unknown((char *)shm, sizeof(shm));

    uint32_t ring = Frama_C_unsigned_int_interval(0u, 1u);
    if (ipc_ring_cons_attach(&c, v.sq[ring], v.sq_slots) != 0)
        return 1;
    if (ipc_ring_dequeue(&c, &pkt) != 0)
        return 1;
    if (bridge_validate_packet(&v, ring, &pkt) != IPC_STATUS_OK)
        return 1;
    if (!bridge_job_copy_in(&v, IPC_HANDLE_SLOT(pkt.payload_id), &desc))
        return 1;
    enum ipc_status st = bridge_validate_job(&v, &reg, ring, &pkt, &desc, &m);
    if (st == IPC_STATUS_OK) {
        /* What serve.c does next: the tensors lie inside the heap. */
        for (uint32_t i = 0; i < m->n_in; i++)
            (void)ipc_region_ptr(&v, desc.in[i].off, desc.in[i].len);
    }
    return 0;
}
