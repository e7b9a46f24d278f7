/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuda.c - the CUDA backend of zenedge-bridged (docs/backends.md).
 *
 * The driver API is loaded at run time (dlopen("libcuda.so.1"), versioned
 * dlsym names, declarations in cuda_api.h), so the daemon builds without
 * any CUDA file and runs where no NVIDIA driver is installed; probe and
 * init then say so in one line. Kernels come as PTX built by nvcc at build
 * time (models/<name>/<name>.ptx, installed next to the model, or in the
 * build tree), else are compiled from models/<name>/<name>.cu by NVRTC
 * (dlopen("libnvrtc.so...")) at load time.
 *
 * One context (the device's primary context; with green contexts one
 * per part of the device as well, modules and events loaded per part),
 * one stream per QoS class created with cuStreamCreateWithPriority (or
 * cuGreenCtxStreamCreate) over the device's priority range, device
 * buffers allocated once per model and per slot, and pinned
 * host staging (cuMemHostAlloc): inputs are copied once out of the region
 * into the staging buffer, sent with cuMemcpyHtoDAsync, the output comes
 * back into staging and is copied to the region at completion. With
 * ZENEDGE_CUDA_MEMORY=zerocopy the kernels read and write the mapped
 * staging buffers directly instead (no copies; see docs/backends.md).
 * Device time is measured between two events around each job
 * (cuEventElapsedTime). A stream callback marks the slot finished and
 * wakes poll(). Submit, start, unwind and finish are the job skeleton of
 * jobq.c; what is CUDA here are the hooks of bridge_sched_hooks_t.
 *
 * QoS as in the OpenCL backend: strict dispatch by class, one slot kept
 * for RT, and no job is dispatched while a more urgent one is on the
 * device, unless ZENEDGE_QOS_OVERLAP=1, which leaves the arbitration to
 * the stream priorities. Where the driver has green contexts (12.4+,
 * looked up at run time) RT's stream runs in a green context of its own
 * SMs (ZENEDGE_CUDA_RT_SMS, default a quarter), the other classes' in one
 * on the rest, and the class barrier no longer holds them back while RT
 * runs; otherwise one line says so and priorities alone arbitrate.
 * BACKGROUND work queued in a stream is not held back here: the block
 * scheduler starts RT's blocks first (priorities) or elsewhere (green
 * contexts), so queued BACKGROUND kernels never delay RT's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bridge_errors.h"
#include "backend.h"
#include "jobq.h"
#include "cuda_api.h"
#include "zl.h"
#include "log.h"

#define CU_SLOTS_MAX  4u
#define CU_SOURCE_MAX (1u << 20)

/* ---- the driver, loaded once ------------------------------------------ */

static struct cu_api {
    int tried, ok;
    void *lib;
    char why[384];
    cuInit_fn Init;
    cuDriverGetVersion_fn DriverGetVersion;
    cuDeviceGetCount_fn DeviceGetCount;
    cuDeviceGet_fn DeviceGet;
    cuDeviceGetName_fn DeviceGetName;
    cuDeviceGetAttribute_fn DeviceGetAttribute;
    cuDeviceTotalMem_fn DeviceTotalMem;
    cuDevicePrimaryCtxRetain_fn PrimaryCtxRetain;
    cuDevicePrimaryCtxRelease_fn PrimaryCtxRelease;
    cuCtxSetCurrent_fn CtxSetCurrent;
    cuCtxGetStreamPriorityRange_fn CtxGetStreamPriorityRange;
    cuModuleLoadData_fn ModuleLoadData;
    cuModuleGetFunction_fn ModuleGetFunction;
    cuModuleUnload_fn ModuleUnload;
    cuMemAlloc_fn MemAlloc;
    cuMemFree_fn MemFree;
    cuMemHostAlloc_fn MemHostAlloc;
    cuMemFreeHost_fn MemFreeHost;
    cuMemHostGetDevicePointer_fn MemHostGetDevicePointer;
    cuMemcpyHtoD_fn MemcpyHtoD;
    cuMemcpyHtoDAsync_fn MemcpyHtoDAsync;
    cuMemcpyDtoHAsync_fn MemcpyDtoHAsync;
    cuStreamCreateWithPriority_fn StreamCreateWithPriority;
    cuStreamDestroy_fn StreamDestroy;
    cuStreamSynchronize_fn StreamSynchronize;
    cuStreamAddCallback_fn StreamAddCallback;
    cuEventCreate_fn EventCreate;
    cuEventRecord_fn EventRecord;
    cuEventElapsedTime_fn EventElapsedTime;
    cuEventDestroy_fn EventDestroy;
    cuLaunchKernel_fn LaunchKernel;
    cuGetErrorName_fn GetErrorName;
    /* optional: green contexts (driver 12.4+), NULL when absent */
    cuDeviceGetDevResource_fn DeviceGetDevResource;
    cuDevSmResourceSplitByCount_fn DevSmResourceSplitByCount;
    cuDevResourceGenerateDesc_fn DevResourceGenerateDesc;
    cuGreenCtxCreate_fn GreenCtxCreate;
    cuGreenCtxDestroy_fn GreenCtxDestroy;
    cuCtxFromGreenCtx_fn CtxFromGreenCtx;
    cuGreenCtxStreamCreate_fn GreenCtxStreamCreate;
} cu;

static struct nvrtc_api {
    int tried, ok;
    void *lib;
    char why[384];
    nvrtcCreateProgram_fn CreateProgram;
    nvrtcCompileProgram_fn CompileProgram;
    nvrtcGetProgramLogSize_fn GetProgramLogSize;
    nvrtcGetProgramLog_fn GetProgramLog;
    nvrtcGetPTXSize_fn GetPTXSize;
    nvrtcGetPTX_fn GetPTX;
    nvrtcDestroyProgram_fn DestroyProgram;
    nvrtcGetErrorString_fn GetErrorString;
} nvrtc;

static const char *cu_errname(CUresult r)
{
    const char *n = NULL;
    if (cu.GetErrorName == NULL || cu.GetErrorName(r, &n) != CUDA_SUCCESS || n == NULL)
        return "CUDA_ERROR";
    return n;
}

/* Look up one symbol; dlsym returns void *, converted through a union
 * since ISO C has no cast between object and function pointers. */
