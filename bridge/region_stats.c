/* SPDX-License-Identifier: BSD-3-Clause */
/* region_stats.c - statistics of several regions and of the arbiter
 * across them (region_stats.h). */
#include "region_stats.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

void bridge_regions_arbiter_write(const bridge_region_t *r, uint32_t n, const bridge_bmux_t *mx, FILE *o)
{
    uint64_t total = 0, shares = 0;
    for (uint32_t i = 0; i < n && i < mx->n; i++) {
        total += mx->arb.r[i].charged_ns;
        shares += mx->arb.r[i].share;
    }
    fprintf(o, "arbiter.regions %u\narbiter.waiting %u\narbiter.in_backend %u\n", mx->n, bridge_bmux_waiting(mx),
            mx->in_real);
    fprintf(o, "arbiter.wait_backend %llu\narbiter.submit_failed %llu\narbiter.device_ns %llu\n",
            (unsigned long long)mx->wait_backend, (unsigned long long)mx->submit_failed, (unsigned long long)total);
    for (uint32_t i = 0; i < n && i < mx->n; i++) {
        const bridge_xarb_region_t *a = &mx->arb.r[i];
        const char *nm = r[i].name;
        uint64_t left = bridge_xarb_budget_left(&mx->arb, i);
        fprintf(o, "arbiter.%s.share %u\narbiter.%s.share_configured_permille %llu\n", nm, a->share, nm,
                (unsigned long long)(shares ? a->share * 1000ull / shares : 0));
        fprintf(o, "arbiter.%s.share_used_permille %llu\narbiter.%s.device_ns %llu\narbiter.%s.picks %llu\n", nm,
                (unsigned long long)(total ? a->charged_ns * 1000u / total : 0), nm, (unsigned long long)a->charged_ns,
                nm, (unsigned long long)a->picks);
        fprintf(o, "arbiter.%s.max_class %u\narbiter.%s.clamped %llu\narbiter.%s.budget_ns %llu\n", nm, a->max_class,
                nm, (unsigned long long)a->clamped, nm, (unsigned long long)a->budget_ns);
        fprintf(o, "arbiter.%s.budget_left_ns %lld\narbiter.%s.wait_budget %llu\narbiter.%s.wait_class %llu\n", nm,
                left == UINT64_MAX ? -1ll : (long long)left, nm, (unsigned long long)a->wait_budget, nm,
                (unsigned long long)a->wait_class);
    }
}

/* Every line of text, prefixed, into o. */
static void prefixed(FILE *o, const char *prefix, char *text)
{
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        fprintf(o, "%s%s\n", prefix, line);
}

void bridge_regions_stats_dump(bridge_region_t *r, uint32_t n, const bridge_bmux_t *mx, const char *reason,
                               const char *stats_file)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL)
        return;
    fprintf(m, "reason %s\nregions %u\n", reason, n);
    for (uint32_t i = 0; i < n; i++) {
        char *t = NULL;
        size_t tl = 0;
        FILE *tm = open_memstream(&t, &tl);
        if (tm == NULL)
            continue;
        bridge_stats_now_t now;
        bridge_region_now(&r[i], reason, &now);
        bridge_stats_text(&r[i].st, r[i].reg, &now, tm);
        fclose(tm);
        char pre[BRIDGE_REGION_NAME + 16];
        snprintf(pre, sizeof(pre), "region.%s.", r[i].name);
        prefixed(m, pre, t);
        free(t);
    }
    bridge_regions_arbiter_write(r, n, mx, m);
    fclose(m);
    uint64_t total = 0;
    for (uint32_t i = 0; i < mx->n; i++)
        total += mx->arb.r[i].charged_ns;
    for (uint32_t i = 0; i < n && i < mx->n; i++)
        BLOG_INFO("arbiter (%s): region %s: share %u, device time %llu us (%llu permille), budget waits %llu, "
                  "clamped %llu",
                  reason, r[i].name, mx->arb.r[i].share, (unsigned long long)(mx->arb.r[i].charged_ns / 1000u),
                  (unsigned long long)(total ? mx->arb.r[i].charged_ns * 1000u / total : 0),
                  (unsigned long long)mx->arb.r[i].wait_budget, (unsigned long long)mx->arb.r[i].clamped);
    if (stats_file != NULL && stats_file[0])
        bridge_stats_write_file(stats_file, buf, len);
    free(buf);
}
