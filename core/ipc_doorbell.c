/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_doorbell.c - the one parser of doorbell mode names (ipc_doorbell.h).
 * Freestanding: no libc.
 */
#include "zenedge/ipc_doorbell.h"
#include "zenedge/ipc_errors.h"

static const char *const db_names[IPC_DB_MODES] = {
    [IPC_DB_POLL] = "poll",
    [IPC_DB_EVENTFD] = "eventfd",
    [IPC_DB_ADAPTIVE] = "adaptive",
};

static bool same(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

int ipc_db_mode_parse(const char *s)
{
    if (s == 0)
        return IPC_E_INVAL;
    for (int m = 0; m < (int)IPC_DB_MODES; m++)
        if (same(s, db_names[m]))
            return m;
    return IPC_E_INVAL;
}

const char *ipc_db_mode_name(int mode)
{
    return (mode >= 0 && mode < (int)IPC_DB_MODES) ? db_names[mode] : "?";
}
