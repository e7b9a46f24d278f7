/* SPDX-License-Identifier: BSD-3-Clause */
/* test_service.c - zenedge-bridged as a systemd service, against the real
 * daemon: the notifications on NOTIFY_SOCKET (STATUS= while loading,
 * READY=1 once warm, WATCHDOG=1 at the WATCHDOG_USEC pace, RELOADING=1 and
 * READY=1 on SIGHUP, STOPPING=1 at exit), SIGHUP re-reading the INI file
 * (log level at once; an invalid file logged, the daemon keeps running),
 * journald's "<N>" prefixes when JOURNAL_STREAM names stderr, the sysexits
 * exit statuses and --check-config. argv: daemon, models directory,
 * "systemd" when the daemon is built with libsystemd (else only the exit
 * statuses are checked). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "test_exit.h"

static const char *daemon_exe, *models;
static char dir[64], ini[100], log_path[100], sock[100];
static char notes[16384]; /* every datagram received, one per line */
static size_t notes_len;
static int failures;

#define CHECK(c, ...)                           \
    do {                                        \
        if (!(c)) {                             \
            printf("FAIL line %d: ", __LINE__); \
            printf(__VA_ARGS__);                \
            printf("\n");                       \
            failures++;                         \
        }                                       \
    } while (0)

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(TEST_FAIL);
    }
    fputs(text, f);
    fclose(f);
}

static void read_text(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
}

/* Datagrams arriving within ms, appended to notes. */
static void collect(int s, int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = ms - ((t.tv_sec - t0.tv_sec) * 1000L + (t.tv_nsec - t0.tv_nsec) / 1000000L);
        struct pollfd p = {.fd = s, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return;
        char d[1024];
        ssize_t n = recv(s, d, sizeof(d) - 1, 0);
        if (n > 0 && notes_len + (size_t)n + 2 < sizeof(notes)) {
            memcpy(notes + notes_len, d, (size_t)n);
            notes_len += (size_t)n;
            notes[notes_len++] = '\n';
            notes[notes_len] = '\0';
        }
    }
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Run the daemon with argv (NULL-terminated, after the program name);
 * stderr to log_path; env: JOURNAL_STREAM set to log_path when journal. */
static pid_t start(const char *const *args, bool notify, bool journal)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    if (notify) {
        setenv("NOTIFY_SOCKET", sock, 1);
        setenv("WATCHDOG_USEC", "200000", 1);
    }
    if (journal) {
        struct stat st;
        fstat(fd, &st);
        char js[64];
        snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
        setenv("JOURNAL_STREAM", js, 1);
    }
    const char *argv[32] = {daemon_exe};
    for (int i = 0; args[i] && i < 30; i++)
        argv[i + 1] = args[i];
    execv(daemon_exe, (char **)argv);
    _exit(127);
}

