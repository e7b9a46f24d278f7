/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ivshmem_ids.c - the ivshmem server (bridge/ivshmem_server.c) against
 * hostile local clients, driven step by step:
 *   - the socket file gets its mode from the server, not the umask (0600;
 *     0660 with the group); a second server does not take a live socket;
 *   - 65,536 connect/close cycles: every one gets a peer id, and a client
 *     afterwards still does (ids are reused, never exhausted);
 *   - one client at a time: a newcomer while a live client is served is
 *     closed at once; a client that hung up or sent data is dropped and the
 *     next one is served;
 *   - as root: a process of another uid that reaches the socket (mode
 *     opened on purpose) gets nothing, and is named (pid/uid/gid); with
 *     the group configured, a process of that group is served.
 * Exit 0 pass, 1 fail, 77 when the other-uid part cannot run (not root).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>

#include "ivshmem_server.h"
#include "test_exit.h"
#include "test_ivshmem_client.h"

#define CYCLES      65536
#define REGION_SIZE 65536
#define OTHER_ID    65534u /* nobody */

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
            unlink(path);                                                   \
            exit(TEST_FAIL);                                                \
        }                                                                   \
    } while (0)

static char path[108];

static void open_server(ivshm_server_t *s, int shm_fd, int64_t group)
{
    ivshm_config_t ic = {path, shm_fd, 1, 1, group};
    int rc = ivshm_server_open(s, &ic);
    CHECK(rc == 0, "ivshm_server_open(%s): %s", path, strerror(-rc));
}

/* A client that connects, is served, and checks what it got. */
static int served_client(ivshm_server_t *s, ivc_setup_t *st)
{
    int c = ivc_connect(path);
    CHECK(c >= 0, "connect %s: %s", path, strerror(-c));
    int id = ivshm_server_accept(s, 1000);
    for (int i = 0; i < 4 && id == -EPIPE; i++) /* a prober that already left */
        id = ivshm_server_accept(s, 1000);
    CHECK(id > 0 && id <= 65535, "accept gave %d (%s), not a peer id", id, id < 0 ? strerror(-id) : "");
    int r = ivc_setup(c, st, 1000);
    CHECK(r == 1 && st->id == id, "setup message %d wrong (id %lld, accept said %d)", -r, (long long)st->id, id);
    struct stat fs;
    CHECK(fstat(st->shm_fd, &fs) == 0 && fs.st_size == REGION_SIZE, "region fd of %lld bytes", (long long)fs.st_size);
    return c;
}

static void check_mode(ivshm_server_t *s, int shm_fd)
{
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode), "no socket at %s", path);
    CHECK((st.st_mode & 07777) == 0600, "socket mode 0%o under umask 0, want 0600", st.st_mode & 07777);
    ivshm_server_t other;
    ivshm_config_t ic = {path, shm_fd, 1, 1, -1};
    int rc = ivshm_server_open(&other, &ic);
    CHECK(rc == -EADDRINUSE, "a second server on a live socket: %d (%s), want -EADDRINUSE", rc, strerror(-rc));
    CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode), "the live socket was removed by the second server");
    ivc_setup_t su;
    int c = served_client(s, &su); /* the first server still serves */
    ivc_setup_close(&su);
    close(c);
}

static void many_cycles(ivshm_server_t *s)
{
    uint32_t last = 0;
    for (uint32_t i = 0; i < CYCLES; i++) {
        int c = ivc_connect(path);
        CHECK(c >= 0, "cycle %u: connect: %s", i, strerror(-c));
        int id = ivshm_server_accept(s, 1000);
        CHECK(id > 0 && id <= 65535, "cycle %u: accept gave %d (%s), not a peer id", i, id,
              id < 0 ? strerror(-id) : "");
        CHECK((uint32_t)id != last, "cycle %u: id %d given again at once", i, id);
        last = (uint32_t)id;
        close(c); /* the descriptors in flight go with the socket */
    }
    ivc_setup_t st;
    int c = served_client(s, &st);
    printf("%u connect/close cycles, each given an id; the next client got id %lld\n", CYCLES, (long long)st.id);
    ivc_setup_close(&st);
    close(c);
}

/* One at a time; a gone or talking client is replaced. */
static void one_at_a_time(ivshm_server_t *s)
{
    ivc_setup_t a, c2;
    int ca = served_client(s, &a);
    int cb = ivc_connect(path);
    CHECK(cb >= 0, "newcomer connect: %s", strerror(-cb));
    int rc = ivshm_server_accept(s, 1000);
    CHECK(rc == -EBUSY, "newcomer while a live client is served: %d (%s), want -EBUSY", rc, strerror(-rc));
    int64_t v;
    int rfd;
    rc = ivc_recv(cb, &v, &rfd, 1000);
    CHECK(rc == 0 && rfd < 0, "the refused newcomer got %d (fd %d), want end-of-file", rc, rfd);
    close(cb);
    CHECK(ivshm_server_clients(s) == 1 && ivshm_server_peer_fd(s, (uint32_t)a.id, 0) >= 0,
          "the live client was replaced");
    CHECK(write(ca, "x", 1) == 1, "client write"); /* QEMU never sends: dropped */
    CHECK(ivshm_server_reap(s) == 1 && ivshm_server_clients(s) == 0, "a client that sent data was kept");
    ivc_setup_close(&a);
    close(ca);
    int cc = served_client(s, &c2);
    ivc_setup_close(&c2);
    close(cc);
}

