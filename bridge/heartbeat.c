/* SPDX-License-Identifier: BSD-3-Clause */
/* heartbeat.c - the heartbeat thread of zenedge-bridged (heartbeat.h). */
#include "heartbeat.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "bridge_errors.h"
#include "log.h"
#include "service.h"
#include "zenedge/barrier.h"
#include "zenedge/ipc_cache.h"
#include "zl.h"

/* Next absolute tick; a thread that fell far behind restarts from now
 * instead of bursting. */
static void next_tick(struct timespec *next, uint64_t period)
{
    uint64_t ns = (uint64_t)next->tv_nsec + period;
    next->tv_sec += (time_t)(ns / 1000000000u);
    next->tv_nsec = (long)(ns % 1000000000u);
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
    uint64_t now = zl_now_ns();
    if (now > (uint64_t)next->tv_sec * 1000000000u + (uint64_t)next->tv_nsec + 10u * period) {
        next->tv_sec = (time_t)(now / 1000000000u);
        next->tv_nsec = (long)(now % 1000000000u);
    }
}

static void *hb_main(void *arg)
{
    bridge_heartbeat_t *hb = arg;
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    bridge_log_set_prefix(hb->log_prefix);

    bool warned = false;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!ipc_load_acquire(&hb->stop)) { /* HB1 */
        next_tick(&next, hb->period_ns);
        uint64_t now = zl_now_ns();
        uint64_t alive = ipc_read_once(&hb->alive_ns); /* a time stamp: no order needed */
        bool dispatcher_alive = now - alive < hb->watchdog_ns || alive > now;
        bridge_service_watchdog(now, dispatcher_alive); /* systemd's WatchdogSec= */
        bridge_service_poll_reload();                   /* SIGHUP */
        pthread_mutex_lock(&hb->lock);
        ipc_side_t *me = hb->side;
        if (me != NULL) {
            if (dispatcher_alive) {
                /* Only this thread writes heartbeat; the peer reads it once. */
                ipc_write_once(&me->heartbeat, ipc_read_once(&me->heartbeat) + 1u);
                ipc_cache_clean(&me->heartbeat, 4);
                warned = false;
            } else if (!warned) {
                BLOG_ERR("dispatcher silent for %llu ms (watchdog %u ms): heartbeat stopped so the ZENEDGE "
                         "side declares this bridge lost",
                         (unsigned long long)((now - alive) / 1000000u), hb->watchdog_ms);
                warned = true;
            }
        }
        pthread_mutex_unlock(&hb->lock);
    }
    return NULL;
}

void bridge_heartbeat_init(bridge_heartbeat_t *hb, uint32_t period_us, uint32_t watchdog_ms)
{
    memset(hb, 0, sizeof(*hb));
    pthread_mutex_init(&hb->lock, NULL);
    hb->period_ns = (uint64_t)period_us * 1000u;
    hb->watchdog_ns = (uint64_t)watchdog_ms * 1000000u;
    hb->watchdog_ms = watchdog_ms;
    bridge_heartbeat_alive(hb, 0);
}

int bridge_heartbeat_start(bridge_heartbeat_t *hb)
{
    int e = pthread_create(&hb->thread, NULL, hb_main, hb);
    if (e != 0) {
        BLOG_ERR("heartbeat thread: %s", strerror(e));
        return BRIDGE_E_SYS;
    }
    hb->started = true;
    /* Models warm (main), doorbell socket open (dispatch): ready. */
    bridge_service_ready("serving: waiting for the ZENEDGE side");
    return BRIDGE_OK;
}

void bridge_heartbeat_set_side(bridge_heartbeat_t *hb, ipc_side_t *side)
{
    pthread_mutex_lock(&hb->lock);
    bool changed = (hb->side != NULL) != (side != NULL);
    hb->side = side;
    pthread_mutex_unlock(&hb->lock);
    if (changed)
        bridge_service_status(side ? "serving: region attached" : "serving: waiting for the ZENEDGE side");
}

void bridge_heartbeat_alive(bridge_heartbeat_t *hb, uint64_t at_ns)
{
    ipc_write_once(&hb->alive_ns, at_ns ? at_ns : zl_now_ns());
}

void bridge_heartbeat_fini(bridge_heartbeat_t *hb)
{
    if (hb->started) {
        ipc_store_release(&hb->stop, 1u); /* HB1 */
        pthread_join(hb->thread, NULL);
        hb->started = false;
    }
    pthread_mutex_destroy(&hb->lock);
}
