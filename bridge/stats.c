/* stats.c - counters and latency histograms of zenedge-bridged. */
#include "stats.h"

#include <string.h>

#include "validate.h"

static const char *const stage_names[BRIDGE_STAGE_COUNT] = {"ring", "queue", "backend", "post", "total"};

const char *bridge_stage_name(int stage)
{
    return stage >= 0 && stage < BRIDGE_STAGE_COUNT ? stage_names[stage] : "?";
}

void bridge_stats_lat_add(bridge_lat_t *l, uint64_t ns)
{
    if (l->count == 0 || ns < l->min_ns)
        l->min_ns = ns;
    if (ns > l->max_ns)
        l->max_ns = ns;
    l->count++;
    l->sum_ns += ns;
    uint32_t b = 0;
    while (b + 1u < BRIDGE_HIST_BUCKETS && (ns >> (b + 1u)) != 0)
        b++;
    l->hist[b]++;
}

uint64_t bridge_stats_lat_pct(const bridge_lat_t *l, double pct)
{
    if (l->count == 0)
        return 0;
    uint64_t want = (uint64_t)((double)l->count * pct / 100.0);
    if (want >= l->count)
        want = l->count - 1u;
    uint64_t seen = 0;
    for (uint32_t b = 0; b < BRIDGE_HIST_BUCKETS; b++) {
        seen += l->hist[b];
        if (seen > want) {
            uint64_t edge = (2ull << b) - 1u;
            return edge < l->max_ns ? edge : l->max_ns;
        }
    }
    return l->max_ns;
}

void bridge_stats_write(const bridge_stats_t *s, FILE *o)
{
    fprintf(o, "rx.ping %llu\nrx.run_model %llu\nrx.other %llu\n", (unsigned long long)s->rx_ping,
            (unsigned long long)s->rx_run_model, (unsigned long long)s->rx_other);
    fprintf(o, "tx.pong %llu\ntx.job_done %llu\ntx.error %llu\n", (unsigned long long)s->tx_pong,
            (unsigned long long)s->tx_job_done, (unsigned long long)s->tx_error);
    for (uint32_t i = 0; i < IPC_STATUS_COUNT; i++)
        fprintf(o, "status.%s %llu\n", ipc_status_name(i) + strlen("IPC_STATUS_"),
                (unsigned long long)s->status[i]);
    for (uint32_t i = 0; i < IPC_MAX_SQ; i++)
        fprintf(o, "ring%u.rx %llu\nring%u.fill_max %u\n", i, (unsigned long long)s->rx_ring[i], i, s->fill_max[i]);
    fprintf(o, "rounds %llu\ncq_full %llu\nerror_dropped %llu\npending_max %llu\ndropped_reinit %llu\n",
            (unsigned long long)s->rounds, (unsigned long long)s->cq_full, (unsigned long long)s->error_dropped,
            (unsigned long long)s->pending_max, (unsigned long long)s->dropped_reinit);
    fprintf(o, "ring_corrupt %llu\nbackend_busy %llu\nattaches %llu\ndetaches %llu\n",
            (unsigned long long)s->ring_corrupt, (unsigned long long)s->backend_busy,
            (unsigned long long)s->attaches, (unsigned long long)s->detaches);
    fprintf(o, "peer.connects %llu\npeer.losses %llu\npeer.hello_rejects %llu\n",
            (unsigned long long)s->peer_connects, (unsigned long long)s->peer_losses,
            (unsigned long long)s->hello_rejects);
    for (uint32_t i = 1; i < 8; i++)
        fprintf(o, "model%u.jobs %llu\n", i, (unsigned long long)s->models_run[i]);
    fprintf(o, "model_other.jobs %llu\n", (unsigned long long)s->models_run[0]);
    for (int st = 0; st < BRIDGE_STAGE_COUNT; st++) {
        const bridge_lat_t *l = &s->lat[st];
        fprintf(o, "lat.%s.count %llu\nlat.%s.avg_ns %llu\nlat.%s.min_ns %llu\nlat.%s.p50_ns %llu\n"
                   "lat.%s.p99_ns %llu\nlat.%s.max_ns %llu\n",
                stage_names[st], (unsigned long long)l->count, stage_names[st],
                (unsigned long long)(l->count ? l->sum_ns / l->count : 0), stage_names[st],
                (unsigned long long)l->min_ns, stage_names[st], (unsigned long long)bridge_stats_lat_pct(l, 50),
                stage_names[st], (unsigned long long)bridge_stats_lat_pct(l, 99), stage_names[st],
                (unsigned long long)l->max_ns);
    }
}
