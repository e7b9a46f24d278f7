/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * transport.h - map the region: a POSIX shared memory object by name, or
 * a window [offset, offset+size) of a file or device (QEMU ivshmem backing
 * file, UIO map, physical carve-out), through linux/zl.h.
 *
 * The peer owns the object and may re-create or truncate it while we have
 * it mapped (a ZENEDGE side that restarts). A store or load in a page the
 * file no longer backs raises SIGBUS; the transport catches it for its own
 * mapping only, puts zero pages in place so the faulting access completes,
 * and raises a flag: the dispatcher then detaches and maps the object
 * again. Any other SIGBUS keeps its default action.
 *
 * Role: the transport part (used by attach.c). Thread: the dispatch
 * thread; the SIGBUS handler runs on whichever thread faulted (in practice
 * the dispatch thread). May touch: the mapping and the shm object or file
 * it maps.
 */
#ifndef ZENEDGE_BRIDGE_TRANSPORT_H
#define ZENEDGE_BRIDGE_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "zl.h"

typedef struct bridge_transport {
    zl_map_t map;
    bool mapped;
    bool is_shm;
    dev_t dev; /* identity of what we mapped */
    ino_t ino;
    int guard;                       /* slot of the SIGBUS guard + 1; 0: none */
    char what[BRIDGE_CFG_PATH + 64]; /* for log lines */
} bridge_transport_t;

/* Install the SIGBUS guard (once, before any mapping). Returns BRIDGE_OK
 * or BRIDGE_E_SYS (sigaction failed, errno set). */
int bridge_transport_guard_install(void);

/* Who may own and write the region: cfg's shm-owner, shm-group and
 * shm-mode resolved (linux/zl.h). BRIDGE_OK, or BRIDGE_E_CONFIG with an
 * unknown user or group named in err. */
int bridge_transport_policy(const bridge_config_t *cfg, zl_obj_policy_t *p, char *err, size_t errlen);

/* Map the region named by cfg, after checking its type, owner and mode
 * against bridge_transport_policy() (a refusal: BRIDGE_E_TRANSPORT with
 * the object, what was found and what was expected in t->what). BRIDGE_OK; BRIDGE_E_NOT_READY when the shm
 * object does not exist yet or is still empty (retry later); otherwise
 * BRIDGE_E_TRANSPORT with *sys_err = errno. */
int bridge_transport_open(bridge_transport_t *t, const bridge_config_t *cfg, int *sys_err);

/* True once if a SIGBUS hit t's mapping since the last call; false
 * otherwise. */
bool bridge_transport_faulted(const bridge_transport_t *t);

/* True if the name now refers to another object than the one mapped (the
 * peer unlinked and re-created it), or to none. Files: always false. */
bool bridge_transport_replaced(const bridge_transport_t *t, const bridge_config_t *cfg);

/* Unmap (harmless when nothing is mapped). Returns nothing. */
void bridge_transport_close(bridge_transport_t *t);

#endif /* ZENEDGE_BRIDGE_TRANSPORT_H */
