/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jobq.h - what the asynchronous backends (OpenCL, CUDA) share: the job
 * queues (one FIFO of jobs per QoS class waiting for a device slot, one of
 * jobs that failed to start, each bounded by the backend's queue depth, so
 * a FIFO never overflows), the slot scheduler built on them (which class
 * gets a free device slot, finished slots handed back in the order the
 * device finished them, the bounded wait of poll), the table of loaded
 * models, and the one skeleton of a job: check and queue it (submit),
 * stage its inputs and start it, unwind a start that failed, read the
 * finished slot back into the job. A stale job (bridge_job_stale: its
 * region was detached) is never started and its output is never copied
 * out of the staging: the device only ever touches the staging buffers,
 * so a late completion cannot reach a mapping that is gone. The backend keeps only what is device
 * specific, behind the hooks of bridge_sched_hooks_t.
 *
 * Threads: everything runs on the dispatcher's thread, except
 * bridge_sched_complete(), which the device's completion callback calls
 * on a driver thread.
 *
 * Return codes are those of backend.h: BRIDGE_OK, or a negative
 * BRIDGE_E_* (bridge_errors.h) as listed per function.
 */
#ifndef ZENEDGE_BRIDGE_JOBQ_H
#define ZENEDGE_BRIDGE_JOBQ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

typedef struct bridge_jobq {
    bridge_job_t **v;
    uint32_t cap, head, n;
} bridge_jobq_t;

/* Returns BRIDGE_OK, or BRIDGE_E_NOMEM (q->v is NULL then). */
int bridge_jobq_init(bridge_jobq_t *q, uint32_t cap);
void bridge_jobq_free(bridge_jobq_t *q);
/* The caller keeps n < cap (its own depth accounting). */
void bridge_jobq_push(bridge_jobq_t *q, bridge_job_t *j);
/* The oldest job; the queue must not be empty. */
bridge_job_t *bridge_jobq_pop(bridge_jobq_t *q);

/* The most urgent class (lowest IPC_QOS_*) with a queued job, or
 * IPC_QOS_COUNT when all are empty. */
uint32_t bridge_jobq_next_class(const bridge_jobq_t pending[IPC_QOS_COUNT]);

/* Mark a job that the device refused to start: BACKEND_ERROR, ended now,
 * no device time, no result. */
void bridge_job_fail_start(bridge_job_t *job);

/* The part of a loaded model the skeleton reads; the first member of the
 * backend's own model record. */
typedef struct bridge_sched_model {
    const bridge_model_t *m;
    bridge_kernel_t kind;
    uint32_t d0, d1, d2; /* bridge_kernel_check's dim[]: gemm m,k,n; mlp in,hidden,out; else n */
} bridge_sched_model_t;

/* The scheduler's part of a device slot; the first member of the
 * backend's own slot record. */
typedef struct bridge_slot {
    bridge_job_t *job;               /* NULL: free. Set by the skeleton's start, under lock */
    int done;                        /* set by bridge_sched_complete, under lock */
    int dev_status;                  /* 0: the device ran the job to its end, else its error code */
    uint64_t seq;                    /* completion order, under lock */
    uint64_t t_done;                 /* ns, CLOCK_MONOTONIC, when the device finished; under lock */
    void *stage_in[IPC_MAX_TENSORS]; /* host staging the device reads the inputs from */
    void *stage_out;                 /* and writes the output into */
} bridge_slot_t;

/*
 * What is device specific in running a job on a slot. All run on the
 * dispatcher's thread; `owner` is the backend's state given to
 * bridge_sched_init, idx the slot. Error codes are the device's own
 * (cl_int, CUresult), 0 for success, and are only printed with errname.
 */
