/* SPDX-License-Identifier: BSD-3-Clause */
/* fake_cuda.c - a stand-in libcuda.so.1 for tests: one fake device whose "device memory" is host memory, streams that run each command at once on the CPU (the four shipped kernels, found by name in the PTX), events on CLOCK_MONOTONIC; loaded by the CUDA backend through ZENEDGE_CUDA_LIBRARY.
 *
 * Green contexts as driver 12.4 has them, on a device of FAKE_SMS SMs split in granules of FAKE_SM_GRANULE; ZENEDGE_FAKE_CUDA_GREEN=0 plays a 12.3 driver instead (version 12030, the green entry points answer CUDA_ERROR_NOT_SUPPORTED). A function runs only on a stream of the context its module was loaded in (CUDA_ERROR_INVALID_HANDLE otherwise), and every launch is logged, for zenedge_fake_cuda_launch_log(), with the SM count of its stream's green context (0: the primary context, the whole device) and the stream's priority. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/cuda_api.h"

#define FAKE_EXPORT __attribute__((visibility("default")))

typedef enum { FK_NONE, FK_VADD, FK_SAXPY, FK_GEMM, FK_MLP } fake_kind_t;

struct CUctx_st {
    int refs;
    unsigned sms; /* 0: the primary context, the whole device */
};
struct CUfunc_st {
    fake_kind_t kind;
    struct CUctx_st *ctx; /* of its module */
};
struct CUmod_st {
    struct CUfunc_st fn[4];
    int has[4];
};
struct CUstream_st {
    int prio;
    struct CUctx_st *ctx;
};
struct CUevent_st {
    uint64_t t;
};
struct CUdevResourceDesc_st {
    unsigned sms;
};
struct CUgreenCtx_st {
    struct CUctx_st ctx;
    int used;
};

#define FAKE_SMS        16u
#define FAKE_SM_GRANULE 2u
#define FAKE_GREEN_MAX  8
#define FAKE_LOG_MAX    4096

static struct CUctx_st the_ctx;
static __thread struct CUctx_st *current;
static struct CUdevResourceDesc_st descs[FAKE_GREEN_MAX];
static struct CUgreenCtx_st greens[FAKE_GREEN_MAX];
static unsigned n_descs;
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int kind, prio;
    unsigned sms;
} launches[FAKE_LOG_MAX];
static int n_launches;

static int green_off(void)
{
    const char *e = getenv("ZENEDGE_FAKE_CUDA_GREEN");
    return e && strcmp(e, "0") == 0;
}
static int initialised;
static const char *const kernel_names[4] = {"vector_add_i32", "saxpy_f32", "gemm_f32", "mlp_relu_f32"};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define NEED_INIT()                            \
    do {                                       \
        if (!initialised)                      \
            return CUDA_ERROR_NOT_INITIALIZED; \
    } while (0)

