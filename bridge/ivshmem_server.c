/* SPDX-License-Identifier: BSD-3-Clause */
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
#include "zl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define IVSHM_MAX_ID 65535u /* ids are 16 bits in the Doorbell register */

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
    for (;;) { /* never blocks: a client that does not read is dropped */
        ssize_t n = sendmsg(conn, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
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

static void server_reset(ivshm_server_t *s)
{
    memset(s, 0, sizeof(*s));
    s->listen_fd = -1;
    s->shm_fd = -1;
    s->group = -1;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++) {
        s->clients[i].conn = -1;
        for (uint32_t v = 0; v < IVSHM_MAX_VECTORS; v++)
            s->clients[i].efd[v] = -1;
    }
    for (uint32_t v = 0; v < IVSHM_MAX_VECTORS; v++)
        s->self_efd[v] = -1;
}

/* A file already at the path: a socket nobody listens on (a stale one of
 * an earlier run) is removed; a live server's socket, one we may not
 * reach, or any other file is left alone. Returns 0 (the path is free),
 * -EADDRINUSE (someone listens), -EEXIST (not a socket) or -errno. */
static int clear_stale(const struct sockaddr_un *sa)
{
    struct stat st;
    if (lstat(sa->sun_path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode))
        return -EEXIST;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
    int e = errno;
    close(fd);
    if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
        return -EADDRINUSE; /* someone listens there */
    if (e == ENOENT)
        return 0;
    if (e != ECONNREFUSED)
        return -e; /* e.g. EACCES: not ours to remove */
    (void)unlink(sa->sun_path);
    return 0;
}

/* Bind, give the file its mode and group, then listen: nobody can connect
 * before the mode is set (connect() before listen() is refused). */
static int listen_at(ivshm_server_t *s)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
    int rc = clear_stale(&sa);
    if (rc < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (chmod(s->path, s->group >= 0 ? 0660 : 0600) < 0 ||
        (s->group >= 0 && chown(s->path, (uid_t)-1, (gid_t)s->group) < 0) || lstat(s->path, &st) < 0 ||
        listen(fd, 8) < 0) {
        rc = -errno;
        close(fd);
        (void)unlink(s->path);
        return rc;
    }
    s->sock_dev = (uint64_t)st.st_dev;
    s->sock_ino = (uint64_t)st.st_ino;
    s->listen_fd = fd;
    return 0;
}

int ivshm_server_open(ivshm_server_t *s, const ivshm_config_t *cfg)
{
    server_reset(s);
    if (cfg == NULL || cfg->path == NULL || cfg->shm_fd < 0 || cfg->vectors == 0 || cfg->vectors > IVSHM_MAX_VECTORS ||
        cfg->max_clients > IVSHM_MAX_CLIENTS || cfg->group > (int64_t)UINT32_MAX)
        return -EINVAL;
    if (strlen(cfg->path) >= sizeof(s->path))
        return -ENAMETOOLONG;
    strcpy(s->path, cfg->path);
    s->shm_fd = cfg->shm_fd;
    s->vectors = cfg->vectors;
    s->max_clients = cfg->max_clients ? cfg->max_clients : 1u;
    s->group = cfg->group < 0 ? -1 : cfg->group;
    s->own_uid = (uint32_t)geteuid();
    s->next_id = IVSHM_BRIDGE_PEER_ID + 1u;
    int rc = efds_create(s->self_efd, s->vectors);
    if (rc < 0)
        return rc;
    rc = listen_at(s);
    if (rc < 0)
        fds_close(s->self_efd, IVSHM_MAX_VECTORS);
    return rc;
}

int ivshm_server_check_file(int fd, uint64_t offset, uint64_t size, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        snprintf(err, errlen, "ivshmem: fstat of the region file: %s", strerror(-e));
        return e;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "ivshmem: the region file is not a regular file (mode 0%o); a client gets the whole file",
                 (unsigned)st.st_mode);
        return -EINVAL;
    }
    if (offset != 0 || (uint64_t)st.st_size != size) {
        snprintf(err, errlen,
                 "ivshmem: --offset/--size window cannot be limited for a client: --offset %llu --size %llu select "
                 "part of a %llu-byte file, and a client would get all of it; use a backing file of exactly the "
                 "region (--offset 0 --size %llu)",
                 (unsigned long long)offset, (unsigned long long)size, (unsigned long long)st.st_size,
                 (unsigned long long)st.st_size);
        return -EINVAL;
    }
    return 0;
}

/* The runtime directory: made 0700 if missing; ours, a directory, and
 * writable by no one else. */