static int cu_sym(void *lib, const char *name, void *slot, size_t size, char *why, size_t whylen)
{
    void *p = dlsym(lib, name);
    if (p == NULL) {
        bridge_why(why, whylen, "missing symbol %s", name);
        return -1;
    }
    memcpy(slot, &p, size);
    return 0;
}

#define CU_SYM(lib, field, name, why, whylen) cu_sym(lib, name, &(field), sizeof(field), why, whylen)

/* The green-context entry points, where the driver has them (12.4+);
 * the others stay NULL. */
static void cu_load_green(void)
{
    char w[128];
    CU_SYM(cu.lib, cu.DeviceGetDevResource, "cuDeviceGetDevResource", w, sizeof(w));
    CU_SYM(cu.lib, cu.DevSmResourceSplitByCount, "cuDevSmResourceSplitByCount", w, sizeof(w));
    CU_SYM(cu.lib, cu.DevResourceGenerateDesc, "cuDevResourceGenerateDesc", w, sizeof(w));
    CU_SYM(cu.lib, cu.GreenCtxCreate, "cuGreenCtxCreate", w, sizeof(w));
    CU_SYM(cu.lib, cu.GreenCtxDestroy, "cuGreenCtxDestroy", w, sizeof(w));
    CU_SYM(cu.lib, cu.CtxFromGreenCtx, "cuCtxFromGreenCtx", w, sizeof(w));
    CU_SYM(cu.lib, cu.GreenCtxStreamCreate, "cuGreenCtxStreamCreate", w, sizeof(w));
}

/*
 * Load libcuda once. ZENEDGE_CUDA_LIBRARY overrides the file (a path, or
 * "none" to act as if no driver were installed). Returns 0 or -1 with
 * cu.why set to the one line the daemon prints.
 */
static int cu_load(void)
{
    if (cu.tried)
        return cu.ok ? 0 : -1;
    cu.tried = 1;
    const char *name = getenv("ZENEDGE_CUDA_LIBRARY");
    if (name == NULL || name[0] == '\0')
        name = "libcuda.so.1";
    if (strcmp(name, "none") == 0) {
        bridge_why(cu.why, sizeof(cu.why),
                   "CUDA: libcuda.so.1 not found (no NVIDIA driver): disabled by "
                   "ZENEDGE_CUDA_LIBRARY=none");
        return -1;
    }
    cu.lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (cu.lib == NULL) {
        const char *e = dlerror();
        bridge_why(cu.why, sizeof(cu.why), "CUDA: %s not found (no NVIDIA driver): %s", name, e ? e : "dlopen failed");
        return -1;
    }
    char w[128] = "";
    if (CU_SYM(cu.lib, cu.Init, "cuInit", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.DriverGetVersion, "cuDriverGetVersion", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.DeviceGetCount, "cuDeviceGetCount", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.DeviceGet, "cuDeviceGet", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.DeviceGetName, "cuDeviceGetName", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.DeviceGetAttribute, "cuDeviceGetAttribute", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.DeviceTotalMem, "cuDeviceTotalMem_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.PrimaryCtxRetain, "cuDevicePrimaryCtxRetain", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.PrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.CtxSetCurrent, "cuCtxSetCurrent", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.CtxGetStreamPriorityRange, "cuCtxGetStreamPriorityRange", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.ModuleLoadData, "cuModuleLoadData", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.ModuleGetFunction, "cuModuleGetFunction", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.ModuleUnload, "cuModuleUnload", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.MemAlloc, "cuMemAlloc_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.MemFree, "cuMemFree_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.MemHostAlloc, "cuMemHostAlloc", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.MemFreeHost, "cuMemFreeHost", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.MemHostGetDevicePointer, "cuMemHostGetDevicePointer_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.MemcpyHtoD, "cuMemcpyHtoD_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.MemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.StreamCreateWithPriority, "cuStreamCreateWithPriority", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.StreamDestroy, "cuStreamDestroy_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.StreamSynchronize, "cuStreamSynchronize", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.StreamAddCallback, "cuStreamAddCallback", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.EventCreate, "cuEventCreate", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.EventRecord, "cuEventRecord", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.EventElapsedTime, "cuEventElapsedTime", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.EventDestroy, "cuEventDestroy_v2", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.LaunchKernel, "cuLaunchKernel", w, sizeof(w)) ||
        CU_SYM(cu.lib, cu.GetErrorName, "cuGetErrorName", w, sizeof(w))) {
        bridge_why(cu.why, sizeof(cu.why), "CUDA: %s is not a usable driver library: %s", name, w);
        dlclose(cu.lib);
        cu.lib = NULL;
        return -1;
    }
    cu_load_green();
    CUresult r = cu.Init(0);
    if (r != CUDA_SUCCESS) {
        bridge_why(cu.why, sizeof(cu.why), "CUDA: driver present but cuInit failed: %s (%d)%s", cu_errname(r), r,
                   r == CUDA_ERROR_NO_DEVICE ? ": no CUDA device" : "");
        return -1;
    }
    cu.ok = 1;
    return 0;
}

/* Load NVRTC once (ZENEDGE_NVRTC_LIBRARY: a path, or "none"). */
static int nvrtc_load(void)
{
    if (nvrtc.tried)
        return nvrtc.ok ? 0 : -1;
    nvrtc.tried = 1;
    static const char *const names[] = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"};
    const char *env = getenv("ZENEDGE_NVRTC_LIBRARY");
    if (env && strcmp(env, "none") == 0) {
        bridge_why(nvrtc.why, sizeof(nvrtc.why), "NVRTC disabled by ZENEDGE_NVRTC_LIBRARY=none");
        return -1;
    }
    const char *e = NULL;
    if (env && env[0]) {
        nvrtc.lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
        e = nvrtc.lib ? NULL : dlerror();
    } else {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && nvrtc.lib == NULL; i++) {
            nvrtc.lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
            if (nvrtc.lib == NULL)
                e = dlerror();
        }
    }
    if (nvrtc.lib == NULL) {
        bridge_why(nvrtc.why, sizeof(nvrtc.why), "NVRTC not found: %s", e ? e : "dlopen failed");
        return -1;
    }
    char w[128] = "";
    if (CU_SYM(nvrtc.lib, nvrtc.CreateProgram, "nvrtcCreateProgram", w, sizeof(w)) ||
        CU_SYM(nvrtc.lib, nvrtc.CompileProgram, "nvrtcCompileProgram", w, sizeof(w)) ||
        CU_SYM(nvrtc.lib, nvrtc.GetProgramLogSize, "nvrtcGetProgramLogSize", w, sizeof(w)) ||
        CU_SYM(nvrtc.lib, nvrtc.GetProgramLog, "nvrtcGetProgramLog", w, sizeof(w)) ||
        CU_SYM(nvrtc.lib, nvrtc.GetPTXSize, "nvrtcGetPTXSize", w, sizeof(w)) ||
        CU_SYM(nvrtc.lib, nvrtc.GetPTX, "nvrtcGetPTX", w, sizeof(w)) ||
        CU_SYM(nvrtc.lib, nvrtc.DestroyProgram, "nvrtcDestroyProgram", w, sizeof(w)) ||
        CU_SYM(nvrtc.lib, nvrtc.GetErrorString, "nvrtcGetErrorString", w, sizeof(w))) {
        bridge_why(nvrtc.why, sizeof(nvrtc.why), "NVRTC library unusable: %s", w);
        dlclose(nvrtc.lib);
        nvrtc.lib = NULL;
        return -1;
    }
    nvrtc.ok = 1;
    return 0;
}

