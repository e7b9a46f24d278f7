/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zl_trace.c - reading the job trace of a region (zl_trace.h). Ordering
 * T2 (ipc_proto.h, "Job trace").
 */
#include "zl_trace.h"

#include <errno.h>
#include <inttypes.h>

#include "zenedge/barrier.h"
#include "zenedge/lat_hist.h"

int zl_trace_open(zl_trace_reader_t *r, const ipc_region_t *v, bool from_oldest)
{
    *r = (zl_trace_reader_t){0};
    if (v->trace == NULL || v->trace_slots == 0)
        return -ENOENT;
    r->area = v->trace;
    r->slots = v->trace_slots;
    uint32_t head = ipc_load_acquire(&r->area->head); /* T2 */
    r->next = from_oldest && head > r->slots ? head - r->slots : (from_oldest ? 0u : head);
    return 0;
}

/* Copy record n if it is still record n: true; false when it was being
 * rewritten or has been overwritten (T2). */
static bool copy_rec(const zl_trace_reader_t *r, uint32_t n, ipc_trace_rec_t *out)
{
    const ipc_trace_rec_t *rec = &r->area->rec[n & (r->slots - 1u)];
    uint32_t s1 = ipc_load_acquire(&rec->seq); /* T2: pairs with the release of seq */
    const uint32_t *src = (const uint32_t *)(const void *)rec;
    uint32_t *dst = (uint32_t *)(void *)out;
    for (uint32_t i = 0; i < (uint32_t)(sizeof(*out) / 4u); i++)
        dst[i] = ipc_read_once(&src[i]);
    ipc_fence(); /* T2: the copy before the second read of seq */
    uint32_t s2 = ipc_read_once(&rec->seq);
    return s1 == n + 1u && s2 == n + 1u;
}

int zl_trace_next(zl_trace_reader_t *r, ipc_trace_rec_t *out)
{
    if (r->area == NULL)
        return 0;
    for (uint32_t tries = 0; tries < r->slots; tries++) {
        uint32_t head = ipc_load_acquire(&r->area->head); /* T2 */
        uint32_t behind = head - r->next;
        if (behind == 0)
            return 0;
        if (behind > 0x80000000u)
            return -ESTALE;      /* the count went backwards */
        if (behind > r->slots) { /* overwritten before we came */
            r->lost += behind - r->slots;
            r->next = head - r->slots;
        }
        uint32_t n = r->next++;
        if (copy_rec(r, n, out)) {
            r->read++;
            return 1;
        }
        r->lost++;
    }
    return 0;
}

const char *zl_trace_end_name(uint32_t end)
{
    static const char *const names[] = {"ok", "failed", "timed_out", "cancelled", "bridge_lost", "other"};
    return end < sizeof(names) / sizeof(names[0]) ? names[end] : "other";
}

/* The stage durations (ns) of a record, as rtos/lat_trace.c splits a
 * result; -1 where a stage did not happen or cannot be compared. */
static void stages(const ipc_trace_rec_t *x, bool shared, int64_t d[LAT_STAGES])
{
    const uint64_t from[LAT_STAGES] = {shared ? x->t_submit : 0,
                                       x->t_pickup,
                                       x->t_backend_start,
                                       x->t_backend_end,
                                       shared ? x->t_complete : 0,
                                       x->t_wait_call > x->t_complete_seen ? x->t_wait_call : x->t_complete_seen,
                                       x->t_submit};
    const uint64_t to[LAT_STAGES] = {x->t_pickup,        x->t_backend_start, x->t_backend_end, x->t_complete,
                                     x->t_complete_seen, x->t_wake,          x->t_wake};
    for (uint32_t s = 0; s < LAT_STAGES; s++)
        d[s] = from[s] != 0 && to[s] != 0 && to[s] >= from[s] ? (int64_t)(to[s] - from[s]) : -1;
}

