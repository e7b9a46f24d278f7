/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.h - zenedge-bench: the paired harness and its measured items.
 *
 * Two processes share one anonymous mapping: the leader (the zenedge side,
 * pinned to the first CPU of the pair) and the follower (the bridge side,
 * pinned to the second). The run is a sequence of rounds; a round runs one
 * short phase of every item, one after the other, so that all mechanisms
 * are measured within a few tens of milliseconds of each other, under the
 * same placement of the two vCPUs. Ratios are taken between the phases of
 * one round and only then summarised (median, min, max over rounds).
 *
 * A phase: the leader stores the item and its operation count in the
 * control block and bumps `seq` (store-release); the follower, spinning on
 * `seq`, runs its half of the item and answers with `ack = seq`
 * (store-release). The leader times its half; stream items include the wait
 * for the follower's ack, which is stored after the last packet is read.
 *
 * Adding an item means: an entry in the item table (bench_items.c)
 * with its lead/follow functions, and, if it takes part in a ratio, an entry
 * in the ratio table (bench_ratios.c).
 *
 * The program by role: bench_cli.c (options, --help, --list),
 * bench_harness.c (the two pinned processes, phases, rounds, medians,
 * the self-test checks), bench_ratios.c (every ratio and target, in one
 * table), bench_report.c (text table, JSON, CSV), bench_main.c (the order
 * of the steps). The items: bench_items.c, bench_layout.c, bench_dpdk.c;
 * the end-to-end section: bench_e2e.c; RT under load: bench_rt_load.c.
 */
#ifndef ZENEDGE_BENCH_H
#define ZENEDGE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"

#define BENCH_VERSION "0.1.0"

/* Control block at the start of the shared mapping. Words grouped by
 * writer, one cache line per group (the same rule as the protocol). */
typedef struct bench_shared {
    /* line 0. writer: leader. seq publishes item/ops/arg (release). */
    uint32_t seq;  /* phase number; read: acquire */
    uint32_t item; /* index into the item table, or BENCH_QUIT */
    uint32_t ops;  /* round trips or packets in this phase */
    uint32_t arg;  /* item-specific (raw: first value) */
    uint8_t pad0[IPC_CACHELINE - 16];
    /* line 1. writer: follower. ack publishes the other words (release). */
    uint32_t ack;       /* last phase finished; read: acquire */
    uint32_t errors;    /* follower's check failures in that phase */
    uint32_t doorbells; /* eventfd writes the follower made in it */
    uint32_t ready;     /* 1 once the follower is pinned and attached */
    uint8_t pad1[IPC_CACHELINE - 16];
    /* line 2. writer: leader. The raw ping-pong "ping" line. */
    uint32_t ping;
    uint8_t pad2[IPC_CACHELINE - 4];
    /* line 3. writer: follower. The raw ping-pong "pong" line. */
    uint32_t pong;
    uint8_t pad3[IPC_CACHELINE - 4];
} bench_shared_t;

_Static_assert(sizeof(bench_shared_t) == 4 * IPC_CACHELINE, "control block is 4 lines");

#define BENCH_QUIT 0xFFFFFFFFu

/* Slots of every streaming ring (ours, rte_ring, layout copies). */
#define BENCH_STREAM_SLOTS 1024u
/* Slots of the request/answer rings of the layout experiment. */
#define BENCH_LAYOUT_SLOTS 1024u

/* Run options (command line). */
typedef struct bench_opts {
    int cpu_lead;   /* zenedge side */
    int cpu_follow; /* bridge side */
    uint32_t rounds;
    uint32_t rtt_ops;    /* round trips per phase, spinning mechanisms */
    uint32_t block_ops;  /* round trips per phase, blocking mechanisms */
    uint32_t sleep_ops;  /* pings per phase, adaptive with a sleeping peer */
    uint32_t stream_ops; /* packets per phase, streaming */
    uint64_t spin_ns;    /* adaptive: spin before sleeping */
    uint64_t gap_ns;     /* adaptive sleeping case: idle time between pings */
    bool quick;
    bool selftest;
    bool no_pin; /* selftest only: run unpinned if pinning fails */
    const char *json_path;
    const char *csv_path;
    const char *only;       /* run only items whose key contains this */
    const char *models_dir; /* e2e section: the model registry (--models) */
} bench_opts_t;

