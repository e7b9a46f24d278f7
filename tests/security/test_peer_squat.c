/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_peer_squat - another user (uid 65534, in a forked child) takes the
 * doorbell socket before the daemon, or knocks on the daemon's socket:
 *  1. squatting a configured socket path in a directory it owns:
 *     zenedge-sim refuses to talk to the listener (its uid is not allowed)
 *     and sends it nothing;
 *  2. squatting the default path: a runtime directory owned by that user
 *     is refused by zenedge-sim (owner named) and by the daemon;
 *  3. connecting to the daemon's socket (opened to all on purpose): its
 *     hello is refused (credentials), the refusal names its uid.
 * Needs root (to be another uid); skips (77) otherwise.
 * Usage: test_peer_squat ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_exit.h"
#include "test_peer_common.h"

#define NOBODY 65534

static zside_t z;
static char dir[256], log_sim[300];

/* Also on a failed check (exit 1 from ZS_CHECK). */
static void rm_dir(void)
{
    char cmd[400];
    if (dir[0] == '\0')
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    dir[0] = '\0';
}

static void become_nobody(void)
{
    if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
        _exit(3);
}

/* The squatter: bind path as nobody, answer any hello with a blocking,
 * full eventfd; exit 10 if a hello came, 0 if none within run_ms. */
static void squatter(const char *path, int ready_fd, int run_ms)
{
    become_nobody();
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 || chmod(path, 0777) != 0 || listen(l, 4) != 0)
        _exit(4);
    ssize_t w = write(ready_fd, "r", 1);
    (void)w;
    uint64_t end = zl_now_ns() + (uint64_t)run_ms * 1000000ull;
    while (zl_now_ns() < end) {
        struct pollfd p = {l, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(l, NULL, NULL);
        struct pollfd q = {c, POLLIN, 0};
        char buf[64];
        if (c >= 0 && poll(&q, 1, 1000) > 0 && recv(c, buf, sizeof(buf), 0) == (ssize_t)sizeof(zl_hello_t)) {
            int trap = eventfd(0, 0);
            uint64_t max = 0xfffffffffffffffeull;
            w = write(trap, &max, sizeof(max));
            tp_send_hello(c, trap); /* what a squatter would do: freeze the ringer */
            _exit(10);
        }
        if (c >= 0)
            close(c);
    }
    _exit(0);
}

static pid_t start_squatter(const char *path)
{
    int pp[2];
    ZS_CHECK(pipe(pp) == 0, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pp[0]);
        squatter(path, pp[1], 6000);
    }
    close(pp[1]);
    char c;
    ZS_CHECK(read(pp[0], &c, 1) == 1, "the squatter could not bind %s", path);
    close(pp[0]);
    return pid;
}

/* zenedge-sim against the squatted socket (sock NULL: the default path
 * with RUNTIME_DIRECTORY=rundir): its exit status. */
static int run_sim(const char *sim, const char *models, const char *sock, const char *rundir)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen(log_sim, "w", stderr) == NULL)
            _exit(127);
        if (rundir)
            setenv("RUNTIME_DIRECTORY", rundir, 1);
        char *argv[] = {(char *)sim,    "--shm",   z.shm + 1,
                        "--doorbell",   "eventfd", "--models",
                        (char *)models, "--task",  "name=t,model=vector_add,count=1",
                        "--timeout-s",  "2",       "--quiet",
                        NULL,           NULL,      NULL};
        if (sock) {
            argv[12] = "--socket";
            argv[13] = (char *)sock;
        }
        execv(sim, argv);
        _exit(127);
    }
    int st = 0;
    for (int t = 0; t < 15000 && waitpid(pid, &st, WNOHANG) == 0; t += 10)
        usleep(10000);
    if (waitpid(pid, &st, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, text) != NULL;
    if (f)
        fclose(f);
    return found;
}

static int squatter_result(pid_t pid)
{
    kill(pid, SIGTERM);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void configured_path(const char *sim, const char *models)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/own/db.sock", dir);
    pid_t sq = start_squatter(path);
    int st = run_sim(sim, models, path, NULL);
    int got = squatter_result(sq);
    printf("configured path: zenedge-sim exit %d, squatter %s\n", st, got == 10 ? "got a hello" : "got nothing");
    ZS_CHECK(got != 10, "zenedge-sim sent its hello (and doorbell) to a listener of uid %d", NOBODY);
    ZS_CHECK(got != 3 && got != 4, "squatter failed (%d)", got);
    ZS_CHECK(st != 0, "zenedge-sim succeeded against a squatter");
    ZS_CHECK(file_has(log_sim, "not an allowed bridge"), "zenedge-sim did not say why (log %s)", log_sim);
    ZS_CHECK(file_has(log_sim, "uid 65534"), "zenedge-sim did not name the listener's uid");
}

