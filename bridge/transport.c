/* SPDX-License-Identifier: BSD-3-Clause */
/* transport.c - region mapping for zenedge-bridged, with the SIGBUS guard. */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge_errors.h"
#include "zenedge/barrier.h"

/* The mappings the guard protects (one per region a daemon serves, and
 * the retired ones), read by the signal handler (which may run on a
 * heartbeat thread): lock-free atomics, safe in a handler. barrier.h
 * words except the exchange, a read-modify-write that the five words
 * have not: the dispatcher takes the hit and clears it at once. Slots are
 * taken and given back by the dispatch thread only. */
#define GUARDS 32
static uintptr_t guard_lo[GUARDS], guard_hi[GUARDS];
static int guard_hit[GUARDS];
_Static_assert(__atomic_always_lock_free(sizeof(uintptr_t), 0), "guard words are lock-free");

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int g = 0; g < GUARDS; g++) {
        uintptr_t lo = ipc_load_acquire(&guard_lo[g]);
        uintptr_t hi = ipc_load_acquire(&guard_hi[g]);
        if (lo == 0 || a < lo || a >= hi)
            continue;
        /* Replace the whole window by private zero pages: the faulting
         * access then completes, reads zeros (magic 0: "not ready"), and
         * the dispatcher remaps once it sees guard_hit. mmap(2) is a plain
         * system call, safe here. */
        void *p = mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != MAP_FAILED) {
            ipc_store_release(&guard_hit[g], 1);
            return;
        }
        break;
    }
    /* Not ours: the default action (core dump). */
    signal(sig, SIG_DFL);
    raise(sig);
}

int bridge_transport_guard_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGBUS, &sa, NULL) == 0 ? BRIDGE_OK : BRIDGE_E_SYS;
}

bool bridge_transport_faulted(const bridge_transport_t *t)
{
    return t->guard > 0 && __atomic_exchange_n(&guard_hit[t->guard - 1], 0, __ATOMIC_ACQ_REL) != 0;
}

/* Protect t's mapping: a free slot (none left: unguarded, as any other
 * SIGBUS). */
static void guard_take(bridge_transport_t *t)
{
    t->guard = 0;
    for (int g = 0; g < GUARDS && t->guard == 0; g++)
        if (ipc_load_acquire(&guard_lo[g]) == 0) {
            ipc_store_release(&guard_hit[g], 0);
            ipc_store_release(&guard_hi[g], (uintptr_t)t->map.map_base + t->map.map_len);
            ipc_store_release(&guard_lo[g], (uintptr_t)t->map.map_base);
            t->guard = g + 1;
        }
}

static int identity(int fd, dev_t *dev, ino_t *ino)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    *dev = st.st_dev;
    *ino = st.st_ino;
    return 0;
}

int bridge_transport_policy(const bridge_config_t *cfg, zl_obj_policy_t *p, char *err, size_t errlen)
{
    zl_obj_policy_init(p);
    p->devices = cfg->file[0] != '\0'; /* a UIO map or carve-out is a device */
    p->max_mode = (mode_t)cfg->shm_mode;
    char why[256] = "";
    if (cfg->shm_owner[0] && zl_obj_policy_add_owners(p, cfg->shm_owner, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "shm-owner: %s", why);
        return BRIDGE_E_CONFIG;
    }
    if (cfg->shm_group[0] && zl_group_parse(cfg->shm_group, &p->group, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "shm-group: %s", why);
        return BRIDGE_E_CONFIG;
    }
    return BRIDGE_OK;
}

int bridge_transport_open(bridge_transport_t *t, const bridge_config_t *cfg, int *sys_err)
{
    memset(t, 0, sizeof(*t));
    t->map.fd = -1;
    zl_obj_policy_t pol;
    char why[sizeof(t->what)] = "";
    if (bridge_transport_policy(cfg, &pol, why, sizeof(why)) != BRIDGE_OK) {
        snprintf(t->what, sizeof(t->what), "%s", why);
        *sys_err = EINVAL;
        return BRIDGE_E_TRANSPORT;
    }
    int r;
    if (cfg->shm[0]) {
        t->is_shm = true;
        snprintf(t->what, sizeof(t->what), "shm %s", cfg->shm);
        r = zl_shm_open_ex(&t->map, cfg->shm, false, &pol, why, sizeof(why));
        if (r == -ENOENT || r == -ENODATA) {
            *sys_err = -r;
            return BRIDGE_E_NOT_READY;
        }
    } else {
        snprintf(t->what, sizeof(t->what), "file %s offset %llu size %llu", cfg->file,
                 (unsigned long long)cfg->file_offset, (unsigned long long)cfg->file_size);
        r = zl_file_map_ex(&t->map, cfg->file, cfg->file_offset, (size_t)cfg->file_size, false, &pol, why, sizeof(why));
    }
    if (r < 0) {
        if (why[0]) /* the refusal names the object, what was found and what was expected */
            snprintf(t->what, sizeof(t->what), "%s", why);
        *sys_err = -r;
        return BRIDGE_E_TRANSPORT;
    }
    /* One daemon per object too (the lock file of instance.h is per
     * runtime directory): an OFD lock on byte 1 (byte 0 is the creator's),
     * held while mapped. */
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 1, .l_len = 1};
    if (fcntl(t->map.fd, F_OFD_SETLK, &l) != 0 && (errno == EAGAIN || errno == EACCES)) {
        snprintf(t->what, sizeof(t->what), "%.900s is served by another zenedge-bridged (it holds the object's lock)",
                 cfg->shm[0] ? cfg->shm : cfg->file);
        t->map.owner = 0;
        zl_unmap(&t->map);
        *sys_err = EBUSY;
        return BRIDGE_E_TRANSPORT;
    }
    if (t->map.size > IPC_REGION_MAX_SIZE)
        t->map.size = IPC_REGION_MAX_SIZE; /* the region addresses 32-bit offsets only */
    identity(t->map.fd, &t->dev, &t->ino);
    t->mapped = true;
    guard_take(t);
    return BRIDGE_OK;
}

bool bridge_transport_replaced(const bridge_transport_t *t, const bridge_config_t *cfg)
{
    if (!t->mapped || !t->is_shm)
        return false;
    char name[260];
    snprintf(name, sizeof(name), "%s%.250s", cfg->shm[0] == '/' ? "" : "/", cfg->shm);
    int fd = shm_open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0)
        return errno == ENOENT;
    dev_t dev = 0;
    ino_t ino = 0;
    bool other = identity(fd, &dev, &ino) == 0 && (dev != t->dev || ino != t->ino);
    struct stat st;
    /* Same object, but shrunk below our mapping: touching the tail would fault. */
    if (!other && fstat(fd, &st) == 0 && (uint64_t)st.st_size < t->map.map_len)
        other = true;
    close(fd);
    return other;
}

void bridge_transport_close(bridge_transport_t *t)
{
    if (!t->mapped)
        return;
    if (t->guard > 0) {
        ipc_store_release(&guard_lo[t->guard - 1], (uintptr_t)0);
        ipc_store_release(&guard_hi[t->guard - 1], (uintptr_t)0);
        ipc_store_release(&guard_hit[t->guard - 1], 0);
        t->guard = 0;
    }
    t->map.owner = 0; /* never unlink the peer's object */
    zl_unmap(&t->map);
    t->mapped = false;
}
