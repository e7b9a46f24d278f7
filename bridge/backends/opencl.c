/*
 * opencl.c - the OpenCL backend of zenedge-bridged (docs/backends.md).
 *
 * Through the ICD loader, so any vendor driver works (PoCL runs it on the
 * CPU in CI). At init one device, one context and one in-order command
 * queue per QoS class, all with profiling. At load_model the model's
 * OpenCL C source (models/<name>/<name>.cl, or [backend.opencl] source)
 * is built once, weights are uploaded once, and OCL_SLOTS_MAX sets of
 * input/output buffers are created once and reused by every job.
 *
 * Jobs run asynchronously. submit() copies the inputs into the private
 * staging buffers of a free slot and enqueues write, kernel and read
 * without blocking (or parks the job in its class's pending list);
 * an event callback, run on a driver thread, marks the slot finished and
 * wakes poll(), which copies the output to the job and hands it back.
 *
 * QoS: pending jobs are dispatched strictly by class (RT first), so a job
 * never waits inside the backend behind a less urgent one, and a job is
 * not dispatched while a more urgent one is on the device (the device
 * would otherwise share itself between them). Each class has its own
 * queue; with cl_khr_priority_hints the queues get matching priorities,
 * and ZENEDGE_QOS_OVERLAP=1 then lets lower classes run alongside.
 *
 * Threads: every entry point runs on the dispatcher thread; the event
 * callback only touches the slot's done/status/time words and the
 * completion counter, under st->lock.
 */
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS

#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../bridge_errors.h"
#include "backend.h"
#include "jobq.h"
#include "zl.h"

#ifndef CL_QUEUE_PRIORITY_KHR
#define CL_QUEUE_PRIORITY_KHR      0x1096
#define CL_QUEUE_PRIORITY_HIGH_KHR (1 << 0)
#define CL_QUEUE_PRIORITY_MED_KHR  (1 << 1)
#define CL_QUEUE_PRIORITY_LOW_KHR  (1 << 2)
#endif

#define OCL_SLOTS_MAX   4u    /* jobs on the device at once, at most */
#define OCL_MAX_PLAT    16u
#define OCL_MAX_DEV     32u
#define OCL_SOURCE_MAX  (1u << 20)

