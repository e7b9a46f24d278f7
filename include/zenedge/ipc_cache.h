/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_cache.h - cache maintenance around shared accesses.
 *
 * On a coherent system (x86, a Linux host, ivshmem, most SMP Cortex-A
 * clusters) these are empty and cost nothing. A board whose two partitions
 * do not share a coherent cache defines IPC_CONFIG_NONCOHERENT for the
 * core and rtos/ (and the port), sets IPC_FEAT_NONCOHERENT in the region
 * features, and its port provides the two functions (see rtos/zport.h,
 * ports/template/port.c and docs/porting.md).
 *
 * Where the core calls them (docs/protocol.md, "On a non-coherent
 * system", has the list):
 *   publish:  write the data (slots, descriptor lines 0-1, input tensors),
 *             ipc_cache_clean() over it, the store-release of the index or
 *             flag word (R1, R2, L1, region magic), then ipc_cache_clean()
 *             over the index word so the peer sees it without waiting for
 *             an eviction;
 *   consume:  ipc_cache_invalidate() over the peer's index word, its
 *             load-acquire (A1, A2, L1/L2, region magic), then
 *             ipc_cache_invalidate() over the data it announced (slots,
 *             the answer line, output tensors) before reading it.
 * A range that lies in the same cache line as the index word (the side
 * blocks of the header) is covered by the one call next to the barrier.
 *
 * Contract of a port's implementation:
 *   - range: [p, p + len), any address and length (len may be 0: nothing
 *     to do). The port rounds p down and p + len up to its data-cache
 *     line. Rounding never reaches a byte the other side writes: the
 *     layout keeps the two writers in separate IPC_CACHELINE (64-byte)
 *     granules and the tensor heap hands out whole 64-byte blocks, so any
 *     line size that divides 64 (32 on Cortex-M7, 64 on Cortex-A/R) is
 *     supported. A core whose line is larger than 64 bytes is not.
 *   - completion: the operation is complete when the function returns
 *     (on Arm: the maintenance by address, then a DSB), so that a store
 *     that follows a clean reaches memory after the cleaned data, and a
 *     load that follows an invalidate comes from memory.
 *   - context: any (task, interrupt, completion handler) and inside the
 *     port's critical section: no lock, no sleep, no allocation.
 *   - cost: O(len / line) maintenance operations plus two barriers; the
 *     calls on the packet path name a 16-byte slot, a 4-byte word, one
 *     64-byte line or the 256-byte descriptor; tensors are cleaned or
 *     invalidated once per job, outside the critical section (submission
 *     step 2 and the wait).
 *   - invalidate discards: the core only invalidates ranges this side
 *     does not write (the peer's words, the answer line, output tensors;
 *     every line of them was cleaned before it was handed over).
 */
#ifndef ZENEDGE_IPC_CACHE_H
#define ZENEDGE_IPC_CACHE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef IPC_CONFIG_NONCOHERENT
/* Write back [p, p+len) to the point of coherence with the peer; the
 * lines stay valid. Returns when the write-back is complete. */
void ipc_cache_clean(const volatile void *p, uint32_t len);
/* Discard local copies of [p, p+len) so the next read sees the peer's
 * data. Returns when the invalidation is complete. */
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
