/* SPDX-License-Identifier: BSD-3-Clause */
/* vector_add.cl - model 1 on OpenCL: c[i] = a[i] + b[i], int32 with
 * two's complement wrap (done in unsigned, which OpenCL C defines).
 * One work-item per element; the global size may be rounded up. */
__kernel void vector_add_i32(__global const int *a, __global const int *b, __global int *c, uint n)
{
    uint i = (uint)get_global_id(0);
    if (i < n)
        c[i] = as_int(as_uint(a[i]) + as_uint(b[i]));
}
