/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuda_api.h - the part of the CUDA driver API and of NVRTC that the CUDA
 * backend uses, declared here so that it builds with no CUDA header and
 * runs with no driver: every function is looked up at run time with
 * dlsym() in libcuda.so.1 / libnvrtc (see cuda.c). Values are those of
 * the public ABI (cuda.h, nvrtc.h), which NVIDIA keeps stable; where a
 * function has versioned entry points the name looked up is given.
 */
#ifndef ZENEDGE_BRIDGE_CUDA_API_H
#define ZENEDGE_BRIDGE_CUDA_API_H

#include <stddef.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr; /* 64-bit since the _v2 API */
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef void (*CUstreamCallback)(CUstream stream, CUresult status, void *user);
typedef struct CUgreenCtx_st *CUgreenCtx;               /* driver 12.4+ */
typedef struct CUdevResourceDesc_st *CUdevResourceDesc; /* driver 12.4+ */

#define CUDA_SUCCESS                       0
#define CUDA_ERROR_INVALID_VALUE           1
#define CUDA_ERROR_OUT_OF_MEMORY           2
#define CUDA_ERROR_NOT_INITIALIZED         3
#define CUDA_ERROR_NO_DEVICE               100
#define CUDA_ERROR_INVALID_DEVICE          101
#define CUDA_ERROR_INVALID_IMAGE           200
#define CUDA_ERROR_INVALID_PTX             218
#define CUDA_ERROR_UNSUPPORTED_PTX_VERSION 222
#define CUDA_ERROR_NOT_FOUND               500
#define CUDA_ERROR_NOT_READY               600
#define CUDA_ERROR_NOT_SUPPORTED           801

/* CUdevice_attribute values used */
#define CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK    1
#define CU_DEVICE_ATTRIBUTE_INTEGRATED               18
#define CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY      19
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76

#define CU_STREAM_NON_BLOCKING    0x1
#define CU_EVENT_DEFAULT          0x0
#define CU_MEMHOSTALLOC_PORTABLE  0x01
#define CU_MEMHOSTALLOC_DEVICEMAP 0x02

/* Green contexts (driver 12.4+): a context that runs on a set of SMs of
 * its own. CUdevResource is the ABI version 1 layout of cuda.h. */
#define CU_DEV_RESOURCE_TYPE_SM     1
#define CU_GREEN_CTX_DEFAULT_STREAM 0x1
typedef struct CUdevSmResource_st {
    unsigned int smCount;
    unsigned int minSmPartitionSize;
    unsigned int smCoscheduledAlignment;
} CUdevSmResource;
typedef struct CUdevResource_st {
    int type; /* CU_DEV_RESOURCE_TYPE_* */
    unsigned char _internal_padding[92];
    union {
        CUdevSmResource sm;
        unsigned char _oversize[48];
    };
} CUdevResource;
_Static_assert(sizeof(CUdevResource) == 144, "CUdevResource: the ABI version 1 layout");

/* Driver entry points: type names end in _fn; the string is the symbol. */
typedef CUresult (*cuInit_fn)(unsigned flags);                                 /* cuInit */
typedef CUresult (*cuDriverGetVersion_fn)(int *version);                       /* cuDriverGetVersion */
typedef CUresult (*cuDeviceGetCount_fn)(int *count);                           /* cuDeviceGetCount */
typedef CUresult (*cuDeviceGet_fn)(CUdevice *dev, int ordinal);                /* cuDeviceGet */
typedef CUresult (*cuDeviceGetName_fn)(char *name, int len, CUdevice dev);     /* cuDeviceGetName */
typedef CUresult (*cuDeviceGetAttribute_fn)(int *v, int attr, CUdevice dev);   /* cuDeviceGetAttribute */
typedef CUresult (*cuDeviceTotalMem_fn)(size_t *bytes, CUdevice dev);          /* cuDeviceTotalMem_v2 */
typedef CUresult (*cuDevicePrimaryCtxRetain_fn)(CUcontext *ctx, CUdevice dev); /* cuDevicePrimaryCtxRetain */
typedef CUresult (*cuDevicePrimaryCtxRelease_fn)(CUdevice dev);                /* cuDevicePrimaryCtxRelease_v2 */
typedef CUresult (*cuCtxSetCurrent_fn)(CUcontext ctx);                         /* cuCtxSetCurrent */
typedef CUresult (*cuCtxGetStreamPriorityRange_fn)(int *least, int *greatest); /* cuCtxGetStreamPriorityRange */
typedef CUresult (*cuModuleLoadData_fn)(CUmodule *mod, const void *image);     /* cuModuleLoadData */
typedef CUresult (*cuModuleGetFunction_fn)(CUfunction *f, CUmodule mod, const char *name); /* cuModuleGetFunction */
typedef CUresult (*cuModuleUnload_fn)(CUmodule mod);                                       /* cuModuleUnload */
typedef CUresult (*cuMemAlloc_fn)(CUdeviceptr *p, size_t bytes);                           /* cuMemAlloc_v2 */
typedef CUresult (*cuMemFree_fn)(CUdeviceptr p);                                           /* cuMemFree_v2 */
typedef CUresult (*cuMemHostAlloc_fn)(void **p, size_t bytes, unsigned flags);             /* cuMemHostAlloc */
typedef CUresult (*cuMemFreeHost_fn)(void *p);                                             /* cuMemFreeHost */
typedef CUresult (*cuMemHostGetDevicePointer_fn)(CUdeviceptr *d, void *h,
                                                 unsigned flags);                    /* cuMemHostGetDevicePointer_v2 */
