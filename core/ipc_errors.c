/* SPDX-License-Identifier: BSD-3-Clause */
/* ipc_errors.c - names of the core error codes and of the wire statuses.
 * Freestanding. */
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_proto.h"

#define NAME_(name, value, meaning) [IPC_E_BASE - (value)] = #name,
static const char *const names[] = {IPC_ERROR_LIST(NAME_)};
#undef NAME_

_Static_assert(sizeof(names) / sizeof(names[0]) == (unsigned)(IPC_E_BASE - IPC_E_LAST),
               "IPC_ERROR_LIST: consecutive values from IPC_E_BASE - 1 to IPC_E_LAST + 1");

/* Each entry named after its own constant: the name cannot drift. */
#define STATUS_(s) [s] = #s
static const char *const status_names[IPC_STATUS_COUNT] = {
    STATUS_(IPC_STATUS_OK),
    STATUS_(IPC_STATUS_BAD_CMD),
    STATUS_(IPC_STATUS_BAD_FLAGS),
    STATUS_(IPC_STATUS_BAD_SLOT),
    STATUS_(IPC_STATUS_STALE),
    STATUS_(IPC_STATUS_BAD_MODEL),
    STATUS_(IPC_STATUS_BAD_QOS),
    STATUS_(IPC_STATUS_BAD_TENSOR_COUNT),
    STATUS_(IPC_STATUS_BAD_TENSOR_RANGE),
    STATUS_(IPC_STATUS_BAD_TENSOR_SIZE),
    STATUS_(IPC_STATUS_BAD_DESC),
    STATUS_(IPC_STATUS_BACKEND_ERROR),
    STATUS_(IPC_STATUS_CANCELLED),
    STATUS_(IPC_STATUS_EXPIRED),
    STATUS_(IPC_STATUS_SHUTDOWN),
};
#undef STATUS_

const char *ipc_strerror(int err)
{
    if (err == IPC_OK)
        return "IPC_OK";
    if (err < IPC_E_BASE && err > IPC_E_LAST)
        return names[IPC_E_BASE - err];
    if (err == IPC_E_BASE)
        return "IPC_E_BASE";
    return "IPC_E_?";
}

const char *ipc_status_name(uint32_t status)
{
    const char *n = status < IPC_STATUS_COUNT ? status_names[status] : 0;
    return n ? n : "IPC_STATUS_?";
}
