/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * level_zero.c - the oneAPI Level Zero backend of zenedge-bridged
 * (docs/backends.md).
 *
 * The loader (libze_loader.so.1, Debian: libze1) is opened with dlopen at
 * run time, so the daemon builds with the Level Zero headers only and
 * runs where no loader or no driver is installed; probe and init then say
 * so in one line. ZENEDGE_ZE_LIBRARY names another loader file ("none":
 * act as if none were installed). The loader finds the drivers (Intel
 * GPU, NPU) itself; ZE_ENABLE_ALT_DRIVERS is how the tests give it a
 * stand-in driver (tests/backends/fake_ze.c).
 *
 * At init one device (--device: N, or a name substring), one context, one
 * command queue per QoS class on the device's compute queue group, with
 * Level Zero's queue priorities: RT high, BACKGROUND low, HIGH and NORMAL
 * normal. Each slot has one command list, reset and reused per job, and
 * two events of a host-visible kernel-timestamp pool: the kernel's (its
 * device time, from zeEventQueryKernelTimestamp) and the job's last
 * command's. Level Zero has no completion callback: one waiter thread per
 * slot blocks in zeEventHostSynchronize (at most ZE_WAIT_NS at a time, so
 * that shutdown is never held up) and marks the slot finished
 * (bridge_sched_complete), which wakes poll().
 *
 * Kernels are SPIR-V compiled at build time from the models' OpenCL C
 * (models/<name>/<name>.spv, installed next to the model, or in the build
 * tree; [backend.level_zero] spirv names another file); without one the
 * model is refused with the places looked in. Weights are uploaded once
 * per model, device buffers allocated once per model and slot, host
 * staging (zeMemAllocHost) once per slot. Submit, start, unwind and
 * finish are the job skeleton of jobq.c; what is Level Zero here are the
 * hooks of bridge_sched_hooks_t.
 *
 * QoS as in the OpenCL backend: strict dispatch by class, one slot kept
 * for RT, no job dispatched while a more urgent one is on the device
 * unless ZENEDGE_QOS_OVERLAP=1 leaves the arbitration to the queue
 * priorities, and BACKGROUND jobs go to the device one at a time (a
 * command list once executed cannot be taken back).
 */
#include <dlfcn.h>
#include <errno.h>
#include <level_zero/ze_api.h>
#include <level_zero/ze_ddi.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bridge_errors.h"
#include "backend.h"
#include "jobq.h"
#include "zl.h"

#define ZE_SLOTS_MAX  4u
#define ZE_SPIRV_MAX  (1u << 20)
#define ZE_DEV_MAX    32u
#define ZE_DRV_MAX    8u
#define ZE_GROUPS_MAX 16u
#define ZE_WAIT_NS    100000000ull  /* a waiter looks at its stop flag at least this often */
#define ZE_DRAIN_NS   5000000000ull /* bound on a queue drain (unwind, upload, shutdown) */

/* ---- the loader, opened once ------------------------------------------- */

static struct ze_api {
    int tried, ok;
    void *lib;
    char why[384];
    ze_pfnInit_t Init;
    ze_pfnDriverGet_t DriverGet;
    ze_pfnDriverGetProperties_t DriverGetProperties;
    ze_pfnDriverGetApiVersion_t DriverGetApiVersion;
    ze_pfnDeviceGet_t DeviceGet;
    ze_pfnDeviceGetProperties_t DeviceGetProperties;
    ze_pfnDeviceGetComputeProperties_t DeviceGetComputeProperties;
    ze_pfnDeviceGetCommandQueueGroupProperties_t DeviceGetCommandQueueGroupProperties;
    ze_pfnContextCreate_t ContextCreate;
    ze_pfnContextDestroy_t ContextDestroy;
    ze_pfnCommandQueueCreate_t CommandQueueCreate;
    ze_pfnCommandQueueDestroy_t CommandQueueDestroy;
    ze_pfnCommandQueueExecuteCommandLists_t CommandQueueExecuteCommandLists;
    ze_pfnCommandQueueSynchronize_t CommandQueueSynchronize;
    ze_pfnCommandListCreate_t CommandListCreate;
    ze_pfnCommandListDestroy_t CommandListDestroy;
    ze_pfnCommandListClose_t CommandListClose;
    ze_pfnCommandListReset_t CommandListReset;
    ze_pfnCommandListAppendBarrier_t CommandListAppendBarrier;
    ze_pfnCommandListAppendMemoryCopy_t CommandListAppendMemoryCopy;
    ze_pfnCommandListAppendLaunchKernel_t CommandListAppendLaunchKernel;
    ze_pfnModuleCreate_t ModuleCreate;
    ze_pfnModuleDestroy_t ModuleDestroy;
    ze_pfnModuleBuildLogGetString_t ModuleBuildLogGetString;
    ze_pfnModuleBuildLogDestroy_t ModuleBuildLogDestroy;
    ze_pfnKernelCreate_t KernelCreate;
    ze_pfnKernelDestroy_t KernelDestroy;
    ze_pfnKernelSetArgumentValue_t KernelSetArgumentValue;
    ze_pfnKernelSetGroupSize_t KernelSetGroupSize;
    ze_pfnEventPoolCreate_t EventPoolCreate;
    ze_pfnEventPoolDestroy_t EventPoolDestroy;
    ze_pfnEventCreate_t EventCreate;
    ze_pfnEventDestroy_t EventDestroy;
    ze_pfnEventHostSynchronize_t EventHostSynchronize;
    ze_pfnEventHostReset_t EventHostReset;
    ze_pfnEventQueryKernelTimestamp_t EventQueryKernelTimestamp;
    ze_pfnMemAllocDevice_t MemAllocDevice;
    ze_pfnMemAllocHost_t MemAllocHost;
    ze_pfnMemFree_t MemFree;
} ze;

#define ZE_FN(f)                            \
    {                                       \
        "ze" #f, offsetof(struct ze_api, f) \
    }
