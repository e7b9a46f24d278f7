/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ivshmem_first_connector.c - zenedge-bridged as the ivshmem server
 * (--ivshmem-socket) against hostile local processes that connect before
 * the real QEMU:
 *   - a --offset/--size window that is not the whole backing file is
 *     refused at start, with a message (a client would get the whole file);
 *   - the socket is 0600 whatever the umask;
 *   - as root: a process of another uid cannot connect, and, with the
 *     socket opened to it on purpose, gets nothing and is logged by uid;
 *   - a first connector of our own uid that stays connected is not
 *     replaced: a newcomer is closed at once; once it is gone the next
 *     client is served with exactly the region, its doorbell wakes the
 *     daemon (PING answered within 50 ms) and the daemon interrupts it;
 *   - one SIGTERM stops the daemon with exit 0 within 1 s.
 * Exit 0 pass, 1 fail, 77 when the other-uid part cannot run (not root).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test_exit.h"
#include "test_ivshmem_client.h"
#include "zside.h"

#define REGION   (1u << 20)
#define OTHER_ID 65534u /* nobody */

static zside_t z;
static char ivs[108];

static bool log_has(const char *file, const char *what)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, what) != NULL;
    fclose(f);
    return found;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
    int status = 0;
    for (int t = 0; t < timeout_ms; t += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* A daemon asked to serve a window of a larger file must refuse to start. */
static void window_refused(const char *exe, const char *models)
{
    char log[300], sock[120], size[32];
    snprintf(log, sizeof(log), "%s.window", z.log);
    snprintf(sock, sizeof(sock), "%s.w", ivs);
    snprintf(size, sizeof(size), "%u", REGION - 4096u);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(log, "w", stderr);
        (void)f;
        execl(exe, exe, "--file", z.file, "--offset", "4096", "--size", size, "--models", models, "--doorbell",
              "adaptive", "--ivshmem-socket", sock, (char *)NULL);
        _exit(127);
    }
    int rc = wait_exit(pid, 5000);
    unlink(sock);
    ZS_CHECK(rc > 0 && rc < 127, "a window of the backing file: the daemon %s (exit %d), want a refusal (log %s)",
             rc < 0 ? "kept running and would hand out the whole file" : "did not refuse", rc, log);
    ZS_CHECK(log_has(log, "window cannot be limited"), "no refusal message in %s", log);
    unlink(log);
}

/* As root: a child of another uid connects; its exit: 0 nothing received
 * (connect refused by the mode, or end-of-file), 1 served. */
static int other_uid_try(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setgid(OTHER_ID) < 0 || setuid(OTHER_ID) < 0)
            _exit(3);
        int c = ivc_connect(ivs);
        if (c < 0)
            _exit(c == -EACCES ? 0 : 4);
        ivc_setup_t st;
        int r = ivc_setup(c, &st, 2000);
        _exit(r == 0 ? 0 : r == 1 ? 1 : 5);
    }
    return wait_exit(pid, 5000);
}

static void other_uid(void)
{
    int rc = other_uid_try();
    ZS_CHECK(rc == 0, "uid %u on the socket as made: exit %d (1: served)", OTHER_ID, rc);
    ZS_CHECK(chmod(ivs, 0666) == 0, "chmod"); /* reachable by mistake */
    rc = other_uid_try();
    ZS_CHECK(rc == 0, "uid %u on a socket opened to it: exit %d (1: served)", OTHER_ID, rc);
    ZS_CHECK(chmod(ivs, 0600) == 0, "chmod back");
    for (int t = 0; t < 100 && !log_has(z.log, "uid 65534"); t++)
        usleep(10000);
    ZS_CHECK(log_has(z.log, "uid 65534"), "the refused uid %u is not in the log %s", OTHER_ID, z.log);
}

/* Ten PINGs, each rung through the client's doorbell and answered within
 * 50 ms; the daemon interrupts the client (its vector-0 eventfd). */
