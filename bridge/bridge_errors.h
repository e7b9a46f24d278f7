/*
 * bridge_errors.h - error codes of the bridge daemon layer.
 *
 * One enum, base -4000 (core -1000, contract -2000, proxy -3000), so a
 * code names its layer. Functions return BRIDGE_OK (0) or a negative code;
 * functions that move N items return N >= 0 or a negative code. These are
 * the daemon's own errors; what the bridge answers on the wire is an
 * enum ipc_status (ipc_proto.h), never one of these.
 */
#ifndef ZENEDGE_BRIDGE_ERRORS_H
#define ZENEDGE_BRIDGE_ERRORS_H

typedef enum bridge_err {
    BRIDGE_OK             = 0,
    BRIDGE_E_BASE         = -4000,
    BRIDGE_E_INVAL        = -4001, /* bad argument from the local caller */
    BRIDGE_E_NOMEM        = -4002, /* allocation failed */
    BRIDGE_E_IO           = -4003, /* a file could not be opened or read */
    BRIDGE_E_CONFIG       = -4004, /* a configuration value is malformed or out of range */
    BRIDGE_E_MANIFEST     = -4005, /* a model manifest is malformed */
    BRIDGE_E_MODEL_DUP    = -4006, /* two manifests declare the same model id or name */
    BRIDGE_E_WEIGHTS      = -4007, /* a weight file is missing or has the wrong size */
    BRIDGE_E_NO_MODELS    = -4008, /* the model directory holds no manifest */
    BRIDGE_E_BACKEND      = -4009, /* the backend failed */
    BRIDGE_E_NO_BACKEND   = -4010, /* no backend of that name is built in */
    BRIDGE_E_NO_DEVICE    = -4011, /* the backend found no device to run on */
    BRIDGE_E_UNSUPPORTED  = -4012, /* the backend cannot run this model */
    BRIDGE_E_BUSY         = -4013, /* the backend queue is full: poll, then retry */
    BRIDGE_E_TRANSPORT    = -4014, /* the region could not be mapped */
    BRIDGE_E_NOT_READY    = -4015, /* the region is not initialised yet */
    BRIDGE_E_ATTACH       = -4016, /* the region was rejected by validation */
    BRIDGE_E_DOORBELL     = -4017, /* doorbell socket or eventfd failure */
    BRIDGE_E_TIMEOUT      = -4018, /* a bounded wait ran out */
    BRIDGE_E_SYS          = -4019, /* a system call failed (see errno in the log) */
    BRIDGE_E_LAST         = -4020
} bridge_err_t;

/* Constant name of a code ("BRIDGE_E_MANIFEST"), or "BRIDGE_E_?". */
const char *bridge_strerror(int err);

#endif /* ZENEDGE_BRIDGE_ERRORS_H */
