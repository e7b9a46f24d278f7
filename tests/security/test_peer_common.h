/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_peer_common.h - the hostile doorbell peers of tests/security:
 * raw connections to a daemon's doorbell socket, hellos with any fd, and
 * a PING that must be answered in time while they misbehave.
 */
#ifndef ZENEDGE_TEST_PEER_COMMON_H
#define ZENEDGE_TEST_PEER_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "zside.h"

/* A connected socket to path (retried up to timeout_ms), or -1. */
int tp_connect(const char *path, int timeout_ms);
/* Send a ZENEDGE-side hello with fd attached. 0, or -1. */
int tp_send_hello(int sock, int fd);
/* The listener's answer within timeout_ms: 1 a hello (*efd its eventfd),
 * 0 closed without one, -1 nothing in time. */
int tp_recv_hello(int sock, int timeout_ms, int *efd);
/* True if the peer closed sock within timeout_ms. */
bool tp_closed(int sock, int timeout_ms);
/* One PING on ring 0 (ringing daemon_efd if >= 0), its PONG awaited up to
 * timeout_ms: the latency in ns, or UINT64_MAX. */
uint64_t tp_ping(zside_t *z, uint32_t slot, int daemon_efd, int timeout_ms);
/* The eventfd counter after a non-blocking read (0 if nothing). */
uint64_t tp_efd_take(int efd);
/* True if the daemon log contains text. */
bool tp_log_has(const zside_t *z, const char *text);
/* Start the daemon on z in eventfd mode (the doorbells matter) and wait
 * for READY; exits 1 on failure. */
void tp_start(zside_t *z, const char *exe, const char *models);

#endif
