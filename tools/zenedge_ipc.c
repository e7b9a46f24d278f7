/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zenedge-ipc - read-only inspection of a live ZENEDGE region.
 *
 *   zenedge-ipc stat  REGION [--watch S] [--count N]   header, epochs,
 *                                                     heartbeats, states, ring fill
 *   zenedge-ipc trace REGION [--all]                  per-job descriptor
 *                                                     timestamps as CSV
 *   REGION: --shm NAME | --file PATH [--offset N] --size N
 *
 * The region is mapped PROT_READ and validated with ipc_region_attach(),
 * so this tool can never disturb either side; every word it prints is a
 * single untorn read of a live, untrusted region. The object is checked
 * before it is mapped (owner: ours, root or --owner; no write for others)
 * and may shrink under us: a read past its new end raises SIGBUS, which
 * is caught and ends the run with a message (exit 1), never a crash.
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"
#include "zenedge/lat_hist.h"
#include "arbitrate.h"
#include "ipc_trace.h"
#include "zl.h"

#ifndef ZENEDGE_VERSION
#define ZENEDGE_VERSION "0.0.0"
#endif

static void usage(FILE *o)
{
    fprintf(o, "Usage: zenedge-ipc COMMAND REGION [OPTION]...\n"
               "Inspect a live ZENEDGE shared region, read-only (it is mapped PROT_READ and\n"
               "validated like the bridge does; neither side is disturbed).\n"
               "\n"
               "Commands:\n"
               "  stat        region header and layout, both sides' state (STALE: READY but\n"
               "              its heartbeat did not move over 3 periods + 20 ms), epoch,\n"
               "              heartbeat, doorbell counters, fill of every ring with the\n"
               "              weight the bridge uses (the region's, else its default\n"
               "              8/4/1), job slots in use, job trace count\n"
               "  trace       the job trace (protocol 1.2): one CSV line per collected job\n"
               "              with its handle, tag, model, QoS, end, every stage timestamp\n"
               "              (ns) and the stage durations (ns) in columns named as the\n"
               "              stages: submit->pickup, pickup->start, backend, end->complete,\n"
               "              complete->seen, seen->wake, round trip; a last comment line\n"
               "              \"# records=N lost=M\" counts records overwritten before read\n"
               "\n"
               "Region:\n"
               "  --shm NAME          POSIX shared memory object (e.g. /zenedge)\n"
               "  --file PATH         file or device holding the region\n"
               "  --offset N          byte offset of the region in PATH (default 0)\n"
               "  --size N            bytes of the region in PATH (default: to the end)\n"
               "  --owner USER[,USER] users that may own the region besides us and root\n"
               "                      (any other owner, a symbolic link, or a region\n"
               "                      others may write is refused)\n"
               "  --wait S            wait up to S seconds for the region to exist and be\n"
               "                      initialised (default 0: fail at once)\n"
               "Numbers are decimal (010 is ten) or hexadecimal with 0x.\n"
               "\n"
               "Options:\n"
               "  --json              stat: one JSON object; trace: JSON lines\n"
               "  --watch S           stat: repeat every S seconds until interrupted\n"
               "  --count N           stat: with --watch, stop after N reports\n"
               "  --follow            trace: keep streaming records as jobs complete, until\n"
               "                      the zenedge side goes OFFLINE or SIGINT/SIGTERM\n"
               "  --slots             trace: the job-slot descriptors instead (any protocol\n"
               "                      version; a slot shows only its latest job)\n"
               "  --all               trace --slots: also slots whose job has not completed\n"
               "  --version, --help\n"
               "\n"
               "Exit status (sysexits.h): 0 ok; 64 usage; 65 region rejected (malformed);\n"
               "66 no such object; 69 region not initialised yet (magic 0), or trace on a\n"
               "region without a job trace; 72 cannot map the object; 74 truncated while\n"
               "read; 77 refused (owner or mode).\n");
}

/* SIGBUS: the object shrank under the mapping. The handler jumps back to
 * main (its sigsetjmp), which reports and exits EX_IOERR. */
static sigjmp_buf bus_jump;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
    if (!bus_armed) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    bus_armed = 0;
    siglongjmp(bus_jump, 1);
}

