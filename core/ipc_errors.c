/* ipc_errors.c - names of the core error codes. Freestanding. */
#include "zenedge/ipc_errors.h"

static const char *const names[] = {
    "IPC_E_BASE", "IPC_E_INVAL", "IPC_E_RING_FULL", "IPC_E_RING_EMPTY",
    "IPC_E_RING_MAGIC", "IPC_E_RING_SIZE", "IPC_E_RING_CORRUPT", "IPC_E_RING_ID",
    "IPC_E_NOT_READY", "IPC_E_REGION_MAGIC", "IPC_E_VERSION_MAJOR", "IPC_E_HDR_SIZE",
    "IPC_E_REGION_SIZE", "IPC_E_CACHELINE", "IPC_E_FEATURES", "IPC_E_SQ_COUNT",
    "IPC_E_SQ_SLOTS", "IPC_E_CQ_SLOTS", "IPC_E_MAX_JOBS", "IPC_E_DESC_SIZE",
    "IPC_E_SQ_OFFSET", "IPC_E_CQ_OFFSET", "IPC_E_JOBS_OFFSET", "IPC_E_HEAP_OFFSET",
    "IPC_E_OVERLAP", "IPC_E_RESERVED", "IPC_E_NO_SPACE", "IPC_E_HEAP_EXHAUSTED",
    "IPC_E_HEAP_TOO_BIG", "IPC_E_HEAP_BAD_FREE", "IPC_E_HEAP_CONFIG",
};

_Static_assert(sizeof(names) / sizeof(names[0]) == (unsigned)(IPC_E_BASE - IPC_E_LAST),
               "one name per code");

const char *ipc_strerror(int err)
{
    if (err == IPC_OK)
        return "IPC_OK";
    if (err <= IPC_E_BASE && err > IPC_E_LAST)
        return names[IPC_E_BASE - err];
    return "IPC_E_?";
}
