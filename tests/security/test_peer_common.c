/* SPDX-License-Identifier: BSD-3-Clause */
/* test_peer_common.c - hostile doorbell peers (test_peer_common.h). */
#define _GNU_SOURCE
#include "test_peer_common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "zenedge/barrier.h"

int tp_connect(const char *path, int timeout_ms)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    for (int t = 0; t <= timeout_ms; t += 10) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

int tp_send_hello(int sock, int fd)
{
    /* The hello a ZENEDGE side sends, through the one sender of linux/zl.h. */
    return zl_db_hello_send(sock, fd, IPC_SIDE_ZENEDGE, 7) == 0 ? 0 : -1;
}

int tp_recv_hello(int sock, int timeout_ms, int *efd)
{
    struct pollfd p = {sock, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return -1;
    zl_hello_t h;
    struct iovec iov = {&h, sizeof(h)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n <= 0)
        return 0;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    *efd = -1;
    if (c != NULL && c->cmsg_type == SCM_RIGHTS)
        memcpy(efd, CMSG_DATA(c), sizeof(int));
    return n == (ssize_t)sizeof(h) && h.magic == ZL_HELLO_MAGIC ? 1 : 0;
}

bool tp_closed(int sock, int timeout_ms)
{
    for (int t = 0; t <= timeout_ms; t += 5) {
        struct pollfd p = {sock, POLLIN | POLLRDHUP, 0};
        if (poll(&p, 1, 5) > 0) {
            if (p.revents & (POLLHUP | POLLRDHUP | POLLERR))
                return true;
            char c;
            if (recv(sock, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0)
                return true;
        }
    }
    return false;
}

uint64_t tp_ping(zside_t *z, uint32_t slot, int daemon_efd, int timeout_ms)
{
    uint32_t h = zside_next_handle(z, slot);
    uint64_t t0 = zl_now_ns();
    if (zside_send(z, 0, CMD_PING, 0, h) != IPC_OK)
        return UINT64_MAX;
    if (daemon_efd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(daemon_efd, &one, sizeof(one));
        (void)w;
    }
    ipc_packet_t a;
    for (;;) {
        if (zside_wait(z, &a, timeout_ms) != 1)
            return UINT64_MAX;
        if (a.payload_id == h && a.cmd == CMD_PONG)
            return zl_now_ns() - t0;
    }
}

uint64_t tp_efd_take(int efd)
{
    uint64_t v = 0;
    int fl = fcntl(efd, F_GETFL);
    fcntl(efd, F_SETFL, fl | O_NONBLOCK);
    if (read(efd, &v, sizeof(v)) != (ssize_t)sizeof(v))
        v = 0;
    return v;
}

bool tp_log_has(const zside_t *z, const char *text)
{
    FILE *f = fopen(z->log, "r");
    if (f == NULL)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

void tp_start(zside_t *z, const char *exe, const char *models)
{
    zside_start_bridge(z, exe, models, "eventfd", NULL);
    ZS_CHECK(zside_wait_ready(z, 0, 30000), "bridge not READY within 30 s (log: %s)", z->log);
    struct stat st;
    for (int t = 0; t < 5000 && stat(z->sock, &st) != 0; t += 10) {
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    ZS_CHECK(stat(z->sock, &st) == 0, "no doorbell socket %s", z->sock);
}
