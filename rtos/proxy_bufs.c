/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proxy_bufs.c - tensor buffers, the zero-copy path (rules in proxy.h).
 *
 * Context: task (proxy_buf_*), and the submission and release paths of
 * proxy_submit.c / job_table.c (pb_take, pb_drop), which may run in any
 * context holding the critical section. Every access to bufs[] and n_bufs
 * is inside the port's critical section; a buffer's heap block itself is
 * the application's and is never touched here.
 */
#include "proxy_internal.h"
#include "zenedge/ipc_errors.h"

#if ZEN_CFG_ZERO_COPY

#define PB_SLOT(id) ((id)&0xFFu)
#define PB_GEN(id)  ((id) >> 8)
#define PB_GEN_MASK 0x00FFFFFFu

_Static_assert(ZEN_CFG_MAX_BUFS >= 1u && ZEN_CFG_MAX_BUFS <= 255u, "ZEN_CFG_MAX_BUFS must be 1..255");

/* The live buffer named by id, or NULL (critical section held). */
proxy_buf_t *pb_lookup(proxy_t *p, uint32_t id)
{
    uint32_t s = PB_SLOT(id), gen = PB_GEN(id);
    if (s >= ZEN_CFG_MAX_BUFS || gen == 0u)
        return 0;
    proxy_buf_t *b = &p->bufs[s];
    return b->live && b->gen == gen ? b : 0;
}

int proxy_buf_alloc(proxy_t *p, uint32_t len, uint32_t *buf_id, void **ptr)
{
    if (p == 0 || buf_id == 0 || ptr == 0 || len == 0u || p->region.hdr == 0)
        return PROXY_E_INVAL;
    int rc = PROXY_E_BUF_TABLE_FULL;
    uint32_t key = zport_crit_enter(p->port);
    for (uint32_t s = 0; s < ZEN_CFG_MAX_BUFS; s++) { /* allocation time, not the job path */
        proxy_buf_t *b = &p->bufs[s];
        if (b->live)
            continue;
        int err = ipc_heap_alloc(&p->heap, len, &b->ref);
        if (err != IPC_OK) {
            rc = err == IPC_E_HEAP_TOO_BIG ? PROXY_E_TENSOR_TOO_BIG : PROXY_E_HEAP_EXHAUSTED;
            break;
        }
        uint32_t gen = (b->gen + 1u) & PB_GEN_MASK;
        b->gen = gen ? gen : 1u;
        b->live = 1u;
        b->readers = 0u;
        b->writer = 0u;
        p->n_bufs++;
        *buf_id = (b->gen << 8) | s;
        *ptr = ipc_region_ptr(&p->region, b->ref.off, b->ref.len);
        rc = PROXY_OK;
        break;
    }
    zport_crit_exit(p->port, key);
    return rc;
}

int proxy_buf_free(proxy_t *p, uint32_t buf_id)
{
    if (p == 0 || p->region.hdr == 0)
        return PROXY_E_INVAL;
    uint32_t key = zport_crit_enter(p->port);
    proxy_buf_t *b = pb_lookup(p, buf_id);
    int rc = PROXY_OK;
    if (b == 0) {
        rc = PROXY_E_BAD_BUF;
    } else if (pb_busy(b)) {
        rc = PROXY_E_BUF_BUSY;
    } else {
        (void)ipc_heap_free(&p->heap, b->ref.off);
        b->live = 0u;
        if (p->n_bufs)
            p->n_bufs--;
    }
    zport_crit_exit(p->port, key);
    return rc;
}

void *proxy_buf_ptr(proxy_t *p, uint32_t buf_id, uint32_t *len)
{
    if (p == 0 || p->region.hdr == 0)
        return 0;
    uint32_t key = zport_crit_enter(p->port);
    proxy_buf_t *b = pb_lookup(p, buf_id);
    void *ptr = b ? ipc_region_ptr(&p->region, b->ref.off, b->ref.len) : 0;
    if (b && len)
        *len = b->ref.len;
    zport_crit_exit(p->port, key);
    return ptr;
}

bool proxy_buf_busy(proxy_t *p, uint32_t buf_id)
{
    if (p == 0 || p->region.hdr == 0)
        return false;
    uint32_t key = zport_crit_enter(p->port);
    proxy_buf_t *b = pb_lookup(p, buf_id);
    bool busy = b != 0 && pb_busy(b);
    zport_crit_exit(p->port, key);
    return busy;
}

int pb_take(proxy_t *p, proxy_job_t *j, uint32_t id, uint32_t need, bool is_in)
{
    proxy_buf_t *b = pb_lookup(p, id);
    if (b == 0 || b->ref.len < need)
        return PROXY_E_BAD_BUF;
    if (b->writer != 0u || (!is_in && b->readers != 0u))
        return PROXY_E_BUF_BUSY;
    uint32_t s = PB_SLOT(id);
    if (is_in) {
        b->readers++;
        j->buf_in[j->n_in] = (uint8_t)s;
        j->in[j->n_in].off = b->ref.off;
        j->in[j->n_in].len = need;
        j->n_in++;
    } else {
        b->writer = 1u;
        j->buf_out[j->n_out] = (uint8_t)s;
        j->out[j->n_out].off = b->ref.off;
        j->out[j->n_out].len = need;
        j->n_out++;
    }
    return PROXY_OK;
}

void pb_drop(proxy_t *p, uint32_t s, bool is_in)
{
    proxy_buf_t *b = &p->bufs[s < ZEN_CFG_MAX_BUFS ? s : 0];
    if (!is_in)
        b->writer = 0u;
    else if (b->readers)
        b->readers--;
}

#else
typedef int proxy_bufs_not_built_t; /* ZEN_CFG_ZERO_COPY 0: no zero-copy path */
#endif
