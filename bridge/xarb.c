/* SPDX-License-Identifier: BSD-3-Clause */
/* xarb.c - the arbiter across regions (xarb.h). Pure functions: bmux.c
 * applies them in front of the shared backend. */
#include "xarb.h"

#include <string.h>

#define VT_SCALE 1024u

void bridge_xarb_init(bridge_xarb_t *x, uint32_t n)
{
    memset(x, 0, sizeof(*x));
    x->n = n == 0 ? 1u : n > BRIDGE_XARB_MAX ? BRIDGE_XARB_MAX : n;
    for (uint32_t i = 0; i < x->n; i++) {
        x->r[i].share = 1;
        for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
            x->r[i].est_ns[c] = BRIDGE_XARB_EST_NS;
            x->r[i].idle[c] = true;
        }
    }
}

int bridge_xarb_contract(bridge_xarb_t *x, uint32_t i, uint32_t share, uint32_t max_class, uint64_t budget_ns,
                         uint64_t period_ns)
{
    if (i >= x->n)
        return -1;
    bridge_xarb_region_t *r = &x->r[i];
    r->share = share == 0 ? 1u : share > BRIDGE_XARB_SHARE_MAX ? BRIDGE_XARB_SHARE_MAX : share;
    r->max_class = max_class > IPC_QOS_BACKGROUND ? IPC_QOS_BACKGROUND : max_class;
    r->budget_ns = budget_ns && period_ns ? budget_ns : 0u;
    r->period_ns = budget_ns && period_ns ? period_ns : 0u;
    return 0;
}

uint32_t bridge_xarb_class(bridge_xarb_t *x, uint32_t i, uint32_t qos, bool count)
{
    if (i >= x->n || qos >= IPC_QOS_COUNT)
        return IPC_QOS_BACKGROUND;
    bridge_xarb_region_t *r = &x->r[i];
    if (qos >= r->max_class)
        return qos;
    if (count)
        r->clamped++;
    return r->max_class;
}

/* Refills due at now: one budget per whole period gone by; an overrun
 * (one job may run past the budget) is paid off by the next period (the
 * debt is capped at one budget when charged). */
static void refill(bridge_xarb_region_t *r, uint64_t now)
{
    if (r->budget_ns == 0)
        return;
    if (now < r->period_start_ns + r->period_ns)
        return;
    uint64_t k = (now - r->period_start_ns) / r->period_ns;
    r->period_start_ns += k * r->period_ns;
    r->used_ns = r->used_ns > k * r->budget_ns ? r->used_ns - k * r->budget_ns : 0u;
}

/* Device time charged or promised (jobs in flight at their average). */
static uint64_t committed(const bridge_xarb_region_t *r)
{
    uint64_t s = r->used_ns;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
        s += (uint64_t)r->inflight[c] * r->est_ns[c];
    return s;
}

bool bridge_xarb_over_budget(bridge_xarb_t *x, uint32_t i, uint64_t now_ns)
{
    if (i >= x->n)
        return false;
    refill(&x->r[i], now_ns);
    return x->r[i].budget_ns != 0 && committed(&x->r[i]) >= x->r[i].budget_ns;
}

uint64_t bridge_xarb_budget_left(const bridge_xarb_t *x, uint32_t i)
{
    if (i >= x->n || x->r[i].budget_ns == 0)
        return UINT64_MAX;
    return x->r[i].used_ns < x->r[i].budget_ns ? x->r[i].budget_ns - x->r[i].used_ns : 0u;
}

uint64_t bridge_xarb_next_refill(const bridge_xarb_t *x, uint64_t now_ns)
{
    uint64_t next = UINT64_MAX;
    for (uint32_t i = 0; i < x->n; i++) {
        const bridge_xarb_region_t *r = &x->r[i];
        if (r->budget_ns == 0 || committed(r) < r->budget_ns)
            continue;
        uint64_t t = r->period_start_ns + r->period_ns;
        if (r->used_ns > r->budget_ns) /* an overrun: later periods pay it off */
            t += (r->used_ns - r->budget_ns) / r->budget_ns * r->period_ns;
        if (t < next)
            next = t < now_ns ? now_ns : t;
    }
    return next;
}

