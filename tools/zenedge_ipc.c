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
#include <time.h>
#include <unistd.h>

#include "zenedge/barrier.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_proto.h"
#include "zenedge/ipc_region.h"
#include "zenedge/ipc_ring.h"
#include "zenedge/lat_hist.h"
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
               "  stat        region header and layout, both sides' state, epoch, heartbeat\n"
               "              (and whether it moves), doorbell counters, fill of every ring,\n"
               "              job slots in use\n"
               "  trace       one CSV line per job descriptor with its per-stage timestamps\n"
               "              (ns) and the stage durations derived from them (ns), in\n"
               "              columns named as the stages: submit->pickup, pickup->start,\n"
               "              backend, end->complete, complete->seen, seen->wake, round trip\n"
               "\n"
               "Region:\n"
               "  --shm NAME          POSIX shared memory object (e.g. /zenedge)\n"
               "  --file PATH         file or device holding the region\n"
               "  --offset N          byte offset of the region in PATH (default 0)\n"
               "  --size N            bytes of the region in PATH (default: to the end)\n"
               "  --owner USER[,USER] users that may own the region besides us and root\n"
               "                      (any other owner, a symbolic link, or a region\n"
               "                      others may write is refused)\n"
               "\n"
               "Options:\n"
               "  --watch S           stat: repeat every S seconds until interrupted\n"
               "  --count N           stat: with --watch, stop after N reports\n"
               "  --all               trace: also list slots whose job has not completed\n"
               "  --version, --help\n"
               "\n"
               "Exit status: 0 ok, 1 region rejected, refused, unreadable or truncated\n"
               "while read, 2 usage, 3 region not initialised yet (magic 0).\n");
}

/* SIGBUS: the object shrank under the mapping. The handler jumps back to
 * the guarded read (sigsetjmp in guarded()), which reports and exits 1. */
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
    snprintf(buf, len, "0x%08x%s%s%s", f, (f & IPC_FEAT_SHARED_CLOCK) ? " SHARED_CLOCK" : "",
             (f & IPC_FEAT_NEED_WAKEUP) ? " NEED_WAKEUP" : "", (f & IPC_FEAT_NONCOHERENT) ? " NONCOHERENT" : "");
}

static void print_side(const char *who, const ipc_side_t *s, uint32_t hb_before, uint64_t window_ns, uint32_t n_sq)
{
    uint32_t state = ipc_load_acquire(&s->state);
    uint32_t hb = ipc_read_once(&s->heartbeat);
    uint32_t period = ipc_read_once(&s->hb_period_us);
    const char *live = hb != hb_before ? "moving" : "still";
    printf("%-8s state %-8s epoch %-6u heartbeat %-10u (%s over %llu ms) hb_period_us %-6u needs_wakeup %u "
           "doorbells %u wakeups %u features 0x%08x\n",
           who, state_name(state), ipc_load_acquire(&s->epoch), hb, live, (unsigned long long)(window_ns / 1000000u),
           period, ipc_read_once(&s->needs_wakeup), ipc_read_once(&s->doorbells), ipc_read_once(&s->wakeups),
           ipc_read_once(&s->features));
    if (ipc_read_once(&s->features) & IPC_FEAT_START_TAILS) {
        printf("%-8s submission ring tails at the start of this epoch:", "");
        for (uint32_t i = 0; i < n_sq && i < IPC_MAX_SQ; i++)
            printf(" %u", ipc_read_once(&s->sq_tail_at_start[i]));
        printf("\n");
    }
}

