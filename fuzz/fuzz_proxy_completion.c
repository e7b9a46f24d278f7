/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_proxy_completion - the ZENEDGE side's parser of answers: the proxy's
 * completion handler. A proxy on the POSIX port (manual mode, no threads)
 * has a few jobs in flight; the input is a sequence of 64-byte records,
 * each a 16-byte completion packet and the 48-byte answer line of a job
 * descriptor. Byte 0 of a record chooses whether payload_id is replaced by
 * the handle of a real in-flight job (so the deep checks run). Each record
 * is posted on the completion ring and the handler is run; then every job
 * is queried and the proxy ticked. A trailer of 41 bytes or more (what is
 * left after the whole records) is the bridge side block of a restart:
 * byte 0 (odd: keep the ring tails as they are), then 32 bytes of
 * sq_tail_at_start, 4 of features and 4 of epoch, then a tick, which runs
 * the epoch change, the start-tail checks and the reclaim. Oracle: no
 * crash (ASan), no job state outside the known ones, the handler never
 * reports more packets than were posted, and the proxy never holds more
 * slots than it has.
 */
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "fuzz.h"
#include "hand_bridge.h"
#include "rtos_fixture.h"
#include "zenedge/barrier.h"

#define JOBS 6

static const uint32_t models[] = {FX_MODEL_ADD16};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fx_t f;
    fx_opts_t o;
    fx_opts_default(&o);
    if (fx_init(&f, &o) != 0)
        abort();
    fx_fake_bridge(&f, IPC_STATE_READY, 1);
    hand_bridge_t b;
    if (hand_attach(&b, f.region, f.size) != 0)
        abort();
    contract_t c;
    fx_contract(&f, &c, "fuzz", models, 1, JOBS, IPC_QOS_NORMAL);
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    uint32_t h[JOBS];
    for (int i = 0; i < JOBS; i++) {
        if (contract_submit_job(&c, FX_MODEL_ADD16, x.in, 2, 0, &h[i]) != 0)
            abort();
        ipc_packet_t taken;
        if (i % 2 == 0) /* half of them picked up by the "bridge" */
            (void)hand_take(&b, &taken);
    }
    for (size_t at = 0; at + 64 <= size; at += 64) {
        ipc_packet_t pkt;
        memcpy(&pkt, data + at, sizeof(pkt));
        uint8_t sel = data[at];
        if (sel & 0x80)
            pkt.payload_id = h[(sel >> 4) % JOBS];
        uint32_t slot = IPC_HANDLE_SLOT(pkt.payload_id);
        ipc_job_desc_t *d = ipc_region_job(&b.view, slot);
        if (d != NULL)
            memcpy(&d->t_pickup, data + at + 16, 48);
        if (hand_post(&b, pkt.cmd, pkt.flags, pkt.payload_id) != IPC_OK)
            break; /* completion ring full */
        int n = proxy_complete(f.proxy);
        if (n < 0 || n > (int)b.view.cq_slots)
            abort();
    }
    for (int i = 0; i < JOBS; i++) {
        proxy_job_info_t info;
        if (contract_job_status(&c, h[i], &info) == 0 && info.state > PROXY_JOB_BRIDGE_LOST)
            abort();
    }
    proxy_tick(f.proxy);
    size_t tail = size % 64u;
    if (tail >= 41u) {
        const uint8_t *t = data + size - tail;
        ipc_side_t *bs = &f.proxy->region.hdr->bridge;
        uint32_t st[IPC_MAX_SQ], feat, epoch;
        memcpy(st, t + 1, sizeof(st));
        memcpy(&feat, t + 33, 4);
        memcpy(&epoch, t + 37, 4);
        if (t[0] & 1u) /* plausible: the tails as the rings have them */
            for (uint32_t i = 0; i < b.view.n_sq; i++)
                st[i] = b.sq[i].tail;
        memcpy(bs->sq_tail_at_start, st, sizeof(st));
        ipc_write_once(&bs->features, feat);
        ipc_store_release(&bs->epoch, epoch);
        proxy_tick(f.proxy);
        proxy_usage_t u;
        proxy_usage(f.proxy, &u);
        if (u.slots_busy > JOBS || u.slots_held > u.slots_busy)
            abort();
        for (int i = 0; i < JOBS; i++) {
            proxy_job_info_t info;
            if (contract_job_status(&c, h[i], &info) == 0 && info.state > PROXY_JOB_BRIDGE_LOST)
                abort();
        }
    }
    fx_fini(&f);
    return 0;
}