/* ---- state -------------------------------------------------------------- */

/* Parts of the device: [0] RT's green context, [1] the other classes';
 * without green contexts one part, the primary context, for all. */
#define CU_PARTS 2

typedef struct cu_model {
    bridge_sched_model_t hdr; /* model, kernel, sizes: the skeleton's */
    CUmodule mod[CU_PARTS];   /* loaded in each part's context */
    CUfunction fn[CU_PARTS];
    CUdeviceptr w[4]; /* mlp: w1 b1 w2 b2 */
    CUdeviceptr in[CU_SLOTS_MAX][IPC_MAX_TENSORS];
    CUdeviceptr out[CU_SLOTS_MAX];
    unsigned grid[3], block[3], shmem;
    char origin[16]; /* "ptx" or "nvrtc" */
} cu_model_t;

struct cu_state;

typedef struct cu_slot {
    bridge_slot_t hdr;      /* job, completion, staging (pinned): the skeleton's */
    struct cu_state *owner; /* for the stream callback */
    CUevent ev0[CU_PARTS], ev1[CU_PARTS];
    uint32_t part;                       /* the part its job was enqueued on */
    CUdeviceptr map_in[IPC_MAX_TENSORS]; /* zero-copy device views of the staging */
    CUdeviceptr map_out;
} cu_slot_t;

typedef struct cu_state {
    bridge_sched_t sched; /* first: the shared ops find it at be->priv (jobq.h) */
    CUdevice dev;
    CUcontext ctx;
    int ctx_retained;
    CUstream stream[IPC_QOS_COUNT];
    int prio[IPC_QOS_COUNT];
    uint32_t n_parts;             /* 2 with green contexts, else 1 */
    CUgreenCtx green[CU_PARTS];   /* NULL without */
    CUcontext part_ctx[CU_PARTS]; /* the context of each part */
    unsigned part_sms[CU_PARTS];
    int driver_version;
    int zerocopy, max_threads, cc_major, cc_minor;
    char dev_name[128];
    cu_slot_t slots[CU_SLOTS_MAX];
    int sched_up;
} cu_state_t;

static const bridge_sched_hooks_t cu_hooks;

/* ---- probe / init / shutdown ------------------------------------------- */

