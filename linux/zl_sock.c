/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zl_sock.c - the doorbell socket (zl.h): its private runtime directory,
 * the credentials of the process on the other end, the hello with its
 * eventfd (checked: an eventfd, made non-blocking), without waiting on
 * the listening side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "zl.h"

/* ---- who may be on the other end ---- */

void zl_allow_init(zl_allow_t *a)
{
    memset(a, 0, sizeof(*a));
    a->uid[a->n_uid++] = (uint32_t)geteuid();
}

/* One item: a number, else a user (group) name. */
static int allow_item(const char *t, bool group, uint32_t *id)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(t, &end, 10);
    if (t[0] >= '0' && t[0] <= '9' && end != NULL && *end == '\0' && errno == 0 && v < 0xffffffffu) {
        *id = (uint32_t)v;
        return 0;
    }
    if (group) {
        const struct group *g = getgrnam(t);
        if (g == NULL)
            return -EINVAL;
        *id = (uint32_t)g->gr_gid;
    } else {
        const struct passwd *pw = getpwnam(t);
        if (pw == NULL)
            return -EINVAL;
        *id = (uint32_t)pw->pw_uid;
    }
    return 0;
}

int zl_allow_add(zl_allow_t *a, const char *list, bool group)
{
    char buf[512];
    if (a == NULL || list == NULL || strlen(list) >= sizeof(buf))
        return -EINVAL;
    strcpy(buf, list);
    uint32_t *n = group ? &a->n_gid : &a->n_uid;
    uint32_t *ids = group ? a->gid : a->uid;
    char *save = NULL;
    int items = 0;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save), items++) {
        uint32_t id;
        if (allow_item(t, group, &id) != 0)
            return -EINVAL;
        bool dup = false;
        for (uint32_t i = 0; i < *n; i++)
            dup |= ids[i] == id;
        if (dup)
            continue;
        if (*n >= ZL_ALLOW_MAX)
            return -E2BIG;
        ids[(*n)++] = id;
    }
    return items > 0 ? 0 : -EINVAL;
}

bool zl_allow_match(const zl_allow_t *a, uint32_t uid, uint32_t gid)
{
    if (uid == 0)
        return true;
    for (uint32_t i = 0; a != NULL && i < a->n_uid && i < ZL_ALLOW_MAX; i++)
        if (a->uid[i] == uid)
            return true;
    for (uint32_t i = 0; a != NULL && i < a->n_gid && i < ZL_ALLOW_MAX; i++)
        if (a->gid[i] == gid)
            return true;
    return false;
}

const char *zl_allow_str(const zl_allow_t *a, char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "uid 0");
    for (uint32_t i = 0; i < a->n_uid && o < len; i++)
        if (a->uid[i] != 0)
            o += (size_t)snprintf(buf + o, len - o, ",%u", a->uid[i]);
    for (uint32_t i = 0; i < a->n_gid && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%u", i == 0 ? " gid " : ",", a->gid[i]);
    return buf;
}

int zl_peer_cred(int fd, zl_cred_t *c)
{
    struct ucred u;
    socklen_t l = sizeof(u);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &l) != 0)
        return -errno;
    if (l != sizeof(u))
        return -EPROTO;
    c->pid = (int)u.pid;
    c->uid = (uint32_t)u.uid;
    c->gid = (uint32_t)u.gid;
    return 0;
}

/* ---- the private runtime directory ---- */

