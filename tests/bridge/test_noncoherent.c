/* SPDX-License-Identifier: BSD-3-Clause */
/* test_noncoherent.c - a real zenedge-bridged on a region that sets
 * IPC_FEAT_NONCOHERENT: it attaches (the bit is known), says once that the
 * ZENEDGE side maintains its cache and it does none, echoes the bit in its
 * own side word, and serves jobs and pings as on any region. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zenedge/barrier.h"
#include "zside.h"

static zside_t z;

static bool log_has(const char *needle)
{
    FILE *f = fopen(z.log, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return 1;
    }
    zside_guard(&z, 120);
    ZS_CHECK(zside_create(&z, "noncoh", 1u << 20, 32, 3) == 0, "region");
    /* Before the daemon starts: the header as a non-coherent ZENEDGE side
     * writes it (the layout is the same; only the bit differs). */
    ipc_write_once(&z.v.hdr->features, ipc_read_once(&z.v.hdr->features) | IPC_FEAT_NONCOHERENT);
    zside_start_bridge(&z, argv[1], argv[2], "eventfd", NULL);
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "bridge not READY on a non-coherent region (log %s)", z.log);
    ZS_CHECK(ipc_read_once(&z.v.hdr->bridge.features) & IPC_FEAT_NONCOHERENT, "bridge features 0x%x lack the bit",
             ipc_read_once(&z.v.hdr->bridge.features));
    ZS_CHECK(log_has("the region is not cache-coherent (IPC_FEAT_NONCOHERENT)"), "no log line (log %s)", z.log);

    uint32_t a = zside_alloc(&z, 4096), b = zside_alloc(&z, 4096), c = zside_alloc(&z, 4096);
    int32_t *ia = (int32_t *)ipc_region_ptr(&z.v, a, 4096), *ib = (int32_t *)ipc_region_ptr(&z.v, b, 4096);
    for (int i = 0; i < 1024; i++) {
        ia[i] = i;
        ib[i] = 1000;
    }
    uint32_t h = zside_next_handle(&z, 5);
    ipc_tensor_ref_t in[2] = {{a, 4096}, {b, 4096}}, out[1] = {{c, 4096}};
    zside_fill(&z, h, 1, IPC_QOS_HIGH, 2, in, 1, out);
    z.v.jobs[5].t_submit = zl_now_ns();
    ZS_CHECK(zside_send(&z, 1, CMD_RUN_MODEL, 0, h) == IPC_OK, "send");
    ipc_packet_t ans;
    ZS_CHECK(zside_wait(&z, &ans, 10000) == 1, "no answer");
    ZS_CHECK(ans.cmd == CMD_JOB_DONE && ans.flags == IPC_STATUS_OK && ans.payload_id == h, "answer cmd 0x%x status %u",
             ans.cmd, ans.flags);
    const int32_t *ic = (const int32_t *)ipc_region_ptr(&z.v, c, 4096);
    for (int i = 0; i < 1024; i++)
        ZS_CHECK(ic[i] == i + 1000, "out[%d] = %d (vector_add)", i, ic[i]);
    uint32_t p = zside_next_handle(&z, 6);
    ZS_CHECK(zside_send(&z, 0, CMD_PING, 0, p) == IPC_OK, "ping");
    ZS_CHECK(zside_wait(&z, &ans, 10000) == 1 && ans.cmd == CMD_PONG && ans.payload_id == p, "no pong");
    ZS_CHECK(zside_stop_bridge(&z, 10000) == 0, "daemon did not exit 0");
    printf("non-coherent region attached, served, logged\n");
    return 0;
}
