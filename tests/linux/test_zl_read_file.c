/* SPDX-License-Identifier: BSD-3-Clause */
/* test_zl_read_file: the one file reader of the Linux side reads a regular
 * file whole with a NUL after it, and refuses what it must refuse with the
 * errno it documents: over max (-EFBIG), a directory or FIFO (-EINVAL), a
 * symlink (-ELOOP, never followed), a missing file (-ENOENT). Files live
 * in a fresh directory under the test's working directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zl.h"

static char dir[64];

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void write_file(const char *name, const void *data, size_t n)
{
    char p[128];
    path_of(p, sizeof(p), name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "zl_read_file.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const names[] = {"text", "big", "empty", "link", "fifo", "sub"};
    char p[128];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        path_of(p, sizeof(p), names[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
    return rmdir(dir);
}

/* Read name with max; returns the buffer, *len and *err as given back. */
static char *read_it(const char *name, size_t max, size_t *len, int *err)
{
    char p[128];
    path_of(p, sizeof(p), name);
    *len = 12345;
    *err = 12345;
    return zl_read_file(p, max, len, err);
}

static void test_regular_whole_with_nul(void **state)
{
    (void)state;
    const char text[] = "line one\nline two\n";
    write_file("text", text, sizeof(text) - 1);
    size_t len;
    int err;
    char *buf = read_it("text", 4096, &len, &err);
    assert_non_null(buf);
    assert_int_equal(err, 0);
    assert_int_equal(len, sizeof(text) - 1);
    assert_memory_equal(buf, text, len);
    assert_int_equal(buf[len], '\0');
    free(buf);
    /* exactly max bytes still fits */
    buf = read_it("text", sizeof(text) - 1, &len, &err);
    assert_non_null(buf);
    assert_int_equal(len, sizeof(text) - 1);
    free(buf);
}

static void test_over_max_is_efbig(void **state)
{
    (void)state;
    char data[100];
    memset(data, 'x', sizeof(data));
    write_file("big", data, sizeof(data));
    size_t len;
    int err;
    assert_null(read_it("big", sizeof(data) - 1, &len, &err));
    assert_int_equal(err, -EFBIG);
}

static void test_directory_and_fifo_are_einval(void **state)
{
    (void)state;
    char p[128];
    path_of(p, sizeof(p), "sub");
    assert_int_equal(mkdir(p, 0700), 0);
    size_t len;
    int err;
    assert_null(read_it("sub", 4096, &len, &err));
    assert_int_equal(err, -EINVAL);
    /* a FIFO with no writer: refused at once, not waited on */
    path_of(p, sizeof(p), "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_null(read_it("fifo", 4096, &len, &err));
    assert_int_equal(err, -EINVAL);
}

static void test_symlink_is_eloop(void **state)
{
    (void)state;
    write_file("text", "target", 6);
    char p[128];
    path_of(p, sizeof(p), "link");
    assert_int_equal(symlink("text", p), 0);
    size_t len;
    int err;
    assert_null(read_it("link", 4096, &len, &err));
    assert_int_equal(err, -ELOOP);
}

static void test_missing_is_enoent(void **state)
{
    (void)state;
    size_t len;
    int err;
    assert_null(read_it("no-such-file", 4096, &len, &err));
    assert_int_equal(err, -ENOENT);
    assert_null(zl_read_file(NULL, 4096, &len, &err));
    assert_int_equal(err, -EINVAL);
}

static void test_empty_file_is_length_zero(void **state)
{
    (void)state;
    write_file("empty", "", 0);
    size_t len;
    int err;
    char *buf = read_it("empty", 4096, &len, &err);
    assert_non_null(buf);
    assert_int_equal(err, 0);
    assert_int_equal(len, 0);
    assert_int_equal(buf[0], '\0');
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_whole_with_nul),
        cmocka_unit_test(test_over_max_is_efbig),
        cmocka_unit_test(test_directory_and_fifo_are_einval),
        cmocka_unit_test(test_symlink_is_eloop),
        cmocka_unit_test(test_missing_is_enoent),
        cmocka_unit_test(test_empty_file_is_length_zero),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