enum bench_role { BENCH_LEADER = 0, BENCH_FOLLOWER = 1 };

struct bench_dpdk; /* opaque: bench_dpdk.c */
struct bench_lay;  /* opaque: bench_layout.c */

/* Per-process state. Built by the leader before fork; each process then
 * attaches its own side (rings, role-specific descriptors). */
typedef struct bench_ctx {
    const bench_opts_t *opt;
    int role;
    bench_shared_t *sh;
    uint8_t *map; /* the whole shared mapping */
    size_t map_size;

    /* our protocol: one region inside the mapping */
    uint8_t *region_base;
    uint32_t region_size;
    ipc_region_t view; /* leader: from init; follower: from attach */
    ipc_side_t *me;    /* this side's liveness/doorbell line */
    ipc_side_t *peer;
    ipc_ring_prod_t rtt_tx; /* leader: sq[0];  follower: cq */
    ipc_ring_cons_t rtt_rx; /* leader: cq;     follower: sq[0] */
    ipc_ring_prod_t st_tx;  /* leader: sq[1] (streaming) */
    ipc_ring_cons_t st_rx;  /* follower: sq[1] */
    uint32_t gen;           /* leader: generation of job slot 0 */

    /* doorbells of our protocol (eventfd / adaptive modes) */
    int efd_zen;    /* the zenedge side waits on it */
    int efd_bridge; /* the bridge side waits on it */
    /* the plain alternatives */
    int raw_efd_a;      /* leader -> follower */
    int raw_efd_b;      /* follower -> leader */
    int sock[2];        /* socketpair: [0] leader, [1] follower */
    uint32_t raw_value; /* last value this side stored on its raw line */
    uint32_t phase_seq; /* leader: seq of the phase in progress */

    struct bench_dpdk *dpdk; /* NULL when rte_ring is not available */
    struct bench_lay *lay;
} bench_ctx_t;

/* What the leader's half of a phase measured. */
typedef struct bench_sample {
    uint64_t ns; /* elapsed for `ops` operations */
    uint32_t ops;
    uint32_t doorbells; /* eventfd writes by the leader */
    uint32_t errors;    /* check failures seen by the leader */
} bench_sample_t;

typedef enum bench_kind {
    BENCH_RTT,    /* value: ns per round trip */
    BENCH_STREAM, /* value: ns per packet (one way) */
} bench_kind_t;

typedef enum bench_opsclass {
    BENCH_OPS_RTT,    /* opt->rtt_ops */
    BENCH_OPS_BLOCK,  /* opt->block_ops */
    BENCH_OPS_SLEEP,  /* opt->sleep_ops */
    BENCH_OPS_STREAM, /* opt->stream_ops */
} bench_opsclass_t;

typedef struct bench_item {
    const char *key;   /* JSON / CSV name */
    const char *label; /* table label */
    const char *group; /* "limit", "alternative", "ours", "layout" */
    bench_kind_t kind;
    bench_opsclass_t opsclass;
    uint32_t batch;        /* stream items: packets per enqueue/dequeue call */
    bool counts_doorbells; /* report eventfd writes per packet */
    /* Leader half: run `ops` operations, fill *s. Returns 0, or -1 on a
     * failure that ends the run (a system call error). */
    int (*lead)(bench_ctx_t *c, const struct bench_item *it, uint32_t ops, bench_sample_t *s);
    /* Follower half: serve `ops` operations; count check failures in
     * *errors and eventfd writes in *doorbells. Returns 0 or -1. */
    int (*follow)(bench_ctx_t *c, const struct bench_item *it, uint32_t ops, uint32_t arg, uint32_t *errors,
                  uint32_t *doorbells);
    /* NULL, or a reason why the item cannot run in this build/machine. */
    const char *(*unavailable)(const bench_ctx_t *c);
} bench_item_t;

