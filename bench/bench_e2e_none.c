/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_e2e_none.c - the end-to-end section when this build has no bridge
 * library, RTOS proxy or POSIX port (see bench/CMakeLists.txt); the RT
 * under load section likewise.
 */
#include "bench.h"

#include <stdio.h>
#include <string.h>

int bench_e2e_run(const bench_opts_t *o, bench_e2e_t *e)
{
    (void)o;
    memset(e, 0, sizeof(*e));
    snprintf(e->note, sizeof(e->note), "not measured in this build");
    return 0;
}

int bench_rt_run(const bench_opts_t *o, bench_rt_t *r)
{
    (void)o;
    memset(r, 0, sizeof(*r));
    r->not_built = true;
    snprintf(r->note, sizeof(r->note), "not measured in this build");
    return 0;
}
