/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * warm.h - the models of the registry loaded into the backend, then each
 * run once with zero inputs (kernels built, caches and pages warm), so
 * that READY means ready. Used by the daemon's start and --check-config.
 *
 * Role: the start-up part. Thread: the main thread, before serving.
 * May touch: the backend, the log.
 */
#ifndef ZENEDGE_BRIDGE_WARM_H
#define ZENEDGE_BRIDGE_WARM_H

#include <stdint.h>

#include "backends/backend.h"
#include "registry.h"

/* load_model of every registry model on be. BRIDGE_OK, or the backend's
 * error (BRIDGE_E_UNSUPPORTED, BRIDGE_E_BACKEND, BRIDGE_E_NOMEM...), logged
 * with the model and the reason. */
int bridge_models_load(bridge_backend_t *be, const bridge_registry_t *reg);

/* One dry run of every model through submit and poll; t_start: the
 * daemon's start (zl_now_ns) for the "ready in N ms" line. BRIDGE_OK,
 * BRIDGE_E_TIMEOUT (a run did not end within 120 s), BRIDGE_E_NOMEM,
 * BRIDGE_E_BACKEND (a run failed) or the backend's submit/poll error,
 * logged. */
int bridge_models_warm(bridge_backend_t *be, const bridge_registry_t *reg, uint64_t t_start);

#endif /* ZENEDGE_BRIDGE_WARM_H */
