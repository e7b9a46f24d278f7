/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_file.h - the input as the contents of a file, for parsers whose
 * entry point takes a path (the bridge's INI readers): one memfd made at
 * the first call, rewritten per input, and read back through its
 * /proc/self/fd/N name, so the real entry point runs unchanged.
 */
#ifndef ZENEDGE_FUZZ_FILE_H
#define ZENEDGE_FUZZ_FILE_H

/* needs _GNU_SOURCE (memfd_create), defined before the first include */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The path of a file that holds data[0..size); aborts when no memfd can
 * be made or written (the machine, not the parser, failed). */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("zenedge-fuzz", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    return path;
}

#endif /* ZENEDGE_FUZZ_FILE_H */
