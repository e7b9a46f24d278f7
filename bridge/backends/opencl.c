/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * opencl.c - the OpenCL backend of zenedge-bridged (docs/backends.md).
 *
 * Through the ICD loader, so any vendor driver works (PoCL runs it on the
 * CPU in CI). At init one device (split into RT's sub-device and the
 * rest where it can be), one context and one in-order command queue per
 * QoS class, all with profiling. At load_model the model's
 * OpenCL C source (models/<name>/<name>.cl, or [backend.opencl] source)
 * is built once, weights are uploaded once, and OCL_SLOTS_MAX sets of
 * input/output buffers are created once and reused by every job.
 *
 * Jobs run asynchronously, through the job skeleton of jobq.c: submit()
 * copies the inputs into the private staging buffers of a free slot and
 * has this file enqueue write, kernel and read without blocking (or parks
 * the job in its class's pending list); an event callback, run on a
 * driver thread, marks the slot finished (bridge_sched_complete) and
 * wakes poll(), which copies the output to the job and hands it back.
 * What is OpenCL here are the hooks of bridge_sched_hooks_t.
 *
 * QoS: pending jobs are dispatched strictly by class (RT first), so a job
 * never waits inside the backend behind a less urgent one, and a job is
 * not dispatched while a more urgent one is on the device (the device
 * would otherwise share itself between them). Each class has its own
 * queue; with cl_khr_priority_hints the queues get matching priorities,
 * and ZENEDGE_QOS_OVERLAP=1 then lets lower classes run alongside.
 * OpenCL cannot take back or preempt a command once enqueued, so
 * BACKGROUND jobs go to the device one at a time (the rest wait in our
 * queue, where RT overtakes them), one slot is always kept for RT, and
 * where the device partitions (clCreateSubDevices; PoCL does) RT's queue
 * runs on a sub-device of its own (ZENEDGE_OPENCL_RT_CUS compute units),
 * the other classes' on the rest: a running BACKGROUND kernel runs to its
 * end, but on compute units RT does not need.
 *
 * Threads: every entry point runs on the dispatcher thread; the event
 * callback only touches the slot's done/status/time words and the
 * completion counter, under sched.lock (bridge_sched_complete).
 */
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS

#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
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
#include "log.h"

#ifndef CL_QUEUE_PRIORITY_KHR
#define CL_QUEUE_PRIORITY_KHR      0x1096
#define CL_QUEUE_PRIORITY_HIGH_KHR (1 << 0)
#define CL_QUEUE_PRIORITY_MED_KHR  (1 << 1)
#define CL_QUEUE_PRIORITY_LOW_KHR  (1 << 2)
#endif

#define OCL_SLOTS_MAX  4u /* jobs on the device at once, at most */
#define OCL_MAX_PLAT   16u
#define OCL_MAX_DEV    32u
#define OCL_SOURCE_MAX (1u << 20)

typedef struct ocl_model {
    bridge_sched_model_t hdr; /* model, kernel, sizes: the skeleton's */
    cl_program prog;
    cl_kernel kern;
    cl_mem w[4]; /* mlp: w1 b1 w2 b2 */
    cl_mem in[OCL_SLOTS_MAX][IPC_MAX_TENSORS];
    cl_mem out[OCL_SLOTS_MAX];
    cl_uint work_dim;
    size_t gws[2], lws[2];
    int use_lws;
} ocl_model_t;

struct ocl_state;

typedef struct ocl_slot {
    bridge_slot_t hdr;       /* job, completion, staging: the skeleton's (jobq.h) */
    struct ocl_state *owner; /* for the event callback */
    cl_event ev_first, ev_last;
} ocl_slot_t;

typedef struct ocl_state {
    bridge_sched_t sched; /* first: the shared ops find it at be->priv (jobq.h) */
    cl_platform_id plat;
    cl_device_id dev;
    cl_context ctx;
    cl_command_queue q[IPC_QOS_COUNT];
    cl_device_id part[2]; /* sub-devices: [0] RT's, [1] the other classes'; NULL: whole device */
    cl_uint part_cus[2];
    int prio_hints;
    char dev_name[128];
    ocl_slot_t slots[OCL_SLOTS_MAX];
    int sched_up;
} ocl_state_t;

static const bridge_sched_hooks_t ocl_hooks;

/* ---- small helpers ---------------------------------------------------- */

static const char *ocl_errname(int e)
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
    cl_device_id dev[OCL_MAX_DEV];
    int pidx[OCL_MAX_DEV], didx[OCL_MAX_DEV];
    char pname[OCL_MAX_DEV][96];
    char dname[OCL_MAX_DEV][128];
    cl_device_type type[OCL_MAX_DEV];
    int n;
} ocl_devlist_t;