/* The object still holds what we mapped (it may have been truncated). */
static bool still_backed(const zl_map_t *m)
{
    struct stat st;
    return fstat(m->fd, &st) == 0 && (!S_ISREG(st.st_mode) || (uint64_t)st.st_size >= (uint64_t)m->map_len);
}

static const char *state_name(uint32_t s)
{
    switch (s) {
    case IPC_STATE_OFFLINE: return "OFFLINE";
    case IPC_STATE_STARTING: return "STARTING";
    case IPC_STATE_READY: return "READY";
    case IPC_STATE_STOPPING: return "STOPPING";
    default: return "?";
    }
}

static void features_str(uint32_t f, char *buf, size_t len)
{
    snprintf(buf, len, "0x%08x%s%s%s%s", f, (f & IPC_FEAT_SHARED_CLOCK) ? " SHARED_CLOCK" : "",
             (f & IPC_FEAT_NEED_WAKEUP) ? " NEED_WAKEUP" : "", (f & IPC_FEAT_NONCOHERENT) ? " NONCOHERENT" : "",
             (f & IPC_FEAT_JOB_TRACE) ? " JOB_TRACE" : "");
}

/* One side's words, sampled: the heartbeat before and after a window. */
typedef struct side_sample {
    uint32_t state, epoch, hb0, hb, period, needs_wakeup, doorbells, wakeups, features;
    bool moving, stale; /* stale: READY but the heartbeat did not move over the window */
} side_sample_t;

typedef struct stat_sample {
    side_sample_t side[2]; /* zenedge, bridge */
    uint64_t window_ns;
    uint32_t weight_eff[IPC_MAX_SQ];
    uint32_t jobs_used, jobs_done, trace_head;
} stat_sample_t;

static void side_read(side_sample_t *x, const ipc_side_t *s)
{
    x->state = ipc_load_acquire(&s->state); /* L1 */
    x->epoch = ipc_load_acquire(&s->epoch); /* L2 */
    x->hb = ipc_read_once(&s->heartbeat);   /* L3 */
    x->period = ipc_read_once(&s->hb_period_us);
    x->needs_wakeup = ipc_read_once(&s->needs_wakeup);
    x->doorbells = ipc_read_once(&s->doorbells);
    x->wakeups = ipc_read_once(&s->wakeups);
    x->features = ipc_read_once(&s->features);
    x->moving = x->hb != x->hb0;
    x->stale = x->state == IPC_STATE_READY && !x->moving;
}

/* Both sides' heartbeats over three periods of the slower side plus
 * 20 ms (at most 3.02 s), the effective weights, the job slots. */
static void stat_sample(const ipc_region_t *v, stat_sample_t *x)
{
    const ipc_region_hdr_t *h = v->hdr;
    uint32_t pz = ipc_read_once(&h->zen.hb_period_us), pb = ipc_read_once(&h->bridge.hb_period_us);
    uint32_t p = pz > pb ? pz : pb;
    if (p == 0 || p > 1000000u)
        p = 10000u;
    x->side[0].hb0 = ipc_read_once(&h->zen.heartbeat); /* L3 */
    x->side[1].hb0 = ipc_read_once(&h->bridge.heartbeat);
    x->window_ns = 3ull * p * 1000u + 20000000u; /* as the ZENEDGE side's loss limit: 3 periods + 20 ms */
    struct timespec ts = {(time_t)(x->window_ns / 1000000000u), (long)(x->window_ns % 1000000000u)};
    nanosleep(&ts, NULL);
    side_read(&x->side[0], &h->zen);
    side_read(&x->side[1], &h->bridge);
    /* What the bridge uses without --weights: the region's hint, else its
     * defaults (bridge/arbitrate.c). */
    static const uint32_t none[IPC_MAX_SQ];
    bridge_arb_weights(none, v->sq_weight, x->weight_eff);
    x->jobs_used = x->jobs_done = 0;
    for (uint32_t s = 0; s < v->max_jobs; s++) {
        const ipc_job_desc_t *d = &v->jobs[s];
        if (ipc_read_once(&d->handle) != 0) {
            x->jobs_used++;
            x->jobs_done += ipc_read_once(&d->bridge_epoch) != 0;
        }
    }
    x->trace_head = v->trace ? ipc_load_acquire(&v->trace->head) : 0u; /* T2 */
}

