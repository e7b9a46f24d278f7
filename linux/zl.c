/*
 * zl.c - Linux-side helpers: clock, pinning, region mapping, doorbells.
 */
#define _GNU_SOURCE
#include "zl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
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

int zl_shm_create(zl_map_t *m, const char *name, size_t size)
{
    if (m == NULL || size == 0)
        return -EINVAL;
    map_reset(m);
    int err = shm_name(name, m->name, sizeof(m->name));
    if (err)
        return err;
    int fd = shm_open(m->name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    /* Truncate to 0 first so that every byte reads as zero afterwards. */
    if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)size) != 0) {
        err = -errno;
        close(fd);
        shm_unlink(m->name);
        return err;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        err = -errno;
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

int zl_shm_open(zl_map_t *m, const char *name, bool ro)
{
    if (m == NULL)
        return -EINVAL;
    map_reset(m);
    int err = shm_name(name, m->name, sizeof(m->name));
    if (err)
        return err;
    int fd = shm_open(m->name, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        err = st.st_size <= 0 ? -ENODATA : -errno;
        close(fd);
        return err;
    }
    err = map_fd(m, fd, 0, (size_t)st.st_size, ro);
    if (err) {
        close(fd);
        return err;
    }
    m->is_shm = 1;
    return 0;
}

int zl_file_map(zl_map_t *m, const char *path, uint64_t offset, size_t size, bool ro)
{
    if (m == NULL || path == NULL)
        return -EINVAL;
    map_reset(m);
    if (snprintf(m->name, sizeof(m->name), "%s", path) >= (int)sizeof(m->name))
        return -ENAMETOOLONG;
    int fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    /* A regular file must hold the whole window; a device reports 0. */
    if (S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size < offset || (size == 0 && (uint64_t)st.st_size == offset)) {
            close(fd);
            return -ERANGE;
        }
        if (size == 0)
            size = (size_t)((uint64_t)st.st_size - offset);
        if (offset + size > (uint64_t)st.st_size) {
            close(fd);
            return -ERANGE;
        }
    } else if (size == 0) {
        close(fd);
        return -EINVAL;
    }
    int err = map_fd(m, fd, offset, size, ro);
    if (err) {
        close(fd);
        return err;
    }
    return 0;
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
