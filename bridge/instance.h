/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * instance.h - one zenedge-bridged per region. The daemon takes an OFD
 * write lock on a lock file named after its region in the runtime
 * directory ($RUNTIME_DIRECTORY, else /run/zenedge for root, else
 * $XDG_RUNTIME_DIR/zenedge, else /dev/shm with our uid in the name) and
 * holds it until it exits; the file holds its pid. A second daemon for the
 * same region finds the lock held and exits (status 3) before it touches
 * the region or the doorbell socket, so the live daemon's socket is never
 * unlinked by another instance. The lock file is left in place at exit
 * (removing it would race with a starting daemon); a stale one is reused.
 *
 * Role: start-up guard. Thread: the main thread, before serving.
 * May touch: the runtime directory (creates it for root or
 * XDG_RUNTIME_DIR) and the lock file.
 */
#ifndef ZENEDGE_BRIDGE_INSTANCE_H
#define ZENEDGE_BRIDGE_INSTANCE_H

#include <stddef.h>

#include "config.h"

typedef struct bridge_instance {
    int fd; /* the lock file, open while we serve; -1 none */
    char path[BRIDGE_CFG_PATH + 400];
} bridge_instance_t;

/* Take the region's lock. BRIDGE_OK; BRIDGE_E_BUSY another live daemon
 * holds it (err: "another zenedge-bridged (pid N) serves NAME (lock
 * PATH)"); BRIDGE_E_IO the directory or lock file cannot be made or is
 * not ours (err names it, what was found and what was expected). */
int bridge_instance_lock(bridge_instance_t *in, const bridge_config_t *cfg, char *err, size_t errlen);

/* Release the lock (close the file). Returns nothing. */
void bridge_instance_unlock(bridge_instance_t *in);

/* Take the lock of every region of cfg (the one of --shm/--file when it
 * has no regions) into in[]; none is held when one cannot be taken.
 * BRIDGE_OK, or the first failure as bridge_instance_lock (err prefixed
 * "region NAME: "), BRIDGE_E_CONFIG or BRIDGE_E_NOMEM. */
int bridge_instance_lock_all(bridge_instance_t in[BRIDGE_REGIONS_MAX], const bridge_config_t *cfg, char *err,
                             size_t errlen);
/* Release every lock of in[]. Returns nothing. */
void bridge_instance_unlock_all(bridge_instance_t in[BRIDGE_REGIONS_MAX]);

#endif /* ZENEDGE_BRIDGE_INSTANCE_H */
