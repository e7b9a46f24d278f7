/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.h - leveled log of the bridge daemon: stderr, and syslog on request.
 * Thread-safe (one write per line). Messages name the wrong value and the
 * limit it broke. Rate-limited per call site (the format string is the
 * key): at most BRIDGE_LOG_BURST lines per BRIDGE_LOG_WINDOW_MS, then one
 * line "N more lines like "..." suppressed" once the window is over, so
 * that a peer that flips a word of the region cannot flood the log.
 * Under systemd, when JOURNAL_STREAM names stderr, each line is
 * "<N>message" (N: the syslog priority, 3 error ... 7 debug) without the
 * time stamp and name, which journald adds itself.
 *
 * Role: the log part. Thread: any (the dispatch and heartbeat threads, the
 * main thread). May touch: stderr and syslog only.
 */
#ifndef ZENEDGE_BRIDGE_LOG_H
#define ZENEDGE_BRIDGE_LOG_H

#include <stdbool.h>
#include <stdint.h>

#define BRIDGE_LOG_BURST     10u   /* lines per key and window */
#define BRIDGE_LOG_WINDOW_MS 1000u /* the window */

typedef enum bridge_log_level {
    BRIDGE_LOG_ERROR = 0,
    BRIDGE_LOG_WARN = 1,
    BRIDGE_LOG_INFO = 2,
    BRIDGE_LOG_DEBUG = 3
} bridge_log_level_t;

/* ident: program name in every line; use_syslog: also send to syslog(3);
 * journald's format when JOURNAL_STREAM names stderr. Returns nothing. */
void bridge_log_open(const char *ident, bridge_log_level_t level, bool use_syslog);
/* Lines above level are dropped from now on. Returns nothing. */
void bridge_log_set_level(bridge_log_level_t level);
/* Returns the current level. */
bridge_log_level_t bridge_log_get_level(void);
/* Close syslog if open. Returns nothing. */
void bridge_log_close(void);

/* "error" | "warn" | "info" | "debug" -> level, or -1. */
int bridge_log_level_parse(const char *s);
/* "error", "warn", "info", "debug", or "?". Never NULL. */
const char *bridge_log_level_name(bridge_log_level_t level);

/* One line at level (dropped above the current level, or counted when
 * its key is over its rate; see above). Returns nothing. */
void bridge_log(bridge_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text put in front of every line this thread logs from now on (a
 * region's "region NAME: "; "" or NULL: none; cut at 47 characters).
 * Returns nothing. */
void bridge_log_set_prefix(const char *prefix);

/* Print the summaries of keys whose window is over (a caller's timer;
 * bridge_log does it too). Returns nothing. */
void bridge_log_flush_suppressed(void);
/* Lines suppressed since start. Returns the count. */
uint64_t bridge_log_suppressed_total(void);

#define BLOG_ERR(...)   bridge_log(BRIDGE_LOG_ERROR, __VA_ARGS__)
#define BLOG_WARN(...)  bridge_log(BRIDGE_LOG_WARN, __VA_ARGS__)
#define BLOG_INFO(...)  bridge_log(BRIDGE_LOG_INFO, __VA_ARGS__)
#define BLOG_DEBUG(...) bridge_log(BRIDGE_LOG_DEBUG, __VA_ARGS__)

#endif /* ZENEDGE_BRIDGE_LOG_H */
