/*
 * zl.h - Linux-side helpers shared by zenedge-bridged, zenedge-sim,
 * zenedge-ipc and zenedge-bench: clock, CPU pinning, mapping the region
 * (POSIX shm or a file/device at an offset) and the doorbells (eventfd,
 * exchanged over a UNIX socket with SCM_RIGHTS; see docs/protocol.md).
 * Functions return 0 / a count / an fd on success and -errno on failure.
 */
#ifndef ZENEDGE_ZL_H
#define ZENEDGE_ZL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zenedge/ipc_doorbell.h"
#include "zenedge/ipc_proto.h"

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t zl_now_ns(void);

/* Pin the calling thread to one CPU. */
int zl_pin_cpu(int cpu);

typedef struct zl_map {
    void *base;     /* mapping (page aligned) */
    size_t size;    /* bytes mapped */
    int fd;         /* backing fd, or -1 */
    int owner;      /* 1: created by us; zl_unmap() unlinks it */
    int is_shm;     /* 1: POSIX shm name; 0: file path */
    char name[256]; /* shm name or file path */
    void *map_base; /* what mmap returned (differs from base with an offset) */
    size_t map_len;
} zl_map_t;

/* Create (or truncate) the POSIX shm object `name` ("/x" or "x"), size it,
 * zero it and map it read-write. The caller owns it. */
int zl_shm_create(zl_map_t *m, const char *name, size_t size);
/* Map an existing POSIX shm object read-write (read-only if ro); size from fstat. */
int zl_shm_open(zl_map_t *m, const char *name, bool ro);
/* The one file reader of the Linux side: a regular file (symlinks not
 * followed, O_NOFOLLOW) of at most max bytes read whole into a malloc'd
 * buffer with a NUL after its last byte (so text can be parsed in place).
 * Returns the buffer and sets *len, or NULL with *err set to a negative
 * errno: -ENOENT/-ELOOP/... from open, -EINVAL not a regular file,
 * -EFBIG larger than max, -EIO a short read, -ENOMEM. The caller frees. */
void *zl_read_file(const char *path, size_t max, size_t *len, int *err);

/* Map [offset, offset+size) of a file or device (a /dev/shm file backing an
 * ivshmem device, a UIO map, a carve-out); offset need not be page aligned.
 * size 0 means "to the end of the file". */
int zl_file_map(zl_map_t *m, const char *path, uint64_t offset, size_t size, bool ro);
/* munmap and close; unlink the shm object if we created it. */
void zl_unmap(zl_map_t *m);

/* ---- doorbells ---- */

#define ZL_HELLO_MAGIC   0x5A44424Cu /* "ZDBL" */
#define ZL_HELLO_VERSION 1u

typedef struct zl_hello {
    uint32_t magic;    /* ZL_HELLO_MAGIC */
    uint16_t version;  /* ZL_HELLO_VERSION */
    uint16_t side;     /* IPC_SIDE_* of the sender */
    uint32_t epoch;    /* sender's epoch */
    uint32_t reserved; /* 0 */
} zl_hello_t;
_Static_assert(sizeof(zl_hello_t) == 16, "hello is 16 bytes");

/* Doorbell modes: ipc_db_mode_t and its parser in zenedge/ipc_doorbell.h. */

/* A new non-blocking, close-on-exec eventfd, or -errno. */
int zl_db_create(void);

/* Default socket path for a shm name: /tmp/zenedge-<name>.sock */
const char *zl_default_socket(const char *shm_name, char *buf, size_t len);

/* Listening side (the bridge): remove a stale socket file, bind, listen.
 * Returns the listening fd (non-blocking). */
int zl_db_listen(const char *path);
/* Accept one connection within timeout_ms (-1: wait forever, 0: poll),
 * receive the peer's hello + fd, then answer with ours. Returns the
 * connected fd; *peer_efd gets the peer's eventfd. -EAGAIN on timeout,
 * -EPROTO on a malformed hello (connection closed). */
int zl_db_accept(int lfd, int timeout_ms, int my_efd, uint32_t side, uint32_t epoch, int *peer_efd, zl_hello_t *peer);
/* Connecting side (zenedge-sim): connect (retrying every 10 ms until
 * timeout_ms), send our hello + fd, receive the peer's. Returns the
 * connected fd. */
int zl_db_connect(const char *path, int timeout_ms, int my_efd, uint32_t side, uint32_t epoch, int *peer_efd,
                  zl_hello_t *peer);
/* True if the peer closed the connection (non-blocking check). */
bool zl_db_peer_gone(int conn_fd);

/* Ring: add 1 to the eventfd. */
int zl_db_ring(int efd);
/* Block until rung or timeout_ms (-1 forever): returns the count read
 * (> 0), 0 on timeout, -errno on error. */
int zl_db_wait(int efd, int timeout_ms);

/* True if there is work for the caller. */
typedef bool (*zl_ready_fn)(void *arg);

/*
 * Wait for work according to the doorbell mode:
 *  IPC_DB_POLL      spin calling ready() until it is true or timeout_ms;
 *  IPC_DB_EVENTFD   block on efd at once (the peer always rings);
 *  IPC_DB_ADAPTIVE  spin up to spin_ns, then W1 (ipc_sleep_announce on me),
 *                  re-check ready(), block on efd, then ipc_sleep_cancel.
 * Returns 1 if ready() became true, 0 on timeout, -errno on error.
 * timeout_ms -1 waits forever.
 */
int zl_db_idle_wait(int mode, int efd, ipc_side_t *me, uint64_t spin_ns, int timeout_ms, zl_ready_fn ready, void *arg);

/* After publishing work (store-release of a head): ring peer_efd if mode
 * is EVENTFD, or if ADAPTIVE and the peer announced sleep (W2). Counts
 * rung doorbells in me->doorbells. Returns 1 if rung, 0 if not, -errno. */
int zl_db_notify(int mode, int peer_efd, ipc_side_t *me, const ipc_side_t *peer);

#endif /* ZENEDGE_ZL_H */
