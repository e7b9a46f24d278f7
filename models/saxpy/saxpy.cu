/* SPDX-License-Identifier: BSD-3-Clause */
/* saxpy.cu - model 2 on CUDA: y_out[i] = alpha * x[i] + y[i], float32.
 * __fmul_rn/__fadd_rn are never contracted into a fused multiply-add, so
 * the result is rounded as the CPU reference rounds it. */
extern "C" __global__ void saxpy_f32(const float *alpha, const float *x, const float *y, float *y_out,
                                     unsigned n)
{
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y_out[i] = __fadd_rn(__fmul_rn(alpha[0], x[i]), y[i]);
}