/* snprintf into a message buffer; truncation of a long path is fine. */
__attribute__((format(printf, 3, 4))) static void msg_set(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

typedef struct ocl_model {
    const bridge_model_t *m;
    bridge_kernel_t       kind;
    cl_program            prog;
    cl_kernel             kern;
    cl_uint               d0, d1, d2;                   /* gemm m,k,n; mlp in,hidden,out; else n */
    cl_mem                w[4];                         /* mlp: w1 b1 w2 b2 */
    cl_mem                in[OCL_SLOTS_MAX][IPC_MAX_TENSORS];
    cl_mem                out[OCL_SLOTS_MAX];
    cl_uint               work_dim;
    size_t                gws[2], lws[2];
    int                   use_lws;
} ocl_model_t;

struct ocl_state;

typedef struct ocl_slot {
    bridge_slot_t hdr;          /* job (NULL: free), done, seq: the scheduler's */
    struct ocl_state *owner;    /* for the event callback */
    ocl_model_t  *om;
    cl_event      ev_first, ev_last;
    void         *stage_in[IPC_MAX_TENSORS];
    void         *stage_out;
    /* written by the event callback, under sched.lock */
    cl_int        exec_status;
    uint64_t      t_done;
} ocl_slot_t;

typedef struct ocl_state {
    cl_platform_id   plat;
    cl_device_id     dev;
    cl_context       ctx;
    cl_command_queue q[IPC_QOS_COUNT];
    int              prio_hints;
    char             dev_name[128];
    ocl_model_t     *models[BRIDGE_MAX_MODELS];
    uint32_t         n_models;
    size_t           stage_len;
    ocl_slot_t       slots[OCL_SLOTS_MAX];
    bridge_sched_t   sched;         /* queues, slot scheduling, lock (jobq.h) */
    int              sched_up;
} ocl_state_t;

static int  ocl_start(void *owner, uint32_t idx, bridge_job_t *job);
static void ocl_finish(void *owner, uint32_t idx);

/* ---- small helpers ---------------------------------------------------- */

static const char *ocl_errname(cl_int e)
{
    switch (e) {
    case CL_SUCCESS: return "CL_SUCCESS";
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE";
    case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME";
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_QUEUE_PROPERTIES: return "CL_INVALID_QUEUE_PROPERTIES";
    case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
    case CL_INVALID_PROGRAM_EXECUTABLE: return "CL_INVALID_PROGRAM_EXECUTABLE";
    case CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST: return "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "CL_error";
    }
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static int all_digits(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* ---- kernel cache: never the user's home --------------------------- */

static int ensure_private_dir(const char *path)
{
    char tmp[BRIDGE_PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s", path);
    if (n <= 0 || (size_t)n >= sizeof(tmp))
        return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    struct stat sb;
    if (lstat(tmp, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid())
        return -1;
    return 0;
}

/*
 * PoCL keeps compiled kernels in POCL_CACHE_DIR, else under the home
 * directory. Choose, before the first OpenCL call: ZENEDGE_OPENCL_CACHE;
 * else a POCL_CACHE_DIR already set by the user; else the service's
 * systemd CacheDirectory ($CACHE_DIRECTORY/opencl); else
 * $XDG_RUNTIME_DIR/zenedge/opencl-cache; else /tmp/zenedge-opencl-<uid>.
 * If the directory cannot be made private to us, caching is switched off
 * (POCL_KERNEL_CACHE=0) rather than written somewhere else.
 */
static void ocl_cache_setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    char dir[BRIDGE_PATH_MAX] = "";
    const char *e = getenv("ZENEDGE_OPENCL_CACHE");
    if (e && e[0])
        snprintf(dir, sizeof(dir), "%s", e);
    else if ((e = getenv("POCL_CACHE_DIR")) != NULL && e[0])
        return;
    else if ((e = getenv("CACHE_DIRECTORY")) != NULL && e[0])
        snprintf(dir, sizeof(dir), "%s/opencl", e);
    else if ((e = getenv("XDG_RUNTIME_DIR")) != NULL && e[0])
        snprintf(dir, sizeof(dir), "%s/zenedge/opencl-cache", e);
    else
        snprintf(dir, sizeof(dir), "/tmp/zenedge-opencl-%u", (unsigned)geteuid());
    if (ensure_private_dir(dir) == 0)
        setenv("POCL_CACHE_DIR", dir, 1);
    else
        setenv("POCL_KERNEL_CACHE", "0", 1);
}

/* ---- probe and device choice ------------------------------------------ */

typedef struct ocl_devlist {
    cl_platform_id plat[OCL_MAX_DEV];
    cl_device_id   dev[OCL_MAX_DEV];
    int            pidx[OCL_MAX_DEV], didx[OCL_MAX_DEV];
    char           pname[OCL_MAX_DEV][96];
    char           dname[OCL_MAX_DEV][128];
    cl_device_type type[OCL_MAX_DEV];
    int            n;
} ocl_devlist_t;

static int ocl_enumerate(ocl_devlist_t *l, char *why, size_t whylen)
{
    ocl_cache_setup();
    memset(l, 0, sizeof(*l));
    cl_platform_id plats[OCL_MAX_PLAT];
    cl_uint np = 0;
    cl_int e = clGetPlatformIDs(OCL_MAX_PLAT, plats, &np);
    if (e == -1001 || (e == CL_SUCCESS && np == 0)) {
        msg_set(why, whylen, "OpenCL: no platform found (the ICD loader lists no vendor driver; "
                 "install one, e.g. Debian's pocl-opencl-icd)");
        return BRIDGE_E_NO_DEVICE;
    }
    if (e != CL_SUCCESS) {
        msg_set(why, whylen, "OpenCL: clGetPlatformIDs failed: %s (%d)", ocl_errname(e), e);
        return BRIDGE_E_NO_DEVICE;
    }
    if (np > OCL_MAX_PLAT)
        np = OCL_MAX_PLAT;
    for (cl_uint p = 0; p < np; p++) {
        char pname[96] = "";
        clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof(pname) - 1, pname, NULL);
        cl_device_id devs[OCL_MAX_DEV];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, OCL_MAX_DEV, devs, &nd) != CL_SUCCESS)
            continue;
        if (nd > OCL_MAX_DEV)
            nd = OCL_MAX_DEV;
        for (cl_uint d = 0; d < nd && l->n < (int)OCL_MAX_DEV; d++) {
            int i = l->n++;
            l->plat[i] = plats[p];
            l->dev[i] = devs[d];
            l->pidx[i] = (int)p;
            l->didx[i] = (int)d;
            snprintf(l->pname[i], sizeof(l->pname[i]), "%s", pname);
            clGetDeviceInfo(devs[d], CL_DEVICE_NAME, sizeof(l->dname[i]) - 1, l->dname[i], NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof(l->type[i]), &l->type[i], NULL);
        }
    }
    if (l->n == 0) {
        msg_set(why, whylen, "OpenCL: %u platform(s) but no device", (unsigned)np);
        return BRIDGE_E_NO_DEVICE;
    }
    return BRIDGE_OK;
}

static int ocl_probe(bridge_device_info_t *devs, int max, char *why, size_t whylen)
{
    ocl_devlist_t *l = malloc(sizeof(*l));
    if (l == NULL)
        return BRIDGE_E_NOMEM;
    int rc = ocl_enumerate(l, why, whylen);
    if (rc != BRIDGE_OK) {
        free(l);
        return rc;
    }
    for (int i = 0; i < l->n && devs && i < max; i++) {
        memset(&devs[i], 0, sizeof(devs[i]));
        snprintf(devs[i].backend, sizeof(devs[i].backend), "opencl");
        snprintf(devs[i].platform, sizeof(devs[i].platform), "%d:%.80s", l->pidx[i], l->pname[i]);
        snprintf(devs[i].device, sizeof(devs[i].device), "%d:%.100s (%s)", l->didx[i], l->dname[i],
                 (l->type[i] & CL_DEVICE_TYPE_GPU) ? "gpu" : (l->type[i] & CL_DEVICE_TYPE_CPU) ? "cpu" : "other");
        devs[i].index = i;
    }
    int n = l->n;
    free(l);
    return n;
}

/* Does part (index or case-insensitive substring) match value/index? */
static int part_matches(const char *part, const char *value, int index)
{
    if (part[0] == '\0')
        return 1;
    if (all_digits(part))
        return atoi(part) == index;
    char a[160], b[160];
    snprintf(a, sizeof(a), "%s", part);
    snprintf(b, sizeof(b), "%s", value);
    lower(a);
    lower(b);
    return strstr(b, a) != NULL;
}

/*
 * Device choice: NULL or "" picks the first GPU, else the first device;
 * "N" the N-th device of probe's list; "P:D" platform P and device D,
 * each an index or a name substring (case-insensitive), either may be
 * empty; "NAME" a substring of the device or the platform name.
 */
static int ocl_choose(const ocl_devlist_t *l, const char *spec)
{
    if (spec == NULL || spec[0] == '\0') {
        for (int i = 0; i < l->n; i++)
            if (l->type[i] & CL_DEVICE_TYPE_GPU)
                return i;
        return 0;
    }
    if (all_digits(spec)) {
        int i = atoi(spec);
        return i < l->n ? i : -1;
    }
    char p[128], d[128];
    const char *colon = strchr(spec, ':');
    if (colon) {
        snprintf(p, sizeof(p), "%.*s", (int)(colon - spec), spec);
        snprintf(d, sizeof(d), "%s", colon + 1);
        for (int i = 0; i < l->n; i++)
            if (part_matches(p, l->pname[i], l->pidx[i]) && part_matches(d, l->dname[i], l->didx[i]))
                return i;
        return -1;
    }
    for (int i = 0; i < l->n; i++)
        if (part_matches(spec, l->dname[i], -1) || part_matches(spec, l->pname[i], -1))
            return i;
    return -1;
}

/* ---- init / shutdown ------------------------------------------------- */

static cl_command_queue ocl_queue(ocl_state_t *s, uint32_t qos, int version_major, cl_int *e)
{
    if (version_major >= 2) {
        cl_queue_properties props[5] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0, 0, 0};
        if (s->prio_hints) {
            static const cl_queue_properties prio[IPC_QOS_COUNT] = {
                CL_QUEUE_PRIORITY_HIGH_KHR, CL_QUEUE_PRIORITY_MED_KHR, CL_QUEUE_PRIORITY_MED_KHR,
                CL_QUEUE_PRIORITY_LOW_KHR};
            props[2] = CL_QUEUE_PRIORITY_KHR;
            props[3] = prio[qos];
        }
        return clCreateCommandQueueWithProperties(s->ctx, s->dev, props, e);
    }
    return clCreateCommandQueue(s->ctx, s->dev, CL_QUEUE_PROFILING_ENABLE, e);
}

