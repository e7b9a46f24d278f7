/* SPDX-License-Identifier: BSD-3-Clause */
/* saxpy.cl - model 2 on OpenCL: y_out[i] = alpha * x[i] + y[i], float32.
 * Contraction into a fused multiply-add is switched off so that the
 * result is rounded as the CPU reference rounds it (product, then sum). */
#pragma OPENCL FP_CONTRACT OFF

__kernel void saxpy_f32(__global const float *alpha, __global const float *x, __global const float *y,
                        __global float *y_out, uint n)
{
    uint i = (uint)get_global_id(0);
    if (i < n)
        y_out[i] = alpha[0] * x[i] + y[i];
}
