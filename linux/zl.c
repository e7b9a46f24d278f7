/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zl.c - Linux-side helpers: clock, pinning, region mapping, doorbells.
 */
#define _GNU_SOURCE
#include "zl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_doorbell.h"

uint64_t zl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int zl_pin_cpu(int cpu)
{
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return -EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        return -errno;
    return 0;
}

static int shm_name(const char *in, char *out, size_t len)
{
    if (in == NULL || in[0] == '\0')
        return -EINVAL;
    int n = snprintf(out, len, "%s%s", in[0] == '/' ? "" : "/", in);
    if (n < 0 || (size_t)n >= len || strchr(out + 1, '/') != NULL)
        return -EINVAL;
    return 0;
}

static void map_reset(zl_map_t *m)
{
    memset(m, 0, sizeof(*m));
    m->fd = -1;
}

static void why_set(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t len, const char *fmt, ...)
{
    if (why == NULL || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

/* The creator's lock: an OFD write lock on byte 0, held as long as the
 * descriptor is open. 0, or -EAGAIN when another live creator holds it. */
static int creator_lock(int fd)
{
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(fd, F_OFD_SETLK, &l) == 0)
        return 0;
    return errno == EACCES || errno == EAGAIN ? -EAGAIN : -errno;
}

/* The name exists: unlink it only when it is ours and no live creator
 * holds it (a stale object of a dead run). 0 when removed. /dev/shm is
 * sticky, so nobody else can swap the name between the check and the
 * unlink. */
static int stale_remove(const char *name, char *why, size_t len)
{
    int fd = shm_open(name, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0) {
        int e = errno;
        why_set(why, len, "shm %s exists and cannot be opened: %s (left in place)", name, strerror(e));
        return e == ENOENT ? 0 : -EEXIST;
    }
    struct stat st;
    int err = fstat(fd, &st) != 0 ? -errno : 0;
    if (err == 0 && (!S_ISREG(st.st_mode) || st.st_uid != geteuid())) {
        char found[96], want[96];
        why_set(why, len,
                "shm %s already exists, owned by %s, mode %04o: not ours (expected none, or a stale one of %s); "
                "left in place",
                name, zl_uid_str(st.st_uid, found, sizeof(found)), (unsigned)(st.st_mode & 07777),
                zl_uid_str(geteuid(), want, sizeof(want)));
        err = -EEXIST;
    } else if (err == 0 && creator_lock(fd) != 0) {
        why_set(why, len, "shm %s is in use by a running creator (its lock is held); left in place", name);
        err = -EBUSY;
    } else if (err == 0 && shm_unlink(name) != 0) {
        err = -errno;
        why_set(why, len, "shm %s: stale, but cannot be removed: %s", name, strerror(-err));
    }
    close(fd);
    return err;
}

static int mode_check(const char *name, mode_t mode, gid_t group, char *why, size_t len)
{
    if ((mode & ~(mode_t)0777) != 0 || (mode & S_IWOTH) != 0 || (mode & S_IRUSR) == 0 || (mode & S_IWUSR) == 0) {
        why_set(why, len, "shm %s: mode %04o refused (expected owner read-write, no write for others, at most 0774)",
                name, (unsigned)mode);
        return -EINVAL;
    }
    if ((mode & S_IWGRP) != 0 && group == ZL_NO_GROUP) {
        why_set(why, len, "shm %s: mode %04o gives the group write access but no group is given", name, (unsigned)mode);
        return -EINVAL;
    }
    return 0;
}

/* Exclusive create, retried once after removing a stale object of ours. */
static int create_excl(const char *name, char *why, size_t len)
{
    for (int i = 0; i < 2; i++) {
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
        int err = stale_remove(name, why, len);
        if (err)
            return err;
    }
    why_set(why, len, "shm %s re-created by someone else while we replaced a stale one; left in place", name);
    return -EEXIST;
}

/* Group, exact mode, lock, size (zeroed: truncated from 0). */
static int shape_new(int fd, const char *name, size_t size, mode_t mode, gid_t group, char *why, size_t len)
{
    char g[96];
    if (group != ZL_NO_GROUP && fchown(fd, (uid_t)-1, group) != 0) {
        int e = errno;
        why_set(why, len, "shm %s: cannot give it to group %s: %s (are we a member?)", name,
                zl_gid_str(group, g, sizeof(g)), strerror(e));
        return -EPERM;
    }
    if (fchmod(fd, mode) != 0 || creator_lock(fd) != 0 || ftruncate(fd, (off_t)size) != 0) {
        int e = errno;
        why_set(why, len, "shm %s: cannot set mode %04o, lock or size %zu: %s", name, (unsigned)mode, size,
                strerror(e));
        return -e;
    }
    return 0;
}

int zl_shm_create_ex(zl_map_t *m, const char *name, size_t size, mode_t mode, gid_t group, char *why, size_t len)
{
    if (m == NULL || size == 0)
        return -EINVAL;
    map_reset(m);
    int err = shm_name(name, m->name, sizeof(m->name));
    if (err) {
        why_set(why, len, "shm name '%s' is empty, too long or holds a '/' after the first", name ? name : "");
        return err;
    }
    if ((err = mode_check(m->name, mode, group, why, len)) != 0)
        return err;
    int fd = create_excl(m->name, why, len);
    if (fd < 0)
        return fd;
    err = shape_new(fd, m->name, size, mode, group, why, len);
    void *p = err ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        if (err == 0) {
            err = -errno;
            why_set(why, len, "shm %s: mmap of %zu bytes: %s", m->name, size, strerror(-err));
        }
        close(fd);
        shm_unlink(m->name);
        return err;
    }
    m->base = m->map_base = p;
    m->size = m->map_len = size;
    m->fd = fd;
    m->owner = 1;
    m->is_shm = 1;
    return 0;
}

