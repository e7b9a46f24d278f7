/* SPDX-License-Identifier: BSD-3-Clause */
/* test_lifecycle.c - zenedge-bridged lifecycle: heartbeat and epoch, SIGTERM mid-load gives every taken job one final status, restart (clean and after SIGKILL) attaches with a new epoch and serves, a ZENEDGE-side re-init is followed. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zside.h"

#define MAX_JOBS 64u

static zside_t z;
static const char *exe, *models;
static uint32_t in_a, in_b, out_c[MAX_JOBS];
static uint8_t answered[MAX_JOBS]; /* per slot: answers seen for the current handle */
static uint32_t cur[MAX_JOBS];     /* handle in flight per slot, 0 = free */

static uint32_t submit(uint32_t slot, uint32_t model)
{
    uint32_t h = zside_next_handle(&z, slot);
    uint32_t qos = slot % IPC_QOS_COUNT;
    if (model == 1) {
        ipc_tensor_ref_t in[2] = {{in_a, 4096}, {in_b, 4096}}, out[1] = {{out_c[slot], 4096}};
        zside_fill(&z, h, 1, qos, 2, in, 1, out);
    }
    ZS_CHECK(zside_send(&z, qos, CMD_RUN_MODEL, 0, h) == IPC_OK, "enqueue slot %u", slot);
    cur[slot] = h;
    answered[slot] = 0;
    return h;
}

/* Account one answer: exactly one per handle, status OK or SHUTDOWN. */
static uint32_t account(const ipc_packet_t *a, uint32_t *ok, uint32_t *shut)
{
    uint32_t slot = IPC_HANDLE_SLOT(a->payload_id);
    ZS_CHECK(a->cmd == CMD_JOB_DONE && slot < MAX_JOBS && cur[slot] == a->payload_id,
             "unexpected answer cmd=0x%x payload=0x%08x", a->cmd, a->payload_id);
    ZS_CHECK(answered[slot] == 0, "second answer for 0x%08x", a->payload_id);
    ZS_CHECK(a->flags == IPC_STATUS_OK || a->flags == IPC_STATUS_SHUTDOWN, "job 0x%08x status %u", a->payload_id,
             a->flags);
    answered[slot] = 1;
    cur[slot] = 0;
    if (a->flags == IPC_STATUS_OK)
        (*ok)++;
    else
        (*shut)++;
    return slot;
}

static uint32_t one_job_ok(const char *what)
{
    uint32_t h = submit(0, 1);
    ipc_packet_t a;
    ZS_CHECK(zside_wait(&z, &a, 10000) == 1, "%s: no answer", what);
    ZS_CHECK(a.payload_id == h && a.flags == IPC_STATUS_OK, "%s: answer 0x%08x status %u", what, a.payload_id, a.flags);
    cur[0] = 0;
    return z.v.jobs[0].bridge_epoch;
}

