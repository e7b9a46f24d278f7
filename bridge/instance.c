/* SPDX-License-Identifier: BSD-3-Clause */
/* instance.c - the one-daemon-per-region lock (instance.h). */
#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge_errors.h"
#include "zl.h"

/* A directory of ours (or root's) that others cannot write, unless sticky. */
static int dir_ok(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        snprintf(err, errlen, "runtime directory %s: %s", dir, strerror(errno));
        return BRIDGE_E_IO;
    }
    bool shared_ok = (st.st_mode & S_ISVTX) != 0;
    if (!S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) ||
        ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !shared_ok)) {
        char who[96];
        snprintf(err, errlen,
                 "runtime directory %s refused: %s, owned by %s, mode %04o (expected a directory of ours or "
                 "root's that others cannot write)",
                 dir, S_ISDIR(st.st_mode) ? "a directory" : "not a directory", zl_uid_str(st.st_uid, who, sizeof(who)),
                 (unsigned)(st.st_mode & 07777));
        return BRIDGE_E_IO;
    }
    return BRIDGE_OK;
}

/* The directory and a prefix for the lock file's name: the one runtime
 * directory of our sockets (linux/zl.h), made or checked as the doorbell
 * socket's is; /dev/shm (sticky) with our uid in the name when there is
 * none (no root, no XDG_RUNTIME_DIR). */
static int lock_dir(char *dir, size_t len, char *prefix, size_t plen, char *err, size_t errlen)
{
    prefix[0] = '\0';
    int e = zl_runtime_dir(dir, len);
    if (e == -ENOENT) {
        snprintf(dir, len, "/dev/shm");
        snprintf(prefix, plen, "zenedge-bridged-u%u-", (unsigned)geteuid());
        return dir_ok(dir, err, errlen);
    }
    if (e < 0) {
        snprintf(err, errlen, "runtime directory: %s", strerror(-e));
        return BRIDGE_E_IO;
    }
    char why[256];
    e = zl_runtime_dir_make(dir, -1, why, sizeof(why));
    if (e < 0) {
        snprintf(err, errlen, "runtime directory %s", why);
        return BRIDGE_E_IO;
    }
    return BRIDGE_OK;
}

/* The region's key: the shm name, or the backing file's identity. */
static void region_key(const bridge_config_t *cfg, char *key, size_t len)
{
    struct stat st;
    if (cfg->shm[0]) {
        const char *n = cfg->shm;
        while (*n == '/')
            n++;
        snprintf(key, len, "%s", n);
    } else if (stat(cfg->file, &st) == 0) {
        snprintf(key, len, "file-%llx-%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    } else {
        snprintf(key, len, "file-%.250s", cfg->file);
    }
    for (char *p = key; *p; p++)
        if (*p == '/')
            *p = '_';
}

/* Open the lock file: a regular file of ours, never through a link. */
static int lock_open(bridge_instance_t *in, char *err, size_t errlen)
{
    in->fd = open(in->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (in->fd < 0) {
        snprintf(err, errlen, "lock file %s: %s", in->path, strerror(errno));
        return BRIDGE_E_IO;
    }
    zl_obj_policy_t p;
    zl_obj_policy_init(&p);
    char what[sizeof(in->path) + 16], why[sizeof(in->path) + 512];
    snprintf(what, sizeof(what), "lock file %s", in->path);
    struct stat st;
    if (zl_obj_check(in->fd, what, &p, why, sizeof(why)) != 0 || fstat(in->fd, &st) != 0 || st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s", why[0] ? why : "lock file is root's, not ours");
        close(in->fd);
        in->fd = -1;
        return BRIDGE_E_IO;
    }
    return BRIDGE_OK;
}

int bridge_instance_lock(bridge_instance_t *in, const bridge_config_t *cfg, char *err, size_t errlen)
{
    char dir[BRIDGE_CFG_PATH], prefix[64], key[300];
    in->fd = -1;
    int rc = lock_dir(dir, sizeof(dir), prefix, sizeof(prefix), err, errlen);
    if (rc != BRIDGE_OK)
        return rc;
    region_key(cfg, key, sizeof(key));
    snprintf(in->path, sizeof(in->path), "%s/%s%s.lock", dir, prefix, key);
    if ((rc = lock_open(in, err, errlen)) != BRIDGE_OK)
        return rc;
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(in->fd, F_OFD_SETLK, &l) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(in->fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EAGAIN || e == EACCES)
            snprintf(err, errlen, "another zenedge-bridged (pid %s) serves %s (lock %s)", pid[0] ? pid : "?",
                     cfg->shm[0] ? cfg->shm : cfg->file, in->path);
        else
            snprintf(err, errlen, "lock file %s: %s", in->path, strerror(e));
        bridge_instance_unlock(in);
        return e == EAGAIN || e == EACCES ? BRIDGE_E_BUSY : BRIDGE_E_IO;
    }
    char line[32];
    int len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
    if (ftruncate(in->fd, 0) != 0 || pwrite(in->fd, line, (size_t)len, 0) != len) {
        snprintf(err, errlen, "lock file %s: cannot write our pid: %s", in->path, strerror(errno));
        bridge_instance_unlock(in);
        return BRIDGE_E_IO;
    }
    return BRIDGE_OK;
}

void bridge_instance_unlock(bridge_instance_t *in)
{
    if (in->fd >= 0)
        close(in->fd);
    in->fd = -1;
}

int bridge_instance_lock_all(bridge_instance_t in[BRIDGE_REGIONS_MAX], const bridge_config_t *cfg, char *err,
                             size_t errlen)
{
    for (uint32_t i = 0; i < BRIDGE_REGIONS_MAX; i++)
        in[i].fd = -1;
    if (cfg->n_regions == 0)
        return bridge_instance_lock(&in[0], cfg, err, errlen);
    bridge_config_t *rc_cfg = malloc(sizeof(*rc_cfg));
    if (rc_cfg == NULL) {
        snprintf(err, errlen, "out of memory");
        return BRIDGE_E_NOMEM;
    }
    int rc = BRIDGE_OK;
    for (uint32_t i = 0; i < cfg->n_regions && rc == BRIDGE_OK; i++) {
        rc = bridge_config_region_build(cfg, i, rc_cfg, err, errlen);
        char why[1024] = "";
        if (rc == BRIDGE_OK && (rc = bridge_instance_lock(&in[i], rc_cfg, why, sizeof(why))) != BRIDGE_OK)
            snprintf(err, errlen, "region %s: %s", cfg->regions[i].name, why);
    }
    free(rc_cfg);
    if (rc != BRIDGE_OK)
        bridge_instance_unlock_all(in);
    return rc;
}

void bridge_instance_unlock_all(bridge_instance_t in[BRIDGE_REGIONS_MAX])
{
    for (uint32_t i = 0; i < BRIDGE_REGIONS_MAX; i++)
        bridge_instance_unlock(&in[i]);
}
