/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpu.h - inside the CPU reference backend (cpu.c): its models and kernels
 * (cpu_kernels.c), and a test hook.
 */
#ifndef ZENEDGE_BRIDGE_CPU_H
#define ZENEDGE_BRIDGE_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

typedef struct cpu_model {
    uint32_t id;
    bridge_kernel_t kernel;
    uint32_t m, k, n; /* gemm: [m,k] x [k,n]; mlp: in k, hidden m, out n */
    const float *w1, *b1, *w2, *b2;
} cpu_model_t;

/* The CPU kernel of model m into *out (its [backend.cpu] kernel, sizes and
 * weights) and the bytes of the MLP's hidden layer into *hidden_bytes (left
 * as it is for the other kernels). BRIDGE_OK, or BRIDGE_E_UNSUPPORTED with
 * why[] saying which field (no kernel named, or the model does not fit it). */
int bridge_cpu_model(const bridge_model_t *m, cpu_model_t *out, size_t *hidden_bytes, char *why, size_t whylen);

/* Run job's model cm on private copies: its inputs are copied into
 * scratch[0..n_in), the kernel writes scratch[IPC_MAX_TENSORS] (hidden:
 * the MLP's hidden layer), the result is copied to job->out[0]. Sets
 * job->status (IPC_STATUS_OK, or IPC_STATUS_BACKEND_ERROR for a kernel
 * load_model admits none of), result, t_backend_end and backend_ns (its
 * t_backend_start was stamped when it was handed to a worker). No return
 * value. */
void bridge_cpu_run(const cpu_model_t *cm, bridge_job_t *job, void *const scratch[IPC_MAX_TENSORS + 1], float *hidden);

/* Test hook, undefined (NULL) in the daemon: when a program defines it,
 * every worker calls it in the middle of handing a finished job back (its
 * result published, the doorbells not yet rung), with its class. A test
 * holds a BACKGROUND worker there, as a preempted one would stand, and
 * checks that RT work goes on. No return value. */
void bridge_cpu_handover_pause(uint32_t qos) __attribute__((weak));

#endif /* ZENEDGE_BRIDGE_CPU_H */
