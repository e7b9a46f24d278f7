/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ivshmem - zenedge-bridged's ivshmem server (bridge/ivshmem_server.c)
 * against what local clients do, for real, over its UNIX socket. Input:
 * [config][op...] (32 ops at most); config: vectors 1..4 (bits 0-1),
 * clients served at once 1..4 (bits 2-3), bit 4: ids start at 65533 (as
 * after 65,532 earlier connections, so the round to 1 is reached), bits
 * 5-7 all set: close the server after the input; each op byte: low 3 bits the op, the
 * rest its client (of 6) or its argument:
 *   0 connect a client and accept;   1 the client sends 1..16 bytes (the
 *   next input byte says how many, bit 7: with an eventfd attached);
 *   2 the client reads what it was sent, parsing it as QEMU does;
 *   3 the client closes;  4 it shuts its writing half;  5 reap;
 *   6 accept with nothing pending;  7 the doorbell and peer fds.
 *
 * Speed: one server per configuration (16 at most) is opened on first use
 * and kept, listening, across inputs (opening one binds, chmods and
 * unlinks a socket file: most of an input's time otherwise). After an
 * input the clients close their ends, the server drops them through its
 * own reap, and its record is copied back from the snapshot taken right
 * after ivshm_server_open() (ids from 1 again, no counters), so each input
 * meets a freshly opened server. Inputs with bits 5-7 set close it (the
 * close path and its oracle below), the next one opens it again (one
 * random input in 8: closing and opening cost a third of the time when
 * every other input did it).
 *
 * Oracle: accept gives an id in 1..65535 not held by another live client,
 * or a documented error, and never serves more than the configured
 * clients; a served client's messages are whole 8-byte numbers in the
 * order of the protocol (0, its id, -1 with the region fd, then peer ids
 * with or without an eventfd); a client that sent, closed or shut down is
 * gone after a reap; once every client closed, a reap leaves none served
 * and the listening socket and doorbells are those of the open; no fd of
 * the input is left open (fuzz_fds.h); after ivshm_server_close() the
 * socket file is removed. Anything else aborts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_fds.h"
#include "ivshmem_server.h"

#define CLIENTS 6

typedef struct client {
    int fd;        /* -1: none */
    int id;        /* > 0: served under this id */
    bool gone;     /* sent, closed or shut down: must be dropped at the next reap */
    uint32_t seen; /* messages read */
    bool dropped;  /* reaped: what it was sent before may still be read */
} client_t;

#define CONFIGS (IVSHM_MAX_VECTORS * IVSHM_MAX_CLIENTS)

static char path[108]; /* the socket of the input's server */
static int shm_fd = -1;

/* One server per configuration, opened on first use; snap: right after
 * ivshm_server_open(). */
static struct {
    bool open;
    char path[108];
    ivshm_server_t s, snap;
} srv[CONFIGS];

static void close_all(void)
{
    for (uint32_t i = 0; i < CONFIGS; i++)
        if (srv[i].open) {
            ivshm_server_close(&srv[i].s);
            srv[i].open = false;
        }
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    for (uint32_t i = 0; i < CONFIGS; i++)
        snprintf(srv[i].path, sizeof(srv[i].path), "%s/zenedge-fuzz-ivshm-%d-%u.sock",
                 tmp && strlen(tmp) < 60 ? tmp : "/tmp", (int)getpid(), i);
    shm_fd = memfd_create("zenedge-fuzz-ivshm", MFD_CLOEXEC);
    if (shm_fd < 0 || ftruncate(shm_fd, 65536) != 0 || atexit(close_all) != 0)
        abort();
}

/* The server of configuration byte cfg (its index), opened if it is not. */
static uint32_t server(uint8_t cfg)
{
    uint32_t vectors = 1u + (cfg & 3u), clients = 1u + ((cfg >> 2) & 3u);
    uint32_t i = (vectors - 1u) * IVSHM_MAX_CLIENTS + clients - 1u;
    memcpy(path, srv[i].path, sizeof(path));
    if (!srv[i].open) {
        ivshm_config_t c = {srv[i].path, shm_fd, vectors, clients, -1};
        if (ivshm_server_open(&srv[i].s, &c) != 0)
            abort();
        srv[i].snap = srv[i].s;
        srv[i].open = true;
    }
    return i;
}

/* After the input, every client closed: what is pending is taken and
 * refused, the server's reap drops every client, and the record goes back
 * to the snapshot. Bits 5-7 of cfg set: close the server instead. */
static void server_reset(uint32_t i, uint8_t cfg)
{
    ivshm_server_t *s = &srv[i].s;
    if ((cfg & 0xE0u) == 0xE0u) {
        ivshm_server_close(s);
        srv[i].open = false;
        struct stat st;
        if (lstat(path, &st) == 0)
            abort(); /* the socket file outlived the server */
        return;
    }
    for (int k = 0; k < 16 && ivshm_server_accept(s, 0) != -EAGAIN; k++)
        ;
    (void)ivshm_server_reap(s);
    const ivshm_server_t *o = &srv[i].snap;
    if (ivshm_server_clients(s) != 0 || s->listen_fd != o->listen_fd ||
        memcmp(s->self_efd, o->self_efd, sizeof(o->self_efd)) != 0) {
        /* a closed client still served, or the server's own fds changed:
         * say which, for the one who reproduces it */
        fprintf(stderr, "fuzz_ivshmem: after the reset: %u clients (conn", ivshm_server_clients(s));
        for (uint32_t k = 0; k < IVSHM_MAX_CLIENTS; k++)
            fprintf(stderr, " %d/id %u", s->clients[k].conn, s->clients[k].id);
        fprintf(stderr, "), listen fd %d (open: %d), doorbell 0 fd %d (open: %d)\n", s->listen_fd, o->listen_fd,
                s->self_efd[0], o->self_efd[0]);
        abort();
    }
    *s = *o;
}

static bool id_live_elsewhere(const client_t *c, int k, int id)
{
    for (int i = 0; i < CLIENTS; i++)
        if (i != k && c[i].fd >= 0 && c[i].id == id && !c[i].gone && !c[i].dropped)
            return true;
    return false;
}

static void op_connect(ivshm_server_t *s, client_t *c, int k)
{
    if (c[k].fd >= 0)
        return;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, path, sizeof(a.sun_path));
    c[k] = (client_t){socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), 0, false, 0, false};
    if (c[k].fd < 0 || connect(c[k].fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        abort();
    int r = ivshm_server_accept(s, 0);
    if (r > 0) {
        if (r > 65535 || id_live_elsewhere(c, k, r))
            abort();
        c[k].id = r;
    } else if (r != -EBUSY && r != -EAGAIN && r != -EPIPE) {
        abort();
    }
    if (ivshm_server_clients(s) > s->max_clients)
        abort();
}

/* One message as QEMU reads it: 8 bytes, at most one fd. 1: got one,
 * 0: nothing (yet), -1: end of file or an error. */
static int recv_msg(int fd, int64_t *v, int *rfd)
{
    uint8_t b[8];
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct iovec iov = {b, sizeof(b)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space, .msg_controllen = sizeof(ctl)};
    ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n <= 0)
        return -1;
    *rfd = -1;
    int fds = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h))
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
            for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, fds++) {
                int f;
                memcpy(&f, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
                if (*rfd < 0)
                    *rfd = f;
                else
                    close(f);
            }
    if (n != 8 || fds > 1 || (mh.msg_flags & MSG_CTRUNC))
        abort(); /* the server sends whole numbers, one fd at most */
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)b[i] << (8 * i);
    *v = (int64_t)u;
    return 1;
}

