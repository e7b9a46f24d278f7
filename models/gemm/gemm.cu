/* SPDX-License-Identifier: BSD-3-Clause */
/* gemm.cu - model 3 on CUDA: c[m][n] = a[m][k] x b[k][n], float32,
 * row-major. One thread per output element (x: column, y: row); the sum
 * runs over k in ascending order without contraction, the order of the
 * CPU reference. */
extern "C" __global__ void gemm_f32(const float *a, const float *b, float *c, unsigned m, unsigned k,
                                    unsigned n)
{
    unsigned col = blockIdx.x * blockDim.x + threadIdx.x;
    unsigned row = blockIdx.y * blockDim.y + threadIdx.y;
    if (row >= m || col >= n)
        return;
    float acc = 0.0f;
    for (unsigned p = 0; p < k; p++)
        acc = __fadd_rn(acc, __fmul_rn(a[row * k + p], b[p * n + col]));
    c[row * n + col] = acc;
}