/* bench_items.c */
extern const bench_item_t bench_items[];
extern const size_t bench_n_items;
size_t bench_shared_bytes(void);            /* mapping size needed */
int bench_setup(bench_ctx_t *c);            /* leader, before fork */
int bench_attach(bench_ctx_t *c, int role); /* each process, after fork */
void bench_teardown(bench_ctx_t *c);
/* Leader: wait for the follower's ack of phase seq. */
void bench_wait_ack(bench_ctx_t *c, uint32_t seq);
uint32_t bench_current_seq(const bench_ctx_t *c);

/* bench_layout.c: the ring layout experiment. */
size_t bench_lay_bytes(void);
int bench_lay_setup(bench_ctx_t *c, uint8_t *mem); /* leader, before fork */
int bench_lay_attach(bench_ctx_t *c);              /* each process */
int bench_lay_orig_rtt_lead(bench_ctx_t *, const bench_item_t *, uint32_t, bench_sample_t *);
int bench_lay_orig_rtt_follow(bench_ctx_t *, const bench_item_t *, uint32_t, uint32_t, uint32_t *, uint32_t *);
int bench_lay_new_rtt_lead(bench_ctx_t *, const bench_item_t *, uint32_t, bench_sample_t *);
int bench_lay_new_rtt_follow(bench_ctx_t *, const bench_item_t *, uint32_t, uint32_t, uint32_t *, uint32_t *);
int bench_lay_orig_stream_lead(bench_ctx_t *, const bench_item_t *, uint32_t, bench_sample_t *);
int bench_lay_orig_stream_follow(bench_ctx_t *, const bench_item_t *, uint32_t, uint32_t, uint32_t *, uint32_t *);
int bench_lay_new_stream_lead(bench_ctx_t *, const bench_item_t *, uint32_t, bench_sample_t *);
int bench_lay_new_stream_follow(bench_ctx_t *, const bench_item_t *, uint32_t, uint32_t, uint32_t *, uint32_t *);

/* bench_dpdk.c: DPDK rte_ring, initialised in our mapping without EAL. */
size_t bench_dpdk_bytes(void); /* 0 when built without DPDK */
int bench_dpdk_setup(bench_ctx_t *c, uint8_t *mem);
const char *bench_dpdk_unavailable(const bench_ctx_t *c);
int bench_dpdk_rtt_lead(bench_ctx_t *, const bench_item_t *, uint32_t, bench_sample_t *);
int bench_dpdk_rtt_follow(bench_ctx_t *, const bench_item_t *, uint32_t, uint32_t, uint32_t *, uint32_t *);
int bench_dpdk_stream_lead(bench_ctx_t *, const bench_item_t *, uint32_t, bench_sample_t *);
int bench_dpdk_stream_follow(bench_ctx_t *, const bench_item_t *, uint32_t, uint32_t, uint32_t *, uint32_t *);

/* A 16-byte packet of the streaming items: sequence number in payload_id. */
static inline ipc_packet_t bench_stream_pkt(uint32_t seq)
{
    ipc_packet_t p;
    p.cmd = CMD_PING;
    p.flags = 0;
    p.payload_id = seq;
    p.timestamp = seq;
    return p;
}

/* bench_e2e.c (or bench_e2e_none.c): the end-to-end RUN_MODEL section.
 * Runs after the paired items, when the harness's follower has ended: a
 * forked zenedge-bridged dispatcher (bridge_dispatch_run, poll doorbell)
 * pinned to the bridge CPU serves a POSIX-port proxy in the leader, which
 * alternates short phases of "direct" (the same backend called in-process),
 * "ring" (contract_submit_job + contract_wait through the region, tensors
 * copied in and out) and "ring in place" (contract_submit_bufs on tensor
 * buffers in the shared heap, no copy). */
