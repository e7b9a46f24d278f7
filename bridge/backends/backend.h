/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * backend.h - the interface every compute backend of zenedge-bridged
 * implements (CPU reference here; OpenCL and CUDA plug in the same way).
 *
 * A backend is a const ops table plus a private state pointer. The
 * dispatcher calls it from one thread only, in this order:
 *   probe* -> init -> load_model (once per registry model) ->
 *   { submit | poll }* -> shutdown
 *
 * Error contract (the same for every operation that returns int):
 *   BRIDGE_OK (0) or a count >= 0   success, as described per operation
 *   BRIDGE_E_BUSY                   submit only: the backend's queue is
 *                                   full; nothing was taken. Call poll, then
 *                                   submit again. Never returned when no
 *                                   job of this backend is in flight.
 *   BRIDGE_E_UNSUPPORTED            load_model: this backend cannot run the
 *                                   model (no kernel for it, or the
 *                                   signature does not fit the kernel)
 *   BRIDGE_E_NO_DEVICE              probe/init: nothing to run on
 *   BRIDGE_E_INVAL                  bad argument from the dispatcher
 *   BRIDGE_E_BACKEND, BRIDGE_E_NOMEM, other BRIDGE_E_*
 *                                   the operation failed; the backend stays
 *                                   usable (a failed submit leaves the job
 *                                   with the dispatcher, which answers
 *                                   IPC_STATUS_BACKEND_ERROR)
 * A job that was accepted by submit comes back exactly once from poll,
 * with job->status set (IPC_STATUS_OK or IPC_STATUS_BACKEND_ERROR) and the
 * timestamps, backend_ns and result filled. A job that has become stale
 * (bridge_job_stale: the region was detached meanwhile) comes back too,
 * without its inputs read or its output written after that point. No operation blocks longer
 * than the timeout it is given.
 */
#ifndef ZENEDGE_BRIDGE_BACKEND_H
#define ZENEDGE_BRIDGE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "../registry.h"
#include "zenedge/ipc_proto.h"

/* One job as a backend sees it: validated, with tensor pointers resolved
 * inside the region (each [ptr, ptr+len) was checked against the heap). */
typedef struct bridge_job {
    uint32_t handle; /* packet payload_id */
    uint32_t slot;   /* IPC_HANDLE_SLOT(handle) */
    uint32_t qos;    /* IPC_QOS_*, maps to a device priority */
    const bridge_model_t *model;
    const void *in[IPC_MAX_TENSORS];
    void *out[IPC_MAX_TENSORS];
    uint32_t in_len[IPC_MAX_TENSORS];
    uint32_t out_len[IPC_MAX_TENSORS];
    /* filled by the backend */
    uint64_t t_backend_start; /* ns, CLOCK_MONOTONIC */
    uint64_t t_backend_end;
    uint64_t backend_ns; /* device time of the job */
    uint32_t result;     /* model result word */
    uint32_t status;     /* enum ipc_status */
    /* owned by the dispatcher */
    uint64_t t_pickup;
    uint16_t cmd;
    uint16_t region; /* the region it came from (a daemon serving several, bmux.h) */
    uint32_t ring;
    /* The attach (mapping of the region) the job's pointers point into:
     * its generation when the job was taken, and the dispatcher's current
     * one (NULL: no check). Once they differ the job is stale: a backend
     * must not read its inputs or write its output any more (see
     * bridge_job_stale), only hand it back. */
    uint32_t attach_gen;
    const uint32_t *live_gen;
} bridge_job_t;

/* Whether job belongs to an attach that has ended: its in[]/out[] may
 * point into a mapping that is gone or into a re-initialised region.
 * Read on the dispatcher's thread only (which changes *live_gen). */
static inline int bridge_job_stale(const bridge_job_t *job)
{
    return job->live_gen != NULL && *job->live_gen != job->attach_gen;
}

typedef struct bridge_device_info {
    char backend[32];
    char platform[96];
    char device[128];
    int index;
} bridge_device_info_t;

/* CPU numbers a worker thread may run on: bit c of word c / 64. */
#define BRIDGE_CPU_MAX   1024u
#define BRIDGE_CPU_WORDS (BRIDGE_CPU_MAX / 64u)

