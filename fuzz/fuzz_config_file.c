/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config_file - zenedge-bridged's configuration file reader
 * (bridge/config.c over libinih): the input is the file's contents, read
 * through the real entry point bridge_config_load_file() over the
 * defaults, then the cross-field check. Oracle: every code is one of the
 * documented ones; a refusal comes with a message; an accepted file leaves
 * every string setting terminated within its buffer and the doorbell and
 * log level in their ranges; anything else aborts.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "bridge_errors.h"
#include "config.h"
#include "fuzz.h"
#include "fuzz_file.h"

static void check_str(const char *s, size_t len)
{
    if (strnlen(s, len) >= len)
        abort();
}

static void check_accepted(const bridge_config_t *c)
{
    check_str(c->shm, sizeof(c->shm));
    check_str(c->file, sizeof(c->file));
    check_str(c->shm_owner, sizeof(c->shm_owner));
    check_str(c->shm_group, sizeof(c->shm_group));
    check_str(c->socket, sizeof(c->socket));
    check_str(c->ivshmem_socket, sizeof(c->ivshmem_socket));
    check_str(c->ivshmem_group, sizeof(c->ivshmem_group));
    check_str(c->allow_uid, sizeof(c->allow_uid));
    check_str(c->allow_gid, sizeof(c->allow_gid));
    check_str(c->models, sizeof(c->models));
    check_str(c->backend, sizeof(c->backend));
    check_str(c->device, sizeof(c->device));
    check_str(c->worker_cpus, sizeof(c->worker_cpus));
    check_str(c->stats_file, sizeof(c->stats_file));
    if (c->doorbell < 0 || c->doorbell > 2 || c->shm_mode > 0777)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bridge_config_t cfg;
    char err[1024];
    bridge_config_defaults(&cfg, "/usr/share/zenedge/models");
    err[0] = '\0';
    int rc = bridge_config_load_file(&cfg, fuzz_file(data, size), err, sizeof(err));
    if (rc != BRIDGE_OK && rc != BRIDGE_E_CONFIG && rc != BRIDGE_E_NOMEM)
        abort();
    if (rc == BRIDGE_E_CONFIG && (err[0] == '\0' || strnlen(err, sizeof(err)) >= sizeof(err)))
        abort();
    if (rc != BRIDGE_OK)
        return 0;
    check_accepted(&cfg);
    err[0] = '\0';
    rc = bridge_config_check(&cfg, err, sizeof(err));
    if (rc != BRIDGE_OK && (rc != BRIDGE_E_CONFIG || err[0] == '\0'))
        abort();
    return 0;
}
