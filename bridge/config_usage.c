/*
 * config_usage.c - the --help text of zenedge-bridged (bridge_config_usage,
 * config.h). Kept apart from the parsing: every option here is one of
 * config.c's long options, and man/zenedge-bridged.8 says the same.
 */
#include "config.h"

#include <stdio.h>

static void usage_head(FILE *out, const char *prog)
{
    fprintf(out,
            "Usage: %s [OPTION]...\n"
            "The Linux side of the ZENEDGE sidecar: attaches to the shared region, serves\n"
            "the submission rings, runs each job on a compute backend and posts its\n"
            "completion. Every option can also be set in the [bridge] section of the\n"
            "INI file given with --config (same name, '-' or '_'); the command line wins.\n"
            "\n"
            "Region (transport):\n"
            "  --shm NAME              POSIX shared memory object created by the ZENEDGE\n"
            "                          side (e.g. /zenedge); waits until it exists and is\n"
            "                          initialised\n"
            "  --file PATH             a file or device holding the region: a /dev/shm file\n"
            "                          backing a QEMU ivshmem device, a UIO map, a carve-out\n"
            "  --offset N              byte offset of the region in PATH (default 0)\n"
            "  --size N                bytes of the region in PATH (required with --file)\n"
            "  --shm-owner USER[,USER] users that may own the region besides ours and root\n"
            "                          (the ZENEDGE side's account); any other owner is\n"
            "                          refused, and so is a symbolic link\n"
            "  --shm-group GROUP       the group that may have write access to the region\n"
            "                          (default: none; a group-writable region is refused)\n"
            "  --shm-mode MODE         the most permissive mode accepted, octal (default: any\n"
            "                          without write for others)\n"
            "\n"
            "Doorbells:\n"
            "  --doorbell MODE         poll      spin on the rings, no system call at all\n"
            "                          eventfd   sleep on an eventfd; the peer rings after\n"
            "                                    every batch it publishes\n"
            "                          adaptive  spin for --spin-us, then announce sleep in\n"
            "                                    the region (needs_wakeup) and sleep; the peer\n"
            "                                    rings only then (default)\n"
            "  --socket PATH           UNIX socket where the ZENEDGE side connects to\n"
            "                          exchange eventfds (default <rundir>/<shm>.sock; rundir:\n"
            "                          $RUNTIME_DIRECTORY, else /run/zenedge for root, else\n"
            "                          $XDG_RUNTIME_DIR/zenedge; created mode 0700)\n"
            "  --allow-uid LIST        doorbell peers allowed beside our own uid and root:\n"
            "                          uids or user names, comma separated\n"
            "  --allow-gid LIST        doorbell peers allowed by primary group; the first\n"
            "                          group owns the socket (0660) and its directory (0750)\n"
            "  --ivshmem-socket PATH   serve QEMU's ivshmem-doorbell device on PATH (the\n"
            "                          ivshmem server protocol; with --file, the device's\n"
            "                          backing file, exactly the region): the guest rings\n"
            "                          the bridge through the Doorbell register and gets\n"
            "                          completions as MSI-X vector 0. Replaces --socket.\n"
            "                          A bare NAME goes in the runtime directory\n"
            "                          ($RUNTIME_DIRECTORY, /run/zenedge as root, else\n"
            "                          $XDG_RUNTIME_DIR/zenedge). Socket mode 0600; one\n"
            "                          QEMU at a time, root and our uid only (docs/qemu.md)\n"
            "  --ivshmem-group GROUP   socket mode 0660 with GROUP, and QEMU running with\n"
            "                          GROUP as its group is allowed too\n"
            "  --spin-us N             adaptive: spin time before sleeping (default 50)\n"
            "\n"
            "Models and backend:\n"
            "  --models DIR            model manifests, one DIR/<name>/model.ini each\n"
            "                          (default: the installed models)\n"
            "  --backend NAME          compute backend: cpu (default), opencl, cuda,\n"
            "                          level_zero\n"
            "  --device SPEC           device choice. cpu: 0; opencl: N | P:D (platform and\n"
            "                          device, index or name substring) | NAME; cuda: N | NAME;\n"
            "                          level_zero: N | NAME\n"
            "  --queue-depth N         jobs the backend may hold at once (default 16)\n"
            "  --list-devices          print every backend and device, then exit\n"
            "\n",
            prog);
}

