/* SPDX-License-Identifier: BSD-3-Clause */
/* test_config.c - bridge/config.c: numbers are decimal (or 0x hex), inline
 * comments in the INI file are comments, errors name file:line. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bridge_errors.h"
#include "config.h"

static char path[128];

static int load(bridge_config_t *c, const char *text, char *err, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    bridge_config_defaults(c, "models");
    return bridge_config_load_file(c, path, err, len);
}

static int arg(bridge_config_t *c, const char *opt, const char *val, char *err, size_t len)
{
    char *argv[] = {(char *)"zenedge-bridged", (char *)opt, (char *)val, NULL};
    bridge_config_defaults(c, "models");
    return bridge_config_parse_args(c, 3, argv, err, len);
}

static void decimal_numbers(void **state)
{
    (void)state;
    bridge_config_t c;
    char err[1024];
    assert_int_equal(arg(&c, "--queue-depth", "010", err, sizeof(err)), BRIDGE_OK);
    assert_int_equal(c.queue_depth, 10); /* never octal */
    assert_int_equal(arg(&c, "--queue-depth", "08", err, sizeof(err)), BRIDGE_OK);
    assert_int_equal(c.queue_depth, 8);
    assert_int_equal(arg(&c, "--queue-depth", "0x10", err, sizeof(err)), BRIDGE_OK);
    assert_int_equal(c.queue_depth, 16);
    assert_int_equal(arg(&c, "--offset", "4096", err, sizeof(err)), BRIDGE_OK);
    assert_int_equal(c.file_offset, 4096);
    static const char *const bad[] = {"+1",  "-1",  " 5", "5 ",   "0x",
                                      "1e3", "12k", "",   "0x1g", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(arg(&c, "--queue-depth", bad[i], err, sizeof(err)), BRIDGE_E_INVAL); /* command line */
        assert_non_null(strstr(err, "queue-depth"));
        assert_non_null(strstr(err, "[1, 4096]"));
    }
    assert_int_equal(load(&c, "[bridge]\nwatchdog_ms = 0100\n", err, sizeof(err)), BRIDGE_OK);
    assert_int_equal(c.watchdog_ms, 100);
}

static void inline_comments(void **state)
{
    (void)state;
    bridge_config_t c;
    char err[1024] = "";
    int rc = load(&c,
                  "[bridge]\nshm = /zc   # the region\nbackend = cpu ; the default\nqueue_depth = 12\t# twelve\n"
                  "socket = /run/a#b\n; a line comment\n# another\n[log]\nlog_level = debug # chatty\n",
                  err, sizeof(err));
    assert_int_equal(rc, BRIDGE_OK);
    assert_string_equal(c.shm, "/zc");
    assert_string_equal(c.backend, "cpu");
    assert_int_equal(c.queue_depth, 12);
    assert_string_equal(c.socket, "/run/a#b"); /* no space before '#': part of the value */
    assert_int_equal(c.log_level, 3);
    char out[8];
    assert_int_equal(bridge_config_strip_comment("abcdefgh", out, sizeof(out)), BRIDGE_E_CONFIG);
    assert_int_equal(bridge_config_strip_comment("abc  # x", out, sizeof(out)), BRIDGE_OK);
    assert_string_equal(out, "abc");
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    bridge_config_t c;
    char err[1024] = "";
    char want[256];
    assert_int_equal(load(&c, "[bridge]\nshm = /zc\n\nqueue_depth = 9000 # too many\n", err, sizeof(err)),
                     BRIDGE_E_CONFIG);
    snprintf(want, sizeof(want), "%s:4: [bridge] queue-depth: '9000' must be an integer in [1, 4096]", path);
    assert_string_equal(err, want);
    assert_int_equal(load(&c, "[bridge]\nshm = /zc\n[nope]\nx = 1\n", err, sizeof(err)), BRIDGE_E_CONFIG);
    snprintf(want, sizeof(want), "%s:4: [nope] x: unknown section", path);
    assert_non_null(strstr(err, want));
    assert_int_equal(load(&c, "[bridge]\nshm = /zc\nno equals sign\n", err, sizeof(err)), BRIDGE_E_CONFIG);
    snprintf(want, sizeof(want), "%s:3: not 'key = value'", path);
    assert_non_null(strstr(err, want));
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/zenedge-test-config-%d.ini", tmp ? tmp : "/tmp", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimal_numbers),
        cmocka_unit_test(inline_comments),
        cmocka_unit_test(errors_name_file_and_line),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    return rc;
}