static int ocl_enumerate(ocl_devlist_t *l, char *why, size_t whylen)
{
    ocl_cache_setup();
    memset(l, 0, sizeof(*l));
    cl_platform_id plats[OCL_MAX_PLAT];
    cl_uint np = 0;
    cl_int e = clGetPlatformIDs(OCL_MAX_PLAT, plats, &np);
    if (e == -1001 || (e == CL_SUCCESS && np == 0)) {
        bridge_why(why, whylen,
                   "OpenCL: no platform found (the ICD loader lists no vendor driver; "
                   "install one, e.g. Debian's pocl-opencl-icd)");
        return BRIDGE_E_NO_DEVICE;
    }
    if (e != CL_SUCCESS) {
        bridge_why(why, whylen, "OpenCL: clGetPlatformIDs failed: %s (%d)", ocl_errname(e), e);
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
        bridge_why(why, whylen, "OpenCL: %u platform(s) but no device", (unsigned)np);
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
                 (l->type[i] & CL_DEVICE_TYPE_GPU)   ? "gpu"
                 : (l->type[i] & CL_DEVICE_TYPE_CPU) ? "cpu"
                                                     : "other");
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

/* The device the queue of class qos runs on: its sub-device, or the
 * whole device. */
static cl_device_id ocl_class_dev(const ocl_state_t *s, uint32_t qos)
{
    return s->part[0] ? s->part[qos == IPC_QOS_RT ? 0 : 1] : s->dev;
}

static cl_command_queue ocl_queue(ocl_state_t *s, uint32_t qos, int version_major, cl_int *e)
{
    cl_device_id dev = ocl_class_dev(s, qos);
    if (version_major >= 2) {
        cl_queue_properties props[5] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0, 0, 0};
        if (s->prio_hints) {
            static const cl_queue_properties prio[IPC_QOS_COUNT] = {
                CL_QUEUE_PRIORITY_HIGH_KHR, CL_QUEUE_PRIORITY_MED_KHR, CL_QUEUE_PRIORITY_MED_KHR,
                CL_QUEUE_PRIORITY_LOW_KHR};
            props[2] = CL_QUEUE_PRIORITY_KHR;
            props[3] = prio[qos];
        }
        return clCreateCommandQueueWithProperties(s->ctx, dev, props, e);
    }
    return clCreateCommandQueue(s->ctx, dev, CL_QUEUE_PROFILING_ENABLE, e);
}

static void ocl_shutdown(bridge_backend_t *be);

/* The device the config names, in a new state: BRIDGE_OK with *out set,
 * or BRIDGE_E_NO_DEVICE / BRIDGE_E_NOMEM (said on stderr). */
