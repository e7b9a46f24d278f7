/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_obj_ipc_truncate.c - the owner of a region truncates it while
 * zenedge-ipc reads it: the tool must stop with a message and exit 74 (EX_IOERR), not
 * die of SIGBUS. Twice: during the read of one report (the truncation
 * falls inside stat's heartbeat window, so the next load faults), and
 * between reports of --watch.
 * Usage: security_obj_ipc_truncate ZENEDGE_IPC
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_exit.h"
#include <sysexits.h>
#include "zenedge/barrier.h"
#include "zside.h"

#define REGION (1u << 20)

static zside_t z;
static char errpath[300];

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Run zenedge-ipc with args, truncate the region after delay_ms, and
 * return its wait status (-1: still running after 15 s, killed). */
static int run_truncated(const char *ipc, const char *const *args, long delay_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            dup2(fd, 2);
        char *argv[12];
        int n = 0;
        argv[n++] = (char *)ipc;
        for (; args[n - 1] != NULL && n < 11; n++)
            argv[n] = (char *)args[n - 1];
        argv[n] = NULL;
        execv(ipc, argv);
        _exit(126);
    }
    sleep_ms(delay_ms);
    ZS_CHECK(ftruncate(z.map.fd, 0) == 0, "truncate: %s", strerror(errno));
    for (int i = 0; i < 1500; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return st;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void expect_clean_stop(int st, const char *what)
{
    char msg[1024] = "";
    FILE *f = fopen(errpath, "r");
    if (f != NULL) {
        size_t n = fread(msg, 1, sizeof(msg) - 1, f);
        msg[n] = '\0';
        fclose(f);
    }
    ZS_CHECK(st != -1, "%s: zenedge-ipc still running 15 s after the truncation", what);
    ZS_CHECK(!WIFSIGNALED(st), "%s: zenedge-ipc died of signal %d (%s); stderr: %s", what, WTERMSIG(st),
             strsignal(WTERMSIG(st)), msg);
    ZS_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EX_IOERR, "%s: exit status %d, expected 74 (EX_IOERR); stderr: %s",
             what, WIFEXITED(st) ? WEXITSTATUS(st) : -1, msg);
    ZS_CHECK(strstr(msg, "shrank under the mapping") != NULL && strstr(msg, z.shm) != NULL, "%s: no clear message: %s",
             what, msg);
    printf("%s: %s", what, msg);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ZENEDGE_IPC\n", argv[0]);
        return TEST_FAIL;
    }
    zside_guard(&z, 60);
    ZS_CHECK(zside_create(&z, "ipctrunc", REGION, 16, 7) == 0, "region");
    snprintf(errpath, sizeof(errpath), "%s.ipc-err", z.log);
    /* One report: stat samples the heartbeats over 3 periods (3 s here)
     * and reads the region again afterwards, after our truncation. */
    ipc_write_once(&z.v.hdr->zen.hb_period_us, 1000000u);
    const char *one[] = {"stat", "--shm", z.shm, NULL};
    expect_clean_stop(run_truncated(argv[1], one, 1000), "truncated during a report");

    /* Between reports of --watch. */
    ZS_CHECK(ftruncate(z.map.fd, REGION) == 0, "size back");
    ZS_CHECK(zside_reinit(&z, 16, 9) == 0, "re-initialise");
    const char *watch[] = {"stat", "--shm", z.shm, "--watch", "1", "--count", "30", NULL};
    expect_clean_stop(run_truncated(argv[1], watch, 1500), "truncated between --watch reports");
    unlink(errpath);
    printf("PASS: zenedge-ipc stops with a message when its region is truncated\n");
    return TEST_PASS;
}
