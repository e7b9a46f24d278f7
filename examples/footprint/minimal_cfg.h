/* SPDX-License-Identifier: BSD-3-Clause */
/* minimal_cfg.h - ZENEDGE_USER_CONFIG of examples/footprint/minimal.c:
 * 8 job slots, one model under one contract, the copy path, and every
 * optional feature off. */
#define ZEN_CFG_MAX_JOBS          8u
#define ZEN_CFG_HEAP_MAX_BLOCKS   16u
#define ZEN_CFG_MAX_MODELS        1u
#define ZEN_CFG_CONTRACT_MODELS   1u
#define ZEN_CFG_MAX_TENSORS       1u
#define ZEN_CFG_MAX_SQ            1u
#define ZEN_CFG_LOG_LEVEL         (-1)
#define ZEN_CFG_ZERO_COPY         0
#define ZEN_CFG_STAGE_TIMES       0
#define ZEN_CFG_JOB_TRACE         0
#define ZEN_CFG_START_TAILS       0
#define ZEN_CFG_REJECT_COUNTERS   0
#define ZEN_CFG_LAT_HIST          0
#define ZEN_CFG_CONTRACT          1
/* The geometry of minimal.c fixed at compile time (docs/footprint.md):
 * a 64 KB region, one ring of 64 slots, 8 descriptors, and a heap of
 * 4 KB blocks (15 of them: ZEN_CFG_HEAP_MAX_BLOCKS). */
#define ZEN_CFG_FIXED_LAYOUT      1
#define ZEN_CFG_FIXED_REGION_SIZE 65536u
#define ZEN_CFG_FIXED_SQ_SLOTS    64u
#define ZEN_CFG_FIXED_HEAP_BLOCK  4096u