static int do_stat(const ipc_region_t *v, const char *what)
{
    const ipc_region_hdr_t *h = v->hdr;
    char feat[128];
    features_str(v->features, feat, sizeof(feat));
    printf("region   %s: %u bytes, protocol %u.%u, features %s\n", what, v->size, IPC_VERSION_MAJOR, v->version_minor,
           feat);
    printf("layout   %u submission rings x %u slots, completion ring %u slots at 0x%x, %u jobs at 0x%x, heap %u "
           "bytes at 0x%x\n",
           v->n_sq, v->sq_slots, v->cq_slots, v->cq_off, v->max_jobs, v->jobs_off, v->heap_size, v->heap_off);
    /* Sample heartbeats over three periods of the slower side. */
    uint32_t pz = ipc_read_once(&h->zen.hb_period_us), pb = ipc_read_once(&h->bridge.hb_period_us);
    uint32_t p = pz > pb ? pz : pb;
    if (p == 0 || p > 1000000u)
        p = 10000u;
    uint32_t hz = ipc_read_once(&h->zen.heartbeat), hb = ipc_read_once(&h->bridge.heartbeat);
    uint64_t window = 3ull * p * 1000u;
    struct timespec ts = {(time_t)(window / 1000000000u), (long)(window % 1000000000u)};
    nanosleep(&ts, NULL);
    print_side("zenedge", &h->zen, hz, window, v->n_sq);
    print_side("bridge", &h->bridge, hb, window, v->n_sq);
    for (uint32_t r = 0; r < v->n_sq; r++) {
        const ipc_ring_t *ring = v->sq[r];
        int fill = ipc_ring_peek_fill(ring, v->sq_slots);
        printf("sq%-6u fill %4d/%-5u head %-10u tail %-10u weight %u%s\n", r, fill, v->sq_slots,
               ipc_read_once(&ring->head), ipc_read_once(&ring->tail), v->sq_weight[r],
               fill < 0 ? "  IMPOSSIBLE head/tail" : "");
    }
    int cfill = ipc_ring_peek_fill(v->cq, v->cq_slots);
    printf("cq       fill %4d/%-5u head %-10u tail %-10u%s\n", cfill, v->cq_slots, ipc_read_once(&v->cq->head),
           ipc_read_once(&v->cq->tail), cfill < 0 ? "  IMPOSSIBLE head/tail" : "");
    uint32_t used = 0, done = 0;
    for (uint32_t s = 0; s < v->max_jobs; s++) {
        const ipc_job_desc_t *d = &v->jobs[s];
        if (ipc_read_once(&d->handle) != 0) {
            used++;
            if (ipc_read_once(&d->bridge_epoch) != 0)
                done++;
        }
    }
    printf("jobs     %u of %u slots used at least once, %u answered by a bridge\n", used, v->max_jobs, done);
    return 0;
}

/* b - a when both are set and in order, else empty. */
static void delta(uint64_t a, uint64_t b)
{
    if (a != 0 && b != 0 && b >= a)
        printf(",%llu", (unsigned long long)(b - a));
    else
        printf(",");
}

static int do_trace(const ipc_region_t *v, bool all)
{
    /* The durations (ns) are named as the stages everywhere else
     * (lat_stage_name()). The descriptor keeps no t_wait_call, so here
     * seen->wake starts at t_complete_seen. */
    printf("slot,handle,generation,model_id,qos,t_submit,t_pickup,t_backend_start,t_backend_end,t_complete,"
           "t_complete_seen,t_wake,backend_ns,bridge_epoch,result");
    for (uint32_t s = 0; s < LAT_STAGES; s++)
        printf(",%s", lat_stage_name(s));
    printf("\n");
    for (uint32_t s = 0; s < v->max_jobs; s++) {
        ipc_job_desc_t d;
        memcpy(&d, &v->jobs[s], sizeof(d)); /* one copy of a live descriptor */
        if (d.handle == 0 || (!all && d.t_complete == 0))
            continue;
        printf("%u,0x%08x,%u,%u,%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%u,%u", s, d.handle,
               IPC_HANDLE_GEN(d.handle), d.model_id, d.qos, (unsigned long long)d.t_submit,
               (unsigned long long)d.t_pickup, (unsigned long long)d.t_backend_start,
               (unsigned long long)d.t_backend_end, (unsigned long long)d.t_complete,
               (unsigned long long)d.t_complete_seen, (unsigned long long)d.t_wake, (unsigned long long)d.backend_ns,
               d.bridge_epoch, d.result);
        /* Cross-side differences mean something only with a shared clock. */
        bool shared = (v->features & IPC_FEAT_SHARED_CLOCK) != 0;
        delta(shared ? d.t_submit : 0, d.t_pickup);
        delta(d.t_pickup, d.t_backend_start);
        delta(d.t_backend_start, d.t_backend_end);
        delta(d.t_backend_end, d.t_complete);
        delta(shared ? d.t_complete : 0, d.t_complete_seen);
        delta(d.t_complete_seen, d.t_wake);
        delta(d.t_submit, d.t_wake);
        printf("\n");
    }
    return 0;
}

/* Validate the mapped region and run the command: the exit status. */
static int inspect(const zl_map_t *m, const char *what, const char *cmd, bool all, unsigned watch, unsigned count)
{
    ipc_region_t v;
    ipc_fault_t f = {0};
    uint32_t msize = m->size > IPC_REGION_MAX_SIZE ? IPC_REGION_MAX_SIZE : (uint32_t)m->size;
    int r = ipc_region_attach(&v, m->base, msize, &f);
    if (r == IPC_E_NOT_READY) {
        fprintf(stderr, "zenedge-ipc: %s is not initialised yet (magic 0)\n", what);
        return 3;
    }
    if (r != IPC_OK) {
        fprintf(stderr, "zenedge-ipc: %s rejected: %s: %s = %u (0x%x) breaks limit %u: %s\n", what, ipc_strerror(r),
                f.field ? f.field : "?", f.value, f.value, f.limit, f.rule ? f.rule : "");
        return 1;
    }
    if (!strcmp(cmd, "trace"))
        return do_trace(&v, all);
    for (unsigned n = 0;; n++) {
        if (!still_backed(m)) {
            fprintf(stderr,
                    "zenedge-ipc: %s shrank under the mapping (truncated or re-created by its owner): stopped\n", what);
            return 1;
        }
        int rc = do_stat(&v, what);
        if (rc != 0 || watch == 0 || (count && n + 1 >= count))
            return rc;
        fflush(stdout);
        sleep(watch);
        printf("\n");
    }
}