static int cu_probe(bridge_device_info_t *devs, int max, char *why, size_t whylen)
{
    if (cu_load() != 0) {
        bridge_why(why, whylen, "%s", cu.why);
        return BRIDGE_E_NO_DEVICE;
    }
    int n = 0, ver = 0;
    CUresult r = cu.DeviceGetCount(&n);
    if (r != CUDA_SUCCESS || n <= 0) {
        bridge_why(why, whylen, "CUDA: no device (cuDeviceGetCount: %s, count %d)", cu_errname(r), n);
        return BRIDGE_E_NO_DEVICE;
    }
    cu.DriverGetVersion(&ver);
    for (int i = 0; i < n && devs && i < max; i++) {
        CUdevice d;
        char name[96] = "?";
        int maj = 0, min = 0;
        size_t mem = 0;
        if (cu.DeviceGet(&d, i) == CUDA_SUCCESS) {
            cu.DeviceGetName(name, (int)sizeof(name) - 1, d);
            cu.DeviceGetAttribute(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
            cu.DeviceGetAttribute(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
            cu.DeviceTotalMem(&mem, d);
        }
        memset(&devs[i], 0, sizeof(devs[i]));
        snprintf(devs[i].backend, sizeof(devs[i].backend), "cuda");
        snprintf(devs[i].platform, sizeof(devs[i].platform), "NVIDIA CUDA driver %d.%d", ver / 1000, ver % 1000 / 10);
        snprintf(devs[i].device, sizeof(devs[i].device), "%d:%.80s (sm_%d%d, %zu MiB)", i, name, maj, min, mem >> 20);
        devs[i].index = i;
    }
    return n;
}

static void cu_shutdown(bridge_backend_t *be);

/* Device: NULL/"" = 0, "N" = index N, else a substring of the name. The
 * index in *pick, or BRIDGE_E_NO_DEVICE (said on stderr). */
static int cu_pick(const bridge_backend_config_t *cfg, int *pick)
{
    if (cu_load() != 0) {
        BLOG_ERR("%s", cu.why);
        return BRIDGE_E_NO_DEVICE;
    }
    int n = 0;
    if (cu.DeviceGetCount(&n) != CUDA_SUCCESS || n <= 0) {
        BLOG_ERR("CUDA: no device");
        return BRIDGE_E_NO_DEVICE;
    }
    const char *spec = cfg ? cfg->device : NULL;
    *pick = -1;
    for (int i = 0; i < n && *pick < 0; i++) {
        CUdevice d;
        char name[128] = "";
        if (cu.DeviceGet(&d, i) != CUDA_SUCCESS)
            continue;
        cu.DeviceGetName(name, (int)sizeof(name) - 1, d);
        char *end = NULL;
        long want = spec && spec[0] ? strtol(spec, &end, 10) : 0;
        if ((spec == NULL || spec[0] == '\0') ? i == 0 : (end && *end == '\0') ? want == i : strstr(name, spec) != NULL)
            *pick = i;
    }
    if (*pick < 0) {
        BLOG_ERR("CUDA: no device matches '%s' (see --list-devices; forms: N, NAME)", spec);
        return BRIDGE_E_NO_DEVICE;
    }
    return BRIDGE_OK;
}

/* The primary context of device pick, current on this thread, and what
 * the device can do: BRIDGE_OK or BRIDGE_E_BACKEND. */
static int cu_context(cu_state_t *s, int pick)
{
    CUresult r = cu.DeviceGet(&s->dev, pick);
    if (r == CUDA_SUCCESS)
        r = cu.PrimaryCtxRetain(&s->ctx, s->dev);
    if (r == CUDA_SUCCESS) {
        s->ctx_retained = 1;
        r = cu.CtxSetCurrent(s->ctx);
    }
    if (r != CUDA_SUCCESS) {
        BLOG_ERR("CUDA: context on device %d: %s (%d)", pick, cu_errname(r), r);
        return BRIDGE_E_BACKEND;
    }
    cu.DeviceGetName(s->dev_name, (int)sizeof(s->dev_name) - 1, s->dev);
    cu.DeviceGetAttribute(&s->max_threads, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, s->dev);
    cu.DeviceGetAttribute(&s->cc_major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, s->dev);
    cu.DeviceGetAttribute(&s->cc_minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, s->dev);
    if (s->zerocopy) {
        int can = 0;
        cu.DeviceGetAttribute(&can, CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY, s->dev);
        if (!can) {
            BLOG_WARN("CUDA: '%s' cannot map host memory: ZENEDGE_CUDA_MEMORY=zerocopy ignored", s->dev_name);
            s->zerocopy = 0;
        }
    }
    return BRIDGE_OK;
}

/* The part of the device the jobs of class qos run on. */
static uint32_t cu_part_of(const cu_state_t *s, uint32_t qos)
{
    return s->n_parts > 1 && qos != IPC_QOS_RT ? 1u : 0u;
}

/* RT's SM count: ZENEDGE_CUDA_RT_SMS (0: none), unset: a quarter of the
 * device's, at least 1. -1 with why[] set when malformed or not below
 * the device's count. */
static long cu_rt_sms(unsigned total, char *why, size_t whylen)
{
    const char *env = getenv("ZENEDGE_CUDA_RT_SMS");
    if (env == NULL || env[0] == '\0')
        return total / 4 ? total / 4 : 1;
    char *end = NULL;
    unsigned long v = strtoul(env, &end, 10);
    if (env[0] < '0' || env[0] > '9' || *end != '\0' || v >= total) {
        bridge_why(why, whylen, "ZENEDGE_CUDA_RT_SMS=%.20s is not a count from 0 to %u", env, total ? total - 1 : 0);
        return -1;
    }
    if (v == 0)
        bridge_why(why, whylen, "ZENEDGE_CUDA_RT_SMS=0");
    return (long)v;
}

/* Green contexts on `parts` (RT's, the rest), s->green[], part_ctx[],
 * part_sms[] set: CUDA_SUCCESS, or the failing call's code with *what
 * naming it (none held then). */
static CUresult cu_green_make(cu_state_t *s, CUdevResource parts[CU_PARTS], const char **what)
{
    CUresult r = CUDA_SUCCESS;
    for (uint32_t i = 0; i < CU_PARTS && r == CUDA_SUCCESS; i++) {
        CUdevResourceDesc desc = NULL;
        *what = "cuDevResourceGenerateDesc";
        r = cu.DevResourceGenerateDesc(&desc, &parts[i], 1);
        if (r == CUDA_SUCCESS) {
            *what = "cuGreenCtxCreate";
            r = cu.GreenCtxCreate(&s->green[i], desc, s->dev, CU_GREEN_CTX_DEFAULT_STREAM);
        }
        if (r == CUDA_SUCCESS) {
            *what = "cuCtxFromGreenCtx";
            r = cu.CtxFromGreenCtx(&s->part_ctx[i], s->green[i]);
        }
        s->part_sms[i] = parts[i].sm.smCount;
    }
    for (uint32_t i = 0; i < CU_PARTS && r != CUDA_SUCCESS; i++) {
        if (s->green[i])
            cu.GreenCtxDestroy(s->green[i]);
        s->green[i] = NULL;
    }
    return r;
}

/*
 * Green contexts where the driver has them (12.4+): RT's streams on a
 * partition of cu_rt_sms() SMs (the driver may round it up), the other
 * classes' on the rest. 1 when made, else 0 with why[] saying why not,
 * starting with the driver's version; the caller keeps the primary
 * context and stream priorities.
 */
static int cu_green(cu_state_t *s, char *why, size_t whylen)
{
    int v = s->driver_version;
    int n = snprintf(why, whylen, "driver %d.%d", v / 1000, v % 1000 / 10);
    char *rest = why + (n > 0 && (size_t)n < whylen ? n : 0);
    size_t restlen = whylen - (size_t)(rest - why);
    if (v < 12040 || !cu.DeviceGetDevResource || !cu.DevSmResourceSplitByCount || !cu.DevResourceGenerateDesc ||
        !cu.GreenCtxCreate || !cu.GreenCtxDestroy || !cu.CtxFromGreenCtx || !cu.GreenCtxStreamCreate)
        return 0;
    CUdevResource all, parts[CU_PARTS];
    memset(&all, 0, sizeof(all));
    memset(parts, 0, sizeof(parts));
    const char *what = "cuDeviceGetDevResource";
    CUresult r = cu.DeviceGetDevResource(s->dev, &all, CU_DEV_RESOURCE_TYPE_SM);
    if (r == CUDA_SUCCESS) {
        long want = cu_rt_sms(all.sm.smCount, rest + 2, restlen > 2 ? restlen - 2 : 0);
        if (want <= 0) {
            if (restlen > 2)
                memcpy(rest, ", ", 2);
            return 0;
        }
        unsigned groups = 1;
        what = "cuDevSmResourceSplitByCount";
        r = cu.DevSmResourceSplitByCount(&parts[0], &groups, &all, &parts[1], 0, (unsigned)want);
        if (r == CUDA_SUCCESS && (groups != 1 || parts[1].sm.smCount == 0))
            r = CUDA_ERROR_INVALID_VALUE;
    }
    if (r == CUDA_SUCCESS)
        r = cu_green_make(s, parts, &what);
    if (r != CUDA_SUCCESS) {
        bridge_why(rest, restlen, ", %s: %s (%d)", what, cu_errname(r), r);
        return 0;
    }
    return 1;
}

/* The device's parts, one stream per QoS class on its class's part and
 * the two timing events of every slot on each part: BRIDGE_OK or
 * BRIDGE_E_BACKEND. */
static int cu_streams(cu_state_t *s)
{
    char why[256];
    s->n_parts = cu_green(s, why, sizeof(why)) ? 2 : 1;
    if (s->n_parts == 2)
        BLOG_INFO("CUDA: green contexts: RT on %u SMs, the other classes on %u", s->part_sms[0], s->part_sms[1]);
    else
        BLOG_INFO("CUDA: no green contexts (%s): stream priorities only", why);
    if (s->n_parts == 1)
        s->part_ctx[0] = s->ctx;
    bridge_sched_rt_policy(&s->sched, 0, s->n_parts == 2);
    /* QoS class c -> priority: RT the greatest, BACKGROUND the least,
     * the classes between spread evenly (lower number = higher priority). */
    int least = 0, greatest = 0;
    cu.CtxGetStreamPriorityRange(&least, &greatest);
    CUresult r;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        int span = least - greatest;
        s->prio[c] = greatest + (span * (int)c + (int)(IPC_QOS_COUNT - 1) / 2) / (int)(IPC_QOS_COUNT - 1);
        if (s->n_parts == 2)
            r = cu.GreenCtxStreamCreate(&s->stream[c], s->green[cu_part_of(s, c)], CU_STREAM_NON_BLOCKING, s->prio[c]);
        else
            r = cu.StreamCreateWithPriority(&s->stream[c], CU_STREAM_NON_BLOCKING, s->prio[c]);
        if (r != CUDA_SUCCESS) {
            BLOG_ERR("CUDA: stream for QoS %u (priority %d): %s (%d)", c, s->prio[c], cu_errname(r), r);
            return BRIDGE_E_BACKEND;
        }
    }
    for (uint32_t p = 0; p < s->n_parts; p++) {
        r = cu.CtxSetCurrent(s->part_ctx[p]);
        for (uint32_t i = 0; i < s->sched.n_slots && r == CUDA_SUCCESS; i++) {
            r = cu.EventCreate(&s->slots[i].ev0[p], CU_EVENT_DEFAULT);
            if (r == CUDA_SUCCESS)
                r = cu.EventCreate(&s->slots[i].ev1[p], CU_EVENT_DEFAULT);
        }
        if (r != CUDA_SUCCESS) {
            BLOG_ERR("CUDA: cuEventCreate: %s (%d)", cu_errname(r), r);
            return BRIDGE_E_BACKEND;
        }
    }
    cu.CtxSetCurrent(s->ctx);
    return BRIDGE_OK;
}

static int cu_init(bridge_backend_t *be, const bridge_backend_config_t *cfg)
{
    if (be == NULL)
        return BRIDGE_E_INVAL;
    int pick = -1;
    int rc = cu_pick(cfg, &pick);
    if (rc != BRIDGE_OK)
        return rc;
    cu_state_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return BRIDGE_E_NOMEM;
    for (uint32_t i = 0; i < CU_SLOTS_MAX; i++)
        s->slots[i].owner = s;
    be->priv = s;
    rc = bridge_sched_init(&s->sched, cfg, s->slots, sizeof(s->slots[0]), CU_SLOTS_MAX, s, &cu_hooks);
    if (rc == BRIDGE_OK) {
        s->sched_up = 1;
        const char *mem = getenv("ZENEDGE_CUDA_MEMORY");
        s->zerocopy = mem && strcmp(mem, "zerocopy") == 0;
        cu.DriverGetVersion(&s->driver_version);
        /* Streams have priorities: ZENEDGE_QOS_OVERLAP=1 may lift the barrier. */
        bridge_sched_qos_policy(&s->sched, 1);
        rc = cu_context(s, pick);
    }
    if (rc == BRIDGE_OK)
        rc = cu_streams(s);
    if (rc != BRIDGE_OK)
        cu_shutdown(be);
    return rc;
}

static void cu_free_model(cu_model_t *om)
{
    if (om == NULL)
        return;
    for (uint32_t i = 0; i < 4; i++)
        if (om->w[i])
            cu.MemFree(om->w[i]);
    for (uint32_t sl = 0; sl < CU_SLOTS_MAX; sl++) {
        for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++)
            if (om->in[sl][i])
                cu.MemFree(om->in[sl][i]);
        if (om->out[sl])
            cu.MemFree(om->out[sl]);
    }
    for (uint32_t p = 0; p < CU_PARTS; p++)
        if (om->mod[p])
            cu.ModuleUnload(om->mod[p]);
    free(om);
}

