/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_bridge_job - the bridge's parser of submissions (bridge/validate.c):
 * the input is [ring byte][16-byte packet][256-byte job descriptor]. The
 * packet check and, when it passes, the descriptor check run against a real
 * region layout and the shipped model registry. Oracle: an accepted job
 * names a registry model and every tensor it names lies inside the tensor
 * heap with the model's byte size; anything else aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry.h"
#include "validate.h"
#include "zenedge/ipc_region.h"

#define REGION (256u * 1024u)

static ipc_region_t view;
static bridge_registry_t reg;
static int ready;

static void setup(void)
{
    void *mem = aligned_alloc(4096, REGION);
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, REGION);
    cfg.max_jobs = 64;
    cfg.sq_slots = 64;
    if (mem == NULL || ipc_region_init(&view, mem, &cfg) != IPC_OK)
        abort();
    char err[512];
    const char *dir = getenv("ZENEDGE_MODELS");
    if (bridge_registry_load(&reg, dir ? dir : ZENEDGE_FUZZ_MODELS_DIR, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_bridge_job: %s\n", err);
        abort();
    }
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready)
        setup();
    if (size < 1 + sizeof(ipc_packet_t))
        return 0;
    uint32_t ring = data[0] % (view.n_sq + 1); /* one past the last ring too */
    ipc_packet_t pkt;
    memcpy(&pkt, data + 1, sizeof(pkt));
    ipc_job_desc_t d;
    memset(&d, 0, sizeof(d));
    size_t rest = size - 1 - sizeof(pkt);
    memcpy(&d, data + 1 + sizeof(pkt), rest < sizeof(d) ? rest : sizeof(d));

    enum ipc_status st = bridge_validate_packet(&view, ring, &pkt);
    if (st >= IPC_STATUS_COUNT)
        abort();
    if (st != IPC_STATUS_OK || pkt.cmd != CMD_RUN_MODEL)
        return 0;
    const bridge_model_t *m = (const bridge_model_t *)1;
    st = bridge_validate_job(&view, &reg, ring, &pkt, &d, &m);
    if (st >= IPC_STATUS_COUNT)
        abort();
    if (st != IPC_STATUS_OK) {
        if (m != NULL)
            abort();
        return 0;
    }
    if (m == NULL || bridge_registry_find(&reg, d.model_id) != m || d.n_in != m->n_in || d.n_out != m->n_out)
        abort();
    for (uint32_t i = 0; i < d.n_in; i++)
        if (!ipc_region_in_heap(&view, d.in[i].off, d.in[i].len) || d.in[i].len != m->in[i].bytes)
            abort();
    for (uint32_t i = 0; i < d.n_out; i++)
        if (!ipc_region_in_heap(&view, d.out[i].off, d.out[i].len) || d.out[i].len != m->out[i].bytes)
            abort();
    if (d.handle != pkt.payload_id || d.qos >= IPC_QOS_COUNT)
        abort();
    return 0;
}