typedef struct bridge_sched_hooks {
    const char *label; /* "OpenCL", "CUDA": the first word of the messages */
    /* Enqueue, without blocking, the copy of the staged inputs to the
     * device, the kernel of `model` and the copy of the output back into
     * the slot's stage_out. 0 or an error code. */
    int (*enqueue)(void *owner, uint32_t idx, bridge_job_t *job, bridge_sched_model_t *model);
    /* After enqueue, with the slot marked busy: arrange for
     * bridge_sched_complete once the job's last command is done. 0 or an
     * error code (the slot is then marked free again). */
    int (*arm)(void *owner, uint32_t idx, bridge_job_t *job);
    /* After a failed enqueue or arm: wait until what was queued of job has
     * drained and release what the slot holds for it, so that the slot can
     * be reused. */
    void (*unwind)(void *owner, uint32_t idx, bridge_job_t *job);
    /* Device time of the job that finished on slot idx, 0 when unknown. */
    uint64_t (*device_ns)(void *owner, uint32_t idx);
    /* Release what the finished slot held for its job; NULL: nothing. */
    void (*release)(void *owner, uint32_t idx);
    /* Host staging buffer of `bytes` for tensor t of slot idx (t ==
     * IPC_MAX_TENSORS: the output) into *p: 0 or an error code (*p NULL). */
    int (*stage_alloc)(void *owner, uint32_t idx, uint32_t t, size_t bytes, void **p);
    void (*stage_free)(void *owner, void *p);
    /* The name of an error code, for the messages. */
    const char *(*errname)(int code);
} bridge_sched_hooks_t;

#define BRIDGE_SCHED_SLOTS_MAX 64u

typedef struct bridge_sched {
    pthread_mutex_t lock; /* the slots' job/done/seq/dev_status/t_done */
    pthread_cond_t cond;  /* a slot finished (CLOCK_MONOTONIC) */
    bridge_slot_t *slot[BRIDGE_SCHED_SLOTS_MAX];
    uint32_t n_slots;   /* min(depth, the backend's slot count) */
    uint32_t depth;     /* jobs the backend accepts at once */
    uint32_t taken;     /* accepted, not yet handed back by poll */
    int strict;         /* hold lower classes while a more urgent job runs */
    int rt_isolated;    /* RT runs on a part of the device of its own: the barrier ignores RT jobs */
    uint32_t lower_max; /* slots the classes below RT may hold: all but one, kept free for RT */
    uint32_t bg_max;    /* BACKGROUND jobs handed to the device at once; 0: no limit of its own */
    uint64_t seq;
    int wake_fd;     /* rung by bridge_sched_complete (under lock); -1: none */
    uint32_t n_done; /* slots finished and not yet collected: under lock, read with acquire */
    bridge_jobq_t pending[IPC_QOS_COUNT];
    bridge_jobq_t failed;
    bridge_sched_model_t *model[BRIDGE_MAX_MODELS]; /* loaded, owned by the backend */
    uint32_t n_models;
    size_t stage_len; /* bytes of every slot's staging buffers */
    void *owner;      /* the backend's state, passed to the hooks */
    const bridge_sched_hooks_t *hooks;
} bridge_sched_t;

/*
 * Lock, condition (CLOCK_MONOTONIC) and queues for cfg->queue_depth jobs
 * (BRIDGE_QUEUE_DEPTH_DEFAULT when cfg is NULL or says 0) on
 * min(depth, n_slots) slots: slot i is the bridge_slot_t at
 * slots + i * stride (the first member of the backend's slot records).
 * Strict class barrier until bridge_sched_qos_policy says otherwise.
 * Returns BRIDGE_OK, or BRIDGE_E_NOMEM (nothing left allocated then;
 * bridge_sched_destroy must not be called).
 */
int bridge_sched_init(bridge_sched_t *e, const bridge_backend_config_t *cfg, void *slots, size_t stride,
                      uint32_t n_slots, void *owner, const bridge_sched_hooks_t *hooks);
/* Frees the staging buffers (hooks->stage_free), the queues, the lock.
 * The loaded models are the backend's to free, before or after. */
void bridge_sched_destroy(bridge_sched_t *e);
/* The class barrier stays on unless the device orders its queues by
 * priority itself (device_prioritises) and ZENEDGE_QOS_OVERLAP=1 asks to
 * let lower classes run alongside. */