/*
 * How a backend that runs jobs on threads of its own (the CPU backend)
 * schedules them, one worker per QoS class. fifo: SCHED_FIFO with
 * prio[c] (1..99), else the nice value prio[c] (-20..19) of class c's
 * worker. cpus: where the workers may run; all bits 0: where the creating
 * thread may (no pinning of their own).
 */
typedef struct bridge_qos_sched {
    int fifo;
    int bg_idle;    /* not fifo: the BACKGROUND worker at SCHED_IDLE (its nice kept as a fallback) */
    int dispatcher; /* the dispatcher's own priority or nice value: for the log */
    int prio[IPC_QOS_COUNT];
    uint64_t cpus[BRIDGE_CPU_WORDS];
} bridge_qos_sched_t;

typedef struct bridge_backend_config {
    const char *device;   /* backend-specific device choice, NULL = default */
    uint32_t queue_depth; /* jobs that may be in flight; 0: BRIDGE_QUEUE_DEPTH_DEFAULT */
    /* worker scheduling; NULL: bridge_qos_sched_default(.., 0) */
    const bridge_qos_sched_t *qos_sched;
} bridge_backend_config_t;

#define BRIDGE_QUEUE_DEPTH_DEFAULT 16u

typedef struct bridge_backend bridge_backend_t;

typedef struct bridge_backend_ops {
    const char *name; /* "cpu", "opencl", "cuda", "level_zero" */
    /* Fill up to max entries of devs (devs may be NULL: count only).
     * Returns the number of devices found (may exceed max), or
     * BRIDGE_E_NO_DEVICE (why[] says why) / BRIDGE_E_NOMEM. */
    int (*probe)(bridge_device_info_t *devs, int max, char *why, size_t whylen);
    /* Open the device; be->priv is the backend's to set. Returns BRIDGE_OK,
     * or BRIDGE_E_INVAL (be NULL), BRIDGE_E_NO_DEVICE (none, or none
     * matches cfg->device), BRIDGE_E_NOMEM, BRIDGE_E_BACKEND (the device
     * refused; the accelerators say why on stderr). Nothing stays
     * allocated after a failed init. */
    int (*init)(bridge_backend_t *be, const bridge_backend_config_t *cfg);
    /* Prepare a model (kernels, weights on the device). Returns BRIDGE_OK,
     * or with why[] saying which field: BRIDGE_E_UNSUPPORTED (no kernel
     * for it here), BRIDGE_E_INVAL (an argument NULL, or jobs in flight),
     * BRIDGE_E_NOMEM (too many models, or memory), BRIDGE_E_BACKEND (the
     * device failed). A failed load leaves the other models usable. */
    int (*load_model)(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen);
    /* Start a job (may run it at once, or queue it). Returns BRIDGE_OK:
     * taken, it will come back from poll. Not taken: BRIDGE_E_BUSY (full),
     * BRIDGE_E_INVAL (not initialised, job malformed),
     * BRIDGE_E_UNSUPPORTED (its model is not loaded here). */
    int (*submit)(bridge_backend_t *be, bridge_job_t *job);
    /* Move up to max finished jobs into done[], waiting at most timeout_ms
     * (0: no wait) when none is finished. Returns the count (0..max), or
     * BRIDGE_E_INVAL (not initialised, done NULL, max < 0). */
    int (*poll)(bridge_backend_t *be, bridge_job_t **done, int max, int timeout_ms);
    /* Jobs taken by submit and not yet returned by poll (>= 0; 0 when
     * not initialised). */
    int (*in_flight)(const bridge_backend_t *be);
    /* Release everything; be->priv is NULL after (be or be->priv NULL: no
     * effect). Jobs still in flight are lost to the caller, who must have
     * drained them with poll first. */
    void (*shutdown)(bridge_backend_t *be);
    /* Optional (NULL: the backend has no threads of its own that finish
     * jobs). From the dispatcher's thread: ring eventfd fd (zl_db_ring)
     * each time a job finishes, so that a dispatcher asleep on fd wakes;
     * -1: stop ringing (no ring reaches fd once this returns). No return
     * value. */
    void (*set_wake)(bridge_backend_t *be, int fd);
    /* Optional: finished jobs that poll would return now (>= 0; 0 when
     * not initialised). Cheap, never blocks: the dispatcher's idle wait
     * calls it between looks at the rings. */
    int (*finished)(const bridge_backend_t *be);
} bridge_backend_ops_t;

