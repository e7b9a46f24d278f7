/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_obj_zl.c - the object rules of linux/zl.h: the creator makes the
 * region new (O_EXCL) with exactly the mode and group asked for, replaces
 * only a stale object of its own, leaves anyone else's in place; every
 * opener refuses a foreign owner, a mode others (or an unconfigured group)
 * may write, a symbolic link and a non-regular file, and says why.
 * The squatter parts need a second uid: they run as root (a child drops to
 * uid 65534) and are skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_exit.h"
#include "zl.h"

static int failures;
static char shm[64], path[256], link_path[256];

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
            failures++;                                                     \
        }                                                                   \
    } while (0)

static void cleanup(void)
{
    shm_unlink(shm);
    unlink(path);
    unlink(link_path);
}

/* A child as uid/gid 65534 creates shm_name with mode (umask 0). */
static int squat(const char *name, mode_t mode)
{
    pid_t pid = fork();
    if (pid == 0) {
        umask(0);
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, mode);
        _exit(fd >= 0 && ftruncate(fd, 1 << 20) == 0 && fchmod(fd, mode) == 0 ? 0 : 3);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_create_rules(void)
{
    zl_map_t a, b;
    char why[1024] = "";
    umask(0077); /* the mode asked for is set whatever the umask */
    int r = zl_shm_create_ex(&a, shm, 1 << 20, 0640, ZL_NO_GROUP, why, sizeof(why));
    CHECK(r == 0, "create: %d %s", r, why);
    struct stat st;
    CHECK(fstat(a.fd, &st) == 0 && (st.st_mode & 0777) == 0640, "mode %o, expected 0640", st.st_mode & 0777);
    /* A second creator while the first is alive: refused, nothing removed. */
    why[0] = '\0';
    r = zl_shm_create_ex(&b, shm, 1 << 20, 0600, ZL_NO_GROUP, why, sizeof(why));
    CHECK(r == -EBUSY, "second creator: %d (%s), expected -EBUSY", r, why);
    CHECK(strstr(why, shm) != NULL && strstr(why, "in use") != NULL, "why: %s", why);
    CHECK(fstat(a.fd, &st) == 0 && st.st_nlink == 1, "the live object was unlinked");
    zl_unmap(&a);
    /* A stale object of ours (no creator alive): replaced. */
    int fd = shm_open(shm, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0, "stale object");
    close(fd);
    r = zl_shm_create_ex(&a, shm, 1 << 20, 0600, ZL_NO_GROUP, why, sizeof(why));
    CHECK(r == 0 && a.size == (1u << 20), "stale object not replaced: %d %s", r, why);
    zl_unmap(&a);
    /* Modes that let others, or a group not given, write: refused. */
    CHECK(zl_shm_create_ex(&a, shm, 4096, 0666, ZL_NO_GROUP, why, sizeof(why)) == -EINVAL, "0666 accepted");
    CHECK(zl_shm_create_ex(&a, shm, 4096, 0660, ZL_NO_GROUP, why, sizeof(why)) == -EINVAL, "0660 without group");
    CHECK(strstr(why, "no group") != NULL, "why: %s", why);
}

static void test_open_rules(void)
{
    zl_map_t m;
    char why[1024] = "";
    int fd = shm_open(shm, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 8192) == 0, "object");
    CHECK(zl_shm_open_ex(&m, shm, true, NULL, why, sizeof(why)) == 0, "own 0600 object refused: %s", why);
    zl_unmap(&m);
    fchmod(fd, 0606);
    int r = zl_shm_open_ex(&m, shm, false, NULL, why, sizeof(why));
    CHECK(r == -EACCES && strstr(why, "0606") && strstr(why, "every user") && strstr(why, shm), "world-writable: %d %s",
          r, why);
    fchmod(fd, 0660);
    r = zl_shm_open_ex(&m, shm, false, NULL, why, sizeof(why));
    CHECK(r == -EACCES && strstr(why, "group"), "group-writable without a group: %d %s", r, why);
    zl_obj_policy_t p;
    zl_obj_policy_init(&p);
    struct stat st;
    fstat(fd, &st);
    p.group = st.st_gid;
    r = zl_shm_open_ex(&m, shm, false, &p, why, sizeof(why));
    CHECK(r == 0, "group-writable with its group configured: %d %s", r, why);
    if (r == 0)
        zl_unmap(&m);
    p.max_mode = 0600;
    r = zl_shm_open_ex(&m, shm, false, &p, why, sizeof(why));
    CHECK(r == -EACCES && strstr(why, "0600"), "beyond the configured mode: %d %s", r, why);
    close(fd);
    shm_unlink(shm);
}