static int ocl_open(const bridge_backend_config_t *cfg, ocl_state_t **out)
{
    char why[256];
    ocl_devlist_t *l = malloc(sizeof(*l));
    if (l == NULL)
        return BRIDGE_E_NOMEM;
    int rc = ocl_enumerate(l, why, sizeof(why));
    if (rc != BRIDGE_OK) {
        BLOG_ERR("%s", why);
        free(l);
        return rc;
    }
    int pick = ocl_choose(l, cfg ? cfg->device : NULL);
    if (pick < 0) {
        BLOG_ERR("OpenCL: no device matches '%s' (see --list-devices; forms: N, P:D, NAME)", cfg->device);
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
    *out = s;
    return BRIDGE_OK;
}

/* OpenCL version of the device (1 when it does not say) and whether its
 * queues take priorities (cl_khr_priority_hints), which decides the QoS
 * policy. */
static int ocl_device_caps(ocl_state_t *s)
{
    char ver[64] = "", ext[4096] = "";
    clGetDeviceInfo(s->dev, CL_DEVICE_VERSION, sizeof(ver) - 1, ver, NULL);
    clGetDeviceInfo(s->dev, CL_DEVICE_EXTENSIONS, sizeof(ext) - 1, ext, NULL);
    int major = 1;
    if (strncmp(ver, "OpenCL ", 7) == 0)
        major = atoi(ver + 7);
    s->prio_hints = major >= 2 && strstr(ext, "cl_khr_priority_hints") != NULL;
    /* Strict class barrier unless the device can prioritise queues itself
     * and ZENEDGE_QOS_OVERLAP=1 asks to let lower classes run alongside. */
    bridge_sched_qos_policy(&s->sched, s->prio_hints);
    return major;
}

/* clCreateSubDevices: `want` compute units of dev into part[0], the rest
 * into part[1]; by counts, else in halves when want is half. 0, or -1
 * with why[] set (nothing held then). */
static int ocl_split_make(cl_device_id dev, cl_uint want, cl_uint total, cl_device_id part[2], char *why, size_t whylen)
{
    cl_device_partition_property pp[8];
    size_t n = 0;
    if (clGetDeviceInfo(dev, CL_DEVICE_PARTITION_PROPERTIES, sizeof(pp), pp, &n) != CL_SUCCESS)
        n = 0;
    int by_counts = 0, equally = 0;
    for (size_t i = 0; i < n / sizeof(pp[0]); i++) {
        by_counts |= pp[i] == CL_DEVICE_PARTITION_BY_COUNTS;
        equally |= pp[i] == CL_DEVICE_PARTITION_EQUALLY;
    }
    const cl_device_partition_property counts[] = {CL_DEVICE_PARTITION_BY_COUNTS, (cl_device_partition_property)want,
                                                   (cl_device_partition_property)(total - want),
                                                   CL_DEVICE_PARTITION_BY_COUNTS_LIST_END, 0};
    const cl_device_partition_property halves[] = {CL_DEVICE_PARTITION_EQUALLY, (cl_device_partition_property)want, 0};
    const cl_device_partition_property *how = by_counts ? counts : equally && 2 * want == total ? halves : NULL;
    if (how == NULL) {
        bridge_why(why, whylen, "the device splits neither by counts nor in halves of %u", want);
        return -1;
    }
    cl_uint got = 0;
    cl_int e = clCreateSubDevices(dev, how, 2, part, &got);
    if (e != CL_SUCCESS || got != 2) {
        for (cl_uint i = 0; e == CL_SUCCESS && i < got && i < 2; i++)
            clReleaseDevice(part[i]);
        part[0] = part[1] = NULL;
        bridge_why(why, whylen, "clCreateSubDevices(%u + %u): %s (%d)", want, total - want, ocl_errname(e), e);
        return -1;
    }
    return 0;
}

/*
 * Sub-devices made so far, kept for the life of the process and reused by
 * a later init of the same split: PoCL's worker threads may still release
 * their last events after a context is gone, and a sub-device released
 * under them crashes them (seen with PoCL 3.1), so they are never
 * released. Init runs on one thread.
 */
static struct ocl_split_kept {
    cl_device_id parent, part[2];
    cl_uint want, cus[2];
} ocl_kept[4];

/* Split `want` compute units of the device off for RT into s->part[0],
 * the rest into s->part[1]: by counts, else in halves when want is half.
 * 0, or -1 with why[] set (nothing held then). */
static int ocl_split(ocl_state_t *s, cl_uint want, cl_uint total, char *why, size_t whylen)
{
    struct ocl_split_kept *k = NULL;
    for (size_t i = 0; i < sizeof(ocl_kept) / sizeof(ocl_kept[0]) && k == NULL; i++)
        if (ocl_kept[i].parent == NULL || (ocl_kept[i].parent == s->dev && ocl_kept[i].want == want))
            k = &ocl_kept[i];
    if (k == NULL) {
        bridge_why(why, whylen, "more than %zu different splits in one process",
                   sizeof(ocl_kept) / sizeof(ocl_kept[0]));
        return -1;
    }
    if (k->parent == NULL && ocl_split_make(s->dev, want, total, k->part, why, whylen) != 0)
        return -1;
    if (k->parent == NULL) {
        for (int i = 0; i < 2; i++)
            clGetDeviceInfo(k->part[i], CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(k->cus[i]), &k->cus[i], NULL);
        k->parent = s->dev;
        k->want = want;
    }
    for (int i = 0; i < 2; i++) {
        s->part[i] = k->part[i];
        s->part_cus[i] = k->cus[i];
    }
    return 0;
}

/*
 * Compute units of RT's own: ZENEDGE_OPENCL_RT_CUS (0: none; unset: a
 * quarter of the device's, at least 1, when it has two or more) split off
 * as a sub-device for the RT queue, the rest a sub-device for the other
 * classes' queues, so that BACKGROUND kernels cannot hold every compute
 * unit. Where the device cannot split, every queue runs on the whole
 * device. One line on stderr says which.
 */
static void ocl_partition(ocl_state_t *s)
{
    cl_uint total = 0;
    clGetDeviceInfo(s->dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(total), &total, NULL);
    cl_uint want = total >= 2 ? (total / 4 ? total / 4 : 1) : 0;
    char why[200] = "";
    const char *env = getenv("ZENEDGE_OPENCL_RT_CUS");
    if (env && env[0]) {
        char *end = NULL;
        unsigned long v = strtoul(env, &end, 10);
        if (!isdigit((unsigned char)env[0]) || *end != '\0' || (v > 0 && v >= total)) {
            bridge_why(why, sizeof(why), "ZENEDGE_OPENCL_RT_CUS=%.20s is not a count from 0 to %u", env,
                       total ? total - 1 : 0);
            want = 0;
        } else {
            want = (cl_uint)v;
            if (want == 0)
                bridge_why(why, sizeof(why), "ZENEDGE_OPENCL_RT_CUS=0");
        }
    } else if (want == 0) {
        bridge_why(why, sizeof(why), "%u compute unit", total);
    }
    if (want > 0 && ocl_split(s, want, total, why, sizeof(why)) == 0) {
        BLOG_INFO("OpenCL: RT on a sub-device of %u compute unit(s), the other classes on %u (of %u on '%s')",
                  s->part_cus[0], s->part_cus[1], total, s->dev_name);
        bridge_sched_rt_policy(&s->sched, 1, 1);
        return;
    }
    BLOG_INFO("OpenCL: no sub-devices (%s): every class shares the %u compute unit(s) of '%s'", why, total,
              s->dev_name);
    bridge_sched_rt_policy(&s->sched, 1, 0);
}

/* Context and one queue per QoS class: BRIDGE_OK or BRIDGE_E_BACKEND. */
static int ocl_context(ocl_state_t *s, int major)
{
    cl_int e;
    cl_context_properties cp[3] = {CL_CONTEXT_PLATFORM, (cl_context_properties)s->plat, 0};
    s->ctx =
        s->part[0] ? clCreateContext(cp, 2, s->part, NULL, NULL, &e) : clCreateContext(cp, 1, &s->dev, NULL, NULL, &e);
    if (s->ctx == NULL) {
        BLOG_ERR("OpenCL: clCreateContext on '%s' failed: %s (%d)", s->dev_name, ocl_errname(e), e);
        return BRIDGE_E_BACKEND;
    }
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        s->q[c] = ocl_queue(s, c, major, &e);
        if (s->q[c] == NULL) {
            BLOG_ERR("OpenCL: command queue for QoS %u on '%s' failed: %s (%d)", c, s->dev_name, ocl_errname(e), e);
            return BRIDGE_E_BACKEND;
        }
    }
    return BRIDGE_OK;
}

