/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_peer_hijack - while a ZENEDGE side is connected, a second process
 * with a valid hello tries to take the doorbells. It is refused (closed,
 * no hello back, logged); the first keeps its connection and its
 * completion doorbells; once the first leaves, a new peer is taken.
 * Usage: test_peer_hijack ZENEDGE_BRIDGED MODELS_DIR
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "test_exit.h"
#include "test_peer_common.h"

static zside_t z;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return TEST_FAIL;
    }
    zside_guard(&z, 60);
    ZS_CHECK(zside_create(&z, "peerhijack", 1u << 20, 64, 1) == 0, "region");
    tp_start(&z, argv[1], argv[2]);
    int efd_a = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), efd_b = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int dfd = -1, dfd_b = -1;
    int a = tp_connect(z.sock, 5000);
    ZS_CHECK(a >= 0 && tp_send_hello(a, efd_a) == 0, "first hello");
    ZS_CHECK(tp_recv_hello(a, 3000, &dfd) == 1, "no hello back for the first peer");

    int b = tp_connect(z.sock, 5000);
    ZS_CHECK(b >= 0 && tp_send_hello(b, efd_b) == 0, "second hello");
    int r = tp_recv_hello(b, 3000, &dfd_b);
    ZS_CHECK(r == 0, "the second peer was %s (expected: refused, closed)", r == 1 ? "taken" : "left hanging 3 s");
    ZS_CHECK(tp_log_has(&z, "already connected"), "the refusal is not logged");
    ZS_CHECK(!tp_closed(a, 100), "the first peer lost its connection");

    tp_efd_take(efd_a);
    for (int i = 0; i < 10; i++) {
        uint64_t ns = tp_ping(&z, 1, dfd, 2000);
        ZS_CHECK(ns != UINT64_MAX && ns < 50000000ull, "PING %d: %s", i, ns == UINT64_MAX ? "no answer" : "> 50 ms");
    }
    usleep(20000);
    uint64_t rung_a = tp_efd_take(efd_a), rung_b = tp_efd_take(efd_b);
    printf("completion doorbells: first peer %llu, newcomer %llu\n", (unsigned long long)rung_a,
           (unsigned long long)rung_b);
    ZS_CHECK(rung_a > 0 && rung_b == 0, "doorbells went to the newcomer (first %llu, newcomer %llu)",
             (unsigned long long)rung_a, (unsigned long long)rung_b);

    /* A peer that left is replaced: the restart of the ZENEDGE side. */
    close(a);
    close(b);
    usleep(100000);
    int c = tp_connect(z.sock, 5000), dfd_c = -1;
    ZS_CHECK(c >= 0 && tp_send_hello(c, efd_b) == 0, "third hello");
    ZS_CHECK(tp_recv_hello(c, 3000, &dfd_c) == 1, "after the first peer left, a new one is not taken");

    int st = zside_stop_bridge(&z, 1000);
    ZS_CHECK(st == 0, "SIGTERM: exit status %d (expected 0 within 1 s)", st);
    close(c);
    close(dfd);
    close(dfd_c);
    close(efd_a);
    close(efd_b);
    zside_destroy(&z);
    printf("PASS\n");
    return TEST_PASS;
}
