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
    p->efd = p->lfd = p->conn = p->peer_efd = p->ivs_shm_fd = -1;
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

/* A connection that passed the hello: the ZENEDGE side, or refused. */
static void socket_take(bridge_peer_t *p, int c, int pefd, const zl_hello_t *hello)
{
    if (hello->side != IPC_SIDE_ZENEDGE) {
        BLOG_WARN("doorbell hello on %s from side %u, not the ZENEDGE side (%u): refused", p->sock, hello->side,
                  IPC_SIDE_ZENEDGE);
        close(c);
        close(pefd);
        p->st->hello_rejects++;
        return;
    }
    if (p->conn >= 0)
        BLOG_INFO("a new ZENEDGE side replaces the previous connection on %s", p->sock);
    peer_drop(p);
    p->conn = c;
    p->peer_efd = pefd;
    p->st->peer_connects++;
    BLOG_INFO("ZENEDGE side connected on %s (its epoch %u); eventfds exchanged", p->sock, hello->epoch);
    zl_db_ring(pefd); /* let it look at its completion ring once */
}

void bridge_peer_upkeep(bridge_peer_t *p, uint32_t epoch)
{
    if (p->ivs) {
        ivshmem_upkeep(p);
        return;
    }
    if (p->lfd < 0)
        return;
    if (p->conn >= 0 && zl_db_peer_gone(p->conn)) {
        BLOG_INFO("ZENEDGE side disconnected from %s; serving on, waiting for a new connection", p->sock);
        peer_drop(p);
        p->st->peer_losses++;
    }
    zl_hello_t hello;
    int pefd = -1;
    int c = zl_db_accept(p->lfd, 0, p->efd, IPC_SIDE_BRIDGE, epoch, &pefd, &hello);
    if (c >= 0) {
        socket_take(p, c, pefd, &hello);
    } else if (c == -EPROTO) {
        p->st->hello_rejects++;
        BLOG_WARN("malformed doorbell hello on %s: connection closed", p->sock);
    } else if (c != -EAGAIN && c != -EINTR) {
        BLOG_DEBUG("doorbell accept on %s: %s", p->sock, strerror(-c));
    }
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

static int open_socket(bridge_peer_t *p)
{
    const bridge_config_t *cfg = p->cfg;
    p->efd = zl_db_create();
    if (p->efd < 0) {
        BLOG_ERR("eventfd: %s", strerror(-p->efd));
        return BRIDGE_E_DOORBELL;
    }
    if (cfg->socket[0])
        snprintf(p->sock, sizeof(p->sock), "%s", cfg->socket);
    else
        zl_default_socket(cfg->shm, p->sock, sizeof(p->sock));
    p->lfd = zl_db_listen(p->sock);
    if (p->lfd < 0) {
        BLOG_ERR("doorbell socket %s: %s", p->sock, strerror(-p->lfd));
        return BRIDGE_E_DOORBELL;
    }
    BLOG_INFO("doorbell %s: listening on %s", ipc_db_mode_name(cfg->doorbell), p->sock);
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
    if (p->lfd >= 0) {
        close(p->lfd);
        unlink(p->sock);
        p->lfd = -1;
    }
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
