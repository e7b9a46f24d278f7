/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zenedge_config.h - static configuration of the ZENEDGE side.
 *
 * Every value has a default below; a board overrides any of them by
 * defining it first, either on the compiler command line (-D...) or in a
 * header named by ZENEDGE_USER_CONFIG (-DZENEDGE_USER_CONFIG='"board_cfg.h"'),
 * which is included before the defaults. The values size the storage that
 * the caller provides (proxy_t), so every translation unit that includes
 * rtos/proxy.h must see the same values: set them for the whole build.
 * docs/porting.md repeats this list as a table.
 */
#ifndef ZENEDGE_CONFIG_H
#define ZENEDGE_CONFIG_H

#ifdef ZENEDGE_USER_CONFIG
#include ZENEDGE_USER_CONFIG
#endif

/* Job slots in the private job table (and the most max_jobs a region laid
 * out by this side may have). Each slot costs about 190 bytes of RAM: the
 * record and its place in the deadline heap. */
#ifndef ZEN_CFG_MAX_JOBS
#define ZEN_CFG_MAX_JOBS 32u
#endif

/* Heap blocks the allocator can track (one uint32_t link each): the sum of
 * the block counts of every heap size class must not exceed it. */
#ifndef ZEN_CFG_HEAP_MAX_BLOCKS
#define ZEN_CFG_HEAP_MAX_BLOCKS 256u
#endif

/* Tensor buffers the application may hold in the shared heap for the
 * zero-copy path (proxy_buf_alloc). Each entry costs 16 bytes of RAM; at
 * most 255. */
#ifndef ZEN_CFG_MAX_BUFS
#define ZEN_CFG_MAX_BUFS 16u
#endif

/* Entries in the model table (model id -> tensor signature). */
#ifndef ZEN_CFG_MAX_MODELS
#define ZEN_CFG_MAX_MODELS 8u
#endif

/* Inputs, and outputs, a registered model may have: sizes every job
 * record (16 bytes per tensor and job on a 32-bit target) and model
 * entry. At most IPC_MAX_TENSORS (4), which the wire format allows. */
#ifndef ZEN_CFG_MAX_TENSORS
#define ZEN_CFG_MAX_TENSORS 4u
#endif

/* Submission rings this side can drive (proxy_config_t.n_sq at most
 * this): sizes the ring state in proxy_t (about 36 bytes per ring). At
 * most IPC_MAX_SQ (8); a board with one queue class sets 1. */
#ifndef ZEN_CFG_MAX_SQ
#define ZEN_CFG_MAX_SQ 8u
#endif

/* Models one contract may list as allowed. */
#ifndef ZEN_CFG_CONTRACT_MODELS
#define ZEN_CFG_CONTRACT_MODELS 8u
#endif

/* Completion packets handled by one call of the completion handler: the
 * bound on the work done per interrupt. The rest waits for the next call
 * (proxy_complete() returns how many it handled). */
#ifndef ZEN_CFG_CQ_BUDGET
#define ZEN_CFG_CQ_BUDGET 32u
#endif

/* Job slots the timer context (proxy_tick) handles inside one critical
 * section: the slots one pass of a bridge-loss or new-epoch recovery
 * visits, and the expired jobs one deadline step ends. The rest follows
 * in the next section of the same tick, with the lock released in
 * between, so that the time with interrupts masked is bounded by this
 * many jobs, not by the table (docs/porting.md gives the instructions). */
#ifndef ZEN_CFG_CRIT_BATCH
#define ZEN_CFG_CRIT_BATCH 16u
#endif

/* Heartbeat period this side promises, in microseconds. */
#ifndef ZEN_CFG_HB_PERIOD_US
#define ZEN_CFG_HB_PERIOD_US 10000u
#endif

/* The bridge's promised heartbeat period is read from the region and
 * clamped to [MIN, MAX] before use (0 there means the default above). */
