/*
 * ipc_cache.h - cache maintenance around shared accesses.
 *
 * On a coherent system (x86, a Linux host, ivshmem, most SMP Cortex-A
 * clusters) these are empty and cost nothing. A board whose two partitions
 * do not share a coherent cache defines IPC_CONFIG_NONCOHERENT and provides
 * the two functions (see rtos/zport.h and docs/porting.md); the core then
 * cleans a range after writing it and before the store-release that
 * publishes it, and invalidates a range after the load-acquire that
 * announced it and before reading it. The calls sit next to the barrier
 * they belong to in core/ipc_ring.c.
 */
#ifndef ZENEDGE_IPC_CACHE_H
#define ZENEDGE_IPC_CACHE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef IPC_CONFIG_NONCOHERENT
/* Write back [p, p+len) to the point of coherence with the peer. */
void ipc_cache_clean(const volatile void *p, uint32_t len);
/* Discard local copies of [p, p+len) so the next read sees the peer's data. */
void ipc_cache_invalidate(const volatile void *p, uint32_t len);
#else
static inline void ipc_cache_clean(const volatile void *p, uint32_t len)
{
    (void)p;
    (void)len;
}
static inline void ipc_cache_invalidate(const volatile void *p, uint32_t len)
{
    (void)p;
    (void)len;
}
#endif

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_IPC_CACHE_H */