static int wait_status(pid_t pid, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 10; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void run_service(int s)
{
    char shm[64], text[1024];
    snprintf(shm, sizeof(shm), "/zenedge-test-svc-%d", (int)getpid());
    snprintf(text, sizeof(text),
             "[bridge]\nshm = %s   # never created: the daemon waits for it\nmodels = %s\n"
             "socket = %s/bridge.sock\n[log]\nlog_level = info ; the default\n",
             shm, models, dir);
    write_text(ini, text);
    const char *args[] = {"--config", ini, NULL};
    pid_t pid = start(args, true, true);
    collect(s, 3000);
    CHECK(strstr(notes, "STATUS=loading models from") != NULL, "no loading status in:\n%s", notes);
    CHECK(strstr(notes, "STATUS=warming 4 models on cpu") != NULL, "no warming status in:\n%s", notes);
    CHECK(strstr(notes, "READY=1\nSTATUS=serving") != NULL, "no READY=1 in:\n%s", notes);
    int dogs = count(notes, "WATCHDOG=1");
    CHECK(dogs >= 5 && dogs <= 40, "%d WATCHDOG=1 in about 3 s at WATCHDOG_USEC=200000 (want every ~100 ms)", dogs);
    CHECK(strstr(notes, "READY=1") < strstr(notes, "WATCHDOG=1"), "WATCHDOG=1 before READY=1");

    /* SIGHUP with a valid file: log level debug at once. */
    snprintf(text, sizeof(text),
             "[bridge]\nshm = %s\nmodels = %s\nsocket = %s/bridge.sock\nqueue_depth = 8\n"
             "[log]\nlog_level = debug\n",
             shm, models, dir);
    write_text(ini, text);
    kill(pid, SIGHUP);
    collect(s, 800);
    CHECK(strstr(notes, "RELOADING=1\nMONOTONIC_USEC=") != NULL, "no RELOADING=1 in:\n%s", notes);
    CHECK(strstr(notes, "STATUS=serving (settings reloaded)") != NULL, "no READY after the reload:\n%s", notes);
    /* SIGHUP with an invalid file: logged, still running. */
    write_text(ini, "[bridge]\nshm = /x\nqueue_depth = 99999\n");
    kill(pid, SIGHUP);
    collect(s, 800);
    CHECK(waitpid(pid, NULL, WNOHANG) == 0, "the daemon died on SIGHUP");
    kill(pid, SIGTERM);
    int st = wait_status(pid, 10000);
    collect(s, 200);
    CHECK(st == 0, "exit status %d after SIGTERM", st);
    CHECK(strstr(notes, "STOPPING=1") != NULL, "no STOPPING=1 in:\n%s", notes);

    char log[65536];
    read_text(log_path, log, sizeof(log));
    CHECK(strstr(log, "<6>SIGHUP: settings reloaded from") != NULL, "no reload line in:\n%s", log);
    CHECK(strstr(log, "log_level debug; other changed settings take effect at the next start") != NULL,
          "the reload did not name the changed settings:\n%s", log);
    CHECK(strstr(log, "<3>SIGHUP: settings not reloaded, the running ones stay:") != NULL &&
              strstr(log, ":3: [bridge] queue-depth: '99999' must be an integer in [1, 4096]") != NULL,
          "no refusal naming file:line in:\n%s", log);
    CHECK(strstr(log, "zenedge-bridged[") == NULL, "own time stamp and name under journald:\n%s", log);
}

static void expect_exit(int want, const char *what, const char *const *args)
{
    pid_t pid = start(args, false, false);
    int st = wait_status(pid, 60000);
    char log[8192];
    read_text(log_path, log, sizeof(log));
    CHECK(st == want, "%s: exit status %d, want %d; output:\n%s", what, st, want, log);
}

static void run_exits(void)
{
    char bad_models[200], text[600];
    snprintf(bad_models, sizeof(bad_models), "%s/models", dir);
    mkdir(bad_models, 0700);
    snprintf(text, sizeof(text), "%s/m", bad_models);
    mkdir(text, 0700);
    snprintf(text, sizeof(text), "%s/m/model.ini", bad_models);
    write_text(text, "[model]\nid = 1\nname = broken\n");
    write_text(ini, "[bridge]\nshm = /x\nqueue_depth = 08 # decimal eight\n");
    expect_exit(EX_USAGE, "unknown option", (const char *const[]){"--no-such-option", NULL});
    expect_exit(EX_USAGE, "bad value on the command line", (const char *const[]){"--batch", "0", NULL});
    expect_exit(EX_CONFIG, "no region", (const char *const[]){"--models", models, NULL});
    expect_exit(EX_OK, "--check-config", (const char *const[]){"--config", ini, "--models", models, "-t", NULL});
    char out[8192];
    read_text(log_path, out, sizeof(out));
    CHECK(strstr(out, "configuration OK") != NULL && strstr(out, "4 digits_mlp") != NULL, "check output:\n%s", out);
    expect_exit(EX_NOINPUT, "--check-config, no model directory",
                (const char *const[]){"--shm", "/x", "--models", "/nonexistent-zenedge", "--check-config", NULL});
    expect_exit(EX_DATAERR, "--check-config, a broken manifest",
                (const char *const[]){"--shm", "/x", "--models", bad_models, "--check-config", NULL});
    expect_exit(EX_CONFIG, "--check-config, no such backend",
                (const char *const[]){"--shm", "/x", "--models", models, "--backend", "nope", "-t", NULL});
    write_text(ini, "[bridge]\nshm = /x\nspin_us = 1e3\n");
    expect_exit(EX_CONFIG, "bad INI value", (const char *const[]){"--config", ini, "-t", NULL});
    read_text(log_path, out, sizeof(out));
    CHECK(strstr(out, ":3: [bridge] spin-us: '1e3'") != NULL, "the INI error names no file:line:\n%s", out);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ZENEDGE_BRIDGED MODELS_DIR systemd|none\n", argv[0]);
        return TEST_FAIL;
    }
    daemon_exe = argv[1];
    models = argv[2];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/zenedge-test-service-%d", tmp ? tmp : "/tmp", (int)getpid());
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        return TEST_FAIL;
    }
    snprintf(ini, sizeof(ini), "%s/b.ini", dir);
    snprintf(log_path, sizeof(log_path), "%s/log", dir);
    snprintf(sock, sizeof(sock), "%s/notify", dir);
    run_exits();
    bool sd = strcmp(argv[3], "systemd") == 0;
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("notify socket");
        return TEST_FAIL;
    }
    if (sd)
        run_service(s);
    else
        printf("built without libsystemd: notifications, SIGHUP and journald not checked\n");
    close(s);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("cannot remove %s\n", dir);
    printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? TEST_FAIL : TEST_PASS;
}
