/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c - leveled log to stderr (journald-aware) and, optionally, syslog. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "zenedge-bridged";
static volatile int log_level = BRIDGE_LOG_INFO;
static bool log_syslog;
static bool log_journal; /* stderr is journald's stream: "<N>" prefixes, no time stamp */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* Whether JOURNAL_STREAM ("device:inode", set by systemd) names the
 * stream stderr is: then journald reads the lines (a stderr redirected
 * elsewhere by the service keeps the plain format). */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void bridge_log_open(const char *ident, bridge_log_level_t level, bool use_syslog)
{
    log_journal = stderr_is_journal();
    if (ident)
        log_ident = ident;
    log_level = (int)level;
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void bridge_log_set_level(bridge_log_level_t level)
{
    log_level = (int)level;
}
bridge_log_level_t bridge_log_get_level(void)
{
    return (bridge_log_level_t)log_level;
}

void bridge_log_close(void)
{
    if (log_syslog)
        closelog();
    log_syslog = false;
}

int bridge_log_level_parse(const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

const char *bridge_log_level_name(bridge_log_level_t level)
{
    return (unsigned)level < 4u ? level_names[level] : "?";
}

/* Rate limit: per message key (the format string, i.e. the call site),
 * at most BRIDGE_LOG_BURST lines per BRIDGE_LOG_WINDOW_MS; the rest are
 * counted and summed up in one line when the window is over. */
#define RL_KEYS 64u

typedef struct rl_key {
    const char *fmt;
    bridge_log_level_t level;
    uint64_t window_start_ms;
    uint32_t lines;
    uint64_t suppressed;
} rl_key_t;

static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
static rl_key_t rl_keys[RL_KEYS];
static uint64_t rl_suppressed_total;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void emit(bridge_log_level_t level, const char *msg)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char line[1200];
    int n = log_journal
                ? snprintf(line, sizeof(line), "<%d>%s\n", prio[level], msg)
                : snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s[%d] %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
                           ts.tv_nsec / 1000000L, log_ident, (int)getpid(), bridge_log_level_name(level), msg);
    if (n > (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 1;
    /* One write(2) per line so lines of two threads never interleave. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
    if (log_syslog)
        syslog(prio[level], "%s", msg);
}

/* The summary of a key whose window is over; under rl_lock. */
static void rl_summary(rl_key_t *k)
{
    char msg[200];
    snprintf(msg, sizeof(msg), "%llu more lines like \"%.80s\" suppressed (more than %u per %u ms)",
             (unsigned long long)k->suppressed, k->fmt, BRIDGE_LOG_BURST, BRIDGE_LOG_WINDOW_MS);
    emit(k->level, msg);
    k->suppressed = 0;
}

/* Summaries of every key whose window is over; under rl_lock. */
static void rl_flush_locked(uint64_t now)
{
    for (uint32_t i = 0; i < RL_KEYS; i++) {
        rl_key_t *k = &rl_keys[i];
        if (k->fmt && k->suppressed && now - k->window_start_ms >= BRIDGE_LOG_WINDOW_MS)
            rl_summary(k);
    }
}

/* Whether a line of key fmt may go out now; under rl_lock. A table full
 * of keys lets everything through (the keys are the call sites: few). */
static bool rl_admit(const char *fmt, bridge_log_level_t level, uint64_t now)
{
    rl_key_t *k = NULL;
    uint32_t h = (uint32_t)(((uintptr_t)fmt >> 3) % RL_KEYS);
    for (uint32_t i = 0; i < RL_KEYS && k == NULL; i++) {
        rl_key_t *c = &rl_keys[(h + i) % RL_KEYS];
        if (c->fmt == fmt || c->fmt == NULL)
            k = c;
    }
    if (k == NULL)
        return true;
    if (k->fmt == NULL) {
        k->fmt = fmt;
        k->window_start_ms = now;
    }
    k->level = level;
    if (now - k->window_start_ms >= BRIDGE_LOG_WINDOW_MS) {
        if (k->suppressed)
            rl_summary(k);
        k->window_start_ms = now;
        k->lines = 0;
    }
    if (k->lines < BRIDGE_LOG_BURST) {
        k->lines++;
        return true;
    }
    k->suppressed++;
    rl_suppressed_total++;
    return false;
}

void bridge_log_flush_suppressed(void)
{
    pthread_mutex_lock(&rl_lock);
    rl_flush_locked(mono_ms());
    pthread_mutex_unlock(&rl_lock);
}

uint64_t bridge_log_suppressed_total(void)
{
    pthread_mutex_lock(&rl_lock);
    uint64_t n = rl_suppressed_total;
    pthread_mutex_unlock(&rl_lock);
    return n;
}

static __thread char log_prefix[48];

void bridge_log_set_prefix(const char *prefix)
{
    snprintf(log_prefix, sizeof(log_prefix), "%s", prefix ? prefix : "");
}

void bridge_log(bridge_log_level_t level, const char *fmt, ...)
{
    if ((int)level > log_level)
        return;
    char msg[1024];
    int k = snprintf(msg, sizeof(msg), "%s", log_prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + k, sizeof(msg) - (size_t)k, fmt, ap);
    va_end(ap);
    uint64_t now = mono_ms();
    pthread_mutex_lock(&rl_lock);
    rl_flush_locked(now);
    if (rl_admit(fmt, level, now))
        emit(level, msg);
    pthread_mutex_unlock(&rl_lock);
}
