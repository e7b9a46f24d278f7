/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nc_port.h - the cache hooks of a non-coherent port (ipc_cache.h) and the
 * barrier trace (IPC_CONFIG_BARRIER_TRACE in barrier.h), as a recorder for
 * the tests of the non-coherent variant (tests/helpers/nc.cmake).
 *
 * Recorder: every ipc_cache_clean / ipc_cache_invalidate call and every
 * ipc_load_acquire / ipc_store_release of the variant's code takes the
 * next number of one global sequence; while recording is on, each is
 * logged with its address and length, so a test can assert that a line was
 * cleaned before the release that publishes it and invalidated after the
 * acquire that announced it, and that the ranges cover the bytes.
 *
 * Model (optional): a non-coherent cache that never evicts. The ZENEDGE
 * side works on one copy of the region (its "cache"), the bridge played by
 * the test on another (the memory, coherent for it): ipc_cache_clean()
 * over the cache copy copies exactly those bytes to memory, and
 * ipc_cache_invalidate() copies memory back over them. Calls on the memory
 * copy (the bridge's side of the same core code) do nothing. Stricter than
 * hardware: a real port rounds out to whole lines, the model moves only
 * the bytes named, so a call that names too few bytes, or a missing call,
 * leaves the other side with stale data.
 */
#ifndef ZENEDGE_TEST_NC_PORT_H
#define ZENEDGE_TEST_NC_PORT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum nc_kind { NC_CLEAN = 1, NC_INVAL = 2, NC_ACQ = 3, NC_REL = 4, NC_KINDS = 5 } nc_kind_t;

typedef struct nc_event {
    uint32_t seq;  /* 1, 2, ... in the order the calls happened */
    uint32_t kind; /* nc_kind_t */
    uintptr_t addr;
    uint32_t len; /* 4 for NC_ACQ / NC_REL */
} nc_event_t;

#define NC_MAX_EVENTS 65536u

/* Start (clearing the log) or stop logging. Counting never stops. */
void nc_record(bool on);
uint32_t nc_n_events(void);
const nc_event_t *nc_event(uint32_t i);
/* Events that did not fit the log since the last nc_record(true). */
uint32_t nc_lost(void);
/* Calls of each kind since the program started, logged or not. */
uint64_t nc_total(nc_kind_t k);

/* The seq of the first logged event of kind k whose range covers every
 * byte of [a, a + n) and with after < seq < before (before 0: no upper
 * bound); 0 if there is none. */
uint32_t nc_find(nc_kind_t k, const volatile void *a, uint32_t n, uint32_t after, uint32_t before);
/* The seq of the last logged NC_ACQ / NC_REL on the word at a; 0 if none. */
uint32_t nc_last_at(nc_kind_t k, const volatile void *a);
/* The seq of the first logged NC_ACQ / NC_REL on the word at a; 0 if none. */
uint32_t nc_first_at(nc_kind_t k, const volatile void *a);

/* Model: cache and mem are two copies of one region of size bytes. */
void nc_model_start(void *cache, void *mem, uint32_t size);
void nc_model_stop(void);

#endif /* ZENEDGE_TEST_NC_PORT_H */
