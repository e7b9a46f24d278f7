/* SPDX-License-Identifier: BSD-3-Clause */
/* test_file_transport.c - zenedge-bridged on the file transport: the region in a regular file at a non-page-aligned offset (as an ivshmem backing file or a carve-out), jobs served and results checked. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zenedge/barrier.h"
#include "zside.h"

static zside_t z;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return 1;
    }
    zside_guard(&z, 120);
    const uint64_t offset = 3u * 4096u + 64u; /* not page aligned */
    ZS_CHECK(zside_create_file(&z, "file", offset, 1u << 20, 16, 3) == 0, "region file");
    /* Bytes before the region must stay untouched: fill them with a pattern. */
    FILE *f = fopen(z.file, "r+");
    ZS_CHECK(f != NULL, "open %s", z.file);
    static unsigned char pre[3 * 4096 + 64];
    memset(pre, 0xA5, sizeof(pre));
    ZS_CHECK(fwrite(pre, 1, sizeof(pre), f) == sizeof(pre), "write prefix");
    fclose(f);

    zside_start_bridge(&z, argv[1], argv[2], "eventfd", NULL);
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "bridge not READY on the file transport (log %s)", z.log);
    uint32_t a = zside_alloc(&z, 4096), b = zside_alloc(&z, 4096), c = zside_alloc(&z, 4096);
    int32_t *pa = (int32_t *)(z.v.base + a), *pb = (int32_t *)(z.v.base + b), *pc = (int32_t *)(z.v.base + c);
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 1024; i++) {
            pa[i] = i * round;
            pb[i] = -i;
        }
        uint32_t slot = (uint32_t)round % 16u;
        uint32_t h = zside_next_handle(&z, slot);
        ipc_tensor_ref_t in[2] = {{a, 4096}, {b, 4096}}, out[1] = {{c, 4096}};
        zside_fill(&z, h, 1, IPC_QOS_RT, 2, in, 1, out);
        ZS_CHECK(zside_send(&z, 0, CMD_RUN_MODEL, 0, h) == IPC_OK, "send");
        ipc_packet_t ans;
        ZS_CHECK(zside_wait(&z, &ans, 10000) == 1, "no answer to job %d", round);
        ZS_CHECK(ans.payload_id == h && ans.flags == IPC_STATUS_OK, "job %d status %u", round, ans.flags);
        for (int i = 0; i < 1024; i++)
            ZS_CHECK(pc[i] == i * round - i, "round %d c[%d] = %d", round, i, pc[i]);
    }
    ZS_CHECK(zside_stop_bridge(&z, 20000) == 0, "stop");
    ZS_CHECK(ipc_load_acquire(&z.v.hdr->bridge.state) == IPC_STATE_OFFLINE, "not OFFLINE");
    f = fopen(z.file, "r");
    ZS_CHECK(f != NULL && fread(pre, 1, sizeof(pre), f) == sizeof(pre), "read prefix");
    fclose(f);
    for (size_t i = 0; i < sizeof(pre); i++)
        ZS_CHECK(pre[i] == 0xA5, "byte %zu before the region was changed", i);
    zside_destroy(&z);
    printf("file transport at offset %llu: 20 jobs served, bytes before the region untouched\n",
           (unsigned long long)offset);
    return 0;
}