static void cu_shutdown(bridge_backend_t *be)
{
    cu_state_t *s = be ? be->priv : NULL;
    if (s == NULL)
        return;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->stream[c])
            cu.StreamSynchronize(s->stream[c]);
    for (uint32_t i = 0; i < CU_SLOTS_MAX; i++)
        for (uint32_t p = 0; p < CU_PARTS; p++) {
            cu_slot_t *sl = &s->slots[i];
            if (sl->ev0[p])
                cu.EventDestroy(sl->ev0[p]);
            if (sl->ev1[p])
                cu.EventDestroy(sl->ev1[p]);
        }
    for (uint32_t i = 0; i < s->sched.n_models; i++)
        cu_free_model((cu_model_t *)s->sched.model[i]);
    /* The pinned staging goes with the scheduler, while the context lives. */
    if (s->sched_up)
        bridge_sched_destroy(&s->sched);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->stream[c])
            cu.StreamDestroy(s->stream[c]);
    for (uint32_t p = 0; p < CU_PARTS; p++)
        if (s->green[p])
            cu.GreenCtxDestroy(s->green[p]);
    if (s->ctx_retained)
        cu.PrimaryCtxRelease(s->dev);
    free(s);
    be->priv = NULL;
}

/* ---- load_model ------------------------------------------------------- */

/* A kernel file (PTX or CUDA C) whole and NUL-terminated, or NULL when it
 * is absent, not a regular file, empty or over CU_SOURCE_MAX bytes. */