static int ocl_init(bridge_backend_t *be, const bridge_backend_config_t *cfg)
{
    if (be == NULL)
        return BRIDGE_E_INVAL;
    ocl_state_t *s = NULL;
    int rc = ocl_open(cfg, &s);
    if (rc != BRIDGE_OK)
        return rc;
    be->priv = s;
    rc = bridge_sched_init(&s->sched, cfg, s->slots, sizeof(s->slots[0]), OCL_SLOTS_MAX, s, &ocl_hooks);
    if (rc == BRIDGE_OK) {
        s->sched_up = 1;
        int major = ocl_device_caps(s);
        ocl_partition(s);
        rc = ocl_context(s, major);
    }
    if (rc != BRIDGE_OK)
        ocl_shutdown(be);
    return rc;
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
    for (uint32_t i = 0; i < OCL_SLOTS_MAX; i++)
        ocl_release_slot_events(&s->slots[i]);
    for (uint32_t i = 0; i < s->sched.n_models; i++)
        ocl_free_model((ocl_model_t *)s->sched.model[i]);
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        if (s->q[c])
            clReleaseCommandQueue(s->q[c]);
    if (s->ctx)
        clReleaseContext(s->ctx);
    /* s->part[] stay, for the process (ocl_kept). */
    if (s->sched_up)
        bridge_sched_destroy(&s->sched); /* and the staging buffers */
    free(s);
    be->priv = NULL;
}