void bridge_sched_qos_policy(bridge_sched_t *e, int device_prioritises);
/*
 * Where the device cannot take back work it was given: at most bg_max
 * BACKGROUND jobs (0: no limit of its own) are handed to the device at
 * once; the others wait in our queue, where an RT job overtakes them
 * (they are withdrawn from the device's view, not dropped, and run once
 * no RT job is pending). rt_isolated: RT runs on a part of the device of
 * its own (sub-device, green context), so the class barrier lets the
 * other classes run on the rest while an RT job runs. Whatever these
 * say, the classes below RT never hold the last free slot (when there
 * are two or more): an RT job finds one at submit.
 */
void bridge_sched_rt_policy(bridge_sched_t *e, uint32_t bg_max, int rt_isolated);

/*
 * The checks every load_model of an accelerator backend starts with:
 * room for another model (BRIDGE_E_NOMEM), no job in flight
 * (BRIDGE_E_INVAL), a kernel named by [backend.<backend>] kernel, else
 * [backend.cpu] kernel, which fits the model's tensors
 * (BRIDGE_E_UNSUPPORTED). why[] says which. On BRIDGE_OK *hdr holds the
 * model, its kernel and sizes, *kname the kernel's name.
 */
int bridge_sched_model_check(const bridge_sched_t *e, const bridge_model_t *m, const char *backend,
                             bridge_sched_model_t *hdr, const char **kname, char *why, size_t whylen);
/* Grow every slot's staging to the largest tensor of m with
 * hooks->stage_alloc (buffers that are large enough already are kept).
 * Returns BRIDGE_OK, or BRIDGE_E_NOMEM with *dev_err set to the hook's
 * error code and *bytes to the size it was asked for (the buffers already
 * grown stay, stage_len does not change). */
int bridge_sched_stage_grow(bridge_sched_t *e, const bridge_model_t *m, size_t *bytes, int *dev_err);
/* Add a model that passed bridge_sched_model_check and is ready to run. */
void bridge_sched_add_model(bridge_sched_t *e, bridge_sched_model_t *om);
/* The loaded model record of registry id, or NULL. */
bridge_sched_model_t *bridge_sched_find_model(const bridge_sched_t *e, uint32_t id);

/*
 * The ops submit, poll and in_flight of an accelerator backend, for its
 * bridge_backend_ops_t as they are: be->priv is the backend's state, whose
 * first member is its bridge_sched_t.
 *
 * submit returns BRIDGE_OK (queued, and started if a slot was free),
 * BRIDGE_E_INVAL (be not initialised, job or its model NULL, QoS class out
 * of range, a tensor missing, not of the model's length or over the
 * staging), BRIDGE_E_UNSUPPORTED (a model not loaded here), BRIDGE_E_BUSY
 * (`depth` jobs already taken; nothing was taken). A job that fails to
 * start is still taken: it comes back from poll with
 * IPC_STATUS_BACKEND_ERROR.
 */
int bridge_sched_op_submit(bridge_backend_t *be, bridge_job_t *job);
/* Moves up to max jobs ended since the last call into done[], waiting at
 * most timeout_ms when none has ended: their count (0..max), or
 * BRIDGE_E_INVAL (be not initialised, done NULL, max < 0). */
int bridge_sched_op_poll(bridge_backend_t *be, bridge_job_t **done, int max, int timeout_ms);
/* Jobs taken and not yet handed back by poll; 0 when be is not initialised. */
/* set_wake: bridge_sched_complete rings fd (zl_db_ring) after each job the
 * device finished, so that a dispatcher asleep on its doorbell wakes at
 * once instead of at the end of its idle wait; -1 stops the ringing (no
 * ring reaches fd once this returns). */
void bridge_sched_op_set_wake(bridge_backend_t *be, int fd);
/* finished: slots the device finished that poll would hand back now, and
 * jobs that failed to start (never blocks). */
int bridge_sched_op_finished(const bridge_backend_t *be);
int bridge_sched_op_in_flight(const bridge_backend_t *be);
/* From the device's completion callback (any thread): the job on slot sl
 * ended with dev_status (0: ran to its end). Takes e->lock. */
void bridge_sched_complete(bridge_sched_t *e, bridge_slot_t *sl, int dev_status);

#endif /* ZENEDGE_BRIDGE_JOBQ_H */
