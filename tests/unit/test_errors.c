/* test_errors: every core error code has its own distinct name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "zenedge/ipc_errors.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_names_distinct) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