/* ---- load_model --------------------------------------------------------- */

static size_t round_up(size_t x, size_t to)
{
    return (x + to - 1) / to * to;
}

/* The model's OpenCL C source ([backend.opencl] source, default <name>.cl
 * next to the manifest) into path[] and a NUL-terminated buffer (*len
 * bytes, the caller frees), or NULL with why[] set. */
static char *ocl_read_source(const bridge_model_t *m, char *path, size_t pathlen, size_t *len, char *why, size_t whylen)
{
    const char *src_name = bridge_model_opt(m, "opencl", "source");
    char fname[BRIDGE_FILE_MAX + 8];
    if (src_name == NULL) {
        snprintf(fname, sizeof(fname), "%s.cl", m->name);
        src_name = fname;
    }
    if (strchr(src_name, '/') || src_name[0] == '.') {
        bridge_why(why, whylen, "%s: [backend.opencl] source: '%s' must be a file name in the model folder",
                   m->manifest, src_name);
        return NULL;
    }
    snprintf(path, pathlen, "%s/%s", m->dir, src_name);
    int err = 0;
    char *src = zl_read_file(path, OCL_SOURCE_MAX, len, &err);
    if (src == NULL || *len == 0) {
        bridge_why(why, whylen, "%s: [backend.opencl] source: cannot read '%s' (%s; a regular file of 1 to %u bytes)",
                   m->manifest, path, src ? "empty" : strerror(-err), OCL_SOURCE_MAX);
        free(src);
        return NULL;
    }
    return src;
}

/* Build the model's program and find kernel kname in it: BRIDGE_OK, or
 * BRIDGE_E_UNSUPPORTED / BRIDGE_E_BACKEND with why[] set. */
static int ocl_build(ocl_state_t *s, ocl_model_t *om, const char *kname, char *why, size_t whylen)
{
    char path[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX + 8];
    size_t srclen = 0;
    char *src = ocl_read_source(om->hdr.m, path, sizeof(path), &srclen, why, whylen);
    if (src == NULL)
        return BRIDGE_E_UNSUPPORTED;
    cl_int e;
    const char *srcs[1] = {src};
    om->prog = clCreateProgramWithSource(s->ctx, 1, srcs, &srclen, &e);
    free(src);
    if (om->prog == NULL) {
        bridge_why(why, whylen, "%s: clCreateProgramWithSource: %s (%d)", path, ocl_errname(e), e);
        return BRIDGE_E_BACKEND;
    }
    e = s->part[0] ? clBuildProgram(om->prog, 2, s->part, "-cl-std=CL1.2", NULL, NULL)
                   : clBuildProgram(om->prog, 1, &s->dev, "-cl-std=CL1.2", NULL, NULL);
    if (e != CL_SUCCESS) {
        char log[512] = "";
        clGetProgramBuildInfo(om->prog, ocl_class_dev(s, IPC_QOS_BACKGROUND), CL_PROGRAM_BUILD_LOG, sizeof(log) - 1,
                              log, NULL);
        for (char *p = log; *p; p++)
            if (*p == '\n')
                *p = ' ';
        bridge_why(why, whylen, "%s: build failed: %s (%d): %.300s", path, ocl_errname(e), e, log);
        return BRIDGE_E_UNSUPPORTED;
    }
    om->kern = clCreateKernel(om->prog, kname, &e);
    if (om->kern == NULL) {
        bridge_why(why, whylen, "%s: no kernel '%s' in the program: %s (%d)", path, kname, ocl_errname(e), e);
        return BRIDGE_E_UNSUPPORTED;
    }
    return BRIDGE_OK;
}

/* Launch geometry of the kernel on this device: BRIDGE_OK, or
 * BRIDGE_E_UNSUPPORTED when the MLP's one work-group does not fit. */
