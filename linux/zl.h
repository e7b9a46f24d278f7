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
#include <sys/types.h>

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

/* ---- objects: who may own them, who may write them (zl_obj.c) ----
 *
 * Every shm object or file the Linux side maps is untrusted until checked:
 * its type (a regular file or shm object; a character/block device only
 * where the policy allows it), its owner (our effective uid, root, or a
 * uid the policy lists) and its mode (never writable by others; writable
 * by its group only when that group is the policy's group). A refusal
 * fills why with the object, what was found and what was expected.
 */
#define ZL_OBJ_MAX_OWNERS 8
#define ZL_NO_GROUP       ((gid_t)-1)

typedef struct zl_obj_policy {
    uid_t owners[ZL_OBJ_MAX_OWNERS]; /* allowed owners besides our euid and root */
    uint32_t n_owners;
    gid_t group;     /* the one group that may hold write access, or ZL_NO_GROUP */
    bool devices;    /* character and block devices accepted (UIO, carve-out) */
    mode_t max_mode; /* 0: no bound; else no permission bit beyond these */
} zl_obj_policy_t;

/* Our euid and root only, no group, no devices. Returns nothing. */
void zl_obj_policy_init(zl_obj_policy_t *p);
/* Allow the owner `user` (a name or a number). 0; -ENOENT no such user;
 * -ENOSPC more than ZL_OBJ_MAX_OWNERS; -EINVAL bad argument. why says which. */
int zl_obj_policy_add_owner(zl_obj_policy_t *p, const char *user, char *why, size_t len);
/* Add every user of a list "a,b,c" (zl_obj_policy_add_owner's codes). */
int zl_obj_policy_add_owners(zl_obj_policy_t *p, const char *list, char *why, size_t len);
/* Resolve a group (a name or a number) into *gid. 0; -ENOENT no such
 * group; -EINVAL bad argument. */
int zl_group_parse(const char *group, gid_t *gid, char *why, size_t len);
/* Check an open object against p (NULL: zl_obj_policy_init's). 0;
 * -EINVAL wrong type; -EPERM wrong owner; -EACCES a mode that lets others
 * (or a group not configured) write; -errno from fstat. why names what
 * (the object), the owner or mode found, and what was expected. */
int zl_obj_check(int fd, const char *what, const zl_obj_policy_t *p, char *why, size_t len);
/* Describe a uid or gid as "uid 65534 (nobody)" into buf; returns buf. */
const char *zl_uid_str(uid_t uid, char *buf, size_t len);
const char *zl_gid_str(gid_t gid, char *buf, size_t len);

/* Create the POSIX shm object `name` ("/x" or "x") with O_CREAT|O_EXCL,
 * give it `group` (ZL_NO_GROUP: keep ours) and exactly `mode` (fchmod,
 * whatever the umask), size it, map it read-write, and hold a lock on it
 * (an OFD lock on byte 0) while it is mapped. An object of that name that
 * already exists is re-created only when it is ours (our euid) and no
 * live creator holds its lock (a stale one from a dead run); anything
 * else is left in place and refused. 0; -EEXIST the name is someone
 * else's (why names the owner); -EBUSY ours and in use; -EINVAL a mode
 * with write for others, or write for the group without a group, or bits
 * beyond 0777, or a bad name; -EPERM the group cannot be given; -errno.
 * The caller owns the object: zl_unmap() removes it. */
int zl_shm_create_ex(zl_map_t *m, const char *name, size_t size, mode_t mode, gid_t group, char *why, size_t len);
/* zl_shm_create_ex with mode 0600 and no group. */
int zl_shm_create(zl_map_t *m, const char *name, size_t size);
/* Map an existing POSIX shm object read-write (read-only if ro), size from
 * fstat, after zl_obj_check(p) (NULL: the default policy). 0; -ENODATA
 * empty; zl_obj_check's codes with why; -errno. */
int zl_shm_open_ex(zl_map_t *m, const char *name, bool ro, const zl_obj_policy_t *p, char *why, size_t len);
/* zl_shm_open_ex with the default policy. */
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
 * size 0 means "to the end of the file". The path is opened with
 * O_NOFOLLOW (a symbolic link: -ELOOP) and checked with zl_obj_check(p)
 * (NULL: the default policy with devices allowed). 0; -ERANGE the window
 * is outside the file; zl_obj_check's codes with why; -errno. */
int zl_file_map_ex(zl_map_t *m, const char *path, uint64_t offset, size_t size, bool ro, const zl_obj_policy_t *p,
                   char *why, size_t len);
/* zl_file_map_ex with the default policy (devices allowed). */
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