static const struct {
    const char *name;
    size_t off;
} ze_fns[] = {
    ZE_FN(Init),
    ZE_FN(DriverGet),
    ZE_FN(DriverGetProperties),
    ZE_FN(DriverGetApiVersion),
    ZE_FN(DeviceGet),
    ZE_FN(DeviceGetProperties),
    ZE_FN(DeviceGetComputeProperties),
    ZE_FN(DeviceGetCommandQueueGroupProperties),
    ZE_FN(ContextCreate),
    ZE_FN(ContextDestroy),
    ZE_FN(CommandQueueCreate),
    ZE_FN(CommandQueueDestroy),
    ZE_FN(CommandQueueExecuteCommandLists),
    ZE_FN(CommandQueueSynchronize),
    ZE_FN(CommandListCreate),
    ZE_FN(CommandListDestroy),
    ZE_FN(CommandListClose),
    ZE_FN(CommandListReset),
    ZE_FN(CommandListAppendBarrier),
    ZE_FN(CommandListAppendMemoryCopy),
    ZE_FN(CommandListAppendLaunchKernel),
    ZE_FN(ModuleCreate),
    ZE_FN(ModuleDestroy),
    ZE_FN(ModuleBuildLogGetString),
    ZE_FN(ModuleBuildLogDestroy),
    ZE_FN(KernelCreate),
    ZE_FN(KernelDestroy),
    ZE_FN(KernelSetArgumentValue),
    ZE_FN(KernelSetGroupSize),
    ZE_FN(EventPoolCreate),
    ZE_FN(EventPoolDestroy),
    ZE_FN(EventCreate),
    ZE_FN(EventDestroy),
    ZE_FN(EventHostSynchronize),
    ZE_FN(EventHostReset),
    ZE_FN(EventQueryKernelTimestamp),
    ZE_FN(MemAllocDevice),
    ZE_FN(MemAllocHost),
    ZE_FN(MemFree),
};

static const char *ze_errname(int code)
{
    switch ((ze_result_t)code) {
    case ZE_RESULT_SUCCESS: return "ZE_RESULT_SUCCESS";
    case ZE_RESULT_NOT_READY: return "ZE_RESULT_NOT_READY";
    case ZE_RESULT_ERROR_DEVICE_LOST: return "ZE_RESULT_ERROR_DEVICE_LOST";
    case ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY: return "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY";
    case ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY: return "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY";
    case ZE_RESULT_ERROR_MODULE_BUILD_FAILURE: return "ZE_RESULT_ERROR_MODULE_BUILD_FAILURE";
    case ZE_RESULT_ERROR_UNINITIALIZED: return "ZE_RESULT_ERROR_UNINITIALIZED";
    case ZE_RESULT_ERROR_UNSUPPORTED_VERSION: return "ZE_RESULT_ERROR_UNSUPPORTED_VERSION";
    case ZE_RESULT_ERROR_UNSUPPORTED_FEATURE: return "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE";
    case ZE_RESULT_ERROR_INVALID_ARGUMENT: return "ZE_RESULT_ERROR_INVALID_ARGUMENT";
    case ZE_RESULT_ERROR_INVALID_NULL_HANDLE: return "ZE_RESULT_ERROR_INVALID_NULL_HANDLE";
    case ZE_RESULT_ERROR_INVALID_NULL_POINTER: return "ZE_RESULT_ERROR_INVALID_NULL_POINTER";
    case ZE_RESULT_ERROR_INVALID_SIZE: return "ZE_RESULT_ERROR_INVALID_SIZE";
    case ZE_RESULT_ERROR_INVALID_ENUMERATION: return "ZE_RESULT_ERROR_INVALID_ENUMERATION";
    case ZE_RESULT_ERROR_INVALID_NATIVE_BINARY: return "ZE_RESULT_ERROR_INVALID_NATIVE_BINARY";
    case ZE_RESULT_ERROR_INVALID_KERNEL_NAME: return "ZE_RESULT_ERROR_INVALID_KERNEL_NAME";
    case ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX: return "ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX";
    case ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE: return "ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE";
    case ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION: return "ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION";
    default: return "ZE_RESULT_ERROR";
    }
}

/*
 * Open the loader and initialise it once. Returns 0, or -1 with ze.why
 * set to the one line the daemon prints (no loader, not a loader, no
 * driver).
 */
static int ze_load(void)
{
    if (ze.tried)
        return ze.ok ? 0 : -1;
    ze.tried = 1;
    const char *name = getenv("ZENEDGE_ZE_LIBRARY");
    if (name == NULL || name[0] == '\0')
        name = "libze_loader.so.1";
    if (strcmp(name, "none") == 0) {
        bridge_why(ze.why, sizeof(ze.why),
                   "Level Zero: libze_loader.so.1 not found (no oneAPI Level Zero loader): disabled by "
                   "ZENEDGE_ZE_LIBRARY=none");
        return -1;
    }
    ze.lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (ze.lib == NULL) {
        const char *e = dlerror();
        bridge_why(ze.why, sizeof(ze.why), "Level Zero: %s not found (no oneAPI Level Zero loader; Debian: libze1): %s",
                   name, e ? e : "dlopen failed");
        return -1;
    }
    for (size_t i = 0; i < sizeof(ze_fns) / sizeof(ze_fns[0]); i++) {
        void *p = dlsym(ze.lib, ze_fns[i].name);
        if (p == NULL) {
            bridge_why(ze.why, sizeof(ze.why), "Level Zero: %s is not a usable loader: missing symbol %s", name,
                       ze_fns[i].name);
            dlclose(ze.lib);
            ze.lib = NULL;
            return -1;
        }
        memcpy((char *)&ze + ze_fns[i].off, &p, sizeof(p));
    }
    /* The loader stays open from here on: it may have started threads. */
    ze_result_t r = ze.Init(0);
    if (r != ZE_RESULT_SUCCESS) {
        bridge_why(ze.why, sizeof(ze.why),
                   "Level Zero: loader %s present but zeInit failed: %s (0x%x): no Level Zero driver (Intel GPU: "
                   "intel-level-zero-gpu, NPU: intel-level-zero-npu)",
                   name, ze_errname((int)r), (unsigned)r);
        return -1;
    }
    ze.ok = 1;
    return 0;
}

/* ---- devices -------------------------------------------------------------- */

typedef struct ze_devlist {
    uint32_t n;
    ze_driver_handle_t drv[ZE_DEV_MAX];
    ze_device_handle_t dev[ZE_DEV_MAX];
    uint32_t drv_idx[ZE_DEV_MAX];
} ze_devlist_t;

