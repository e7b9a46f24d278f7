/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipc_cache.h for the Frama-C analyses only (verify/frama/, first on the
 * include path): the coherent build of include/zenedge/ipc_cache.h (the
 * hooks do nothing), as macros, so that WP needs no contract for them.
 */
#ifndef ZENEDGE_IPC_CACHE_H
#define ZENEDGE_IPC_CACHE_H

#include <stdint.h>

#define ipc_cache_clean(p, len)      ((void)(p), (void)(len))
#define ipc_cache_invalidate(p, len) ((void)(p), (void)(len))

#endif /* ZENEDGE_IPC_CACHE_H */
