/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xarb.h - the arbiter across regions: which region's job goes to the
 * shared backend next. Pure policy.
 *
 * Role: one daemon serves several regions (region.h) through one backend
 * (bmux.h). Every job waits in a queue per region and class; the arbiter
 * picks the next one:
 *  1. strict class order across regions: any region's RT before any
 *     region's HIGH, before NORMAL, before BACKGROUND. A job above its
 *     region's max_class is run as max_class (clamped, counted);
 *  2. within a class, a weighted share of device time per region: each
 *     region has a virtual time per class that grows by the device time
 *     its jobs used divided by its share (jobs in flight count with their
 *     region's running average until they are back); the region with the
 *     least virtual time goes first. A region that had nothing to do joins
 *     at the class's current virtual time, so idling banks no credit;
 *  3. an optional budget: at most budget_ns of device time per period_ns
 *     (an overrun is carried into the next period, at most one budget's
 *     worth, so a region waits at most about two periods). A region over
 *     its budget waits until its refill; the others, of any class, go on.
 * Thread: called by the dispatch thread only (bmux.c), but pure: no I/O,
 * no clock (the caller passes now_ns), no global state; it reads its
 * arguments and writes its state, so tests/bridge/test_xarb.c exercises it
 * without a daemon.
 * May touch: nothing but its arguments.
 */
#ifndef ZENEDGE_BRIDGE_XARB_H
#define ZENEDGE_BRIDGE_XARB_H

#include <stdbool.h>
#include <stdint.h>

#include "zenedge/ipc_proto.h"

#define BRIDGE_XARB_MAX       8u       /* regions of one daemon */
#define BRIDGE_XARB_SHARE_MAX 1000u    /* the largest share (weight) */
#define BRIDGE_XARB_EST_NS    1000000u /* first guess of a job's device time: 1 ms */

typedef struct bridge_xarb_region {
    /* the contract */
    uint32_t share;     /* weight within a class, 1..BRIDGE_XARB_SHARE_MAX */
    uint32_t max_class; /* the highest class it may use (IPC_QOS_*; RT = 0 highest) */
    uint64_t budget_ns; /* device time per period; 0: no budget */
    uint64_t period_ns; /* the period of the budget (> 0 when budget_ns is) */
    /* state */
    uint64_t vt[IPC_QOS_COUNT];       /* virtual time: device ns * 1024 / share */
    uint64_t est_ns[IPC_QOS_COUNT];   /* running average of a job's device time */
    uint32_t inflight[IPC_QOS_COUNT]; /* picked, not back */
    bool idle[IPC_QOS_COUNT];         /* nothing ready nor in flight at the last look */
    uint64_t used_ns;                 /* charged in the current period (overrun carried, at most 2 budgets) */
    uint64_t period_start_ns;
    /* counters (arbiter.* statistics) */
    uint64_t picks, charged_ns, clamped;
    uint64_t wait_budget; /* looks that found it ready but over its budget */
    uint64_t wait_class;  /* looks that found it ready below a class served first */
} bridge_xarb_region_t;

typedef struct bridge_xarb {
    uint32_t n; /* regions, 1..BRIDGE_XARB_MAX */
    bridge_xarb_region_t r[BRIDGE_XARB_MAX];
    uint64_t gvt[IPC_QOS_COUNT]; /* virtual time of the last pick per class */
    bool started;                /* periods begin at the first look */
} bridge_xarb_t;

/* n regions (capped to 1..BRIDGE_XARB_MAX), each share 1, max_class RT,
 * no budget, empty state. Returns nothing. */
void bridge_xarb_init(bridge_xarb_t *x, uint32_t n);

/* Set region i's contract: share (0 counts as 1, capped at
 * BRIDGE_XARB_SHARE_MAX), max_class (capped at IPC_QOS_BACKGROUND), a
 * budget of budget_ns per period_ns (either 0: none). Returns 0, or -1
 * when i is not a region. */
int bridge_xarb_contract(bridge_xarb_t *x, uint32_t i, uint32_t share, uint32_t max_class, uint64_t budget_ns,
                         uint64_t period_ns);

/* The class a job of class qos from region i runs as: qos, or the
 * region's max_class when qos is above it (counted in clamped when count).
 * A qos out of range or i not a region: IPC_QOS_BACKGROUND. */
uint32_t bridge_xarb_class(bridge_xarb_t *x, uint32_t i, uint32_t qos, bool count);

/*
 * Pick the next job: ready[i][c] jobs of class c wait in region i;
 * class_ok bit c: the backend takes a class-c job now. Writes the region
 * and class into *region and *cls and counts the job in flight. Returns
 * true, or false when nothing may go now (nothing ready, or only regions
 * over budget, or only classes the backend does not take now).
 */
bool bridge_xarb_pick(bridge_xarb_t *x, const uint32_t ready[][IPC_QOS_COUNT], uint32_t class_ok, uint64_t now_ns,
                      uint32_t *region, uint32_t *cls);

/* A job of region i, class cls, picked earlier, is back after device_ns of
 * device time (0: it did not run, nothing charged). Returns nothing. */
void bridge_xarb_done(bridge_xarb_t *x, uint32_t i, uint32_t cls, uint64_t device_ns);

/* Whether region i is over its budget now (after the refills due at
 * now_ns). Returns true or false (false without a budget). */
bool bridge_xarb_over_budget(bridge_xarb_t *x, uint32_t i, uint64_t now_ns);

/* Device time region i may still use in its current period (ns; UINT64_MAX
 * without a budget). */
uint64_t bridge_xarb_budget_left(const bridge_xarb_t *x, uint32_t i);

/* When the next region over its budget gets its refill (ns, now_ns time
 * base), or UINT64_MAX when none is over its budget. */
uint64_t bridge_xarb_next_refill(const bridge_xarb_t *x, uint64_t now_ns);

#endif /* ZENEDGE_BRIDGE_XARB_H */