int zl_runtime_dir(char *buf, size_t len)
{
    const char *rd = getenv("RUNTIME_DIRECTORY");
    int n;
    if (rd != NULL && rd[0] == '/') {
        size_t first = strcspn(rd, ":"); /* several directories: the first */
        n = snprintf(buf, len, "%.*s", (int)first, rd);
    } else if (geteuid() == 0) {
        n = snprintf(buf, len, "/run/zenedge");
    } else {
        const char *x = getenv("XDG_RUNTIME_DIR");
        if (x == NULL || x[0] != '/')
            return -ENOENT;
        n = snprintf(buf, len, "%s/zenedge", x);
    }
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* lstat + the checks both sides make: a real directory, not writable by
 * group or others. */
static int dir_stat(const char *dir, struct stat *st, char *why, size_t len)
{
    if (lstat(dir, st) != 0) {
        int e = -errno;
        snprintf(why, len, "%s: %s", dir, strerror(-e));
        return e;
    }
    if (!S_ISDIR(st->st_mode)) {
        snprintf(why, len, "%s: %s, expected a directory", dir, S_ISLNK(st->st_mode) ? "a symlink" : "not a directory");
        return -ENOTDIR;
    }
    return 0;
}

int zl_runtime_dir_make(const char *dir, int gid, char *why, size_t len)
{
    mode_t mode = gid >= 0 ? 0750 : 0700;
    if (mkdir(dir, mode) != 0 && errno != EEXIST) {
        int e = -errno;
        snprintf(why, len, "%s: cannot create: %s", dir, strerror(-e));
        return e;
    }
    struct stat st;
    int e = dir_stat(dir, &st, why, len);
    if (e)
        return e;
    if (st.st_uid != geteuid()) {
        snprintf(why, len, "%s: owner uid %u, expected %u (us)", dir, (unsigned)st.st_uid, (unsigned)geteuid());
        return -EPERM;
    }
    /* Explicit: the umask plays no part; a group only when configured. */
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || (gid >= 0 && (gid_t)gid != st.st_gid && fchown(fd, (uid_t)-1, (gid_t)gid) != 0) ||
        fchmod(fd, mode) != 0) {
        e = -errno;
        snprintf(why, len, "%s: cannot set mode %04o%s: %s", dir, (unsigned)mode, gid >= 0 ? " and group" : "",
                 strerror(-e));
        if (fd >= 0)
            close(fd);
        return e;
    }
    close(fd);
    return 0;
}

int zl_runtime_dir_check(const char *dir, const zl_allow_t *allow, char *why, size_t len)
{
    struct stat st;
    int e = dir_stat(dir, &st, why, len);
    if (e)
        return e;
    zl_allow_t own;
    if (allow == NULL) {
        zl_allow_init(&own);
        allow = &own;
    }
    bool uid_ok = st.st_uid == 0;
    for (uint32_t i = 0; i < allow->n_uid && i < ZL_ALLOW_MAX; i++)
        uid_ok |= allow->uid[i] == (uint32_t)st.st_uid;
    if (!uid_ok) {
        char a[160];
        snprintf(why, len, "%s: owner uid %u, expected one of %s", dir, (unsigned)st.st_uid,
                 zl_allow_str(allow, a, sizeof(a)));
        return -EPERM;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, len, "%s: mode %04o, expected no write for group or others", dir, (unsigned)(st.st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

int zl_default_socket(const char *shm_name, char *buf, size_t len)
{
    const char *n = shm_name ? shm_name : "zenedge";
    while (*n == '/')
        n++;
    char dir[256];
    int e = zl_runtime_dir(dir, sizeof(dir));
    if (e)
        return e;
    int w = snprintf(buf, len, "%s/%s.sock", dir, n[0] ? n : "zenedge");
    return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

/* ---- the socket ---- */

static int sock_addr(const char *path, struct sockaddr_un *a)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    if (path == NULL || strlen(path) >= sizeof(a->sun_path))
        return -ENAMETOOLONG;
    strcpy(a->sun_path, path);
    return 0;
}

int zl_db_listen(const char *path, int gid)
{
    struct sockaddr_un a;
    int err = sock_addr(path, &a);
    if (err)
        return err;
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return -EEXIST; /* never remove a file that is not a socket */
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || (gid >= 0 && chown(path, (uid_t)-1, (gid_t)gid) != 0) ||
        chmod(path, gid >= 0 ? 0660 : 0600) != 0 || listen(fd, 8) != 0) {
        err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

int zl_db_accept_nb(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0)
        return fd;
    return errno == EWOULDBLOCK || errno == EAGAIN ? -EAGAIN : -errno;
}

int zl_db_hello_send(int fd, int my_efd, uint32_t side, uint32_t epoch)
{
    zl_hello_t h = {ZL_HELLO_MAGIC, ZL_HELLO_VERSION, (uint16_t)side, epoch, 0};
    struct iovec iov = {&h, sizeof(h)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &my_efd, sizeof(int));
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    return n == (ssize_t)sizeof(h) ? 0 : -EPROTO;
}

/* Every fd of the message: the first in *got, the others closed and counted. */
static int take_fds(struct msghdr *msg, int *got)
{
    int extra = 0;
    *got = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*got < 0) {
                *got = f;
            } else {
                close(f);
                extra++;
            }
        }
    }
    return extra;
}