static int ocl_geometry(ocl_state_t *s, ocl_model_t *om, char *why, size_t whylen)
{
    size_t wg_max = 0, wg_rt = 0;
    clGetKernelWorkGroupInfo(om->kern, ocl_class_dev(s, IPC_QOS_BACKGROUND), CL_KERNEL_WORK_GROUP_SIZE, sizeof(wg_max),
                             &wg_max, NULL);
    clGetKernelWorkGroupInfo(om->kern, ocl_class_dev(s, IPC_QOS_RT), CL_KERNEL_WORK_GROUP_SIZE, sizeof(wg_rt), &wg_rt,
                             NULL);
    wg_max = wg_rt < wg_max ? wg_rt : wg_max;
    if (wg_max == 0)
        wg_max = 1;
    const bridge_sched_model_t *h = &om->hdr;
    switch (h->kind) {
    case BRIDGE_K_VECTOR_ADD_I32:
    case BRIDGE_K_SAXPY_F32: {
        size_t l = wg_max < 64 ? wg_max : 64;
        om->work_dim = 1;
        om->lws[0] = l;
        om->gws[0] = round_up(h->d0, l);
        om->use_lws = 1;
        break;
    }
    case BRIDGE_K_GEMM_F32: {
        size_t l = wg_max >= 64 ? 8 : 1;
        om->work_dim = 2;
        om->lws[0] = om->lws[1] = l;
        om->gws[0] = round_up(h->d2, l);
        om->gws[1] = round_up(h->d0, l);
        om->use_lws = 1;
        break;
    }
    case BRIDGE_K_MLP_RELU_F32: {
        size_t l = h->d1 > h->d2 ? h->d1 : h->d2;
        if (l > wg_max) {
            bridge_why(why, whylen, "%s: mlp needs one work-group of %zu items, device allows %zu", h->m->manifest, l,
                       wg_max);
            return BRIDGE_E_UNSUPPORTED;
        }
        om->work_dim = 1;
        om->lws[0] = om->gws[0] = l;
        om->use_lws = 1;
        break;
    }
    default: break;
    }
    return BRIDGE_OK;
}

/* The MLP's weights, once, and every slot's input and output buffers:
 * BRIDGE_OK or BRIDGE_E_BACKEND with why[] set. */
static int ocl_buffers(ocl_state_t *s, ocl_model_t *om, char *why, size_t whylen)
{
    const bridge_model_t *m = om->hdr.m;
    cl_int e;
    if (om->hdr.kind == BRIDGE_K_MLP_RELU_F32) {
        static const char *const wn[4] = {"w1", "b1", "w2", "b2"};
        for (uint32_t i = 0; i < 4; i++) {
            const bridge_weight_t *w = bridge_model_weight(m, wn[i]);
            om->w[i] = clCreateBuffer(s->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, w->spec.bytes, w->data, &e);
            if (om->w[i] == NULL) {
                bridge_why(why, whylen, "%s: weight %s (%u bytes): clCreateBuffer: %s (%d)", m->manifest, wn[i],
                           w->spec.bytes, ocl_errname(e), e);
                return BRIDGE_E_BACKEND;
            }
        }
    }
    for (uint32_t sl = 0; sl < s->sched.n_slots; sl++) {
        for (uint32_t i = 0; i < m->n_in; i++) {
            om->in[sl][i] = clCreateBuffer(s->ctx, CL_MEM_READ_ONLY, m->in[i].bytes, NULL, &e);
            if (om->in[sl][i] == NULL)
                goto buf_fail;
        }
        om->out[sl] = clCreateBuffer(s->ctx, CL_MEM_WRITE_ONLY, m->out[0].bytes, NULL, &e);
        if (om->out[sl] == NULL)
            goto buf_fail;
    }
    return BRIDGE_OK;
buf_fail:
    bridge_why(why, whylen, "%s: device buffers: clCreateBuffer: %s (%d)", m->manifest, ocl_errname(e), e);
    return BRIDGE_E_BACKEND;
}

static cl_int ocl_set_args(const ocl_model_t *om, uint32_t idx);

/*
 * Run the kernel once on RT's queue and once on the others' (slot 0's
 * buffers, whatever they hold) and wait: the driver compiles a kernel for
 * each device it runs on, at its first launch there (PoCL: per
 * sub-device, on its own threads), so that the first RT job does not pay
 * it and the two parts never compile at once. BRIDGE_OK or
 * BRIDGE_E_BACKEND with why[] set.
 */