/* Every device of every driver, up to ZE_DEV_MAX: BRIDGE_OK, or
 * BRIDGE_E_NO_DEVICE with why[] set. */
static int ze_enumerate(ze_devlist_t *l, char *why, size_t whylen)
{
    memset(l, 0, sizeof(*l));
    if (ze_load() != 0) {
        bridge_why(why, whylen, "%s", ze.why);
        return BRIDGE_E_NO_DEVICE;
    }
    ze_driver_handle_t drv[ZE_DRV_MAX];
    uint32_t nd = 0;
    ze_result_t r = ze.DriverGet(&nd, NULL);
    if (r == ZE_RESULT_SUCCESS && nd > 0) {
        nd = nd < ZE_DRV_MAX ? nd : ZE_DRV_MAX;
        r = ze.DriverGet(&nd, drv);
    }
    if (r != ZE_RESULT_SUCCESS || nd == 0) {
        bridge_why(why, whylen, "Level Zero: no driver (zeDriverGet: %s, count %u)", ze_errname((int)r), nd);
        return BRIDGE_E_NO_DEVICE;
    }
    for (uint32_t d = 0; d < nd && l->n < ZE_DEV_MAX; d++) {
        uint32_t n = ZE_DEV_MAX - l->n;
        if (ze.DeviceGet(drv[d], &n, l->dev + l->n) != ZE_RESULT_SUCCESS)
            continue;
        for (uint32_t i = 0; i < n; i++) {
            l->drv[l->n + i] = drv[d];
            l->drv_idx[l->n + i] = d;
        }
        l->n += n;
    }
    if (l->n == 0) {
        bridge_why(why, whylen, "Level Zero: %u driver(s), no device", nd);
        return BRIDGE_E_NO_DEVICE;
    }
    return BRIDGE_OK;
}

static const char *ze_type_name(ze_device_type_t t)
{
    switch (t) {
    case ZE_DEVICE_TYPE_GPU: return "GPU";
    case ZE_DEVICE_TYPE_CPU: return "CPU";
    case ZE_DEVICE_TYPE_FPGA: return "FPGA";
    case ZE_DEVICE_TYPE_MCA: return "MCA";
    case ZE_DEVICE_TYPE_VPU: return "NPU";
    default: return "device";
    }
}

static void ze_dev_props(ze_device_handle_t dev, ze_device_properties_t *p)
{
    memset(p, 0, sizeof(*p));
    p->stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
    if (ze.DeviceGetProperties(dev, p) != ZE_RESULT_SUCCESS)
        snprintf(p->name, sizeof(p->name), "?");
    p->name[sizeof(p->name) - 1] = '\0';
}

static int ze_probe(bridge_device_info_t *devs, int max, char *why, size_t whylen)
{
    ze_devlist_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return BRIDGE_E_NOMEM;
    int rc = ze_enumerate(l, why, whylen);
    if (rc != BRIDGE_OK) {
        free(l);
        return rc;
    }
    for (uint32_t i = 0; devs && i < l->n && (int)i < max; i++) {
        ze_device_properties_t p;
        ze_driver_properties_t dp;
        ze_api_version_t api = ZE_API_VERSION_1_0;
        memset(&dp, 0, sizeof(dp));
        dp.stype = ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES;
        ze.DriverGetProperties(l->drv[i], &dp);
        ze.DriverGetApiVersion(l->drv[i], &api);
        ze_dev_props(l->dev[i], &p);
        memset(&devs[i], 0, sizeof(devs[i]));
        snprintf(devs[i].backend, sizeof(devs[i].backend), "level_zero");
        snprintf(devs[i].platform, sizeof(devs[i].platform), "Level Zero driver %u (version 0x%x, API %u.%u)",
                 l->drv_idx[i], dp.driverVersion, ZE_MAJOR_VERSION(api), ZE_MINOR_VERSION(api));
        snprintf(devs[i].device, sizeof(devs[i].device), "%u:%.80s (%s, %u EUs)", i, p.name, ze_type_name(p.type),
                 p.numSlices * p.numSubslicesPerSlice * p.numEUsPerSubslice);
        devs[i].index = (int)i;
    }
    int n = (int)l->n;
    free(l);
    return n;
}

/* Device choice: NULL or "" the first GPU, else the first device; "N"
 * the N-th of probe's list; else a case-insensitive substring of the
 * device name. The index, or -1 when none matches. */
static int ze_choose(const ze_devlist_t *l, const char *spec)
{
    int digits = spec && spec[0] != '\0';
    for (const char *c = spec; digits && *c; c++)
        digits = *c >= '0' && *c <= '9';
    if (digits) {
        unsigned long i = strtoul(spec, NULL, 10);
        return i < l->n ? (int)i : -1;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        ze_device_properties_t p;
        ze_dev_props(l->dev[i], &p);
        if (spec == NULL || spec[0] == '\0' ? p.type == ZE_DEVICE_TYPE_GPU : strcasestr(p.name, spec) != NULL)
            return (int)i;
    }
    return spec == NULL || spec[0] == '\0' ? 0 : -1;
}

/* ---- state ------------------------------------------------------------------ */

typedef struct ze_model {
    bridge_sched_model_t hdr; /* model, kernel, sizes: the skeleton's */
    ze_module_handle_t mod;
    ze_kernel_handle_t kern;
    void *w[4]; /* mlp: w1 b1 w2 b2, device memory */
    void *in[ZE_SLOTS_MAX][IPC_MAX_TENSORS];
    void *out[ZE_SLOTS_MAX];
    ze_group_count_t groups;
} ze_model_t;

struct ze_state;

typedef struct ze_slot {
    bridge_slot_t hdr; /* job, completion, staging (host USM): the skeleton's */
    struct ze_state *owner;
    ze_command_list_handle_t list;
    ze_event_handle_t ev_kernel, ev_done;
    pthread_t waiter;
    int waiter_up;
    int armed; /* under owner->wlock: a job's ev_done is to be waited for */
} ze_slot_t;