typedef CUresult (*cuMemcpyHtoD_fn)(CUdeviceptr dst, const void *src, size_t bytes); /* cuMemcpyHtoD_v2 */
typedef CUresult (*cuMemcpyHtoDAsync_fn)(CUdeviceptr dst, const void *src, size_t bytes,
                                         CUstream s); /* cuMemcpyHtoDAsync_v2 */
typedef CUresult (*cuMemcpyDtoHAsync_fn)(void *dst, CUdeviceptr src, size_t bytes,
                                         CUstream s); /* cuMemcpyDtoHAsync_v2 */
typedef CUresult (*cuStreamCreateWithPriority_fn)(CUstream *s, unsigned flags,
                                                  int priority); /* cuStreamCreateWithPriority */
typedef CUresult (*cuStreamDestroy_fn)(CUstream s);              /* cuStreamDestroy_v2 */
typedef CUresult (*cuStreamSynchronize_fn)(CUstream s);          /* cuStreamSynchronize */
typedef CUresult (*cuStreamAddCallback_fn)(CUstream s, CUstreamCallback cb, void *user,
                                           unsigned flags);                       /* cuStreamAddCallback */
typedef CUresult (*cuEventCreate_fn)(CUevent *e, unsigned flags);                 /* cuEventCreate */
typedef CUresult (*cuEventRecord_fn)(CUevent e, CUstream s);                      /* cuEventRecord */
typedef CUresult (*cuEventElapsedTime_fn)(float *ms, CUevent start, CUevent end); /* cuEventElapsedTime */
typedef CUresult (*cuEventDestroy_fn)(CUevent e);                                 /* cuEventDestroy_v2 */
typedef CUresult (*cuLaunchKernel_fn)(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                      unsigned bz, unsigned shmem, CUstream s, void **params,
                                      void **extra);                  /* cuLaunchKernel */
typedef CUresult (*cuGetErrorName_fn)(CUresult e, const char **name); /* cuGetErrorName */

/* Green contexts: looked up when present (driver 12.4+), else NULL. */
typedef CUresult (*cuDeviceGetDevResource_fn)(CUdevice dev, CUdevResource *res, int type); /* cuDeviceGetDevResource */
typedef CUresult (*cuDevSmResourceSplitByCount_fn)(CUdevResource *result, unsigned *n_groups,
                                                   const CUdevResource *input, CUdevResource *remaining, unsigned flags,
                                                   unsigned min_count); /* cuDevSmResourceSplitByCount */
typedef CUresult (*cuDevResourceGenerateDesc_fn)(CUdevResourceDesc *desc, CUdevResource *res,
                                                 unsigned n); /* cuDevResourceGenerateDesc */
typedef CUresult (*cuGreenCtxCreate_fn)(CUgreenCtx *g, CUdevResourceDesc desc, CUdevice dev,
                                        unsigned flags);              /* cuGreenCtxCreate */
typedef CUresult (*cuGreenCtxDestroy_fn)(CUgreenCtx g);               /* cuGreenCtxDestroy */
typedef CUresult (*cuCtxFromGreenCtx_fn)(CUcontext *c, CUgreenCtx g); /* cuCtxFromGreenCtx */
typedef CUresult (*cuGreenCtxStreamCreate_fn)(CUstream *s, CUgreenCtx g, unsigned flags,
                                              int priority); /* cuGreenCtxStreamCreate */

/* NVRTC (libnvrtc.so.<major>) */
typedef int nvrtcResult;
typedef struct _nvrtcProgram *nvrtcProgram;
#define NVRTC_SUCCESS 0
typedef nvrtcResult (*nvrtcCreateProgram_fn)(nvrtcProgram *p, const char *src, const char *name, int n_headers,
                                             const char *const *headers, const char *const *include_names);
typedef nvrtcResult (*nvrtcCompileProgram_fn)(nvrtcProgram p, int n_opts, const char *const *opts);
typedef nvrtcResult (*nvrtcGetProgramLogSize_fn)(nvrtcProgram p, size_t *size);
typedef nvrtcResult (*nvrtcGetProgramLog_fn)(nvrtcProgram p, char *log);
typedef nvrtcResult (*nvrtcGetPTXSize_fn)(nvrtcProgram p, size_t *size);
typedef nvrtcResult (*nvrtcGetPTX_fn)(nvrtcProgram p, char *ptx);
typedef nvrtcResult (*nvrtcDestroyProgram_fn)(nvrtcProgram *p);
typedef const char *(*nvrtcGetErrorString_fn)(nvrtcResult r);

#endif /* ZENEDGE_BRIDGE_CUDA_API_H */