FAKE_EXPORT CUresult cuInit(unsigned flags);
FAKE_EXPORT CUresult cuInit(unsigned flags)
{
    if (flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    initialised = 1;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDriverGetVersion(int *v);
FAKE_EXPORT CUresult cuDriverGetVersion(int *v)
{
    *v = green_off() ? 12030 : 12040;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetCount(int *n);
FAKE_EXPORT CUresult cuDeviceGetCount(int *n)
{
    NEED_INIT();
    *n = 1;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGet(CUdevice *d, int i);
FAKE_EXPORT CUresult cuDeviceGet(CUdevice *d, int i)
{
    NEED_INIT();
    if (i != 0)
        return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice d);
FAKE_EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice d)
{
    if (d != 0 || len <= 0)
        return CUDA_ERROR_INVALID_VALUE;
    snprintf(name, (size_t)len, "zenedge fake CUDA device (runs on the CPU)");
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetAttribute(int *v, int attr, CUdevice d);
FAKE_EXPORT CUresult cuDeviceGetAttribute(int *v, int attr, CUdevice d)
{
    if (d != 0)
        return CUDA_ERROR_INVALID_DEVICE;
    switch (attr) {
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; break;
    case CU_DEVICE_ATTRIBUTE_INTEGRATED: *v = 0; break;
    case CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY: *v = 1; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 7; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 5; break;
    default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceTotalMem_v2(size_t *b, CUdevice d);
FAKE_EXPORT CUresult cuDeviceTotalMem_v2(size_t *b, CUdevice d)
{
    (void)d;
    *b = (size_t)1 << 30;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d);
FAKE_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *c, CUdevice d)
{
    NEED_INIT();
    if (d != 0)
        return CUDA_ERROR_INVALID_DEVICE;
    the_ctx.refs++;
    *c = &the_ctx;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d);
FAKE_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d)
{
    (void)d;
    if (the_ctx.refs <= 0)
        return CUDA_ERROR_INVALID_VALUE;
    the_ctx.refs--;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxSetCurrent(CUcontext c);
FAKE_EXPORT CUresult cuCtxSetCurrent(CUcontext c)
{
    int ok = c == &the_ctx || c == NULL;
    for (int i = 0; i < FAKE_GREEN_MAX; i++)
        ok |= greens[i].used && c == &greens[i].ctx;
    if (!ok)
        return CUDA_ERROR_INVALID_VALUE;
    current = c;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxGetStreamPriorityRange(int *least, int *greatest);
FAKE_EXPORT CUresult cuCtxGetStreamPriorityRange(int *least, int *greatest)
{
    *least = 0;
    *greatest = -5;
    return CUDA_SUCCESS;
}

/* The "image" must be PTX text naming its entries: ".entry NAME(". */
FAKE_EXPORT CUresult cuModuleLoadData(CUmodule *m, const void *image);
FAKE_EXPORT CUresult cuModuleLoadData(CUmodule *m, const void *image)
{
    const char *ptx = image;
    if (ptx == NULL || strstr(ptx, ".version") == NULL)
        return CUDA_ERROR_INVALID_PTX;
    struct CUmod_st *mod = calloc(1, sizeof(*mod));
    if (mod == NULL)
        return CUDA_ERROR_OUT_OF_MEMORY;
    for (int i = 0; i < 4; i++) {
        mod->fn[i].ctx = current ? current : &the_ctx;
        char pat[64];
        snprintf(pat, sizeof(pat), ".entry %s(", kernel_names[i]);
        if (strstr(ptx, pat)) {
            mod->has[i] = 1;
            mod->fn[i].kind = (fake_kind_t)(FK_VADD + i);
        }
    }
    *m = mod;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name);
FAKE_EXPORT CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name)
{
    for (int i = 0; i < 4; i++)
        if (m->has[i] && strcmp(name, kernel_names[i]) == 0) {
            *f = &m->fn[i];
            return CUDA_SUCCESS;
        }
    return CUDA_ERROR_NOT_FOUND;
}

FAKE_EXPORT CUresult cuModuleUnload(CUmodule m);
FAKE_EXPORT CUresult cuModuleUnload(CUmodule m)
{
    free(m);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n);
FAKE_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t n)
{
    void *q = calloc(1, n ? n : 1);
    if (q == NULL)
        return CUDA_ERROR_OUT_OF_MEMORY;
    *p = (CUdeviceptr)(uintptr_t)q;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemFree_v2(CUdeviceptr p);
FAKE_EXPORT CUresult cuMemFree_v2(CUdeviceptr p)
{
    free((void *)(uintptr_t)p);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemHostAlloc(void **p, size_t n, unsigned flags);
FAKE_EXPORT CUresult cuMemHostAlloc(void **p, size_t n, unsigned flags)
{
    (void)flags;
    *p = calloc(1, n ? n : 1);
    return *p ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

FAKE_EXPORT CUresult cuMemFreeHost(void *p);
FAKE_EXPORT CUresult cuMemFreeHost(void *p)
{
    free(p);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr *d, void *h, unsigned flags);
FAKE_EXPORT CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr *d, void *h, unsigned flags)
{
    if (flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    *d = (CUdeviceptr)(uintptr_t)h;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n);
FAKE_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n)
{
    memcpy((void *)(uintptr_t)dst, src, n);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, CUstream s);
FAKE_EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, CUstream s)
{
    (void)s;
    memcpy((void *)(uintptr_t)dst, src, n);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, CUstream s);
FAKE_EXPORT CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, CUstream s)
{
    (void)s;
    memcpy(dst, (const void *)(uintptr_t)src, n);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamCreateWithPriority(CUstream *s, unsigned flags, int prio);
FAKE_EXPORT CUresult cuStreamCreateWithPriority(CUstream *s, unsigned flags, int prio)
{
    if (flags & ~1u || prio < -5 || prio > 0)
        return CUDA_ERROR_INVALID_VALUE;
    struct CUstream_st *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return CUDA_ERROR_OUT_OF_MEMORY;
    st->prio = prio;
    st->ctx = &the_ctx;
    *s = st;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamDestroy_v2(CUstream s);
FAKE_EXPORT CUresult cuStreamDestroy_v2(CUstream s)
{
    free(s);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuStreamSynchronize(CUstream s);
FAKE_EXPORT CUresult cuStreamSynchronize(CUstream s)
{
    (void)s;
    return CUDA_SUCCESS;
}

/* Work runs at once, so the callback follows at once, on another thread
 * as a driver would call it. ZENEDGE_FAKE_CUDA_DELAY_MS=N delays every
 * completion by N ms (the callback then comes from a detached thread, as
 * from a slow device): the stream's order still holds, since every
 * callback waits the same time. */
struct cb_arg {
    CUstreamCallback cb;
    CUstream s;
    void *user;
    unsigned delay_ms;
};

static unsigned delay_ms(void)
{
    const char *v = getenv("ZENEDGE_FAKE_CUDA_DELAY_MS");
    return v ? (unsigned)strtoul(v, NULL, 10) : 0u;
}

static void *cb_thread(void *p)
{
    struct cb_arg a = *(struct cb_arg *)p;
    free(p);
    if (a.delay_ms) {
        struct timespec ts = {a.delay_ms / 1000u, (long)(a.delay_ms % 1000u) * 1000000L};
        nanosleep(&ts, NULL);
    }
    a.cb(a.s, CUDA_SUCCESS, a.user);
    return NULL;
}

FAKE_EXPORT CUresult cuStreamAddCallback(CUstream s, CUstreamCallback cb, void *user, unsigned flags);
FAKE_EXPORT CUresult cuStreamAddCallback(CUstream s, CUstreamCallback cb, void *user, unsigned flags)
{
    if (flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    struct cb_arg *a = malloc(sizeof(*a));
    if (a == NULL)
        return CUDA_ERROR_OUT_OF_MEMORY;
    a->cb = cb;
    a->s = s;
    a->user = user;
    unsigned delay = delay_ms();
    a->delay_ms = delay;
    pthread_t t;
    if (pthread_create(&t, NULL, cb_thread, a) != 0) {
        free(a);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    if (delay == 0)
        pthread_join(t, NULL); /* in order, as within one stream */
    else
        pthread_detach(t);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventCreate(CUevent *e, unsigned flags);
FAKE_EXPORT CUresult cuEventCreate(CUevent *e, unsigned flags)
{
    (void)flags;
    *e = calloc(1, sizeof(**e));
    return *e ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

FAKE_EXPORT CUresult cuEventRecord(CUevent e, CUstream s);
FAKE_EXPORT CUresult cuEventRecord(CUevent e, CUstream s)
{
    (void)s;
    e->t = now_ns();
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventElapsedTime(float *ms, CUevent a, CUevent b);
FAKE_EXPORT CUresult cuEventElapsedTime(float *ms, CUevent a, CUevent b)
{
    *ms = (float)((double)(b->t - a->t) / 1e6);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuEventDestroy_v2(CUevent e);
FAKE_EXPORT CUresult cuEventDestroy_v2(CUevent e)
{
    free(e);
    return CUDA_SUCCESS;
}

#define DP(i) ((void *)(uintptr_t)(*(CUdeviceptr *)params[i]))
#define UP(i) (*(unsigned *)params[i])

FAKE_EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                    unsigned bz, unsigned shmem, CUstream s, void **params, void **extra);
FAKE_EXPORT CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                    unsigned bz, unsigned shmem, CUstream s, void **params, void **extra)
{
    (void)extra;
    if (f == NULL || params == NULL || gz != 1 || bz != 1)
        return CUDA_ERROR_INVALID_VALUE;
    if (s == NULL || f->ctx != s->ctx)
        return 400; /* CUDA_ERROR_INVALID_HANDLE: a function of another context */
    pthread_mutex_lock(&fake_lock);
    if (n_launches < FAKE_LOG_MAX) {
        launches[n_launches].kind = (int)f->kind;
        launches[n_launches].prio = s->prio;
        launches[n_launches].sms = s->ctx->sms;
        n_launches++;
    }
    pthread_mutex_unlock(&fake_lock);
    uint64_t threads = (uint64_t)gx * gy * bx * by;
    switch (f->kind) {
    case FK_VADD: {
        const uint32_t *a = DP(0), *b = DP(1);
        uint32_t *c = DP(2);
        unsigned n = UP(3);
        if (threads < n)
            return CUDA_ERROR_INVALID_VALUE;
        for (unsigned i = 0; i < n; i++)
            c[i] = a[i] + b[i];
        break;
    }
    case FK_SAXPY: {
        const float *al = DP(0), *x = DP(1), *y = DP(2);
        float *o = DP(3);
        unsigned n = UP(4);
        if (threads < n)
            return CUDA_ERROR_INVALID_VALUE;
        for (unsigned i = 0; i < n; i++) {
            volatile float p = al[0] * x[i]; /* two roundings, as the kernel */
            o[i] = p + y[i];
        }
        break;
    }
    case FK_GEMM: {
        const float *a = DP(0), *b = DP(1);
        float *c = DP(2);
        unsigned m = UP(3), k = UP(4), n = UP(5);
        if ((uint64_t)gx * bx < n || (uint64_t)gy * by < m)
            return CUDA_ERROR_INVALID_VALUE;
        for (unsigned i = 0; i < m; i++)
            for (unsigned j = 0; j < n; j++) {
                float acc = 0.0f;
                for (unsigned p = 0; p < k; p++) {
                    volatile float t = a[i * k + p] * b[p * n + j];
                    acc += t;
                }
                c[i * n + j] = acc;
            }
        break;
    }
    case FK_MLP: {
        const float *x = DP(0), *w1 = DP(1), *b1 = DP(2), *w2 = DP(3), *b2 = DP(4);
        float *out = DP(5);
        unsigned nin = UP(6), nh = UP(7), nout = UP(8);
        if (gx != 1 || bx < nh || bx < nout || shmem < nh * sizeof(float) || nh > 1024)
            return CUDA_ERROR_INVALID_VALUE;
        float h[1024];
        for (unsigned j = 0; j < nh; j++) {
            float acc = 0.0f;
            for (unsigned p = 0; p < nin; p++) {
                volatile float t = x[p] * w1[p * nh + j];
                acc += t;
            }
            acc += b1[j];
            h[j] = acc > 0.0f ? acc : 0.0f;
        }
        for (unsigned c = 0; c < nout; c++) {
            float acc = 0.0f;
            for (unsigned j = 0; j < nh; j++) {
                volatile float t = h[j] * w2[j * nout + c];
                acc += t;
            }
            out[c] = acc + b2[c];
        }
        break;
    }
    default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGetErrorName(CUresult e, const char **name);
FAKE_EXPORT CUresult cuGetErrorName(CUresult e, const char **name)
{
    switch (e) {
    case CUDA_SUCCESS: *name = "CUDA_SUCCESS"; break;
    case CUDA_ERROR_INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; break;
    case CUDA_ERROR_OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case CUDA_ERROR_NOT_INITIALIZED: *name = "CUDA_ERROR_NOT_INITIALIZED"; break;
    case CUDA_ERROR_INVALID_PTX: *name = "CUDA_ERROR_INVALID_PTX"; break;
    case CUDA_ERROR_NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; break;
    default: *name = "CUDA_ERROR_UNKNOWN"; break;
    }
    return CUDA_SUCCESS;
}

/* ---- green contexts (driver 12.4) ------------------------------------- */

FAKE_EXPORT CUresult cuDeviceGetDevResource(CUdevice d, CUdevResource *r, int type);
FAKE_EXPORT CUresult cuDeviceGetDevResource(CUdevice d, CUdevResource *r, int type)
{
    if (green_off())
        return CUDA_ERROR_NOT_SUPPORTED;
    if (d != 0 || r == NULL || type != CU_DEV_RESOURCE_TYPE_SM)
        return CUDA_ERROR_INVALID_VALUE;
    memset(r, 0, sizeof(*r));
    r->type = CU_DEV_RESOURCE_TYPE_SM;
    r->sm.smCount = FAKE_SMS;
    r->sm.minSmPartitionSize = FAKE_SM_GRANULE;
    r->sm.smCoscheduledAlignment = FAKE_SM_GRANULE;
    return CUDA_SUCCESS;
}

/* Groups of min_count SMs rounded up to the granule, as the driver does. */
FAKE_EXPORT CUresult cuDevSmResourceSplitByCount(CUdevResource *result, unsigned *n_groups, const CUdevResource *input,
                                                 CUdevResource *remaining, unsigned flags, unsigned min_count);
FAKE_EXPORT CUresult cuDevSmResourceSplitByCount(CUdevResource *result, unsigned *n_groups, const CUdevResource *input,
                                                 CUdevResource *remaining, unsigned flags, unsigned min_count)
{
    if (green_off())
        return CUDA_ERROR_NOT_SUPPORTED;
    if (n_groups == NULL || input == NULL || input->type != CU_DEV_RESOURCE_TYPE_SM || flags != 0 || min_count == 0)
        return CUDA_ERROR_INVALID_VALUE;
    unsigned size = (min_count + FAKE_SM_GRANULE - 1) / FAKE_SM_GRANULE * FAKE_SM_GRANULE;
    unsigned fit = input->sm.smCount / size;
    unsigned n = *n_groups < fit ? *n_groups : fit;
    if (n == 0)
        return CUDA_ERROR_INVALID_VALUE;
    for (unsigned i = 0; result && i < n; i++) {
        memset(&result[i], 0, sizeof(result[i]));
        result[i].type = CU_DEV_RESOURCE_TYPE_SM;
        result[i].sm.smCount = size;
    }
    if (remaining) {
        memset(remaining, 0, sizeof(*remaining));
        remaining->type = CU_DEV_RESOURCE_TYPE_SM;
        remaining->sm.smCount = input->sm.smCount - n * size;
    }
    *n_groups = n;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevResourceGenerateDesc(CUdevResourceDesc *desc, CUdevResource *res, unsigned n);
FAKE_EXPORT CUresult cuDevResourceGenerateDesc(CUdevResourceDesc *desc, CUdevResource *res, unsigned n)
{
    if (green_off())
        return CUDA_ERROR_NOT_SUPPORTED;
    if (desc == NULL || res == NULL || n == 0)
        return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&fake_lock);
    if (n_descs >= FAKE_GREEN_MAX) {
        pthread_mutex_unlock(&fake_lock);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    struct CUdevResourceDesc_st *d = &descs[n_descs++];
    pthread_mutex_unlock(&fake_lock);
    d->sms = 0;
    for (unsigned i = 0; i < n; i++)
        d->sms += res[i].sm.smCount;
    *desc = d;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGreenCtxCreate(CUgreenCtx *g, CUdevResourceDesc desc, CUdevice d, unsigned flags);
FAKE_EXPORT CUresult cuGreenCtxCreate(CUgreenCtx *g, CUdevResourceDesc desc, CUdevice d, unsigned flags)
{
    if (green_off())
        return CUDA_ERROR_NOT_SUPPORTED;
    if (g == NULL || desc == NULL || d != 0 || flags != CU_GREEN_CTX_DEFAULT_STREAM || desc->sms == 0)
        return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&fake_lock);
    for (int i = 0; i < FAKE_GREEN_MAX; i++)
        if (!greens[i].used) {
            greens[i].used = 1;
            greens[i].ctx.sms = desc->sms;
            *g = &greens[i];
            pthread_mutex_unlock(&fake_lock);
            return CUDA_SUCCESS;
        }
    pthread_mutex_unlock(&fake_lock);
    return CUDA_ERROR_OUT_OF_MEMORY;
}

FAKE_EXPORT CUresult cuGreenCtxDestroy(CUgreenCtx g);
FAKE_EXPORT CUresult cuGreenCtxDestroy(CUgreenCtx g)
{
    if (g == NULL || !g->used)
        return CUDA_ERROR_INVALID_VALUE;
    g->used = 0;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxFromGreenCtx(CUcontext *c, CUgreenCtx g);
FAKE_EXPORT CUresult cuCtxFromGreenCtx(CUcontext *c, CUgreenCtx g)
{
    if (c == NULL || g == NULL || !g->used)
        return CUDA_ERROR_INVALID_VALUE;
    *c = &g->ctx;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGreenCtxStreamCreate(CUstream *s, CUgreenCtx g, unsigned flags, int prio);
FAKE_EXPORT CUresult cuGreenCtxStreamCreate(CUstream *s, CUgreenCtx g, unsigned flags, int prio)
{
    if (g == NULL || !g->used || flags != CU_STREAM_NON_BLOCKING)
        return CUDA_ERROR_INVALID_VALUE;
    CUresult r = cuStreamCreateWithPriority(s, flags, prio);
    if (r == CUDA_SUCCESS)
        (*s)->ctx = &g->ctx;
    return r;
}

/* For the tests: the launches so far, in order: kernel (0 vector_add,
 * 1 saxpy, 2 gemm, 3 mlp), the SM count of the stream's green context (0:
 * primary) and the stream's priority. Returns the count (all of them,
 * even when more than max). */
FAKE_EXPORT int zenedge_fake_cuda_launch_log(int *kind, unsigned *sms, int *prio, int max);
FAKE_EXPORT int zenedge_fake_cuda_launch_log(int *kind, unsigned *sms, int *prio, int max)
{
    pthread_mutex_lock(&fake_lock);
    int n = n_launches;
    for (int i = 0; i < n && i < max; i++) {
        kind[i] = launches[i].kind - FK_VADD;
        sms[i] = launches[i].sms;
        prio[i] = launches[i].prio;
    }
    pthread_mutex_unlock(&fake_lock);
    return n;
}
