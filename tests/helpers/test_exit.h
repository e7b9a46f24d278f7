/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_exit.h - the exit codes of every test program (CTest reads them):
 * 0 pass, 1 fail, 77 skip (SKIP_RETURN_CODE 77: a device, a data set or a
 * privilege the test needs is not there; the program says which on
 * stderr). Shell tests use the same numbers (tests/integration/common.sh).
 */
#ifndef ZENEDGE_TEST_EXIT_H
#define ZENEDGE_TEST_EXIT_H

#define TEST_PASS 0
#define TEST_FAIL 1
#define TEST_SKIP 77

#endif /* ZENEDGE_TEST_EXIT_H */