static void print_side(const char *who, const side_sample_t *x, uint64_t window_ns, const ipc_side_t *s, uint32_t n_sq)
{
    printf("%-8s state %-8s epoch %-6u heartbeat %-10u (%s over %llu ms) hb_period_us %-6u needs_wakeup %u "
           "doorbells %u wakeups %u features 0x%08x\n",
           who, x->stale ? "STALE" : state_name(x->state), x->epoch, x->hb, x->moving ? "moving" : "still",
           (unsigned long long)(window_ns / 1000000u), x->period, x->needs_wakeup, x->doorbells, x->wakeups,
           x->features);
    if (x->stale)
        printf("%-8s STALE: state %s but the heartbeat did not move over %llu ms (3 periods + 20 ms): the process "
               "is gone or stuck\n",
               "", state_name(x->state), (unsigned long long)(window_ns / 1000000u));
    if (x->features & IPC_FEAT_START_TAILS) {
        printf("%-8s submission ring tails at the start of this epoch:", "");
        for (uint32_t i = 0; i < n_sq && i < IPC_MAX_SQ; i++)
            printf(" %u", ipc_read_once(&s->sq_tail_at_start[i]));
        printf("\n");
    }
}

static void stat_text(const ipc_region_t *v, const char *what, const stat_sample_t *x)
{
    char feat[160];
    features_str(v->features, feat, sizeof(feat));
    printf("region   %s: %u bytes, protocol %u.%u, features %s\n", what, v->size, IPC_VERSION_MAJOR, v->version_minor,
           feat);
    printf("layout   %u submission rings x %u slots, completion ring %u slots at 0x%x, %u jobs at 0x%x, heap %u "
           "bytes at 0x%x\n",
           v->n_sq, v->sq_slots, v->cq_slots, v->cq_off, v->max_jobs, v->jobs_off, v->heap_size, v->heap_off);
    print_side("zenedge", &x->side[0], x->window_ns, &v->hdr->zen, v->n_sq);
    print_side("bridge", &x->side[1], x->window_ns, &v->hdr->bridge, v->n_sq);
    for (uint32_t r = 0; r < v->n_sq; r++) {
        const ipc_ring_t *ring = v->sq[r];
        int fill = ipc_ring_peek_fill(ring, v->sq_slots);
        char w[48];
        if (r == 0)
            snprintf(w, sizeof(w), "%u (RT: served first)", v->sq_weight[r]);
        else if (v->sq_weight[r] == 0)
            snprintf(w, sizeof(w), "0 (bridge default %u)", x->weight_eff[r]);
        else
            snprintf(w, sizeof(w), "%u (bridge uses %u)", v->sq_weight[r], x->weight_eff[r]);
        printf("sq%-6u fill %4d/%-5u head %-10u tail %-10u weight %s%s\n", r, fill, v->sq_slots,
               ipc_read_once(&ring->head), ipc_read_once(&ring->tail), w, fill < 0 ? "  IMPOSSIBLE head/tail" : "");
    }
    int cfill = ipc_ring_peek_fill(v->cq, v->cq_slots);
    printf("cq       fill %4d/%-5u head %-10u tail %-10u%s\n", cfill, v->cq_slots, ipc_read_once(&v->cq->head),
           ipc_read_once(&v->cq->tail), cfill < 0 ? "  IMPOSSIBLE head/tail" : "");
    printf("jobs     %u of %u slots used at least once, %u answered by a bridge\n", x->jobs_used, v->max_jobs,
           x->jobs_done);
    if (v->trace)
        printf("trace    %u records written, ring of %u at 0x%x\n", x->trace_head, v->trace_slots, v->trace_off);
    else
        printf("trace    none (no IPC_FEAT_JOB_TRACE)\n");
}

static void json_side(const char *who, const side_sample_t *x)
{
    printf("\"%s\":{\"state\":\"%s\",\"stale\":%s,\"epoch\":%u,\"heartbeat\":%u,\"heartbeat_moving\":%s,"
           "\"hb_period_us\":%u,\"needs_wakeup\":%u,\"doorbells\":%u,\"wakeups\":%u,\"features\":%u}",
           who, state_name(x->state), x->stale ? "true" : "false", x->epoch, x->hb, x->moving ? "true" : "false",
           x->period, x->needs_wakeup, x->doorbells, x->wakeups, x->features);
}