static char *cu_kernel_text(const char *path)
{
    size_t len = 0;
    char *text = zl_read_file(path, CU_SOURCE_MAX, &len, NULL);
    if (text != NULL && len == 0) {
        free(text);
        text = NULL;
    }
    return text;
}

static int plain_name(const char *s)
{
    return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL;
}

/* PTX of the model: next to the manifest (installed), else in the build
 * tree; NULL if neither exists. looked[] lists where it looked. */
static char *cu_find_ptx(const bridge_model_t *m, const char *ptx, char *looked, size_t looklen)
{
    char path[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX + 8];
    snprintf(path, sizeof(path), "%s/%s", m->dir, ptx);
    bridge_why(looked, looklen, "%s", path);
    char *text = cu_kernel_text(path);
#ifdef ZENEDGE_CUDA_PTX_BUILD_DIR
    if (text == NULL) {
        const char *base = strrchr(m->dir, '/');
        base = base ? base + 1 : m->dir;
        bridge_why(path, sizeof(path), "%s/%s/%s", ZENEDGE_CUDA_PTX_BUILD_DIR, base, ptx);
        size_t l = strlen(looked);
        bridge_why(looked + l, looklen - l, ", %s", path);
        text = cu_kernel_text(path);
    }
#endif
    return text;
}

/* Compile the model's .cu with NVRTC for this device; PTX or NULL (why). */
static char *cu_nvrtc(const cu_state_t *s, const bridge_model_t *m, const char *src_name, char *why, size_t whylen)
{
    if (nvrtc_load() != 0) {
        bridge_why(why, whylen, "%s", nvrtc.why);
        return NULL;
    }
    char path[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX + 8];
    snprintf(path, sizeof(path), "%s/%s", m->dir, src_name);
    char *src = cu_kernel_text(path);
    if (src == NULL) {
        bridge_why(why, whylen, "cannot read CUDA source '%s'", path);
        return NULL;
    }
    nvrtcProgram p = NULL;
    nvrtcResult r = nvrtc.CreateProgram(&p, src, src_name, 0, NULL, NULL);
    free(src);
    if (r != NVRTC_SUCCESS) {
        bridge_why(why, whylen, "nvrtcCreateProgram(%s): %s", path, nvrtc.GetErrorString(r));
        return NULL;
    }
    char arch[48];
    snprintf(arch, sizeof(arch), "--gpu-architecture=compute_%d%d", s->cc_major, s->cc_minor);
    const char *opts[] = {arch, "--fmad=false"};
    r = nvrtc.CompileProgram(p, 2, opts);
    if (r != NVRTC_SUCCESS) {
        char log[320] = "";
        size_t ls = 0;
        if (nvrtc.GetProgramLogSize(p, &ls) == NVRTC_SUCCESS && ls > 0) {
            char *full = malloc(ls);
            if (full && nvrtc.GetProgramLog(p, full) == NVRTC_SUCCESS)
                snprintf(log, sizeof(log), "%s", full);
            free(full);
        }
        for (char *c = log; *c; c++)
            if (*c == '\n')
                *c = ' ';
        bridge_why(why, whylen, "NVRTC compile of %s (%s): %s: %s", path, arch, nvrtc.GetErrorString(r), log);
        nvrtc.DestroyProgram(&p);
        return NULL;
    }
    size_t n = 0;
    char *ptx = NULL;
    if (nvrtc.GetPTXSize(p, &n) == NVRTC_SUCCESS && n > 0 && (ptx = malloc(n + 1)) != NULL) {
        if (nvrtc.GetPTX(p, ptx) != NVRTC_SUCCESS) {
            free(ptx);
            ptx = NULL;
        } else {
            ptx[n] = '\0';
        }
    }
    nvrtc.DestroyProgram(&p);
    if (ptx == NULL)
        bridge_why(why, whylen, "NVRTC returned no PTX for %s", path);
    return ptx;
}

static unsigned div_up(unsigned a, unsigned b)
{
    return (a + b - 1) / b;
}

/* Load ptx into the context of every part of the device. */
static CUresult cu_load_parts(const cu_state_t *s, cu_model_t *om, const char *ptx)
{
    CUresult r = CUDA_SUCCESS;
    for (uint32_t p = 0; p < s->n_parts && r == CUDA_SUCCESS; p++) {
        r = cu.CtxSetCurrent(s->part_ctx[p]);
        if (r == CUDA_SUCCESS)
            r = cu.ModuleLoadData(&om->mod[p], ptx);
    }
    cu.CtxSetCurrent(s->ctx);
    for (uint32_t p = 0; p < s->n_parts && r != CUDA_SUCCESS; p++) {
        if (om->mod[p])
            cu.ModuleUnload(om->mod[p]);
        om->mod[p] = NULL;
    }
    return r;
}

/* The module of the model: build-time PTX first, NVRTC if it is absent or
 * the driver refuses it (e.g. PTX newer than the driver). BRIDGE_OK, or
 * BRIDGE_E_UNSUPPORTED with why[] set. */
static int cu_module(const cu_state_t *s, cu_model_t *om, char *why, size_t whylen)
{
    const bridge_model_t *m = om->hdr.m;
    char ptx_name[BRIDGE_FILE_MAX + 8], cu_name[BRIDGE_FILE_MAX + 8];
    const char *o = bridge_model_opt(m, "cuda", "ptx");
    snprintf(ptx_name, sizeof(ptx_name), o ? "%s" : "%s.ptx", o ? o : m->name);
    o = bridge_model_opt(m, "cuda", "source");
    snprintf(cu_name, sizeof(cu_name), o ? "%s" : "%s.cu", o ? o : m->name);
    if (!plain_name(ptx_name) || !plain_name(cu_name)) {
        bridge_why(why, whylen, "%s: [backend.cuda] ptx/source must be file names in the model folder", m->manifest);
        return BRIDGE_E_UNSUPPORTED;
    }
    char looked[2 * BRIDGE_PATH_MAX], ptx_err[160] = "", rtc_err[512] = "";
    char *ptx = cu_find_ptx(m, ptx_name, looked, sizeof(looked));
    CUresult r = CUDA_ERROR_NOT_FOUND;
    if (ptx) {
        r = cu_load_parts(s, om, ptx);
        free(ptx);
        if (r == CUDA_SUCCESS)
            snprintf(om->origin, sizeof(om->origin), "ptx");
        else
            bridge_why(ptx_err, sizeof(ptx_err), "PTX refused by the driver: %s (%d)", cu_errname(r), r);
    } else {
        bridge_why(ptx_err, sizeof(ptx_err), "no PTX");
    }
    if (r != CUDA_SUCCESS) {
        ptx = cu_nvrtc(s, m, cu_name, rtc_err, sizeof(rtc_err));
        if (ptx) {
            r = cu_load_parts(s, om, ptx);
            free(ptx);
            if (r == CUDA_SUCCESS)
                snprintf(om->origin, sizeof(om->origin), "nvrtc");
            else
                bridge_why(rtc_err, sizeof(rtc_err), "NVRTC PTX refused by the driver: %s (%d)", cu_errname(r), r);
        }
    }
    if (r != CUDA_SUCCESS) {
        bridge_why(why, whylen, "%s: no CUDA kernel: %s (looked in %s); %s", m->manifest, ptx_err, looked, rtc_err);
        return BRIDGE_E_UNSUPPORTED;
    }
    return BRIDGE_OK;
}