#define BENCH_E2E_MAX_ROWS 8
enum {
    E2E_ST_CALL = 0, /* call -> t_submit (contract checks, input copy) */
    E2E_ST_QUEUE,    /* t_submit -> t_pickup (ring, bridge poll) */
    E2E_ST_PREP,     /* t_pickup -> t_backend_start (validation) */
    E2E_ST_BACKEND,  /* t_backend_start -> t_backend_end */
    E2E_ST_POST,     /* t_backend_end -> t_complete (answer posted) */
    E2E_ST_SEEN,     /* t_complete -> t_complete_seen (cq polled) */
    E2E_ST_RETURN,   /* t_complete_seen -> back in the caller (output copy) */
    E2E_ST_COUNT
};
typedef struct bench_e2e_row {
    char backend[16];
    char model[32];
    uint32_t model_id;
    double direct[3];           /* ns per job: median, min, max over phases */
    double ring[3];             /* ring with copies (contract_submit_job) */
    double ring_ip[3];          /* ring in place (contract_submit_bufs) */
    double direct_backend_ns;   /* median backend_ns of the direct jobs */
    double stage[E2E_ST_COUNT]; /* ring path: median over phases of the phase means */
    double stage_ip[E2E_ST_COUNT];
    double overhead_us;    /* median(ring) - median(direct) */
    double overhead_ip_us; /* median(ring in place) - median(direct) */
    uint32_t phases;
    uint32_t jobs_per_phase;
    uint32_t bad_times; /* ring jobs whose stage times were not usable */
    uint32_t bad_times_ip;
} bench_e2e_row_t;
typedef struct bench_e2e {
    bool measured;
    char note[256]; /* how it ran, or why not */
    uint32_t n_rows;
    bench_e2e_row_t row[BENCH_E2E_MAX_ROWS];
    uint64_t errors; /* wrong answers or failed jobs */
} bench_e2e_t;
/* Returns 0 (e->measured says whether anything ran) or -1 on a failure. */
int bench_e2e_run(const bench_opts_t *o, bench_e2e_t *e);

/* bench_rt_load.c (or bench_e2e_none.c): the "RT under load" section.
 * Runs after the e2e section, through a forked real dispatcher as there:
 * an RT contract (vector_add, one job in flight, released every
 * BENCH_RT_PERIOD_US) alone, and the same with a BACKGROUND contract
 * keeping BENCH_RT_FLOOD_DEPTH gemm jobs in flight, in alternating phases
 * of one run. Per RT job: the round trip (submit call to the job
 * collected) and submit->start (t_submit to t_backend_start, shared
 * clock). Percentiles are over all the jobs of one kind of phase. */
#define BENCH_RT_MAX_ROWS    3
#define BENCH_RT_PERIOD_US   1000u
#define BENCH_RT_FLOOD_DEPTH 8u
enum { BENCH_RT_ALONE = 0, BENCH_RT_FLOOD = 1 };
typedef struct bench_rt_row {
    char backend[16];
    char sched[192]; /* the dispatcher's doorbell and its workers' scheduling */
    uint32_t phases; /* of each kind */
    uint32_t jobs_per_phase;
    uint32_t n[2];       /* RT jobs measured: [alone], [flood] */
    uint32_t n_start[2]; /* of which with usable stage times */
    double rtt_p50[2], rtt_p99[2], rtt_max[2];
    double start_p50[2], start_p99[2];
    uint64_t flood_jobs;     /* BACKGROUND jobs completed in the flood phases */
    double flood_jobs_per_s; /* over the flood phases' time */
    uint32_t late;           /* RT releases that found the previous job still in flight */
    uint32_t stalls[2];      /* the leader off its CPU (a loop pass > 50 us late), per kind */
    bool noisy;              /* stalls in more than 1 % of a kind's jobs: the machine was busy */
    double ratio_rtt_p50;    /* flood / alone */
    double ratio_rtt_p99;
    double ratio_start_p99;
} bench_rt_row_t;
typedef struct bench_rt {
    bool measured;
    bool not_built; /* this build has no bridge library: nothing to check */
    char note[256]; /* how it ran, or why not */
    uint32_t n_rows;
    bench_rt_row_t row[BENCH_RT_MAX_ROWS];
    uint64_t errors; /* wrong answers or failed jobs */
} bench_rt_t;
/* Returns 0 (r->measured says whether anything ran) or -1 on a failure. */
int bench_rt_run(const bench_opts_t *o, bench_rt_t *r);

/* bench_xregion.c: "RT of region A under region B's BACKGROUND flood".
 * One zenedge-bridged serving two regions (CPU backend, dispatcher and
 * workers on CPU 1, both zenedge-sim instances on CPU 0), each region its
 * own zenedge-sim: A's periodic RT job (vector_add, one in flight,
 * BENCH_XR_RATE_HZ) alone, then under B's BACKGROUND flood
 * (BENCH_RT_FLOOD_DEPTH in flight); then both regions saturating NORMAL,
 * shares 3:1, the device time each got against its share. Flood and share
 * run the bench's load model xr_load (bench_xregion.c). */
