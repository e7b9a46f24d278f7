/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ivshmem_client.h - the client half of the ivshmem server protocol
 * (what QEMU's ivshmem-doorbell device does with its chardev), for the
 * ivshmem tests: connect, read the 8-byte messages with their descriptors,
 * and take the whole setup of a one-vector device.
 */
#ifndef ZENEDGE_TEST_IVSHMEM_CLIENT_H
#define ZENEDGE_TEST_IVSHMEM_CLIENT_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Connect to path; the socket fd, or -errno. */
static inline int ivc_connect(const char *path)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

/* One message within timeout_ms: 1 (value, *rfd = the attached fd or -1),
 * 0 end-of-file (or the connection reset), -ETIMEDOUT, or -errno. */
static inline int ivc_recv(int fd, int64_t *value, int *rfd, int timeout_ms)
{
    *rfd = -1;
    struct pollfd pfd = {fd, POLLIN, 0};
    int n = poll(&pfd, 1, timeout_ms);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -ETIMEDOUT;
    uint8_t buf[8];
    struct iovec iov = {buf, sizeof(buf)};
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.space;
    mh.msg_controllen = sizeof(ctl.space);
    ssize_t r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    if (r == 0 || (r < 0 && errno == ECONNRESET))
        return 0;
    if (r < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            memcpy(rfd, CMSG_DATA(c), sizeof(int));
    if (r != (ssize_t)sizeof(buf))
        return -EPROTO;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)buf[i] << (8 * i);
    *value = (int64_t)v;
    return 1;
}

/* What a one-vector client gets: its id, the region fd, the bridge's
 * doorbell eventfd (peer 0) and its own vector-0 eventfd. */
typedef struct ivc_setup {
    int64_t id;
    int shm_fd, bridge_efd, own_efd;
} ivc_setup_t;

static inline void ivc_setup_close(ivc_setup_t *s)
{
    int *fd[3] = {&s->shm_fd, &s->bridge_efd, &s->own_efd};
    for (int i = 0; i < 3; i++) {
        if (*fd[i] >= 0)
            close(*fd[i]);
        *fd[i] = -1;
    }
}

/* Read the five setup messages of a one-vector device with no other
 * client. Returns 1 (all there and well formed), 0 (end-of-file before the
 * first message: refused), or a negative value naming the message that
 * was wrong or missing (-1 version ... -5 own vector). */
static inline int ivc_setup(int fd, ivc_setup_t *s, int timeout_ms)
{
    s->id = -1;
    s->shm_fd = s->bridge_efd = s->own_efd = -1;
    int64_t v;
    int rfd;
    int r = ivc_recv(fd, &v, &rfd, timeout_ms);
    if (r == 0)
        return 0;
    if (r != 1 || v != 0 || rfd >= 0)
        return -1;
    if (ivc_recv(fd, &s->id, &rfd, timeout_ms) != 1 || s->id < 1 || s->id > 65535 || rfd >= 0)
        return -2;
    if (ivc_recv(fd, &v, &s->shm_fd, timeout_ms) != 1 || v != -1 || s->shm_fd < 0)
        return -3;
    if (ivc_recv(fd, &v, &s->bridge_efd, timeout_ms) != 1 || v != 0 || s->bridge_efd < 0)
        return -4;
    if (ivc_recv(fd, &v, &s->own_efd, timeout_ms) != 1 || v != s->id || s->own_efd < 0)
        return -5;
    return 1;
}

#endif /* ZENEDGE_TEST_IVSHMEM_CLIENT_H */