static void ocl_shutdown(bridge_backend_t *be);

static int ocl_init(bridge_backend_t *be, const bridge_backend_config_t *cfg)
{
    if (be == NULL)
        return BRIDGE_E_INVAL;
    char why[256];
    ocl_devlist_t *l = malloc(sizeof(*l));
    if (l == NULL)
        return BRIDGE_E_NOMEM;
    int rc = ocl_enumerate(l, why, sizeof(why));
    if (rc != BRIDGE_OK) {
        fprintf(stderr, "%s\n", why);
        free(l);
        return rc;
    }
    int pick = ocl_choose(l, cfg ? cfg->device : NULL);
    if (pick < 0) {
        fprintf(stderr, "OpenCL: no device matches '%s' (see --list-devices; forms: N, P:D, NAME)\n",
                cfg->device);
        free(l);
        return BRIDGE_E_NO_DEVICE;
    }
    ocl_state_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        free(l);
        return BRIDGE_E_NOMEM;
    }
    s->plat = l->plat[pick];
    s->dev = l->dev[pick];
    snprintf(s->dev_name, sizeof(s->dev_name), "%s", l->dname[pick]);
    free(l);
    for (uint32_t i = 0; i < OCL_SLOTS_MAX; i++)
        s->slots[i].owner = s;
    be->priv = s;

    if (bridge_sched_init(&s->sched, cfg && cfg->queue_depth ? cfg->queue_depth : 16u, OCL_SLOTS_MAX, s, ocl_start,
                          ocl_finish) != BRIDGE_OK)
        goto nomem;
    s->sched_up = 1;
    for (uint32_t i = 0; i < s->sched.n_slots; i++)
        s->sched.slot[i] = &s->slots[i].hdr;

    char ver[64] = "", ext[4096] = "";
    clGetDeviceInfo(s->dev, CL_DEVICE_VERSION, sizeof(ver) - 1, ver, NULL);
    clGetDeviceInfo(s->dev, CL_DEVICE_EXTENSIONS, sizeof(ext) - 1, ext, NULL);
    int major = 1;
    if (strncmp(ver, "OpenCL ", 7) == 0)
        major = atoi(ver + 7);
    s->prio_hints = major >= 2 && strstr(ext, "cl_khr_priority_hints") != NULL;
    /* Strict class barrier unless the device can prioritise queues itself
     * and ZENEDGE_QOS_OVERLAP=1 asks to let lower classes run alongside. */
    const char *ov = getenv("ZENEDGE_QOS_OVERLAP");
    s->sched.strict = !(s->prio_hints && ov && strcmp(ov, "1") == 0);

    cl_int e;
    cl_context_properties cp[3] = {CL_CONTEXT_PLATFORM, (cl_context_properties)s->plat, 0};
    s->ctx = clCreateContext(cp, 1, &s->dev, NULL, NULL, &e);
    if (s->ctx == NULL) {
        fprintf(stderr, "OpenCL: clCreateContext on '%s' failed: %s (%d)\n", s->dev_name, ocl_errname(e), e);
        ocl_shutdown(be);
        return BRIDGE_E_BACKEND;
    }
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        s->q[c] = ocl_queue(s, c, major, &e);
        if (s->q[c] == NULL) {
            fprintf(stderr, "OpenCL: command queue for QoS %u on '%s' failed: %s (%d)\n", c, s->dev_name,
                    ocl_errname(e), e);
            ocl_shutdown(be);
            return BRIDGE_E_BACKEND;
        }
    }
    return BRIDGE_OK;