static bool heartbeat_moves(int ms)
{
    uint32_t hb0 = ipc_read_once(&z.v.hdr->bridge.heartbeat);
    usleep((useconds_t)ms * 1000u);
    return ipc_read_once(&z.v.hdr->bridge.heartbeat) != hb0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return 1;
    }
    exe = argv[1];
    models = argv[2];
    zside_guard(&z, 240);
    ZS_CHECK(zside_create(&z, "life", 2u << 20, MAX_JOBS, 1) == 0, "region");
    in_a = zside_alloc(&z, 4096);
    in_b = zside_alloc(&z, 4096);
    for (uint32_t s = 0; s < MAX_JOBS; s++)
        out_c[s] = zside_alloc(&z, 4096);

    /* 1. start: epoch 1, READY, heartbeat moving, serves. */
    zside_start_bridge(&z, exe, models, "adaptive", "--hb-period-us", "2000", NULL);
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "first start not READY (log %s)", z.log);
    uint32_t e1 = ipc_load_acquire(&z.v.hdr->bridge.epoch);
    ZS_CHECK(e1 == 1, "first epoch %u, want 1", e1);
    ZS_CHECK(ipc_read_once(&z.v.hdr->bridge.hb_period_us) == 2000, "hb_period_us not published");
    ZS_CHECK(heartbeat_moves(200), "heartbeat does not move");
    ZS_CHECK(one_job_ok("first start") == e1, "descriptor bridge_epoch is not %u", e1);
    printf("ok   start: READY, epoch %u, heartbeat moving, job served\n", e1);

    /* 2. SIGTERM mid-load. Keep every slot busy; stop the daemon after a
     * few hundred answers; keep submitting while it still says READY. */
    uint32_t ok = 0, shut = 0, sent = 0, not_taken = 0;
    for (uint32_t s = 0; s < MAX_JOBS; s++, sent++)
        submit(s, 1);
    bool stopped = false;
    uint64_t until = zl_now_ns() + 60000000000ull;
    while (zl_now_ns() < until) {
        ipc_packet_t a;
        if (zside_wait(&z, &a, 5) == 1) {
            uint32_t slot = account(&a, &ok, &shut);
            if (ipc_load_acquire(&z.v.hdr->bridge.state) == IPC_STATE_READY) {
                submit(slot, 1);
                sent++;
            }
        }
        if (!stopped && ok >= 300) {
            kill(z.bridge, SIGTERM);
            stopped = true;
        }
        if (stopped) {
            int st;
            if (z.bridge > 0 && waitpid(z.bridge, &st, WNOHANG) == z.bridge) {
                ZS_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "daemon exit status 0x%x (log %s)", st, z.log);
                z.bridge = 0;
            }
            if (z.bridge == 0) {
                while (zside_wait(&z, &a, 50) == 1)
                    account(&a, &ok, &shut);
                break;
            }
        }
    }
    ZS_CHECK(z.bridge == 0, "daemon did not exit within 60 s of SIGTERM");
    ZS_CHECK(ipc_load_acquire(&z.v.hdr->bridge.state) == IPC_STATE_OFFLINE, "state %u after SIGTERM, want OFFLINE",
             ipc_load_acquire(&z.v.hdr->bridge.state));
    ZS_CHECK(!heartbeat_moves(100), "heartbeat still moves after exit");
    /* Every job the daemon took got exactly one answer; the others are
     * still in the rings, untouched. */
    uint32_t in_rings = 0;
    for (uint32_t r = 0; r < z.v.n_sq; r++)
        in_rings += (uint32_t)ipc_ring_peek_fill(z.v.sq[r], z.v.sq_slots);
    for (uint32_t s = 0; s < MAX_JOBS; s++)
        not_taken += cur[s] != 0;
    ZS_CHECK(not_taken == in_rings, "%u jobs without an answer but %u packets left in the rings", not_taken, in_rings);
    ZS_CHECK(ok + shut + not_taken == sent, "sent %u, ok %u + shutdown %u + untaken %u", sent, ok, shut, not_taken);
    printf("ok   SIGTERM mid-load: sent %u, OK %u, SHUTDOWN %u, left in the rings %u; exit 0, OFFLINE, heartbeat "
           "stopped\n",
           sent, ok, shut, not_taken);

    /* 3. restart: new epoch; the packets left behind are served too. */
    zside_start_bridge(&z, exe, models, "adaptive", NULL);
    ZS_CHECK(zside_wait_ready(&z, e1, 30000), "restart not READY (log %s)", z.log);
    uint32_t e2 = ipc_load_acquire(&z.v.hdr->bridge.epoch);
    ZS_CHECK(e2 == e1 + 1, "restart epoch %u, want %u", e2, e1 + 1);
    uint32_t left_ok = 0, left_shut = 0;
    for (uint32_t i = 0; i < not_taken; i++) {
        ipc_packet_t a;
        ZS_CHECK(zside_wait(&z, &a, 10000) == 1, "left-behind job %u not answered after restart", i);
        account(&a, &left_ok, &left_shut);
    }
    ZS_CHECK(left_shut == 0, "left-behind jobs answered SHUTDOWN by a running daemon");
    ZS_CHECK(one_job_ok("restart") == e2, "descriptor bridge_epoch is not %u", e2);
    printf("ok   restart: epoch %u -> %u, %u left-behind jobs served, new job served\n", e1, e2, left_ok);

    /* 4. SIGKILL and restart: the epoch still moves on. */
    zside_kill_bridge(&z);
    zside_start_bridge(&z, exe, models, "adaptive", "--hb-period-us", "2000", NULL);
    ZS_CHECK(zside_wait_ready(&z, e2, 30000), "restart after SIGKILL not READY (log %s)", z.log);
    uint32_t e3 = ipc_load_acquire(&z.v.hdr->bridge.epoch);
    ZS_CHECK(e3 == e2 + 1, "epoch after SIGKILL restart %u, want %u", e3, e2 + 1);
    ZS_CHECK(one_job_ok("after SIGKILL") == e3, "descriptor bridge_epoch is not %u", e3);
    printf("ok   SIGKILL + restart: epoch %u, job served\n", e3);

    /* 5. the ZENEDGE side re-initialises the region under the daemon. */
    ZS_CHECK(zside_reinit(&z, MAX_JOBS, 2) == 0, "reinit");
    memset(cur, 0, sizeof(cur));
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "no re-attach after re-init (log %s)", z.log);
    uint32_t e4 = ipc_load_acquire(&z.v.hdr->bridge.epoch);
    ZS_CHECK(e4 > e3, "epoch after re-init %u, want > %u", e4, e3);
    ZS_CHECK(one_job_ok("after re-init") == e4, "descriptor bridge_epoch is not %u", e4);
    uint64_t attaches = 0;
    ZS_CHECK(zside_stat(&z, "attaches", &attaches) && attaches == 2, "attaches = %llu, want 2",
             (unsigned long long)attaches);
    printf("ok   ZENEDGE re-init: daemon re-attached with epoch %u and serves\n", e4);

    /* 6. the object is truncated under the daemon (a ZENEDGE side that
     * re-creates it): the daemon's next access faults; it must survive
     * (SIGBUS guard), wait, and attach again once the region is back. */
    ZS_CHECK(ftruncate(z.map.fd, 0) == 0, "truncate");
    usleep(300000); /* heartbeats every 2 ms: the daemon touches the gone pages */
    ZS_CHECK(waitpid(z.bridge, NULL, WNOHANG) == 0, "daemon died when its region was truncated (log %s)", z.log);
    ZS_CHECK(ftruncate(z.map.fd, (off_t)z.map.size) == 0, "re-extend");
    ZS_CHECK(zside_reinit(&z, MAX_JOBS, 3) == 0, "reinit after truncate");
    memset(cur, 0, sizeof(cur));
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "no re-attach after truncation (log %s)", z.log);
    uint32_t e5 = ipc_load_acquire(&z.v.hdr->bridge.epoch);
    ZS_CHECK(one_job_ok("after truncation") == e5, "descriptor bridge_epoch is not %u", e5);
    printf("ok   region truncated under the daemon: survived (SIGBUS guard), re-attached with epoch %u\n", e5);

    int st = zside_stop_bridge(&z, 20000);
    ZS_CHECK(st == 0, "final stop status %d", st);
    zside_destroy(&z);
    printf("lifecycle: all checks passed\n");
    return 0;
}
