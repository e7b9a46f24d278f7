/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qemu_peer.c - zenedge-qemu-peer: a minimal host side for the QEMU guest
 * tests. It maps the region's backing file, optionally serves the ivshmem
 * server protocol (bridge/ivshmem_server.c) so that QEMU's ivshmem-doorbell
 * device can connect, waits for the guest to lay the region out, then
 * answers every PING with a PONG (anything else with CMD_ERROR BAD_CMD)
 * until the guest goes OFFLINE or the time limit passes. It lets the MSI-X
 * interrupt path and the polled path be tested on their own, without the
 * daemon.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivshmem_server.h"
#include "zl.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_doorbell.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: zenedge-qemu-peer --file PATH --size N [OPTION]...\n"
               "Answer the PINGs of a ZENEDGE QEMU guest through the region in PATH.\n"
               "  --file PATH          backing file of the ivshmem device (must exist)\n"
               "  --size N             bytes of the region (the device size)\n"
               "  --ivshmem-socket P   serve the ivshmem server protocol on UNIX socket P\n"
               "                       (ivshmem-doorbell); the guest's doorbell wakes us\n"
               "                       and we interrupt it (MSI-X vector 0) when it sleeps\n"
               "  --doorbell MODE      poll (spin) or adaptive (spin, then sleep on the\n"
               "                       doorbell; needs --ivshmem-socket). Default poll\n"
               "  --spin-us N          adaptive: spin before sleeping (default 50)\n"
               "  --timeout-s N        give up after N seconds (default 60)\n"
               "  --help               this text\n"
               "Prints 'peer: pings=N errors=N doorbells=N wakeups=N' at the end.\n"
               "Exit: 0 the guest went OFFLINE after at least one PING, 1 otherwise.\n");
}

typedef struct peer {
    ipc_region_t v;
    ipc_ring_cons_t sq[IPC_MAX_SQ];
    ipc_ring_prod_t cq;
} peer_t;