nomem:
    ocl_shutdown(be);
    return BRIDGE_E_NOMEM;
}

static void ocl_release_slot_events(ocl_slot_t *sl)
{
    if (sl->ev_first)
        clReleaseEvent(sl->ev_first);
    if (sl->ev_last)
        clReleaseEvent(sl->ev_last);
    sl->ev_first = sl->ev_last = NULL;
}

static void ocl_free_model(ocl_model_t *om)
{
    if (om == NULL)
        return;
    for (uint32_t i = 0; i < 4; i++)
        if (om->w[i])
            clReleaseMemObject(om->w[i]);
    for (uint32_t sl = 0; sl < OCL_SLOTS_MAX; sl++) {
        for (uint32_t i = 0; i < IPC_MAX_TENSORS; i++)
            if (om->in[sl][i])
                clReleaseMemObject(om->in[sl][i]);
        if (om->out[sl])
            clReleaseMemObject(om->out[sl]);
    }
    if (om->kern)
        clReleaseKernel(om->kern);
    if (om->prog)
        clReleaseProgram(om->prog);
    free(om);
}

static void ocl_shutdown(bridge_backend_t *be)
{
    ocl_state_t *s = be ? be->priv : NULL;
    if (s == NULL)
        return;
    /* Wait for the device so that no callback runs after the free. */
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->q[c])
            clFinish(s->q[c]);
    for (uint32_t i = 0; i < OCL_SLOTS_MAX; i++) {
        ocl_release_slot_events(&s->slots[i]);
        for (uint32_t t = 0; t < IPC_MAX_TENSORS; t++)
            free(s->slots[i].stage_in[t]);
        free(s->slots[i].stage_out);
    }
    for (uint32_t i = 0; i < s->n_models; i++)
        ocl_free_model(s->models[i]);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->q[c])
            clReleaseCommandQueue(s->q[c]);
    if (s->ctx)
        clReleaseContext(s->ctx);
    if (s->sched_up)
        bridge_sched_destroy(&s->sched);
    free(s);
    be->priv = NULL;
}

