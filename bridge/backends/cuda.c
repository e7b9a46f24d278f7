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
 * One context (the device's primary context), one stream per QoS class
 * created with cuStreamCreateWithPriority over the device's priority
 * range, device buffers allocated once per model and per slot, and pinned
 * host staging (cuMemHostAlloc): inputs are copied once out of the region
 * into the staging buffer, sent with cuMemcpyHtoDAsync, the output comes
 * back into staging and is copied to the region at completion. With
 * ZENEDGE_CUDA_MEMORY=zerocopy the kernels read and write the mapped
 * staging buffers directly instead (no copies; see docs/backends.md).
 * Device time is measured between two events around each job
 * (cuEventElapsedTime). A stream callback marks the slot finished and
 * wakes poll().
 *
 * QoS as in the OpenCL backend: strict dispatch by class, and no job is
 * dispatched while a more urgent one is on the device, unless
 * ZENEDGE_QOS_OVERLAP=1, which leaves the arbitration to the stream
 * priorities.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bridge_errors.h"
#include "backend.h"
#include "jobq.h"
#include "cuda_api.h"
#include "zl.h"

#define CU_SLOTS_MAX   4u
#define CU_SOURCE_MAX  (1u << 20)

/* snprintf into a message buffer; truncation of a long path is fine. */
__attribute__((format(printf, 3, 4))) static void msg_set(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* ---- the driver, loaded once ------------------------------------------ */

static struct cu_api {
    int   tried, ok;
    void *lib;
    char  why[384];
    cuInit_fn                       Init;
    cuDriverGetVersion_fn           DriverGetVersion;
    cuDeviceGetCount_fn             DeviceGetCount;
    cuDeviceGet_fn                  DeviceGet;
    cuDeviceGetName_fn              DeviceGetName;
    cuDeviceGetAttribute_fn         DeviceGetAttribute;
    cuDeviceTotalMem_fn             DeviceTotalMem;
    cuDevicePrimaryCtxRetain_fn     PrimaryCtxRetain;
    cuDevicePrimaryCtxRelease_fn    PrimaryCtxRelease;
    cuCtxSetCurrent_fn              CtxSetCurrent;
    cuCtxGetStreamPriorityRange_fn  CtxGetStreamPriorityRange;
    cuModuleLoadData_fn             ModuleLoadData;
    cuModuleGetFunction_fn          ModuleGetFunction;
    cuModuleUnload_fn               ModuleUnload;
    cuMemAlloc_fn                   MemAlloc;
    cuMemFree_fn                    MemFree;
    cuMemHostAlloc_fn               MemHostAlloc;
    cuMemFreeHost_fn                MemFreeHost;
    cuMemHostGetDevicePointer_fn    MemHostGetDevicePointer;
    cuMemcpyHtoD_fn                 MemcpyHtoD;
    cuMemcpyHtoDAsync_fn            MemcpyHtoDAsync;
    cuMemcpyDtoHAsync_fn            MemcpyDtoHAsync;
    cuStreamCreateWithPriority_fn   StreamCreateWithPriority;
    cuStreamDestroy_fn              StreamDestroy;
    cuStreamSynchronize_fn          StreamSynchronize;
    cuStreamAddCallback_fn          StreamAddCallback;
    cuEventCreate_fn                EventCreate;
    cuEventRecord_fn                EventRecord;
    cuEventElapsedTime_fn           EventElapsedTime;
    cuEventDestroy_fn               EventDestroy;
    cuLaunchKernel_fn               LaunchKernel;
    cuGetErrorName_fn               GetErrorName;
} cu;

static struct nvrtc_api {
    int   tried, ok;
    void *lib;
    char  why[384];
    nvrtcCreateProgram_fn      CreateProgram;
    nvrtcCompileProgram_fn     CompileProgram;
    nvrtcGetProgramLogSize_fn  GetProgramLogSize;
    nvrtcGetProgramLog_fn      GetProgramLog;
    nvrtcGetPTXSize_fn         GetPTXSize;
    nvrtcGetPTX_fn             GetPTX;
    nvrtcDestroyProgram_fn     DestroyProgram;
    nvrtcGetErrorString_fn     GetErrorString;
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
        msg_set(why, whylen, "missing symbol %s", name);
        return -1;
    }
    memcpy(slot, &p, size);
    return 0;
}

#define CU_SYM(lib, field, name, why, whylen) cu_sym(lib, name, &(field), sizeof(field), why, whylen)

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
        msg_set(cu.why, sizeof(cu.why), "CUDA: libcuda.so.1 not found (no NVIDIA driver): disabled by "
                 "ZENEDGE_CUDA_LIBRARY=none");
        return -1;
    }
    cu.lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (cu.lib == NULL) {
        const char *e = dlerror();
        msg_set(cu.why, sizeof(cu.why), "CUDA: %s not found (no NVIDIA driver): %s", name, e ? e : "dlopen failed");
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
        msg_set(cu.why, sizeof(cu.why), "CUDA: %s is not a usable driver library: %s", name, w);
        dlclose(cu.lib);
        cu.lib = NULL;
        return -1;
    }
    CUresult r = cu.Init(0);
    if (r != CUDA_SUCCESS) {
        msg_set(cu.why, sizeof(cu.why), "CUDA: driver present but cuInit failed: %s (%d)%s", cu_errname(r), r,
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
        msg_set(nvrtc.why, sizeof(nvrtc.why), "NVRTC disabled by ZENEDGE_NVRTC_LIBRARY=none");
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
        msg_set(nvrtc.why, sizeof(nvrtc.why), "NVRTC not found: %s", e ? e : "dlopen failed");
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
        msg_set(nvrtc.why, sizeof(nvrtc.why), "NVRTC library unusable: %s", w);
        dlclose(nvrtc.lib);
        nvrtc.lib = NULL;
        return -1;
    }
    nvrtc.ok = 1;
    return 0;
}

