/* SPDX-License-Identifier: BSD-3-Clause */
/* peer.c - the doorbell connection of zenedge-bridged (peer.h). */
#include "peer.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge_errors.h"
#include "log.h"
#include "zenedge/ipc_doorbell.h"
#include "zl.h"

void bridge_peer_init(bridge_peer_t *p, const bridge_config_t *cfg, bridge_stats_t *st)
{
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->st = st;
    p->efd = p->lfd = p->conn = p->peer_efd = p->ivs_shm_fd = p->sock_gid = p->shared_efd = -1;
    for (int i = 0; i < BRIDGE_PEER_PENDING; i++)
        p->pend[i].fd = -1;
    zl_allow_init(&p->allow);
}

/* Rate limit of the refusal lines: the 1st, 2nd, 4th, 8th... of a kind. */
static bool log_nth(uint32_t n)
{
    return n != 0 && (n & (n - 1u)) == 0;
}

static const char *allow_str(const bridge_peer_t *p, char *buf, size_t len)
{
    return zl_allow_str(&p->allow, buf, len);
}

/* Forget the connected peer (socket mode: close its fds). */
static void peer_drop(bridge_peer_t *p)
{
    if (p->ivs) { /* the eventfds belong to the ivshmem server */
        p->peer_efd = -1;
        return;
    }
    if (p->conn >= 0)
        close(p->conn);
    if (p->peer_efd >= 0)
        close(p->peer_efd);
    p->conn = p->peer_efd = -1;
}

/* A refused ivshmem connection: logged with who it was, at most one line
 * a second (the others counted in the next line). */
static void ivshmem_refused(bridge_peer_t *p, int rc)
{
    ivshm_server_t *v = p->ivs;
    uint64_t now = zl_now_ns();
    if (v->log_ns != 0 && now - v->log_ns < 1000000000ull) {
        v->log_suppressed++;
        return;
    }
    const ivshm_cred_t *c = &v->refused_cred;
    if (rc == -EACCES)
        BLOG_WARN("ivshmem connection on %s from pid %d uid %u gid %u refused: allowed are root, uid %u%s (%u more "
                  "refusals suppressed)",
                  v->path, c->pid, c->uid, c->gid, v->own_uid, v->group >= 0 ? " and the socket's group" : "",
                  v->log_suppressed);
    else if (rc == -EBUSY)
        BLOG_WARN("ivshmem connection on %s from pid %d uid %u gid %u refused: a live QEMU is served (one at a "
                  "time) (%u more refusals suppressed)",
                  v->path, c->pid, c->uid, c->gid, v->log_suppressed);
    else
        BLOG_WARN("ivshmem connection on %s dropped during setup: %s (%u more refusals suppressed)", v->path,
                  strerror(-rc), v->log_suppressed);
    v->log_ns = now;
    v->log_suppressed = 0;
}

/* Refusals left unlogged by the limit: one line once the second is over. */
static void ivshmem_refusals_flush(bridge_peer_t *p)
{
    ivshm_server_t *v = p->ivs;
    if (v->log_suppressed == 0 || zl_now_ns() - v->log_ns < 1000000000ull)
        return;
    const ivshm_cred_t *c = &v->refused_cred;
    BLOG_WARN("ivshmem: %u more connections on %s refused (the last from pid %d uid %u gid %u)", v->log_suppressed,
              v->path, c->pid, c->uid, c->gid);
    v->log_ns = zl_now_ns();
    v->log_suppressed = 0;
}

/* QEMU's ivshmem-doorbell: a guest that left is forgotten, a new one is
 * taken (its vector-0 eventfd interrupts it as MSI-X vector 0); up to 4
 * connections a round, each refused at once when not allowed or while a
 * live guest is served. */
static void ivshmem_upkeep(bridge_peer_t *p)
{
    int gone = ivshm_server_reap(p->ivs);
    bool fresh = false;
    for (int n = 0; n < 4; n++) {
        uint32_t before = p->ivs->disconnects;
        int id = ivshm_server_accept(p->ivs, 0);
        gone += (int)(p->ivs->disconnects - before); /* a dead one replaced */
        if (id == -EAGAIN || id == -EINTR)
            break;
        if (id < 0) {
            ivshmem_refused(p, id);
            continue;
        }
        p->st->peer_connects++;
        fresh = true;
        BLOG_INFO("QEMU guest connected on %s as ivshmem peer %d; completions go as MSI-X vector 0", p->ivs->path, id);
    }
    if (gone > 0) {
        BLOG_INFO("QEMU guest left %s; serving on, waiting for a new one", p->ivs->path);
        p->st->peer_losses += (uint32_t)gone;
    }
    ivshmem_refusals_flush(p);
    p->peer_efd = ivshm_server_peer_fd(p->ivs, 0, 0); /* the served guest, or -1 */
    if (fresh && p->peer_efd >= 0)
        zl_db_ring(p->peer_efd); /* let it look at its completion ring once */
}

