/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_peer_rundir - the doorbell socket's private runtime directory:
 *  - without --socket the daemon listens on zl_default_socket() (the path
 *    every program computes) under $RUNTIME_DIRECTORY, a directory it
 *    creates with mode 0700, the socket 0600, whatever the umask; nothing
 *    in /tmp;
 *  - a directory it owns with a loose mode (0777) is tightened to 0700;
 *  - a symlink as the directory is refused (and named);
 *  - --allow-gid: directory 0750 and socket 0660 of that group;
 *  - the allow lists: names and numbers, root always, bounds.
 * Usage: test_peer_rundir ZENEDGE_BRIDGED MODELS_DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_exit.h"
#include "test_peer_common.h"

static zside_t z;
static char base[256], run[300];

static void rm_base(void)
{
    char cmd[400];
    if (base[0] == '\0')
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
    base[0] = '\0';
}

/* The daemon without --socket, RUNTIME_DIRECTORY=run, umask 0; extra: one
 * more option and its value, or NULL. */
static pid_t start(const char *exe, const char *models, const char *opt, const char *val)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen(z.log, "a", stderr) == NULL)
            _exit(127);
        setenv("RUNTIME_DIRECTORY", run, 1);
        umask(0);
        execl(exe, exe, "--shm", z.shm, "--models", models, "--doorbell", "eventfd", "--log-level", "debug", opt, val,
              (char *)NULL);
        _exit(127);
    }
    z.bridge = pid;
    return pid;
}

static void expect_mode(const char *path, unsigned mode, const char *what)
{
    struct stat st;
    ZS_CHECK(lstat(path, &st) == 0, "%s %s missing", what, path);
    ZS_CHECK(st.st_uid == geteuid(), "%s %s: owner %u", what, path, (unsigned)st.st_uid);
    ZS_CHECK((st.st_mode & 07777) == mode, "%s %s: mode %04o, expected %04o", what, path,
             (unsigned)(st.st_mode & 07777), mode);
}

/* Serve on the default path; a good hello gets an answer there. */
static void serve_default(const char *exe, const char *models, const char *opt, const char *val, unsigned dmode,
                          unsigned smode)
{
    const char *sock = z.sock;
    setenv("RUNTIME_DIRECTORY", run, 1);
    ZS_CHECK(zl_default_socket(z.shm, z.sock, sizeof(z.sock)) == 0, "zl_default_socket");
    unsetenv("RUNTIME_DIRECTORY");
    start(exe, models, opt, val);
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "not READY");
    int s = tp_connect(sock, 5000), e = eventfd(0, EFD_NONBLOCK), d = -1;
    ZS_CHECK(s >= 0, "nobody listens on the default path %s", sock);
    ZS_CHECK(tp_send_hello(s, e) == 0 && tp_recv_hello(s, 3000, &d) == 1, "no hello on the default path");
    expect_mode(run, dmode, "runtime directory");
    expect_mode(sock, smode, "socket");
    printf("default socket %s: directory %04o, socket %04o\n", sock, dmode, smode);
    close(s);
    close(e);
    close(d);
    ZS_CHECK(zside_stop_bridge(&z, 1000) == 0, "SIGTERM");
    ZS_CHECK(access(sock, F_OK) != 0, "socket left behind");
}

static void allow_lists(void)
{
    zl_allow_t a;
    zl_allow_init(&a);
    ZS_CHECK(zl_allow_match(&a, geteuid(), 12345) && zl_allow_match(&a, 0, 0), "own uid and root");
    ZS_CHECK(geteuid() == 4242 || !zl_allow_match(&a, 4242, 4242), "a stranger allowed by default");
    ZS_CHECK(zl_allow_add(&a, "4242,root", false) == 0 && zl_allow_match(&a, 4242, 1), "uid list");
    ZS_CHECK(zl_allow_add(&a, "4343", true) == 0 && zl_allow_match(&a, 5000, 4343), "gid list");
    ZS_CHECK(zl_allow_add(&a, "no-such-user-zenedge", false) == -EINVAL, "unknown name");
    ZS_CHECK(zl_allow_add(&a, ",", false) == -EINVAL, "empty list");
    char many[256] = "";
    for (int i = 0; i < ZL_ALLOW_MAX + 1; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%d,", 10000 + i);
    ZS_CHECK(zl_allow_add(&a, many, false) == -E2BIG, "more than ZL_ALLOW_MAX");
    int p[2];
    ZS_CHECK(pipe(p) == 0 && zl_db_adopt(p[1]) == -ENOTSUP, "a pipe adopted as doorbell");
    int e = eventfd(0, 0);
    ZS_CHECK(zl_db_adopt(e) == 0 && zl_db_nonblocking(e), "an eventfd not adopted non-blocking");
    close(p[0]);
    close(p[1]);
    close(e);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return TEST_FAIL;
    }
    zside_guard(&z, 90);
    ZS_CHECK(zside_create(&z, "peerrundir", 1u << 20, 64, 1) == 0, "region");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(base, sizeof(base), "%s/zenedge-test-peerrundir-%d", tmp, (int)getpid());
    snprintf(run, sizeof(run), "%s/run", base);
    atexit(rm_base);
    ZS_CHECK(mkdir(base, 0700) == 0, "mkdir %s", base);
    allow_lists();

    serve_default(argv[1], argv[2], NULL, NULL, 0700, 0600); /* created */
    ZS_CHECK(chmod(run, 0777) == 0, "chmod");
    serve_default(argv[1], argv[2], NULL, NULL, 0700, 0600); /* tightened */
    char gid[32];
    snprintf(gid, sizeof(gid), "%u", (unsigned)getegid());
    serve_default(argv[1], argv[2], "--allow-gid", gid, 0750, 0660);

    /* A symlink where the directory should be: refused, named. */
    char real[300];
    snprintf(real, sizeof(real), "%s/elsewhere", base);
    ZS_CHECK(rename(run, real) == 0 && symlink(real, run) == 0, "symlink");
    unlink(z.log);
    start(argv[1], argv[2], NULL, NULL);
    int st = 0;
    for (int t = 0; t < 5000 && waitpid(z.bridge, &st, WNOHANG) == 0; t += 10)
        usleep(10000);
    ZS_CHECK(waitpid(z.bridge, &st, WNOHANG) == -1 || WIFEXITED(st), "the daemon kept running on a symlink");
    z.bridge = 0;
    ZS_CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0, "exit status %d on a symlinked directory", WEXITSTATUS(st));
    ZS_CHECK(tp_log_has(&z, "a symlink, expected a directory"), "the refusal does not name the symlink");
    rm_base();
    zside_destroy(&z);
    printf("PASS\n");
    return TEST_PASS;
}
