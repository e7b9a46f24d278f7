/* SPDX-License-Identifier: BSD-3-Clause */
/* test_errors: every core error code and wire status has its own distinct
 * name, generated from its own constant. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "zenedge/ipc_doorbell.h"
#include "zenedge/ipc_errors.h"
#include "zenedge/ipc_proto.h"

static void test_names_distinct(void **state)
{
    (void)state;
    assert_string_equal(ipc_strerror(IPC_OK), "IPC_OK");
    assert_string_equal(ipc_strerror(IPC_E_RING_FULL), "IPC_E_RING_FULL");
    assert_string_equal(ipc_strerror(IPC_E_HEAP_CONFIG), "IPC_E_HEAP_CONFIG");
    assert_string_equal(ipc_strerror(12345), "IPC_E_?");
    assert_string_equal(ipc_strerror(IPC_E_LAST), "IPC_E_?");
    for (int a = IPC_E_BASE; a > IPC_E_LAST; a--) {
        assert_true(strncmp(ipc_strerror(a), "IPC_E_", 6) == 0);
        for (int b = a - 1; b > IPC_E_LAST; b--)
            assert_string_not_equal(ipc_strerror(a), ipc_strerror(b));
    }
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(ipc_status_name(IPC_STATUS_OK), "IPC_STATUS_OK");
    assert_string_equal(ipc_status_name(IPC_STATUS_BAD_MODEL), "IPC_STATUS_BAD_MODEL");
    assert_string_equal(ipc_status_name(IPC_STATUS_SHUTDOWN), "IPC_STATUS_SHUTDOWN");
    assert_string_equal(ipc_status_name(IPC_STATUS_COUNT), "IPC_STATUS_?");
    for (uint32_t a = 0; a < IPC_STATUS_COUNT; a++) {
        assert_true(strncmp(ipc_status_name(a), "IPC_STATUS_", 11) == 0);
        assert_string_not_equal(ipc_status_name(a), "IPC_STATUS_?");
        for (uint32_t b = a + 1; b < IPC_STATUS_COUNT; b++)
            assert_string_not_equal(ipc_status_name(a), ipc_status_name(b));
    }
}

static void test_db_modes(void **state)
{
    (void)state;
    for (int m = 0; m < (int)IPC_DB_MODES; m++)
        assert_int_equal(ipc_db_mode_parse(ipc_db_mode_name(m)), m);
    assert_int_equal(ipc_db_mode_parse("poll"), IPC_DB_POLL);
    assert_int_equal(ipc_db_mode_parse("adaptive"), IPC_DB_ADAPTIVE);
    assert_int_equal(ipc_db_mode_parse("pol"), IPC_E_INVAL);
    assert_int_equal(ipc_db_mode_parse("polls"), IPC_E_INVAL);
    assert_int_equal(ipc_db_mode_parse(""), IPC_E_INVAL);
    assert_int_equal(ipc_db_mode_parse(NULL), IPC_E_INVAL);
    assert_string_equal(ipc_db_mode_name(IPC_DB_MODES), "?");
    assert_string_equal(ipc_db_mode_name(-1), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_distinct),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_db_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