/* Grid and block of the kernel on this device: BRIDGE_OK, or
 * BRIDGE_E_UNSUPPORTED when the MLP's one block does not fit. */
static int cu_geometry(const cu_state_t *s, cu_model_t *om, char *why, size_t whylen)
{
    const bridge_sched_model_t *h = &om->hdr;
    om->grid[1] = om->grid[2] = om->block[1] = om->block[2] = 1;
    switch (h->kind) {
    case BRIDGE_K_VECTOR_ADD_I32:
    case BRIDGE_K_SAXPY_F32:
        om->block[0] = 128;
        om->grid[0] = div_up(h->d0, 128);
        break;
    case BRIDGE_K_GEMM_F32:
        om->block[0] = om->block[1] = 16;
        om->grid[0] = div_up(h->d2, 16);
        om->grid[1] = div_up(h->d0, 16);
        break;
    case BRIDGE_K_MLP_RELU_F32: {
        unsigned t = h->d1 > h->d2 ? h->d1 : h->d2;
        t = div_up(t, 32) * 32;
        if (s->max_threads > 0 && t > (unsigned)s->max_threads) {
            bridge_why(why, whylen, "%s: mlp needs one block of %u threads, device allows %d", h->m->manifest, t,
                       s->max_threads);
            return BRIDGE_E_UNSUPPORTED;
        }
        om->block[0] = t;
        om->grid[0] = 1;
        om->shmem = h->d1 * (unsigned)sizeof(float);
        break;
    }
    default: break;
    }
    return BRIDGE_OK;
}

/* The MLP's weights, once, and (unless zero-copy) every slot's device
 * input and output buffers: BRIDGE_OK or BRIDGE_E_BACKEND with why[] set. */
static int cu_buffers(const cu_state_t *s, cu_model_t *om, char *why, size_t whylen)
{
    const bridge_model_t *m = om->hdr.m;
    CUresult r = CUDA_SUCCESS;
    if (om->hdr.kind == BRIDGE_K_MLP_RELU_F32) {
        static const char *const wn[4] = {"w1", "b1", "w2", "b2"};
        for (uint32_t i = 0; i < 4; i++) {
            const bridge_weight_t *w = bridge_model_weight(m, wn[i]);
            r = cu.MemAlloc(&om->w[i], w->spec.bytes);
            if (r == CUDA_SUCCESS)
                r = cu.MemcpyHtoD(om->w[i], w->data, w->spec.bytes);
            if (r != CUDA_SUCCESS) {
                bridge_why(why, whylen, "%s: weight %s (%u bytes): %s (%d)", m->manifest, wn[i], w->spec.bytes,
                           cu_errname(r), r);
                return BRIDGE_E_BACKEND;
            }
        }
    }
    if (s->zerocopy)
        return BRIDGE_OK;
    for (uint32_t sl = 0; sl < s->sched.n_slots; sl++) {
        for (uint32_t i = 0; i < m->n_in && r == CUDA_SUCCESS; i++)
            r = cu.MemAlloc(&om->in[sl][i], m->in[i].bytes);
        if (r == CUDA_SUCCESS)
            r = cu.MemAlloc(&om->out[sl], m->out[0].bytes);
        if (r != CUDA_SUCCESS) {
            bridge_why(why, whylen, "%s: device buffers: cuMemAlloc: %s (%d)", m->manifest, cu_errname(r), r);
            return BRIDGE_E_BACKEND;
        }
    }
    return BRIDGE_OK;
}

/* Kernel function, geometry, weights, buffers and staging of om. */
static int cu_prepare(cu_state_t *s, cu_model_t *om, const char *kname, char *why, size_t whylen)
{
    const bridge_model_t *m = om->hdr.m;
    int rc = cu_module(s, om, why, whylen);
    if (rc != BRIDGE_OK)
        return rc;
    CUresult r = CUDA_SUCCESS;
    for (uint32_t p = 0; p < s->n_parts && r == CUDA_SUCCESS; p++)
        r = cu.ModuleGetFunction(&om->fn[p], om->mod[p], kname);
    if (r != CUDA_SUCCESS) {
        bridge_why(why, whylen, "%s: no kernel '%s' in the module: %s (%d)", m->manifest, kname, cu_errname(r), r);
        return BRIDGE_E_UNSUPPORTED;
    }
    rc = cu_geometry(s, om, why, whylen);
    if (rc == BRIDGE_OK)
        rc = cu_buffers(s, om, why, whylen);
    if (rc != BRIDGE_OK)
        return rc;
    size_t bytes = 0;
    int err = 0;
    rc = bridge_sched_stage_grow(&s->sched, m, &bytes, &err);
    if (rc != BRIDGE_OK)
        bridge_why(why, whylen, "%s: pinned staging (%zu bytes): %s (%d)", m->manifest, bytes, cu_errname(err), err);
    return rc;
}

