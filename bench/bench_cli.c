/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_cli.c - zenedge-bench: the command line (options, --help, --list,
 * --version) and the run sizes that follow from it.
 */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#ifndef ZENEDGE_BENCH_MODELS_DIR
#define ZENEDGE_BENCH_MODELS_DIR "models"
#endif

/* man/zenedge-bench.1 repeats this text: change both together (the test
 * bench_man_options compares their lists of options). */
static void usage(FILE *f)
{
    fprintf(f, "Usage: zenedge-bench [OPTIONS]\n"
               "\n"
               "Measures the ZENEDGE shared-memory transport against the physical limit and\n"
               "the usual alternatives, side by side in one run: two processes (the zenedge\n"
               "side and the bridge side) pinned to two CPUs alternate short phases of every\n"
               "mechanism, and every ratio is taken between neighbouring phases of one round\n"
               "before it is summarised (median, min, max over rounds).\n"
               "\n"
               "Measured: raw cache-line ping-pong (the limit); eventfd, UNIX socket and DPDK\n"
               "rte_ring ping-pong; rte_ring streaming at bursts 1/8/32; our ring (a real\n"
               "region): PING round trip polled, with eventfd doorbell, adaptive with the peer\n"
               "busy and with the peer asleep (eventfd writes per packet counted), streaming of\n"
               "16-byte packets at batch 1/8/32; the ring layout experiment (original packed\n"
               "layout versus ours); end-to-end RUN_MODEL through the ring and the real bridge\n"
               "dispatcher versus the same backend called in-process (when the build has the\n"
               "bridge and the RTOS proxy; models vector_add and digits_mlp), both with tensors\n"
               "copied through the heap (contract_submit_job) and with tensor buffers used in\n"
               "place (contract_submit_bufs); CPU backend, and OpenCL when a platform exists;\n"
               "RT under load: an RT vector_add job (one in flight, every 1000 us) alone and\n"
               "with a BACKGROUND gemm flood (8 in flight) through the same dispatcher, in\n"
               "alternating phases of one run (CPU backend, and every backend with a device).\n"
               "\n"
               "Options:\n"
               "  --quick            short run (well under a minute)\n"
               "  --cpus A,B         pin the zenedge side to CPU A and the bridge side to CPU B\n"
               "                     (default 0,1); every figure is tagged with this pair\n"
               "  --rounds N         rounds (default: 10000, or 1000 with --quick); a round is one\n"
               "                     phase of every item, about 10-20 ms\n"
               "  --json FILE        also write the results as JSON (top-level \"ratios\" object)\n"
               "  --csv FILE         also write one line per round, one column per item (ns),\n"
               "                     for scripts/bench-plot.gp\n"
               "  --only SUBSTR      run only the items whose key contains SUBSTR (\"e2e\": only the\n"
               "                     end-to-end section; \"rt_load\": only RT under load;\n"
               "                     \"xregion\": only two regions on one daemon)\n"
               "  --models DIR       model registry of the end-to-end section (default: the\n"
               "                     source tree's models/)\n"
               "  --spin-us N        adaptive mode: spin N microseconds before sleeping (default 50)\n"
               "  --gap-us N         adaptive, peer asleep: idle time before each PING (default 200;\n"
               "                     must exceed the spin time so that the peer really sleeps)\n"
               "  --selftest         functional check of the harness with tiny phases: every packet\n"
               "                     arrives in order, no ring is left holding packets, eventfd mode\n"
               "                     rings once per packet. Exit 0 pass, 1 fail. Not a timing test.\n"
               "                     Also RT under load, short, CPU backend only.\n"
               "                     With --only e2e: the end-to-end section with tiny phases\n"
               "                     instead (every path answers, no wrong answer); with\n"
               "                     --only rt_load: RT under load alone, every backend.\n"
               "  --list             print the item keys and exit\n"
               "  --version          print the version and exit\n"
               "  -h, --help         this text\n"
               "\n"
               "Units: ns/rtt is one round trip (request and answer); ns/pkt is one packet of a\n"
               "one-way stream (Mpkt/s is its inverse); db/pkt is eventfd writes per packet.\n"
               "Throughput ratios (stream*) are ours/theirs in packets per second (higher is\n"
               "better); time ratios (*_rtt_*) are ours/theirs in ns (lower is better).\n"
               "\n"
               "Exit status: 0 success, 1 failure (a phase failed, a wrong packet, a pinning or\n"
               "setup error), 64 bad usage (EX_USAGE of sysexits.h: one line names the option\n"
               "and the value).\n");
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_cpus(const char *s, int *a, int *b)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1; /* decimal only: no sign, no space */
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end != ',' || end[1] < '0' || end[1] > '9')
        return -1;
    const char *s2 = end + 1;
    long y = strtol(s2, &end, 10);
    if (errno || end == s2 || *end || x < 0 || y < 0 || x > 4095 || y > 4095 || x == y)
        return -1;
    *a = (int)x;
    *b = (int)y;
    return 0;
}

/* What the options asked for before the run sizes are settled. */
typedef struct cli_req {
    uint32_t rounds; /* 0: the mode's default */
    uint32_t spin_us;
    uint32_t gap_us;
    bool list;
} cli_req_t;