void zl_trace_csv_header(FILE *f, bool with_task)
{
    fprintf(f,
            "seq,%shandle,slot,generation,tag,model_id,qos,end,ipc_status,result,bridge_epoch,t_submit,t_pickup,"
            "t_backend_start,t_backend_end,t_complete,t_complete_seen,t_wait_call,t_wake,backend_ns",
            with_task ? "task," : "");
    for (uint32_t s = 0; s < LAT_STAGES; s++)
        fprintf(f, ",%s", lat_stage_name(s));
    fprintf(f, "\n");
}

void zl_trace_csv_row(FILE *f, const ipc_trace_rec_t *x, bool shared_clock, const char *task)
{
    fprintf(f,
            "%" PRIu32 ",%s%s0x%08" PRIx32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%u,%s,%u,%" PRIu32
            ",%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
            ",%" PRIu64,
            x->seq - 1u, task ? task : "", task ? "," : "", x->handle, IPC_HANDLE_SLOT(x->handle),
            IPC_HANDLE_GEN(x->handle), x->tag, x->model_id, (unsigned)x->qos, zl_trace_end_name(x->end),
            (unsigned)x->ipc_status, x->result, x->bridge_epoch, x->t_submit, x->t_pickup, x->t_backend_start,
            x->t_backend_end, x->t_complete, x->t_complete_seen, x->t_wait_call, x->t_wake, x->backend_ns);
    int64_t d[LAT_STAGES];
    stages(x, shared_clock, d);
    for (uint32_t s = 0; s < LAT_STAGES; s++)
        d[s] >= 0 ? fprintf(f, ",%" PRId64, d[s]) : fprintf(f, ",");
    fprintf(f, "\n");
}

void zl_trace_json_row(FILE *f, const ipc_trace_rec_t *x, bool shared_clock, const char *task)
{
    fprintf(f, "{\"seq\":%" PRIu32, x->seq - 1u);
    if (task) { /* a name given by the user: escaped */
        fprintf(f, ",\"task\":\"");
        for (const unsigned char *c = (const unsigned char *)task; *c; c++)
            *c == '"' || *c == '\\' ? fprintf(f, "\\%c", *c) : *c < 0x20 ? fprintf(f, "\\u%04x", *c) : fputc(*c, f);
        fprintf(f, "\"");
    }
    fprintf(f,
            ",\"handle\":%" PRIu32 ",\"slot\":%" PRIu32 ",\"generation\":%" PRIu32 ",\"tag\":%" PRIu32
            ",\"model_id\":%" PRIu32 ",\"qos\":%u,\"end\":\"%s\",\"ipc_status\":%u,\"result\":%" PRIu32
            ",\"bridge_epoch\":%" PRIu32 ",\"t_submit\":%" PRIu64 ",\"t_pickup\":%" PRIu64
            ",\"t_backend_start\":%" PRIu64 ",\"t_backend_end\":%" PRIu64 ",\"t_complete\":%" PRIu64
            ",\"t_complete_seen\":%" PRIu64 ",\"t_wait_call\":%" PRIu64 ",\"t_wake\":%" PRIu64
            ",\"backend_ns\":%" PRIu64 ",\"stages_ns\":{",
            x->handle, IPC_HANDLE_SLOT(x->handle), IPC_HANDLE_GEN(x->handle), x->tag, x->model_id, (unsigned)x->qos,
            zl_trace_end_name(x->end), (unsigned)x->ipc_status, x->result, x->bridge_epoch, x->t_submit, x->t_pickup,
            x->t_backend_start, x->t_backend_end, x->t_complete, x->t_complete_seen, x->t_wait_call, x->t_wake,
            x->backend_ns);
    int64_t d[LAT_STAGES];
    stages(x, shared_clock, d);
    for (uint32_t s = 0; s < LAT_STAGES; s++) {
        fprintf(f, "%s\"%s\":", s ? "," : "", lat_stage_name(s));
        d[s] >= 0 ? fprintf(f, "%" PRId64, d[s]) : fprintf(f, "null");
    }
    fprintf(f, "}}\n");
}