/* ---- state -------------------------------------------------------------- */


typedef struct cu_model {
    const bridge_model_t *m;
    bridge_kernel_t             kind;
    CUmodule              mod;
    CUfunction            fn;
    unsigned              d0, d1, d2;        /* gemm m,k,n; mlp in,hidden,out; else n */
    CUdeviceptr           w[4];              /* mlp: w1 b1 w2 b2 */
    CUdeviceptr           in[CU_SLOTS_MAX][IPC_MAX_TENSORS];
    CUdeviceptr           out[CU_SLOTS_MAX];
    unsigned              grid[3], block[3], shmem;
    char                  origin[16];        /* "ptx" or "nvrtc" */
} cu_model_t;

struct cu_state;

typedef struct cu_slot {
    bridge_slot_t    hdr;                     /* job (NULL: free), done, seq: the scheduler's */
    struct cu_state *owner;
    cu_model_t      *om;
    CUevent          ev0, ev1;
    void            *stage_in[IPC_MAX_TENSORS];   /* pinned */
    void            *stage_out;
    CUdeviceptr      map_in[IPC_MAX_TENSORS];     /* zero-copy device views */
    CUdeviceptr      map_out;
    /* written by the stream callback, under sched.lock */
    CUresult         status;
    uint64_t         t_done;
} cu_slot_t;

typedef struct cu_state {
    CUdevice        dev;
    CUcontext       ctx;
    int             ctx_retained;
    CUstream        stream[IPC_QOS_COUNT];
    int             prio[IPC_QOS_COUNT];
    int             zerocopy, max_threads, cc_major, cc_minor;
    char            dev_name[128];
    cu_model_t     *models[BRIDGE_MAX_MODELS];
    uint32_t        n_models;
    size_t          stage_len;
    cu_slot_t       slots[CU_SLOTS_MAX];
    bridge_sched_t  sched;         /* queues, slot scheduling, lock (jobq.h) */
    int             sched_up;
} cu_state_t;