typedef struct ze_state {
    bridge_sched_t sched; /* first: the shared ops find it at be->priv (jobq.h) */
    ze_driver_handle_t drv;
    ze_device_handle_t dev;
    ze_context_handle_t ctx;
    uint32_t ordinal; /* the compute queue group */
    ze_command_queue_handle_t q[IPC_QOS_COUNT];
    ze_event_pool_handle_t pool;
    uint64_t timer_ns; /* ns per device timer tick */
    uint32_t ts_bits;  /* valid bits of a kernel timestamp */
    uint32_t max_group;
    char dev_name[ZE_MAX_DEVICE_NAME];
    ze_slot_t slots[ZE_SLOTS_MAX];
    pthread_mutex_t wlock; /* the slots' armed flags, stop */
    pthread_cond_t wcond;  /* a slot was armed, or stop */
    int stop, wlock_up, sched_up;
} ze_state_t;

static const bridge_sched_hooks_t ze_hooks;

/* ---- init / shutdown ---------------------------------------------------------- */

static int ze_stop_seen(ze_state_t *s)
{
    pthread_mutex_lock(&s->wlock);
    int st = s->stop;
    pthread_mutex_unlock(&s->wlock);
    return st;
}

/* One per slot: wait for the armed job's last command, then hand the
 * slot back to the skeleton. Ends at stop (a job still armed then is
 * never completed: shutdown comes after poll drained every job). */
static void *ze_waiter(void *arg)
{
    ze_slot_t *sl = arg;
    ze_state_t *s = sl->owner;
    pthread_mutex_lock(&s->wlock);
    for (;;) {
        while (!sl->armed && !s->stop)
            pthread_cond_wait(&s->wcond, &s->wlock);
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->wlock);
        ze_result_t r;
        do
            r = ze.EventHostSynchronize(sl->ev_done, ZE_WAIT_NS);
        while (r == ZE_RESULT_NOT_READY && !ze_stop_seen(s));
        pthread_mutex_lock(&s->wlock);
        if (r == ZE_RESULT_NOT_READY)
            break;
        sl->armed = 0;
        pthread_mutex_unlock(&s->wlock);
        bridge_sched_complete(&s->sched, &sl->hdr, r == ZE_RESULT_SUCCESS ? 0 : (int)r);
        pthread_mutex_lock(&s->wlock);
    }
    pthread_mutex_unlock(&s->wlock);
    return NULL;
}

/* What the device can do, its compute queue group and the context:
 * BRIDGE_OK, or BRIDGE_E_BACKEND (said on stderr). */
