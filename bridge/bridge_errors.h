/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bridge_errors.h - error codes of the bridge daemon layer.
 *
 * One enum, base -4000 (core -1000, contract -2000, proxy -3000), so a
 * code names its layer. Functions return BRIDGE_OK (0) or a negative code;
 * functions that move N items return N >= 0 or a negative code. These are
 * the daemon's own errors; what the bridge answers on the wire is an
 * enum ipc_status (ipc_proto.h), never one of these.
 *
 * Role: the error part. Thread: any (constant tables). May touch: nothing.
 */
#ifndef ZENEDGE_BRIDGE_ERRORS_H
#define ZENEDGE_BRIDGE_ERRORS_H

/* The one list of codes: X(name, value, meaning). The enum and the names
 * of bridge_strerror() are generated from it, so a name can never drift
 * from its value. Values are consecutive from BRIDGE_E_BASE - 1. */
/* clang-format off */
#define BRIDGE_ERROR_LIST(X) \
    X(BRIDGE_E_INVAL      , -4001, "bad argument from the local caller") \
    X(BRIDGE_E_NOMEM      , -4002, "allocation failed") \
    X(BRIDGE_E_IO         , -4003, "a file could not be opened or read") \
    X(BRIDGE_E_CONFIG     , -4004, "a configuration value is malformed or out of range") \
    X(BRIDGE_E_MANIFEST   , -4005, "a model manifest is malformed") \
    X(BRIDGE_E_MODEL_DUP  , -4006, "two manifests declare the same model id or name") \
    X(BRIDGE_E_WEIGHTS    , -4007, "a weight file is missing or has the wrong size") \
    X(BRIDGE_E_NO_MODELS  , -4008, "the model directory holds no manifest") \
    X(BRIDGE_E_BACKEND    , -4009, "the backend failed") \
    X(BRIDGE_E_NO_BACKEND , -4010, "no backend of that name is built in") \
    X(BRIDGE_E_NO_DEVICE  , -4011, "the backend found no device to run on") \
    X(BRIDGE_E_UNSUPPORTED, -4012, "the backend cannot run this model") \
    X(BRIDGE_E_BUSY       , -4013, "the backend queue is full: poll, then retry") \
    X(BRIDGE_E_TRANSPORT  , -4014, "the region could not be mapped") \
    X(BRIDGE_E_NOT_READY  , -4015, "the region is not initialised yet") \
    X(BRIDGE_E_ATTACH     , -4016, "the region was rejected by validation") \
    X(BRIDGE_E_DOORBELL   , -4017, "doorbell socket or eventfd failure") \
    X(BRIDGE_E_TIMEOUT    , -4018, "a bounded wait ran out") \
    X(BRIDGE_E_SYS        , -4019, "a system call failed (see errno in the log)")

typedef enum bridge_err {
    BRIDGE_OK     = 0,
    BRIDGE_E_BASE = -4000,
#define BRIDGE_ERR_ENUM_(name, value, meaning) name = value,
    BRIDGE_ERROR_LIST(BRIDGE_ERR_ENUM_)
#undef BRIDGE_ERR_ENUM_
    BRIDGE_E_LAST = -4020
} bridge_err_t;
/* clang-format on */

/* Constant name of a code ("BRIDGE_E_MANIFEST"), "BRIDGE_OK" for 0, or
 * "BRIDGE_E_?" for anything else. Never NULL. */
const char *bridge_strerror(int err);
/* One-line meaning of a code ("a model manifest is malformed"), "ok" for
 * 0, or "?". Never NULL. */
const char *bridge_strdesc(int err);

#endif /* ZENEDGE_BRIDGE_ERRORS_H */
