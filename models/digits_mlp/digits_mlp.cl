/* SPDX-License-Identifier: BSD-3-Clause */
/* digits_mlp.cl - model 4 on OpenCL: h = relu(x . w1 + b1),
 * logits = h . w2 + b2, for one sample, in one work-group.
 * Work-item j < nh computes hidden unit j into local memory; after the
 * barrier, work-item c < nout computes logit c. The local size is at least
 * max(nh, nout) and the global size equals it (one group). Sums run in
 * ascending index order without contraction, as in the CPU reference. */
#pragma OPENCL FP_CONTRACT OFF

__kernel void mlp_relu_f32(__global const float *x, __global const float *w1, __global const float *b1,
                           __global const float *w2, __global const float *b2, __global float *logits,
                           __local float *h, uint nin, uint nh, uint nout)
{
    uint t = (uint)get_local_id(0);
    if (t < nh) {
        float acc = 0.0f;
        for (uint p = 0; p < nin; p++)
            acc += x[p] * w1[p * nh + t];
        acc += b1[t];
        h[t] = acc > 0.0f ? acc : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (t < nout) {
        float acc = 0.0f;
        for (uint j = 0; j < nh; j++)
            acc += h[j] * w2[j * nout + t];
        logits[t] = acc + b2[t];
    }
}