static int ze_context(ze_state_t *s)
{
    ze_device_properties_t p;
    ze_dev_props(s->dev, &p);
    snprintf(s->dev_name, sizeof(s->dev_name), "%s", p.name);
    s->timer_ns = p.timerResolution ? p.timerResolution : 1;
    s->ts_bits = p.kernelTimestampValidBits ? p.kernelTimestampValidBits : 64;
    ze_device_compute_properties_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.stype = ZE_STRUCTURE_TYPE_DEVICE_COMPUTE_PROPERTIES;
    ze.DeviceGetComputeProperties(s->dev, &cp);
    s->max_group = cp.maxTotalGroupSize ? cp.maxTotalGroupSize : 1;
    ze_command_queue_group_properties_t g[ZE_GROUPS_MAX];
    uint32_t ng = ZE_GROUPS_MAX;
    memset(g, 0, sizeof(g));
    for (uint32_t i = 0; i < ZE_GROUPS_MAX; i++)
        g[i].stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES;
    ze_result_t r = ze.DeviceGetCommandQueueGroupProperties(s->dev, &ng, g);
    s->ordinal = UINT32_MAX;
    for (uint32_t i = 0; r == ZE_RESULT_SUCCESS && i < ng && i < ZE_GROUPS_MAX && s->ordinal == UINT32_MAX; i++)
        if (g[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE)
            s->ordinal = i;
    if (s->ordinal == UINT32_MAX) {
        fprintf(stderr, "Level Zero: '%s' has no compute queue group (%s)\n", s->dev_name, ze_errname((int)r));
        return BRIDGE_E_BACKEND;
    }
    ze_context_desc_t cd = {.stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC};
    r = ze.ContextCreate(s->drv, &cd, &s->ctx);
    if (r != ZE_RESULT_SUCCESS) {
        s->ctx = NULL;
        fprintf(stderr, "Level Zero: zeContextCreate on '%s': %s (0x%x)\n", s->dev_name, ze_errname((int)r),
                (unsigned)r);
        return BRIDGE_E_BACKEND;
    }
    return BRIDGE_OK;
}

/* The queue priority of QoS class c. */
static ze_command_queue_priority_t ze_prio(uint32_t c)
{
    return c == IPC_QOS_RT           ? ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_HIGH
           : c == IPC_QOS_BACKGROUND ? ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_LOW
                                     : ZE_COMMAND_QUEUE_PRIORITY_NORMAL;
}

/* One queue per class, then per slot a command list and two events:
 * BRIDGE_OK or BRIDGE_E_BACKEND (said on stderr). */
static int ze_queues(ze_state_t *s)
{
    ze_result_t r = ZE_RESULT_SUCCESS;
    const char *what = "zeCommandQueueCreate";
    for (uint32_t c = 0; c < IPC_QOS_COUNT && r == ZE_RESULT_SUCCESS; c++) {
        ze_command_queue_desc_t qd = {.stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
                                      .ordinal = s->ordinal,
                                      .mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
                                      .priority = ze_prio(c)};
        r = ze.CommandQueueCreate(s->ctx, s->dev, &qd, &s->q[c]);
        if (r != ZE_RESULT_SUCCESS)
            s->q[c] = NULL;
    }
    if (r == ZE_RESULT_SUCCESS) {
        what = "zeEventPoolCreate";
        ze_event_pool_desc_t pd = {.stype = ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
                                   .flags = ZE_EVENT_POOL_FLAG_HOST_VISIBLE | ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP,
                                   .count = 2u * s->sched.n_slots};
        r = ze.EventPoolCreate(s->ctx, &pd, 1, &s->dev, &s->pool);
        if (r != ZE_RESULT_SUCCESS)
            s->pool = NULL;
    }
    for (uint32_t i = 0; i < s->sched.n_slots && r == ZE_RESULT_SUCCESS; i++) {
        ze_slot_t *sl = &s->slots[i];
        ze_command_list_desc_t ld = {.stype = ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC,
                                     .commandQueueGroupOrdinal = s->ordinal};
        what = "zeCommandListCreate";
        r = ze.CommandListCreate(s->ctx, s->dev, &ld, &sl->list);
        ze_event_desc_t ed = {.stype = ZE_STRUCTURE_TYPE_EVENT_DESC,
                              .index = 2u * i,
                              .signal = ZE_EVENT_SCOPE_FLAG_HOST,
                              .wait = ZE_EVENT_SCOPE_FLAG_HOST};
        what = "zeEventCreate";
        if (r == ZE_RESULT_SUCCESS)
            r = ze.EventCreate(s->pool, &ed, &sl->ev_kernel);
        ed.index++;
        if (r == ZE_RESULT_SUCCESS)
            r = ze.EventCreate(s->pool, &ed, &sl->ev_done);
    }
    if (r != ZE_RESULT_SUCCESS) {
        fprintf(stderr, "Level Zero: %s on '%s': %s (0x%x)\n", what, s->dev_name, ze_errname((int)r), (unsigned)r);
        return BRIDGE_E_BACKEND;
    }
    return BRIDGE_OK;
}

/* The waiter threads: BRIDGE_OK or BRIDGE_E_NOMEM. */
static int ze_waiters(ze_state_t *s)
{
    if (pthread_mutex_init(&s->wlock, NULL) != 0)
        return BRIDGE_E_NOMEM;
    if (pthread_cond_init(&s->wcond, NULL) != 0) {
        pthread_mutex_destroy(&s->wlock);
        return BRIDGE_E_NOMEM;
    }
    s->wlock_up = 1;
    for (uint32_t i = 0; i < s->sched.n_slots; i++) {
        if (pthread_create(&s->slots[i].waiter, NULL, ze_waiter, &s->slots[i]) != 0) {
            fprintf(stderr, "Level Zero: cannot start a waiter thread: %s\n", strerror(errno));
            return BRIDGE_E_NOMEM;
        }
        s->slots[i].waiter_up = 1;
    }
    return BRIDGE_OK;
}

static void ze_shutdown(bridge_backend_t *be);

static int ze_init(bridge_backend_t *be, const bridge_backend_config_t *cfg)
{
    if (be == NULL)
        return BRIDGE_E_INVAL;
    char why[384] = "";
    ze_devlist_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return BRIDGE_E_NOMEM;
    int rc = ze_enumerate(l, why, sizeof(why));
    int pick = rc == BRIDGE_OK ? ze_choose(l, cfg ? cfg->device : NULL) : -1;
    if (rc == BRIDGE_OK && pick < 0) {
        fprintf(stderr, "Level Zero: no device matches '%s' (see --list-devices; forms: N, NAME)\n", cfg->device);
        rc = BRIDGE_E_NO_DEVICE;
    } else if (rc != BRIDGE_OK) {
        fprintf(stderr, "%s\n", why);
    }
    ze_state_t *s = rc == BRIDGE_OK ? calloc(1, sizeof(*s)) : NULL;
    if (rc == BRIDGE_OK && s == NULL)
        rc = BRIDGE_E_NOMEM;
    if (rc != BRIDGE_OK) {
        free(l);
        return rc;
    }
    s->drv = l->drv[pick];
    s->dev = l->dev[pick];
    free(l);
    for (uint32_t i = 0; i < ZE_SLOTS_MAX; i++)
        s->slots[i].owner = s;
    be->priv = s;
    rc = bridge_sched_init(&s->sched, cfg, s->slots, sizeof(s->slots[0]), ZE_SLOTS_MAX, s, &ze_hooks);
    if (rc == BRIDGE_OK) {
        s->sched_up = 1;
        /* Queues have priorities: ZENEDGE_QOS_OVERLAP=1 may lift the barrier. */
        bridge_sched_qos_policy(&s->sched, 1);
        /* An executed command list cannot be taken back: BACKGROUND one at a time. */
        bridge_sched_rt_policy(&s->sched, 1, 0);
        rc = ze_context(s);
    }
    if (rc == BRIDGE_OK)
        rc = ze_queues(s);
    if (rc == BRIDGE_OK)
        rc = ze_waiters(s);
    if (rc != BRIDGE_OK) {
        ze_shutdown(be);
        return rc;
    }
    fprintf(stderr,
            "Level Zero: '%s', compute queue group %u: queue priorities RT high, HIGH and NORMAL normal, "
            "BACKGROUND low; %u slots\n",
            s->dev_name, s->ordinal, s->sched.n_slots);
    return BRIDGE_OK;
}

static void ze_free_model(ze_state_t *s, ze_model_t *om)
{
    if (om == NULL)
        return;
    for (uint32_t i = 0; i < 4; i++)
        if (om->w[i])
            ze.MemFree(s->ctx, om->w[i]);
    for (uint32_t sl = 0; sl < ZE_SLOTS_MAX; sl++) {
        for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++)
            if (om->in[sl][i])
                ze.MemFree(s->ctx, om->in[sl][i]);
        if (om->out[sl])
            ze.MemFree(s->ctx, om->out[sl]);
    }
    if (om->kern)
        ze.KernelDestroy(om->kern);
    if (om->mod)
        ze.ModuleDestroy(om->mod);
    free(om);
}

/* Stop and join the waiters. */
static void ze_stop_waiters(ze_state_t *s)
{
    if (!s->wlock_up)
        return;
    pthread_mutex_lock(&s->wlock);
    s->stop = 1;
    pthread_cond_broadcast(&s->wcond);
    pthread_mutex_unlock(&s->wlock);
    for (uint32_t i = 0; i < ZE_SLOTS_MAX; i++)
        if (s->slots[i].waiter_up)
            pthread_join(s->slots[i].waiter, NULL);
    pthread_cond_destroy(&s->wcond);
    pthread_mutex_destroy(&s->wlock);
    s->wlock_up = 0;
}

