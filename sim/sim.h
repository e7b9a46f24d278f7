/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim.h - zenedge-sim's shared state, private to sim/.
 *
 * The program in four parts: the command line (sim_cli.c: options, --help,
 * task specs), the model catalogue (sim_models.c: the manifests of
 * --models through the bridge's registry, inputs and references per job),
 * the tasks (sim_tasks.c: what a task does per job) and the report
 * (sim_report.c: per-contract results, stage table, --hist CSV, summary
 * line). zenedge_sim.c lays out the region, keeps the doorbell link and
 * runs them in order; sim_soak.c (--soak) runs the tasks in rounds with a
 * re-initialisation of the proxy between two.
 */
#ifndef ZENEDGE_SIM_H
#define ZENEDGE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "contract.h"
#include "lat_trace.h"
#include "proxy.h"
#include "registry.h"
#include "port.h"

#define SIM_MAX_TASKS   16
#define SIM_MAX_DEPTH   64u    /* jobs a task keeps in flight, at most */
#define SIM_ZC_DEPTH    4u     /* most jobs in flight for a zero_copy task */
#define SIM_TENSOR_MAX  16384u /* the largest heap class: no tensor is larger */
#define SIM_COUNT_UNSET 0xFFFFFFFFu
#define SIM_TRACE_SLOTS 4096u /* job trace records in the region (512 KiB): zenedge-ipc trace --follow keeps up */

/* What the sim knows about a model, from its manifest: the computation
 * (named by its [backend.cpu] kernel and a signature that fits it), so it
 * can make inputs and a reference; a classifier (result = argmax with a
 * [dataset]) takes its inputs from the held-out set and is scored against
 * the labels; any other model gets inputs by dtype and a status check. */
typedef enum sim_kind {
    SIM_K_GENERIC = 0,
    SIM_K_VECTOR_ADD, /* vector_add_i32: exact */
    SIM_K_SAXPY,      /* saxpy_f32: tolerance */
    SIM_K_GEMM,       /* gemm_f32: tolerance */
    SIM_K_CLASSIFIER  /* argmax over the held-out set: result word and accuracy */
} sim_kind_t;

typedef struct sim_model {
    const bridge_model_t *m; /* its manifest, in sim.reg */
    proxy_model_t sig;       /* id, tensor counts and byte sizes for the proxy */
    sim_kind_t kind;
    uint32_t gm, gk, gn; /* gemm: a[m,k] x b[k,n] */
    /* classifier: the held-out set, loaded once before the tasks start */
    float *set_x;
    uint8_t *set_y;
    uint32_t set_n;
    bool set_tried;
    char set_err[BRIDGE_PATH_MAX + BRIDGE_FILE_MAX + 100]; /* why not, "" if read */
} sim_model_t;

typedef struct task {
    char name[48];
    uint32_t qos;
    char *model_spec, *allow_spec; /* A+B... as given, resolved by sim_tasks_resolve() */
    uint32_t models[ZEN_CFG_CONTRACT_MODELS];
    uint32_t n_models;
    uint32_t allow[ZEN_CFG_CONTRACT_MODELS];
    uint32_t n_allow;
    uint32_t count, inflight, depth, deadline_ms, budget_us, period_ms, rate_hz;
    uint32_t zero_copy;   /* tensor buffers in the heap, one set per pipeline slot */
    uint32_t phase_ms;    /* > 0: submits only in alternate windows of this length (sim_tasks.c) */
    uint32_t stop_ms;     /* > 0: submits nothing from this long after the tasks' start */
    uint32_t phase_state; /* SIM_PH_*, written by the task's thread, read by the others */
    uint32_t zc_in[SIM_ZC_DEPTH][IPC_MAX_TENSORS], zc_out[SIM_ZC_DEPTH][IPC_MAX_TENSORS];
    void *zc_pin[SIM_ZC_DEPTH][IPC_MAX_TENSORS], *zc_pout[SIM_ZC_DEPTH][IPC_MAX_TENSORS];
    /* results */
    contract_t c;
    uint32_t attempted, ok, failed, rejected, mismatches, labels_total, labels_correct;
    int error;         /* the task could not run (message printed) */
    lat_trace_t trace; /* per stage (zenedge/lat_hist.h): table, --hist, summary */
    /* round trips of a task without phase_ms, by what the phased tasks did
     * when the job was submitted: [SIM_SPLIT_WITHOUT] none was submitting
     * or had a job in flight, [SIM_SPLIT_WITH] one was in its "on" window */
    lat_hist_t rtt_split[2];
} task_t;

/* A phased task's state (task_t.phase_state). */
enum { SIM_PH_IDLE = 0, SIM_PH_ON = 1, SIM_PH_DRAIN = 2 };
enum { SIM_SPLIT_WITHOUT = 0, SIM_SPLIT_WITH = 1, SIM_SPLIT_NONE = 2 };

struct sim_state {
    const char *shm, *socket, *models_dir, *hist_path, *trace_path;
    FILE *hist_f, *trace_f;            /* opened before the run (sim_outputs_open) */
    int stop;                          /* SIGINT/SIGTERM number: tasks stop (read once) */
    const char *allow_uid, *allow_gid; /* bridges allowed beside our uid and root */
    unsigned shm_mode;                 /* --shm-mode; 0: 0660 with --shm-group, else 0600 */
    long shm_group;                    /* --shm-group as a gid, or -1: none */
    size_t size;
    int mode, cpu, quiet;
    double timeout_s;
    uint32_t spin_us, max_jobs, sq_slots;
    task_t tasks[SIM_MAX_TASKS];
    int n_tasks;
    int n_phased;     /* tasks with phase_ms */
    uint64_t t_tasks; /* when the tasks started: the phase windows count from it */
    /* the model catalogue */
    bridge_registry_t reg;
    sim_model_t models[BRIDGE_MAX_MODELS];
    uint32_t n_models;
    /* the ZENEDGE side */
    struct zport port;
    proxy_t *proxy;
    proxy_config_t cfg; /* as given to proxy_init() */
    void *base;         /* the mapped region */
    /* --soak SECONDS, --soak-round-s N (sim_soak.c); soak_s 0: no soak */
    uint32_t soak_s, soak_round_s;
};
extern struct sim_state sim;

/* sim_cli.c. Returns -1 to go on, else the exit status (--help, usage error). */
int sim_cli_parse(int argc, char **argv);
void sim_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *sim_qos_name(uint32_t qos);

/* sim_models.c */
int sim_models_load(void); /* 0, or 2 after a message */
sim_model_t *sim_model_find(uint32_t id);
sim_model_t *sim_model_find_name(const char *name);
/* A classifier's held-out set, read once (bridge_model_dataset()): NULL,
 * or why it cannot be read. */
const char *sim_model_load_set(sim_model_t *sm);
const char *sim_model_name(uint32_t id);
void sim_models_list(char *buf, size_t len); /* "a b c", for messages */
int sim_models_register(void);               /* the tasks' models with the proxy: 0 or 2 */
void sim_models_free(void);

typedef struct job {
    uint32_t h, model, idx;
    uint32_t zc_slot; /* zero_copy: the task's buffer set */
    const sim_model_t *sm;
    void *in[IPC_MAX_TENSORS];
    uint32_t n_in;
    void *ref;      /* expected output 0 (int32 or float), NULL if none */
    uint32_t split; /* SIM_SPLIT_*: the phased tasks' activity at submission */
    uint8_t label;  /* classifier: the held-out label */
} job_t;

void job_make(job_t *j, const sim_model_t *sm, uint32_t idx, uint32_t seed);
/* 1: output right (or nothing to check), 0: wrong; counts labels. */
int job_check(const job_t *j, const void *out0, uint32_t result, task_t *t);
void job_free(job_t *j);

/* sim_tasks.c */
/* Model names to ids, default counts, held-out sets: 0; 1 when a task
 * cannot run (message printed, the others run); 2 on a usage error. */
int sim_tasks_resolve(void);
int sim_tasks_prepare(void); /* contracts, zero-copy buffers: 0, or 2 */
void sim_tasks_run(void);    /* one thread per task, joined */
void sim_sleep_ns(uint64_t ns);

/* sim_trace.c: --trace. sim_outputs_open(): --hist and --trace FILEs
 * opened for writing before anything runs: -1, or EX_CANTCREAT after a
 * message. sim_trace_start()/sim_trace_stop(): a thread that follows the
 * region's job trace into --trace while the tasks run, then drains it and
 * writes the summary line; nothing without --trace. */
int sim_outputs_open(void);
void sim_trace_start(void);
void sim_trace_stop(void);

/* sim_report.c: every task's results, the proxy's counters, --hist, and
 * the summary line. Returns the number of failed jobs. */
uint32_t sim_report(void);

#endif /* ZENEDGE_SIM_H */