#ifndef ZEN_CFG_HB_PERIOD_MIN_US
#define ZEN_CFG_HB_PERIOD_MIN_US 1000u
#endif
#ifndef ZEN_CFG_HB_PERIOD_MAX_US
#define ZEN_CFG_HB_PERIOD_MAX_US 1000000u
#endif

/* The bridge is declared lost when its heartbeat has not moved for
 * ZEN_CFG_HB_MISSES periods plus this slack (microseconds). */
#ifndef ZEN_CFG_HB_MISSES
#define ZEN_CFG_HB_MISSES 3u
#endif
#ifndef ZEN_CFG_HB_SLACK_US
#define ZEN_CFG_HB_SLACK_US 20000u
#endif

/* Largest backend time (ns) a completion may report. A larger value is an
 * out-of-range time: the completion is rejected and counted. */
#ifndef ZEN_CFG_BACKEND_NS_MAX
#define ZEN_CFG_BACKEND_NS_MAX 10000000000ull
#endif

/* Deadline of a job whose contract and call give none (microseconds). */
#ifndef ZEN_CFG_DEFAULT_DEADLINE_US
#define ZEN_CFG_DEFAULT_DEADLINE_US 1000000u
#endif

/* Longest deadline accepted (microseconds); longer is a bad argument. */
#ifndef ZEN_CFG_MAX_DEADLINE_US
#define ZEN_CFG_MAX_DEADLINE_US 600000000u
#endif

/* ---------------------------------------------------------------------
 * Feature switches: 1 compiles the feature in (the default: every
 * feature), 0 leaves it out, code, tables and RAM alike. docs/porting.md
 * gives what each one costs; docs/footprint.md the linked totals.
 * --------------------------------------------------------------------- */

/* Highest zport_log() level the code calls: 3 debug (every line), 2 info,
 * 1 warn, 0 error only, -1 none (no call and no format string is left in
 * the image; errors are still returned as codes). */
#ifndef ZEN_CFG_LOG_LEVEL
#define ZEN_CFG_LOG_LEVEL 3
#endif

/* The zero-copy path: tensor buffers in the shared heap (proxy_buf_*,
 * contract_submit_bufs, in_buf / out_buf in a request). 0: only the copy
 * path; a request naming buffers is PROXY_E_INVAL and the buffer calls
 * are not declared. */
#ifndef ZEN_CFG_ZERO_COPY
#define ZEN_CFG_ZERO_COPY 1
#endif

/* The bridge's stage timestamps (pickup, backend start / end, complete)
 * kept per job and handed over in proxy_result_t. 0: those four times
 * are 0 and times_valid false (backend_ns, the submit, seen and wake
 * times stay). */
#ifndef ZEN_CFG_STAGE_TIMES
#define ZEN_CFG_STAGE_TIMES 1
#endif

/* Recovery after a bridge restart from the tails the new instance
 * published (IPC_FEAT_START_TAILS, docs/protocol.md). 0: this side's own
 * snapshot of the tails always decides (what a 1.0 bridge gets): correct,
 * but held slots of the lost instance may wait for the next restart. */
#ifndef ZEN_CFG_START_TAILS
#define ZEN_CFG_START_TAILS 1
#endif

/* Rejections counted per reason (proxy_stats_t.cq_rejected[] by
 * PROXY_CQ_*, contract_t.rejected[] by CONTRACT_REJ_*). 0: each array has
 * one entry, [0], which counts every reason. */
#ifndef ZEN_CFG_REJECT_COUNTERS
#define ZEN_CFG_REJECT_COUNTERS 1
#endif

/* Latency histograms of the ZENEDGE side (lat_trace.h). 0: not built. */
#ifndef ZEN_CFG_LAT_HIST
#define ZEN_CFG_LAT_HIST 1
#endif

/* The contract layer (contract.h). 0: not built; the application calls
 * the proxy directly (proxy_submit, proxy_wait). */
