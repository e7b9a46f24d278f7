/* SPDX-License-Identifier: BSD-3-Clause */
/* check_config.c - zenedge-bridged --check-config (check_config.h). */
#include "check_config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>

#include "backends/backend.h"
#include "bridge_errors.h"
#include "log.h"
#include "registry.h"
#include "service.h"
#include "warm.h"
#include "zl.h"

/* The backend part: init, load and one dry run of every model, shutdown.
 * BRIDGE_OK or the first error (logged). */
static int check_backend(const bridge_config_t *cfg, const bridge_registry_t *reg)
{
    bridge_backend_t be = {.ops = bridge_backend_find(cfg->backend)};
    if (be.ops == NULL) {
        BLOG_ERR("backend '%s' is not built in (see --list-devices)", cfg->backend);
        return BRIDGE_E_NO_BACKEND;
    }
    bridge_qos_sched_t qs; /* no real-time priority here: the check may run unprivileged */
    bridge_qos_sched_default(&qs, 0, getpriority(PRIO_PROCESS, 0));
    bridge_backend_config_t bcfg = {
        .device = cfg->device[0] ? cfg->device : NULL, .queue_depth = cfg->queue_depth, .qos_sched = &qs};
    int rc = be.ops->init(&be, &bcfg);
    if (rc != BRIDGE_OK) {
        BLOG_ERR("backend %s: init failed: %s", be.ops->name, bridge_strerror(rc));
        return rc;
    }
    rc = bridge_models_load(&be, reg);
    if (rc == BRIDGE_OK)
        rc = bridge_models_warm(&be, reg, zl_now_ns());
    be.ops->shutdown(&be);
    return rc;
}

int bridge_check_config(const bridge_config_t *cfg, FILE *out)
{
    bridge_registry_t reg;
    char err[1024] = "";
    int rc = bridge_registry_load(&reg, cfg->models, err, sizeof(err));
    if (rc != BRIDGE_OK) {
        BLOG_ERR("model registry: %s (%s)", err, bridge_strerror(rc));
        return bridge_exit_status(rc);
    }
    rc = check_backend(cfg, &reg);
    if (rc == BRIDGE_OK) {
        fprintf(out, "zenedge-bridged: configuration OK: %s; region %s%s; %u model(s) from %s run on backend %s:",
                cfg->config_file[0] ? cfg->config_file : "(command line only)", cfg->shm[0] ? "shm " : "file ",
                cfg->shm[0] ? cfg->shm : cfg->file, reg.n_models, cfg->models, cfg->backend);
        for (uint32_t i = 0; i < reg.n_models; i++)
            fprintf(out, " %u %s%s", reg.models[i]->id, reg.models[i]->name, i + 1 < reg.n_models ? "," : "\n");
    }
    bridge_registry_free(&reg);
    return bridge_exit_status(rc);
}
