/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zenedge-sim - the ZENEDGE partition as a Linux program: lays out the
 * shared region in POSIX shared memory, runs the portable proxy driver on
 * the POSIX port, and runs tasks (threads), each under its own contract,
 * against zenedge-bridged. See docs/zenedge-sim.md, --help and sim.h for
 * the parts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "sim_soak.h"
#include "zl.h"
#include "zenedge/barrier.h"

/* ---------------------------------------------------------------------- */
/* Doorbell link (eventfd / adaptive)                                      */
/* ---------------------------------------------------------------------- */

static char sock_path[300];
static int conn_fd = -1, peer_efd = -1;
static int link_stop;    /* set by main, read by the link thread: atomic, relaxed (the join orders the rest) */
static zl_allow_t allow; /* bridges we talk to: our uid, root, --allow-uid/--allow-gid */
static int refusals;     /* link thread only: refusals logged */

static int link_connect(int timeout_ms)
{
    zl_hello_t hello;
    zl_cred_t cred = {0, 0, 0};
    int pe = -1;
    int fd = zl_db_connect(sock_path, timeout_ms, zport_posix_irq_fd(&sim.port), IPC_SIDE_ZENEDGE, 1, &allow, &pe,
                           &hello, &cred);
    if (fd == -EACCES)
        refusals++;
    if (fd == -EACCES && (refusals & (refusals - 1)) == 0) { /* 1st, 2nd, 4th... */
        char a[160];
        fprintf(stderr,
                "zenedge-sim: the process listening on %s (pid %d uid %u gid %u) is not an allowed bridge (%s): "
                "nothing sent\n",
                sock_path, cred.pid, cred.uid, cred.gid, zl_allow_str(&allow, a, sizeof(a)));
    }
    if (fd < 0)
        return fd;
    conn_fd = fd;
    peer_efd = pe;
    zport_posix_set_peer(&sim.port, pe);
    sim_say("zenedge-sim: doorbell socket %s connected (bridge pid %d uid %u, epoch %u)\n", sock_path, cred.pid,
            cred.uid, (unsigned)hello.epoch);
    return 0;
}

/* The socket path (--socket, else the default in the runtime directory,
 * whose owner and mode are checked) and the allow list: 0, or 1 after a
 * message. */
static int link_prepare(void)
{
    zl_allow_init(&allow);
    if ((sim.allow_uid && zl_allow_add(&allow, sim.allow_uid, false)) ||
        (sim.allow_gid && zl_allow_add(&allow, sim.allow_gid, true))) {
        fprintf(stderr, "zenedge-sim: --allow-uid/--allow-gid: not a list of at most %d numbers or known names\n",
                ZL_ALLOW_MAX);
        return 1;
    }
    if (sim.socket) {
        snprintf(sock_path, sizeof(sock_path), "%s", sim.socket);
        return 0;
    }
    char dir[256], why[512];
    int r = zl_runtime_dir(dir, sizeof(dir));
    if (r == 0 && (r = zl_runtime_dir_check(dir, &allow, why, sizeof(why))) != 0) {
        fprintf(stderr, "zenedge-sim: doorbell socket directory %s\n", why);
        return 1;
    }
    if (r == 0)
        r = zl_default_socket(sim.shm, sock_path, sizeof(sock_path));
    if (r != 0) {
        fprintf(stderr, "zenedge-sim: no default doorbell socket (%s): give --socket PATH\n", strerror(-r));
        return 1;
    }
    return 0;
}

static void *link_main(void *arg)
{
    (void)arg;
    while (!ipc_read_once(&link_stop)) {
        if (conn_fd >= 0 && zl_db_peer_gone(conn_fd)) {
            sim_say("zenedge-sim: bridge closed the doorbell socket; reconnecting\n");
            zport_posix_set_peer(&sim.port, -1);
            close(conn_fd);
            conn_fd = -1;
            /* the old fd may still be in a write of zport_doorbell(): keep it open one round */
            int old = peer_efd;
            peer_efd = -1;
            sim_sleep_ns(20000000);
            if (old >= 0)
                close(old);
        }
        if (conn_fd < 0)
            (void)link_connect(100);
        else if (peer_efd >= 0 && !zl_db_nonblocking(peer_efd)) { /* the bridge shares the description */
            sim_say("zenedge-sim: the bridge made its doorbell eventfd blocking; non-blocking again\n");
            (void)zl_db_adopt(peer_efd);
        }
        sim_sleep_ns(10000000);
    }
    return NULL;
}

/* Connect the doorbell socket (not in poll mode; in slices, so that a
 * stop signal is seen) and wait until the bridge is READY: 0, or the exit
 * status after a message (EX_UNAVAILABLE: no bridge answered). */