int zl_shm_create(zl_map_t *m, const char *name, size_t size)
{
    return zl_shm_create_ex(m, name, size, 0600, ZL_NO_GROUP, NULL, 0);
}

static int map_fd(zl_map_t *m, int fd, uint64_t offset, size_t size, bool ro)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t start = offset & ~(uint64_t)(page - 1);
    size_t delta = (size_t)(offset - start);
    size_t len = size + delta;
    void *p = mmap(NULL, len, ro ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
    if (p == MAP_FAILED)
        return -errno;
    m->map_base = p;
    m->map_len = len;
    m->base = (uint8_t *)p + delta;
    m->size = size;
    m->fd = fd;
    return 0;
}

int zl_shm_open_ex(zl_map_t *m, const char *name, bool ro, const zl_obj_policy_t *p, char *why, size_t len)
{
    if (m == NULL)
        return -EINVAL;
    map_reset(m);
    int err = shm_name(name, m->name, sizeof(m->name));
    if (err)
        return err;
    int fd = shm_open(m->name, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0)
        return -errno;
    char what[300];
    snprintf(what, sizeof(what), "shm %s", m->name);
    struct stat st;
    if ((err = zl_obj_check(fd, what, p, why, len)) != 0 || (err = fstat(fd, &st) != 0 ? -errno : 0) != 0 ||
        (err = st.st_size <= 0 ? -ENODATA : 0) != 0 || (err = map_fd(m, fd, 0, (size_t)st.st_size, ro)) != 0) {
        close(fd);
        return err;
    }
    m->is_shm = 1;
    return 0;
}

int zl_shm_open(zl_map_t *m, const char *name, bool ro)
{
    return zl_shm_open_ex(m, name, ro, NULL, NULL, 0);
}

/* A regular file must hold the whole window; a device reports 0. The
 * window's size, or 0 with *err set. */
static size_t file_window(const struct stat *st, uint64_t offset, size_t size, int *err)
{
    *err = 0;
    if (S_ISREG(st->st_mode)) {
        if ((uint64_t)st->st_size < offset || (size == 0 && (uint64_t)st->st_size == offset)) {
            *err = -ERANGE;
            return 0;
        }
        if (size == 0)
            size = (size_t)((uint64_t)st->st_size - offset);
        if (offset + size > (uint64_t)st->st_size)
            *err = -ERANGE;
    } else if (size == 0) {
        *err = -EINVAL;
    }
    return *err ? 0 : size;
}

int zl_file_map_ex(zl_map_t *m, const char *path, uint64_t offset, size_t size, bool ro, const zl_obj_policy_t *p,
                   char *why, size_t len)
{
    if (m == NULL || path == NULL)
        return -EINVAL;
    map_reset(m);
    if (snprintf(m->name, sizeof(m->name), "%s", path) >= (int)sizeof(m->name))
        return -ENAMETOOLONG;
    int fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            why_set(why, len, "file %s refused: it is a symbolic link (not followed; give the real path)", path);
        return -e;
    }
    zl_obj_policy_t def;
    if (p == NULL) {
        zl_obj_policy_init(&def);
        def.devices = true;
        p = &def;
    }
    char what[300];
    snprintf(what, sizeof(what), "file %s", path);
    struct stat st;
    int err = zl_obj_check(fd, what, p, why, len);
    if (err == 0)
        err = fstat(fd, &st) != 0 ? -errno : 0;
    if (err == 0)
        size = file_window(&st, offset, size, &err);
    if (err == 0)
        err = map_fd(m, fd, offset, size, ro);
    if (err)
        close(fd);
    return err;
}

int zl_file_map(zl_map_t *m, const char *path, uint64_t offset, size_t size, bool ro)
{
    return zl_file_map_ex(m, path, offset, size, ro, NULL, NULL, 0);
}