static void op_read(client_t *c)
{
    int64_t v;
    int rfd;
    for (int i = 0; i < 64 && c->fd >= 0; i++) {
        int r = recv_msg(c->fd, &v, &rfd);
        if (r <= 0)
            return;
        bool with_fd = rfd >= 0;
        if (rfd >= 0)
            close(rfd);
        if (c->id <= 0)
            abort(); /* a refused client gets nothing */
        uint32_t k = c->seen++;
        bool ok = (k == 0 && v == 0 && !with_fd) || (k == 1 && v == c->id && !with_fd) ||
                  (k == 2 && v == -1 && with_fd) || (k >= 3 && v >= 0 && v <= 65535);
        if (!ok)
            abort();
    }
}

static void op_send(client_t *c, uint8_t arg)
{
    if (c->fd < 0)
        return;
    uint8_t buf[16];
    memset(buf, arg, sizeof(buf));
    struct iovec iov = {buf, 1u + (arg & 15u)};
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    int efd = (arg & 128u) ? eventfd(0, EFD_CLOEXEC) : -1;
    if (efd >= 0) {
        mh.msg_control = ctl.space;
        mh.msg_controllen = sizeof(ctl.space);
        struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &efd, sizeof(int));
    }
    if (sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
        c->gone = true;
    if (efd >= 0)
        close(efd);
}