int zl_db_hello_recv(int fd, int *peer_efd, zl_hello_t *out)
{
    zl_hello_t h;
    struct iovec iov = {&h, sizeof(h)};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    if (n == 0)
        return -ECONNRESET;
    int got;
    int extra = take_fds(&msg, &got);
    bool ok = n == (ssize_t)sizeof(h) && got >= 0 && extra == 0 && (msg.msg_flags & MSG_CTRUNC) == 0 &&
              h.magic == ZL_HELLO_MAGIC && h.version == ZL_HELLO_VERSION &&
              (h.side == IPC_SIDE_ZENEDGE || h.side == IPC_SIDE_BRIDGE) && h.reserved == 0;
    int err = ok ? zl_db_adopt(got) : -EPROTO;
    if (err) {
        if (got >= 0)
            close(got);
        return err;
    }
    *peer_efd = got;
    if (out)
        *out = h;
    return 0;
}

int zl_db_adopt(int fd)
{
    char p[64], link[64];
    snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, link, sizeof(link) - 1);
    if (n < 0)
        return errno == ENOENT ? -EBADF : -errno;
    link[n] = '\0';
    if (strcmp(link, "anon_inode:[eventfd]") != 0)
        return -ENOTSUP;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || ((fl & O_NONBLOCK) == 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0))
        return -errno;
    return 0;
}

bool zl_db_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK) != 0;
}

/* The connector's wait for the listener's hello (it may block here: the
 * connecting side is not a serving path). */
static int hello_wait(int fd, int timeout_ms, int *peer_efd, zl_hello_t *peer)
{
    uint64_t end = zl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        int r = zl_db_hello_recv(fd, peer_efd, peer);
        if (r != -EAGAIN)
            return r == -ECONNRESET ? -EPROTO : r;
        uint64_t now = zl_now_ns();
        if (now >= end)
            return -ETIMEDOUT;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)((end - now) / 1000000u) + 1) < 0 && errno != EINTR)
            return -errno;
    }
}

/* Connected: the listener must be allowed before it gets anything. */
static int connect_talk(int fd, int my_efd, uint32_t side, uint32_t epoch, const zl_allow_t *allow, int *peer_efd,
                        zl_hello_t *peer, zl_cred_t *cred)
{
    zl_cred_t c;
    int err = zl_peer_cred(fd, &c);
    if (err)
        return err;
    if (cred)
        *cred = c;
    zl_allow_t own;
    if (allow == NULL) {
        zl_allow_init(&own);
        allow = &own;
    }
    if (!zl_allow_match(allow, c.uid, c.gid))
        return -EACCES;
    err = zl_db_hello_send(fd, my_efd, side, epoch);
    return err ? err : hello_wait(fd, 2000, peer_efd, peer);
}

int zl_db_connect(const char *path, int timeout_ms, int my_efd, uint32_t side, uint32_t epoch, const zl_allow_t *allow,
                  int *peer_efd, zl_hello_t *peer, zl_cred_t *cred)
{
    struct sockaddr_un a;
    int err = sock_addr(path, &a);
    if (err)
        return err;
    if (peer_efd == NULL)
        return -EINVAL;
    uint64_t deadline = zl_now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000ull;
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -errno;
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
            err = connect_talk(fd, my_efd, side, epoch, allow, peer_efd, peer, cred);
            if (err == 0)
                return fd;
            close(fd);
            return err;
        }
        err = -errno;
        close(fd);
        if ((err != -ENOENT && err != -ECONNREFUSED) || zl_now_ns() >= deadline)
            return err;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

bool zl_db_peer_gone(int conn_fd)
{
    if (conn_fd < 0)
        return true;
    struct pollfd p = {conn_fd, POLLIN | POLLRDHUP, 0};
    if (poll(&p, 1, 0) <= 0)
        return false;
    if (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
        return true;
    char c;
    ssize_t n = recv(conn_fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    return n == 0;
}
