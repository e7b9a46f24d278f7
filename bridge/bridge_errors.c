/* SPDX-License-Identifier: BSD-3-Clause */
/* bridge_errors.c - names and meanings of the bridge error codes, both
 * generated from BRIDGE_ERROR_LIST (bridge_errors.h). */
#include "bridge_errors.h"

#include <stddef.h>

typedef struct err_entry {
    int value;
    const char *name;
    const char *meaning;
} err_entry_t;

static const err_entry_t entries[] = {
#define BRIDGE_ERR_ENTRY_(name, value, meaning) {value, #name, meaning},
    BRIDGE_ERROR_LIST(BRIDGE_ERR_ENTRY_)
#undef BRIDGE_ERR_ENTRY_
};

/* The list is consecutive from BRIDGE_E_BASE - 1 and ends at BRIDGE_E_LAST + 1. */
_Static_assert(sizeof(entries) / sizeof(entries[0]) == (unsigned)(BRIDGE_E_BASE - BRIDGE_E_LAST - 1),
               "one entry per code, no gap");

static const err_entry_t *find(int err)
{
    if (err >= BRIDGE_E_BASE || err <= BRIDGE_E_LAST)
        return NULL;
    const err_entry_t *e = &entries[BRIDGE_E_BASE - 1 - err];
    return e->value == err ? e : NULL; /* a list out of order is never trusted */
}

const char *bridge_strerror(int err)
{
    if (err == BRIDGE_OK)
        return "BRIDGE_OK";
    const err_entry_t *e = find(err);
    return e ? e->name : "BRIDGE_E_?";
}

const char *bridge_strdesc(int err)
{
    if (err == BRIDGE_OK)
        return "ok";
    const err_entry_t *e = find(err);
    return e ? e->meaning : "?";
}
