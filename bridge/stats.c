/* SPDX-License-Identifier: BSD-3-Clause */
/* stats.c - counters, latency histograms and their dump (stats.h). */
#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "validate.h"
#include "zenedge/ipc_errors.h"

void bridge_stats_init(bridge_stats_t *s)
{
    memset(s, 0, sizeof(*s));
    for (uint32_t i = 0; i < BRIDGE_LAT_COUNT; i++)
        lat_hist_init(&s->lat[i]);
}

void bridge_stats_lat_add(bridge_stats_t *s, uint32_t stage, uint64_t ns)
{
    if (stage >= BRIDGE_LAT_COUNT)
        return;
    lat_hist_add(&s->lat[stage], ns);
    s->lat_sum_ns[stage] += ns;
}

const char *bridge_lat_name(uint32_t stage)
{
    if (stage == BRIDGE_LAT_PICKUP_POSTED)
        return "pickup->posted";
    return stage < BRIDGE_LAT_COUNT ? lat_stage_name(stage) : "?";
}

static void write_lat(const bridge_stats_t *s, FILE *o)
{
    for (uint32_t st = 0; st < BRIDGE_LAT_COUNT; st++) {
        const lat_hist_t *l = &s->lat[st];
        const char *n = bridge_lat_name(st);
        fprintf(o, "lat.%s.count %u\nlat.%s.avg_ns %llu\nlat.%s.min_ns %llu\n", n, l->n, n,
                (unsigned long long)(l->n ? s->lat_sum_ns[st] / l->n : 0), n,
                (unsigned long long)(l->n ? l->min_ns : 0));
        fprintf(o, "lat.%s.p50_ns %llu\nlat.%s.p99_ns %llu\nlat.%s.max_ns %llu\n", n,
                (unsigned long long)lat_hist_quantile(l, 500), n, (unsigned long long)lat_hist_quantile(l, 990), n,
                (unsigned long long)l->max_ns);
    }
}

void bridge_stats_write(const bridge_stats_t *s, const bridge_registry_t *reg, FILE *o)
{
    fprintf(o, "rx.ping %llu\nrx.run_model %llu\nrx.other %llu\n", (unsigned long long)s->rx_ping,
            (unsigned long long)s->rx_run_model, (unsigned long long)s->rx_other);
    fprintf(o, "tx.pong %llu\ntx.job_done %llu\ntx.error %llu\n", (unsigned long long)s->tx_pong,
            (unsigned long long)s->tx_job_done, (unsigned long long)s->tx_error);
    for (uint32_t i = 0; i < IPC_STATUS_COUNT; i++)
        fprintf(o, "status.%s %llu\n", ipc_status_name(i) + strlen("IPC_STATUS_"), (unsigned long long)s->status[i]);
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        fprintf(o, "ring%u.rx %llu\nring%u.fill_max %u\n", i, (unsigned long long)s->rx_ring[i], i, s->fill_max[i]);
    fprintf(o, "rounds %llu\ncq_full %llu\nerror_dropped %llu\npending_max %llu\ndropped_reinit %llu\n",
            (unsigned long long)s->rounds, (unsigned long long)s->cq_full, (unsigned long long)s->error_dropped,
            (unsigned long long)s->pending_max, (unsigned long long)s->dropped_reinit);
    fprintf(o, "ring_corrupt %llu\nbackend_busy %llu\nattaches %llu\ndetaches %llu\n",
            (unsigned long long)s->ring_corrupt, (unsigned long long)s->backend_busy, (unsigned long long)s->attaches,
            (unsigned long long)s->detaches);
    fprintf(o, "peer.connects %llu\npeer.losses %llu\npeer.hello_rejects %llu\n", (unsigned long long)s->peer_connects,
            (unsigned long long)s->peer_losses, (unsigned long long)s->hello_rejects);
    for (uint32_t i = 0; reg != NULL && i < reg->n_models && i < BRIDGE_MAX_MODELS; i++)
        fprintf(o, "model.%s.run %llu\n", reg->models[i]->name, (unsigned long long)s->model_run[i]);
    write_lat(s, o);
}

