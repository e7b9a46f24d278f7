/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * validate.h - the bridge's one parser of untrusted shared memory.
 *
 * Everything the zenedge side writes reaches the daemon through here:
 * a packet dequeued from a submission ring (already a private copy, made by
 * ipc_ring_dequeue_burst()) and a job descriptor, which the dispatcher
 * copies out of the region exactly once with bridge_job_copy_in() before
 * calling bridge_validate_job() on the copy. From then on only the copy is
 * used, so the peer rewriting the descriptor after the check (TOCTOU)
 * changes nothing.
 *
 * The bridge_validate_*() functions are pure: they read only their
 * arguments (a validated region view, the copies, the immutable model
 * registry), write nothing but their out-parameters, and return an
 * enum ipc_status. A fuzz target can call them directly on arbitrary
 * bytes.
 *
 * Role: the validation part. Thread: the dispatch thread (serve.c) and the
 * fuzz targets. May touch: nothing but its out-parameters;
 * bridge_job_copy_in() reads lines 0-1 of one descriptor of the region.
 *
 * Order of the checks (the first failure is the answer):
 *   packet:  cmd (BAD_CMD), handle slot < max_jobs and generation != 0
 *            (BAD_SLOT), flags == 0 (BAD_FLAGS)
 *   job:     descriptor handle == packet payload_id (STALE), req_flags and
 *            reserved0 zero (BAD_DESC), qos < IPC_QOS_COUNT and carried by
 *            the ring the packet came on (BAD_QOS), model in the registry
 *            (BAD_MODEL), n_in/n_out equal to the model's (BAD_TENSOR_COUNT),
 *            unused tensor refs zero (BAD_DESC), then per tensor, inputs
 *            first: [off, off+len) inside the tensor heap (BAD_TENSOR_RANGE)
 *            and len equal to the model's byte size (BAD_TENSOR_SIZE).
 */
#ifndef ZENEDGE_BRIDGE_VALIDATE_H
#define ZENEDGE_BRIDGE_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "registry.h"
#include "zenedge/ipc_errors.h" /* ipc_status_name() */
#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"

/*
 * Check a submission packet that arrived on submission ring `ring`.
 * Returns IPC_STATUS_OK, IPC_STATUS_BAD_CMD, IPC_STATUS_BAD_SLOT or
 * IPC_STATUS_BAD_FLAGS. `ring` is not used by this check (kept for the
 * fuzz targets' symmetry with bridge_validate_job()).
 */
enum ipc_status bridge_validate_packet(const ipc_region_t *v, uint32_t ring, const ipc_packet_t *pkt);

/*
 * Check the private copy of a RUN_MODEL descriptor against the packet that
 * announced it (already accepted by bridge_validate_packet()), the ring it
 * came on and the registry. On IPC_STATUS_OK *model (if not NULL) is the
 * model to run; otherwise it is NULL. Returns IPC_STATUS_OK, STALE,
 * BAD_DESC, BAD_QOS, BAD_MODEL, BAD_TENSOR_COUNT, BAD_TENSOR_RANGE or
 * BAD_TENSOR_SIZE (in the order above).
 */
enum ipc_status bridge_validate_job(const ipc_region_t *v, const bridge_registry_t *reg, uint32_t ring,
                                    const ipc_packet_t *pkt, const ipc_job_desc_t *desc, const bridge_model_t **model);

/*
 * True if an answer with this packet-check status can be attributed to a
 * job slot (answered CMD_JOB_DONE / CMD_PONG), false if it must be answered
 * CMD_ERROR (BAD_CMD, BAD_SLOT).
 */
bool bridge_status_attributable(enum ipc_status st);

/* The answer command for a submission cmd that passed the packet check:
 * CMD_PONG for CMD_PING, CMD_JOB_DONE otherwise. */
uint16_t bridge_answer_cmd(uint16_t submission_cmd);

/*
 * Copy the request part of descriptor `slot` (lines 0-1) out of the region
 * into *out, once. slot must have passed bridge_validate_packet(). Returns
 * false (and copies nothing) if slot >= max_jobs.
 */
bool bridge_job_copy_in(const ipc_region_t *v, uint32_t slot, ipc_job_desc_t *out);

#endif /* ZENEDGE_BRIDGE_VALIDATE_H */