static int  cu_start(void *owner, uint32_t idx, bridge_job_t *job);
static void cu_finish(void *owner, uint32_t idx);

/* ---- probe / init / shutdown ------------------------------------------- */

static int cu_probe(bridge_device_info_t *devs, int max, char *why, size_t whylen)
{
    if (cu_load() != 0) {
        msg_set(why, whylen, "%s", cu.why);
        return BRIDGE_E_NO_DEVICE;
    }
    int n = 0, ver = 0;
    CUresult r = cu.DeviceGetCount(&n);
    if (r != CUDA_SUCCESS || n <= 0) {
        msg_set(why, whylen, "CUDA: no device (cuDeviceGetCount: %s, count %d)", cu_errname(r), n);
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
        snprintf(devs[i].device, sizeof(devs[i].device), "%d:%.80s (sm_%d%d, %zu MiB)", i, name, maj, min,
                 mem >> 20);
        devs[i].index = i;
    }
    return n;
}

static void cu_shutdown(bridge_backend_t *be);

static int cu_init(bridge_backend_t *be, const bridge_backend_config_t *cfg)
{
    if (be == NULL)
        return BRIDGE_E_INVAL;
    if (cu_load() != 0) {
        fprintf(stderr, "%s\n", cu.why);
        return BRIDGE_E_NO_DEVICE;
    }
    int n = 0;
    if (cu.DeviceGetCount(&n) != CUDA_SUCCESS || n <= 0) {
        fprintf(stderr, "CUDA: no device\n");
        return BRIDGE_E_NO_DEVICE;
    }
    /* Device: NULL/"" = 0, "N" = index N, else a substring of the name. */
    int pick = -1;
    const char *spec = cfg ? cfg->device : NULL;
    for (int i = 0; i < n && pick < 0; i++) {
        CUdevice d;
        char name[128] = "";
        if (cu.DeviceGet(&d, i) != CUDA_SUCCESS)
            continue;
        cu.DeviceGetName(name, (int)sizeof(name) - 1, d);
        char *end = NULL;
        long want = spec && spec[0] ? strtol(spec, &end, 10) : 0;
        if ((spec == NULL || spec[0] == '\0') ? i == 0
            : (end && *end == '\0') ? want == i
            : strstr(name, spec) != NULL)
            pick = i;
    }
    if (pick < 0) {
        fprintf(stderr, "CUDA: no device matches '%s' (see --list-devices; forms: N, NAME)\n", spec);
        return BRIDGE_E_NO_DEVICE;
    }
    cu_state_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return BRIDGE_E_NOMEM;
    for (uint32_t i = 0; i < CU_SLOTS_MAX; i++)
        s->slots[i].owner = s;
    be->priv = s;
    if (bridge_sched_init(&s->sched, cfg && cfg->queue_depth ? cfg->queue_depth : 16u, CU_SLOTS_MAX, s, cu_start,
                          cu_finish) != BRIDGE_OK)
        goto nomem;
    s->sched_up = 1;
    for (uint32_t i = 0; i < s->sched.n_slots; i++)
        s->sched.slot[i] = &s->slots[i].hdr;
    const char *mem = getenv("ZENEDGE_CUDA_MEMORY");
    s->zerocopy = mem && strcmp(mem, "zerocopy") == 0;
    const char *ov = getenv("ZENEDGE_QOS_OVERLAP");
    s->sched.strict = !(ov && strcmp(ov, "1") == 0);

    CUresult r = cu.DeviceGet(&s->dev, pick);
    if (r == CUDA_SUCCESS)
        r = cu.PrimaryCtxRetain(&s->ctx, s->dev);
    if (r == CUDA_SUCCESS) {
        s->ctx_retained = 1;
        r = cu.CtxSetCurrent(s->ctx);
    }
    if (r != CUDA_SUCCESS) {
        fprintf(stderr, "CUDA: context on device %d: %s (%d)\n", pick, cu_errname(r), r);
        cu_shutdown(be);
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
            fprintf(stderr, "CUDA: '%s' cannot map host memory: ZENEDGE_CUDA_MEMORY=zerocopy ignored\n", s->dev_name);
            s->zerocopy = 0;
        }
    }
    /* QoS class c -> priority: RT the greatest, BACKGROUND the least,
     * the classes between spread evenly (lower number = higher priority). */
    int least = 0, greatest = 0;
    cu.CtxGetStreamPriorityRange(&least, &greatest);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        int span = least - greatest;
        s->prio[c] = greatest + (span * (int)c + (int)(IPC_QOS_COUNT - 1) / 2) / (int)(IPC_QOS_COUNT - 1);
        r = cu.StreamCreateWithPriority(&s->stream[c], CU_STREAM_NON_BLOCKING, s->prio[c]);
        if (r != CUDA_SUCCESS) {
            fprintf(stderr, "CUDA: stream for QoS %u (priority %d): %s (%d)\n", c, s->prio[c], cu_errname(r), r);
            cu_shutdown(be);
            return BRIDGE_E_BACKEND;
        }
    }
    for (uint32_t i = 0; i < s->sched.n_slots; i++) {
        r = cu.EventCreate(&s->slots[i].ev0, CU_EVENT_DEFAULT);
        if (r == CUDA_SUCCESS)
            r = cu.EventCreate(&s->slots[i].ev1, CU_EVENT_DEFAULT);
        if (r != CUDA_SUCCESS) {
            fprintf(stderr, "CUDA: cuEventCreate: %s (%d)\n", cu_errname(r), r);
            cu_shutdown(be);
            return BRIDGE_E_BACKEND;
        }
    }
    return BRIDGE_OK;