typedef struct run {
    const zl_map_t *m;
    const char *what, *cmd;
    bool all;
    unsigned watch, count;
} run_t;

/* inspect() with SIGBUS caught: the exit status (1 after a truncation). */
static int guarded(const run_t *run)
{
    signal(SIGBUS, on_sigbus);
    if (sigsetjmp(bus_jump, 1) != 0) {
        fflush(stdout);
        fprintf(stderr, "zenedge-ipc: %s shrank under the mapping (truncated or re-created by its owner): stopped\n",
                run->what);
        return 1;
    }
    bus_armed = 1;
    int rc = inspect(run->m, run->what, run->cmd, run->all, run->watch, run->count);
    bus_armed = 0;
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"shm", required_argument, NULL, 's'},
        {"file", required_argument, NULL, 'f'},
        {"offset", required_argument, NULL, 'o'},
        {"size", required_argument, NULL, 'z'},
        {"watch", required_argument, NULL, 'w'},
        {"count", required_argument, NULL, 'n'},
        {"all", no_argument, NULL, 'a'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {"owner", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    const char *shm = NULL, *file = NULL, *owner = NULL;
    unsigned long long offset = 0, size = 0;
    unsigned watch = 0, count = 0;
    bool all = false;
    int o;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1 || optind < argc) {
        if (o == -1) { /* the command word, wherever it stands */
            optind++;
            continue;
        }
        char *end = NULL;
        switch (o) {
        case 's': shm = optarg; break;
        case 'f': file = optarg; break;
        case 'o': offset = strtoull(optarg, &end, 0); break;
        case 'z': size = strtoull(optarg, &end, 0); break;
        case 'w': watch = (unsigned)strtoul(optarg, &end, 10); break;
        case 'n': count = (unsigned)strtoul(optarg, &end, 10); break;
        case 'a': all = true; break;
        case 'O': owner = optarg; break;
        case 'V':
            printf("zenedge-ipc %s (protocol %u.%u)\n", ZENEDGE_VERSION, IPC_VERSION_MAJOR, IPC_VERSION_MINOR);
            return 0;
        case 'h': usage(stdout); return 0;
        default: fprintf(stderr, "zenedge-ipc: unknown option '%s' (see --help)\n", argv[optind - 1]); return 2;
        }
        if (end != NULL && *end != '\0') {
            fprintf(stderr, "zenedge-ipc: '%s' is not a number\n", optarg);
            return 2;
        }
    }
    /* The command is the first non-option word. */
    const char *cmd = NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            if (strchr(argv[i], '=') == NULL && strcmp(argv[i], "--all") && strcmp(argv[i], "--help") &&
                strcmp(argv[i], "--version"))
                i++; /* skip the option's value */
            continue;
        }
        cmd = argv[i];
        break;
    }
    if (cmd == NULL || (strcmp(cmd, "stat") && strcmp(cmd, "trace"))) {
        fprintf(stderr, "zenedge-ipc: give a command, stat or trace (see --help)\n");
        return 2;
    }
    if ((shm == NULL) == (file == NULL)) {
        fprintf(stderr, "zenedge-ipc: give exactly one of --shm NAME or --file PATH\n");
        return 2;
    }
    zl_obj_policy_t pol;
    zl_obj_policy_init(&pol);
    pol.devices = file != NULL;
    char why[1024] = "";
    if (owner != NULL && zl_obj_policy_add_owners(&pol, owner, why, sizeof(why)) != 0) {
        fprintf(stderr, "zenedge-ipc: --owner: %s\n", why);
        return 2;
    }
    zl_map_t m;
    int r = shm ? zl_shm_open_ex(&m, shm, true, &pol, why, sizeof(why))
                : zl_file_map_ex(&m, file, offset, (size_t)size, true, &pol, why, sizeof(why));
    const char *what = shm ? shm : file;
    if (r < 0) {
        fprintf(stderr, "zenedge-ipc: cannot map %s read-only: %s\n", what, why[0] ? why : strerror(-r));
        return 1;
    }
    run_t run = {&m, what, cmd, all, watch, count};
    int rc = guarded(&run);
    zl_unmap(&m);
    return rc;
}
