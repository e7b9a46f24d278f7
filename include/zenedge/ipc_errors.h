/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_errors.h - error codes of the core layer (ring, region, heap).
 *
 * One enum, one base. Every code is distinct so that a caller can count
 * each kind and a log line can name it. Functions return 0 (IPC_OK) or a
 * negative code; functions that move N items return N >= 0 or a negative
 * code. Other layers use their own bases (contract -2000, proxy -3000,
 * bridge -4000) so a code identifies its layer.
 */
#ifndef ZENEDGE_IPC_ERRORS_H
#define ZENEDGE_IPC_ERRORS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one list of codes: X(name, value, meaning). The enum and the names of
 * ipc_strerror() are generated from it, so a name can never drift from its
 * value; the meaning documents the code (and is not compiled in, to keep
 * the freestanding side small). Values are consecutive from
 * IPC_E_BASE - 1. */
/* clang-format off */
#define IPC_ERROR_LIST(X) \
    X(IPC_E_INVAL         , -1001, "bad argument from the local caller") \
    X(IPC_E_RING_FULL     , -1002, "no free slot; nothing was written") \
    X(IPC_E_RING_EMPTY    , -1003, "nothing to read") \
    X(IPC_E_RING_MAGIC    , -1004, "ring magic is not IPC_RING_MAGIC") \
    X(IPC_E_RING_SIZE     , -1005, "ring size not a power of two, or not the header's") \
    X(IPC_E_RING_CORRUPT  , -1006, "peer's counter out of range (head - tail > size)") \
    X(IPC_E_RING_ID       , -1007, "ring_id/producer words not what the table says") \
    X(IPC_E_NOT_READY     , -1008, "region magic not (yet) present") \
    X(IPC_E_REGION_MAGIC  , -1009, "region magic is a wrong non-zero value") \
    X(IPC_E_VERSION_MAJOR , -1010, "version_major differs from ours") \
    X(IPC_E_HDR_SIZE      , -1011, "hdr_size smaller than the 1.0 header") \
    X(IPC_E_REGION_SIZE   , -1012, "region_size out of bounds or > mapped size") \
    X(IPC_E_CACHELINE     , -1013, "writer's cache-line size differs") \
    X(IPC_E_FEATURES      , -1014, "a required feature bit we do not know") \
    X(IPC_E_SQ_COUNT      , -1015, "n_sq == 0 or > IPC_MAX_SQ") \
    X(IPC_E_SQ_SLOTS      , -1016, "sq_slots not a power of two in range") \
    X(IPC_E_CQ_SLOTS      , -1017, "cq_slots not a power of two in range, or < max_jobs") \
    X(IPC_E_MAX_JOBS      , -1018, "max_jobs == 0 or > IPC_MAX_JOBS") \
    X(IPC_E_DESC_SIZE     , -1019, "job_desc_size != sizeof(ipc_job_desc_t)") \
    X(IPC_E_SQ_OFFSET     , -1020, "a submission ring not inside the region / misaligned") \
    X(IPC_E_CQ_OFFSET     , -1021, "the completion ring not inside the region / misaligned") \
    X(IPC_E_JOBS_OFFSET   , -1022, "the descriptor table not inside the region / misaligned") \
    X(IPC_E_HEAP_OFFSET   , -1023, "the heap not inside the region / misaligned") \
    X(IPC_E_OVERLAP       , -1024, "two areas of the layout overlap") \
    X(IPC_E_RESERVED      , -1025, "a reserved word is not zero") \
    X(IPC_E_NO_SPACE      , -1026, "init: the configuration does not fit the region") \
    X(IPC_E_HEAP_EXHAUSTED, -1027, "no free block large enough") \
    X(IPC_E_HEAP_TOO_BIG  , -1028, "request larger than the largest class") \
    X(IPC_E_HEAP_BAD_FREE , -1029, "not a block start, or already free") \
    X(IPC_E_HEAP_CONFIG   , -1030, "heap classes do not fit or are malformed") \
    X(IPC_E_TRACE         , -1031, "job trace area malformed, misaligned or outside the region")

typedef enum ipc_err {
    IPC_OK     = 0,
    IPC_E_BASE = -1000,
#define IPC_ERR_ENUM_(name, value, meaning) name = value,
    IPC_ERROR_LIST(IPC_ERR_ENUM_)
#undef IPC_ERR_ENUM_
    IPC_E_LAST = -1032
} ipc_err_t;
/* clang-format on */

/* Short constant name of a code ("IPC_E_RING_FULL"), or "IPC_E_?" */
const char *ipc_strerror(int err);

/* Constant name of a wire status (enum ipc_status in ipc_proto.h:
 * "IPC_STATUS_BAD_MODEL"), or "IPC_STATUS_?"; for both sides and the tools. */
const char *ipc_status_name(uint32_t status);

/*
 * What attach found wrong, for a log line that names the value and the
 * limit it broke: "<field>=<value> breaks <limit>". Filled on failure.
 */
typedef struct ipc_fault {
    const char *field; /* header field, e.g. "sq_off[2]" */
    uint32_t value;    /* the value read from the region */
    uint32_t limit;    /* the bound it broke */
    const char *rule;  /* e.g. "must be a power of two in [2, 65536]" */
} ipc_fault_t;

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_IPC_ERRORS_H */