static void ze_shutdown(bridge_backend_t *be)
{
    ze_state_t *s = be ? be->priv : NULL;
    if (s == NULL)
        return;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->q[c])
            ze.CommandQueueSynchronize(s->q[c], ZE_DRAIN_NS);
    ze_stop_waiters(s);
    for (uint32_t i = 0; i < ZE_SLOTS_MAX; i++) {
        ze_slot_t *sl = &s->slots[i];
        if (sl->ev_kernel)
            ze.EventDestroy(sl->ev_kernel);
        if (sl->ev_done)
            ze.EventDestroy(sl->ev_done);
        if (sl->list)
            ze.CommandListDestroy(sl->list);
    }
    if (s->pool)
        ze.EventPoolDestroy(s->pool);
    for (uint32_t i = 0; i < s->sched.n_models; i++)
        ze_free_model(s, (ze_model_t *)s->sched.model[i]);
    /* The host staging goes with the scheduler, while the context lives. */
    if (s->sched_up)
        bridge_sched_destroy(&s->sched);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->q[c])
            ze.CommandQueueDestroy(s->q[c]);
    if (s->ctx)
        ze.ContextDestroy(s->ctx);
    free(s);
    be->priv = NULL;
}

/* ---- load_model ------------------------------------------------------------ */

static int plain_name(const char *s)
{
    return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL;
}

/* The model's SPIR-V: next to the manifest (installed), else in the build
 * tree; NULL (*len 0) if neither holds a regular file of 1 to
 * ZE_SPIRV_MAX bytes. looked[] lists where it looked. */
static unsigned char *ze_find_spirv(const bridge_model_t *m, const char *file, size_t *len, char *looked,
                                    size_t looklen)
{
    char path[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX + 8];
    snprintf(path, sizeof(path), "%s/%s", m->dir, file);
    bridge_why(looked, looklen, "%s", path);
    unsigned char *bin = zl_read_file(path, ZE_SPIRV_MAX, len, NULL);
#ifdef ZENEDGE_SPIRV_BUILD_DIR
    if (bin == NULL || *len == 0) {
        free(bin);
        const char *base = strrchr(m->dir, '/');
        base = base ? base + 1 : m->dir;
        bridge_why(path, sizeof(path), "%s/%s/%s", ZENEDGE_SPIRV_BUILD_DIR, base, file);
        size_t l = strlen(looked);
        bridge_why(looked + l, looklen - l, ", %s", path);
        bin = zl_read_file(path, ZE_SPIRV_MAX, len, NULL);
    }
#endif
    if (bin != NULL && *len == 0) {
        free(bin);
        bin = NULL;
    }
    return bin;
}

