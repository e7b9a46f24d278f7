/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hand_bridge.h - the test itself plays the bridge, step by step, with no
 * thread: take one submission, write the answer line, post a completion.
 */
#ifndef ZENEDGE_TEST_HAND_BRIDGE_H
#define ZENEDGE_TEST_HAND_BRIDGE_H

#include <stdint.h>

#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

typedef struct hand_bridge {
    ipc_region_t view;
    ipc_ring_cons_t sq[IPC_MAX_SQ];
    ipc_ring_prod_t cq;
} hand_bridge_t;

int hand_attach(hand_bridge_t *b, void *base, uint32_t size);
/* Take the next submission (lowest ring first) into *pkt: 0, or -1 if none. */
int hand_take(hand_bridge_t *b, ipc_packet_t *pkt);
/* Write the descriptor's answer line for handle h (consistent times on
 * the shared clock, backend_ns as given), computing ADD-style outputs. */
void hand_fill_answer(hand_bridge_t *b, uint32_t h, uint64_t backend_ns, uint32_t epoch);
/* Post a completion packet: 1 (posted), or a negative core code
 * (IPC_E_RING_FULL when the completion ring is full). */
int hand_post(hand_bridge_t *b, uint16_t cmd, uint16_t status, uint32_t h);

#endif