nomem:
    cu_shutdown(be);
    return BRIDGE_E_NOMEM;
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
    if (om->mod)
        cu.ModuleUnload(om->mod);
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
    for (uint32_t i = 0; i < CU_SLOTS_MAX; i++) {
        cu_slot_t *sl = &s->slots[i];
        for (uint32_t t = 0; t < IPC_MAX_TENSORS; t++)
            if (sl->stage_in[t])
                cu.MemFreeHost(sl->stage_in[t]);
        if (sl->stage_out)
            cu.MemFreeHost(sl->stage_out);
        if (sl->ev0)
            cu.EventDestroy(sl->ev0);
        if (sl->ev1)
            cu.EventDestroy(sl->ev1);
    }
    for (uint32_t i = 0; i < s->n_models; i++)
        cu_free_model(s->models[i]);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->stream[c])
            cu.StreamDestroy(s->stream[c]);
    if (s->ctx_retained)
        cu.PrimaryCtxRelease(s->dev);
    if (s->sched_up)
        bridge_sched_destroy(&s->sched);
    free(s);
    be->priv = NULL;
}

/* ---- load_model ------------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(CU_SOURCE_MAX + 1);
    size_t n = buf ? fread(buf, 1, CU_SOURCE_MAX + 1, f) : 0;
    fclose(f);
    if (buf == NULL || n == 0 || n > CU_SOURCE_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
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
    msg_set(looked, looklen, "%s", path);
    char *text = read_text(path);
#ifdef ZENEDGE_CUDA_PTX_BUILD_DIR
    if (text == NULL) {
        const char *base = strrchr(m->dir, '/');
        base = base ? base + 1 : m->dir;
        msg_set(path, sizeof(path), "%s/%s/%s", ZENEDGE_CUDA_PTX_BUILD_DIR, base, ptx);
        size_t l = strlen(looked);
        msg_set(looked + l, looklen - l, ", %s", path);
        text = read_text(path);
    }
#endif
    return text;
}

/* Compile the model's .cu with NVRTC for this device; PTX or NULL (why). */
static char *cu_nvrtc(const cu_state_t *s, const bridge_model_t *m, const char *src_name, char *why, size_t whylen)
{
    if (nvrtc_load() != 0) {
        msg_set(why, whylen, "%s", nvrtc.why);
        return NULL;
    }
    char path[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX + 8];
    snprintf(path, sizeof(path), "%s/%s", m->dir, src_name);
    char *src = read_text(path);
    if (src == NULL) {
        msg_set(why, whylen, "cannot read CUDA source '%s'", path);
        return NULL;
    }
    nvrtcProgram p = NULL;
    nvrtcResult r = nvrtc.CreateProgram(&p, src, src_name, 0, NULL, NULL);
    free(src);
    if (r != NVRTC_SUCCESS) {
        msg_set(why, whylen, "nvrtcCreateProgram(%s): %s", path, nvrtc.GetErrorString(r));
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
        msg_set(why, whylen, "NVRTC compile of %s (%s): %s: %s", path, arch, nvrtc.GetErrorString(r), log);
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
        msg_set(why, whylen, "NVRTC returned no PTX for %s", path);
    return ptx;
}

static unsigned div_up(unsigned a, unsigned b)
{
    return (a + b - 1) / b;
}

static int cu_load_model(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen)
{
    cu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || m == NULL || why == NULL)
        return BRIDGE_E_INVAL;
    if (s->n_models >= BRIDGE_MAX_MODELS) {
        msg_set(why, whylen, "%s: more than %u models", m->manifest, BRIDGE_MAX_MODELS);
        return BRIDGE_E_NOMEM;
    }
    if (s->sched.taken) {
        msg_set(why, whylen, "%s: load_model while %u job(s) in flight", m->manifest, s->sched.taken);
        return BRIDGE_E_INVAL;
    }
    cu.CtxSetCurrent(s->ctx);
    const char *kname = bridge_model_opt(m, "cuda", "kernel");
    if (kname == NULL)
        kname = bridge_model_opt(m, "cpu", "kernel");
    if (kname == NULL) {
        msg_set(why, whylen, "%s: [backend.cuda] kernel: missing", m->manifest);
        return BRIDGE_E_UNSUPPORTED;
    }
    cu_model_t *om = calloc(1, sizeof(*om));
    if (om == NULL)
        return BRIDGE_E_NOMEM;
    om->m = m;
    om->kind = bridge_kernel_by_name(kname);
    uint32_t dim[3];
    const char *bad = bridge_kernel_check(om->kind, m, dim);
    if (bad) {
        msg_set(why, whylen, "%s: [backend.cuda] kernel: %s %s", m->manifest, kname, bad);
        free(om);
        return BRIDGE_E_UNSUPPORTED;
    }
    om->d0 = dim[0];
    om->d1 = dim[1];
    om->d2 = dim[2];
    char ptx_name[BRIDGE_FILE_MAX + 8], cu_name[BRIDGE_FILE_MAX + 8];
    const char *o = bridge_model_opt(m, "cuda", "ptx");
    snprintf(ptx_name, sizeof(ptx_name), o ? "%s" : "%s.ptx", o ? o : m->name);
    o = bridge_model_opt(m, "cuda", "source");
    snprintf(cu_name, sizeof(cu_name), o ? "%s" : "%s.cu", o ? o : m->name);
    if (!plain_name(ptx_name) || !plain_name(cu_name)) {
        msg_set(why, whylen, "%s: [backend.cuda] ptx/source must be file names in the model folder", m->manifest);
        free(om);
        return BRIDGE_E_UNSUPPORTED;
    }

    /* Kernel image: build-time PTX first, NVRTC if it is absent or the
     * driver refuses it (e.g. PTX newer than the driver). */
    char looked[2 * BRIDGE_PATH_MAX], ptx_err[160] = "", rtc_err[512] = "";
    char *ptx = cu_find_ptx(m, ptx_name, looked, sizeof(looked));
    CUresult r = CUDA_ERROR_NOT_FOUND;
    if (ptx) {
        r = cu.ModuleLoadData(&om->mod, ptx);
        free(ptx);
        if (r == CUDA_SUCCESS)
            snprintf(om->origin, sizeof(om->origin), "ptx");
        else
            msg_set(ptx_err, sizeof(ptx_err), "PTX refused by the driver: %s (%d)", cu_errname(r), r);
    } else {
        msg_set(ptx_err, sizeof(ptx_err), "no PTX");
    }
    if (r != CUDA_SUCCESS) {
        ptx = cu_nvrtc(s, m, cu_name, rtc_err, sizeof(rtc_err));
        if (ptx) {
            r = cu.ModuleLoadData(&om->mod, ptx);
            free(ptx);
            if (r == CUDA_SUCCESS)
                snprintf(om->origin, sizeof(om->origin), "nvrtc");
            else
                msg_set(rtc_err, sizeof(rtc_err), "NVRTC PTX refused by the driver: %s (%d)", cu_errname(r), r);
        }
    }
    if (r != CUDA_SUCCESS) {
        msg_set(why, whylen, "%s: no CUDA kernel: %s (looked in %s); %s", m->manifest, ptx_err, looked, rtc_err);
        free(om);
        return BRIDGE_E_UNSUPPORTED;
    }
    r = cu.ModuleGetFunction(&om->fn, om->mod, kname);
    if (r != CUDA_SUCCESS) {
        msg_set(why, whylen, "%s: no kernel '%s' in the module: %s (%d)", m->manifest, kname, cu_errname(r), r);
        cu_free_model(om);
        return BRIDGE_E_UNSUPPORTED;
    }

    om->grid[1] = om->grid[2] = om->block[1] = om->block[2] = 1;
    switch (om->kind) {
    case BRIDGE_K_VECTOR_ADD_I32:
    case BRIDGE_K_SAXPY_F32:
        om->block[0] = 128;
        om->grid[0] = div_up(om->d0, 128);
        break;
    case BRIDGE_K_GEMM_F32:
        om->block[0] = om->block[1] = 16;
        om->grid[0] = div_up(om->d2, 16);
        om->grid[1] = div_up(om->d0, 16);
        break;
    case BRIDGE_K_MLP_RELU_F32: {
        unsigned t = om->d1 > om->d2 ? om->d1 : om->d2;
        t = div_up(t, 32) * 32;
        if (s->max_threads > 0 && t > (unsigned)s->max_threads) {
            msg_set(why, whylen, "%s: mlp needs one block of %u threads, device allows %d", m->manifest, t,
                     s->max_threads);
            cu_free_model(om);
            return BRIDGE_E_UNSUPPORTED;
        }
        om->block[0] = t;
        om->grid[0] = 1;
        om->shmem = om->d1 * (unsigned)sizeof(float);
        break;
    }
    default:
        break;
    }

    if (om->kind == BRIDGE_K_MLP_RELU_F32) {
        static const char *const wn[4] = {"w1", "b1", "w2", "b2"};
        for (uint32_t i = 0; i < 4; i++) {
            const bridge_weight_t *w = bridge_model_weight(m, wn[i]);
            r = cu.MemAlloc(&om->w[i], w->spec.bytes);
            if (r == CUDA_SUCCESS)
                r = cu.MemcpyHtoD(om->w[i], w->data, w->spec.bytes);
            if (r != CUDA_SUCCESS) {
                msg_set(why, whylen, "%s: weight %s (%u bytes): %s (%d)", m->manifest, wn[i], w->spec.bytes,
                         cu_errname(r), r);
                cu_free_model(om);
                return BRIDGE_E_BACKEND;
            }
        }
    }
    size_t need = m->out[0].bytes;
    for (uint32_t i = 0; i < m->n_in; i++)
        need = m->in[i].bytes > need ? m->in[i].bytes : need;
    if (!s->zerocopy)
        for (uint32_t sl = 0; sl < s->sched.n_slots; sl++) {
            for (uint32_t i = 0; i < m->n_in && r == CUDA_SUCCESS; i++)
                r = cu.MemAlloc(&om->in[sl][i], m->in[i].bytes);
            if (r == CUDA_SUCCESS)
                r = cu.MemAlloc(&om->out[sl], m->out[0].bytes);
            if (r != CUDA_SUCCESS) {
                msg_set(why, whylen, "%s: device buffers: cuMemAlloc: %s (%d)", m->manifest, cu_errname(r), r);
                cu_free_model(om);
                return BRIDGE_E_BACKEND;
            }
        }
    if (need > s->stage_len) {
        unsigned flags = s->zerocopy ? CU_MEMHOSTALLOC_DEVICEMAP : 0;
        for (uint32_t sl = 0; sl < s->sched.n_slots; sl++)
            for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++) {
                cu_slot_t *slot = &s->slots[sl];
                void **pp = i < IPC_MAX_TENSORS ? &slot->stage_in[i] : &slot->stage_out;
                CUdeviceptr *dp = i < IPC_MAX_TENSORS ? &slot->map_in[i] : &slot->map_out;
                void *p = NULL;
                r = cu.MemHostAlloc(&p, need, flags);
                if (r == CUDA_SUCCESS && s->zerocopy)
                    r = cu.MemHostGetDevicePointer(dp, p, 0);
                if (r != CUDA_SUCCESS) {
                    if (p)
                        cu.MemFreeHost(p);
                    msg_set(why, whylen, "%s: pinned staging (%zu bytes): %s (%d)", m->manifest, need,
                             cu_errname(r), r);
                    cu_free_model(om);
                    return BRIDGE_E_NOMEM;
                }
                if (*pp)
                    cu.MemFreeHost(*pp);
                *pp = p;
            }
        s->stage_len = need;
    }
    s->models[s->n_models++] = om;
    return BRIDGE_OK;
}