/* As root: a child of uid/gid OTHER_ID connects (the socket opened to it on
 * purpose); want: 0 refused (end-of-file, nothing received), 1 served. */
static int other_uid_client(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(OTHER_ID) < 0 || setuid(OTHER_ID) < 0)
            _exit(3);
        int c = ivc_connect(path);
        if (c < 0)
            _exit(4);
        ivc_setup_t st;
        int r = ivc_setup(c, &st, 2000);
        _exit(r == 0 ? 0 : r == 1 ? 1 : 5);
    }
    return pid;
}

static int child_wait(pid_t pid)
{
    int status = 0;
    for (int t = 0; t < 500 && waitpid(pid, &status, WNOHANG) == 0; t++)
        usleep(10000);
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void other_uid(int shm_fd)
{
    ivshm_server_t s;
    open_server(&s, shm_fd, -1);
    CHECK(chmod(path, 0666) == 0, "chmod"); /* a socket reachable by mistake */
    pid_t pid = other_uid_client();
    int rc = ivshm_server_accept(&s, 2000);
    CHECK(rc == -EACCES, "uid %u: accept %d (%s), want -EACCES", OTHER_ID, rc, strerror(-rc));
    CHECK(s.refused_cred.uid == OTHER_ID && s.refused_cred.gid == OTHER_ID && s.refused_cred.pid == (int32_t)pid,
          "refused as pid %d uid %u gid %u, want pid %d uid/gid %u", s.refused_cred.pid, s.refused_cred.uid,
          s.refused_cred.gid, (int)pid, OTHER_ID);
    rc = child_wait(pid);
    CHECK(rc == 0, "the uid %u client: exit %d (1: it was served, 3/4: setup/connect failed)", OTHER_ID, rc);
    ivshm_server_close(&s);

    open_server(&s, shm_fd, OTHER_ID); /* its group: 0660 and served */
    struct stat st;
    CHECK(lstat(path, &st) == 0 && (st.st_mode & 07777) == 0660 && st.st_gid == OTHER_ID,
          "with a group: mode 0%o gid %u, want 0660 gid %u", st.st_mode & 07777, (unsigned)st.st_gid, OTHER_ID);
    pid = other_uid_client();
    rc = ivshm_server_accept(&s, 2000);
    CHECK(rc > 0, "gid %u with the group configured: accept %d (%s)", OTHER_ID, rc, strerror(-rc));
    rc = child_wait(pid);
    CHECK(rc == 1, "the client of the group: exit %d, want 1 (served)", rc);
    ivshm_server_close(&s);
    printf("uid %u refused and named; served once its group is configured\n", OTHER_ID);
}

/* A bare socket name goes into the runtime directory, which must be ours
 * and writable by no one else: a loose mode of our own directory is
 * tightened (the rule of linux/zl.h, shared with the doorbell socket), a
 * symlink in its place is refused. */
static void runtime_dir(void)
{
    char dir[100], got[108], want[120];
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof(dir), "%s/zenedge-test-ivsrd-%d", tmp, (int)getpid());
    CHECK(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
    setenv("RUNTIME_DIRECTORY", dir, 1);
    int rc = ivshm_server_path("ivshmem.sock", got, sizeof(got));
    snprintf(want, sizeof(want), "%s/ivshmem.sock", dir);
    CHECK(rc == 0 && strcmp(got, want) == 0, "bare name: %d '%s', want '%s'", rc, rc == 0 ? got : "", want);
    CHECK(ivshm_server_path("/some/where.sock", got, sizeof(got)) == 0 && strcmp(got, "/some/where.sock") == 0,
          "a path is not kept as given");
    CHECK(chmod(dir, 0777) == 0, "chmod");
    rc = ivshm_server_path("ivshmem.sock", got, sizeof(got));
    struct stat st;
    CHECK(rc == 0 && stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700,
          "a world-writable runtime directory of ours: %d, mode %o, want 0 and 0700", rc,
          rc == 0 ? (unsigned)(st.st_mode & 07777) : 0u);
    char link[120];
    snprintf(link, sizeof(link), "%s.lnk", dir);
    CHECK(symlink(dir, link) == 0, "symlink: %s", strerror(errno));
    setenv("RUNTIME_DIRECTORY", link, 1);
    rc = ivshm_server_path("ivshmem.sock", got, sizeof(got));
    CHECK(rc < 0, "a symlink as runtime directory: %d, want an error", rc);
    unlink(link);
    rmdir(dir);
    unsetenv("RUNTIME_DIRECTORY");
}

int main(void)
{
    alarm(240);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof(path), "%s/zenedge-test-ivsids-%d.sock", tmp, (int)getpid());
    int shm_fd = memfd_create("zenedge-test-ivsids", MFD_CLOEXEC);
    CHECK(shm_fd >= 0 && ftruncate(shm_fd, REGION_SIZE) == 0, "memfd: %s", strerror(errno));
    umask(0);
    runtime_dir();
    ivshm_server_t s;
    open_server(&s, shm_fd, -1);
    check_mode(&s, shm_fd);
    many_cycles(&s);
    one_at_a_time(&s);
    ivshm_server_close(&s);
    CHECK(access(path, F_OK) != 0, "socket file left at close");
    if (geteuid() != 0) {
        printf("SKIP the other-uid part: needs root\n");
        return TEST_SKIP;
    }
    other_uid(shm_fd);
    close(shm_fd);
    return TEST_PASS;
}