void zl_unmap(zl_map_t *m)
{
    if (m == NULL)
        return;
    if (m->map_base != NULL)
        munmap(m->map_base, m->map_len);
    if (m->fd >= 0)
        close(m->fd);
    if (m->owner && m->is_shm)
        shm_unlink(m->name);
    map_reset(m);
}

/* ---- doorbells ---- */

int zl_db_create(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static uint64_t full_rings; /* rings that found a full counter (any thread) */

int zl_db_ring(int efd)
{
    uint64_t one = 1;
    if (write(efd, &one, sizeof(one)) == (ssize_t)sizeof(one))
        return 0;
    if (errno != EAGAIN)
        return -errno;
    /* The counter is full: a wake-up is already pending. A statistic read
     * by zl_db_full_rings(); several threads may ring, and barrier.h has no
     * read-modify-write, so the builtin (relaxed: a counter, orders nothing). */
    __atomic_fetch_add(&full_rings, 1u, __ATOMIC_RELAXED);
    return 1;
}

uint64_t zl_db_full_rings(void)
{
    return ipc_read_once(&full_rings);
}

int zl_db_wait(int efd, int timeout_ms)
{
    struct pollfd p = {efd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -errno;
    if (r == 0)
        return 0;
    /* The peer holds this description too: it may have made it blocking
     * and drained the counter since poll(). Non-blocking again, so this
     * read never waits (one cheap call, only after a wake-up). */
    (void)fcntl(efd, F_SETFL, O_NONBLOCK);
    uint64_t v = 0;
    if (read(efd, &v, sizeof(v)) != (ssize_t)sizeof(v))
        return errno == EAGAIN ? 0 : -errno;
    return v > 0x7fffffff ? 0x7fffffff : (int)v;
}

int zl_db_idle_wait(int mode, int efd, ipc_side_t *me, uint64_t spin_ns, int timeout_ms, zl_ready_fn ready, void *arg)
{
    if (ready == NULL)
        return -EINVAL;
    uint64_t start = zl_now_ns();
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000000ull;
    if (mode == IPC_DB_POLL || mode == IPC_DB_ADAPTIVE) {
        uint64_t spin_end = mode == IPC_DB_POLL ? deadline : start + spin_ns;
        for (uint32_t i = 0;; i++) {
            if (ready(arg))
                return 1;
            ipc_cpu_relax();
            if ((i & 63u) == 63u) { /* the clock costs ~30 ns: read it rarely */
                uint64_t now = zl_now_ns();
                if (now >= spin_end || now >= deadline)
                    break;
            }
        }
        if (mode == IPC_DB_POLL)
            return 0;
    }
    if (efd < 0)
        return -EBADF;
    for (;;) {
        if (mode == IPC_DB_ADAPTIVE && me != NULL) {
            ipc_sleep_announce(me); /* W1 */
            if (ready(arg)) {
                ipc_sleep_cancel(me);
                return 1;
            }
        } else if (ready(arg)) {
            return 1;
        }
        uint64_t now = zl_now_ns();
        int left = -1;
        if (deadline != UINT64_MAX) {
            if (now >= deadline) {
                if (mode == IPC_DB_ADAPTIVE && me != NULL)
                    ipc_sleep_cancel(me);
                return 0;
            }
            left = (int)((deadline - now + 999999u) / 1000000u);
        }
        int r = zl_db_wait(efd, left);
        if (mode == IPC_DB_ADAPTIVE && me != NULL) {
            ipc_sleep_cancel(me);
            if (r > 0)
                ipc_write_once(&me->wakeups, ipc_read_once(&me->wakeups) + 1u);
        }
        if (r < 0)
            return r;
        if (ready(arg))
            return 1;
    }
}

int zl_db_notify(int mode, int peer_efd, ipc_side_t *me, const ipc_side_t *peer)
{
    if (mode == IPC_DB_POLL)
        return 0;
    if (mode == IPC_DB_ADAPTIVE && (peer == NULL || !ipc_peer_wants_doorbell(peer))) /* W2 */
        return 0;
    if (peer_efd < 0)
        return 0;
    int err = zl_db_ring(peer_efd);
    if (err < 0)
        return err;
    if (me != NULL)
        ipc_write_once(&me->doorbells, ipc_read_once(&me->doorbells) + 1u);
    return 1;
}

/* ---- files ---- */

static void *read_fd(int fd, size_t max, size_t *len, int *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *err = -errno;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *err = -EINVAL;
        return NULL;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > (uint64_t)max) {
        *err = -EFBIG;
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1u);
    if (buf == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got != n) {
        free(buf);
        *err = -EIO;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

void *zl_read_file(const char *path, size_t max, size_t *len, int *err)
{
    int dummy;
    if (err == NULL)
        err = &dummy;
    *err = 0;
    if (path == NULL || len == NULL) {
        *err = -EINVAL;
        return NULL;
    }
    *len = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *err = -errno;
        return NULL;
    }
    void *buf = read_fd(fd, max, len, err);
    close(fd);
    return buf;
}