static int bridge_wait(pthread_t *link, int *have_link)
{
    uint64_t give_up = zl_now_ns() + (uint64_t)(sim.timeout_s * 1e9);
    if (sim.mode != IPC_DB_POLL) {
        if (link_prepare())
            return EX_USAGE;
        int r;
        while ((r = link_connect(200)) < 0 && zl_now_ns() < give_up && !ipc_read_once(&sim.stop))
            ;
        if (r < 0 && ipc_read_once(&sim.stop))
            return EX_UNAVAILABLE; /* stopped while waiting: no more to say */
        if (r < 0) {
            fprintf(stderr,
                    "zenedge-sim: no bridge answered: none on the doorbell socket %s within %.1f s (%s); is "
                    "zenedge-bridged --shm %s running? No job ran\n",
                    sock_path, sim.timeout_s, strerror(-r), sim.shm);
            return EX_UNAVAILABLE;
        }
        *have_link = pthread_create(link, NULL, link_main, NULL) == 0;
    }
    while (!proxy_bridge_online(sim.proxy) && zl_now_ns() < give_up && !ipc_read_once(&sim.stop))
        sim_sleep_ns(5000000);
    if (!proxy_bridge_online(sim.proxy) && ipc_read_once(&sim.stop))
        return EX_UNAVAILABLE;
    if (!proxy_bridge_online(sim.proxy)) {
        fprintf(stderr,
                "zenedge-sim: no bridge answered: none became READY on region %s within %.1f s (is "
                "zenedge-bridged --shm %s running?). No job ran\n",
                sim.shm, sim.timeout_s, sim.shm);
        return EX_UNAVAILABLE;
    }
    return 0;
}

/* SIGINT/SIGTERM are blocked in every thread (set before any is made) and
 * taken here: the tasks stop, main reports, removes the region and exits
 * 128+signal. */
static void *signal_main(void *arg)
{
    sigset_t *set = arg;
    int sig;
    while (sigwait(set, &sig) == 0) {
        if (!ipc_read_once(&sim.stop))
            fprintf(stderr, "zenedge-sim: %s: stopping the tasks, then removing the region\n", strsignal(sig));
        ipc_write_once(&sim.stop, sig);
    }
    return NULL;
}

static void signals_take(void)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, signal_main, &set) == 0)
        pthread_detach(th);
}

/* ---------------------------------------------------------------------- */
/* The region                                                              */
/* ---------------------------------------------------------------------- */

/* Heap: classes that fit the shipped tensors (4 and 40 -> 64, 256, 4096,
 * 16384 bytes), about 45% of the bytes each to the two large classes,
 * bounded by ZEN_CFG_HEAP_MAX_BLOCKS links. 0, or 2 when the region is
 * too small. */
static int heap_config(proxy_config_t *cfg)
{
    ipc_region_config_t rc;
    ipc_region_config_default(&rc, (uint32_t)sim.size);
    rc.max_jobs = cfg->max_jobs;
    rc.sq_slots = cfg->sq_slots;
    rc.trace_slots = cfg->trace_slots;
    uint32_t layout = ipc_region_layout_bytes(&rc);
    uint32_t heap = (uint32_t)sim.size > layout + 4096u ? (uint32_t)sim.size - layout - 4096u : 0;
    uint32_t n64 = 512, n256 = 256;
    uint32_t rest = heap > n64 * 64 + n256 * 256 ? heap - n64 * 64 - n256 * 256 : 0;
    uint32_t n4k = rest / 2 / 4096, n16k = rest / 2 / SIM_TENSOR_MAX;
    if (n4k > 2048)
        n4k = 2048;
    if (n16k > 1024)
        n16k = 1024;
    if (n4k < 3 || n16k < 3) {
        fprintf(stderr,
                "zenedge-sim: --size %zu leaves a heap of %u bytes: too small for the shipped tensors "
                "(need about 1 MiB)\n",
                sim.size, heap);
        return 2;
    }
    cfg->n_heap_classes = 4;
    cfg->heap[0] = (ipc_heap_class_cfg_t){64, n64};
    cfg->heap[1] = (ipc_heap_class_cfg_t){256, n256};
    cfg->heap[2] = (ipc_heap_class_cfg_t){4096, n4k};
    cfg->heap[3] = (ipc_heap_class_cfg_t){SIM_TENSOR_MAX, n16k};
    return 0;
}

/* The proxy over the mapped region, on the POSIX port, its models
 * registered: 0, or the exit status after a message. */