static int cu_load_model(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen)
{
    cu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || m == NULL || why == NULL)
        return BRIDGE_E_INVAL;
    bridge_sched_model_t hdr;
    const char *kname = NULL;
    int rc = bridge_sched_model_check(&s->sched, m, "cuda", &hdr, &kname, why, whylen);
    if (rc != BRIDGE_OK)
        return rc;
    cu.CtxSetCurrent(s->ctx);
    cu_model_t *om = calloc(1, sizeof(*om));
    if (om == NULL)
        return BRIDGE_E_NOMEM;
    om->hdr = hdr;
    rc = cu_prepare(s, om, kname, why, whylen);
    if (rc != BRIDGE_OK) {
        cu_free_model(om);
        return rc;
    }
    bridge_sched_add_model(&s->sched, &om->hdr);
    return BRIDGE_OK;
}

/* ---- the device-specific part of a job (bridge_sched_hooks_t) ----------- */

/* Runs on a driver thread once everything before it in the stream is done. */
static void cu_stream_done(CUstream stream, CUresult status, void *arg)
{
    (void)stream;
    cu_slot_t *sl = arg;
    bridge_sched_complete(&sl->owner->sched, &sl->hdr, status == CUDA_SUCCESS ? 0 : status);
}

/* Event, copies in (none with zero-copy), kernel, copy out, event: all on
 * the class's stream, without blocking. */
static int cu_enqueue(void *owner, uint32_t idx, bridge_job_t *job, bridge_sched_model_t *model)
{
    cu_state_t *s = owner;
    cu_slot_t *sl = &s->slots[idx];
    cu_model_t *om = (cu_model_t *)model;
    const bridge_model_t *m = job->model;
    CUstream st = s->stream[job->qos];
    uint32_t p = cu_part_of(s, job->qos);
    CUdeviceptr din[IPC_MAX_TENSORS], dout;
    for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++)
        din[i] = s->zerocopy ? sl->map_in[i] : om->in[idx][i];
    dout = s->zerocopy ? sl->map_out : om->out[idx];
    sl->part = p;
    CUresult r = cu.CtxSetCurrent(s->part_ctx[p]);
    if (r == CUDA_SUCCESS)
        r = cu.EventRecord(sl->ev0[p], st);
    for (uint32_t i = 0; i < m->n_in && r == CUDA_SUCCESS && !s->zerocopy; i++)
        r = cu.MemcpyHtoDAsync(din[i], sl->hdr.stage_in[i], m->in[i].bytes, st);
    if (r == CUDA_SUCCESS) {
        void *params[12];
        unsigned a = 0;
        for (uint32_t i = 0; i < m->n_in; i++)
            params[a++] = &din[i];
        if (om->hdr.kind == BRIDGE_K_MLP_RELU_F32)
            for (uint32_t i = 0; i < 4; i++)
                params[a++] = &om->w[i];
        params[a++] = &dout;
        params[a++] = &om->hdr.d0;
        if (om->hdr.kind == BRIDGE_K_GEMM_F32 || om->hdr.kind == BRIDGE_K_MLP_RELU_F32) {
            params[a++] = &om->hdr.d1;
            params[a++] = &om->hdr.d2;
        }
        r = cu.LaunchKernel(om->fn[p], om->grid[0], om->grid[1], om->grid[2], om->block[0], om->block[1], om->block[2],
                            om->shmem, st, params, NULL);
    }
    if (r == CUDA_SUCCESS && !s->zerocopy)
        r = cu.MemcpyDtoHAsync(sl->hdr.stage_out, dout, m->out[0].bytes, st);
    if (r == CUDA_SUCCESS)
        r = cu.EventRecord(sl->ev1[p], st);
    return r;
}

static int cu_arm(void *owner, uint32_t idx, bridge_job_t *job)
{
    cu_state_t *s = owner;
    return cu.StreamAddCallback(s->stream[job->qos], cu_stream_done, &s->slots[idx], 0);
}

static void cu_unwind(void *owner, uint32_t idx, bridge_job_t *job)
{
    cu_state_t *s = owner;
    (void)idx;
    cu.StreamSynchronize(s->stream[job->qos]);
}

/* Between the events recorded before the first copy and after the last. */
static uint64_t cu_device_ns(void *owner, uint32_t idx)
{
    const cu_slot_t *sl = &((cu_state_t *)owner)->slots[idx];
    float ms = 0.0f;
    if (cu.EventElapsedTime(&ms, sl->ev0[sl->part], sl->ev1[sl->part]) == CUDA_SUCCESS && ms > 0.0f)
        return (uint64_t)((double)ms * 1e6);
    return 0;
}

/* Pinned host staging; with zero-copy also mapped, its device view kept
 * in the slot for the kernel. */
static int cu_stage_alloc(void *owner, uint32_t idx, uint32_t t, size_t bytes, void **p)
{
    cu_state_t *s = owner;
    cu_slot_t *slot = &s->slots[idx];
    CUdeviceptr *dp = t < IPC_MAX_TENSORS ? &slot->map_in[t] : &slot->map_out;
    *p = NULL;
    /* Portable: pinned for the green contexts too, not only the primary one. */
    unsigned flags = (s->zerocopy ? CU_MEMHOSTALLOC_DEVICEMAP : 0) | (s->n_parts > 1 ? CU_MEMHOSTALLOC_PORTABLE : 0);
    CUresult r = cu.MemHostAlloc(p, bytes, flags);
    if (r == CUDA_SUCCESS && s->zerocopy)
        r = cu.MemHostGetDevicePointer(dp, *p, 0);
    if (r != CUDA_SUCCESS && *p) {
        cu.MemFreeHost(*p);
        *p = NULL;
    }
    return r;
}

static void cu_stage_free(void *owner, void *p)
{
    (void)owner;
    cu.MemFreeHost(p);
}

static const bridge_sched_hooks_t cu_hooks = {
    .label = "CUDA",
    .enqueue = cu_enqueue,
    .arm = cu_arm,
    .unwind = cu_unwind,
    .device_ns = cu_device_ns,
    .release = NULL,
    .stage_alloc = cu_stage_alloc,
    .stage_free = cu_stage_free,
    .errname = cu_errname,
};

const bridge_backend_ops_t bridge_backend_cuda = {
    .name = "cuda",
    .probe = cu_probe,
    .init = cu_init,
    .load_model = cu_load_model,
    .submit = bridge_sched_op_submit,
    .poll = bridge_sched_op_poll,
    .in_flight = bridge_sched_op_in_flight,
    .set_wake = bridge_sched_op_set_wake,
    .finished = bridge_sched_op_finished,
    .shutdown = cu_shutdown,
};