struct bridge_backend {
    const bridge_backend_ops_t *ops;
    void *priv;
};

/* Backends built into this daemon. */
extern const bridge_backend_ops_t bridge_backend_cpu;
extern const bridge_backend_ops_t bridge_backend_opencl;     /* when built with OpenCL */
extern const bridge_backend_ops_t bridge_backend_cuda;       /* driver loaded at run time */
extern const bridge_backend_ops_t bridge_backend_level_zero; /* loader opened at run time */

/* Built-in backend by name; NULL for any other name (or NULL). No error
 * code: the caller says which names exist (bridge_backend_list). */
const bridge_backend_ops_t *bridge_backend_find(const char *name);
/* NULL-terminated list of built-in backends; never NULL. */
const bridge_backend_ops_t *const *bridge_backend_list(void);

/* Worker scheduling ordered dispatcher > RT > HIGH > NORMAL > BACKGROUND
 * into *q, no pinning. rt_priority 1..99 (the dispatcher's SCHED_FIFO
 * priority): SCHED_FIFO rt_priority - 1 - class (at least 1). 0: nice
 * values above the calling thread's (dispatcher_nice): RT +1, HIGH +2,
 * NORMAL +3, BACKGROUND +4 (at most 19; mild steps: a worker starved
 * for long could hold a lock others need), and BACKGROUND at SCHED_IDLE
 * (bg_idle = 1): any other thread that wakes on its CPU preempts it at
 * once, which no nice step does under EEVDF. No return value. */
void bridge_qos_sched_default(bridge_qos_sched_t *q, int rt_priority, int dispatcher_nice);
/* "SCHED_FIFO dispatcher 50, rt 49, high 48, normal 47, background 46"
 * or "nice dispatcher 0, rt 1, ..., background SCHED_IDLE (nice 4)", then "; workers on CPUs 1-3" or
 * "; workers not pinned", into buf (cut at len - 1). No return value. */
void bridge_qos_sched_describe(const bridge_qos_sched_t *q, char *buf, size_t len);

/* Helper for backends: result word of a finished job (argmax for
 * BRIDGE_RESULT_ARGMAX models, else 0; 0 also for m or out0 NULL). */
uint32_t bridge_backend_result(const bridge_model_t *m, const void *out0);

/* For backends: printf into a why[] buffer of len bytes (cut at
 * len - 1, always NUL-terminated when len > 0; cutting a long path short
 * is fine). No return value. */
__attribute__((format(printf, 3, 4))) void bridge_why(char *buf, size_t len, const char *fmt, ...);

/* The kernels every backend implements, named by `kernel =` in a model's
 * [backend.<name>] section. */
typedef enum bridge_kernel {
    BRIDGE_K_NONE = 0,
    BRIDGE_K_VECTOR_ADD_I32, /* "vector_add_i32" */
    BRIDGE_K_SAXPY_F32,      /* "saxpy_f32" */
    BRIDGE_K_GEMM_F32,       /* "gemm_f32" */
    BRIDGE_K_MLP_RELU_F32    /* "mlp_relu_f32" */
} bridge_kernel_t;

/* The kernel called name; BRIDGE_K_NONE (no error code) for any other
 * name, or NULL. */
bridge_kernel_t bridge_kernel_by_name(const char *name);

/* Whether the model's tensors (and for the MLP its f32 weights w1[k][h],
 * b1[h], w2[h][n], b2[n]) fit kernel k. Returns NULL if they do, else
 * what the kernel needs, a static string for the message (the caller
 * answers BRIDGE_E_UNSUPPORTED). On success dim[] holds the kernel's
 * sizes: vector_add and saxpy {n, 0, 0}; gemm {m, k, n}; mlp {k, h, n}. */
const char *bridge_kernel_check(bridge_kernel_t k, const bridge_model_t *m, uint32_t dim[3]);

#endif /* ZENEDGE_BRIDGE_BACKEND_H */
