/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crit_port.h - a port of the ZENEDGE side for the tests of the work done
 * per critical section: a clock the test sets, a critical section that
 * only counts (and refuses nesting), and an observer that tells, for each
 * section, how many job records changed inside it. With a proxy of many
 * slots, the harness (cp_*) fills every slot with a job in flight and
 * plays the bridge by hand: dequeue, lose it, attach a new epoch.
 */
#ifndef ZENEDGE_TEST_CRIT_PORT_H
#define ZENEDGE_TEST_CRIT_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "hand_bridge.h"
#include "proxy.h"
#include "zport.h"

struct zport {
    uint64_t now;           /* the clock, ns: the test moves it */
    int in_crit;            /* inside a critical section */
    uint32_t nested;        /* nested entries (must stay 0) */
    uint64_t sections;      /* sections entered since the last cp_reset() */
    uint32_t changed_max;   /* most job records changed in one section */
    uint64_t changed_total; /* job records changed, all sections */
    bool observe;           /* compare the job table at enter and exit */
    proxy_t *proxy;
    uint32_t *snap;    /* per slot: a digest of the record at enter */
    bool callgrind;    /* one callgrind dump per section (crit_cost) */
    const char *label; /* the dump's name */
    /* Called after a section was left (lock free), with the number of
     * sections so far; may call into the proxy. */
    void (*after_exit)(struct zport *z, uint64_t section);
    void *user;
    int verbose;
};

typedef struct cp_world {
    struct zport port;
    proxy_t *proxy;
    void *region;
    uint32_t size;
    hand_bridge_t bridge;
    uint32_t max_jobs;
    uint32_t epoch;    /* the bridge's current epoch */
    uint32_t hb;       /* the bridge's heartbeat */
    uint32_t *handles; /* the handles submitted by cp_fill() */
    uint32_t n_handles;
} cp_world_t;

/* A proxy of max_jobs slots (n_sq rings of sq_slots), its bridge READY
 * with epoch 1 and the first tick done. 0 or -1. */
int cp_init(cp_world_t *w, uint32_t max_jobs, uint32_t sq_slots);
void cp_fini(cp_world_t *w);

/* Submit n pings spread over the classes, deadline i-th: deadline_us(i). 0 or -1. */
int cp_fill(cp_world_t *w, uint32_t n, uint32_t (*deadline_us)(uint32_t i));

/* The bridge dequeues up to n packets from every ring. Returns how many. */
uint32_t cp_take(cp_world_t *w, uint32_t n);

/* The bridge beats (heartbeat +1, READY). */
void cp_beat(cp_world_t *w);

/* A new bridge instance attaches: epoch + 1, READY, a fresh heartbeat;
 * with start_tails, it publishes the ring tails it adopted (IPC_FEAT_START_TAILS). */
void cp_new_epoch(cp_world_t *w, bool start_tails);

/* The bridge goes OFFLINE (same epoch). */
void cp_offline(cp_world_t *w);

/* Zero the section counters; observe: compare the job table per section. */
void cp_reset(cp_world_t *w, bool observe);

/* Jobs ended with this kind so far (proxy stats). */
uint32_t cp_ended(const cp_world_t *w, int kind);

#endif