/* One JSON object on one line; the region name is the caller's, printed
 * only after a check that it needs no escape. */
static void stat_json(const ipc_region_t *v, const char *what, const stat_sample_t *x)
{
    bool plain = strpbrk(what, "\"\\") == NULL;
    for (const char *c = what; *c; c++)
        plain = plain && (unsigned char)*c >= 0x20;
    printf("{\"region\":\"%s\",\"size\":%u,\"protocol\":\"%u.%u\",\"features\":%u,\"window_ms\":%llu,",
           plain ? what : "?", v->size, IPC_VERSION_MAJOR, v->version_minor, v->features,
           (unsigned long long)(x->window_ns / 1000000u));
    json_side("zenedge", &x->side[0]);
    printf(",");
    json_side("bridge", &x->side[1]);
    printf(",\"rings\":[");
    for (uint32_t r = 0; r < v->n_sq; r++)
        printf("%s{\"ring\":%u,\"slots\":%u,\"fill\":%d,\"head\":%u,\"tail\":%u,\"weight_region\":%u,"
               "\"weight_effective\":%u}",
               r ? "," : "", r, v->sq_slots, ipc_ring_peek_fill(v->sq[r], v->sq_slots), ipc_read_once(&v->sq[r]->head),
               ipc_read_once(&v->sq[r]->tail), v->sq_weight[r], r ? x->weight_eff[r] : 0u);
    printf("],\"cq\":{\"slots\":%u,\"fill\":%d,\"head\":%u,\"tail\":%u},", v->cq_slots,
           ipc_ring_peek_fill(v->cq, v->cq_slots), ipc_read_once(&v->cq->head), ipc_read_once(&v->cq->tail));
    printf("\"jobs\":{\"slots\":%u,\"used\":%u,\"answered\":%u},", v->max_jobs, x->jobs_used, x->jobs_done);
    if (v->trace)
        printf("\"trace\":{\"slots\":%u,\"written\":%u}}\n", v->trace_slots, x->trace_head);
    else
        printf("\"trace\":null}\n");
}

static int do_stat(const ipc_region_t *v, const char *what, bool json)
{
    stat_sample_t x;
    stat_sample(v, &x);
    if (json)
        stat_json(v, what, &x);
    else
        stat_text(v, what, &x);
    return 0;
}

typedef struct run {
    const zl_map_t *m;
    const char *what, *cmd;
    bool json;
    unsigned watch, count;
    trace_opts_t trace;
} run_t;

/* Validate the mapped region: IPC_OK, or the exit status after a message. */
static int attach(ipc_region_t *v, const zl_map_t *m, const char *what, bool quiet_not_ready)
{
    ipc_fault_t f = {0};
    uint32_t msize = m->size > IPC_REGION_MAX_SIZE ? IPC_REGION_MAX_SIZE : (uint32_t)m->size;
    int r = ipc_region_attach(v, m->base, msize, &f);
    if (r == IPC_E_NOT_READY) {
        if (!quiet_not_ready)
            fprintf(stderr, "zenedge-ipc: %s is not initialised yet (magic 0)\n", what);
        return EX_UNAVAILABLE;
    }
    if (r != IPC_OK) {
        fprintf(stderr, "zenedge-ipc: %s rejected: %s: %s = %u (0x%x) breaks limit %u: %s\n", what, ipc_strerror(r),
                f.field ? f.field : "?", f.value, f.value, f.limit, f.rule ? f.rule : "");
        return EX_DATAERR;
    }
    return IPC_OK;
}

/* Run the command on the validated region: the exit status. */
static int inspect(const run_t *run, const ipc_region_t *v)
{
    if (!strcmp(run->cmd, "trace"))
        return ipc_trace_run(v, &run->trace);
    for (unsigned n = 0;; n++) {
        if (!still_backed(run->m)) {
            fprintf(stderr,
                    "zenedge-ipc: %s shrank under the mapping (truncated or re-created by its owner): stopped\n",
                    run->what);
            return EX_IOERR;
        }
        int rc = do_stat(v, run->what, run->json);
        if (rc != 0 || run->watch == 0 || (run->count && n + 1 >= run->count) || ipc_trace_stop)
            return rc;
        fflush(stdout);
        sleep(run->watch);
        if (!run->json)
            printf("\n");
    }
}

