/* peer.c - the doorbell connection of zenedge-bridged (peer.h). */
#include "peer.h"

#include <errno.h>
#include <fcntl.h>
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

/* QEMU's ivshmem-doorbell: a guest that left is forgotten, a new one is
 * taken (its vector-0 eventfd interrupts it as MSI-X vector 0). */
static void ivshmem_upkeep(bridge_peer_t *p)
{
    int gone = ivshm_server_reap(p->ivs);
    if (gone > 0) {
        BLOG_INFO("QEMU guest left %s; serving on, waiting for a new one", p->cfg->ivshmem_socket);
        p->st->peer_losses += (uint32_t)gone;
        p->peer_efd = -1;
    }
    if (p->peer_efd >= 0)
        return;
    int id = ivshm_server_accept(p->ivs, 0);
    if (id > 0) {
        p->peer_efd = ivshm_server_peer_fd(p->ivs, (uint32_t)id, 0);
        p->st->peer_connects++;
        BLOG_INFO("QEMU guest connected on %s as ivshmem peer %d; completions go as MSI-X vector 0",
                  p->cfg->ivshmem_socket, id);
        if (p->peer_efd >= 0)
            zl_db_ring(p->peer_efd);
    } else if (id != -EAGAIN && id != -EINTR) {
        BLOG_DEBUG("ivshmem accept on %s: %s", p->cfg->ivshmem_socket, strerror(-id));
    }
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

/* QEMU blocks at start until it has the memory: listen now, and accept in
 * the upkeep, also while the region is not initialised. */
static int open_ivshmem(bridge_peer_t *p)
{
    const bridge_config_t *cfg = p->cfg;
    p->ivs_shm_fd = open(cfg->file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    p->ivs = calloc(1, sizeof(*p->ivs));
    int r = p->ivs_shm_fd < 0 ? -errno
            : p->ivs == NULL  ? -ENOMEM
                              : ivshm_server_open(p->ivs, cfg->ivshmem_socket, p->ivs_shm_fd, 1);
    if (r < 0) {
        BLOG_ERR("ivshmem server on %s for %s: %s", cfg->ivshmem_socket, cfg->file, strerror(-r));
        free(p->ivs);
        p->ivs = NULL;
        return BRIDGE_E_DOORBELL;
    }
    p->efd = ivshm_server_doorbell_fd(p->ivs, 0);
    BLOG_INFO("doorbell %s: ivshmem server listening on %s (region file %s)", ipc_db_mode_name(cfg->doorbell),
              cfg->ivshmem_socket, cfg->file);
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
