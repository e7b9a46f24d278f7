/* SPDX-License-Identifier: BSD-3-Clause */
/* full_cfg.h - ZENEDGE_USER_CONFIG of examples/footprint/full.c: 8 job
 * slots, one model, and every feature on (the defaults of
 * zenedge_config.h: logging down to debug, zero-copy buffers, stage
 * timestamps, start tails, reject counters, histograms, contracts). */
#define ZEN_CFG_MAX_JOBS        8u
#define ZEN_CFG_HEAP_MAX_BLOCKS 16u
#define ZEN_CFG_MAX_MODELS      1u
#define ZEN_CFG_CONTRACT_MODELS 1u
#define ZEN_CFG_MAX_BUFS        4u
