/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * barrier.h for the Frama-C analyses only (verify/frama/, first on the
 * include path): the same five names as include/zenedge/barrier.h, as
 * volatile accesses, because Frama-C does not know the __atomic builtins.
 * EVA and WP analyse one thread: ordering is the SPIN models' matter
 * (verify/*.pml); here only the values matter, and a volatile read gives
 * EVA "any value" of the type, as a peer could write at any moment.
 */
#ifndef ZENEDGE_BARRIER_H
#define ZENEDGE_BARRIER_H

#define ipc_read_once(p)        (*(volatile __typeof__(*(p)) *)(p))
#define ipc_write_once(p, v)    ((void)(*(volatile __typeof__(*(p)) *)(p) = (v)))
#define ipc_load_acquire(p)     (*(volatile __typeof__(*(p)) *)(p))
#define ipc_store_release(p, v) ((void)(*(volatile __typeof__(*(p)) *)(p) = (v)))
#define ipc_fence()             ((void)0)
#define ipc_cpu_relax()         ((void)0)
#define ipc_in_register(ptr)    ((void)0) /* a size idiom: no value changes */

#endif /* ZENEDGE_BARRIER_H */