static void log_summary(const bridge_stats_t *s, const bridge_stats_now_t *now)
{
    BLOG_INFO("statistics (%s): rx ping=%llu run_model=%llu other=%llu | tx pong=%llu job_done=%llu error=%llu "
              "(dropped %llu) | cq_full=%llu pending=%u/%llu max | attaches=%llu peers=%llu",
              now->reason, (unsigned long long)s->rx_ping, (unsigned long long)s->rx_run_model,
              (unsigned long long)s->rx_other, (unsigned long long)s->tx_pong, (unsigned long long)s->tx_job_done,
              (unsigned long long)s->tx_error, (unsigned long long)s->error_dropped, (unsigned long long)s->cq_full,
              now->pending, (unsigned long long)s->pending_max, (unsigned long long)s->attaches,
              (unsigned long long)s->peer_connects);
    char line[1024];
    int o = snprintf(line, sizeof(line), "statistics: answers by status:");
    for (uint32_t i = 0; i < IPC_STATUS_COUNT && o < (int)sizeof(line); i++)
        if (s->status[i])
            o += snprintf(line + o, sizeof(line) - (size_t)o, " %s=%llu", ipc_status_name(i) + 11,
                          (unsigned long long)s->status[i]);
    BLOG_INFO("%s", line);
    o = snprintf(line, sizeof(line), "statistics: latency p50/p99/max us:");
    for (uint32_t st = 0; st < BRIDGE_LAT_COUNT && o < (int)sizeof(line); st++)
        o += snprintf(line + o, sizeof(line) - (size_t)o, " %s %.1f/%.1f/%.1f", bridge_lat_name(st),
                      (double)lat_hist_quantile(&s->lat[st], 500) / 1e3,
                      (double)lat_hist_quantile(&s->lat[st], 990) / 1e3, (double)s->lat[st].max_ns / 1e3);
    BLOG_INFO("%s", line);
    o = snprintf(line, sizeof(line), "statistics: rings taken/max fill:");
    for (uint32_t r = 0; r < IPC_MAX_SQ && o < (int)sizeof(line); r++)
        if (s->rx_ring[r] || r < now->n_sq)
            o += snprintf(line + o, sizeof(line) - (size_t)o, " %u:%llu/%u", r, (unsigned long long)s->rx_ring[r],
                          s->fill_max[r]);
    BLOG_INFO("%s", line);
}

/* The file is written next to its final name and renamed over it, so a
 * reader sees the previous dump or this one, never half of one. The
 * temporary file is made by mkstemp(3) in the same folder (an
 * unpredictable name, created O_EXCL: a link planted there is never
 * followed), and rename(2) replaces a link at the final name instead of
 * writing through it. */
static void write_file(const char *path, const char *buf, size_t len)
{
    char tmp[BRIDGE_PATH_MAX + 32];
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", dlen, path, slash ? slash + 1 : path) >= (int)sizeof(tmp)) {
        BLOG_WARN("cannot write statistics to %s: path longer than %zu characters", path, sizeof(tmp) - 32);
        return;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        BLOG_WARN("cannot write statistics to %s: temporary file %s: %s", path, tmp, strerror(errno));
        return;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    int err = done == len ? 0 : errno ? errno : EIO;
    if (err == 0 && fchmod(fd, 0640) != 0)
        err = errno;
    if (close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0 && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        BLOG_WARN("cannot write statistics to %s: %s", path, strerror(err));
        unlink(tmp);
    }
}

void bridge_stats_text(bridge_stats_t *s, const bridge_registry_t *reg, const bridge_stats_now_t *now, FILE *m)
{
    fprintf(m, "dump_seq %u\nreason %s\npid %d\nuptime_ms %llu\nattached %d\nepoch %u\npending %u\n", s->dump_seq,
            now->reason, (int)getpid(), (unsigned long long)now->uptime_ms, now->attached, now->epoch, now->pending);
    fprintf(m, "ring_corrupt_seen %llu\n", (unsigned long long)now->ring_corrupt_seen);
    for (uint32_t r = 0; r < IPC_MAX_SQ; r++)
        fprintf(m, "ring%u.fill %d\n", r, now->ring_fill[r]);
    fprintf(m, "cq.fill %d\n", now->cq_fill);
    bridge_stats_write(s, reg, m);
}

void bridge_stats_write_file(const char *path, const char *buf, size_t len)
{
    write_file(path, buf, len);
}

void bridge_stats_dump(bridge_stats_t *s, const bridge_registry_t *reg, const bridge_stats_now_t *now,
                       const char *stats_file)
{
    s->dump_seq++;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL)
        return;
    bridge_stats_text(s, reg, now, m);
    fclose(m);
    log_summary(s, now);
    if (stats_file != NULL && stats_file[0])
        write_file(stats_file, buf, len);
    free(buf);
}
