/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arbitrate.h - which submission ring the bridge serves next: pure policy.
 *
 * Role: ring 0 (RT) is drained first, in batches, and drained again before
 * each packet of another ring (strict priority); rings 1.. share a round
 * by weight, higher classes (lower ring numbers) first. A ring's unused
 * share is not handed to another ring within the round.
 * Thread: called by the dispatch thread only (serve.c), but it is pure:
 * no daemon, no region, no I/O, no clock, no global state; it only reads
 * its arguments and writes its outputs, so tests/bridge/test_arbitrate.c
 * exercises it without a daemon.
 * May touch: nothing but its arguments.
 */
#ifndef ZENEDGE_BRIDGE_ARBITRATE_H
#define ZENEDGE_BRIDGE_ARBITRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "zenedge/ipc_proto.h"

#define BRIDGE_ARB_ROUND_MAX  256u /* packets of rings 1.. taken in one round; cap of a weight */
#define BRIDGE_ARB_RT_BATCHES 8u   /* ring-0 batches per drain before other work */

typedef struct bridge_arb {
    uint32_t n_sq;               /* rings in the region, 1..IPC_MAX_SQ */
    uint32_t batch;              /* --batch: packets of ring 0 taken at once */
    uint32_t weight[IPC_MAX_SQ]; /* per ring 1..; weight[0] unused (RT) */
} bridge_arb_t;

/*
 * Weights of the rings: for each ring the configured weight (--weights),
 * else the region's sq_weight, else the default (8, 4, 1, 1...); a weight
 * of 0 always means "not given here, look further". Each is capped at
 * BRIDGE_ARB_ROUND_MAX. Ring 0's weight is 0 unless given (it is never
 * used: RT goes first). Returns nothing; writes out[IPC_MAX_SQ].
 */
void bridge_arb_weights(const uint32_t cfg[IPC_MAX_SQ], const uint32_t region[IPC_MAX_SQ], uint32_t out[IPC_MAX_SQ]);

/*
 * Size of the next ring-0 batch: min(batch, BRIDGE_ARB_ROUND_MAX, rt_ready,
 * budget), 0 when batch_no >= BRIDGE_ARB_RT_BATCHES (a drain gives way to
 * the rest after that many batches). budget: answers (and jobs) still free.
 * Returns a count, never negative.
 */
uint32_t bridge_arb_rt_batch(const bridge_arb_t *a, uint32_t batch_no, uint32_t rt_ready, uint32_t budget);

/*
 * One round of rings 1..n_sq-1: take[r] = how many packets of ring r to
 * take, in ring order, each at most weight[r] and ready[r], the sum at most
 * BRIDGE_ARB_ROUND_MAX and budget (earlier, higher rings come first when
 * the budget is short). take[0] is always 0. Returns the sum of take[].
 */
uint32_t bridge_arb_round(const bridge_arb_t *a, const uint32_t ready[IPC_MAX_SQ], uint32_t budget,
                          uint32_t take[IPC_MAX_SQ]);

/*
 * Strict priority inside a round: whether ring 0 must be drained before
 * serving the packet at position `pos` of the round (packets of rings 1..
 * in round order). The first packet follows a drain, so it never is.
 * Returns true or false.
 */
bool bridge_arb_rt_preempts(uint32_t pos, uint32_t rt_ready);

#endif /* ZENEDGE_BRIDGE_ARBITRATE_H */