/* A hello that arrived: the first ZENEDGE side is taken; while it is
 * connected every newcomer is refused (it never takes the doorbells). */
static void socket_take(bridge_peer_t *p, bridge_peer_pending_t *q, int pefd, const zl_hello_t *hello, uint32_t epoch)
{
    const zl_cred_t *c = &q->cred;
    const char *why = NULL;
    if (hello->side != IPC_SIDE_ZENEDGE)
        why = "its hello is not from the ZENEDGE side";
    else if (p->conn >= 0)
        why = "a ZENEDGE side is already connected";
    else if (zl_db_hello_send(q->fd, p->efd, IPC_SIDE_BRIDGE, epoch) != 0)
        why = "our hello could not be sent";
    if (why) {
        p->st->hello_rejects++;
        char keeper[96] = "";
        if (p->conn >= 0)
            snprintf(keeper, sizeof(keeper), "pid %d uid %u keeps the doorbells; ", p->cred.pid, p->cred.uid);
        if (log_nth(++p->busy))
            BLOG_WARN("doorbell connection on %s from pid %d uid %u gid %u refused: %s (%s%u hellos refused so far)",
                      p->sock, c->pid, c->uid, c->gid, why, keeper, p->busy);
        close(pefd);
        close(q->fd);
        q->fd = -1;
        return;
    }
    p->conn = q->fd;
    p->peer_efd = pefd;
    p->cred = *c;
    q->fd = -1;
    p->st->peer_connects++;
    BLOG_INFO("ZENEDGE side connected on %s (pid %d uid %u gid %u, its epoch %u); eventfds exchanged", p->sock, c->pid,
              c->uid, c->gid, hello->epoch);
    zl_db_ring(pefd); /* let it look at its completion ring once */
}

/* A new connection: allowed credentials and a free pending place, or
 * closed at once. */
static void socket_pend(bridge_peer_t *p, int fd, uint64_t now)
{
    zl_cred_t c = {0, 0, 0};
    char a[160];
    int err = zl_peer_cred(fd, &c);
    if (err || !zl_allow_match(&p->allow, c.uid, c.gid)) {
        p->st->hello_rejects++;
        if (log_nth(++p->refused))
            BLOG_WARN("doorbell connection on %s from pid %d uid %u gid %u refused: not in the allow list (%s)%s; "
                      "%u refused so far",
                      p->sock, c.pid, c.uid, c.gid, allow_str(p, a, sizeof(a)), err ? ", no credentials" : "",
                      p->refused);
        close(fd);
        return;
    }
    for (int i = 0; i < BRIDGE_PEER_PENDING; i++) {
        if (p->pend[i].fd < 0) {
            p->pend[i] = (bridge_peer_pending_t){fd, now, c};
            return;
        }
    }
    p->st->hello_rejects++;
    if (log_nth(++p->overflow))
        BLOG_WARN("doorbell connection on %s from pid %d uid %u closed at once: %d connections already wait for "
                  "their hello (%u closed so far)",
                  p->sock, c.pid, c.uid, BRIDGE_PEER_PENDING, p->overflow);
    close(fd);
}

/* Read the hellos that arrived; close the silent and the malformed. */
static void socket_hellos(bridge_peer_t *p, uint64_t now, uint32_t epoch)
{
    for (int i = 0; i < BRIDGE_PEER_PENDING; i++) {
        bridge_peer_pending_t *q = &p->pend[i];
        if (q->fd < 0)
            continue;
        zl_hello_t hello;
        int pefd = -1;
        int r = zl_db_hello_recv(q->fd, &pefd, &hello);
        if (r == 0) {
            socket_take(p, q, pefd, &hello, epoch);
            continue;
        }
        const char *why = r == -ENOTSUP      ? "its doorbell fd is not an eventfd"
                          : r == -EPROTO     ? "malformed hello (16 bytes and exactly one fd expected)"
                          : r == -ECONNRESET ? "closed before its hello"
                          : r != -EAGAIN     ? strerror(-r)
                          : now - q->since_ns > (uint64_t)BRIDGE_PEER_HELLO_MS * 1000000u ? "silent"
                                                                                          : NULL;
        if (why == NULL)
            continue;
        p->st->hello_rejects++;
        if (log_nth(++p->bad_hello))
            BLOG_WARN("doorbell connection on %s from pid %d uid %u gid %u closed: %s (a hello with one eventfd "
                      "expected within %d ms; %u closed so far)",
                      p->sock, q->cred.pid, q->cred.uid, q->cred.gid, why, BRIDGE_PEER_HELLO_MS, p->bad_hello);
        close(q->fd);
        q->fd = -1;
    }
}

