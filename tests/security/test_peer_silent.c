/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_peer_silent - processes connect to the doorbell socket and never
 * say hello, more of them than the daemon keeps pending, reconnecting as
 * soon as they are closed. Meanwhile a good ZENEDGE side sends 100 PINGs:
 * each answered within 50 ms, all in well under a second; the silent ones
 * are closed (after the hello timeout, or at once beyond the pending
 * bound) and the good peer keeps its connection.
 * Usage: test_peer_silent ZENEDGE_BRIDGED MODELS_DIR
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_exit.h"
#include "test_peer_common.h"

#define SILENT 8

static zside_t z;

/* The silent crowd: SILENT connections kept open for run_ms, each
 * replaced when the daemon closes it. Exits with the number of closes
 * seen (capped at 255). */
static void silent_crowd(const char *path, int run_ms)
{
    int fd[SILENT];
    int closes = 0;
    for (int i = 0; i < SILENT; i++)
        fd[i] = tp_connect(path, 1000);
    uint64_t end = zl_now_ns() + (uint64_t)run_ms * 1000000ull;
    while (zl_now_ns() < end) {
        for (int i = 0; i < SILENT; i++) {
            struct pollfd p = {fd[i], POLLIN | POLLRDHUP, 0};
            char c;
            if (fd[i] >= 0 && poll(&p, 1, 0) > 0 && recv(fd[i], &c, 1, MSG_DONTWAIT) <= 0) {
                close(fd[i]);
                fd[i] = -1;
                closes++;
            }
            if (fd[i] < 0)
                fd[i] = tp_connect(path, 0);
        }
        usleep(2000);
    }
    _exit(closes > 255 ? 255 : closes);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return TEST_FAIL;
    }
    zside_guard(&z, 60);
    ZS_CHECK(zside_create(&z, "peersilent", 1u << 20, 64, 1) == 0, "region");
    tp_start(&z, argv[1], argv[2]);
    int good = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), daemon_efd = -1;
    int g = tp_connect(z.sock, 5000);
    ZS_CHECK(g >= 0 && tp_send_hello(g, good) == 0, "good hello");
    ZS_CHECK(tp_recv_hello(g, 3000, &daemon_efd) == 1, "no hello back for a good peer");

    fflush(NULL);
    pid_t crowd = fork();
    if (crowd == 0)
        silent_crowd(z.sock, 3000);
    usleep(300000); /* the crowd is in place, the daemon has met it */
    uint64_t worst = 0, t0 = zl_now_ns();
    for (int i = 0; i < 100; i++) {
        uint64_t ns = tp_ping(&z, 1, daemon_efd, 3000);
        ZS_CHECK(ns != UINT64_MAX, "PING %d not answered within 3 s", i);
        worst = ns > worst ? ns : worst;
    }
    double total_ms = (double)(zl_now_ns() - t0) / 1e6;
    printf("100 PINGs beside %d silent connectors: %.1f ms in all, slowest %.2f ms\n", SILENT, total_ms,
           (double)worst / 1e6);
    ZS_CHECK(worst < 50000000ull, "slowest PING %.1f ms (limit 50 ms)", (double)worst / 1e6);
    ZS_CHECK(total_ms < 500.0, "100 PINGs took %.0f ms (limit 500 ms)", total_ms);

    int st = 0;
    waitpid(crowd, &st, 0);
    int closes = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
    printf("silent connections closed by the daemon: %d\n", closes);
    ZS_CHECK(closes >= SILENT, "only %d silent connections closed in 3 s (expected >= %d)", closes, SILENT);
    ZS_CHECK(tp_log_has(&z, "silent"), "no silent connection closed after the hello timeout");
    ZS_CHECK(tp_log_has(&z, "closed at once"), "the pending bound did not close the extra connections");
    ZS_CHECK(!tp_closed(g, 0), "the good peer lost its connection");
    tp_efd_take(good);
    ZS_CHECK(tp_ping(&z, 1, daemon_efd, 1000) != UINT64_MAX, "PING after the crowd");
    usleep(20000);
    ZS_CHECK(tp_efd_take(good) > 0, "the good peer's doorbell is no longer rung");

    uint64_t t1 = zl_now_ns();
    st = zside_stop_bridge(&z, 1000);
    ZS_CHECK(st == 0, "SIGTERM: exit status %d after %.0f ms (expected 0 within 1 s)", st,
             (double)(zl_now_ns() - t1) / 1e6);
    close(g);
    close(good);
    close(daemon_efd);
    zside_destroy(&z);
    printf("PASS\n");
    return TEST_PASS;
}