static int region_setup(void *base)
{
    if (zport_posix_init(&sim.port, sim.mode) != 0) {
        fprintf(stderr, "zenedge-sim: port init failed\n");
        return EX_OSERR;
    }
    zport_posix_set_log(&sim.port, sim.quiet ? ZPORT_LOG_WARN : ZPORT_LOG_INFO, "zenedge-sim ");
    sim.proxy = calloc(1, sizeof(*sim.proxy));
    proxy_config_t cfg;
    proxy_config_default(&cfg, &sim.port, (uint32_t)sim.size);
    cfg.max_jobs = sim.max_jobs;
    cfg.sq_slots = sim.sq_slots;
    cfg.features = IPC_FEAT_SHARED_CLOCK | (sim.mode == IPC_DB_ADAPTIVE ? IPC_FEAT_NEED_WAKEUP : 0u);
    cfg.doorbell = (uint32_t)sim.mode;
    cfg.epoch = (uint32_t)time(NULL) | 1u;
    cfg.trace_slots = ZEN_CFG_JOB_TRACE ? SIM_TRACE_SLOTS : 0u;
    if (heap_config(&cfg))
        return EX_USAGE;
    sim.cfg = cfg;
    sim.base = base;
    int r = proxy_init(sim.proxy, base, &cfg);
    if (r != PROXY_OK) {
        fprintf(stderr, "zenedge-sim: proxy_init: %s\n", proxy_strerror(r));
        return EX_SOFTWARE;
    }
    if (sim_models_register() || sim_tasks_prepare())
        return EX_USAGE;
    sim_say("zenedge-sim: region %s: %zu bytes, %u jobs, %u-slot rings, heap 64x%u 256x%u 4096x%u 16384x%u, "
            "doorbell %s\n",
            sim.shm, sim.size, cfg.max_jobs, cfg.sq_slots, cfg.heap[0].count, cfg.heap[1].count, cfg.heap[2].count,
            cfg.heap[3].count, ipc_db_mode_name(sim.mode));
    return 0;
}

static void sim_free(void)
{
    if (conn_fd >= 0)
        close(conn_fd);
    if (peer_efd >= 0)
        close(peer_efd);
    for (int i = 0; i < sim.n_tasks; i++) {
        free(sim.tasks[i].model_spec);
        free(sim.tasks[i].allow_spec);
    }
    free(sim.proxy);
    sim_models_free();
    if (sim.hist_f)
        fclose(sim.hist_f);
    if (sim.trace_f)
        fclose(sim.trace_f);
}

/* Options, output files, manifests, task specs: -1 to go on, else the
 * exit status; *exit_code 1 when a task cannot run (the others do). */
static int prepare(int argc, char **argv, int *exit_code)
{
    int rc = sim_cli_parse(argc, argv);
    if (rc < 0)
        rc = sim_outputs_open();
    if (rc < 0 && sim_models_load() != 0)
        rc = EX_CONFIG;
    if (rc < 0) {
        *exit_code = sim_tasks_resolve(); /* 1: a task cannot run, the others do */
        rc = *exit_code == 2 ? EX_USAGE : -1;
    }
    return rc;
}

/* The region, created new: 0, or the exit status after a message. */
static int region_create(zl_map_t *map)
{
    char why[1024] = "";
    int r = zl_shm_create_ex(map, sim.shm, sim.size, (mode_t)sim.shm_mode,
                             sim.shm_group >= 0 ? (gid_t)sim.shm_group : ZL_NO_GROUP, why, sizeof(why));
    if (r < 0)
        fprintf(stderr, "zenedge-sim: cannot create shared memory %s of %zu bytes: %s\n", sim.shm, sim.size,
                why[0] ? why : strerror(-r));
    return r == 0 ? 0 : (r == -EEXIST || r == -EPERM || r == -EACCES) ? EX_NOPERM : EX_CANTCREAT;
}

int main(int argc, char **argv)
{
    int exit_code = 0;
    setvbuf(stdout, NULL, _IOLBF, 0); /* the report and messages in their order */
    signals_take();
    int rc = prepare(argc, argv, &exit_code);
    if (rc >= 0) {
        sim_free();
        return rc;
    }
    if (sim.cpu >= 0) {
        int r = zl_pin_cpu(sim.cpu);
        if (r < 0)
            fprintf(stderr, "zenedge-sim: cannot pin to CPU %d: %s (running unpinned)\n", sim.cpu, strerror(-r));
    }
    zl_map_t map;
    if ((rc = region_create(&map)) != 0) {
        sim_free();
        return rc;
    }
    if ((rc = region_setup(map.base)) != 0) {
        zl_unmap(&map);
        sim_free();
        return rc;
    }
    proxy_start(sim.proxy);
    zport_posix_start(&sim.port, sim.proxy, 0, (uint64_t)sim.spin_us * 1000u);

    pthread_t link;
    int have_link = 0, runnable = 0, bridge_rc = 0;
    for (int i = 0; i < sim.n_tasks; i++)
        runnable |= !sim.tasks[i].error;
    int soak_rc = 0;
    if (runnable && !ipc_read_once(&sim.stop) && (bridge_rc = bridge_wait(&link, &have_link)) == 0) {
        sim_trace_start();
        if (sim.soak_s)
            soak_rc = sim_soak_run();
        else
            sim_tasks_run();
        sim_trace_stop();
    } else {
        exit_code = 1;
    }

    ipc_write_once(&link_stop, 1);
    if (have_link)
        pthread_join(link, NULL);
    zport_posix_stop(&sim.port);
    proxy_stop(sim.proxy);
    if (bridge_rc == 0 && sim_report() && !sim.soak_s) /* a soak's failures a restart explains are no error */
        exit_code = 1;
    if (bridge_rc == 0 && sim.soak_s && (sim_soak_report() || soak_rc))
        exit_code = 1;
    zport_posix_destroy(&sim.port);
    zl_unmap(&map);
    int sig = ipc_read_once(&sim.stop);
    sim_free();
    return sig ? 128 + sig : bridge_rc ? bridge_rc : exit_code;
}
