/*
 * ivshmem_server.h - the ivshmem server protocol, spoken by zenedge-bridged
 * so that a QEMU guest with an `ivshmem-doorbell` device can share the
 * region with the bridge and exchange interrupts with it (Debian ships no
 * ivshmem-server). Protocol: QEMU's docs/specs/ivshmem-spec.rst, summary in
 * docs/qemu.md.
 *
 * Roles. The server listens on a UNIX stream socket; each QEMU that
 * connects is a client ("peer") and receives, in this order, 8-byte
 * little-endian signed messages, some with one file descriptor attached
 * (SCM_RIGHTS):
 *   1. the protocol version, 0;
 *   2. its own peer id;
 *   3. -1 with the shared-memory fd (the region's backing file);
 *   4. for every other peer, its id once per interrupt vector, each with
 *      the eventfd that interrupts that peer on that vector;
 *   5. its own id once per vector, each with the eventfd it receives that
 *      vector on (QEMU turns a write to it into MSI-X vector v);
 * and later, whenever a peer comes or goes, that peer's id with (connect)
 * or without (disconnect) its eventfds.
 *
 * The bridge itself appears to every client as peer IVSHM_BRIDGE_PEER_ID
 * (0): its vector-v eventfd is the bridge's doorbell, which the guest rings
 * by writing (0 << 16 | v) to the device's Doorbell register. QEMU clients
 * get ids from 1 on. To interrupt a guest, the bridge writes to that
 * client's vector eventfd (ivshm_server_peer_fd()); with MSI-X enabled by
 * the guest this arrives as an MSI-X message.
 *
 * Single-threaded, no allocation after ivshm_server_open(). Errors are
 * negative errno values.
 *
 * Role: a part of the doorbell connection (peer.c drives it). Thread: the
 * dispatch thread. May touch: its socket, the clients' sockets and the
 * eventfds; the region file only as an fd handed to the clients.
 */
#ifndef ZENEDGE_IVSHMEM_SERVER_H
#define ZENEDGE_IVSHMEM_SERVER_H

#include <stdint.h>

#define IVSHM_PROTOCOL_VERSION 0
#define IVSHM_BRIDGE_PEER_ID   0u
#define IVSHM_MAX_VECTORS      4u
#define IVSHM_MAX_CLIENTS      4u

typedef struct ivshm_peer {
    int conn;                   /* socket to the client, -1: slot free */
    uint32_t id;                /* peer id (1..65535) */
    int efd[IVSHM_MAX_VECTORS]; /* eventfds that interrupt this peer */
} ivshm_peer_t;

typedef struct ivshm_server {
    int listen_fd;
    int shm_fd;                      /* the caller's; not closed by us */
    uint32_t vectors;                /* interrupt vectors per peer */
    uint32_t next_id;                /* id of the next client */
    int self_efd[IVSHM_MAX_VECTORS]; /* the bridge's doorbells */
    ivshm_peer_t clients[IVSHM_MAX_CLIENTS];
    uint32_t connects, disconnects, refused; /* statistics */
    char path[108];
} ivshm_server_t;

/* Create the bridge's eventfds (one per vector, 1..IVSHM_MAX_VECTORS), remove
 * a stale socket file at path and listen there. shm_fd is the open region
 * file (read-write) sent to every client; it must stay open while the
 * server lives. Returns 0 or -errno. */
int ivshm_server_open(ivshm_server_t *s, const char *path, int shm_fd, uint32_t vectors);

/* Returns the listening socket (for poll()). */
int ivshm_server_listen_fd(const ivshm_server_t *s);

/* Accept one client within timeout_ms (-1: forever, 0: do not wait) and run
 * the whole setup sequence (1-5 above), then announce it to the other
 * clients. Returns the new peer id, -EAGAIN on timeout, -EMFILE when
 * IVSHM_MAX_CLIENTS are connected (the connection is closed), or -errno. */
int ivshm_server_accept(ivshm_server_t *s, int timeout_ms);

/* Non-blocking check of the clients: a client whose socket reached
 * end-of-file or failed is removed and announced gone to the others.
 * Returns how many were removed. */
int ivshm_server_reap(ivshm_server_t *s);

/* Returns the number of connected clients. */
uint32_t ivshm_server_clients(const ivshm_server_t *s);

/* The eventfd the guests ring to wake the bridge on `vector` (the bridge
 * reads it, e.g. with zl_db_wait()), or -1. */
int ivshm_server_doorbell_fd(const ivshm_server_t *s, uint32_t vector);

/* The eventfd that interrupts client `peer_id` on `vector` (write 1 to it,
 * e.g. with zl_db_ring()), or -1 if no such client. peer_id 0 means the
 * first connected client. */
int ivshm_server_peer_fd(const ivshm_server_t *s, uint32_t peer_id, uint32_t vector);

/* Close every client and fd we created and remove the socket file.
 * Returns nothing. */
void ivshm_server_close(ivshm_server_t *s);

#endif /* ZENEDGE_IVSHMEM_SERVER_H */
