/* minimal_cfg.h - ZENEDGE_USER_CONFIG of examples/footprint/minimal.c. */
#define ZEN_CFG_MAX_JOBS        8u
#define ZEN_CFG_HEAP_MAX_BLOCKS 16u
#define ZEN_CFG_MAX_MODELS      1u
#define ZEN_CFG_CONTRACT_MODELS 1u
