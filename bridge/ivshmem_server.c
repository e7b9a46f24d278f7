/*
 * ivshmem_server.c - the ivshmem server protocol for QEMU's
 * ivshmem-doorbell device (see ivshmem_server.h for the message sequence).
 * Written from the protocol description in QEMU's
 * docs/specs/ivshmem-spec.rst.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include "ivshmem_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void fds_close(int *fd, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (fd[i] >= 0)
            close(fd[i]);
        fd[i] = -1;
    }
}

static int efds_create(int *fd, uint32_t n)
{
    for (uint32_t i = 0; i < IVSHM_MAX_VECTORS; i++)
        fd[i] = -1;
    for (uint32_t i = 0; i < n; i++) {
        fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd[i] < 0) {
            int e = -errno;
            fds_close(fd, i);
            return e;
        }
    }
    return 0;
}

/* One message: an 8-byte little-endian signed number, optionally with one
 * descriptor attached. */
static int send_msg(int conn, int64_t value, int fd)
{
    uint8_t buf[8];
    uint64_t v = (uint64_t)value;
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(v >> (8 * i));
    struct iovec iov = {buf, sizeof(buf)};
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.space;
        mh.msg_controllen = sizeof(ctl.space);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    for (;;) {
        ssize_t n = sendmsg(conn, &mh, MSG_NOSIGNAL);
        if (n == (ssize_t)sizeof(buf))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -errno : -EIO;
    }
}

/* Announce `p` (its id once per vector, with its eventfds) to conn. */
static int send_peer(int conn, uint32_t id, const int *efd, uint32_t vectors)
{
    for (uint32_t v = 0; v < vectors; v++) {
        int rc = send_msg(conn, (int64_t)id, efd[v]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int ivshm_server_open(ivshm_server_t *s, const char *path, int shm_fd, uint32_t vectors)
{
    memset(s, 0, sizeof(*s));
    s->listen_fd = -1;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++) {
        s->clients[i].conn = -1;
        for (uint32_t v = 0; v < IVSHM_MAX_VECTORS; v++)
            s->clients[i].efd[v] = -1;
    }
    for (uint32_t v = 0; v < IVSHM_MAX_VECTORS; v++)
        s->self_efd[v] = -1;
    if (path == NULL || shm_fd < 0 || vectors == 0 || vectors > IVSHM_MAX_VECTORS)
        return -EINVAL;
    if (strlen(path) >= sizeof(s->path))
        return -ENAMETOOLONG;
    strcpy(s->path, path);
    s->shm_fd = shm_fd;
    s->vectors = vectors;
    s->next_id = IVSHM_BRIDGE_PEER_ID + 1u;
    int rc = efds_create(s->self_efd, vectors);
    if (rc < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        fds_close(s->self_efd, vectors);
        return rc;
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    (void)unlink(path); /* a stale socket of an earlier run */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
        rc = -errno;
        close(fd);
        fds_close(s->self_efd, vectors);
        return rc;
    }
    s->listen_fd = fd;
    return 0;
}

int ivshm_server_listen_fd(const ivshm_server_t *s)
{
    return s->listen_fd;
}

static void client_drop(ivshm_server_t *s, ivshm_peer_t *p, bool announce)
{
    if (p->conn >= 0)
        close(p->conn);
    p->conn = -1;
    fds_close(p->efd, IVSHM_MAX_VECTORS);
    s->disconnects++;
    if (!announce)
        return;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++) /* disconnect: the id alone */
        if (s->clients[i].conn >= 0)
            (void)send_msg(s->clients[i].conn, (int64_t)p->id, -1);
}

int ivshm_server_accept(ivshm_server_t *s, int timeout_ms)
{
    if (s->listen_fd < 0)
        return -EBADF;
    struct pollfd pfd = {s->listen_fd, POLLIN, 0};
    int n;
    do {
        n = poll(&pfd, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EAGAIN;
    int conn = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    ivshm_peer_t *p = NULL;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS && p == NULL; i++)
        if (s->clients[i].conn < 0)
            p = &s->clients[i];
    if (p == NULL || s->next_id > 65535u) {
        s->refused++;
        close(conn);
        return -EMFILE;
    }
    int rc = efds_create(p->efd, s->vectors);
    if (rc < 0) {
        close(conn);
        return rc;
    }
    p->conn = conn;
    p->id = s->next_id++;

    /* 1-3: version, the client's id, the shared memory. */
    rc = send_msg(conn, IVSHM_PROTOCOL_VERSION, -1);
    if (rc == 0)
        rc = send_msg(conn, (int64_t)p->id, -1);
    if (rc == 0)
        rc = send_msg(conn, -1, s->shm_fd);
    /* 4: the other peers: the bridge first, then other clients. */
    if (rc == 0)
        rc = send_peer(conn, IVSHM_BRIDGE_PEER_ID, s->self_efd, s->vectors);
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS && rc == 0; i++) {
        ivshm_peer_t *o = &s->clients[i];
        if (o != p && o->conn >= 0)
            rc = send_peer(conn, o->id, o->efd, s->vectors);
    }
    /* 5: its own vectors. */
    if (rc == 0)
        rc = send_peer(conn, p->id, p->efd, s->vectors);
    if (rc < 0) {
        client_drop(s, p, false);
        return rc;
    }
    /* 6: tell the others about the newcomer (a failure there is theirs). */
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++) {
        ivshm_peer_t *o = &s->clients[i];
        if (o != p && o->conn >= 0 && send_peer(o->conn, p->id, p->efd, s->vectors) < 0)
            client_drop(s, o, true);
    }
    s->connects++;
    return (int)p->id;
}

int ivshm_server_reap(ivshm_server_t *s)
{
    int removed = 0;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++) {
        ivshm_peer_t *p = &s->clients[i];
        if (p->conn < 0)
            continue;
        struct pollfd pfd = {p->conn, POLLIN, 0};
        if (poll(&pfd, 1, 0) <= 0)
            continue;
        bool gone = (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
        if (!gone && (pfd.revents & POLLIN)) {
            /* Clients never send; anything readable is EOF or junk. */
            char junk[64];
            ssize_t r = recv(p->conn, junk, sizeof(junk), MSG_DONTWAIT);
            gone = r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR);
        }
        if (gone) {
            client_drop(s, p, true);
            removed++;
        }
    }
    return removed;
}

uint32_t ivshm_server_clients(const ivshm_server_t *s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++)
        if (s->clients[i].conn >= 0)
            n++;
    return n;
}

int ivshm_server_doorbell_fd(const ivshm_server_t *s, uint32_t vector)
{
    return vector < s->vectors ? s->self_efd[vector] : -1;
}

int ivshm_server_peer_fd(const ivshm_server_t *s, uint32_t peer_id, uint32_t vector)
{
    if (vector >= s->vectors)
        return -1;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++) {
        const ivshm_peer_t *p = &s->clients[i];
        if (p->conn >= 0 && (peer_id == 0 || p->id == peer_id))
            return p->efd[vector];
    }
    return -1;
}

void ivshm_server_close(ivshm_server_t *s)
{
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++) {
        ivshm_peer_t *p = &s->clients[i];
        if (p->conn >= 0)
            close(p->conn);
        p->conn = -1;
        fds_close(p->efd, IVSHM_MAX_VECTORS);
    }
    fds_close(s->self_efd, IVSHM_MAX_VECTORS);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
        if (s->path[0])
            (void)unlink(s->path);
    }
}