static void socket_upkeep(bridge_peer_t *p, uint32_t epoch)
{
    if (p->conn >= 0 && zl_db_peer_gone(p->conn)) {
        BLOG_INFO("ZENEDGE side (pid %d) disconnected from %s; serving on, waiting for a new connection", p->cred.pid,
                  p->sock);
        peer_drop(p);
        p->st->peer_losses++;
    } else if (p->conn >= 0 && !zl_db_nonblocking(p->peer_efd)) {
        BLOG_WARN("ZENEDGE side (pid %d uid %u) made its doorbell eventfd blocking again: disconnected", p->cred.pid,
                  p->cred.uid);
        peer_drop(p);
        p->st->peer_losses++;
    }
    uint64_t now = zl_now_ns();
    for (int n = 0; n < 4 * BRIDGE_PEER_PENDING; n++) { /* bounded per upkeep */
        int fd = zl_db_accept_nb(p->lfd);
        if (fd == -EAGAIN || fd == -EINTR)
            break;
        if (fd < 0) {
            BLOG_DEBUG("doorbell accept on %s: %s", p->sock, strerror(-fd));
            break;
        }
        socket_pend(p, fd, now);
    }
    socket_hellos(p, now, epoch);
}

void bridge_peer_upkeep(bridge_peer_t *p, uint32_t epoch)
{
    if (p->ivs) {
        ivshmem_upkeep(p);
        return;
    }
    if (p->lfd >= 0)
        socket_upkeep(p, epoch);
}

/* --ivshmem-group: a name or a number, or -1 when not given. */
static int64_t ivshmem_group(const char *g)
{
    if (g[0] == '\0')
        return -1;
    char *end;
    unsigned long n = strtoul(g, &end, 10);
    if (*end == '\0' && end != g && n <= UINT32_MAX)
        return (int64_t)n;
    struct group *gr = getgrnam(g);
    return gr ? (int64_t)gr->gr_gid : -2;
}

/* The region file QEMU gets: no symlink, a regular file that is exactly
 * the region (a client cannot be held to a window of a larger file). */
