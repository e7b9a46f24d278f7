/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * service.h - zenedge-bridged as a system service: systemd readiness,
 * watchdog and status (sd_notify(3), when built with libsystemd; without
 * it every call here does nothing), the SIGHUP reload of the settings, and
 * the process exit status (sysexits(3) style, listed in zenedge-bridged(8)).
 *
 * Role: the service part. Thread: bridge_service_request_reload from a
 * signal handler (async-signal-safe); the watchdog and reload polls from
 * the heartbeat thread; the rest from the main thread. May touch: the
 * NOTIFY_SOCKET datagram socket, the INI file (read on reload), the log.
 */
#ifndef ZENEDGE_BRIDGE_SERVICE_H
#define ZENEDGE_BRIDGE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC (only for this process). Returns
 * true when a service manager listens for notifications. */
bool bridge_service_init(void);

/* STATUS=<printf text> to the service manager. Returns nothing. */
void bridge_service_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* READY=1 with STATUS=<text> (models warm, doorbell socket open). Returns nothing. */
void bridge_service_ready(const char *status);
/* STOPPING=1 with STATUS=<text>. Returns nothing. */
void bridge_service_stopping(const char *status);

/* Called by the heartbeat thread every tick: WATCHDOG=1, at most twice
 * per WATCHDOG_USEC, and only when dispatcher_alive (its own watchdog of
 * the dispatcher sees signs of life); a silent dispatcher thus lets
 * systemd's WatchdogSec= fire. Returns nothing. */
void bridge_service_watchdog(uint64_t now_ns, bool dispatcher_alive);
/* The watchdog interval systemd asked for (WATCHDOG_USEC) in us, 0 when none. */
uint64_t bridge_service_watchdog_usec(void);

/* What a SIGHUP re-reads: the command line (which names the INI file)
 * and the settings in force, which must outlive the service. Returns nothing. */
void bridge_service_set_reload(int argc, char **argv, const char *models_dir, const bridge_config_t *running);
/* From the SIGHUP handler: async-signal-safe. Returns nothing. */
void bridge_service_request_reload(void);
/* From the heartbeat thread: when a reload was asked for, re-read the
 * settings; a valid file changes log_level at once, other changed keys
 * are logged as taking effect at the next start; an invalid one is
 * logged and the running settings stay. Returns 1 when a reload ran,
 * else 0. */
int bridge_service_poll_reload(void);

/* The exit status for a BRIDGE_E_* code: EX_CONFIG (78) configuration,
 * EX_USAGE (64) command line, EX_NOINPUT (66) model directory missing or
 * empty, EX_DATAERR (65) a bad model, EX_UNAVAILABLE (69) no device or
 * backend failure, EX_TEMPFAIL (75) another daemon serves the region,
 * EX_OSERR (71) a system call or allocation failed, EX_SOFTWARE (70) any
 * other code; 0 for BRIDGE_OK. */
int bridge_exit_status(int bridge_err);

#endif /* ZENEDGE_BRIDGE_SERVICE_H */
