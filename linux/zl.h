/* SPDX-License-Identifier: BSD-3-Clause */
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

#ifdef __cplusplus
extern "C" {
#endif

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

/* ---- the doorbell socket, its directory and its peers (zl_sock.c) ---- */

/* Who may be on the other end of the doorbell socket: a peer whose uid is
 * listed, or whose primary gid is listed; root (uid 0) always (it can map
 * and write the region anyway). zl_allow_init() lists our effective uid. */
#define ZL_ALLOW_MAX 16
typedef struct zl_allow {
    uint32_t n_uid, n_gid;
    uint32_t uid[ZL_ALLOW_MAX];
    uint32_t gid[ZL_ALLOW_MAX];
} zl_allow_t;

/* The credentials of the process on the other end (SO_PEERCRED: taken at
 * connect() for the connector, at listen() for the listener). */
typedef struct zl_cred {
    int pid;
    uint32_t uid, gid;
} zl_cred_t;

/* Our effective uid only. Returns nothing. */
void zl_allow_init(zl_allow_t *a);
/* Add a list "1000,alice" (uids or user names; with group, gids or group
 * names) to a. Returns 0, -EINVAL (an unknown name, an empty item),
 * -E2BIG (more than ZL_ALLOW_MAX). */
int zl_allow_add(zl_allow_t *a, const char *list, bool group);
/* True if uid or gid is allowed (uid 0 always). */
bool zl_allow_match(const zl_allow_t *a, uint32_t uid, uint32_t gid);
/* "uid 0,1000 gid 44" (root listed first) into buf; returns buf. */
const char *zl_allow_str(const zl_allow_t *a, char *buf, size_t len);
/* SO_PEERCRED of a connected UNIX socket. Returns 0 or -errno. */
int zl_peer_cred(int fd, zl_cred_t *c);

/* The private runtime directory of the sockets: $RUNTIME_DIRECTORY (its
 * first entry; systemd's RuntimeDirectory=), else /run/zenedge for root,
 * else $XDG_RUNTIME_DIR/zenedge. Returns 0, -ENOENT (no root and no
 * XDG_RUNTIME_DIR: give a socket path), -ENAMETOOLONG. */
int zl_runtime_dir(char *buf, size_t len);
/* The owner's side (the daemon): create dir (parents must exist) with mode
 * 0700, or 0750 and group gid when gid >= 0; if it exists: must be a
 * directory (not a symlink) owned by us; its mode is set again. why gets
 * "<dir>: owner uid 1000, expected 0" and the like. Returns 0, -EPERM
 * (owner), -ENOTDIR (a symlink or not a directory), -errno. */
int zl_runtime_dir_make(const char *dir, int gid, char *why, size_t len);
/* The connector's side: dir must be a directory (not a symlink) owned by
 * an allowed uid, not writable by group or others. Returns 0, -EPERM,
 * -ENOTDIR, -errno (why as above). */
int zl_runtime_dir_check(const char *dir, const zl_allow_t *allow, char *why, size_t len);
/* Default socket path of a shm name: <zl_runtime_dir()>/<name>.sock (the
 * daemon, zenedge-sim and every other program agree through this). Returns
 * 0, -ENOENT (no runtime directory), -ENAMETOOLONG. */
int zl_default_socket(const char *shm_name, char *buf, size_t len);

/* Listening side (the bridge): remove a stale socket (only a socket, never
 * another kind of file), bind, listen; the socket gets mode 0600, or 0660
 * and group gid when gid >= 0. Returns the listening fd (non-blocking) or
 * -errno (-EEXIST: path is not a socket). */
int zl_db_listen(const char *path, int gid);
/* Accept one pending connection without waiting: returns the connected fd
 * (non-blocking, close-on-exec), -EAGAIN when none is pending, -errno. */
int zl_db_accept_nb(int lfd);
/* Read a peer's hello + eventfd without waiting (the listening side's
 * handshake, driven by its serving loop). The eventfd is checked and made
 * non-blocking (zl_db_adopt). Returns 0 (*peer_efd set), -EAGAIN (nothing
 * yet), -EPROTO (malformed hello, fds not exactly one), -ENOTSUP (the fd
 * is not an eventfd), -ECONNRESET (peer closed), -errno. */
int zl_db_hello_recv(int fd, int *peer_efd, zl_hello_t *peer);
/* Send our hello + my_efd without waiting. Returns 0, -EAGAIN, -errno. */
int zl_db_hello_send(int fd, int my_efd, uint32_t side, uint32_t epoch);
/* Accept fd as a peer's doorbell: it must be an eventfd (the kernel's
 * anon_inode:[eventfd]); its file description is made non-blocking, so
 * ringing never waits. Returns 0, -ENOTSUP (not an eventfd), -errno. */
int zl_db_adopt(int fd);
/* True if fd's file description is still non-blocking (a peer shares it
 * and could clear the flag). */
bool zl_db_nonblocking(int fd);

/* Connecting side (zenedge-sim): connect (retrying every 10 ms until
 * timeout_ms), check the listener's credentials against allow (NULL: our
 * uid and root) BEFORE sending anything, send our hello + fd, receive the
 * peer's (2 s), adopt its eventfd. *cred gets the listener's credentials
 * (may be NULL). Returns the connected fd, -EACCES (listener not allowed;
 * nothing was sent), -EPROTO, -ENOTSUP (its fd is not an eventfd),
 * -ETIMEDOUT, -errno. */
int zl_db_connect(const char *path, int timeout_ms, int my_efd, uint32_t side, uint32_t epoch, const zl_allow_t *allow,
                  int *peer_efd, zl_hello_t *peer, zl_cred_t *cred);
/* True if the peer closed the connection (non-blocking check). */
bool zl_db_peer_gone(int conn_fd);

/* Ring: add 1 to the eventfd, never waiting (the fd is non-blocking).
 * Returns 0 rung, 1 the counter was full (a wake-up is already pending:
 * counted, see zl_db_full_rings), -errno. */
int zl_db_ring(int efd);
/* Rings of this process that found a full counter. */
uint64_t zl_db_full_rings(void);
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
 * rung doorbells in me->doorbells. Returns 1 if rung (or a wake-up was
 * already pending), 0 if not, -errno. */
int zl_db_notify(int mode, int peer_efd, ipc_side_t *me, const ipc_side_t *peer);

#ifdef __cplusplus
}
#endif

#endif /* ZENEDGE_ZL_H */