#define BENCH_XR_RATE_HZ 500u
typedef struct bench_xregion {
    bool measured;
    char note[256];       /* how it ran, or why not */
    double rtt_p99_us[2]; /* A's RT round trip p99: [alone], [flood] */
    double rtt_p50_us[2];
    uint32_t rt_jobs[2];
    uint64_t flood_jobs;    /* B's BACKGROUND jobs done during the flood phase */
    double share_used[2];   /* device time of A, B over the saturated phase */
    double share_weight[2]; /* 0.75, 0.25 */
    double share_busy;      /* device time of both / the window (the dispatcher shares the CPU: 0.8-0.9 saturated) */
    double ratio_rtt_p99;   /* flood / alone: xregion_rt_rtt_p99_vs_alone */
    double share_error;     /* max |used - weight| / weight: xregion_share_error */
    uint64_t errors;        /* jobs not OK, a program that failed */
} bench_xregion_t;
/* Returns 0 (x->measured says whether anything ran) or -1 on a failure. */
int bench_xregion_run(const bench_opts_t *o, bench_xregion_t *x);
/* bench_xregion.c: its JSON ("xregion": {...},) and its ratios keys. */
void bench_report_xregion_json(FILE *f, const bench_xregion_t *x);
void bench_report_xregion_ratios(FILE *f, const bench_xregion_t *x);
/* bench_xregion.c: its lines of text: how it ran, each ratio with its
 * target and met / NOT met, the figures behind them. */
void bench_report_xregion_text(FILE *f, const bench_xregion_t *x);

/* ---------------------------------------------------------------------- */
/* The run: options, results, ratios, report                               */
/* ---------------------------------------------------------------------- */

/* median, min, max over the rounds (or phases) that have a value. */
typedef struct bench_summary {
    double median, min, max;
    uint32_t n;
} bench_summary_t;

/* Placement of the two vCPUs in a round, told by that round's raw RTT
 * (bench_ratios.c). */
#define BENCH_PLACES   3u
#define BENCH_N_RATIOS 13u /* entries of bench_ratios[] */

typedef struct bench_results {
    uint32_t rounds;
    double *value;     /* [item][round]: ns per RTT or per packet; NAN if not run */
    double *dbpp;      /* [item][round]: eventfd writes per packet */
    bool *run;         /* [item]: measured */
    const char **skip; /* [item]: reason, if skipped */
    bench_summary_t *item_sum;
    bench_summary_t *db_sum;
    bench_summary_t ratio_sum[BENCH_N_RATIOS];
    bench_summary_t ratio_cls[BENCH_N_RATIOS][BENCH_PLACES]; /* by placement class of the round */
    uint32_t cls_rounds[BENCH_PLACES];
    uint64_t errors;
    bench_e2e_t e2e;
    bench_rt_t rt;
    bench_xregion_t xr;
} bench_results_t;

/* bench_cli.c: fills *o from the command line. Returns BENCH_CLI_RUN, or
 * the exit status when the program ends here (--help, --list, --version:
 * 0; bad usage: 2). */
#define BENCH_CLI_RUN (-1)
int bench_cli_parse(int argc, char **argv, bench_opts_t *o);

/* bench_harness.c */
int bench_results_alloc(bench_results_t *res, uint32_t rounds); /* 0 or -1 */
void bench_results_free(bench_results_t *res);
/* Forks the follower, pins both sides, runs the rounds, ends the follower.
 * Returns 0, or 1 on a failure (already reported on stderr). */
int bench_harness_run(bench_ctx_t *c, bench_results_t *res);
/* Item medians (and doorbell counts) over the rounds. */
void bench_harness_summarise(bench_results_t *res);
/* median/min/max of the non-NaN values of v[0..n); scratch holds n values
 * and may be v itself (then v is reordered). */
