/* SPDX-License-Identifier: BSD-3-Clause */
/* zside.c - the ZENEDGE side played by the bridge tests (see zside.h). */
#define _GNU_SOURCE
#include "zside.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zenedge/barrier.h"

static zside_t *guarded;

static void cleanup(void)
{
    zside_t *z = guarded;
    if (z == NULL)
        return;
    guarded = NULL;
    if (z->bridge > 0) {
        kill(z->bridge, SIGKILL);
        waitpid(z->bridge, NULL, 0);
        z->bridge = 0;
    }
    if (z->map.base)
        zl_unmap(&z->map); /* owner: unlinks the shm object */
    if (z->stats[0])
        unlink(z->stats);
    if (z->sock[0])
        unlink(z->sock);
    if (z->file[0])
        unlink(z->file);
    /* Reached only on a failure: show the daemon's last words, then remove
     * the log (unless asked to keep it). */
    if (z->log[0]) {
        FILE *f = fopen(z->log, "r");
        if (f) {
            char line[512];
            long n = 0;
            while (fgets(line, sizeof(line), f))
                n++;
            rewind(f);
            fprintf(stderr, "--- zenedge-bridged log (last lines) ---\n");
            for (long i = 0; fgets(line, sizeof(line), f); i++)
                if (i >= n - 25)
                    fputs(line, stderr);
            fclose(f);
        }
        if (getenv("ZSIDE_KEEP_LOG") == NULL)
            unlink(z->log);
    }
}

static void on_signal(int sig)
{
    if (sig == SIGALRM) {
        static const char m[] = "FAIL: test deadline reached\n";
        ssize_t w = write(2, m, sizeof(m) - 1);
        (void)w;
    }
    cleanup();
    _exit(1);
}

void zside_guard(zside_t *z, unsigned deadline_s)
{
    guarded = z;
    atexit(cleanup);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGALRM, on_signal);
    alarm(deadline_s);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int attach_rings(zside_t *z)
{
    for (uint32_t r = 0; r < z->v.n_sq; r++)
        if (ipc_ring_prod_attach(&z->sq[r], z->v.sq[r], z->v.sq_slots) != IPC_OK)
            return -1;
    return ipc_ring_cons_attach(&z->cq, z->v.cq, z->v.cq_slots) == IPC_OK ? 0 : -1;
}

int zside_create(zside_t *z, const char *tag, uint32_t size, uint32_t max_jobs, uint32_t epoch)
{
    memset(z, 0, sizeof(*z));
    z->map.fd = -1;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(z->shm, sizeof(z->shm), "/zenedge-test-%s-%d", tag, (int)getpid());
    snprintf(z->stats, sizeof(z->stats), "%s/zenedge-test-%s-%d.stats", tmp, tag, (int)getpid());
    snprintf(z->log, sizeof(z->log), "%s/zenedge-test-%s-%d.log", tmp, tag, (int)getpid());
    snprintf(z->sock, sizeof(z->sock), "%s/zenedge-test-%s-%d.sock", tmp, tag, (int)getpid());
    if (zl_shm_create(&z->map, z->shm, size) != 0)
        return -1;
    return zside_reinit(z, max_jobs, epoch);
}

int zside_create_file(zside_t *z, const char *tag, uint64_t offset, uint32_t size, uint32_t max_jobs, uint32_t epoch)
{
    memset(z, 0, sizeof(*z));
    z->map.fd = -1;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(z->file, sizeof(z->file), "%s/zenedge-test-%s-%d.region", tmp, tag, (int)getpid());
    snprintf(z->stats, sizeof(z->stats), "%s/zenedge-test-%s-%d.stats", tmp, tag, (int)getpid());
    snprintf(z->log, sizeof(z->log), "%s/zenedge-test-%s-%d.log", tmp, tag, (int)getpid());
    snprintf(z->sock, sizeof(z->sock), "%s/zenedge-test-%s-%d.sock", tmp, tag, (int)getpid());
    z->file_off = offset;
    FILE *f = fopen(z->file, "w");
    if (f == NULL)
        return -1;
    int rc = ftruncate(fileno(f), (off_t)(offset + size));
    fclose(f);
    if (rc != 0 || zl_file_map(&z->map, z->file, offset, size, false) != 0)
        return -1;
    return zside_reinit(z, max_jobs, epoch);
}

int zside_reinit(zside_t *z, uint32_t max_jobs, uint32_t epoch)
{
    ipc_region_config_t cfg;
    ipc_region_config_default(&cfg, (uint32_t)z->map.size);
    cfg.max_jobs = max_jobs;
    cfg.sq_slots = 64;
    cfg.epoch = epoch;
    cfg.features = IPC_FEAT_SHARED_CLOCK | IPC_FEAT_NEED_WAKEUP;
    if (ipc_region_init(&z->v, z->map.base, &cfg) != IPC_OK)
        return -1;
    ipc_store_release(&z->v.hdr->zen.state, IPC_STATE_READY);
    memset(z->gen, 0, sizeof(z->gen));
    z->heap_next = z->v.heap_off;
    return attach_rings(z);
}