/* ---- load_model --------------------------------------------------------- */

static char *read_source(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(OCL_SOURCE_MAX + 1);
    size_t n = buf ? fread(buf, 1, OCL_SOURCE_MAX + 1, f) : 0;
    fclose(f);
    if (buf == NULL || n == 0 || n > OCL_SOURCE_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static size_t round_up(size_t x, size_t to)
{
    return (x + to - 1) / to * to;
}

static int ocl_load_model(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen)
{
    ocl_state_t *s = be ? be->priv : NULL;
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
    /* [backend.opencl] kernel and source; defaults: the CPU kernel name
     * and <name>.cl next to the manifest. */
    const char *kname = bridge_model_opt(m, "opencl", "kernel");
    if (kname == NULL)
        kname = bridge_model_opt(m, "cpu", "kernel");
    if (kname == NULL) {
        msg_set(why, whylen, "%s: [backend.opencl] kernel: missing", m->manifest);
        return BRIDGE_E_UNSUPPORTED;
    }
    ocl_model_t *om = calloc(1, sizeof(*om));
    if (om == NULL)
        return BRIDGE_E_NOMEM;
    om->m = m;
    om->kind = bridge_kernel_by_name(kname);
    uint32_t dim[3];
    const char *bad = bridge_kernel_check(om->kind, m, dim);
    if (bad) {
        msg_set(why, whylen, "%s: [backend.opencl] kernel: %s %s", m->manifest, kname, bad);
        free(om);
        return BRIDGE_E_UNSUPPORTED;
    }
    om->d0 = dim[0];
    om->d1 = dim[1];
    om->d2 = dim[2];
    const char *src_name = bridge_model_opt(m, "opencl", "source");
    char fname[BRIDGE_FILE_MAX + 8];
    if (src_name == NULL) {
        snprintf(fname, sizeof(fname), "%s.cl", m->name);
        src_name = fname;
    }
    if (strchr(src_name, '/') || src_name[0] == '.') {
        msg_set(why, whylen, "%s: [backend.opencl] source: '%s' must be a file name in the model folder",
                 m->manifest, src_name);
        free(om);
        return BRIDGE_E_UNSUPPORTED;
    }
    char path[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX + 8];
    snprintf(path, sizeof(path), "%s/%s", m->dir, src_name);
    size_t srclen = 0;
    char *src = read_source(path, &srclen);
    if (src == NULL) {
        msg_set(why, whylen, "%s: [backend.opencl] source: cannot read '%s' (absent, empty or over %u bytes)",
                 m->manifest, path, OCL_SOURCE_MAX);
        free(om);
        return BRIDGE_E_UNSUPPORTED;
    }
    cl_int e;
    const char *srcs[1] = {src};
    om->prog = clCreateProgramWithSource(s->ctx, 1, srcs, &srclen, &e);
    free(src);
    if (om->prog == NULL) {
        msg_set(why, whylen, "%s: clCreateProgramWithSource: %s (%d)", path, ocl_errname(e), e);
        ocl_free_model(om);
        return BRIDGE_E_BACKEND;
    }
    e = clBuildProgram(om->prog, 1, &s->dev, "-cl-std=CL1.2", NULL, NULL);
    if (e != CL_SUCCESS) {
        char log[512] = "";
        clGetProgramBuildInfo(om->prog, s->dev, CL_PROGRAM_BUILD_LOG, sizeof(log) - 1, log, NULL);
        for (char *p = log; *p; p++)
            if (*p == '\n')
                *p = ' ';
        msg_set(why, whylen, "%s: build failed: %s (%d): %.300s", path, ocl_errname(e), e, log);
        ocl_free_model(om);
        return BRIDGE_E_UNSUPPORTED;
    }
    om->kern = clCreateKernel(om->prog, kname, &e);
    if (om->kern == NULL) {
        msg_set(why, whylen, "%s: no kernel '%s' in the program: %s (%d)", path, kname, ocl_errname(e), e);
        ocl_free_model(om);
        return BRIDGE_E_UNSUPPORTED;
    }
    size_t wg_max = 0;
    clGetKernelWorkGroupInfo(om->kern, s->dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof(wg_max), &wg_max, NULL);
    if (wg_max == 0)
        wg_max = 1;

    /* Launch geometry. */
    switch (om->kind) {
    case BRIDGE_K_VECTOR_ADD_I32:
    case BRIDGE_K_SAXPY_F32: {
        size_t l = wg_max < 64 ? wg_max : 64;
        om->work_dim = 1;
        om->lws[0] = l;
        om->gws[0] = round_up(om->d0, l);
        om->use_lws = 1;
        break;
    }
    case BRIDGE_K_GEMM_F32: {
        size_t l = wg_max >= 64 ? 8 : 1;
        om->work_dim = 2;
        om->lws[0] = om->lws[1] = l;
        om->gws[0] = round_up(om->d2, l);
        om->gws[1] = round_up(om->d0, l);
        om->use_lws = 1;
        break;
    }
    case BRIDGE_K_MLP_RELU_F32: {
        size_t l = om->d1 > om->d2 ? om->d1 : om->d2;
        if (l > wg_max) {
            msg_set(why, whylen, "%s: mlp needs one work-group of %zu items, device allows %zu", m->manifest, l,
                     wg_max);
            ocl_free_model(om);
            return BRIDGE_E_UNSUPPORTED;
        }
        om->work_dim = 1;
        om->lws[0] = om->gws[0] = l;
        om->use_lws = 1;
        break;
    }
    default:
        break;
    }

    /* Weights, once. */
    if (om->kind == BRIDGE_K_MLP_RELU_F32) {
        static const char *const wn[4] = {"w1", "b1", "w2", "b2"};
        for (uint32_t i = 0; i < 4; i++) {
            const bridge_weight_t *w = bridge_model_weight(m, wn[i]);
            om->w[i] = clCreateBuffer(s->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, w->spec.bytes, w->data, &e);
            if (om->w[i] == NULL) {
                msg_set(why, whylen, "%s: weight %s (%u bytes): clCreateBuffer: %s (%d)", m->manifest, wn[i],
                         w->spec.bytes, ocl_errname(e), e);
                ocl_free_model(om);
                return BRIDGE_E_BACKEND;
            }
        }
    }
    /* Input and output buffers, once per slot. */
    size_t need = m->out[0].bytes;
    for (uint32_t sl = 0; sl < s->sched.n_slots; sl++) {
        for (uint32_t i = 0; i < m->n_in; i++) {
            om->in[sl][i] = clCreateBuffer(s->ctx, CL_MEM_READ_ONLY, m->in[i].bytes, NULL, &e);
            if (om->in[sl][i] == NULL)
                goto buf_fail;
            need = m->in[i].bytes > need ? m->in[i].bytes : need;
        }
        om->out[sl] = clCreateBuffer(s->ctx, CL_MEM_WRITE_ONLY, m->out[0].bytes, NULL, &e);
        if (om->out[sl] == NULL)
            goto buf_fail;
    }
    /* Host staging, grown to the largest tensor of any model. */
    if (need > s->stage_len) {
        for (uint32_t sl = 0; sl < s->sched.n_slots; sl++) {
            for (uint32_t i = 0; i <= IPC_MAX_TENSORS; i++) {
                void **pp = i < IPC_MAX_TENSORS ? &s->slots[sl].stage_in[i] : &s->slots[sl].stage_out;
                void *p = aligned_alloc(64, round_up(need, 64));
                if (p == NULL) {
                    ocl_free_model(om);
                    return BRIDGE_E_NOMEM;
                }
                free(*pp);
                *pp = p;
            }
        }
        s->stage_len = need;
    }
    s->models[s->n_models++] = om;
    return BRIDGE_OK;
buf_fail:
    msg_set(why, whylen, "%s: device buffers: clCreateBuffer: %s (%d)", m->manifest, ocl_errname(e), e);
    ocl_free_model(om);
    return BRIDGE_E_BACKEND;
}

/* ---- dispatch --------------------------------------------------------- */

static ocl_model_t *ocl_find(const ocl_state_t *s, uint32_t id)
{
    for (uint32_t i = 0; i < s->n_models; i++)
        if (s->models[i]->m->id == id)
            return s->models[i];
    return NULL;
}

/* Runs on a driver thread when the job's last command finished (or failed). */
static void CL_CALLBACK ocl_event_done(cl_event ev, cl_int status, void *arg)
{
    (void)ev;
    ocl_slot_t *sl = arg;
    ocl_state_t *s = sl->owner;
    uint64_t now = zl_now_ns();
    pthread_mutex_lock(&s->sched.lock);
    sl->exec_status = status;
    sl->t_done = now;
    bridge_sched_done_locked(&s->sched, &sl->hdr);
    pthread_mutex_unlock(&s->sched.lock);
}

static cl_int ocl_set_args(const ocl_model_t *om, uint32_t idx)
{
    cl_kernel k = om->kern;
    cl_int e = CL_SUCCESS;
    cl_uint a = 0;
    for (uint32_t i = 0; i < om->m->n_in; i++)
        e |= clSetKernelArg(k, a++, sizeof(cl_mem), &om->in[idx][i]);
    if (om->kind == BRIDGE_K_MLP_RELU_F32)
        for (uint32_t i = 0; i < 4; i++)
            e |= clSetKernelArg(k, a++, sizeof(cl_mem), &om->w[i]);
    e |= clSetKernelArg(k, a++, sizeof(cl_mem), &om->out[idx]);
    switch (om->kind) {
    case BRIDGE_K_VECTOR_ADD_I32:
    case BRIDGE_K_SAXPY_F32:
        e |= clSetKernelArg(k, a++, sizeof(cl_uint), &om->d0);
        break;
    case BRIDGE_K_GEMM_F32:
    case BRIDGE_K_MLP_RELU_F32:
        if (om->kind == BRIDGE_K_MLP_RELU_F32)
            e |= clSetKernelArg(k, a++, (size_t)om->d1 * sizeof(float), NULL);
        e |= clSetKernelArg(k, a++, sizeof(cl_uint), &om->d0);
        e |= clSetKernelArg(k, a++, sizeof(cl_uint), &om->d1);
        e |= clSetKernelArg(k, a++, sizeof(cl_uint), &om->d2);
        break;
    default:
        break;
    }
    return e;
}

/* Enqueue write(s), kernel and read of one job on slot idx, without
 * blocking (bridge_sched_t.start). */
static int ocl_start(void *owner, uint32_t idx, bridge_job_t *job)
{
    ocl_state_t *s = owner;
    ocl_slot_t *sl = &s->slots[idx];
    ocl_model_t *om = ocl_find(s, job->model->id);
    const bridge_model_t *m = job->model;
    if (om == NULL)
        return BRIDGE_E_UNSUPPORTED;
    /* Copy once out of the shared region: the device reads our copy. */
    for (uint32_t i = 0; i < m->n_in; i++)
        memcpy(sl->stage_in[i], job->in[i], m->in[i].bytes);
    job->t_backend_start = zl_now_ns();
    cl_command_queue q = s->q[job->qos];
    cl_int e = CL_SUCCESS;
    for (uint32_t i = 0; i < m->n_in && e == CL_SUCCESS; i++)
        e = clEnqueueWriteBuffer(q, om->in[idx][i], CL_FALSE, 0, m->in[i].bytes, sl->stage_in[i], 0, NULL,
                                 i == 0 ? &sl->ev_first : NULL);
    if (e == CL_SUCCESS)
        e = ocl_set_args(om, idx);
    if (e == CL_SUCCESS)
        e = clEnqueueNDRangeKernel(q, om->kern, om->work_dim, NULL, om->gws, om->use_lws ? om->lws : NULL, 0,
                                   NULL, NULL);
    if (e == CL_SUCCESS)
        e = clEnqueueReadBuffer(q, om->out[idx], CL_FALSE, 0, m->out[0].bytes, sl->stage_out, 0, NULL,
                                &sl->ev_last);
    if (e == CL_SUCCESS) {
        pthread_mutex_lock(&s->sched.lock);
        sl->hdr.job = job;
        sl->om = om;
        sl->hdr.done = 0;
        pthread_mutex_unlock(&s->sched.lock);
        e = clSetEventCallback(sl->ev_last, CL_COMPLETE, ocl_event_done, sl);
        if (e == CL_SUCCESS) {
            clFlush(q);
            return BRIDGE_OK;
        }
        pthread_mutex_lock(&s->sched.lock);
        sl->hdr.job = NULL;
        pthread_mutex_unlock(&s->sched.lock);
    }
    /* Part of the job may be queued: let it drain before the slot is reused. */
    fprintf(stderr, "OpenCL: job 0x%08x (model %u) not started: %s (%d)\n", job->handle, m->id, ocl_errname(e), e);
    clFinish(q);
    ocl_release_slot_events(sl);
    return BRIDGE_E_BACKEND;
}

static int ocl_submit(bridge_backend_t *be, bridge_job_t *job)
{
    ocl_state_t *s = be ? be->priv : NULL;
    if (s == NULL || job == NULL || job->model == NULL)
        return BRIDGE_E_INVAL;
    if (ocl_find(s, job->model->id) == NULL)
        return BRIDGE_E_UNSUPPORTED;
    return bridge_sched_submit(&s->sched, job, s->stage_len);
}

/* Hand back a finished slot's job (status, times, output, result). */
static void ocl_finish(void *owner, uint32_t idx)
{
    ocl_state_t *s = owner;
    ocl_slot_t *sl = &s->slots[idx];
    bridge_job_t *job = sl->hdr.job;
    const bridge_model_t *m = job->model;
    job->t_backend_end = sl->t_done;
    job->backend_ns = 0;
    job->result = 0;
    if (sl->exec_status == CL_COMPLETE) {
        cl_ulong t0 = 0, t1 = 0;
        if (clGetEventProfilingInfo(sl->ev_first, CL_PROFILING_COMMAND_START, sizeof(t0), &t0, NULL) ==
                CL_SUCCESS &&
            clGetEventProfilingInfo(sl->ev_last, CL_PROFILING_COMMAND_END, sizeof(t1), &t1, NULL) == CL_SUCCESS &&
            t1 >= t0)
            job->backend_ns = t1 - t0;
        memcpy(job->out[0], sl->stage_out, m->out[0].bytes);
        job->result = bridge_backend_result(m, sl->stage_out);
        job->status = IPC_STATUS_OK;
    } else {
        fprintf(stderr, "OpenCL: job 0x%08x (model %u) failed on the device: %s (%d)\n", job->handle, m->id,
                ocl_errname(sl->exec_status), sl->exec_status);
        job->status = IPC_STATUS_BACKEND_ERROR;
    }
    ocl_release_slot_events(sl);
}

static int ocl_poll(bridge_backend_t *be, bridge_job_t **done, int max, int timeout_ms)
{
    ocl_state_t *s = be ? be->priv : NULL;
    if (s == NULL || done == NULL || max < 0)
        return BRIDGE_E_INVAL;
    return bridge_sched_poll(&s->sched, done, max, timeout_ms);
}

static int ocl_in_flight(const bridge_backend_t *be)
{
    const ocl_state_t *s = be ? be->priv : NULL;
    return s ? (int)s->sched.taken : 0;
}

const bridge_backend_ops_t bridge_backend_opencl = {
    .name = "opencl",
    .probe = ocl_probe,
    .init = ocl_init,
    .load_model = ocl_load_model,
    .submit = ocl_submit,
    .poll = ocl_poll,
    .in_flight = ocl_in_flight,
    .shutdown = ocl_shutdown,
};