int ivshm_server_path(const char *name, char *buf, size_t len)
{
    if (name == NULL || name[0] == '\0')
        return -EINVAL;
    if (strchr(name, '/') != NULL)
        return (size_t)snprintf(buf, len, "%s", name) < len ? 0 : -ENAMETOOLONG;
    /* The one runtime directory of our sockets (linux/zl.h), made or
     * checked as the doorbell socket's is: ours, 0700, no symlink. */
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int rc = zl_runtime_dir(dir, sizeof(dir));
    if (rc < 0)
        return rc;
    char why[256];
    rc = zl_runtime_dir_make(dir, -1, why, sizeof(why));
    if (rc < 0)
        return rc;
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

int ivshm_server_listen_fd(const ivshm_server_t *s)
{
    return s->listen_fd;
}

/* Close a client; announce: it was served (counted as a disconnect and
 * announced gone to the others), else it failed during its setup. */
static void client_drop(ivshm_server_t *s, ivshm_peer_t *p, bool announce)
{
    if (p->conn >= 0)
        close(p->conn);
    p->conn = -1;
    fds_close(p->efd, IVSHM_MAX_VECTORS);
    if (!announce)
        return;
    s->disconnects++;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++) /* disconnect: the id alone */
        if (s->clients[i].conn >= 0)
            (void)send_msg(s->clients[i].conn, (int64_t)p->id, -1);
}

/* Wait for and take one connection (non-blocking socket). */
static int accept_one(int lfd, int timeout_ms)
{
    struct pollfd pfd = {lfd, POLLIN, 0};
    int n;
    do {
        n = poll(&pfd, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EAGAIN;
    int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0)
        return (errno == EWOULDBLOCK || errno == EAGAIN || errno == ECONNABORTED) ? -EAGAIN : -errno;
    return conn;
}

/* Credentials first, then room: -EACCES or -EBUSY, or 0. */
static int admit(ivshm_server_t *s, int conn)
{
    struct ucred uc;
    socklen_t len = sizeof(uc);
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
        return -errno;
    ivshm_cred_t who = {(int32_t)uc.pid, (uint32_t)uc.uid, (uint32_t)uc.gid};
    if (uc.uid != 0 && who.uid != s->own_uid && (s->group < 0 || (int64_t)who.gid != s->group)) {
        s->refused_cred = who;
        s->refused_creds++;
        return -EACCES;
    }
    (void)ivshm_server_reap(s); /* a dead client makes room */
    if (ivshm_server_clients(s) >= s->max_clients) {
        s->refused_cred = who;
        s->refused_busy++;
        return -EBUSY;
    }
    return 0;
}

/* The next id, 1..IVSHM_MAX_ID round, not in use (at most
 * IVSHM_MAX_CLIENTS are, so this ends within IVSHM_MAX_CLIENTS + 1 tries). */
static uint32_t id_take(ivshm_server_t *s)
{
    for (;;) {
        uint32_t id = s->next_id;
        s->next_id = id >= IVSHM_MAX_ID ? IVSHM_BRIDGE_PEER_ID + 1u : id + 1u;
        bool used = false;
        for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS; i++)
            used = used || (s->clients[i].conn >= 0 && s->clients[i].id == id);
        if (!used)
            return id;
    }
}

/* 1-5 of the setup sequence to the newcomer p. */
static int setup_send(ivshm_server_t *s, ivshm_peer_t *p)
{
    int rc = send_msg(p->conn, IVSHM_PROTOCOL_VERSION, -1);
    if (rc == 0)
        rc = send_msg(p->conn, (int64_t)p->id, -1);
    if (rc == 0)
        rc = send_msg(p->conn, -1, s->shm_fd);
    /* 4: the other peers: the bridge first, then other clients. */
    if (rc == 0)
        rc = send_peer(p->conn, IVSHM_BRIDGE_PEER_ID, s->self_efd, s->vectors);
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS && rc == 0; i++) {
        ivshm_peer_t *o = &s->clients[i];
        if (o != p && o->conn >= 0)
            rc = send_peer(p->conn, o->id, o->efd, s->vectors);
    }
    /* 5: its own vectors. */
    if (rc == 0)
        rc = send_peer(p->conn, p->id, p->efd, s->vectors);
    return rc;
}

int ivshm_server_accept(ivshm_server_t *s, int timeout_ms)
{
    if (s->listen_fd < 0)
        return -EBADF;
    int conn = accept_one(s->listen_fd, timeout_ms);
    if (conn < 0)
        return conn;
    int rc = admit(s, conn);
    ivshm_peer_t *p = NULL;
    for (uint32_t i = 0; i < IVSHM_MAX_CLIENTS && p == NULL && rc == 0; i++)
        if (s->clients[i].conn < 0)
            p = &s->clients[i];
    if (rc == 0 && p == NULL)
        rc = -EBUSY;
    if (rc == 0)
        rc = efds_create(p->efd, s->vectors);
    if (rc < 0) {
        s->refused++;
        close(conn);
        return rc;
    }
    p->conn = conn;
    p->id = id_take(s);
    if (setup_send(s, p) < 0) {
        client_drop(s, p, false);
        s->refused++;
        return -EPIPE;
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
        /* Clients never send: end-of-file, an error or any data ends it. */
        if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL | POLLIN)) {
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
        struct stat st; /* only our own socket file, not one put there since */
        if (s->path[0] && lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && (uint64_t)st.st_dev == s->sock_dev &&
            (uint64_t)st.st_ino == s->sock_ino)
            (void)unlink(s->path);
    }
}
