/* backend.c - the table of built-in backends and helpers shared by them. */
#include "backend.h"

#include <string.h>

static const bridge_backend_ops_t *const builtin[] = {
    &bridge_backend_cpu,
#ifdef ZENEDGE_HAVE_OPENCL
    &bridge_backend_opencl,
#endif
#ifdef ZENEDGE_HAVE_CUDA
    &bridge_backend_cuda,
#endif
    NULL,
};

const bridge_backend_ops_t *bridge_backend_find(const char *name)
{
    for (size_t i = 0; name && builtin[i]; i++)
        if (strcmp(builtin[i]->name, name) == 0)
            return builtin[i];
    return NULL;
}

const bridge_backend_ops_t *const *bridge_backend_list(void)
{
    return builtin;
}

uint32_t bridge_backend_result(const bridge_model_t *m, const void *out0)
{
    if (m == NULL || out0 == NULL || m->result != BRIDGE_RESULT_ARGMAX)
        return 0;
    const unsigned char *p = out0;
    uint32_t best = 0;
    float bv;
    memcpy(&bv, p, sizeof(bv));
    for (uint32_t i = 1; i < m->out[0].count; i++) {
        float x;
        memcpy(&x, p + 4u * i, sizeof(x));
        if (x > bv) {   /* NaN never wins */
            bv = x;
            best = i;
        }
    }
    return best;
}