static void test_file_rules(void)
{
    zl_map_t m;
    char why[1024] = "";
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 8192) == 0, "file");
    close(fd);
    CHECK(symlink(path, link_path) == 0, "symlink");
    int r = zl_file_map_ex(&m, link_path, 0, 4096, true, NULL, why, sizeof(why));
    CHECK(r == -ELOOP && strstr(why, "symbolic link"), "a link was followed: %d %s", r, why);
    r = zl_file_map(&m, link_path, 0, 4096, true);
    CHECK(r == -ELOOP, "zl_file_map followed a link: %d", r);
    r = zl_file_map_ex(&m, path, 0, 4096, true, NULL, why, sizeof(why));
    CHECK(r == 0, "the file itself: %d %s", r, why);
    if (r == 0)
        zl_unmap(&m);
    zl_obj_policy_t p;
    zl_obj_policy_init(&p);
    r = zl_file_map_ex(&m, "/dev/zero", 0, 4096, true, &p, why, sizeof(why));
    CHECK(r == -EINVAL && strstr(why, "regular"), "a device without devices allowed: %d %s", r, why);
}

/* Root only: uid 65534 squats the name first (mode 0666). */
static int test_squatter(void)
{
    if (geteuid() != 0)
        return 0;
    if (squat(shm, 0666) != 0) {
        fprintf(stderr, "cannot act as uid 65534 here\n");
        return 0;
    }
    zl_map_t m;
    char why[1024] = "";
    int r = zl_shm_create_ex(&m, shm, 1 << 20, 0600, ZL_NO_GROUP, why, sizeof(why));
    CHECK(r == -EEXIST && strstr(why, "65534") && strstr(why, "0666"), "squatted name: %d %s", r, why);
    int fd = shm_open(shm, O_RDONLY, 0);
    struct stat st;
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == 65534 && st.st_size == (1 << 20),
          "the squatter's object was removed or changed");
    if (fd >= 0)
        close(fd);
    r = zl_shm_open_ex(&m, shm, false, NULL, why, sizeof(why));
    CHECK(r == -EPERM && strstr(why, "owned by uid 65534"), "foreign owner: %d %s", r, why);
    zl_obj_policy_t p;
    zl_obj_policy_init(&p);
    CHECK(zl_obj_policy_add_owner(&p, "65534", why, sizeof(why)) == 0, "add owner");
    r = zl_shm_open_ex(&m, shm, false, &p, why, sizeof(why));
    CHECK(r == -EACCES, "an allowed owner with mode 0666: %d %s", r, why);
    shm_unlink(shm);
    /* The group we ask for is given, and the mode is exact. */
    r = zl_shm_create_ex(&m, shm, 4096, 0660, 65534, why, sizeof(why));
    CHECK(r == 0, "create with group 65534: %d %s", r, why);
    CHECK(r != 0 || (fstat(m.fd, &st) == 0 && st.st_gid == 65534 && (st.st_mode & 0777) == 0660), "group %u mode %o",
          (unsigned)st.st_gid, st.st_mode & 0777);
    if (r == 0)
        zl_unmap(&m);
    return 1;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(shm, sizeof(shm), "/zenedge-sec-obj-%d", (int)getpid());
    snprintf(path, sizeof(path), "%s/zenedge-sec-obj-%d.region", tmp, (int)getpid());
    snprintf(link_path, sizeof(link_path), "%s/zenedge-sec-obj-%d.link", tmp, (int)getpid());
    atexit(cleanup);
    test_create_rules();
    test_open_rules();
    test_file_rules();
    int root = test_squatter();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return TEST_FAIL;
    }
    printf("PASS: object rules%s\n", root ? " (with a squatter as uid 65534)" : " (squatter part skipped: not root)");
    return TEST_PASS;
}