/* A numeric option: 0, or EX_USAGE (reported). Decimal: "010" is ten. */
static int opt_u32(const char *name, uint32_t lo, uint32_t hi, uint32_t *out)
{
    if (optarg[0] >= '0' && optarg[0] <= '9' && parse_u32(optarg, lo, hi, out) == 0)
        return 0;
    fprintf(stderr, "zenedge-bench: --%s '%s': not a decimal number in [%u, %u] (see --help)\n", name, optarg, lo, hi);
    return EX_USAGE;
}

enum { O_QUICK = 256, O_CPUS, O_ROUNDS, O_JSON, O_CSV, O_ONLY, O_SPIN, O_GAP, O_SELF, O_LIST, O_VER, O_MODELS };

/* One option: BENCH_CLI_RUN to go on, or the exit status. */
static int cli_option(int ch, bench_opts_t *o, cli_req_t *q, const char *word)
{
    switch (ch) {
    case O_QUICK: o->quick = true; break;
    case O_CPUS:
        if (parse_cpus(optarg, &o->cpu_lead, &o->cpu_follow) != 0) {
            fprintf(stderr,
                    "zenedge-bench: --cpus '%s': not two different decimal CPU numbers A,B in [0, 4095] (see --help)\n",
                    optarg);
            return EX_USAGE;
        }
        break;
    case O_ROUNDS: return opt_u32("rounds", 1, 1000000, &q->rounds) ? EX_USAGE : BENCH_CLI_RUN;
    case O_JSON: o->json_path = optarg; break;
    case O_CSV: o->csv_path = optarg; break;
    case O_ONLY: o->only = optarg; break;
    case O_MODELS: o->models_dir = optarg; break;
    case O_SPIN: return opt_u32("spin-us", 0, 1000000, &q->spin_us) ? EX_USAGE : BENCH_CLI_RUN;
    case O_GAP: return opt_u32("gap-us", 1, 1000000, &q->gap_us) ? EX_USAGE : BENCH_CLI_RUN;
    case O_SELF: o->selftest = true; break;
    case O_LIST: q->list = true; break;
    case O_VER: printf("zenedge-bench %s\n", BENCH_VERSION); return 0;
    case 'h': usage(stdout); return 0;
    case ':': fprintf(stderr, "zenedge-bench: %s needs a value (see --help)\n", word); return EX_USAGE;
    default: fprintf(stderr, "zenedge-bench: unknown option '%s' (see --help)\n", word); return EX_USAGE;
    }
    return BENCH_CLI_RUN;
}

/* The run sizes of the mode (selftest, quick, full). */
static void cli_sizes(bench_opts_t *o, const cli_req_t *q)
{
    o->spin_ns = (uint64_t)q->spin_us * 1000u;
    o->gap_ns = (uint64_t)q->gap_us * 1000u;
    if (o->selftest) {
        o->rounds = q->rounds ? q->rounds : 2;
        o->rtt_ops = 50;
        o->block_ops = 10;
        o->sleep_ops = 3;
        o->stream_ops = 3 * BENCH_STREAM_SLOTS + 17; /* wraps every ring */
        o->no_pin = true;
    } else {
        /* Phases of a few hundred microseconds at most (spinning items),
         * far shorter than the ~1 s between vCPU moves; many rounds. */
        o->rounds = q->rounds ? q->rounds : (o->quick ? 1000 : 10000);
        o->rtt_ops = 1000;
        o->block_ops = 32;
        o->sleep_ops = 8;
        o->stream_ops = 32768;
    }
    if (!o->selftest && o->gap_ns <= o->spin_ns)
        fprintf(stderr,
                "zenedge-bench: warning: --gap-us %u <= --spin-us %u: the 'peer asleep' row will "
                "mostly find the peer still spinning\n",
                q->gap_us, q->spin_us);
}

int bench_cli_parse(int argc, char **argv, bench_opts_t *o)
{
    static const struct option lo[] = {
        {"quick", no_argument, NULL, O_QUICK},         {"cpus", required_argument, NULL, O_CPUS},
        {"rounds", required_argument, NULL, O_ROUNDS}, {"json", required_argument, NULL, O_JSON},
        {"csv", required_argument, NULL, O_CSV},       {"only", required_argument, NULL, O_ONLY},
        {"spin-us", required_argument, NULL, O_SPIN},  {"gap-us", required_argument, NULL, O_GAP},
        {"selftest", no_argument, NULL, O_SELF},       {"list", no_argument, NULL, O_LIST},
        {"version", no_argument, NULL, O_VER},         {"help", no_argument, NULL, 'h'},
        {"models", required_argument, NULL, O_MODELS}, {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->cpu_lead = 0;
    o->cpu_follow = 1;
    o->models_dir = ZENEDGE_BENCH_MODELS_DIR;
    cli_req_t q = {0, 50, 200, false};
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        int rc = cli_option(ch, o, &q, argv[optind - 1]);
        if (rc != BENCH_CLI_RUN)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "zenedge-bench: unexpected argument '%s' (see --help)\n", argv[optind]);
        return EX_USAGE;
    }
    if (q.list) {
        for (size_t i = 0; i < bench_n_items; i++)
            printf("%-28s %s\n", bench_items[i].key, bench_items[i].label);
        return 0;
    }
    cli_sizes(o, &q);
    return BENCH_CLI_RUN;
}
