/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_proxy_completion - the ZENEDGE side's parser of answers: the proxy's
 * completion handler. A proxy on the POSIX port (manual mode, no threads)
 * has a few jobs in flight; the input is a sequence of 64-byte records,
 * each a 16-byte completion packet and the 48-byte answer line of a job
 * descriptor. Byte 8 of a record (in the packet's timestamp, which the post
 * replaces with the clock) chooses whether payload_id is replaced by the
 * handle of a real in-flight job (so the deep checks run); it was byte 0,
 * the low byte of cmd, whose bit 7 every completion command has set, so no
 * completion could name a forged handle. Each record
 * is posted on the completion ring and the handler is run; then every job
 * is queried and the proxy ticked. A trailer of 41 bytes or more (what is
 * left after the whole records) is the bridge side block of a restart:
 * byte 0 (odd: keep the ring tails as they are), then 32 bytes of
 * sq_tail_at_start, 4 of features and 4 of epoch, then a tick, which runs
 * the epoch change, the start-tail checks and the reclaim.
 *
 * Speed: the proxy, its region and the six jobs are set up once (and again
 * every SETUP_AGE_NS, so that no deadline or heartbeat of the setup runs
 * out: an input meets the times a fresh setup gives). The state right
 * after the setup is kept as a snapshot; after each input everything an
 * input can change is copied back from it: the region up to the heap (the
 * header, the rings, the job table; the handler and the tick never write
 * the tensor heap), the proxy record (slots, heap accounting, liveness,
 * statistics), the contract and the hand bridge's ring cursors. So every
 * input meets the state of a fresh setup, and no input's state can hide a
 * fault from the next.
 *
 * Oracle: no crash (ASan), no job state outside the known ones, the handler
 * never reports more packets than were posted, a packet it took alone that
 * names no live job (a bad command, generation 0, a slot beyond the table,
 * a slot never used) is refused and counted under its documented reason,
 * and after every input: the
 * busy count is the number of busy slots, the free list holds exactly the
 * other slots (each with no flag left), the held count is the number of
 * ended and unanswered slots, no job was answered twice (answers taken
 * at most the answered slots), every job ended at most once (the owner's
 * final statuses are the ended slots, its in-flight count the others), a
 * free slot's tensor blocks went back to the heap and a busy one's did not
 * (free bytes = empty heap - busy slots x one job's blocks), no block was
 * freed twice.
 */
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "fuzz.h"
#include "hand_bridge.h"
#include "proxy_internal.h"
#include "rtos_fixture.h"
#include "zenedge/barrier.h"

#define JOBS         6
#define SETUP_AGE_NS 100000000ull /* 0.1 s: far below the 1-s heartbeat and 5-s deadline */

static const uint32_t models[] = {FX_MODEL_ADD16};

/* The live state and its snapshot right after the setup. */
static struct {
    fx_t f;
    hand_bridge_t b;
    contract_t c;
    uint32_t h[JOBS];
    bool made;
    uint64_t made_ns;
    uint32_t heap_empty; /* free heap bytes with no job */
    uint32_t job_bytes;  /* heap bytes of one job */
    uint32_t prefix;     /* region bytes an input can change: all below the heap */
    uint8_t *region_snap;
    proxy_t proxy_snap;
    hand_bridge_t b_snap;
    contract_t c_snap;
} S;

static uint32_t heap_free(void)
{
    proxy_usage_t u;
    proxy_usage(S.f.proxy, &u);
    return u.heap_free_bytes;
}

static void setup(void)
{
    if (S.made)
        fx_fini(&S.f);
    fx_opts_t o;
    fx_opts_default(&o);
    if (fx_init(&S.f, &o) != 0)
        abort();
    zport_posix_set_log(&S.f.port, -1, "fuzz "); /* no line at all: one per refusal would cost more than the input */
    fx_fake_bridge(&S.f, IPC_STATE_READY, 1);
    if (hand_attach(&S.b, S.f.region, S.f.size) != 0)
        abort();
    fx_contract(&S.f, &S.c, "fuzz", models, 1, JOBS, IPC_QOS_NORMAL);
    S.heap_empty = heap_free();
    fx_add16_t x;
    fx_add16_fill(&x, 1);
    for (int i = 0; i < JOBS; i++) {
        if (contract_submit_job(&S.c, FX_MODEL_ADD16, x.in, 2, 0, &S.h[i]) != 0)
            abort();
        ipc_packet_t taken;
        if (i % 2 == 0) /* half of them picked up by the "bridge" */
            (void)hand_take(&S.b, &taken);
    }
    S.job_bytes = (S.heap_empty - heap_free()) / JOBS;
    S.prefix = S.f.proxy->region.heap_off;
    if (S.f.proxy->region.trace != NULL && S.f.proxy->region.trace_off >= S.prefix)
        abort(); /* the job trace must lie below the heap, in what is restored */
    if (S.region_snap == NULL && (S.region_snap = malloc(S.f.size)) == NULL)
        abort();
    memcpy(S.region_snap, S.f.region, S.prefix);
    S.proxy_snap = *S.f.proxy;
    S.b_snap = S.b;
    S.c_snap = S.c;
    S.made = true;
    S.made_ns = fx_now_ns();
}

static void restore(void)
{
    memcpy(S.f.region, S.region_snap, S.prefix);
    *S.f.proxy = S.proxy_snap;
    S.b = S.b_snap;
    S.c = S.c_snap;
}

/* The slots, the free list, the owner's account and the heap agree. */
static void check_slots(void)
{
    const proxy_t *p = S.f.proxy;
    uint32_t busy = 0, held = 0, ended = 0, answered = 0, free_n = 0;
    for (uint32_t s = 0; s < p->max_jobs; s++) {
        uint32_t fl = p->jobs[s].flags;
        busy += (fl & PJ_BUSY) != 0;
        held += (fl & (PJ_BUSY | PJ_ENDED | PJ_ANSWERED)) == (PJ_BUSY | PJ_ENDED);
        ended += (fl & PJ_ENDED) != 0 || !(fl & PJ_BUSY); /* a released slot ended first */
        answered += (fl & PJ_ANSWERED) != 0 || !(fl & PJ_BUSY);
        if (!(fl & PJ_BUSY) && fl != 0)
            abort(); /* a free slot with flags left */
    }
    for (uint32_t s = p->free_head; s != PJ_NIL; s = p->jobs[s].next_free)
        if (s >= p->max_jobs || p->jobs[s].flags != 0 || ++free_n > p->max_jobs)
            abort();             /* the free list leaves the table, holds a busy slot or loops */
    ended -= p->max_jobs - JOBS; /* the slots never used */
    answered -= p->max_jobs - JOBS;
    if (p->stats.completions - S.proxy_snap.stats.completions > answered)
        abort(); /* more answers taken than jobs answered: one answered twice */
    uint32_t acct_ended = 0;
    for (uint32_t k = 0; k < PROXY_END_COUNT; k++)
        acct_ended += S.c.acct.ended[k];
    if (busy != p->n_busy || free_n != p->max_jobs - busy || held != p->n_held || acct_ended != ended ||
        S.c.acct.inflight != JOBS - ended)
        abort();
    if (heap_free() != S.heap_empty - busy * S.job_bytes || p->heap.bad_frees != S.proxy_snap.heap.bad_frees)
        abort(); /* tensor blocks lost, kept or freed twice */
}

static void check_jobs(void)
{
    for (int i = 0; i < JOBS; i++) {
        proxy_job_info_t info;
        if (contract_job_status(&S.c, S.h[i], &info) == 0 && info.state > PROXY_JOB_BRIDGE_LOST)
            abort();
    }
}

/* The refusal a packet naming no live job must get (a model of the
 * handler's first checks), or PROXY_CQ_REJECT_COUNT when it names one of
 * the six jobs (then the answer is judged on). */
static uint32_t expected_refusal(const ipc_packet_t *pkt)
{
    const proxy_t *p = S.f.proxy;
    uint32_t slot = IPC_HANDLE_SLOT(pkt->payload_id), gen = IPC_HANDLE_GEN(pkt->payload_id);
    bool error = pkt->cmd == CMD_ERROR;
    if (pkt->cmd != CMD_PONG && pkt->cmd != CMD_JOB_DONE && !error)
        return PROXY_CQ_BAD_CMD;
    if (gen == 0 || slot >= p->max_jobs)
        return error ? PROXY_CQ_UNATTRIBUTED : PROXY_CQ_BAD_HANDLE;
    for (int i = 0; i < JOBS; i++)
        if (IPC_HANDLE_SLOT(S.h[i]) == slot)
            return PROXY_CQ_REJECT_COUNT;
    if (error) /* a slot never used */
        return PROXY_CQ_UNATTRIBUTED;
    return p->jobs[slot].gen == gen ? PROXY_CQ_STALE : PROXY_CQ_UNKNOWN_JOB;
}

static void records(const uint8_t *data, size_t size)
{
    for (size_t at = 0; at + 64 <= size; at += 64) {
        ipc_packet_t pkt;
        memcpy(&pkt, data + at, sizeof(pkt));
        uint8_t sel = data[at + 8]; /* the timestamp's: the post writes the clock there */
        if (sel & 0x80)
            pkt.payload_id = S.h[(sel >> 4) % JOBS];
        uint32_t slot = IPC_HANDLE_SLOT(pkt.payload_id);
        ipc_job_desc_t *d = ipc_region_job(&S.b.view, slot);
        if (d != NULL)
            memcpy(&d->t_pickup, data + at + 16, 48);
        if (hand_post(&S.b, pkt.cmd, pkt.flags, pkt.payload_id) != IPC_OK)
            break; /* completion ring full */
#if ZEN_CFG_REJECT_COUNTERS
        uint32_t why = expected_refusal(&pkt);
        uint32_t before = why < PROXY_CQ_REJECT_COUNT ? S.f.proxy->stats.cq_rejected[why] : 0u;
#endif
        int n = proxy_complete(S.f.proxy);
        if (n < 0 || n > (int)S.b.view.cq_slots)
            abort();
#if ZEN_CFG_REJECT_COUNTERS
        if (n == 1 && why < PROXY_CQ_REJECT_COUNT && S.f.proxy->stats.cq_rejected[why] != before + 1u)
            abort(); /* a packet naming no live job not refused, or for another reason */
#endif
    }
}

static void restart(const uint8_t *t)
{
    ipc_side_t *bs = &S.f.proxy->region.hdr->bridge;
    uint32_t st[IPC_MAX_SQ], feat, epoch;
    memcpy(st, t + 1, sizeof(st));
    memcpy(&feat, t + 33, 4);
    memcpy(&epoch, t + 37, 4);
    if (t[0] & 1u) /* plausible: the tails as the rings have them */
        for (uint32_t i = 0; i < S.b.view.n_sq; i++)
            st[i] = S.b.sq[i].tail;
    memcpy(bs->sq_tail_at_start, st, sizeof(st));
    ipc_write_once(&bs->features, feat);
    ipc_store_release(&bs->epoch, epoch);
    proxy_tick(S.f.proxy);
    proxy_usage_t u;
    proxy_usage(S.f.proxy, &u);
    if (u.slots_busy > JOBS || u.slots_held > u.slots_busy)
        abort();
    check_jobs();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!S.made || fx_now_ns() - S.made_ns > SETUP_AGE_NS)
        setup();
    records(data, size);
    check_jobs();
    proxy_tick(S.f.proxy);
    size_t tail = size % 64u;
    if (tail >= 41u)
        restart(data + size - tail);
    check_slots();
    restore();
    return 0;
}