static void default_path(const char *exe, const char *sim, const char *models)
{
    char rundir[300], path[400];
    snprintf(rundir, sizeof(rundir), "%s/own", dir);
    snprintf(path, sizeof(path), "%.300s/%.60s.sock", rundir, z.shm + 1);
    unlink(path);
    pid_t sq = start_squatter(path);
    int st = run_sim(sim, models, NULL, rundir);
    int got = squatter_result(sq);
    printf("default path: zenedge-sim exit %d, squatter %s\n", st, got == 10 ? "got a hello" : "got nothing");
    ZS_CHECK(got != 10 && st != 0, "zenedge-sim talked to a squatted runtime directory");
    ZS_CHECK(file_has(log_sim, "owner uid 65534"), "zenedge-sim did not name the directory's owner (log %s)", log_sim);
    /* The daemon refuses it too: not its own directory. */
    fflush(NULL);
    pid_t d = fork();
    if (d == 0) {
        if (freopen(z.log, "w", stderr) == NULL)
            _exit(127);
        setenv("RUNTIME_DIRECTORY", rundir, 1);
        execl(exe, exe, "--shm", z.shm, "--models", models, "--doorbell", "eventfd", "--exit-after-idle-s", "3",
              (char *)NULL);
        _exit(127);
    }
    int ds = 0;
    for (int t = 0; t < 5000 && waitpid(d, &ds, WNOHANG) == 0; t += 10)
        usleep(10000);
    if (waitpid(d, &ds, WNOHANG) == 0) {
        kill(d, SIGKILL);
        waitpid(d, &ds, 0);
    }
    ZS_CHECK(WIFEXITED(ds) && WEXITSTATUS(ds) != 0, "the daemon served from a runtime directory it does not own");
    ZS_CHECK(tp_log_has(&z, "owner uid 65534"), "the daemon did not name the directory's owner");
}

/* A process of another uid says a valid hello to the daemon. */
static void knock(const char *exe, const char *models)
{
    unlink(z.log);
    tp_start(&z, exe, models);
    chmod(z.sock, 0666); /* open to all on purpose: only the credentials stand */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        become_nobody();
        int e = eventfd(0, EFD_NONBLOCK), d = -1;
        int s = tp_connect(z.sock, 2000);
        if (s < 0 || tp_send_hello(s, e) != 0)
            _exit(4);
        _exit(tp_recv_hello(s, 3000, &d) == 1 ? 10 : 0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    int r = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    printf("uid %d on the daemon's socket: %s\n", NOBODY, r == 10 ? "taken" : r == 0 ? "refused" : "error");
    ZS_CHECK(r == 0, "a peer of uid %d was %s", NOBODY, r == 10 ? "taken" : "not able to try");
    ZS_CHECK(tp_log_has(&z, "uid 65534 gid 65534 refused: not in the allow list"), "the refusal is not logged");
    ZS_CHECK(zside_stop_bridge(&z, 1000) == 0, "SIGTERM");
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED ZENEDGE_SIM MODELS_DIR\n", argv[0]);
        return TEST_FAIL;
    }
    if (geteuid() != 0) {
        printf("SKIP: needs root (to run a process as uid %d)\n", NOBODY);
        return TEST_SKIP;
    }
    zside_guard(&z, 90);
    ZS_CHECK(zside_create(&z, "peersquat", 1u << 20, 64, 1) == 0, "region");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof(dir), "%s/zenedge-test-peersquat-%d", tmp, (int)getpid());
    snprintf(log_sim, sizeof(log_sim), "%s/sim.log", dir);
    char own[300];
    snprintf(own, sizeof(own), "%s/own", dir);
    atexit(rm_dir);
    ZS_CHECK(mkdir(dir, 0755) == 0 && mkdir(own, 0755) == 0 && chown(own, NOBODY, NOBODY) == 0, "dirs");
    /* zenedge-sim creates the region; ours is only for its name and the daemon. */
    zl_unmap(&z.map);
    configured_path(argv[2], argv[3]);
    default_path(argv[1], argv[2], argv[3]);
    ZS_CHECK(zside_create(&z, "peersquat", 1u << 20, 64, 1) == 0, "region");
    knock(argv[1], argv[3]);
    rm_dir();
    zside_destroy(&z);
    printf("PASS\n");
    return TEST_PASS;
}