static bool any_work(void *arg)
{
    peer_t *p = arg;
    for (uint32_t i = 0; i < p->v.n_sq; i++)
        if (ipc_ring_ready_count(&p->sq[i]) > 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const char *file = NULL, *sock = NULL;
    uint64_t size = 0;
    int mode = IPC_DB_POLL;
    uint64_t spin_ns = 50000;
    int timeout_s = 60;
    static const struct option lo[] = {
        {"file", required_argument, NULL, 'f'},
        {"size", required_argument, NULL, 's'},
        {"ivshmem-socket", required_argument, NULL, 'i'},
        {"doorbell", required_argument, NULL, 'd'},
        {"spin-us", required_argument, NULL, 'p'},
        {"timeout-s", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'f': file = optarg; break;
        case 's': size = strtoull(optarg, NULL, 0); break;
        case 'i': sock = optarg; break;
        case 'd': mode = ipc_db_mode_parse(optarg); break;
        case 'p': spin_ns = strtoull(optarg, NULL, 0) * 1000u; break;
        case 't': timeout_s = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (file == NULL || size < IPC_REGION_MIN_SIZE || size > IPC_REGION_MAX_SIZE ||
        (mode != IPC_DB_POLL && mode != IPC_DB_ADAPTIVE) || (mode == IPC_DB_ADAPTIVE && sock == NULL)) {
        usage(stderr);
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    uint64_t limit = zl_now_ns() + (uint64_t)timeout_s * 1000000000ull;

    zl_map_t m;
    int rc = zl_file_map(&m, file, 0, (size_t)size, false);
    if (rc < 0) {
        fprintf(stderr, "peer: map %s: %s\n", file, strerror(-rc));
        return 1;
    }
    ivshm_server_t srv;
    int guest_efd = -1, my_efd = -1;
    if (sock) {
        ivshm_config_t ic = {sock, m.fd, 1, 1, -1};
        rc = ivshm_server_open(&srv, &ic);
        if (rc < 0) {
            fprintf(stderr, "peer: ivshmem server on %s: %s\n", sock, strerror(-rc));
            zl_unmap(&m);
            return 1;
        }
        /* QEMU connects while it creates the device, before the guest runs. */
        rc = -EAGAIN;
        while (rc == -EAGAIN && !stop && zl_now_ns() < limit)
            rc = ivshm_server_accept(&srv, 100);
        if (rc < 0) {
            fprintf(stderr, "peer: no QEMU connected to %s: %s\n", sock, strerror(-rc));
            ivshm_server_close(&srv);
            zl_unmap(&m);
            return 1;
        }
        printf("peer: QEMU connected as ivshmem peer %d\n", rc);
        guest_efd = ivshm_server_peer_fd(&srv, (uint32_t)rc, 0);
        my_efd = ivshm_server_doorbell_fd(&srv, 0);
    }

    peer_t p;
    memset(&p, 0, sizeof(p));
    ipc_fault_t fault;
    for (;;) {
        rc = ipc_region_attach(&p.v, m.base, (uint32_t)size, &fault);
        if (rc == IPC_OK || stop || zl_now_ns() >= limit)
            break;
        usleep(1000);
    }
    if (rc != IPC_OK) {
        fprintf(stderr, "peer: region not attached: %s\n", ipc_strerror(rc));
        if (sock)
            ivshm_server_close(&srv);
        zl_unmap(&m);
        return 1;
    }
    for (uint32_t i = 0; i < p.v.n_sq; i++)
        ipc_ring_cons_attach(&p.sq[i], p.v.sq[i], p.v.sq_slots);
    ipc_ring_prod_attach(&p.cq, p.v.cq, p.v.cq_slots);
    ipc_side_t *me = &p.v.hdr->bridge;
    const ipc_side_t *zen = &p.v.hdr->zen;
    ipc_write_once(&me->hb_period_us, 10000u);
    ipc_store_release(&me->epoch, ipc_read_once(&me->epoch) + 1u ? ipc_read_once(&me->epoch) + 1u : 1u);
    ipc_store_release(&me->state, IPC_STATE_READY);

    uint64_t pings = 0, errors = 0, rung = 0, wakeups = 0, hb_next = 0;
    bool seen_ready = false;
    int result = 1;
    while (!stop && zl_now_ns() < limit) {
        uint64_t now = zl_now_ns();
        if (now >= hb_next) {
            ipc_write_once(&me->heartbeat, ipc_read_once(&me->heartbeat) + 1u);
            hb_next = now + 10000000u;
            if (sock)
                ivshm_server_reap(&srv);
        }
        uint32_t zstate = ipc_load_acquire(&zen->state);
        if (zstate == IPC_STATE_READY)
            seen_ready = true;
        else if (seen_ready && zstate == IPC_STATE_OFFLINE) {
            result = pings > 0 ? 0 : 1;
            break;
        }
        uint32_t moved = 0;
        for (uint32_t r = 0; r < p.v.n_sq; r++) {
            ipc_packet_t pkt;
            while (ipc_ring_dequeue(&p.sq[r], &pkt) == IPC_OK) {
                ipc_packet_t ans = {CMD_ERROR, IPC_STATUS_BAD_CMD, pkt.payload_id, pkt.cmd};
                uint32_t slot = IPC_HANDLE_SLOT(pkt.payload_id);
                if (pkt.cmd == CMD_PING && pkt.flags == 0 && slot < p.v.max_jobs &&
                    IPC_HANDLE_GEN(pkt.payload_id) != 0) {
                    ipc_job_desc_t *d = ipc_region_job(&p.v, slot);
                    uint64_t t = zl_now_ns();
                    d->t_pickup = d->t_backend_start = d->t_backend_end = d->t_complete = t;
                    d->backend_ns = 0;
                    d->bridge_epoch = ipc_read_once(&me->epoch);
                    d->result = 0;
                    ans.cmd = CMD_PONG;
                    ans.flags = IPC_STATUS_OK;
                    ans.timestamp = t;
                    pings++;
                } else {
                    errors++;
                }
                while (ipc_ring_enqueue(&p.cq, &ans) == IPC_E_RING_FULL && !stop)
                    ; /* cq >= max_jobs: only a broken guest fills it */
                moved++;
            }
        }
        if (moved) {
            /* W2: the guest sleeps in HLT; interrupt it only then. */
            if (guest_efd >= 0 && ipc_peer_wants_doorbell(zen)) {
                zl_db_ring(guest_efd);
                ipc_write_once(&me->doorbells, ipc_read_once(&me->doorbells) + 1u);
                rung++;
            }
            continue;
        }
        int w = zl_db_idle_wait(mode, my_efd, me, spin_ns, 10, any_work, &p);
        if (w > 0 && mode == IPC_DB_ADAPTIVE)
            wakeups = ipc_read_once(&me->wakeups);
    }
    /* Stopped by a signal right after the guest finished: judge the final state. */
    if (result != 0 && seen_ready && ipc_load_acquire(&zen->state) == IPC_STATE_OFFLINE && pings > 0)
        result = 0;
    ipc_store_release(&me->state, IPC_STATE_OFFLINE);
    printf("peer: pings=%llu errors=%llu doorbells=%llu wakeups=%llu\n", (unsigned long long)pings,
           (unsigned long long)errors, (unsigned long long)rung, (unsigned long long)wakeups);
    if (sock)
        ivshm_server_close(&srv);
    zl_unmap(&m);
    return result;
}