/* ---- dispatch --------------------------------------------------------- */

static cu_model_t *cu_find(const cu_state_t *s, uint32_t id)
{
    for (uint32_t i = 0; i < s->n_models; i++)
        if (s->models[i]->m->id == id)
            return s->models[i];
    return NULL;
}

/* Runs on a driver thread once everything before it in the stream is done. */
static void cu_stream_done(CUstream stream, CUresult status, void *arg)
{
    (void)stream;
    cu_slot_t *sl = arg;
    cu_state_t *s = sl->owner;
    uint64_t now = zl_now_ns();
    pthread_mutex_lock(&s->sched.lock);
    sl->status = status;
    sl->t_done = now;
    bridge_sched_done_locked(&s->sched, &sl->hdr);
    pthread_mutex_unlock(&s->sched.lock);
}

/* Copy, launch and read back one job on slot idx, without blocking
 * (bridge_sched_t.start). */
static int cu_start(void *owner, uint32_t idx, bridge_job_t *job)
{
    cu_state_t *s = owner;
    cu_slot_t *sl = &s->slots[idx];
    cu_model_t *om = cu_find(s, job->model->id);
    const bridge_model_t *m = job->model;
    if (om == NULL)
        return BRIDGE_E_UNSUPPORTED;
    for (uint32_t i = 0; i < m->n_in; i++)
        memcpy(sl->stage_in[i], job->in[i], m->in[i].bytes);
    CUstream st = s->stream[job->qos];
    CUdeviceptr din[IPC_MAX_TENSORS], dout;
    for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++)
        din[i] = s->zerocopy ? sl->map_in[i] : om->in[idx][i];
    dout = s->zerocopy ? sl->map_out : om->out[idx];
    job->t_backend_start = zl_now_ns();
    CUresult r = cu.EventRecord(sl->ev0, st);
    for (uint32_t i = 0; i < m->n_in && r == CUDA_SUCCESS && !s->zerocopy; i++)
        r = cu.MemcpyHtoDAsync(din[i], sl->stage_in[i], m->in[i].bytes, st);
    if (r == CUDA_SUCCESS) {
        void *params[12];
        unsigned a = 0;
        for (uint32_t i = 0; i < m->n_in; i++)
            params[a++] = &din[i];
        if (om->kind == BRIDGE_K_MLP_RELU_F32)
            for (uint32_t i = 0; i < 4; i++)
                params[a++] = &om->w[i];
        params[a++] = &dout;
        params[a++] = &om->d0;
        if (om->kind == BRIDGE_K_GEMM_F32 || om->kind == BRIDGE_K_MLP_RELU_F32) {
            params[a++] = &om->d1;
            params[a++] = &om->d2;
        }
        r = cu.LaunchKernel(om->fn, om->grid[0], om->grid[1], om->grid[2], om->block[0], om->block[1],
                            om->block[2], om->shmem, st, params, NULL);
    }
    if (r == CUDA_SUCCESS && !s->zerocopy)
        r = cu.MemcpyDtoHAsync(sl->stage_out, dout, m->out[0].bytes, st);
    if (r == CUDA_SUCCESS)
        r = cu.EventRecord(sl->ev1, st);
    if (r == CUDA_SUCCESS) {
        pthread_mutex_lock(&s->sched.lock);
        sl->hdr.job = job;
        sl->om = om;
        sl->hdr.done = 0;
        pthread_mutex_unlock(&s->sched.lock);
        r = cu.StreamAddCallback(st, cu_stream_done, sl, 0);
        if (r == CUDA_SUCCESS)
            return BRIDGE_OK;
        pthread_mutex_lock(&s->sched.lock);
        sl->hdr.job = NULL;
        pthread_mutex_unlock(&s->sched.lock);
    }
    fprintf(stderr, "CUDA: job 0x%08x (model %u) not started: %s (%d)\n", job->handle, m->id, cu_errname(r), r);
    cu.StreamSynchronize(st);
    return BRIDGE_E_BACKEND;
}