static int ocl_warm(ocl_state_t *s, ocl_model_t *om, char *why, size_t whylen)
{
    static const uint32_t cls[2] = {IPC_QOS_RT, IPC_QOS_BACKGROUND};
    cl_int e = ocl_set_args(om, 0);
    for (uint32_t i = 0; i < 2 && e == CL_SUCCESS; i++) {
        cl_command_queue q = s->q[cls[i]];
        e = clEnqueueNDRangeKernel(q, om->kern, om->work_dim, NULL, om->gws, om->use_lws ? om->lws : NULL, 0, NULL,
                                   NULL);
        if (e == CL_SUCCESS)
            e = clFinish(q);
    }
    if (e != CL_SUCCESS) {
        bridge_why(why, whylen, "%s: the kernel's first run: %s (%d)", om->hdr.m->manifest, ocl_errname(e), e);
        return BRIDGE_E_BACKEND;
    }
    return BRIDGE_OK;
}

static int ocl_load_model(bridge_backend_t *be, const bridge_model_t *m, char *why, size_t whylen)
{
    ocl_state_t *s = be ? be->priv : NULL;
    if (s == NULL || m == NULL || why == NULL)
        return BRIDGE_E_INVAL;
    bridge_sched_model_t hdr;
    const char *kname = NULL;
    int rc = bridge_sched_model_check(&s->sched, m, "opencl", &hdr, &kname, why, whylen);
    if (rc != BRIDGE_OK)
        return rc;
    ocl_model_t *om = calloc(1, sizeof(*om));
    if (om == NULL)
        return BRIDGE_E_NOMEM;
    om->hdr = hdr;
    rc = ocl_build(s, om, kname, why, whylen);
    if (rc == BRIDGE_OK)
        rc = ocl_geometry(s, om, why, whylen);
    if (rc == BRIDGE_OK)
        rc = ocl_buffers(s, om, why, whylen);
    if (rc == BRIDGE_OK)
        rc = ocl_warm(s, om, why, whylen);
    /* Host staging, grown to the largest tensor of any model. */
    size_t bytes = 0;
    int dev_err = 0;
    if (rc == BRIDGE_OK)
        rc = bridge_sched_stage_grow(&s->sched, m, &bytes, &dev_err);
    if (rc != BRIDGE_OK) {
        ocl_free_model(om);
        return rc;
    }
    bridge_sched_add_model(&s->sched, &om->hdr);
    return BRIDGE_OK;
}

/* ---- the device-specific part of a job (bridge_sched_hooks_t) ----------- */

/* Runs on a driver thread when the job's last command finished (or failed). */
static void CL_CALLBACK ocl_event_done(cl_event ev, cl_int status, void *arg)
{
    (void)ev;
    ocl_slot_t *sl = arg;
    bridge_sched_complete(&sl->owner->sched, &sl->hdr, status == CL_COMPLETE ? 0 : (int)status);
}

static cl_int ocl_set_args(const ocl_model_t *om, uint32_t idx)
{
    cl_kernel k = om->kern;
    const bridge_sched_model_t *h = &om->hdr;
    cl_int e = CL_SUCCESS;
    cl_uint a = 0;
    for (uint32_t i = 0; i < h->m->n_in; i++)
        e |= clSetKernelArg(k, a++, sizeof(cl_mem), &om->in[idx][i]);
    if (h->kind == BRIDGE_K_MLP_RELU_F32)
        for (uint32_t i = 0; i < 4; i++)
            e |= clSetKernelArg(k, a++, sizeof(cl_mem), &om->w[i]);
    e |= clSetKernelArg(k, a++, sizeof(cl_mem), &om->out[idx]);
    switch (h->kind) {
    case BRIDGE_K_VECTOR_ADD_I32:
    case BRIDGE_K_SAXPY_F32: e |= clSetKernelArg(k, a++, sizeof(cl_uint), &h->d0); break;
    case BRIDGE_K_GEMM_F32:
    case BRIDGE_K_MLP_RELU_F32:
        if (h->kind == BRIDGE_K_MLP_RELU_F32)
            e |= clSetKernelArg(k, a++, (size_t)h->d1 * sizeof(float), NULL);
        e |= clSetKernelArg(k, a++, sizeof(cl_uint), &h->d0);
        e |= clSetKernelArg(k, a++, sizeof(cl_uint), &h->d1);
        e |= clSetKernelArg(k, a++, sizeof(cl_uint), &h->d2);
        break;
    default: break;
    }
    return e;
}

