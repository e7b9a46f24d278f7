/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_fds.h - a leak check for targets that pass descriptors around: the
 * open fd numbers of a window above the lowest free one, before the input
 * and after it; any number open after and not before was leaked. (Numbers
 * open before, e.g. inherited ones, do not count.) One poll() call scans
 * the window: a number that is not open comes back POLLNVAL.
 */
#ifndef ZENEDGE_FUZZ_FDS_H
#define ZENEDGE_FUZZ_FDS_H

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define FUZZ_FD_WINDOW 40

typedef struct fuzz_fds {
    int base;
    uint64_t open; /* bit i: base + i was open */
} fuzz_fds_t;

static inline uint64_t fuzz_fds_scan(int base)
{
    struct pollfd p[FUZZ_FD_WINDOW];
    for (int i = 0; i < FUZZ_FD_WINDOW; i++)
        p[i] = (struct pollfd){base + i, 0, 0};
    if (poll(p, FUZZ_FD_WINDOW, 0) < 0)
        abort();
    uint64_t m = 0;
    for (int i = 0; i < FUZZ_FD_WINDOW; i++)
        if (!(p[i].revents & POLLNVAL))
            m |= 1ull << i;
    return m;
}

static inline void fuzz_fds_before(fuzz_fds_t *f)
{
    f->base = eventfd(0, EFD_CLOEXEC); /* the lowest free number */
    if (f->base < 0)
        abort();
    close(f->base);
    f->open = fuzz_fds_scan(f->base);
}

/* Aborts when a number of the window is open now and was not before. */
static inline void fuzz_fds_after(const fuzz_fds_t *f)
{
    if (fuzz_fds_scan(f->base) & ~f->open)
        abort();
}

#endif /* ZENEDGE_FUZZ_FDS_H */