static int ivshmem_file(bridge_peer_t *p)
{
    const bridge_config_t *cfg = p->cfg;
    char err[400];
    p->ivs_shm_fd = open(cfg->file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (p->ivs_shm_fd < 0) {
        BLOG_ERR("ivshmem: region file %s: %s", cfg->file, strerror(errno));
        return BRIDGE_E_DOORBELL;
    }
    if (ivshm_server_check_file(p->ivs_shm_fd, cfg->file_offset, cfg->file_size, err, sizeof(err)) < 0) {
        BLOG_ERR("%s (%s)", err, cfg->file);
        return BRIDGE_E_DOORBELL;
    }
    return BRIDGE_OK;
}

/* QEMU blocks at start until it has the memory: listen now, and accept in
 * the upkeep, also while the region is not initialised. */
static int open_ivshmem(bridge_peer_t *p)
{
    const bridge_config_t *cfg = p->cfg;
    ivshm_config_t ic = {p->sock, -1, 1, 1, ivshmem_group(cfg->ivshmem_group)};
    if (ic.group == -2) {
        BLOG_ERR("--ivshmem-group %s: no such group", cfg->ivshmem_group);
        return BRIDGE_E_DOORBELL;
    }
    int r = ivshm_server_path(cfg->ivshmem_socket, p->sock, sizeof(p->sock));
    if (r < 0) {
        BLOG_ERR("ivshmem socket %s: no usable runtime directory: %s", cfg->ivshmem_socket, strerror(-r));
        return BRIDGE_E_DOORBELL;
    }
    if (ivshmem_file(p) != BRIDGE_OK)
        return BRIDGE_E_DOORBELL;
    ic.shm_fd = p->ivs_shm_fd;
    p->ivs = calloc(1, sizeof(*p->ivs));
    r = p->ivs == NULL ? -ENOMEM : ivshm_server_open(p->ivs, &ic);
    if (r < 0) {
        BLOG_ERR("ivshmem server on %s for %s: %s", p->sock, cfg->file, strerror(-r));
        free(p->ivs);
        p->ivs = NULL;
        return BRIDGE_E_DOORBELL;
    }
    p->efd = ivshm_server_doorbell_fd(p->ivs, 0);
    BLOG_INFO("doorbell %s: ivshmem server listening on %s (mode %s, region file %s)", ipc_db_mode_name(cfg->doorbell),
              p->sock, ic.group >= 0 ? "0660" : "0600", cfg->file);
    ivshmem_upkeep(p);
    return BRIDGE_OK;
}

/* The allow lists of the configuration over our own uid; the socket's
 * group: the first allowed gid. */
static int open_allow(bridge_peer_t *p)
{
    const bridge_config_t *cfg = p->cfg;
    int e = cfg->allow_uid[0] ? zl_allow_add(&p->allow, cfg->allow_uid, false) : 0;
    if (e == 0 && cfg->allow_gid[0])
        e = zl_allow_add(&p->allow, cfg->allow_gid, true);
    if (e) {
        BLOG_ERR("allow-uid '%s' / allow-gid '%s': %s (at most %d of each, numbers or known names)", cfg->allow_uid,
                 cfg->allow_gid, strerror(-e), ZL_ALLOW_MAX);
        return BRIDGE_E_CONFIG;
    }
    p->sock_gid = p->allow.n_gid ? (int)p->allow.gid[0] : -1;
    return BRIDGE_OK;
}

/* The socket path: --socket, else <runtime directory>/<shm>.sock in a
 * directory we create (or own) with an explicit mode. */
static int socket_path(bridge_peer_t *p)
{
    const bridge_config_t *cfg = p->cfg;
    if (cfg->socket[0]) {
        snprintf(p->sock, sizeof(p->sock), "%s", cfg->socket);
        return BRIDGE_OK;
    }
    char dir[256], why[512];
    int e = zl_runtime_dir(dir, sizeof(dir));
    if (e == 0)
        e = zl_runtime_dir_make(dir, p->sock_gid, why, sizeof(why));
    else
        snprintf(why, sizeof(why), "no runtime directory (not root, no RUNTIME_DIRECTORY nor XDG_RUNTIME_DIR)");
    if (e == 0)
        e = zl_default_socket(cfg->shm, p->sock, sizeof(p->sock));
    if (e) {
        BLOG_ERR("doorbell socket directory: %s; give --socket PATH", e == -ENAMETOOLONG ? strerror(-e) : why);
        return BRIDGE_E_DOORBELL;
    }
    return BRIDGE_OK;
}

static int open_socket(bridge_peer_t *p)
{
    const bridge_config_t *cfg = p->cfg;
    int rc = open_allow(p);
    if (rc != BRIDGE_OK || (rc = socket_path(p)) != BRIDGE_OK)
        return rc;
    p->efd = p->shared_efd < 0 ? zl_db_create() : fcntl(p->shared_efd, F_DUPFD_CLOEXEC, 0);
    if (p->efd < 0 && p->shared_efd >= 0)
        p->efd = -errno;
    if (p->efd < 0) {
        BLOG_ERR("eventfd: %s", strerror(-p->efd));
        return BRIDGE_E_DOORBELL;
    }
    p->lfd = zl_db_listen(p->sock, p->sock_gid);
    if (p->lfd < 0) {
        BLOG_ERR("doorbell socket %s: %s", p->sock,
                 p->lfd == -EEXIST ? "exists and is not a socket (not removed)" : strerror(-p->lfd));
        return BRIDGE_E_DOORBELL;
    }
    struct stat st;
    p->sock_ino = stat(p->sock, &st) == 0 ? (unsigned long)st.st_ino : 0;
    char a[160];
    BLOG_INFO("doorbell %s: listening on %s (mode %s; peers allowed: %s)", ipc_db_mode_name(cfg->doorbell), p->sock,
              p->sock_gid >= 0 ? "0660" : "0600", allow_str(p, a, sizeof(a)));
    return BRIDGE_OK;
}

int bridge_peer_open(bridge_peer_t *p)
{
    if (p->cfg->doorbell == IPC_DB_POLL)
        return BRIDGE_OK;
    return p->cfg->ivshmem_socket[0] ? open_ivshmem(p) : open_socket(p);
}

void bridge_peer_ring(const bridge_peer_t *p)
{
    if (p->peer_efd >= 0)
        zl_db_ring(p->peer_efd);
}

void bridge_peer_close(bridge_peer_t *p)
{
    peer_drop(p);
    for (int i = 0; i < BRIDGE_PEER_PENDING; i++) {
        if (p->pend[i].fd >= 0)
            close(p->pend[i].fd);
        p->pend[i].fd = -1;
    }
    if (p->lfd >= 0) {
        struct stat st;
        close(p->lfd);
        if (stat(p->sock, &st) == 0 && (unsigned long)st.st_ino == p->sock_ino) /* still ours */
            unlink(p->sock);
        p->lfd = -1;
    }
    if (zl_db_full_rings() > 0)
        BLOG_INFO("doorbells: %llu rings found the peer's counter full (a wake-up was already pending)",
                  (unsigned long long)zl_db_full_rings());
    if (p->ivs) {
        ivshm_server_close(p->ivs); /* closes its eventfds, efd among them */
        free(p->ivs);
        p->ivs = NULL;
        p->efd = -1;
    }
    if (p->ivs_shm_fd >= 0)
        close(p->ivs_shm_fd);
    if (p->efd >= 0)
        close(p->efd);
    p->ivs_shm_fd = p->efd = -1;
}