/* Enqueue write(s), kernel and read of one job on slot idx, without
 * blocking; the first write and the read keep their events. */
static int ocl_enqueue(void *owner, uint32_t idx, bridge_job_t *job, bridge_sched_model_t *model)
{
    ocl_state_t *s = owner;
    ocl_slot_t *sl = &s->slots[idx];
    const ocl_model_t *om = (const ocl_model_t *)model;
    const bridge_model_t *m = job->model;
    cl_command_queue q = s->q[job->qos];
    cl_int e = CL_SUCCESS;
    for (uint32_t i = 0; i < m->n_in && e == CL_SUCCESS; i++)
        e = clEnqueueWriteBuffer(q, om->in[idx][i], CL_FALSE, 0, m->in[i].bytes, sl->hdr.stage_in[i], 0, NULL,
                                 i == 0 ? &sl->ev_first : NULL);
    if (e == CL_SUCCESS)
        e = ocl_set_args(om, idx);
    if (e == CL_SUCCESS)
        e = clEnqueueNDRangeKernel(q, om->kern, om->work_dim, NULL, om->gws, om->use_lws ? om->lws : NULL, 0, NULL,
                                   NULL);
    if (e == CL_SUCCESS)
        e = clEnqueueReadBuffer(q, om->out[idx], CL_FALSE, 0, m->out[0].bytes, sl->hdr.stage_out, 0, NULL,
                                &sl->ev_last);
    return e;
}

/* The read's event calls ocl_event_done; flush so that the job starts. */
static int ocl_arm(void *owner, uint32_t idx, bridge_job_t *job)
{
    ocl_state_t *s = owner;
    ocl_slot_t *sl = &s->slots[idx];
    cl_int e = clSetEventCallback(sl->ev_last, CL_COMPLETE, ocl_event_done, sl);
    if (e == CL_SUCCESS)
        clFlush(s->q[job->qos]);
    return e;
}

static void ocl_unwind(void *owner, uint32_t idx, bridge_job_t *job)
{
    ocl_state_t *s = owner;
    clFinish(s->q[job->qos]);
    ocl_release_slot_events(&s->slots[idx]);
}

/* Profiling: START of the first write to END of the read. */
static uint64_t ocl_device_ns(void *owner, uint32_t idx)
{
    const ocl_slot_t *sl = &((ocl_state_t *)owner)->slots[idx];
    cl_ulong t0 = 0, t1 = 0;
    if (clGetEventProfilingInfo(sl->ev_first, CL_PROFILING_COMMAND_START, sizeof(t0), &t0, NULL) == CL_SUCCESS &&
        clGetEventProfilingInfo(sl->ev_last, CL_PROFILING_COMMAND_END, sizeof(t1), &t1, NULL) == CL_SUCCESS && t1 >= t0)
        return t1 - t0;
    return 0;
}

static void ocl_release(void *owner, uint32_t idx)
{
    ocl_release_slot_events(&((ocl_state_t *)owner)->slots[idx]);
}

/* Host staging on cache-line (64-byte) boundaries. */
static int ocl_stage_alloc(void *owner, uint32_t idx, uint32_t t, size_t bytes, void **p)
{
    (void)owner;
    (void)idx;
    (void)t;
    *p = aligned_alloc(64, round_up(bytes, 64));
    return *p ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
}

static void ocl_stage_free(void *owner, void *p)
{
    (void)owner;
    free(p);
}

static const bridge_sched_hooks_t ocl_hooks = {
    .label = "OpenCL",
    .enqueue = ocl_enqueue,
    .arm = ocl_arm,
    .unwind = ocl_unwind,
    .device_ns = ocl_device_ns,
    .release = ocl_release,
    .stage_alloc = ocl_stage_alloc,
    .stage_free = ocl_stage_free,
    .errname = ocl_errname,
};

const bridge_backend_ops_t bridge_backend_opencl = {
    .name = "opencl",
    .probe = ocl_probe,
    .init = ocl_init,
    .load_model = ocl_load_model,
    .submit = bridge_sched_op_submit,
    .poll = bridge_sched_op_poll,
    .in_flight = bridge_sched_op_in_flight,
    .set_wake = bridge_sched_op_set_wake,
    .finished = bridge_sched_op_finished,
    .shutdown = ocl_shutdown,
};