static void ping(const ivc_setup_t *c)
{
    for (int i = 0; i < 10; i++) {
        uint32_t h = zside_next_handle(&z, (uint32_t)i);
        ZS_CHECK(zside_send(&z, 0, CMD_PING, 0, h) == IPC_OK, "enqueue PING");
        ZS_CHECK(eventfd_write(c->bridge_efd, 1) == 0, "ring the bridge");
        uint64_t t0 = zl_now_ns();
        ipc_packet_t a;
        ZS_CHECK(zside_wait(&z, &a, 50) == 1, "PING %d: no answer within 50 ms", i);
        ZS_CHECK(a.cmd == CMD_PONG && a.payload_id == h, "PING %d: cmd 0x%x", i, a.cmd);
        ZS_CHECK(zl_now_ns() - t0 < 50000000ull, "PING %d: %llu us", i, (unsigned long long)(zl_now_ns() - t0) / 1000);
    }
    struct pollfd pfd = {c->own_efd, POLLIN, 0};
    ZS_CHECK(poll(&pfd, 1, 50) == 1, "the served client was never interrupted (its vector-0 eventfd)");
}

static void first_connector(void)
{
    int ca = ivc_connect(ivs);
    ZS_CHECK(ca >= 0, "connect %s: %s", ivs, strerror(-ca));
    ivc_setup_t a, c;
    ZS_CHECK(ivc_setup(ca, &a, 2000) == 1, "the first client of our uid was not served");
    int cb = ivc_connect(ivs);
    ZS_CHECK(cb >= 0, "newcomer connect: %s", strerror(-cb));
    int64_t v;
    int rfd;
    int r = ivc_recv(cb, &v, &rfd, 1000);
    ZS_CHECK(r == 0 && rfd < 0, "a newcomer while a live client is served: %d (fd %d), want closed at once", r, rfd);
    close(cb);
    ivc_setup_close(&a);
    close(ca); /* the first connector goes */
    int cc = ivc_connect(ivs);
    ZS_CHECK(cc >= 0, "connect: %s", strerror(-cc));
    ZS_CHECK(ivc_setup(cc, &c, 1000) == 1, "the client after a gone one was not served within 1 s");
    struct stat st;
    ZS_CHECK(fstat(c.shm_fd, &st) == 0 && st.st_size == REGION, "region fd of %lld bytes, want %u",
             (long long)st.st_size, REGION);
    ping(&c);
    ivc_setup_close(&c);
    close(cc);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR\n", argv[0]);
        return TEST_FAIL;
    }
    zside_guard(&z, 100);
    ZS_CHECK(zside_create_file(&z, "ivsfc", 0, REGION, 16, 3) == 0, "region file");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(ivs, sizeof(ivs), "%s/zenedge-test-ivsfc-%d.ivs", tmp, (int)getpid());
    window_refused(argv[1], argv[2]);

    umask(0);
    zside_start_bridge(&z, argv[1], argv[2], "adaptive", "--ivshmem-socket", ivs, NULL);
    struct stat st;
    for (int t = 0; t < 1000 && lstat(ivs, &st) != 0; t++)
        usleep(10000);
    ZS_CHECK(lstat(ivs, &st) == 0 && S_ISSOCK(st.st_mode), "no ivshmem socket at %s (log %s)", ivs, z.log);
    ZS_CHECK((st.st_mode & 07777) == 0600, "ivshmem socket mode 0%o under umask 0, want 0600", st.st_mode & 07777);
    ZS_CHECK(zside_wait_ready(&z, 0, 30000), "bridge not READY (log %s)", z.log);
    bool root = geteuid() == 0;
    if (root)
        other_uid();
    first_connector();
    uint64_t t0 = zl_now_ns();
    int rc = zside_stop_bridge(&z, 1000);
    ZS_CHECK(rc == 0, "one SIGTERM: exit %d within 1 s (-1: still running)", rc);
    printf("stopped in %llu ms\n", (unsigned long long)(zl_now_ns() - t0) / 1000000u);
    ZS_CHECK(access(ivs, F_OK) != 0, "socket %s left after exit", ivs);
    zside_destroy(&z);
    if (!root) {
        printf("SKIP the other-uid part: needs root\n");
        return TEST_SKIP;
    }
    printf("ivshmem: window refused, socket 0600, other uid refused, first connector not replaced, next served\n");
    return TEST_PASS;
}
