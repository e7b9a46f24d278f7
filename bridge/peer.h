/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * peer.h - the doorbell connection of zenedge-bridged: the ZENEDGE side
 * as a peer on the doorbell socket, or QEMU's ivshmem-doorbell device.
 *
 * Role: own our eventfd (the ZENEDGE side rings it) and the peer's; listen
 * on the doorbell socket (by default in the private runtime directory,
 * zl_runtime_dir) and, every upkeep, without ever waiting: accept
 * connections (credentials checked against --allow-uid/--allow-gid at
 * once; at most BRIDGE_PEER_PENDING waiting for their hello, more are
 * closed at once; a silent one is closed after BRIDGE_PEER_HELLO_MS), read
 * the hellos that arrived (the peer's fd must be an eventfd; it is made
 * non-blocking), take the first ZENEDGE side and refuse every newcomer
 * while it is connected, or notice that it left; with
 * --ivshmem-socket serve QEMU's ivshmem server protocol instead (a guest
 * that left is forgotten, a new one taken; its vector-0 eventfd interrupts
 * it as MSI-X vector 0). A lost peer never stops serving: the rings are
 * served on and a new peer is awaited.
 * Thread: the dispatch thread only.
 * May touch: its sockets and eventfds, the --file backing fd handed to
 * QEMU, the peer counters of bridge_stats_t; never the region.
 */
#ifndef ZENEDGE_BRIDGE_PEER_H
#define ZENEDGE_BRIDGE_PEER_H

#include <stdint.h>

#include "config.h"
#include "ivshmem_server.h"
#include "stats.h"
#include "zl.h"

#define BRIDGE_PEER_PENDING  4    /* connections waiting for their hello */
#define BRIDGE_PEER_HELLO_MS 1000 /* a connection silent this long is closed */

typedef struct bridge_peer_pending {
    int fd; /* -1: free */
    uint64_t since_ns;
    zl_cred_t cred;
} bridge_peer_pending_t;

typedef struct bridge_peer {
    const bridge_config_t *cfg;
    bridge_stats_t *st;
    int efd;                /* ours: the ZENEDGE side rings it */
    int shared_efd;         /* >= 0: efd is a copy of this one (one daemon, several regions) */
    int lfd;                /* listening socket */
    ivshm_server_t *ivs;    /* --ivshmem-socket (owns efd and peer_efd then) */
    int ivs_shm_fd;         /* the backing file handed to QEMU */
    int conn;               /* connected ZENEDGE side, or -1 */
    int peer_efd;           /* its eventfd, or -1 */
    zl_cred_t cred;         /* the connected ZENEDGE side's credentials */
    zl_allow_t allow;       /* --allow-uid / --allow-gid (+ our uid, root) */
    int sock_gid;           /* group of the socket and its directory, or -1 */
    unsigned long sock_ino; /* our socket file: unlinked at close only if still ours */
    bridge_peer_pending_t pend[BRIDGE_PEER_PENDING];
    uint32_t refused;   /* credentials not allowed */
    uint32_t overflow;  /* closed at once: BRIDGE_PEER_PENDING already waiting */
    uint32_t busy;      /* hellos refused: a ZENEDGE side is connected, wrong side */
    uint32_t bad_hello; /* closed before a good hello: silent, malformed, not an eventfd */
    char sock[BRIDGE_CFG_PATH];
} bridge_peer_t;

/* Every fd -1 (shared_efd too: set it before bridge_peer_open to hand
 * the peer a copy of that eventfd instead of a new one); nothing opened.
 * Returns nothing. */
void bridge_peer_init(bridge_peer_t *p, const bridge_config_t *cfg, bridge_stats_t *st);
/* Open the doorbell of cfg->doorbell (nothing for poll): eventfd and
 * listening socket (the default one in the private runtime directory,
 * created mode 0700, or 0750 with the first --allow-gid as its group, and
 * checked), or the ivshmem server (which QEMU needs before the region
 * exists). Returns BRIDGE_OK, BRIDGE_E_CONFIG (an allow list that does not
 * parse), BRIDGE_E_DOORBELL (logged). */
int bridge_peer_open(bridge_peer_t *p);
/* One step of the handshake, never waiting: accept, check credentials,
 * read hellos, drop silent connections, take a ZENEDGE side, notice one
 * left (or one that cleared O_NONBLOCK on its doorbell: dropped); epoch:
 * ours, for the hello. Returns nothing (failures are logged, rate-limited,
 * and counted in hello_rejects). */
void bridge_peer_upkeep(bridge_peer_t *p, uint32_t epoch);
/* Ring the peer's eventfd once, if one is connected. Returns nothing. */
void bridge_peer_ring(const bridge_peer_t *p);
/* Close everything, unlink the socket. Returns nothing. */
void bridge_peer_close(bridge_peer_t *p);

#endif /* ZENEDGE_BRIDGE_PEER_H */
