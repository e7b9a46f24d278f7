/* log.c - leveled log to stderr and, optionally, syslog. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "zenedge-bridged";
static volatile int log_level = BRIDGE_LOG_INFO;
static bool log_syslog;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void bridge_log_open(const char *ident, bridge_log_level_t level, bool use_syslog)
{
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

void bridge_log(bridge_log_level_t level, const char *fmt, ...)
{
    if ((int)level > log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char line[1200];
    int n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s[%d] %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000L, log_ident, (int)getpid(), bridge_log_level_name(level), msg);
    if (n > (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 1;
    /* One write(2) per line so lines of two threads never interleave. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
    if (log_syslog) {
        static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
        syslog(prio[level], "%s", msg);
    }
}
