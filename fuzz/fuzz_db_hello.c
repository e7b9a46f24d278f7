/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_db_hello - the doorbell socket's hello reader (linux/zl_sock.c,
 * zl_db_hello_recv()): what a peer on the UNIX socket sends, for real,
 * over a socketpair. Input: [flags][kinds][payload...]. flags bits 0-2:
 * how many fds ride along (0..7, beyond the 4 the reader has room for:
 * MSG_CTRUNC), bit 3: the payload goes in two writes (the fds with the
 * first), bit 4: the sender closes after writing; kinds: 2 bits per fd
 * (eventfd, blocking eventfd, pipe end, memfd). Oracle: the code is one of
 * the documented ones; 0 only for a 16-byte hello with valid magic,
 * version, side and reserved (the first 16 bytes, in the write that
 * carries the fds) and exactly one eventfd, which comes back
 * non-blocking; no fd is leaked, whatever the outcome (every fd number
 * from the lowest free one before the input up is free again after it);
 * anything else aborts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_fds.h"
#include "zenedge/ipc_proto.h"
#include "zl.h"

#define MAX_FDS 7

static int make_fd(unsigned kind, int *extra)
{
    int p[2];
    switch (kind & 3u) {
    case 0: return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    case 1: return eventfd(0, EFD_CLOEXEC);
    case 2:
        if (pipe2(p, O_CLOEXEC) != 0)
            return -1;
        *extra = p[1];
        return p[0];
    default: return memfd_create("zenedge-fuzz-hello", MFD_CLOEXEC);
    }
}

/* One sendmsg of len bytes with fds[0..n) attached (n may be 0). */
static void send_part(int s, const uint8_t *buf, size_t len, const int *fds, int n)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct iovec iov = {(void *)buf, len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        msg.msg_control = u.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
    }
    (void)sendmsg(s, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* What the reader must take: the first write (the one with the fds) holds
 * a whole valid hello and exactly one eventfd rides along. Bytes after
 * the hello are the stream's, not the hello's: the reader takes 16. */
static bool hello_valid(const uint8_t *p, size_t len, int n_fds, unsigned kinds, bool split)
{
    zl_hello_t h;
    size_t first = split ? len / 2 : len;
    if (first < sizeof(h) || n_fds != 1 || (kinds & 3u) > 1u)
        return false;
    memcpy(&h, p, sizeof(h));
    return h.magic == ZL_HELLO_MAGIC && h.version == ZL_HELLO_VERSION &&
           (h.side == IPC_SIDE_ZENEDGE || h.side == IPC_SIDE_BRIDGE) && h.reserved == 0;
}

static void check_result(int rc, int efd, const zl_hello_t *got, const uint8_t *p, size_t len, bool valid)
{
    if (rc != 0 && rc != -EAGAIN && rc != -EPROTO && rc != -ENOTSUP && rc != -ECONNRESET)
        abort();
    if (rc == 0) {
        /* the first 16 bytes sent, a non-blocking eventfd */
        if (len < sizeof(*got) || memcmp(got, p, sizeof(*got)) != 0 || !zl_db_nonblocking(efd) || zl_db_adopt(efd) != 0)
            abort();
        close(efd);
    } else if (valid) {
        abort(); /* a valid hello in one write with one eventfd is taken */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned flags = data[0], kinds = data[1];
    const uint8_t *payload = data + 2;
    size_t len = size - 2 > 64 ? 64 : size - 2;
    int n_fds = (int)(flags & 7u);
    bool split = (flags & 8u) && len >= 2, close_after = (flags & 16u) != 0;
    fuzz_fds_t fds_before;
    fuzz_fds_before(&fds_before);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0)
        abort();
    int fds[MAX_FDS], extra[MAX_FDS];
    for (int i = 0; i < n_fds; i++) {
        extra[i] = -1;
        fds[i] = make_fd(kinds >> (2 * (i % 4)), &extra[i]);
        if (fds[i] < 0)
            abort();
    }
    if (len > 0) {
        size_t first = split ? len / 2 : len;
        send_part(sv[1], payload, first, fds, n_fds);
        if (split)
            send_part(sv[1], payload + first, len - first, NULL, 0);
    }
    for (int i = 0; i < n_fds; i++) {
        close(fds[i]);
        if (extra[i] >= 0)
            close(extra[i]);
    }
    if (close_after)
        close(sv[1]);
    int efd = -1;
    zl_hello_t got;
    memset(&got, 0, sizeof(got));
    int rc = zl_db_hello_recv(sv[0], &efd, &got);
    check_result(rc, efd, &got, payload, len, hello_valid(payload, len, n_fds, kinds, split));
    close(sv[0]);
    if (!close_after)
        close(sv[1]);
    fuzz_fds_after(&fds_before); /* no fd of the message leaked */
    return 0;
}
