/* SPDX-License-Identifier: BSD-3-Clause */
/* service.c - systemd notification, SIGHUP reload, exit status (service.h). */
#include "service.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#ifdef ZENEDGE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "bridge_errors.h"
#include "log.h"
#include "zenedge/barrier.h"

static bool sd_on;
static uint64_t wd_usec;
static uint64_t wd_last_ns;
static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;     /* heartbeat threads */
static uint32_t reload_asked;                                   /* set by the SIGHUP handler */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER; /* one reload at a time */
static int rl_argc;
static char **rl_argv;
static const char *rl_models;
static const bridge_config_t *rl_running;

static void notify(const char *text)
{
#ifdef ZENEDGE_HAVE_SYSTEMD
    if (sd_on)
        sd_notify(0, text);
#else
    (void)text;
#endif
}

bool bridge_service_init(void)
{
#ifdef ZENEDGE_HAVE_SYSTEMD
    sd_on = getenv("NOTIFY_SOCKET") != NULL;
    uint64_t us = 0;
    if (sd_on && sd_watchdog_enabled(0, &us) > 0)
        wd_usec = us;
#endif
    return sd_on;
}

void bridge_service_status(const char *fmt, ...)
{
    if (!sd_on)
        return;
    char text[512];
    int n = snprintf(text, sizeof(text), "STATUS=");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
    va_end(ap);
    notify(text);
}

void bridge_service_ready(const char *status)
{
    char text[512];
    snprintf(text, sizeof(text), "READY=1\nSTATUS=%s", status);
    notify(text);
}

void bridge_service_stopping(const char *status)
{
    char text[512];
    snprintf(text, sizeof(text), "STOPPING=1\nSTATUS=%s", status);
    notify(text);
}

uint64_t bridge_service_watchdog_usec(void)
{
    return wd_usec;
}

void bridge_service_watchdog(uint64_t now_ns, bool dispatcher_alive)
{
    if (wd_usec == 0 || !dispatcher_alive)
        return;
    pthread_mutex_lock(&wd_lock);
    bool due = wd_last_ns == 0 || now_ns - wd_last_ns >= wd_usec * 1000u / 2u;
    if (due)
        wd_last_ns = now_ns;
    pthread_mutex_unlock(&wd_lock);
    if (due)
        notify("WATCHDOG=1");
}

void bridge_service_set_reload(int argc, char **argv, const char *models_dir, const bridge_config_t *running)
{
    rl_argc = argc;
    rl_argv = argv;
    rl_models = models_dir;
    rl_running = running;
}

void bridge_service_request_reload(void)
{
    ipc_store_release(&reload_asked, 1u); /* RL1: lock-free, async-signal-safe */
}

static void reload_now(void)
{
    static bridge_config_t next; /* large: not on the heartbeat thread's stack */
    char err[1024] = "";
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char text[128];
    snprintf(text, sizeof(text), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u);
    notify(text);
    bridge_config_defaults(&next, rl_models);
    if (bridge_config_parse_args(&next, rl_argc, rl_argv, err, sizeof(err)) != BRIDGE_OK ||
        bridge_config_check(&next, err, sizeof(err)) != BRIDGE_OK) {
        BLOG_ERR("SIGHUP: settings not reloaded, the running ones stay: %s", err);
    } else {
        bridge_log_set_level((bridge_log_level_t)next.log_level);
        next.log_level = rl_running->log_level;
        bool same = memcmp(&next, rl_running, sizeof(next)) == 0;
        BLOG_INFO("SIGHUP: settings reloaded from %s: log_level %s%s",
                  next.config_file[0] ? next.config_file : "(none)", bridge_log_level_name(bridge_log_get_level()),
                  same ? "" : "; other changed settings take effect at the next start");
    }
    notify("READY=1\nSTATUS=serving (settings reloaded)");
}

int bridge_service_poll_reload(void)
{
    if (!ipc_load_acquire(&reload_asked) || rl_running == NULL) /* RL1 */
        return 0;
    if (pthread_mutex_trylock(&reload_lock) != 0)
        return 0;
    ipc_write_once(&reload_asked, 0u); /* a SIGHUP from now on asks again */
    reload_now();
    pthread_mutex_unlock(&reload_lock);
    return 1;
}

int bridge_exit_status(int bridge_err)
{
    switch (bridge_err) {
    case BRIDGE_OK: return EX_OK;
    case BRIDGE_E_CONFIG:
    case BRIDGE_E_NO_BACKEND: return EX_CONFIG;
    case BRIDGE_E_INVAL: return EX_USAGE;
    case BRIDGE_E_IO:
    case BRIDGE_E_NO_MODELS: return EX_NOINPUT;
    case BRIDGE_E_MANIFEST:
    case BRIDGE_E_MODEL_DUP:
    case BRIDGE_E_WEIGHTS:
    case BRIDGE_E_UNSUPPORTED: return EX_DATAERR;
    case BRIDGE_E_BACKEND:
    case BRIDGE_E_NO_DEVICE:
    case BRIDGE_E_TIMEOUT: return EX_UNAVAILABLE;
    case BRIDGE_E_BUSY: return EX_TEMPFAIL;
    case BRIDGE_E_NOMEM:
    case BRIDGE_E_SYS:
    case BRIDGE_E_DOORBELL:
    case BRIDGE_E_TRANSPORT: return EX_OSERR;
    default: return EX_SOFTWARE;
    }
}