/* Virtual time of region r in class c with its jobs in flight counted. */
static uint64_t vt_eff(const bridge_xarb_region_t *r, uint32_t c)
{
    return r->vt[c] + (uint64_t)r->inflight[c] * r->est_ns[c] * VT_SCALE / r->share;
}

/* The region of class c to go next among those ready and within budget;
 * counts the budget waits. Returns the region, or x->n for none. */
static uint32_t pick_in_class(bridge_xarb_t *x, const uint32_t ready[][IPC_QOS_COUNT], uint32_t c, uint64_t now)
{
    uint32_t best = x->n;
    uint64_t best_vt = UINT64_MAX;
    for (uint32_t i = 0; i < x->n; i++) {
        bridge_xarb_region_t *r = &x->r[i];
        if (ready[i][c] == 0)
            continue;
        if (r->idle[c]) { /* joins now: no credit for the time it had nothing to do */
            if (r->vt[c] < x->gvt[c])
                r->vt[c] = x->gvt[c];
            r->idle[c] = false;
        }
        if (bridge_xarb_over_budget(x, i, now)) {
            r->wait_budget++;
            continue;
        }
        uint64_t v = vt_eff(r, c);
        if (v < best_vt) {
            best_vt = v;
            best = i;
        }
    }
    return best;
}

bool bridge_xarb_pick(bridge_xarb_t *x, const uint32_t ready[][IPC_QOS_COUNT], uint32_t class_ok, uint64_t now_ns,
                      uint32_t *region, uint32_t *cls)
{
    if (!x->started) {
        x->started = true;
        for (uint32_t i = 0; i < x->n; i++)
            x->r[i].period_start_ns = now_ns;
    }
    for (uint32_t i = 0; i < x->n; i++)
        for (uint32_t c = 0; c < IPC_QOS_COUNT; c++)
            if (ready[i][c] == 0 && x->r[i].inflight[c] == 0)
                x->r[i].idle[c] = true;
    for (uint32_t c = 0; c < IPC_QOS_COUNT; c++) {
        if (!(class_ok >> c & 1u))
            continue;
        uint32_t i = pick_in_class(x, ready, c, now_ns);
        if (i == x->n)
            continue;
        for (uint32_t j = 0; j < x->n; j++) {
            bool below = false;
            for (uint32_t d = c + 1; d < IPC_QOS_COUNT; d++)
                below |= ready[j][d] > 0;
            x->r[j].wait_class += below;
        }
        bridge_xarb_region_t *r = &x->r[i];
        x->gvt[c] = r->vt[c];
        r->inflight[c]++;
        r->picks++;
        *region = i;
        *cls = c;
        return true;
    }
    return false;
}

void bridge_xarb_done(bridge_xarb_t *x, uint32_t i, uint32_t cls, uint64_t device_ns)
{
    if (i >= x->n || cls >= IPC_QOS_COUNT)
        return;
    bridge_xarb_region_t *r = &x->r[i];
    if (r->inflight[cls] > 0)
        r->inflight[cls]--;
    if (device_ns == 0)
        return;
    r->vt[cls] += device_ns * VT_SCALE / r->share;
    r->used_ns += device_ns;
    if (r->budget_ns && r->used_ns > 2u * r->budget_ns)
        r->used_ns = 2u * r->budget_ns; /* a debt of one period at most: the wait stays bounded */
    r->charged_ns += device_ns;
    r->est_ns[cls] = (r->est_ns[cls] * 7u + device_ns) / 8u;
    if (r->est_ns[cls] == 0)
        r->est_ns[cls] = 1;
}
