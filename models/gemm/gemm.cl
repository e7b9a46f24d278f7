/* SPDX-License-Identifier: BSD-3-Clause */
/* gemm.cl - model 3 on OpenCL: c[m][n] = a[m][k] x b[k][n], float32,
 * row-major. One work-item per output element (dimension 0: column,
 * dimension 1: row); the sum runs over k in ascending order without
 * contraction, the order of the CPU reference. */
#pragma OPENCL FP_CONTRACT OFF

__kernel void gemm_f32(__global const float *a, __global const float *b, __global float *c,
                       uint m, uint k, uint n)
{
    uint col = (uint)get_global_id(0);
    uint row = (uint)get_global_id(1);
    if (row >= m || col >= n)
        return;
    float acc = 0.0f;
    for (uint p = 0; p < k; p++)
        acc += a[row * k + p] * b[p * n + col];
    c[row * n + col] = acc;
}