static void on_stop(int sig)
{
    (void)sig;
    ipc_trace_stop = 1;
}

typedef struct cli {
    const char *shm, *file, *owner, *cmd;
    unsigned long long offset, size;
    unsigned watch, count;
    double wait_s;
    bool json;
    trace_opts_t trace;
} cli_t;

/* A decimal number (or hexadecimal with 0x): no octal, "010" is 10.
 * 0, or -1 when it is not a number in [0, max]. */
static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || v > max)
        return -1;
    *out = v;
    return 0;
}

static int bad_value(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "zenedge-ipc: %s '%s': %s (see --help)\n", opt, val, want);
    return EX_USAGE;
}

/* One option: -1 to go on, else the exit status. */
static int cli_option(cli_t *c, int o, const char *arg, const char *word)
{
    unsigned long long v;
    switch (o) {
    case 's': c->shm = arg; break;
    case 'f': c->file = arg; break;
    case 'o':
        if (parse_num(arg, IPC_REGION_MAX_SIZE * 4096ull, &c->offset))
            return bad_value("--offset", arg, "expected a byte offset (decimal, or 0x hexadecimal)");
        break;
    case 'z':
        if (parse_num(arg, IPC_REGION_MAX_SIZE, &c->size) || c->size == 0)
            return bad_value("--size", arg, "expected bytes in [1, 4294963200] (decimal, or 0x hexadecimal)");
        break;
    case 'w':
        if (parse_num(arg, 86400, &v) || v == 0)
            return bad_value("--watch", arg, "expected whole seconds in [1, 86400]");
        c->watch = (unsigned)v;
        break;
    case 'n':
        if (parse_num(arg, 1000000000, &v) || v == 0)
            return bad_value("--count", arg, "expected a count in [1, 1000000000]");
        c->count = (unsigned)v;
        break;
    case 'W': {
        char *end;
        errno = 0;
        c->wait_s = strtod(arg, &end);
        if (errno || end == arg || *end || !(c->wait_s >= 0 && c->wait_s <= 3600))
            return bad_value("--wait", arg, "expected seconds in [0, 3600]");
        break;
    }
    case 'a': c->trace.all = true; break;
    case 'F': c->trace.follow = true; break;
    case 'S': c->trace.slots = true; break;
    case 'j': c->json = c->trace.json = true; break;
    case 'O': c->owner = arg; break;
    case 'V':
        printf("zenedge-ipc %s (protocol %u.%u)\n", ZENEDGE_VERSION, IPC_VERSION_MAJOR, IPC_VERSION_MINOR);
        return 0;
    case 'h': usage(stdout); return 0;
    case ':': fprintf(stderr, "zenedge-ipc: %s needs a value (see --help)\n", word); return EX_USAGE;
    default: fprintf(stderr, "zenedge-ipc: unknown option '%s' (see --help)\n", word); return EX_USAGE;
    }
    return -1;
}

/* Options anywhere, the command word anywhere: -1 to go on, else the exit
 * status. */