/* The driver's build log of a refused module, on one line, into log[]. */
static void ze_build_log(ze_module_build_log_handle_t bl, char *log, size_t len)
{
    log[0] = '\0';
    if (bl == NULL)
        return;
    size_t n = 0;
    if (ze.ModuleBuildLogGetString(bl, &n, NULL) == ZE_RESULT_SUCCESS && n > 0) {
        char *full = malloc(n + 1);
        if (full && ze.ModuleBuildLogGetString(bl, &n, full) == ZE_RESULT_SUCCESS) {
            full[n] = '\0';
            snprintf(log, len, "%s", full);
        }
        free(full);
    }
    ze.ModuleBuildLogDestroy(bl);
    for (char *c = log; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

/* Module from the SPIR-V and kernel kname in it: BRIDGE_OK, or
 * BRIDGE_E_UNSUPPORTED with why[] set. */
static int ze_module(ze_state_t *s, ze_model_t *om, const char *kname, char *why, size_t whylen)
{
    const bridge_model_t *m = om->hdr.m;
    char file[BRIDGE_FILE_MAX + 8], looked[2 * BRIDGE_PATH_MAX], log[320];
    const char *o = bridge_model_opt(m, "level_zero", "spirv");
    snprintf(file, sizeof(file), o ? "%s" : "%s.spv", o ? o : m->name);
    if (!plain_name(file)) {
        bridge_why(why, whylen, "%s: [backend.level_zero] spirv: '%s' must be a file name in the model folder",
                   m->manifest, file);
        return BRIDGE_E_UNSUPPORTED;
    }
    size_t len = 0;
    unsigned char *bin = ze_find_spirv(m, file, &len, looked, sizeof(looked));
    if (bin == NULL) {
        bridge_why(why, whylen,
                   "%s: no Level Zero kernel: no SPIR-V '%s' (looked in %s; built from the model's OpenCL C when "
                   "clang and llvm-spirv are present at build time)",
                   m->manifest, file, looked);
        return BRIDGE_E_UNSUPPORTED;
    }
    ze_module_desc_t md = {.stype = ZE_STRUCTURE_TYPE_MODULE_DESC,
                           .format = ZE_MODULE_FORMAT_IL_SPIRV,
                           .inputSize = len,
                           .pInputModule = bin,
                           .pBuildFlags = ""};
    ze_module_build_log_handle_t bl = NULL;
    ze_result_t r = ze.ModuleCreate(s->ctx, s->dev, &md, &om->mod, &bl);
    free(bin);
    if (r != ZE_RESULT_SUCCESS) {
        om->mod = NULL;
        ze_build_log(bl, log, sizeof(log));
        bridge_why(why, whylen, "%s: SPIR-V %s refused by the driver: %s (0x%x): %.200s", m->manifest, file,
                   ze_errname((int)r), (unsigned)r, log);
        return BRIDGE_E_UNSUPPORTED;
    }
    if (bl)
        ze.ModuleBuildLogDestroy(bl);
    ze_kernel_desc_t kd = {.stype = ZE_STRUCTURE_TYPE_KERNEL_DESC, .pKernelName = kname};
    r = ze.KernelCreate(om->mod, &kd, &om->kern);
    if (r != ZE_RESULT_SUCCESS) {
        om->kern = NULL;
        bridge_why(why, whylen, "%s: no kernel '%s' in %s: %s (0x%x)", m->manifest, kname, file, ze_errname((int)r),
                   (unsigned)r);
        return BRIDGE_E_UNSUPPORTED;
    }
    return BRIDGE_OK;
}

static uint32_t div_up(uint32_t a, uint32_t b)
{
    return (a + b - 1) / b;
}

/* Group size and count of the kernel on this device: BRIDGE_OK, or
 * BRIDGE_E_UNSUPPORTED when the MLP's one group does not fit,
 * BRIDGE_E_BACKEND when the driver refuses the group size. */
static int ze_geometry(ze_state_t *s, ze_model_t *om, char *why, size_t whylen)
{
    const bridge_sched_model_t *h = &om->hdr;
    uint32_t gx = 1, gy = 1;
    om->groups.groupCountY = om->groups.groupCountZ = 1;
    switch (h->kind) {
    case BRIDGE_K_VECTOR_ADD_I32:
    case BRIDGE_K_SAXPY_F32:
        gx = s->max_group < 64 ? s->max_group : 64;
        om->groups.groupCountX = div_up(h->d0, gx);
        break;
    case BRIDGE_K_GEMM_F32:
        gx = gy = s->max_group >= 64 ? 8 : 1;
        om->groups.groupCountX = div_up(h->d2, gx);
        om->groups.groupCountY = div_up(h->d0, gy);
        break;
    case BRIDGE_K_MLP_RELU_F32:
        gx = h->d1 > h->d2 ? h->d1 : h->d2;
        if (gx > s->max_group) {
            bridge_why(why, whylen, "%s: mlp needs one group of %u work-items, device allows %u", h->m->manifest, gx,
                       s->max_group);
            return BRIDGE_E_UNSUPPORTED;
        }
        om->groups.groupCountX = 1;
        break;
    default: break;
    }
    ze_result_t r = ze.KernelSetGroupSize(om->kern, gx, gy, 1);
    if (r != ZE_RESULT_SUCCESS) {
        bridge_why(why, whylen, "%s: zeKernelSetGroupSize(%u, %u, 1): %s (0x%x)", h->m->manifest, gx, gy,
                   ze_errname((int)r), (unsigned)r);
        return BRIDGE_E_BACKEND;
    }
    return BRIDGE_OK;
}

/* Device memory of bytes into *p: ZE_RESULT_SUCCESS or the driver's code. */
static ze_result_t ze_dev_alloc(ze_state_t *s, size_t bytes, void **p)
{
    ze_device_mem_alloc_desc_t d = {.stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC};
    ze_result_t r = ze.MemAllocDevice(s->ctx, &d, bytes, 64, s->dev, p);
    if (r != ZE_RESULT_SUCCESS)
        *p = NULL;
    return r;
}

/* The MLP's weights: device memory filled from the registry's copy with
 * slot 0's command list on the NORMAL queue, waited for. */
static ze_result_t ze_upload_weights(ze_state_t *s, ze_model_t *om, const char **what)
{
    static const char *const wn[4] = {"w1", "b1", "w2", "b2"};
    const bridge_model_t *m = om->hdr.m;
    ze_command_list_handle_t cl = s->slots[0].list;
    ze_result_t r = ze.CommandListReset(cl);
    for (uint32_t i = 0; i < 4 && r == ZE_RESULT_SUCCESS; i++) {
        const bridge_weight_t *w = bridge_model_weight(m, wn[i]);
        *what = wn[i];
        r = ze_dev_alloc(s, w->spec.bytes, &om->w[i]);
        if (r == ZE_RESULT_SUCCESS)
            r = ze.CommandListAppendMemoryCopy(cl, om->w[i], w->data, w->spec.bytes, NULL, 0, NULL);
    }
    *what = "upload";
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandListClose(cl);
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandQueueExecuteCommandLists(s->q[IPC_QOS_NORMAL], 1, &cl, NULL);
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandQueueSynchronize(s->q[IPC_QOS_NORMAL], ZE_DRAIN_NS);
    return r;
}

/* Weights (the MLP's) and every slot's device input and output buffers:
 * BRIDGE_OK or BRIDGE_E_BACKEND with why[] set. */
static int ze_buffers(ze_state_t *s, ze_model_t *om, char *why, size_t whylen)
{
    const bridge_model_t *m = om->hdr.m;
    ze_result_t r = ZE_RESULT_SUCCESS;
    const char *what = "buffers";
    if (om->hdr.kind == BRIDGE_K_MLP_RELU_F32)
        r = ze_upload_weights(s, om, &what);
    if (r == ZE_RESULT_SUCCESS)
        what = "device buffers";
    for (uint32_t sl = 0; sl < s->sched.n_slots && r == ZE_RESULT_SUCCESS; sl++) {
        for (uint32_t i = 0; i < m->n_in && r == ZE_RESULT_SUCCESS; i++)
            r = ze_dev_alloc(s, m->in[i].bytes, &om->in[sl][i]);
        if (r == ZE_RESULT_SUCCESS)
            r = ze_dev_alloc(s, m->out[0].bytes, &om->out[sl]);
    }
    if (r != ZE_RESULT_SUCCESS) {
        bridge_why(why, whylen, "%s: %s: %s (0x%x)", m->manifest, what, ze_errname((int)r), (unsigned)r);
        return BRIDGE_E_BACKEND;
    }
    return BRIDGE_OK;
}

static int ze_load_model(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen)
{
    ze_state_t *s = be ? be->priv : NULL;
    if (s == NULL || m == NULL || why == NULL)
        return BRIDGE_E_INVAL;
    bridge_sched_model_t hdr;
    const char *kname = NULL;
    int rc = bridge_sched_model_check(&s->sched, m, "level_zero", &hdr, &kname, why, whylen);
    if (rc != BRIDGE_OK)
        return rc;
    ze_model_t *om = calloc(1, sizeof(*om));
    if (om == NULL)
        return BRIDGE_E_NOMEM;
    om->hdr = hdr;
    rc = ze_module(s, om, kname, why, whylen);
    if (rc == BRIDGE_OK)
        rc = ze_geometry(s, om, why, whylen);
    if (rc == BRIDGE_OK)
        rc = ze_buffers(s, om, why, whylen);
    size_t bytes = 0;
    int err = 0;
    if (rc == BRIDGE_OK && (rc = bridge_sched_stage_grow(&s->sched, m, &bytes, &err)) != BRIDGE_OK)
        bridge_why(why, whylen, "%s: host staging (%zu bytes): %s (0x%x)", m->manifest, bytes, ze_errname(err),
                   (unsigned)err);
    if (rc != BRIDGE_OK) {
        ze_free_model(s, om);
        return rc;
    }
    bridge_sched_add_model(&s->sched, &om->hdr);
    return BRIDGE_OK;
}

/* ---- the device-specific part of a job (bridge_sched_hooks_t) ----------- */

static void ze_arg(ze_kernel_handle_t k, uint32_t *a, size_t size, const void *v, ze_result_t *r)
{
    if (*r == ZE_RESULT_SUCCESS)
        *r = ze.KernelSetArgumentValue(k, (*a)++, size, v);
}

/* The kernel's arguments for slot idx, in the order of the models'
 * OpenCL C signatures (the OpenCL backend's ocl_set_args). */
static ze_result_t ze_set_args(const ze_model_t *om, uint32_t idx)
{
    ze_kernel_handle_t k = om->kern;
    const bridge_sched_model_t *h = &om->hdr;
    ze_result_t r = ZE_RESULT_SUCCESS;
    uint32_t a = 0;
    for (uint32_t i = 0; i < h->m->n_in; i++)
        ze_arg(k, &a, sizeof(void *), &om->in[idx][i], &r);
    if (h->kind == BRIDGE_K_MLP_RELU_F32)
        for (uint32_t i = 0; i < 4; i++)
            ze_arg(k, &a, sizeof(void *), &om->w[i], &r);
    ze_arg(k, &a, sizeof(void *), &om->out[idx], &r);
    if (h->kind == BRIDGE_K_MLP_RELU_F32)
        ze_arg(k, &a, (size_t)h->d1 * sizeof(float), NULL, &r); /* __local h */
    ze_arg(k, &a, sizeof(uint32_t), &h->d0, &r);
    if (h->kind == BRIDGE_K_GEMM_F32 || h->kind == BRIDGE_K_MLP_RELU_F32) {
        ze_arg(k, &a, sizeof(uint32_t), &h->d1, &r);
        ze_arg(k, &a, sizeof(uint32_t), &h->d2, &r);
    }
    return r;
}

/* Record into the slot's list copies in, kernel (its timestamp event),
 * copy out (the done event), and execute it on the class's queue. */
static int ze_enqueue(void *owner, uint32_t idx, bridge_job_t *job, bridge_sched_model_t *model)
{
    ze_state_t *s = owner;
    ze_slot_t *sl = &s->slots[idx];
    const ze_model_t *om = (const ze_model_t *)model;
    const bridge_model_t *m = job->model;
    ze_command_list_handle_t cl = sl->list;
    ze_result_t r = ze.CommandListReset(cl);
    for (uint32_t i = 0; i < m->n_in && r == ZE_RESULT_SUCCESS; i++)
        r = ze.CommandListAppendMemoryCopy(cl, om->in[idx][i], sl->hdr.stage_in[i], m->in[i].bytes, NULL, 0, NULL);
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandListAppendBarrier(cl, NULL, 0, NULL);
    if (r == ZE_RESULT_SUCCESS)
        r = ze_set_args(om, idx);
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandListAppendLaunchKernel(cl, om->kern, &om->groups, sl->ev_kernel, 0, NULL);
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandListAppendBarrier(cl, NULL, 0, NULL);
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandListAppendMemoryCopy(cl, sl->hdr.stage_out, om->out[idx], m->out[0].bytes, sl->ev_done, 0, NULL);
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandListClose(cl);
    if (r == ZE_RESULT_SUCCESS)
        r = ze.CommandQueueExecuteCommandLists(s->q[job->qos], 1, &cl, NULL);
    return (int)r;
}

/* Hand the slot to its waiter thread. */
static int ze_arm(void *owner, uint32_t idx, bridge_job_t *job)
{
    ze_state_t *s = owner;
    (void)job;
    pthread_mutex_lock(&s->wlock);
    s->slots[idx].armed = 1;
    pthread_cond_broadcast(&s->wcond);
    pthread_mutex_unlock(&s->wlock);
    return 0;
}

static void ze_release(void *owner, uint32_t idx)
{
    ze_slot_t *sl = &((ze_state_t *)owner)->slots[idx];
    ze.EventHostReset(sl->ev_kernel);
    ze.EventHostReset(sl->ev_done);
}

static void ze_unwind(void *owner, uint32_t idx, bridge_job_t *job)
{
    ze_state_t *s = owner;
    ze.CommandQueueSynchronize(s->q[job->qos], ZE_DRAIN_NS);
    ze_release(owner, idx);
}

/* The kernel's start to end on the device's clock (global timestamps,
 * kernelTimestampValidBits wide, timerResolution ns per tick). */
static uint64_t ze_device_ns(void *owner, uint32_t idx)
{
    const ze_state_t *s = owner;
    ze_kernel_timestamp_result_t ts;
    memset(&ts, 0, sizeof(ts));
    if (ze.EventQueryKernelTimestamp(s->slots[idx].ev_kernel, &ts) != ZE_RESULT_SUCCESS)
        return 0;
    uint64_t mask = s->ts_bits >= 64 ? UINT64_MAX : (1ull << s->ts_bits) - 1;
    uint64_t ticks = (ts.global.kernelEnd - ts.global.kernelStart) & mask;
    return ticks * s->timer_ns;
}

/* Host memory the device reads and writes (USM host allocation). */
static int ze_stage_alloc(void *owner, uint32_t idx, uint32_t t, size_t bytes, void **p)
{
    ze_state_t *s = owner;
    (void)idx;
    (void)t;
    ze_host_mem_alloc_desc_t d = {.stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC};
    ze_result_t r = ze.MemAllocHost(s->ctx, &d, bytes, 64, p);
    if (r != ZE_RESULT_SUCCESS)
        *p = NULL;
    return (int)r;
}

static void ze_stage_free(void *owner, void *p)
{
    ze.MemFree(((ze_state_t *)owner)->ctx, p);
}

static const bridge_sched_hooks_t ze_hooks = {
    .label = "Level Zero",
    .enqueue = ze_enqueue,
    .arm = ze_arm,
    .unwind = ze_unwind,
    .device_ns = ze_device_ns,
    .release = ze_release,
    .stage_alloc = ze_stage_alloc,
    .stage_free = ze_stage_free,
    .errname = ze_errname,
};

const bridge_backend_ops_t bridge_backend_level_zero = {
    .name = "level_zero",
    .probe = ze_probe,
    .init = ze_init,
    .load_model = ze_load_model,
    .submit = bridge_sched_op_submit,
    .poll = bridge_sched_op_poll,
    .in_flight = bridge_sched_op_in_flight,
    .set_wake = bridge_sched_op_set_wake,
    .finished = bridge_sched_op_finished,
    .shutdown = ze_shutdown,
};
