/* SPDX-License-Identifier: BSD-3-Clause */
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
 * Who is served (every connection is untrusted):
 *   - the socket file is made with an explicit mode before anyone can
 *     connect: 0600, or 0660 with the configured group (never the umask);
 *   - each connection's credentials (SO_PEERCRED) are checked before a
 *     byte is sent: root, the server's own effective uid, and, with a
 *     group, a peer whose gid is that group; anyone else is closed at once
 *     and its pid/uid/gid kept in `refused_cred` for the caller's log;
 *   - at most max_clients (the daemon: 1) are served; a newcomer while that
 *     many live clients are connected is closed at once (-EBUSY), never
 *     queued; a client whose socket hung up, failed, sent anything (QEMU
 *     never sends) or could not take its messages without blocking is
 *     dropped, so the next connection is served;
 *   - peer ids go round 1..65535, skipping the ids in use: they never run
 *     out, and a gone peer's id is not given again at once;
 *   - the region fd is handed out as given: the caller hands only a file
 *     that is exactly the region (ivshm_server_check_file()).
 *
 * Single-threaded, no allocation, nothing blocks. Errors are negative errno
 * values.
 *
 * Role: a part of the doorbell connection (peer.c drives it). Thread: the
 * dispatch thread. May touch: its socket, the clients' sockets and the
 * eventfds; the region file only as an fd handed to the clients.
 */
#ifndef ZENEDGE_IVSHMEM_SERVER_H
#define ZENEDGE_IVSHMEM_SERVER_H

#include <stddef.h>
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

/* What ivshm_server_open() needs. */
typedef struct ivshm_config {
    const char *path;     /* socket path (< 108 bytes) */
    int shm_fd;           /* region file, read-write, sent to every client */
    uint32_t vectors;     /* interrupt vectors per peer, 1..IVSHM_MAX_VECTORS */
    uint32_t max_clients; /* clients served at once, 1..IVSHM_MAX_CLIENTS (0: 1) */
    int64_t group;        /* < 0: socket 0600; else socket 0660 with this gid,
                             and peers with this gid are allowed */
} ivshm_config_t;

/* The credentials of a refused connection (SO_PEERCRED). */
typedef struct ivshm_cred {
    int32_t pid;
    uint32_t uid, gid;
} ivshm_cred_t;

typedef struct ivshm_server {
    int listen_fd;
    int shm_fd;                      /* the caller's; not closed by us */
    uint32_t vectors;                /* interrupt vectors per peer */
    uint32_t max_clients;            /* served at once */
    uint32_t next_id;                /* where the search for a free id starts */
    uint32_t own_uid;                /* allowed besides root */
    int64_t group;                   /* allowed gid, < 0: none */
    int self_efd[IVSHM_MAX_VECTORS]; /* the bridge's doorbells */
    ivshm_peer_t clients[IVSHM_MAX_CLIENTS];
    uint32_t connects, disconnects; /* statistics */
    uint32_t refused;               /* every refusal (credentials, busy, errors) */
    uint32_t refused_creds;         /* credentials not allowed */
    uint32_t refused_busy;          /* a live client was being served */
    ivshm_cred_t refused_cred;      /* the last refused connection */
    uint64_t log_ns;                /* the caller's: last refusal logged */
    uint32_t log_suppressed;        /* the caller's: refusals not logged */
    uint64_t sock_dev, sock_ino;    /* our socket file (removed at close
                                        only while it is still ours) */
    char path[108];
} ivshm_server_t;

/* Create the bridge's eventfds, remove a stale socket file at cfg->path,
 * bind there, give the file its mode (0600, or 0660 and cfg->group) and
 * only then listen. shm_fd must stay open while the server lives.
 * Returns 0, -EINVAL (a bad argument), -ENAMETOOLONG (path of 108 bytes or
 * more), -EADDRINUSE (a live server listens at the path), -EEXIST (a file
 * that is not a socket is there), or -errno of eventfd/socket/connect/bind/
 * chmod/chown/listen. */
int ivshm_server_open(ivshm_server_t *s, const ivshm_config_t *cfg);

/* Check that the region file fd can be handed to a client: a regular file
 * whose whole length is the window [offset, offset + size). A client
 * cannot be limited to a part of a file, so any other window is refused.
 * On refusal, err names the values found and expected. Returns 0, -EINVAL
 * (not a regular file, or a window that is not the whole file) or -errno
 * of fstat. */
int ivshm_server_check_file(int fd, uint64_t offset, uint64_t size, char *err, size_t errlen);

/* Where the socket goes: a name with a '/' is a path and is copied; a bare
 * name goes into the private runtime directory: $RUNTIME_DIRECTORY (its
 * first entry), else /run/zenedge for root, else $XDG_RUNTIME_DIR/zenedge;
 * the last two are made with mode 0700 if missing. The directory must be
 * ours and writable by no one else. Returns 0, -ENOENT (no runtime
 * directory known), -EPERM (the directory is not ours, or group/world
 * writable, or not a directory), -ENAMETOOLONG, or -errno of mkdir/lstat. */
int ivshm_server_path(const char *name, char *buf, size_t len);

/* Returns the listening socket (for poll()). */
int ivshm_server_listen_fd(const ivshm_server_t *s);

/* Accept one connection within timeout_ms (-1: forever, 0: do not wait):
 * check its credentials, drop the dead clients, and run the whole setup
 * sequence (1-5 above), then announce it to the other clients. Returns
 * the new peer id, -EAGAIN (no connection), -EACCES (credentials not
 * allowed: closed, refused_cred says who), -EBUSY (max_clients live
 * clients: closed), -EPIPE (it could not take its messages: closed), or
 * -errno. */
int ivshm_server_accept(ivshm_server_t *s, int timeout_ms);

/* Non-blocking check of the clients: a client whose socket reached
 * end-of-file, failed or carried data is removed and announced gone to
 * the others.
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
