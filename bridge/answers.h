/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * answers.h - the answers of zenedge-bridged: posting them on the
 * completion ring, the private answer queue, the doorbell after answers.
 *
 * Role: every packet taken from a submission ring gets exactly one answer
 * (JOB_DONE, PONG or ERROR). A packet is taken only after a place for its
 * answer was promised (bridge_answers_promise), so the private queue never
 * overflows and a JOB_DONE or PONG is never dropped, whatever the ZENEDGE
 * side does with its completion ring. Only CMD_ERROR answers (packets that
 * name no valid job slot) may be dropped, and counted, when the ring is full.
 * Thread: the dispatch thread only.
 * May touch: the completion ring (producer side, R1 publishes each answer
 * and the descriptor lines written before it), its own queue, the answer
 * counters of bridge_stats_t, the peer's doorbell (W2 / eventfd).
 */
#ifndef ZENEDGE_BRIDGE_ANSWERS_H
#define ZENEDGE_BRIDGE_ANSWERS_H

#include <stdbool.h>
#include <stdint.h>

#include "stats.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

typedef struct bridge_answers {
    ipc_ring_prod_t cq; /* attached by attach.c */
    ipc_packet_t *pend; /* private FIFO while the ring is full */
    uint32_t cap, head, n;
    uint32_t promised; /* answers owed: packets taken, not answered yet */
    uint32_t posted;   /* answers on the ring since the last doorbell */
    bridge_stats_t *st;
} bridge_answers_t;

/* Start empty, counting into st. Returns nothing. */
void bridge_answers_init(bridge_answers_t *a, bridge_stats_t *st);
/* Size the queue for a region of max_jobs jobs (2 x max_jobs, at least
 * 64) and empty it. Returns BRIDGE_OK or BRIDGE_E_NOMEM (queue unchanged). */
int bridge_answers_reset(bridge_answers_t *a, uint32_t max_jobs);
/* Answers that may still be promised: cap - queued - promised. */
uint32_t bridge_answers_room(const bridge_answers_t *a);
/* Promise n answers (n <= room) for n packets just taken. Returns nothing. */
void bridge_answers_promise(bridge_answers_t *a, uint32_t n);
/* The one answer of a packet with a job (JOB_DONE) or a PING (PONG):
 * posted, or queued while the ring is full; never dropped. Returns nothing. */
void bridge_answers_post(bridge_answers_t *a, uint16_t cmd, uint32_t handle, uint32_t status);
/* The one answer of a packet that names no job: CMD_ERROR, payload echoed,
 * the offending cmd in timestamp; dropped and counted when the ring is
 * full. Returns nothing. */
void bridge_answers_post_error(bridge_answers_t *a, const ipc_packet_t *p, uint32_t status);
/* Move queued answers to the ring as far as it has room. Returns nothing. */
void bridge_answers_flush(bridge_answers_t *a);
/* Doorbell to the ZENEDGE side when answers were posted since the last one
 * (or always with force), in the given mode (ipc_db_mode_t). Returns
 * nothing; a failed doorbell is logged at debug level. */
void bridge_answers_doorbell(bridge_answers_t *a, bool force, int mode, int peer_efd, ipc_region_hdr_t *hdr);
/* The region went away: forget every queued and promised answer. Returns
 * how many queued answers were dropped. */
uint32_t bridge_answers_discard(bridge_answers_t *a);
/* Free the queue. Returns nothing. */
void bridge_answers_free(bridge_answers_t *a);

#endif /* ZENEDGE_BRIDGE_ANSWERS_H */
