/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * zl_obj.c - who may own and write the objects the Linux side maps: the
 * policy (owners, group, devices) and the check of an open object against
 * it (zl.h). The messages name the object, what was found and what was
 * expected, so that a refusal explains itself in one line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zl.h"

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
    if (why == NULL || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

void zl_obj_policy_init(zl_obj_policy_t *p)
{
    memset(p, 0, sizeof(*p));
    p->group = ZL_NO_GROUP;
}

/* A decimal id of at most 10 digits, or -1. */
static long long parse_id(const char *s)
{
    if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 10)
        return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    return *end == '\0' && v >= 0 && v < 0xFFFFFFFFll ? v : -1;
}

int zl_obj_policy_add_owner(zl_obj_policy_t *p, const char *user, char *why, size_t len)
{
    if (p == NULL || user == NULL || user[0] == '\0') {
        say(why, len, "empty user name");
        return -EINVAL;
    }
    uid_t uid;
    long long id = parse_id(user);
    if (id >= 0) {
        uid = (uid_t)id;
    } else {
        struct passwd *pw = getpwnam(user);
        if (pw == NULL) {
            say(why, len, "no user '%s' on this system", user);
            return -ENOENT;
        }
        uid = pw->pw_uid;
    }
    if (p->n_owners >= ZL_OBJ_MAX_OWNERS) {
        say(why, len, "user '%s': more than %d allowed owners", user, ZL_OBJ_MAX_OWNERS);
        return -ENOSPC;
    }
    p->owners[p->n_owners++] = uid;
    return 0;
}

int zl_obj_policy_add_owners(zl_obj_policy_t *p, const char *list, char *why, size_t len)
{
    char buf[512];
    if (list == NULL || strlen(list) >= sizeof(buf)) {
        say(why, len, "owner list longer than %zu characters", sizeof(buf) - 1);
        return -EINVAL;
    }
    strcpy(buf, list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
        int r = zl_obj_policy_add_owner(p, t, why, len);
        if (r != 0)
            return r;
    }
    return 0;
}

int zl_group_parse(const char *group, gid_t *gid, char *why, size_t len)
{
    if (group == NULL || group[0] == '\0' || gid == NULL) {
        say(why, len, "empty group name");
        return -EINVAL;
    }
    long long id = parse_id(group);
    if (id >= 0) {
        *gid = (gid_t)id;
        return 0;
    }
    struct group *g = getgrnam(group);
    if (g == NULL) {
        say(why, len, "no group '%s' on this system", group);
        return -ENOENT;
    }
    *gid = g->gr_gid;
    return 0;
}

const char *zl_uid_str(uid_t uid, char *buf, size_t len)
{
    struct passwd *pw = getpwuid(uid);
    snprintf(buf, len, "uid %u (%s)", (unsigned)uid, pw ? pw->pw_name : "no such user");
    return buf;
}

const char *zl_gid_str(gid_t gid, char *buf, size_t len)
{
    struct group *g = getgrgid(gid);
    snprintf(buf, len, "gid %u (%s)", (unsigned)gid, g ? g->gr_name : "no such group");
    return buf;
}

static bool owner_ok(uid_t uid, const zl_obj_policy_t *p)
{
    if (uid == geteuid() || uid == 0)
        return true;
    for (uint32_t i = 0; i < p->n_owners && i < ZL_OBJ_MAX_OWNERS; i++)
        if (p->owners[i] == uid)
            return true;
    return false;
}

/* "our uid 0 (root), root or uid 1000 (ann)": the owners p accepts. */
static void owners_str(const zl_obj_policy_t *p, char *buf, size_t len)
{
    char one[96];
    int o = snprintf(buf, len, "%s%s", zl_uid_str(geteuid(), one, sizeof(one)), geteuid() == 0 ? "" : " or root");
    for (uint32_t i = 0; i < p->n_owners && i < ZL_OBJ_MAX_OWNERS && o > 0 && (size_t)o < len; i++)
        o += snprintf(buf + o, len - (size_t)o, " or %s", zl_uid_str(p->owners[i], one, sizeof(one)));
}

static int check_mode(const struct stat *st, const char *what, const zl_obj_policy_t *p, char *why, size_t len)
{
    char g[96], want[160];
    unsigned mode = (unsigned)(st->st_mode & 07777);
    if (p->max_mode != 0 && (mode & ~(unsigned)p->max_mode) != 0) {
        say(why, len, "%s refused: mode %04o allows more than the configured %04o", what, mode, (unsigned)p->max_mode);
        return -EACCES;
    }
    if (st->st_mode & S_IWOTH) {
        say(why, len, "%s refused: mode %04o lets every user write it (expected no write for others, e.g. 0600)", what,
            mode);
        return -EACCES;
    }
    if ((st->st_mode & S_IWGRP) && (p->group == ZL_NO_GROUP || st->st_gid != p->group)) {
        if (p->group == ZL_NO_GROUP)
            snprintf(want, sizeof(want), "no group is configured");
        else
            snprintf(want, sizeof(want), "the configured group is %s", zl_gid_str(p->group, g, sizeof(g)));
        say(why, len, "%s refused: mode %04o lets group %s write it, but %s (expected no group write)", what, mode,
            zl_gid_str(st->st_gid, g, sizeof(g)), want);
        return -EACCES;
    }
    return 0;
}

int zl_obj_check(int fd, const char *what, const zl_obj_policy_t *p, char *why, size_t len)
{
    zl_obj_policy_t def;
    if (p == NULL) {
        zl_obj_policy_init(&def);
        p = &def;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        say(why, len, "%s: fstat: %s", what, strerror(e));
        return -e;
    }
    bool dev = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
    if (!S_ISREG(st.st_mode) && !(dev && p->devices)) {
        say(why, len, "%s refused: not a regular file or shm object (file type 0%o; expected a regular file%s)", what,
            (unsigned)(st.st_mode & S_IFMT), p->devices ? " or a device" : "");
        return -EINVAL;
    }
    if (!owner_ok(st.st_uid, p)) {
        char found[96], want[512];
        owners_str(p, want, sizeof(want));
        say(why, len, "%s refused: owned by %s, mode %04o (expected owner %s)", what,
            zl_uid_str(st.st_uid, found, sizeof(found)), (unsigned)(st.st_mode & 07777), want);
        return -EPERM;
    }
    return check_mode(&st, what, p, why, len);
}
