/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.c (ports/posix) - POSIX (Linux) implementation of rtos/zport.h.
 * See port.h for what each hook maps to.
 */
#define _GNU_SOURCE
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "zenedge/barrier.h"

uint64_t zport_now_ns(struct zport *port)
{
    (void)port;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t zport_crit_enter(struct zport *port)
{
    pthread_mutex_lock(&port->lock);
    return 0;
}

void zport_crit_exit(struct zport *port, uint32_t key)
{
    (void)key;
    pthread_mutex_unlock(&port->lock);
}

int zport_wait(struct zport *port, uint32_t *word, uint32_t expected, uint64_t deadline_ns)
{
    if (ipc_read_once(word) != expected)
        return ZPORT_WOKEN;
    uint64_t now = zport_now_ns(port);
    if (now >= deadline_ns)
        return ZPORT_TIMEOUT;
    struct timespec abs_ts;
    struct timespec *tp = 0;
    if (deadline_ns != ~(uint64_t)0) {
        abs_ts.tv_sec = (time_t)(deadline_ns / 1000000000ull);
        abs_ts.tv_nsec = (long)(deadline_ns % 1000000000ull);
        tp = &abs_ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time. The
     * kernel compares *word with expected atomically with going to sleep,
     * so a wake between our check and the call is not lost. */
    /* The waiter count lets zport_wake() skip the system call when nobody
     * sleeps (the common case of a polling caller). Dekker pattern: we
     * count ourselves (sequentially consistent RMW) before the kernel
     * compares *word; the waker stores *word, then a full fence, then reads
     * the count. Either it sees us and wakes, or our count came later, so
     * the kernel's comparison sees its store and we do not sleep. */
    /* Read-modify-write: several tasks count themselves at once; the five
     * words of barrier.h have none, so the builtin, sequentially consistent. */
    __atomic_fetch_add(&port->waiters, 1u, __ATOMIC_SEQ_CST);
    long r = syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, expected, tp, NULL, FUTEX_BITSET_MATCH_ANY);
    int err = errno;
    __atomic_fetch_sub(&port->waiters, 1u, __ATOMIC_SEQ_CST);
    if (r != 0 && err == ETIMEDOUT)
        return ZPORT_TIMEOUT;
    return ZPORT_WOKEN; /* woken, EAGAIN (word changed) or EINTR: the caller re-checks */
}

void zport_wake(struct zport *port, uint32_t *word)
{
    ipc_fence(); /* the caller's store of *word before the count */
    if (ipc_read_once(&port->waiters) == 0u)
        return;
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void zport_doorbell(struct zport *port)
{
    int fd = ipc_load_acquire(&port->peer_efd); /* pairs with zport_posix_set_peer() */
    if (fd < 0)
        return;
    /* Never waits: zport_posix_set_peer() made the description non-blocking.
     * EAGAIN: the counter is full, a wake-up is already pending. */
    uint64_t one = 1;
    ssize_t w = write(fd, &one, sizeof(one));
    (void)w;
}

void zport_log(struct zport *port, int level, const char *fmt, ...)
{
    if (port != 0 && level > port->log_level)
        return;
    static const char *const lv[] = {"error", "warn", "info", "debug"};
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s%s: %s\n", port ? port->prefix : "", (level >= 0 && level <= 3) ? lv[level] : "?", line);
}

int zport_posix_init(struct zport *z, int mode)
{
    if (z == 0 || (mode != ZPORT_POSIX_MANUAL && (mode < 0 || mode >= (int)IPC_DB_MODES)))
        return -EINVAL;
    memset(z, 0, sizeof(*z));
    z->mode = mode;
    z->peer_efd = -1;
    z->log_level = ZPORT_LOG_INFO;
    snprintf(z->prefix, sizeof(z->prefix), "zenedge ");
    z->irq_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (z->irq_efd < 0)
        return -errno;
    int r = pthread_mutex_init(&z->lock, NULL);
    if (r != 0) {
        close(z->irq_efd);
        z->irq_efd = -1;
        return -r;
    }
    return 0;
}

void zport_posix_destroy(struct zport *z)
{
    if (z == 0)
        return;
    zport_posix_stop(z);
    if (z->irq_efd >= 0)
        close(z->irq_efd);
    z->irq_efd = -1;
    pthread_mutex_destroy(&z->lock);
}

void zport_posix_set_log(struct zport *z, int level, const char *prefix)
{
    z->log_level = level;
    if (prefix)
        snprintf(z->prefix, sizeof(z->prefix), "%s", prefix);
}

int zport_posix_irq_fd(const struct zport *z)
{
    return z->irq_efd;
}

void zport_posix_set_peer(struct zport *z, int peer_efd)
{
    /* The bridge chose this fd: ringing it must never wait (a blocking
     * eventfd whose counter is near its maximum would block the writer). */
    int fl = peer_efd >= 0 ? fcntl(peer_efd, F_GETFL) : -1;
    if (fl >= 0 && (fl & O_NONBLOCK) == 0 && fcntl(peer_efd, F_SETFL, fl | O_NONBLOCK) != 0)
        peer_efd = -1; /* cannot be made safe: not rung at all (the bridge's idle wait is bounded) */
    ipc_store_release(&z->peer_efd, peer_efd);
}

static bool stopping(struct zport *z)
{
    return ipc_load_acquire(&z->stop) != 0u;
}

/* Block on our eventfd until rung or timeout_ms; drains the counter. */
static bool block_on_efd(struct zport *z, int timeout_ms)
{
    struct pollfd pfd = {.fd = z->irq_efd, .events = POLLIN};
    z->irq_sleeps++;
    int r = poll(&pfd, 1, timeout_ms);
    if (r > 0) {
        /* The bridge holds this description too and may have made it
         * blocking: non-blocking again, so the read never waits. */
        (void)fcntl(z->irq_efd, F_SETFL, O_NONBLOCK);
        uint64_t v;
        ssize_t n = read(z->irq_efd, &v, sizeof(v));
        (void)n;
        return true;
    }
    return false;
}

static void *irq_main(void *arg)
{
    struct zport *z = (struct zport *)arg;
    proxy_t *p = z->proxy;
    uint64_t tick_ns = (uint64_t)z->tick_us * 1000u;
    uint64_t next_tick = 0;
    while (!stopping(z)) {
        int n = proxy_complete(p);
        uint64_t now = zport_now_ns(z);
        if (now >= next_tick) {
            proxy_tick(p);
            next_tick = now + tick_ns;
        }
        if (n > 0)
            continue;
        int timeout_ms = (int)((next_tick > now ? next_tick - now : 0) / 1000000u) + 1;
        switch (z->mode) {
        case IPC_DB_POLL: ipc_cpu_relax(); break;
        case IPC_DB_EVENTFD:
            /* The bridge rings after every completion. */
            block_on_efd(z, timeout_ms);
            break;
        default: { /* adaptive */
            uint64_t spin_end = now + z->spin_ns;
            bool work = false;
            while (!work && zport_now_ns(z) < spin_end && !stopping(z)) {
                ipc_cpu_relax();
                work = proxy_work_pending(p);
            }
            if (work || proxy_idle_prepare(p)) /* W1 + re-check */
                break;
            bool woken = block_on_efd(z, timeout_ms);
            proxy_idle_finish(p, woken);
            break;
        }
        }
    }
    return NULL;
}

int zport_posix_start(struct zport *z, proxy_t *p, uint32_t tick_us, uint64_t spin_ns)
{
    if (z == 0 || p == 0 || z->irq_running)
        return -EINVAL;
    if (z->mode == ZPORT_POSIX_MANUAL)
        return 0;
    z->proxy = p;
    z->tick_us = tick_us ? tick_us : ZEN_CFG_HB_PERIOD_US / 2u;
    z->spin_ns = spin_ns;
    ipc_store_release(&z->stop, 0u);
    int r = pthread_create(&z->irq, NULL, irq_main, z);
    if (r != 0)
        return -r;
    z->irq_running = 1;
    return 0;
}

void zport_posix_stop(struct zport *z)
{
    if (z == 0 || !z->irq_running)
        return;
    ipc_store_release(&z->stop, 1u);
    uint64_t one = 1;
    ssize_t w = write(z->irq_efd, &one, sizeof(one));
    (void)w;
    pthread_join(z->irq, NULL);
    z->irq_running = 0;
}
