/* SPDX-License-Identifier: BSD-3-Clause */
/* vector_add.cu - model 1 on CUDA: c[i] = a[i] + b[i], int32 with two's
 * complement wrap (done in unsigned). One thread per element. */
extern "C" __global__ void vector_add_i32(const int *a, const int *b, int *c, unsigned n)
{
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        c[i] = (int)((unsigned)a[i] + (unsigned)b[i]);
}