static int cli_parse(cli_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"shm", required_argument, NULL, 's'},
        {"file", required_argument, NULL, 'f'},
        {"offset", required_argument, NULL, 'o'},
        {"size", required_argument, NULL, 'z'},
        {"watch", required_argument, NULL, 'w'},
        {"count", required_argument, NULL, 'n'},
        {"all", no_argument, NULL, 'a'},
        {"follow", no_argument, NULL, 'F'},
        {"slots", no_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},
        {"wait", required_argument, NULL, 'W'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"owner", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+:h", opts, NULL)) != -1 || optind < argc) {
        if (o == -1) { /* a word that is not an option: the command, once */
            if (c->cmd != NULL) {
                fprintf(stderr, "zenedge-ipc: unexpected argument '%s' after the command %s (see --help)\n",
                        argv[optind], c->cmd);
                return EX_USAGE;
            }
            c->cmd = argv[optind++];
            continue;
        }
        int rc = cli_option(c, o, optarg, argv[optind - 1]);
        if (rc >= 0)
            return rc;
    }
    if (c->cmd == NULL || (strcmp(c->cmd, "stat") && strcmp(c->cmd, "trace"))) {
        fprintf(stderr, "zenedge-ipc: %s%s%s: give a command, stat or trace (see --help)\n",
                c->cmd ? "unknown command '" : "no command", c->cmd ? c->cmd : "", c->cmd ? "'" : "");
        return EX_USAGE;
    }
    bool trace = !strcmp(c->cmd, "trace");
    const char *misplaced =
        trace && (c->watch || c->count)                                 ? "--watch/--count are stat options"
        : !trace && (c->trace.follow || c->trace.slots || c->trace.all) ? "--follow/--slots/--all are trace options"
        : trace && c->trace.slots && (c->trace.follow || c->json)       ? "--slots takes neither --follow nor --json"
                                                                        : NULL;
    if (misplaced != NULL) {
        fprintf(stderr, "zenedge-ipc: %s: %s (see --help)\n", c->cmd, misplaced);
        return EX_USAGE;
    }
    if ((c->shm == NULL) == (c->file == NULL)) {
        fprintf(stderr, "zenedge-ipc: give exactly one of --shm NAME or --file PATH (see --help)\n");
        return EX_USAGE;
    }
    return -1;
}

/* Map the object read-only and validate it, retrying for up to --wait
 * seconds while it does not exist or is not initialised: 0, or the exit
 * status after a message. */
static int open_region(const cli_t *c, zl_obj_policy_t *pol, zl_map_t *m, ipc_region_t *v)
{
    const char *what = c->shm ? c->shm : c->file;
    uint64_t give_up = zl_now_ns() + (uint64_t)(c->wait_s * 1e9);
    for (;;) {
        char why[1024] = "";
        int r = c->shm ? zl_shm_open_ex(m, c->shm, true, pol, why, sizeof(why))
                       : zl_file_map_ex(m, c->file, c->offset, (size_t)c->size, true, pol, why, sizeof(why));
        bool retry = zl_now_ns() < give_up && !ipc_trace_stop;
        if (r == -ENOENT && retry) {
            usleep(20000);
            continue;
        }
        if (r < 0) {
            fprintf(stderr, "zenedge-ipc: cannot map %s read-only: %s\n", what, why[0] ? why : strerror(-r));
            return r == -ENOENT ? EX_NOINPUT : (r == -EACCES || r == -EPERM || r == -ELOOP) ? EX_NOPERM : EX_OSFILE;
        }
        int rc = attach(v, m, what, retry);
        if (rc == IPC_OK)
            return 0;
        zl_unmap(m);
        if (rc != EX_UNAVAILABLE || !retry)
            return rc;
        usleep(20000);
    }
}

int main(int argc, char **argv)
{
    cli_t c = {0};
    int rc = cli_parse(&c, argc, argv);
    if (rc >= 0)
        return rc;
    zl_obj_policy_t pol;
    zl_obj_policy_init(&pol);
    pol.devices = c.file != NULL;
    char why[1024] = "";
    if (c.owner != NULL && zl_obj_policy_add_owners(&pol, c.owner, why, sizeof(why)) != 0) {
        fprintf(stderr, "zenedge-ipc: --owner %s: %s\n", c.owner, why);
        return EX_USAGE;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* SIGBUS (the object shrank under the mapping) from the first read
     * of the region (attach) to the last: a message and EX_IOERR. */
    static zl_map_t m;
    static ipc_region_t v;
    static run_t run;
    run = (run_t){&m, c.shm ? c.shm : c.file, c.cmd, c.json, c.watch, c.count, c.trace};
    signal(SIGBUS, on_sigbus);
    if (sigsetjmp(bus_jump, 1) != 0) {
        fflush(stdout);
        fprintf(stderr, "zenedge-ipc: %s shrank under the mapping (truncated or re-created by its owner): stopped\n",
                run.what);
        return EX_IOERR;
    }
    bus_armed = 1;
    if ((rc = open_region(&c, &pol, &m, &v)) == 0) {
        rc = inspect(&run, &v);
        zl_unmap(&m);
    }
    bus_armed = 0;
    return rc;
}
