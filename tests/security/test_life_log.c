/* SPDX-License-Identifier: BSD-3-Clause */
/* test_life_log.c - the daemon's log is rate-limited per call site: a flood of one line gives BRIDGE_LOG_BURST lines and then one "N more lines like ... suppressed" summary once the window is over, while the lines of another call site still go out. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "test_exit.h"

#define CHECK(c)                                                   \
    do {                                                           \
        if (!(c)) {                                                \
            fprintf(stdout, "FAIL: %s (line %d)\n", #c, __LINE__); \
            return TEST_FAIL;                                      \
        }                                                          \
    } while (0)

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *s = strstr(text, needle); s; s = strstr(s + 1, needle))
        n++;
    return n;
}

int main(void)
{
    char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/zenedge-life-log-%d.txt", tmp ? tmp : "/tmp", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    CHECK(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    bridge_log_open("life-log", BRIDGE_LOG_INFO, false);
    for (int i = 0; i < 1000; i++)
        BLOG_WARN("flood line %d", i);
    for (int i = 0; i < 3; i++)
        BLOG_INFO("another call site %d", i);
    struct timespec ts = {1, 100000000};
    nanosleep(&ts, NULL);
    BLOG_WARN("flood line %d", 1000); /* a new window: the summary, then this line */
    dup2(saved, STDERR_FILENO);
    close(saved);
    static char text[1 << 16];
    ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
    close(fd);
    unlink(path);
    CHECK(n > 0);
    text[n] = '\0';
    fputs(text, stdout);
    CHECK(count(text, "] warn: flood line") == (int)BRIDGE_LOG_BURST + 1);
    CHECK(count(text, "another call site") == 3);
    CHECK(count(text, "990 more lines like \"flood line %d\" suppressed") == 1);
    CHECK(bridge_log_suppressed_total() == 990);
    printf("PASS: 1001 lines of one call site gave %u + 1 and one summary\n", BRIDGE_LOG_BURST);
    return TEST_PASS;
}
