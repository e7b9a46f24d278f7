/* SPDX-License-Identifier: BSD-3-Clause */
/* digits_mlp.cu - model 4 on CUDA: h = relu(x . w1 + b1),
 * logits = h . w2 + b2, for one sample, in one block. Thread j < nh
 * computes hidden unit j into shared memory (dynamic, nh floats); after
 * the barrier, thread c < nout computes logit c. The block has at least
 * max(nh, nout) threads. Sums in ascending order without contraction, as
 * in the CPU reference. */
extern "C" __global__ void mlp_relu_f32(const float *x, const float *w1, const float *b1, const float *w2,
                                        const float *b2, float *logits, unsigned nin, unsigned nh,
                                        unsigned nout)
{
    extern __shared__ float h[];
    unsigned t = threadIdx.x;
    if (t < nh) {
        float acc = 0.0f;
        for (unsigned p = 0; p < nin; p++)
            acc = __fadd_rn(acc, __fmul_rn(x[p], w1[p * nh + t]));
        acc = __fadd_rn(acc, b1[t]);
        h[t] = acc > 0.0f ? acc : 0.0f;
    }
    __syncthreads();
    if (t < nout) {
        float acc = 0.0f;
        for (unsigned j = 0; j < nh; j++)
            acc = __fadd_rn(acc, __fmul_rn(h[j], w2[j * nout + t]));
        logits[t] = __fadd_rn(acc, b2[t]);
    }
}