pid_t zside_start_bridge(zside_t *z, const char *exe, const char *models, const char *doorbell, ...)
{
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)exe;
    char off[32], size[32];
    if (z->file[0]) {
        snprintf(off, sizeof(off), "%llu", (unsigned long long)z->file_off);
        snprintf(size, sizeof(size), "%zu", z->map.size);
        argv[n++] = "--file";
        argv[n++] = z->file;
        argv[n++] = "--offset";
        argv[n++] = off;
        argv[n++] = "--size";
        argv[n++] = size;
    } else {
        argv[n++] = "--shm";
        argv[n++] = z->shm;
    }
    argv[n++] = "--models";
    argv[n++] = (char *)models;
    argv[n++] = "--doorbell";
    argv[n++] = (char *)doorbell;
    argv[n++] = "--socket";
    argv[n++] = z->sock;
    argv[n++] = "--stats-file";
    argv[n++] = z->stats;
    argv[n++] = "--log-level";
    argv[n++] = "debug";
    va_list ap;
    va_start(ap, doorbell);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 62)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    unlink(z->stats); /* dump_seq restarts with each daemon */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(z->log, "a", stderr);
        (void)f;
        execv(exe, argv);
        _exit(127);
    }
    z->bridge = pid;
    return pid;
}

bool zside_wait_ready(zside_t *z, uint32_t old_epoch, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 5) {
        uint32_t st = ipc_load_acquire(&z->v.hdr->bridge.state);
        uint32_t ep = ipc_load_acquire(&z->v.hdr->bridge.epoch);
        if (st == IPC_STATE_READY && ep != 0 && ep != old_epoch)
            return true;
        if (z->bridge > 0 && waitpid(z->bridge, NULL, WNOHANG) == z->bridge) {
            z->bridge = 0;
            return false;
        }
        sleep_ms(5);
    }
    return false;
}

int zside_stop_bridge(zside_t *z, int timeout_ms)
{
    if (z->bridge <= 0)
        return -1;
    kill(z->bridge, SIGTERM);
    for (int t = 0; t < timeout_ms; t += 5) {
        int status;
        if (waitpid(z->bridge, &status, WNOHANG) == z->bridge) {
            z->bridge = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        sleep_ms(5);
    }
    zside_kill_bridge(z);
    return -1;
}

void zside_kill_bridge(zside_t *z)
{
    if (z->bridge > 0) {
        kill(z->bridge, SIGKILL);
        waitpid(z->bridge, NULL, 0);
        z->bridge = 0;
    }
}

uint32_t zside_alloc(zside_t *z, uint32_t len)
{
    uint32_t off = z->heap_next;
    z->heap_next += (len + IPC_CACHELINE - 1u) & ~(IPC_CACHELINE - 1u);
    if (z->heap_next > z->v.heap_off + z->v.heap_size) {
        fprintf(stderr, "FAIL: test heap exhausted\n");
        exit(1);
    }
    return off;
}

uint32_t zside_next_handle(zside_t *z, uint32_t slot)
{
    uint32_t g = (z->gen[slot] + 1u) & IPC_GEN_MASK;
    if (g == 0)
        g = 1;
    z->gen[slot] = g;
    return IPC_HANDLE(g, slot);
}

void zside_fill(zside_t *z, uint32_t handle, uint32_t model, uint32_t qos, uint32_t n_in, const ipc_tensor_ref_t *in,
                uint32_t n_out, const ipc_tensor_ref_t *out)
{
    ipc_job_desc_t *d = &z->v.jobs[IPC_HANDLE_SLOT(handle)];
    memset(d, 0, 2u * IPC_CACHELINE);
    memset(&d->t_pickup, 0, IPC_CACHELINE);
    d->handle = handle;
    d->model_id = model;
    d->qos = (uint8_t)qos;
    d->n_in = (uint8_t)n_in;
    d->n_out = (uint8_t)n_out;
    for (uint32_t i = 0; i < n_in && i < IPC_MAX_TENSORS; i++)
        d->in[i] = in[i];
    for (uint32_t i = 0; i < n_out && i < IPC_MAX_TENSORS; i++)
        d->out[i] = out[i];
}

int zside_send(zside_t *z, uint32_t ring, uint16_t cmd, uint16_t flags, uint32_t payload)
{
    ipc_packet_t p = {.cmd = cmd, .flags = flags, .payload_id = payload, .timestamp = zl_now_ns()};
    return ipc_ring_enqueue(&z->sq[ring], &p);
}

int zside_wait(zside_t *z, ipc_packet_t *out, int timeout_ms)
{
    uint64_t until = zl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    for (uint32_t i = 0;; i++) {
        if (ipc_ring_dequeue(&z->cq, out) == IPC_OK)
            return 1;
        if ((i & 255u) == 255u) {
            if (zl_now_ns() > until)
                return 0;
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
}

static bool read_key(const char *path, const char *key, uint64_t *val)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[256];
    size_t kl = strlen(key);
    bool found = false;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            *val = strtoull(line + kl + 1, NULL, 10);
            found = true;
            break;
        }
    }
    fclose(f);
    return found;
}

bool zside_stat(zside_t *z, const char *key, uint64_t *val)
{
    if (z->bridge <= 0)
        return false;
    uint64_t before = 0;
    read_key(z->stats, "dump_seq", &before);
    kill(z->bridge, SIGUSR1);
    for (int t = 0; t < 20000; t += 5) {
        uint64_t seq = 0;
        if (read_key(z->stats, "dump_seq", &seq) && seq > before)
            return read_key(z->stats, key, val);
        sleep_ms(5);
    }
    return false;
}

bool zside_stat_cached(zside_t *z, const char *key, uint64_t *val)
{
    return read_key(z->stats, key, val);
}

void zside_destroy(zside_t *z)
{
    zside_kill_bridge(z);
    if (z->map.base)
        zl_unmap(&z->map);
    unlink(z->stats);
    unlink(z->sock);
    if (getenv("ZSIDE_KEEP_LOG") == NULL)
        unlink(z->log);
    if (z->file[0])
        unlink(z->file);
    guarded = NULL;
}