static int cu_submit(bridge_backend_t *be, bridge_job_t *job)
{
    cu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || job == NULL || job->model == NULL)
        return BRIDGE_E_INVAL;
    if (cu_find(s, job->model->id) == NULL)
        return BRIDGE_E_UNSUPPORTED;
    return bridge_sched_submit(&s->sched, job, s->stage_len);
}

/* Read the finished slot idx into its job (bridge_sched_t.finish). */
static void cu_finish(void *owner, uint32_t idx)
{
    cu_state_t *s = owner;
    cu_slot_t *sl = &s->slots[idx];
    bridge_job_t *job = sl->hdr.job;
    const bridge_model_t *m = job->model;
    job->t_backend_end = sl->t_done;
    job->backend_ns = 0;
    job->result = 0;
    if (sl->status == CUDA_SUCCESS) {
        float ms = 0.0f;
        if (cu.EventElapsedTime(&ms, sl->ev0, sl->ev1) == CUDA_SUCCESS && ms > 0.0f)
            job->backend_ns = (uint64_t)((double)ms * 1e6);
        memcpy(job->out[0], sl->stage_out, m->out[0].bytes);
        job->result = bridge_backend_result(m, sl->stage_out);
        job->status = IPC_STATUS_OK;
    } else {
        fprintf(stderr, "CUDA: job 0x%08x (model %u) failed on the device: %s (%d)\n", job->handle, m->id,
                cu_errname(sl->status), sl->status);
        job->status = IPC_STATUS_BACKEND_ERROR;
    }
}

static int cu_poll(bridge_backend_t *be, bridge_job_t **done, int max, int timeout_ms)
{
    cu_state_t *s = be ? be->priv : NULL;
    if (s == NULL || done == NULL || max < 0)
        return BRIDGE_E_INVAL;
    return bridge_sched_poll(&s->sched, done, max, timeout_ms);
}

static int cu_in_flight(const bridge_backend_t *be)
{
    const cu_state_t *s = be ? be->priv : NULL;
    return s ? (int)s->sched.taken : 0;
}

const bridge_backend_ops_t bridge_backend_cuda = {
    .name = "cuda",
    .probe = cu_probe,
    .init = cu_init,
    .load_model = cu_load_model,
    .submit = cu_submit,
    .poll = cu_poll,
    .in_flight = cu_in_flight,
    .shutdown = cu_shutdown,
};