bench_summary_t bench_summarise(const double *v, uint32_t n, double *scratch);
int bench_item_index(const char *key);                                /* -1 if there is no such item */
int bench_selftest_check(bench_ctx_t *c, const bench_results_t *res); /* 0 pass, 1 fail */
int bench_selftest_e2e_check(const bench_e2e_t *e);
int bench_selftest_rt_check(const bench_rt_t *r); /* 0 pass, 1 fail */

/* bench_ratios.c: every ratio with its target, in one table. */
typedef enum bench_cmp { BENCH_CMP_NONE = 0, BENCH_CMP_AT_MOST, BENCH_CMP_AT_LEAST } bench_cmp_t;
typedef struct bench_ratio {
    const char *key;
    const char *num; /* item key: ours */
    const char *den; /* item key: the reference */
    bool throughput; /* true: num throughput / den throughput (higher is better);
                               false: num time / den time (lower is better) */
    bench_cmp_t cmp;
    double target;
    const char *meaning;
} bench_ratio_t;
extern const bench_ratio_t bench_ratios[BENCH_N_RATIOS];
/* Eventfd writes per packet of one item, with its target (== 0). */
typedef struct bench_db_target {
    const char *key;
    const char *item;
    const char *target; /* as printed */
    double max;         /* met when the median is at most this */
    const char *meaning;
} bench_db_target_t;
extern const bench_db_target_t bench_db_target;
extern const double bench_e2e_target_us; /* e2e overhead, CPU backend: at most this */
/* RT under load: the ratios with flood / alone and their targets (CPU
 * backend; other backends are reported). */
typedef struct bench_rt_target {
    const char *key; /* JSON key of the CPU backend; "_<backend>" appended for others */
    double max;
    const char *meaning;
} bench_rt_target_t;
#define BENCH_RT_N_TARGETS 3u
extern const bench_rt_target_t bench_rt_targets[BENCH_RT_N_TARGETS];
/* The ratio of target k for one row (NAN when not measured). */
double bench_rt_ratio(const bench_rt_row_t *w, size_t k);
/* "met", "NOT met", "n/a", or "noisy" for a row measured on a busy machine. */
const char *bench_rt_status(size_t k, double v, bool noisy);
extern const double bench_place_near_ns; /* raw RTT below: "near" */
extern const double bench_place_far_ns;  /* raw RTT from: "far"; between: "mid" */
extern const char *const bench_place_names[BENCH_PLACES];
const char *bench_ratio_cmp_str(const bench_ratio_t *d);          /* "<=", ">=" or "" */
const char *bench_ratio_status(const bench_ratio_t *d, double v); /* "met", "NOT met", "n/a", "" */
const char *bench_e2e_status(double overhead_us);                 /* "met" or "NOT met" */
/* The largest CPU-backend overhead over models (in place, or copying);
 * NAN when none was measured. */
double bench_e2e_headline(const bench_e2e_t *e, bool copy);
/* Per-round ratios and their summaries, overall and by placement. */
void bench_ratios_compute(bench_results_t *res);

/* bench_report.c */
typedef struct bench_machine {
    char cpu_model[128];
    long n_cpus;
    char kernel[256];
    char date[64];
} bench_machine_t;
void bench_machine_read(bench_machine_t *m);
void bench_report_table(FILE *f, const bench_opts_t *o, const bench_machine_t *m, const bench_results_t *res);
int bench_report_json(const char *path, const bench_opts_t *o, const bench_machine_t *m,
                      const bench_results_t *res);                  /* 0 or -1 */
int bench_report_csv(const char *path, const bench_results_t *res); /* 0 or -1 */
void bench_json_str(FILE *f, const char *s);                        /* a JSON string, escaped */
void bench_json_num(FILE *f, double v);                             /* null for NaN and infinities */

/* bench_report_rt.c: the RT under load section. */
void bench_report_rt_targets(FILE *f, const char *pair, const bench_rt_t *e); /* ratio list lines */
void bench_report_rt_table(FILE *f, const bench_opts_t *o, const bench_rt_t *e);
void bench_report_rt_json_ratios(FILE *f, const bench_rt_t *e);            /* keys in "ratios" */
void bench_report_rt_json(FILE *f, const char *pair, const bench_rt_t *e); /* "rt_load": {...}, */

#endif /* ZENEDGE_BENCH_H */