#ifndef ZEN_CFG_CONTRACT
#define ZEN_CFG_CONTRACT 1
#endif

#if ZEN_CFG_LOG_LEVEL < -1 || ZEN_CFG_LOG_LEVEL > 3
#error "ZEN_CFG_LOG_LEVEL must be in [-1, 3]"
#endif

/* The job trace (protocol 1.2, IPC_FEAT_JOB_TRACE): a ring of one record
 * per collected job in the region (rtos/job_trace.c), read by zenedge-ipc
 * trace. 0 leaves the code out and lays out 1.1 regions. SLOTS is the
 * default proxy_config_t.trace_slots: records kept (128 bytes of the
 * region each), a power of two in [2, 65536]; 0 there also means none. */
#ifndef ZEN_CFG_JOB_TRACE
#define ZEN_CFG_JOB_TRACE 1
#endif
#ifndef ZEN_CFG_JOB_TRACE_SLOTS
#define ZEN_CFG_JOB_TRACE_SLOTS 256u
#endif

/* A compile-time region layout (opt-in): 1 = the geometry of the region
 * and the heap is fixed here, not taken from proxy_config_t: one
 * submission ring of ZEN_CFG_FIXED_SQ_SLOTS slots, ZEN_CFG_MAX_JOBS job
 * descriptors, the smallest completion ring for them, no job trace, a
 * region of ZEN_CFG_FIXED_REGION_SIZE bytes and one heap class of
 * ZEN_CFG_FIXED_HEAP_BLOCK-byte blocks filling the heap. proxy_init()
 * refuses (PROXY_E_CONFIG) a configuration that asks for another one;
 * the checks, the layout arithmetic and the heap plan then fold to
 * constants (docs/footprint.md). The region is byte for byte the one
 * the same configuration lays out with 0. */
#ifndef ZEN_CFG_FIXED_LAYOUT
#define ZEN_CFG_FIXED_LAYOUT 0
#endif
#ifndef ZEN_CFG_FIXED_REGION_SIZE
#define ZEN_CFG_FIXED_REGION_SIZE 65536u
#endif
#ifndef ZEN_CFG_FIXED_SQ_SLOTS
#define ZEN_CFG_FIXED_SQ_SLOTS 64u
#endif
#ifndef ZEN_CFG_FIXED_HEAP_BLOCK
#define ZEN_CFG_FIXED_HEAP_BLOCK 64u
#endif
#if ZEN_CFG_FIXED_LAYOUT && (ZEN_CFG_MAX_SQ != 1 || ZEN_CFG_JOB_TRACE != 0)
#error "ZEN_CFG_FIXED_LAYOUT needs ZEN_CFG_MAX_SQ 1 and ZEN_CFG_JOB_TRACE 0"
#endif

#if ZEN_CFG_MAX_JOBS < 1 || ZEN_CFG_MAX_JOBS > 4096
#error "ZEN_CFG_MAX_JOBS must be in [1, 4096] (IPC_MAX_JOBS)"
#endif
#if ZEN_CFG_MAX_TENSORS < 1 || ZEN_CFG_MAX_TENSORS > 4
#error "ZEN_CFG_MAX_TENSORS must be in [1, IPC_MAX_TENSORS = 4]"
#endif
#if ZEN_CFG_MAX_SQ < 1 || ZEN_CFG_MAX_SQ > 8
#error "ZEN_CFG_MAX_SQ must be in [1, IPC_MAX_SQ = 8]"
#endif
#if ZEN_CFG_CQ_BUDGET < 1
#error "ZEN_CFG_CQ_BUDGET must be at least 1"
#endif
#if ZEN_CFG_CRIT_BATCH < 1
#error "ZEN_CFG_CRIT_BATCH must be at least 1"
#endif
#if ZEN_CFG_CONTRACT_MODELS < 1 || ZEN_CFG_MAX_MODELS < 1
#error "model tables need at least one entry"
#endif

#endif /* ZENEDGE_CONFIG_H */
