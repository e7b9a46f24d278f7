/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_peer_doorbell_fd - a doorbell peer hands over a descriptor that
 * would block the daemon's ring: a full pipe (refused: not an eventfd) and
 * a blocking eventfd whose counter is at its maximum (taken, made
 * non-blocking). Through both the daemon answers every PING within 50 ms,
 * a peer that makes its eventfd blocking again is disconnected, and one
 * SIGTERM stops the daemon with status 0 within 1 s.
 * Usage: test_peer_doorbell_fd ZENEDGE_BRIDGED MODELS_DIR
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "test_exit.h"
#include "test_peer_common.h"

static zside_t z;

static void pings(const char *what, int daemon_efd, int n)
{
    uint64_t worst = 0;
    for (int i = 0; i < n; i++) {
        uint64_t ns = tp_ping(&z, 1, daemon_efd, 2000);
        ZS_CHECK(ns != UINT64_MAX, "%s: PING %d not answered within 2 s", what, i);
        worst = ns > worst ? ns : worst;
    }
    ZS_CHECK(worst < 50000000ull, "%s: slowest PING %.1f ms (limit 50 ms)", what, (double)worst / 1e6);
    printf("%s: %d PINGs, slowest %.2f ms\n", what, n, (double)worst / 1e6);
}

/* A full pipe whose write end is blocking again: not an eventfd. A good
 * peer is connected meanwhile (its eventfd is the one rung), so the PINGs
 * can ring the daemon; it leaves at the end. */
static void full_pipe(void)
{
    int good = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), daemon_efd = -1;
    int g = tp_connect(z.sock, 5000);
    ZS_CHECK(g >= 0 && tp_send_hello(g, good) == 0, "good hello");
    ZS_CHECK(tp_recv_hello(g, 3000, &daemon_efd) == 1, "no hello back for a good peer");
    int pp[2];
    ZS_CHECK(pipe2(pp, O_NONBLOCK | O_CLOEXEC) == 0, "pipe");
    char buf[4096] = {0};
    while (write(pp[1], buf, sizeof(buf)) > 0)
        ;
    fcntl(pp[1], F_SETFL, 0);
    int s = tp_connect(z.sock, 5000);
    ZS_CHECK(s >= 0, "connect %s", z.sock);
    ZS_CHECK(tp_send_hello(s, pp[1]) == 0, "hello with a pipe");
    int efd = -1;
    int r = tp_recv_hello(s, 3000, &efd);
    ZS_CHECK(r == 0, "a full pipe as doorbell was %s (expected: refused, connection closed)",
             r == 1 ? "accepted" : "left hanging 3 s");
    ZS_CHECK(tp_log_has(&z, "not an eventfd"), "the refusal is not logged");
    close(s);
    close(pp[0]);
    close(pp[1]);
    pings("after the full pipe", daemon_efd, 20);
    close(g);
    close(good);
    close(daemon_efd);
    usleep(200000); /* the daemon notices the good peer left */
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return TEST_FAIL;
    }
    zside_guard(&z, 60);
    ZS_CHECK(zside_create(&z, "peerfd", 1u << 20, 64, 1) == 0, "region");
    tp_start(&z, argv[1], argv[2]);
    full_pipe();

    /* A blocking eventfd at its maximum: every ring would block for good. */
    int bad = eventfd(0, EFD_CLOEXEC);
    uint64_t max = 0xfffffffffffffffeull;
    ZS_CHECK(write(bad, &max, sizeof(max)) == (ssize_t)sizeof(max), "fill eventfd");
    int s = tp_connect(z.sock, 5000);
    ZS_CHECK(s >= 0 && tp_send_hello(s, bad) == 0, "hello with a full eventfd");
    int daemon_efd = -1;
    ZS_CHECK(tp_recv_hello(s, 3000, &daemon_efd) == 1 && daemon_efd >= 0, "no hello back for an eventfd");
    ZS_CHECK(fcntl(bad, F_GETFL) & O_NONBLOCK, "the daemon did not make the eventfd non-blocking");
    pings("full blocking eventfd", daemon_efd, 50);
    ZS_CHECK(tp_efd_take(bad) == max, "the counter changed: the daemon's rings must find it full");

    /* The peer shares the description: it makes it blocking again. */
    ZS_CHECK(write(bad, &max, sizeof(max)) == (ssize_t)sizeof(max), "refill eventfd");
    fcntl(bad, F_SETFL, 0);
    ZS_CHECK(tp_closed(s, 1000), "a peer that made its doorbell blocking again is still connected");
    pings("after the blocking flag was cleared", daemon_efd, 20);

    uint64_t t0 = zl_now_ns();
    int st = zside_stop_bridge(&z, 1000);
    double ms = (double)(zl_now_ns() - t0) / 1e6;
    ZS_CHECK(st == 0, "SIGTERM: exit status %d after %.0f ms (expected 0 within 1 s)", st, ms);
    printf("SIGTERM: exit 0 after %.1f ms\n", ms);
    close(s);
    close(bad);
    close(daemon_efd);
    zside_destroy(&z);
    printf("PASS\n");
    return TEST_PASS;
}
