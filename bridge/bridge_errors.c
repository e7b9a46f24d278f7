/* bridge_errors.c - names of the bridge error codes. */
#include "bridge_errors.h"

static const char *const names[] = {
    "BRIDGE_E_BASE",      "BRIDGE_E_INVAL",     "BRIDGE_E_NOMEM",       "BRIDGE_E_IO",
    "BRIDGE_E_CONFIG",    "BRIDGE_E_MANIFEST",  "BRIDGE_E_MODEL_DUP",   "BRIDGE_E_WEIGHTS",
    "BRIDGE_E_NO_MODELS", "BRIDGE_E_BACKEND",   "BRIDGE_E_NO_BACKEND",  "BRIDGE_E_NO_DEVICE",
    "BRIDGE_E_UNSUPPORTED", "BRIDGE_E_BUSY",    "BRIDGE_E_TRANSPORT",   "BRIDGE_E_NOT_READY",
    "BRIDGE_E_ATTACH",    "BRIDGE_E_DOORBELL",  "BRIDGE_E_TIMEOUT",     "BRIDGE_E_SYS",
};

_Static_assert(sizeof(names) / sizeof(names[0]) == (unsigned)(BRIDGE_E_BASE - BRIDGE_E_LAST),
               "one name per code");

const char *bridge_strerror(int err)
{
    if (err == BRIDGE_OK)
        return "BRIDGE_OK";
    if (err <= BRIDGE_E_BASE && err > BRIDGE_E_LAST)
        return names[BRIDGE_E_BASE - err];
    return "BRIDGE_E_?";
}