/* The second half of --help: scheduling, liveness, log, environment. */
static void usage_rest(FILE *out)
{
    fputs("Scheduling:\n"
          "  --cpu N                 pin the daemon to CPU N (default: not pinned)\n"
          "  --rt-priority N         SCHED_FIFO priority 1..99 (0: normal, default) of the\n"
          "                          dispatcher; the CPU backend's workers get N-1 (RT),\n"
          "                          N-2 (HIGH), N-3 (NORMAL), N-4 (BACKGROUND), at least\n"
          "                          1. Without it: nice +1, +2, +3 and +4 over the\n"
          "                          daemon's own nice value\n"
          "  --worker-cpus LIST      CPUs of the CPU backend's workers, e.g. 1-3,5 (default:\n"
          "                          with --cpu N every CPU the daemon may use but N,\n"
          "                          else not pinned)\n"
          "  --batch N               packets taken from a ring at once (default 32)\n"
          "  --weights W1,W2,...     round-robin weights of rings 1, 2, ... (ring 0, RT,\n"
          "                          always goes first); default: the region's sq_weight,\n"
          "                          else 8,4,1\n"
          "\n"
          "Liveness and shutdown:\n"
          "  --hb-period-us N        heartbeat period published in the region (default 10000)\n"
          "  --watchdog-ms N         stop the heartbeat if the dispatcher is stuck this\n"
          "                          long (default 5000)\n"
          "  --drain-timeout-ms N    on SIGTERM/SIGINT, time given to post the last\n"
          "                          answers when the completion ring is full (default 2000)\n"
          "  --exit-after-idle-s N   exit cleanly after N seconds without a packet (0: never)\n"
          "\n"
          "Log and statistics:\n"
          "  --log-level LEVEL       error, warn, info (default) or debug\n"
          "  --syslog                also log to syslog (facility daemon)\n"
          "  --stats-interval-s N    print statistics every N seconds (0: only on SIGUSR1\n"
          "                          and at exit, default)\n"
          "  --stats-file PATH       also write each statistics dump to PATH, one\n"
          "                          'key value' per line (replaced atomically)\n"
          "\n"
          "  --config FILE           read settings from an INI file first\n"
          "  --version               print the version and protocol version, then exit\n"
          "  --help                  print this help, then exit\n"
          "\n"
          "Signals: SIGTERM/SIGINT stop cleanly (in-flight jobs finish, queued jobs are\n"
          "answered IPC_STATUS_SHUTDOWN, state OFFLINE); SIGUSR1 prints statistics.\n"
          "\n"
          "Environment (accelerator backends, docs/backends.md):\n"
          "  ZENEDGE_OPENCL_CACHE    directory for the OpenCL kernel cache (PoCL);\n"
          "                          default $CACHE_DIRECTORY/opencl, else\n"
          "                          $XDG_RUNTIME_DIR/zenedge/opencl-cache, never $HOME\n"
          "  ZENEDGE_CUDA_MEMORY     staging (default: pinned host staging) or zerocopy\n"
          "  ZENEDGE_QOS_OVERLAP     1: let lower classes run beside a more urgent job\n"
          "  ZENEDGE_CUDA_LIBRARY    driver library to load (default libcuda.so.1)\n"
          "  ZENEDGE_NVRTC_LIBRARY   NVRTC library to load when no PTX was built\n"
          "  ZENEDGE_ZE_LIBRARY      Level Zero loader to open (default libze_loader.so.1)\n"
          "Exit status: 0 clean stop, 1 runtime error, 2 bad command line or config,\n"
          "3 another zenedge-bridged serves the region (its lock is held).\n"
          "See zenedge-bridged(8) and docs/bridge.md.\n",
          out);
}

void bridge_config_usage(FILE *out, const char *prog)
{
    usage_head(out, prog);
    usage_rest(out);
}
