/* SPDX-License-Identifier: BSD-3-Clause */
/* test_ipc_tool.c - zenedge-ipc stat and trace on a live region served by a real zenedge-bridged: states, epochs, moving heartbeat, ring fill, one CSV line per finished job. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zside.h"

static zside_t z;

static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    ZS_CHECK(p != NULL, "popen %s", cmd);
    static char out[65536];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    ZS_CHECK(st == 0, "'%s' exited 0x%x:\n%s", cmd, st, out);
    return out;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED ZENEDGE_IPC MODELS_DIR\n", argv[0]);
        return 1;
    }
    zside_guard(&z, 120);
    ZS_CHECK(zside_create(&z, "ipctool", 1u << 20, 32, 7) == 0, "region");
    zside_start_bridge(&z, argv[1], argv[3], "adaptive", NULL);
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "bridge not READY (log %s)", z.log);
    uint32_t a = zside_alloc(&z, 4096), b = zside_alloc(&z, 4096), c = zside_alloc(&z, 4096);
    uint32_t handles[3];
    for (uint32_t i = 0; i < 3; i++) {
        handles[i] = zside_next_handle(&z, 10 + i);
        ipc_tensor_ref_t in[2] = {{a, 4096}, {b, 4096}}, out[1] = {{c, 4096}};
        zside_fill(&z, handles[i], 1, IPC_QOS_HIGH, 2, in, 1, out);
        z.v.jobs[10 + i].t_submit = zl_now_ns();
        ZS_CHECK(zside_send(&z, 1, CMD_RUN_MODEL, 0, handles[i]) == IPC_OK, "send");
        ipc_packet_t ans;
        ZS_CHECK(zside_wait(&z, &ans, 10000) == 1 && ans.flags == IPC_STATUS_OK, "job %u", i);
    }
    /* Two packets left in ring 3 (the bridge will take them later). */
    ipc_write_once(&z.v.hdr->zen.heartbeat, 41u);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s stat --shm %s", argv[2], z.shm);
    char *out = run(cmd);
    /* The bridge's heartbeat must move within stat's window (3 periods +
     * 20 ms); a loaded machine can stall the daemon longer than that once
     * in a while: sample again, at most twice more. */
    for (int again = 0; again < 2 && strstr(out, "bridge   state READY") == NULL; again++)
        out = run(cmd);
    printf("%s", out);
    ZS_CHECK(strstr(out, "protocol 1.2") != NULL, "no protocol line");
    ZS_CHECK(strstr(out, "4 submission rings x 64 slots") != NULL, "no layout line");
    ZS_CHECK(strstr(out, "bridge   state READY    epoch 1") != NULL, "bridge state/epoch not shown");
    char *br = strstr(out, "bridge   state");
    ZS_CHECK(br && strstr(br, "(moving over") != NULL, "bridge heartbeat not seen moving");
    /* READY with a heartbeat that does not move: flagged STALE */
    ZS_CHECK(strstr(out, "zenedge  state STALE    epoch 7      heartbeat 41 ") != NULL &&
                 strstr(out, "(still over") != NULL,
             "zenedge heartbeat (41, still) not shown as STALE");
    ZS_CHECK(strstr(out, "bridge   state READY") != NULL, "a live bridge shown STALE");
    /* the weights the bridge uses when the region gives none */
    ZS_CHECK(strstr(out, "weight 0 (bridge default 8)") != NULL && strstr(out, "weight 0 (bridge default 4)") != NULL,
             "effective weights not shown");
    ZS_CHECK(strstr(out, "jobs     3 of 32 slots used") != NULL, "job count wrong");
    /* the daemon published the ring tails it adopted at attach (all 0: it
     * attached before the first submission) */
    ZS_CHECK(br && strstr(br, "tails at the start of this epoch: 0 0 0 0\n") != NULL, "bridge start tails not shown");

    snprintf(cmd, sizeof(cmd), "%s trace --slots --shm %s", argv[2], z.shm);
    out = run(cmd);
    printf("%s", out);
    ZS_CHECK(strncmp(out, "slot,handle,generation,model_id", 31) == 0, "no CSV header");
    int lines = 0;
    for (char *p = out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    ZS_CHECK(lines == 4, "%d CSV lines, want header + 3", lines);
    for (uint32_t i = 0; i < 3; i++) {
        char want[64];
        snprintf(want, sizeof(want), "\n%u,0x%08x,%u,1,1,", 10 + i, handles[i], IPC_HANDLE_GEN(handles[i]));
        ZS_CHECK(strstr(out, want) != NULL, "no trace line for slot %u", 10 + i);
    }
    /* --json: one object with both sides, the rings' effective weights */
    snprintf(cmd, sizeof(cmd), "%s stat --json --shm %s", argv[2], z.shm);
    out = run(cmd);
    printf("%s", out);
    ZS_CHECK(out[0] == '{' && strchr(out, '\n') == out + strlen(out) - 1, "stat --json is not one line");
    ZS_CHECK(strstr(out, "\"protocol\":\"1.2\"") != NULL, "json: protocol");
    ZS_CHECK(strstr(out, "\"zenedge\":{\"state\":\"READY\",\"stale\":true,\"epoch\":7,\"heartbeat\":41,") != NULL,
             "json: zenedge side (READY, stale, epoch 7, heartbeat 41)");
    ZS_CHECK(strstr(out, "\"bridge\":{\"state\":\"READY\",\"stale\":false,\"epoch\":1,") != NULL, "json: bridge side");
    ZS_CHECK(strstr(out, "\"ring\":1,\"slots\":64,\"fill\":0,\"head\":3,\"tail\":3,\"weight_region\":0,"
                         "\"weight_effective\":8}") != NULL,
             "json: ring 1 with its effective weight");
    ZS_CHECK(strstr(out, "\"jobs\":{\"slots\":32,\"used\":3,\"answered\":3},\"trace\":null}") != NULL,
             "json: jobs and no trace");
    /* This region was laid out without a job trace: trace says so (69) */
    snprintf(cmd, sizeof(cmd), "%s trace --shm %s 2>&1", argv[2], z.shm);
    FILE *p = popen(cmd, "r");
    ZS_CHECK(p != NULL, "popen");
    char msg[1024] = "";
    size_t n = fread(msg, 1, sizeof(msg) - 1, p);
    msg[n] = '\0';
    int st = pclose(p);
    ZS_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 69 && strstr(msg, "has no job trace") != NULL,
             "trace without a job trace: status 0x%x, %s", st, msg);
    /* The tool refuses a region that is not a region. */
    snprintf(cmd, sizeof(cmd), "%s stat --shm /zenedge-test-none-%d 2>/dev/null", argv[2], (int)getpid());
    ZS_CHECK(system(cmd) != 0, "stat on a missing region succeeded");
    ZS_CHECK(zside_stop_bridge(&z, 20000) == 0, "stop");
    zside_destroy(&z);
    printf("zenedge-ipc: stat and trace checked\n");
    return 0;
}
