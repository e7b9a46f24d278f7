/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * accel_test.h - helpers shared by the accelerator backend tests: inputs
 * for every shipped model from a fixed seed, one job run synchronously
 * through submit + poll, and the comparison against the CPU reference.
 */
#ifndef ZENEDGE_TEST_ACCEL_H
#define ZENEDGE_TEST_ACCEL_H

#include <stdint.h>
#include <stdio.h>

#include "backends/backend.h"
#include "bridge_errors.h"
#include "registry.h"

/* Accelerator backend by name ("opencl", "cuda"), or NULL when it is not
 * built into this tree (no OpenCL headers at build time). */
const bridge_backend_ops_t *accel_backend(const char *name);

/* Tolerances for float outputs: |got - ref| <= ABS + REL * |ref|. */
#define ACCEL_TOL_SAXPY_REL 1e-5
#define ACCEL_TOL_SAXPY_ABS 1e-5
#define ACCEL_TOL_GEMM      1e-4 /* relative and absolute */
#define ACCEL_TOL_LOGITS    1e-4

/* Buffers of one job: inputs and output, sized from the model. */
typedef struct accel_io {
    void *in[IPC_MAX_TENSORS];
    void *out;
    uint32_t n_in;
} accel_io_t;

/* Allocate io for model m and fill inputs from seed (deterministic). */
int accel_io_make(accel_io_t *io, const bridge_model_t *m, uint32_t seed);
void accel_io_free(accel_io_t *io);
/* Fill job from io (qos, handle given). */
void accel_job_fill(bridge_job_t *job, const bridge_model_t *m, const accel_io_t *io, uint32_t qos, uint32_t handle);
/* submit + poll until it comes back (deadline 30 s). 0 or -1 (message printed). */
int accel_run_one(bridge_backend_t *be, bridge_job_t *job);
/* Compare got against ref for model m with the model's tolerance; prints the
 * worst difference; returns the number of elements out of tolerance. */
uint32_t accel_compare(const bridge_model_t *m, const void *got, const void *ref, double *max_abs);
/* Accuracy of backend be on the model's held-out set: correct count into
 * *correct, sample count into *n. Returns 0, 77 (no data set) or -1. */
int accel_digits_accuracy(bridge_backend_t *be, const bridge_model_t *m, uint32_t *correct, uint32_t *n);

#endif
