/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fake_ze.c - a stand-in Level Zero driver for tests, loaded by the real
 * oneAPI loader (libze_loader.so.1) through ZE_ENABLE_ALT_DRIVERS: it
 * exports the driver interface the loader looks up (zeGet*ProcAddrTable,
 * ze_ddi.h) and fills, in those tables, what the Level Zero backend
 * calls. One GPU-typed device whose "device memory" is host memory and
 * whose command queues run a command list on the CPU when it is executed:
 * copies, barriers and the four shipped kernels (found by name among the
 * SPIR-V module's OpEntryPoint instructions), computed in the CPU
 * reference's order (tests/backends/fake_cuda.c does the same for CUDA).
 *
 * It checks what a driver checks: SPIR-V magic and instruction words,
 * kernel names, argument indices and sizes (a buffer is a pointer to one
 * of its allocations, large enough for the sizes passed), group size and
 * count cover the problem, launches only on lists of the compute queue
 * group (ordinal 1; ordinal 0 is copy only), a closed list before
 * execution. Events carry kernel timestamps: a 32-bit device clock of
 * FAKE_TICK_NS ns per tick. ZENEDGE_FAKE_ZE_REFUSE_MODULE=1 makes every
 * zeModuleCreate fail with a build log. zenedge_fake_ze_launch_log() lists
 * every launch with its queue's priority.
 */
#include <level_zero/ze_api.h>
#include <level_zero/ze_ddi.h>
#include <level_zero/zes_ddi.h>
#include <level_zero/zet_ddi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_EXPORT  __attribute__((visibility("default")))
#define FAKE_TICK_NS 10u
#define FAKE_ALLOCS  4096
#define FAKE_CMDS    16
#define FAKE_ARGS    10
#define FAKE_LOG_MAX 4096

typedef enum { FK_VADD, FK_SAXPY, FK_GEMM, FK_MLP, FK_COUNT } fake_kind_t;

static const char *const kernel_names[FK_COUNT] = {"vector_add_i32", "saxpy_f32", "gemm_f32", "mlp_relu_f32"};
/* Argument kinds per kernel: B buffer, L local memory, U uint. */
static const char *const kernel_sig[FK_COUNT] = {"BBBU", "BBBBU", "BBBUUU", "BBBBBBLUUU"};

struct _ze_driver_handle_t {
    int unused;
};
struct _ze_device_handle_t {
    int unused;
};
struct _ze_context_handle_t {
    int live;
};
struct _ze_command_queue_handle_t {
    uint32_t ordinal;
    ze_command_queue_priority_t prio;
};
struct _ze_module_handle_t {
    int has[FK_COUNT];
};
struct _ze_module_build_log_handle_t {
    char text[256];
};
struct _ze_kernel_handle_t {
    fake_kind_t kind;
    uint32_t gs[3];
    uint64_t val[FAKE_ARGS]; /* buffer pointer or uint value; local: its size */
    uint32_t set;            /* bit i: argument i set */
};
struct _ze_event_pool_handle_t {
    ze_event_pool_flags_t flags;
    uint32_t count;
};
struct _ze_event_handle_t {
    ze_event_pool_handle_t pool;
    int signalled;
    uint64_t start, end; /* device clock ticks */
};

typedef struct fake_cmd {
    enum { FC_COPY, FC_BARRIER, FC_LAUNCH } type;
    void *dst;
    const void *src;
    size_t size;
    struct _ze_kernel_handle_t k; /* a copy: arguments as at append */
    ze_group_count_t groups;
    ze_event_handle_t signal;
} fake_cmd_t;

struct _ze_command_list_handle_t {
    uint32_t ordinal;
    int closed;
    uint32_t n;
    fake_cmd_t cmd[FAKE_CMDS];
};

static struct _ze_driver_handle_t the_driver;
static struct _ze_device_handle_t the_device;
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fake_cond = PTHREAD_COND_INITIALIZER; /* an event was signalled */
static struct {
    void *p;
    size_t size;
} allocs[FAKE_ALLOCS];
static struct {
    int kind, prio;
} launches[FAKE_LOG_MAX];
static int n_launches;
static int initialised;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t ticks(void)
{
    return (now_ns() / FAKE_TICK_NS) & 0xffffffffull;
}

/* ---- global, driver, device, context ------------------------------------ */

static ze_result_t fake_init(ze_init_flags_t flags)
{
    if (flags & ~(ze_init_flags_t)(ZE_INIT_FLAG_GPU_ONLY | ZE_INIT_FLAG_VPU_ONLY))
        return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    if (flags == ZE_INIT_FLAG_VPU_ONLY)
        return ZE_RESULT_ERROR_UNINITIALIZED; /* a GPU only */
    initialised = 1;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_driver_get(uint32_t *count, ze_driver_handle_t *drivers)
{
    if (!initialised)
        return ZE_RESULT_ERROR_UNINITIALIZED;
    if (count == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    if (*count == 0 || drivers == NULL) {
        *count = 1;
        return ZE_RESULT_SUCCESS;
    }
    *count = 1;
    drivers[0] = &the_driver;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_driver_api(ze_driver_handle_t d, ze_api_version_t *v)
{
    if (d != &the_driver || v == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    *v = ZE_API_VERSION_1_3;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_driver_props(ze_driver_handle_t d, ze_driver_properties_t *p)
{
    if (d != &the_driver || p == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    memset(&p->uuid, 0x5a, sizeof(p->uuid));
    p->driverVersion = 0x00010203;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_device_get(ze_driver_handle_t d, uint32_t *count, ze_device_handle_t *devs)
{
    if (d != &the_driver || count == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    if (*count == 0 || devs == NULL) {
        *count = 1;
        return ZE_RESULT_SUCCESS;
    }
    *count = 1;
    devs[0] = &the_device;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_device_props(ze_device_handle_t d, ze_device_properties_t *p)
{
    if (d != &the_device || p == NULL || p->stype != ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    p->type = ZE_DEVICE_TYPE_GPU;
    p->vendorId = 0;
    p->deviceId = 0;
    p->flags = 0;
    p->coreClockRate = 1000;
    p->maxMemAllocSize = 1ull << 30;
    p->maxHardwareContexts = 64;
    p->maxCommandQueuePriority = 2;
    p->numThreadsPerEU = 1;
    p->physicalEUSimdWidth = 8;
    p->numEUsPerSubslice = 8;
    p->numSubslicesPerSlice = 2;
    p->numSlices = 1;
    p->timerResolution = FAKE_TICK_NS; /* ns per tick with this stype */
    p->timestampValidBits = 32;
    p->kernelTimestampValidBits = 32;
    snprintf(p->name, sizeof(p->name), "zenedge stand-in Level Zero GPU (runs on the CPU)");
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_compute_props(ze_device_handle_t d, ze_device_compute_properties_t *p)
{
    if (d != &the_device || p == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    p->maxTotalGroupSize = 1024;
    p->maxGroupSizeX = p->maxGroupSizeY = p->maxGroupSizeZ = 1024;
    p->maxGroupCountX = p->maxGroupCountY = p->maxGroupCountZ = 65535;
    p->maxSharedLocalMemory = 65536;
    p->numSubGroupSizes = 1;
    p->subGroupSizes[0] = 8;
    return ZE_RESULT_SUCCESS;
}

/* Group 0 copies only; group 1 computes (and copies). */
static ze_result_t fake_queue_groups(ze_device_handle_t d, uint32_t *count, ze_command_queue_group_properties_t *g)
{
    if (d != &the_device || count == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    if (*count == 0 || g == NULL) {
        *count = 2;
        return ZE_RESULT_SUCCESS;
    }
    uint32_t n = *count < 2 ? *count : 2;
    for (uint32_t i = 0; i < n; i++) {
        g[i].flags =
            ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY | (i == 1 ? ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE : 0);
        g[i].maxMemoryFillPatternSize = 4;
        g[i].numQueues = 4;
    }
    *count = n;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_context_create(ze_driver_handle_t d, const ze_context_desc_t *desc, ze_context_handle_t *c)
{
    if (d != &the_driver || desc == NULL || c == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    *c = calloc(1, sizeof(**c));
    if (*c == NULL)
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    (*c)->live = 1;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_context_destroy(ze_context_handle_t c)
{
    free(c);
    return ZE_RESULT_SUCCESS;
}

/* ---- memory --------------------------------------------------------------- */

static ze_result_t fake_alloc(size_t size, size_t align, void **p)
{
    if (p == NULL || size == 0 || (align & (align - 1)))
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    *p = aligned_alloc(64, (size + 63) / 64 * 64);
    if (*p == NULL)
        return ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;
    memset(*p, 0, size);
    pthread_mutex_lock(&fake_lock);
    for (int i = 0; i < FAKE_ALLOCS; i++)
        if (allocs[i].p == NULL) {
            allocs[i].p = *p;
            allocs[i].size = size;
            pthread_mutex_unlock(&fake_lock);
            return ZE_RESULT_SUCCESS;
        }
    pthread_mutex_unlock(&fake_lock);
    free(*p);
    *p = NULL;
    return ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;
}

static ze_result_t fake_alloc_device(ze_context_handle_t c, const ze_device_mem_alloc_desc_t *d, size_t size,
                                     size_t align, ze_device_handle_t dev, void **p)
{
    if (c == NULL || d == NULL || dev != &the_device)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    return fake_alloc(size, align, p);
}

static ze_result_t fake_alloc_host(ze_context_handle_t c, const ze_host_mem_alloc_desc_t *d, size_t size, size_t align,
                                   void **p)
{
    if (c == NULL || d == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    return fake_alloc(size, align, p);
}

static ze_result_t fake_free(ze_context_handle_t c, void *p)
{
    if (c == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    pthread_mutex_lock(&fake_lock);
    for (int i = 0; i < FAKE_ALLOCS; i++)
        if (allocs[i].p == p && p != NULL) {
            allocs[i].p = NULL;
            pthread_mutex_unlock(&fake_lock);
            free(p);
            return ZE_RESULT_SUCCESS;
        }
    pthread_mutex_unlock(&fake_lock);
    return ZE_RESULT_ERROR_INVALID_ARGUMENT;
}

/* Bytes of our allocation from p to its end; 0 when p is not in one. */
static size_t fake_room(const void *p)
{
    size_t room = 0;
    pthread_mutex_lock(&fake_lock);
    for (int i = 0; i < FAKE_ALLOCS && room == 0; i++) {
        const char *b = allocs[i].p;
        if (b && (const char *)p >= b && (const char *)p < b + allocs[i].size)
            room = allocs[i].size - (size_t)((const char *)p - b);
    }
    pthread_mutex_unlock(&fake_lock);
    return room;
}

/* ---- modules and kernels -------------------------------------------------- */

/* The kernels of a SPIR-V module: its OpEntryPoint (opcode 15) names.
 * -1 when the words are not SPIR-V. */
static int fake_spirv_entries(const uint8_t *bin, size_t len, int has[FK_COUNT])
{
    if (bin == NULL || len < 20 || len % 4)
        return -1;
    uint32_t magic;
    memcpy(&magic, bin, 4);
    if (magic != 0x07230203u)
        return -1;
    size_t nw = len / 4;
    for (size_t at = 5; at < nw;) {
        uint32_t w;
        memcpy(&w, bin + 4 * at, 4);
        uint32_t wc = w >> 16, op = w & 0xffffu;
        if (wc == 0 || at + wc > nw)
            return -1;
        if (op == 15 && wc > 3) {
            const char *name = (const char *)(bin + 4 * (at + 3));
            size_t max = 4 * (size_t)(wc - 3);
            for (int k = 0; k < FK_COUNT; k++)
                if (strnlen(name, max) < max && strcmp(name, kernel_names[k]) == 0)
                    has[k] = 1;
        }
        at += wc;
    }
    return 0;
}

static ze_result_t fake_log(ze_module_build_log_handle_t *log, const char *text)
{
    if (log == NULL)
        return ZE_RESULT_SUCCESS;
    *log = calloc(1, sizeof(**log));
    if (*log)
        snprintf((*log)->text, sizeof((*log)->text), "%s", text);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_module_create(ze_context_handle_t c, ze_device_handle_t d, const ze_module_desc_t *desc,
                                      ze_module_handle_t *m, ze_module_build_log_handle_t *log)
{
    if (log)
        *log = NULL;
    if (c == NULL || d != &the_device || desc == NULL || m == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    const char *refuse = getenv("ZENEDGE_FAKE_ZE_REFUSE_MODULE");
    if (refuse && strcmp(refuse, "1") == 0) {
        fake_log(log, "stand-in driver: module refused (ZENEDGE_FAKE_ZE_REFUSE_MODULE=1)\nline two");
        return ZE_RESULT_ERROR_MODULE_BUILD_FAILURE;
    }
    if (desc->format != ZE_MODULE_FORMAT_IL_SPIRV)
        return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    int has[FK_COUNT] = {0};
    if (fake_spirv_entries(desc->pInputModule, desc->inputSize, has) != 0) {
        fake_log(log, "stand-in driver: not a SPIR-V module");
        return ZE_RESULT_ERROR_INVALID_NATIVE_BINARY;
    }
    *m = calloc(1, sizeof(**m));
    if (*m == NULL)
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    memcpy((*m)->has, has, sizeof(has));
    return fake_log(log, "");
}

static ze_result_t fake_module_destroy(ze_module_handle_t m)
{
    free(m);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_log_string(ze_module_build_log_handle_t log, size_t *size, char *text)
{
    if (log == NULL || size == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    size_t need = strlen(log->text) + 1;
    if (text == NULL) {
        *size = need;
        return ZE_RESULT_SUCCESS;
    }
    if (*size < need)
        return ZE_RESULT_ERROR_INVALID_SIZE;
    memcpy(text, log->text, need);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_log_destroy(ze_module_build_log_handle_t log)
{
    free(log);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_kernel_create(ze_module_handle_t m, const ze_kernel_desc_t *d, ze_kernel_handle_t *k)
{
    if (m == NULL || d == NULL || d->pKernelName == NULL || k == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    for (int i = 0; i < FK_COUNT; i++)
        if (m->has[i] && strcmp(d->pKernelName, kernel_names[i]) == 0) {
            *k = calloc(1, sizeof(**k));
            if (*k == NULL)
                return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            (*k)->kind = (fake_kind_t)i;
            return ZE_RESULT_SUCCESS;
        }
    return ZE_RESULT_ERROR_INVALID_KERNEL_NAME;
}

static ze_result_t fake_kernel_destroy(ze_kernel_handle_t k)
{
    free(k);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_group_size(ze_kernel_handle_t k, uint32_t x, uint32_t y, uint32_t z)
{
    if (k == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    if (x == 0 || y == 0 || z == 0 || (uint64_t)x * y * z > 1024)
        return ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION;
    k->gs[0] = x;
    k->gs[1] = y;
    k->gs[2] = z;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_set_arg(ze_kernel_handle_t k, uint32_t i, size_t size, const void *v)
{
    if (k == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    const char *sig = kernel_sig[k->kind];
    if (i >= strlen(sig))
        return ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX;
    switch (sig[i]) {
    case 'B':
        if (size != sizeof(void *) || v == NULL)
            return ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE;
        memcpy(&k->val[i], v, sizeof(void *));
        break;
    case 'L':
        if (size == 0 || v != NULL)
            return ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE;
        k->val[i] = size;
        break;
    default: {
        uint32_t u;
        if (size != sizeof(u) || v == NULL)
            return ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE;
        memcpy(&u, v, sizeof(u));
        k->val[i] = u;
        break;
    }
    }
    k->set |= 1u << i;
    return ZE_RESULT_SUCCESS;
}

/* ---- the kernels, in the CPU reference's order ------------------------- */

#define BUF(k, i) ((void *)(uintptr_t)(k)->val[i])
#define U32(k, i) ((uint32_t)(k)->val[i])

/* Whether buffer argument i holds n floats or ints of the allocation. */
static int fake_buf_ok(const struct _ze_kernel_handle_t *k, int i, uint64_t n)
{
    return fake_room(BUF(k, i)) >= 4 * n;
}

/* The launch's arguments are all set, its buffers large enough and its
 * groups cover the problem. */
static int fake_launch_ok(const struct _ze_kernel_handle_t *k, const ze_group_count_t *g)
{
    if (k->set != (1u << strlen(kernel_sig[k->kind])) - 1u || g->groupCountZ != 1 || k->gs[2] != 1)
        return 0;
    uint64_t x = (uint64_t)g->groupCountX * k->gs[0], y = (uint64_t)g->groupCountY * k->gs[1];
    switch (k->kind) {
    case FK_VADD: {
        uint32_t n = U32(k, 3);
        return x >= n && fake_buf_ok(k, 0, n) && fake_buf_ok(k, 1, n) && fake_buf_ok(k, 2, n);
    }
    case FK_SAXPY: {
        uint32_t n = U32(k, 4);
        return x >= n && fake_buf_ok(k, 0, 1) && fake_buf_ok(k, 1, n) && fake_buf_ok(k, 2, n) && fake_buf_ok(k, 3, n);
    }
    case FK_GEMM: {
        uint32_t m = U32(k, 3), kk = U32(k, 4), n = U32(k, 5);
        return x >= n && y >= m && fake_buf_ok(k, 0, (uint64_t)m * kk) && fake_buf_ok(k, 1, (uint64_t)kk * n) &&
               fake_buf_ok(k, 2, (uint64_t)m * n);
    }
    case FK_MLP: {
        uint32_t nin = U32(k, 7), nh = U32(k, 8), nout = U32(k, 9);
        return g->groupCountX == 1 && g->groupCountY == 1 && k->gs[0] >= nh && k->gs[0] >= nout && nh <= 1024 &&
               k->val[6] >= 4u * (uint64_t)nh && fake_buf_ok(k, 0, nin) && fake_buf_ok(k, 1, (uint64_t)nin * nh) &&
               fake_buf_ok(k, 2, nh) && fake_buf_ok(k, 3, (uint64_t)nh * nout) && fake_buf_ok(k, 4, nout) &&
               fake_buf_ok(k, 5, nout);
    }
    default: return 0;
    }
}

static void fake_mlp(const struct _ze_kernel_handle_t *k)
{
    const float *x = BUF(k, 0), *w1 = BUF(k, 1), *b1 = BUF(k, 2), *w2 = BUF(k, 3), *b2 = BUF(k, 4);
    float *out = BUF(k, 5);
    uint32_t nin = U32(k, 7), nh = U32(k, 8), nout = U32(k, 9);
    float h[1024];
    for (uint32_t j = 0; j < nh; j++) {
        float acc = 0.0f;
        for (uint32_t p = 0; p < nin; p++) {
            volatile float t = x[p] * w1[p * nh + j];
            acc += t;
        }
        acc += b1[j];
        h[j] = acc > 0.0f ? acc : 0.0f;
    }
    for (uint32_t c = 0; c < nout; c++) {
        float acc = 0.0f;
        for (uint32_t j = 0; j < nh; j++) {
            volatile float t = h[j] * w2[j * nout + c];
            acc += t;
        }
        out[c] = acc + b2[c];
    }
}

static void fake_run(const struct _ze_kernel_handle_t *k)
{
    switch (k->kind) {
    case FK_VADD: {
        const uint32_t *a = BUF(k, 0), *b = BUF(k, 1);
        uint32_t *c = BUF(k, 2);
        for (uint32_t i = 0; i < U32(k, 3); i++)
            c[i] = a[i] + b[i];
        break;
    }
    case FK_SAXPY: {
        const float *al = BUF(k, 0), *x = BUF(k, 1), *y = BUF(k, 2);
        float *o = BUF(k, 3);
        for (uint32_t i = 0; i < U32(k, 4); i++) {
            volatile float p = al[0] * x[i]; /* two roundings, as the kernel */
            o[i] = p + y[i];
        }
        break;
    }
    case FK_GEMM: {
        const float *a = BUF(k, 0), *b = BUF(k, 1);
        float *c = BUF(k, 2);
        uint32_t m = U32(k, 3), kk = U32(k, 4), n = U32(k, 5);
        for (uint32_t i = 0; i < m; i++)
            for (uint32_t j = 0; j < n; j++) {
                float acc = 0.0f;
                for (uint32_t p = 0; p < kk; p++) {
                    volatile float t = a[i * kk + p] * b[p * n + j];
                    acc += t;
                }
                c[i * n + j] = acc;
            }
        break;
    }
    case FK_MLP: fake_mlp(k); break;
    default: break;
    }
}

/* ---- queues, lists, events ---------------------------------------------- */

static ze_result_t fake_queue_create(ze_context_handle_t c, ze_device_handle_t d, const ze_command_queue_desc_t *desc,
                                     ze_command_queue_handle_t *q)
{
    if (c == NULL || d != &the_device || desc == NULL || q == NULL || desc->ordinal > 1 ||
        desc->priority > ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_HIGH)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    *q = calloc(1, sizeof(**q));
    if (*q == NULL)
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    (*q)->ordinal = desc->ordinal;
    (*q)->prio = desc->priority;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_queue_destroy(ze_command_queue_handle_t q)
{
    free(q);
    return ZE_RESULT_SUCCESS;
}

static void fake_signal(ze_event_handle_t e, uint64_t start)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&fake_lock);
    e->start = start;
    e->end = ticks();
    e->signalled = 1;
    pthread_cond_broadcast(&fake_cond);
    pthread_mutex_unlock(&fake_lock);
}

/* Run the list's commands now, in order. */
static void fake_exec(ze_command_queue_handle_t q, ze_command_list_handle_t l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        fake_cmd_t *c = &l->cmd[i];
        uint64_t t0 = ticks();
        if (c->type == FC_COPY) {
            memcpy(c->dst, c->src, c->size);
        } else if (c->type == FC_LAUNCH) {
            pthread_mutex_lock(&fake_lock);
            if (n_launches < FAKE_LOG_MAX) {
                launches[n_launches].kind = (int)c->k.kind;
                launches[n_launches].prio = (int)q->prio;
                n_launches++;
            }
            pthread_mutex_unlock(&fake_lock);
            fake_run(&c->k);
        }
        fake_signal(c->signal, t0);
    }
}

static ze_result_t fake_execute(ze_command_queue_handle_t q, uint32_t n, ze_command_list_handle_t *lists,
                                ze_fence_handle_t fence)
{
    if (q == NULL || n == 0 || lists == NULL || fence != NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    for (uint32_t i = 0; i < n; i++)
        if (lists[i] == NULL || !lists[i]->closed || lists[i]->ordinal != q->ordinal)
            return ZE_RESULT_ERROR_INVALID_COMMAND_LIST_TYPE;
    for (uint32_t i = 0; i < n; i++)
        fake_exec(q, lists[i]);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_queue_sync(ze_command_queue_handle_t q, uint64_t timeout)
{
    (void)timeout;
    return q ? ZE_RESULT_SUCCESS : ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
}

static ze_result_t fake_list_create(ze_context_handle_t c, ze_device_handle_t d, const ze_command_list_desc_t *desc,
                                    ze_command_list_handle_t *l)
{
    if (c == NULL || d != &the_device || desc == NULL || l == NULL || desc->commandQueueGroupOrdinal > 1)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    *l = calloc(1, sizeof(**l));
    if (*l == NULL)
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    (*l)->ordinal = desc->commandQueueGroupOrdinal;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_list_destroy(ze_command_list_handle_t l)
{
    free(l);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_list_close(ze_command_list_handle_t l)
{
    if (l == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    l->closed = 1;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_list_reset(ze_command_list_handle_t l)
{
    if (l == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    l->closed = 0;
    l->n = 0;
    return ZE_RESULT_SUCCESS;
}

/* A new command at the end of an open list, or NULL. */
static fake_cmd_t *fake_append(ze_command_list_handle_t l, ze_event_handle_t signal, uint32_t nwait)
{
    if (l == NULL || l->closed || l->n >= FAKE_CMDS || nwait != 0)
        return NULL;
    fake_cmd_t *c = &l->cmd[l->n++];
    memset(c, 0, sizeof(*c));
    c->signal = signal;
    return c;
}

static ze_result_t fake_barrier(ze_command_list_handle_t l, ze_event_handle_t signal, uint32_t nwait,
                                ze_event_handle_t *waits)
{
    (void)waits;
    fake_cmd_t *c = fake_append(l, signal, nwait);
    if (c == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    c->type = FC_BARRIER;
    return ZE_RESULT_SUCCESS;
}

/* One side at least must be memory of ours (system memory on the other
 * side is allowed, as on Intel's GPUs). */
static ze_result_t fake_copy(ze_command_list_handle_t l, void *dst, const void *src, size_t size,
                             ze_event_handle_t signal, uint32_t nwait, ze_event_handle_t *waits)
{
    (void)waits;
    size_t rd = fake_room(dst), rs = fake_room(src);
    if (dst == NULL || src == NULL || size == 0 || (rd == 0 && rs == 0) || (rd && rd < size) || (rs && rs < size))
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    fake_cmd_t *c = fake_append(l, signal, nwait);
    if (c == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    c->type = FC_COPY;
    c->dst = dst;
    c->src = src;
    c->size = size;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_launch(ze_command_list_handle_t l, ze_kernel_handle_t k, const ze_group_count_t *g,
                               ze_event_handle_t signal, uint32_t nwait, ze_event_handle_t *waits)
{
    (void)waits;
    if (l == NULL || k == NULL || g == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    if (l->ordinal != 1 || !fake_launch_ok(k, g))
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    fake_cmd_t *c = fake_append(l, signal, nwait);
    if (c == NULL)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    c->type = FC_LAUNCH;
    c->k = *k;
    c->groups = *g;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_pool_create(ze_context_handle_t c, const ze_event_pool_desc_t *d, uint32_t ndev,
                                    ze_device_handle_t *devs, ze_event_pool_handle_t *p)
{
    if (c == NULL || d == NULL || p == NULL || d->count == 0 || (ndev && (devs == NULL || devs[0] != &the_device)))
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    *p = calloc(1, sizeof(**p));
    if (*p == NULL)
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    (*p)->flags = d->flags;
    (*p)->count = d->count;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_pool_destroy(ze_event_pool_handle_t p)
{
    free(p);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_event_create(ze_event_pool_handle_t p, const ze_event_desc_t *d, ze_event_handle_t *e)
{
    if (p == NULL || d == NULL || e == NULL || d->index >= p->count)
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    *e = calloc(1, sizeof(**e));
    if (*e == NULL)
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    (*e)->pool = p;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_event_destroy(ze_event_handle_t e)
{
    free(e);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_event_sync(ze_event_handle_t e, uint64_t timeout)
{
    if (e == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    uint64_t t = timeout > 3600ull * 1000000000ull ? 3600ull * 1000000000ull : timeout;
    dl.tv_sec += (time_t)(t / 1000000000ull);
    dl.tv_nsec += (long)(t % 1000000000ull);
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&fake_lock);
    int timed_out = 0;
    while (!e->signalled && !timed_out && timeout > 0)
        timed_out = pthread_cond_timedwait(&fake_cond, &fake_lock, &dl) != 0;
    int s = e->signalled;
    pthread_mutex_unlock(&fake_lock);
    return s ? ZE_RESULT_SUCCESS : ZE_RESULT_NOT_READY;
}

static ze_result_t fake_event_query(ze_event_handle_t e)
{
    return fake_event_sync(e, 0);
}

static ze_result_t fake_event_reset(ze_event_handle_t e)
{
    if (e == NULL)
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    pthread_mutex_lock(&fake_lock);
    e->signalled = 0;
    e->start = e->end = 0;
    pthread_mutex_unlock(&fake_lock);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_event_ts(ze_event_handle_t e, ze_kernel_timestamp_result_t *r)
{
    if (e == NULL || r == NULL || !(e->pool->flags & ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP))
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    pthread_mutex_lock(&fake_lock);
    int s = e->signalled;
    r->global.kernelStart = r->context.kernelStart = e->start;
    r->global.kernelEnd = r->context.kernelEnd = e->end;
    pthread_mutex_unlock(&fake_lock);
    return s ? ZE_RESULT_SUCCESS : ZE_RESULT_NOT_READY;
}

/* ---- the driver interface the loader looks up ------------------------- */

#define FAKE_TABLE(fn, type)                                           \
    FAKE_EXPORT ze_result_t ZE_APICALL fn(ze_api_version_t v, type *t) \
    {                                                                  \
        if (t == NULL)                                                 \
            return ZE_RESULT_ERROR_INVALID_NULL_POINTER;               \
        if (ZE_MAJOR_VERSION(v) != 1)                                  \
            return ZE_RESULT_ERROR_UNSUPPORTED_VERSION;                \
        memset(t, 0, sizeof(*t));                                      \
        fill_##type(t);                                                \
        return ZE_RESULT_SUCCESS;                                      \
    }

static void fill_ze_global_dditable_t(ze_global_dditable_t *t)
{
    t->pfnInit = fake_init;
}
static void fill_ze_driver_dditable_t(ze_driver_dditable_t *t)
{
    t->pfnGet = fake_driver_get;
    t->pfnGetApiVersion = fake_driver_api;
    t->pfnGetProperties = fake_driver_props;
}
static void fill_ze_device_dditable_t(ze_device_dditable_t *t)
{
    t->pfnGet = fake_device_get;
    t->pfnGetProperties = fake_device_props;
    t->pfnGetComputeProperties = fake_compute_props;
    t->pfnGetCommandQueueGroupProperties = fake_queue_groups;
}
static void fill_ze_context_dditable_t(ze_context_dditable_t *t)
{
    t->pfnCreate = fake_context_create;
    t->pfnDestroy = fake_context_destroy;
}
static void fill_ze_command_queue_dditable_t(ze_command_queue_dditable_t *t)
{
    t->pfnCreate = fake_queue_create;
    t->pfnDestroy = fake_queue_destroy;
    t->pfnExecuteCommandLists = fake_execute;
    t->pfnSynchronize = fake_queue_sync;
}
static void fill_ze_command_list_dditable_t(ze_command_list_dditable_t *t)
{
    t->pfnCreate = fake_list_create;
    t->pfnDestroy = fake_list_destroy;
    t->pfnClose = fake_list_close;
    t->pfnReset = fake_list_reset;
    t->pfnAppendBarrier = fake_barrier;
    t->pfnAppendMemoryCopy = fake_copy;
    t->pfnAppendLaunchKernel = fake_launch;
}
static void fill_ze_module_dditable_t(ze_module_dditable_t *t)
{
    t->pfnCreate = fake_module_create;
    t->pfnDestroy = fake_module_destroy;
}
static void fill_ze_module_build_log_dditable_t(ze_module_build_log_dditable_t *t)
{
    t->pfnGetString = fake_log_string;
    t->pfnDestroy = fake_log_destroy;
}
static void fill_ze_kernel_dditable_t(ze_kernel_dditable_t *t)
{
    t->pfnCreate = fake_kernel_create;
    t->pfnDestroy = fake_kernel_destroy;
    t->pfnSetGroupSize = fake_group_size;
    t->pfnSetArgumentValue = fake_set_arg;
}
static void fill_ze_event_pool_dditable_t(ze_event_pool_dditable_t *t)
{
    t->pfnCreate = fake_pool_create;
    t->pfnDestroy = fake_pool_destroy;
}
static void fill_ze_event_dditable_t(ze_event_dditable_t *t)
{
    t->pfnCreate = fake_event_create;
    t->pfnDestroy = fake_event_destroy;
    t->pfnHostSynchronize = fake_event_sync;
    t->pfnQueryStatus = fake_event_query;
    t->pfnHostReset = fake_event_reset;
    t->pfnQueryKernelTimestamp = fake_event_ts;
}
static void fill_ze_mem_dditable_t(ze_mem_dditable_t *t)
{
    t->pfnAllocDevice = fake_alloc_device;
    t->pfnAllocHost = fake_alloc_host;
    t->pfnFree = fake_free;
}
/* Tables the backend does not use: present, every entry NULL (the loader
 * answers ZE_RESULT_ERROR_UNSUPPORTED_FEATURE for them). */
#define FAKE_EMPTY(type)             \
    static void fill_##type(type *t) \
    {                                \
        (void)t;                     \
    }
FAKE_EMPTY(ze_fence_dditable_t)
FAKE_EMPTY(ze_image_dditable_t)
FAKE_EMPTY(ze_sampler_dditable_t)
FAKE_EMPTY(ze_physical_mem_dditable_t)
FAKE_EMPTY(ze_virtual_mem_dditable_t)
/* Extensions, tools (zet) and sysman (zes): the loader asks for them all. */
FAKE_EMPTY(ze_device_exp_dditable_t)
FAKE_EMPTY(ze_image_exp_dditable_t)
FAKE_EMPTY(ze_event_exp_dditable_t)
FAKE_EMPTY(ze_kernel_exp_dditable_t)
FAKE_EMPTY(ze_fabric_vertex_exp_dditable_t)
FAKE_EMPTY(ze_fabric_edge_exp_dditable_t)
FAKE_EMPTY(zet_device_dditable_t)
FAKE_EMPTY(zet_context_dditable_t)
FAKE_EMPTY(zet_command_list_dditable_t)
FAKE_EMPTY(zet_module_dditable_t)
FAKE_EMPTY(zet_kernel_dditable_t)
FAKE_EMPTY(zet_metric_group_dditable_t)
FAKE_EMPTY(zet_metric_group_exp_dditable_t)
FAKE_EMPTY(zet_metric_dditable_t)
FAKE_EMPTY(zet_metric_streamer_dditable_t)
FAKE_EMPTY(zet_metric_query_pool_dditable_t)
FAKE_EMPTY(zet_metric_query_dditable_t)
FAKE_EMPTY(zet_tracer_exp_dditable_t)
FAKE_EMPTY(zet_debug_dditable_t)
FAKE_EMPTY(zes_driver_dditable_t)
FAKE_EMPTY(zes_device_dditable_t)
FAKE_EMPTY(zes_scheduler_dditable_t)
FAKE_EMPTY(zes_performance_factor_dditable_t)
FAKE_EMPTY(zes_power_dditable_t)
FAKE_EMPTY(zes_frequency_dditable_t)
FAKE_EMPTY(zes_engine_dditable_t)
FAKE_EMPTY(zes_standby_dditable_t)
FAKE_EMPTY(zes_firmware_dditable_t)
FAKE_EMPTY(zes_memory_dditable_t)
FAKE_EMPTY(zes_fabric_port_dditable_t)
FAKE_EMPTY(zes_temperature_dditable_t)
FAKE_EMPTY(zes_psu_dditable_t)
FAKE_EMPTY(zes_fan_dditable_t)
FAKE_EMPTY(zes_led_dditable_t)
FAKE_EMPTY(zes_ras_dditable_t)
FAKE_EMPTY(zes_diagnostics_dditable_t)

FAKE_TABLE(zeGetGlobalProcAddrTable, ze_global_dditable_t)
FAKE_TABLE(zeGetDriverProcAddrTable, ze_driver_dditable_t)
FAKE_TABLE(zeGetDeviceProcAddrTable, ze_device_dditable_t)
FAKE_TABLE(zeGetContextProcAddrTable, ze_context_dditable_t)
FAKE_TABLE(zeGetCommandQueueProcAddrTable, ze_command_queue_dditable_t)
FAKE_TABLE(zeGetCommandListProcAddrTable, ze_command_list_dditable_t)
FAKE_TABLE(zeGetModuleProcAddrTable, ze_module_dditable_t)
FAKE_TABLE(zeGetModuleBuildLogProcAddrTable, ze_module_build_log_dditable_t)
FAKE_TABLE(zeGetKernelProcAddrTable, ze_kernel_dditable_t)
FAKE_TABLE(zeGetEventPoolProcAddrTable, ze_event_pool_dditable_t)
FAKE_TABLE(zeGetEventProcAddrTable, ze_event_dditable_t)
FAKE_TABLE(zeGetMemProcAddrTable, ze_mem_dditable_t)
FAKE_TABLE(zeGetFenceProcAddrTable, ze_fence_dditable_t)
FAKE_TABLE(zeGetImageProcAddrTable, ze_image_dditable_t)
FAKE_TABLE(zeGetSamplerProcAddrTable, ze_sampler_dditable_t)
FAKE_TABLE(zeGetPhysicalMemProcAddrTable, ze_physical_mem_dditable_t)
FAKE_TABLE(zeGetVirtualMemProcAddrTable, ze_virtual_mem_dditable_t)
FAKE_TABLE(zeGetDeviceExpProcAddrTable, ze_device_exp_dditable_t)
FAKE_TABLE(zeGetImageExpProcAddrTable, ze_image_exp_dditable_t)
FAKE_TABLE(zeGetEventExpProcAddrTable, ze_event_exp_dditable_t)
FAKE_TABLE(zeGetKernelExpProcAddrTable, ze_kernel_exp_dditable_t)
FAKE_TABLE(zeGetFabricVertexExpProcAddrTable, ze_fabric_vertex_exp_dditable_t)
FAKE_TABLE(zeGetFabricEdgeExpProcAddrTable, ze_fabric_edge_exp_dditable_t)
FAKE_TABLE(zetGetDeviceProcAddrTable, zet_device_dditable_t)
FAKE_TABLE(zetGetContextProcAddrTable, zet_context_dditable_t)
FAKE_TABLE(zetGetCommandListProcAddrTable, zet_command_list_dditable_t)
FAKE_TABLE(zetGetModuleProcAddrTable, zet_module_dditable_t)
FAKE_TABLE(zetGetKernelProcAddrTable, zet_kernel_dditable_t)
FAKE_TABLE(zetGetMetricGroupProcAddrTable, zet_metric_group_dditable_t)
FAKE_TABLE(zetGetMetricGroupExpProcAddrTable, zet_metric_group_exp_dditable_t)
FAKE_TABLE(zetGetMetricProcAddrTable, zet_metric_dditable_t)
FAKE_TABLE(zetGetMetricStreamerProcAddrTable, zet_metric_streamer_dditable_t)
FAKE_TABLE(zetGetMetricQueryPoolProcAddrTable, zet_metric_query_pool_dditable_t)
FAKE_TABLE(zetGetMetricQueryProcAddrTable, zet_metric_query_dditable_t)
FAKE_TABLE(zetGetTracerExpProcAddrTable, zet_tracer_exp_dditable_t)
FAKE_TABLE(zetGetDebugProcAddrTable, zet_debug_dditable_t)
FAKE_TABLE(zesGetDriverProcAddrTable, zes_driver_dditable_t)
FAKE_TABLE(zesGetDeviceProcAddrTable, zes_device_dditable_t)
FAKE_TABLE(zesGetSchedulerProcAddrTable, zes_scheduler_dditable_t)
FAKE_TABLE(zesGetPerformanceFactorProcAddrTable, zes_performance_factor_dditable_t)
FAKE_TABLE(zesGetPowerProcAddrTable, zes_power_dditable_t)
FAKE_TABLE(zesGetFrequencyProcAddrTable, zes_frequency_dditable_t)
FAKE_TABLE(zesGetEngineProcAddrTable, zes_engine_dditable_t)
FAKE_TABLE(zesGetStandbyProcAddrTable, zes_standby_dditable_t)
FAKE_TABLE(zesGetFirmwareProcAddrTable, zes_firmware_dditable_t)
FAKE_TABLE(zesGetMemoryProcAddrTable, zes_memory_dditable_t)
FAKE_TABLE(zesGetFabricPortProcAddrTable, zes_fabric_port_dditable_t)
FAKE_TABLE(zesGetTemperatureProcAddrTable, zes_temperature_dditable_t)
FAKE_TABLE(zesGetPsuProcAddrTable, zes_psu_dditable_t)
FAKE_TABLE(zesGetFanProcAddrTable, zes_fan_dditable_t)
FAKE_TABLE(zesGetLedProcAddrTable, zes_led_dditable_t)
FAKE_TABLE(zesGetRasProcAddrTable, zes_ras_dditable_t)
FAKE_TABLE(zesGetDiagnosticsProcAddrTable, zes_diagnostics_dditable_t)

/* For the tests: the launches so far, in order: kernel (0 vector_add,
 * 1 saxpy, 2 gemm, 3 mlp) and the priority of the queue it ran on
 * (ze_command_queue_priority_t). Returns the count (all of them, even
 * when more than max). */
FAKE_EXPORT int zenedge_fake_ze_launch_log(int *kind, int *prio, int max);
FAKE_EXPORT int zenedge_fake_ze_launch_log(int *kind, int *prio, int max)
{
    pthread_mutex_lock(&fake_lock);
    int n = n_launches;
    for (int i = 0; i < n && i < max; i++) {
        kind[i] = launches[i].kind;
        prio[i] = launches[i].prio;
    }
    pthread_mutex_unlock(&fake_lock);
    return n;
}
