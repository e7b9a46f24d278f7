/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_config.h - zenedge-bridged --check-config (like sshd -t): the
 * settings (already parsed and cross-checked by the caller), the model
 * directory, and every model loaded and run once on the chosen backend
 * and device; then exit. No region, socket, lock or real-time priority
 * is touched, so it runs beside a serving daemon and as any user that can
 * read the files.
 *
 * Role: the check part. Thread: the main thread. May touch: the model
 * files, the backend's device, the log (stderr), the stream it prints to.
 */
#ifndef ZENEDGE_BRIDGE_CHECK_CONFIG_H
#define ZENEDGE_BRIDGE_CHECK_CONFIG_H

#include <stdio.h>

#include "config.h"

/* Check cfg's models on its backend; one "configuration OK" line on out.
 * Returns the exit status: 0, or that of bridge_exit_status() for the
 * first error (logged): EX_NOINPUT, EX_DATAERR, EX_CONFIG, EX_UNAVAILABLE... */
int bridge_check_config(const bridge_config_t *cfg, FILE *out);

#endif /* ZENEDGE_BRIDGE_CHECK_CONFIG_H */