static void op_reap(ivshm_server_t *s, client_t *c)
{
    if (ivshm_server_reap(s) < 0)
        abort();
    for (int i = 0; i < CLIENTS; i++)
        if (c[i].id > 0 && c[i].gone && !c[i].dropped) {
            if (ivshm_server_peer_fd(s, (uint32_t)c[i].id, 0) >= 0)
                abort(); /* sent, closed or shut down, and still served */
            c[i].dropped = true;
        }
    if (ivshm_server_clients(s) > s->max_clients)
        abort();
}

static void op_fds(ivshm_server_t *s, const client_t *c)
{
    for (uint32_t v = 0; v < IVSHM_MAX_VECTORS + 1; v++) {
        int fd = ivshm_server_doorbell_fd(s, v);
        if ((v < s->vectors) != (fd >= 0) || (fd >= 0 && fcntl(fd, F_GETFD) < 0))
            abort();
    }
    for (int i = 0; i < CLIENTS; i++)
        if (c[i].id > 0 && !c[i].gone && !c[i].dropped &&
            ivshm_server_peer_fd(s, (uint32_t)c[i].id, s->vectors - 1u) < 0 &&
            ivshm_server_peer_fd(s, (uint32_t)c[i].id, 0) >= 0)
            abort(); /* some vectors of a live client and not others */
}

static void op(ivshm_server_t *s, client_t *c, uint8_t b, uint8_t arg)
{
    client_t *k = &c[(b >> 3) % CLIENTS];
    switch (b & 7u) {
    case 0: op_connect(s, c, (b >> 3) % CLIENTS); break;
    case 1: op_send(k, arg); break;
    case 2: op_read(k); break;
    case 3:
        if (k->fd >= 0) {
            close(k->fd);
            *k = (client_t){-1, k->id, true, 0, k->dropped};
        }
        break;
    case 4:
        if (k->fd >= 0 && shutdown(k->fd, SHUT_WR) == 0)
            k->gone = true;
        break;
    case 5: op_reap(s, c); break;
    case 6:
        if (ivshm_server_accept(s, 0) != -EAGAIN)
            abort();
        break;
    default: op_fds(s, c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (shm_fd < 0)
        setup();
    if (size < 1)
        return 0;
    uint32_t i = server(data[0]);
    ivshm_server_t *s = &srv[i].s;
    if (data[0] & 0x10u)
        s->next_id = 65533u;
    fuzz_fds_t fds_before;
    fuzz_fds_before(&fds_before);
    client_t c[CLIENTS];
    for (int k = 0; k < CLIENTS; k++)
        c[k] = (client_t){-1, 0, false, 0, false};
    size_t n = size > 33 ? 33 : size; /* 32 ops: every state is reachable in fewer */
    for (size_t k = 1; k < n; k++)
        op(s, c, data[k], k + 1 < size ? data[k + 1] : 0);
    for (int k = 0; k < CLIENTS; k++)
        if (c[k].fd >= 0)
            close(c[k].fd);
    server_reset(i, data[0]);
    fuzz_fds_after(&fds_before); /* no fd leaked */
    return 0;
}
