/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * barrier.h - the five ordering words used on shared memory.
 *
 * Every access to a word that the other side of the region reads or writes
 * goes through one of these, so that a reader of the code can see the
 * ordering at the access itself:
 *
 *   ipc_read_once(p)          one untorn load, no ordering (a private copy of
 *                             a peer's word, a statistic)
 *   ipc_write_once(p, v)      one untorn store, no ordering
 *   ipc_load_acquire(p)       later loads/stores of this thread are not moved
 *                             before this load; pairs with a store-release
 *   ipc_store_release(p, v)   earlier loads/stores of this thread are visible
 *                             before this store; pairs with a load-acquire
 *   ipc_fence()               full (sequentially consistent) fence: a store
 *                             before it is visible before a load after it
 *                             (needed only by the needs-wake-up handshake)
 *
 * The pairs they form carry labels, written at every access: R1/A1 and
 * R2/A2 (rings), W1/W2 (needs-wake-up handshake) and L1..L4 (liveness
 * words), all defined in ipc_proto.h. Code outside this header uses these
 * names only, never the builtins.
 *
 * They are built on the GCC/Clang __atomic builtins, which exist on every
 * freestanding target we build for and need no libatomic for 32-bit words.
 * Shared words accessed through them are uint32_t: 64-bit atomics are not
 * native on Cortex-M or 32-bit x86 and would pull in libatomic.
 *
 * This header is freestanding: it includes nothing.
 */
#ifndef ZENEDGE_BARRIER_H
#define ZENEDGE_BARRIER_H

#ifdef __cplusplus
extern "C" {
#endif

#define ipc_read_once(p)        __atomic_load_n((p), __ATOMIC_RELAXED)
#define ipc_write_once(p, v)    __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ipc_load_acquire(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ipc_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ipc_fence()             __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Test builds only (IPC_CONFIG_BARRIER_TRACE, the non-coherent test
 * variant in tests/helpers/nc.cmake): every acquire reports its address
 * after its load and every release before its store, to a recorder the
 * test links (tests/helpers/nc_port.c), so that a test sees where the
 * cache maintenance of ipc_cache.h falls relative to them. */
#ifdef IPC_CONFIG_BARRIER_TRACE
void ipc_trace_acquire(const volatile void *p);
void ipc_trace_release(const volatile void *p);
#undef ipc_load_acquire
#undef ipc_store_release
#define ipc_load_acquire(p)                                                   \
    __extension__({                                                           \
        __typeof__(*(p)) ipc_acq_v_ = __atomic_load_n((p), __ATOMIC_ACQUIRE); \
        ipc_trace_acquire(p);                                                 \
        ipc_acq_v_;                                                           \
    })
#define ipc_store_release(p, v) (ipc_trace_release(p), __atomic_store_n((p), (v), __ATOMIC_RELEASE))
#endif

/* A hint to the core that we are in a spin loop (no ordering meaning). */
#if defined(__x86_64__) || defined(__i386__)
#define ipc_cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || (defined(__ARM_ARCH) && __ARM_ARCH >= 7)
#define ipc_cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define ipc_cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

/* ipc_in_register(ptr): no code. Hides from the compiler where a non-NULL
 * pointer points, so that it keeps ptr in a register of its own instead
 * of folding a known base and offset into every access (on Thumb-2 the
 * fields below 128 bytes then take 16-bit loads and stores). A size
 * idiom of the ZENEDGE side (docs/footprint.md); not an ordering. The
 * Frama-C analyses, which cannot read the asm, take it as nothing
 * (verify/frama/include/zenedge/barrier.h). */
#if defined(__GNUC__)
#define ipc_in_register(ptr)                                           \
    do {                                                               \
        __asm__("" : "+r"(ptr));                                       \
        if ((ptr) == 0) /* still the same pointer: tests of it fold */ \
            __builtin_unreachable();                                   \
    } while (0)
#else
#define ipc_in_register(ptr) ((void)0)
#endif

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_BARRIER_H */
