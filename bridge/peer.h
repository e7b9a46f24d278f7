/*
 * peer.h - the doorbell connection of zenedge-bridged: the ZENEDGE side
 * as a peer on the doorbell socket, or QEMU's ivshmem-doorbell device.
 *
 * Role: own our eventfd (the ZENEDGE side rings it) and the peer's; listen
 * on the doorbell socket and, every upkeep, accept a ZENEDGE side (hello
 * checked, eventfds exchanged) or notice that it left; with
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

typedef struct bridge_peer {
    const bridge_config_t *cfg;
    bridge_stats_t *st;
    int efd;             /* ours: the ZENEDGE side rings it */
    int lfd;             /* listening socket */
    ivshm_server_t *ivs; /* --ivshmem-socket (owns efd and peer_efd then) */
    int ivs_shm_fd;      /* the backing file handed to QEMU */
    int conn;            /* connected ZENEDGE side, or -1 */
    int peer_efd;        /* its eventfd, or -1 */
    char sock[BRIDGE_CFG_PATH];
} bridge_peer_t;

/* Every fd -1; nothing opened. Returns nothing. */
void bridge_peer_init(bridge_peer_t *p, const bridge_config_t *cfg, bridge_stats_t *st);
/* Open the doorbell of cfg->doorbell (nothing for poll): eventfd and
 * listening socket, or the ivshmem server (which QEMU needs before the
 * region exists). Returns BRIDGE_OK or BRIDGE_E_DOORBELL (logged). */
int bridge_peer_open(bridge_peer_t *p);
/* Accept a new peer or notice one left; epoch: ours, for the hello.
 * Returns nothing (failures are logged and counted). */
void bridge_peer_upkeep(bridge_peer_t *p, uint32_t epoch);
/* Ring the peer's eventfd once, if one is connected. Returns nothing. */
void bridge_peer_ring(const bridge_peer_t *p);
/* Close everything, unlink the socket. Returns nothing. */
void bridge_peer_close(bridge_peer_t *p);

#endif /* ZENEDGE_BRIDGE_PEER_H */
