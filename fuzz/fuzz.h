/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz.h - the one entry point every fuzz target implements. The same
 * source is linked either with libFuzzer (clang -fsanitize=fuzzer, option
 * ZENEDGE_FUZZ) or with replay.c, which CTest runs over the committed
 * corpus plus deterministic mutations of it, without a fuzzing compiler.
 */
#ifndef ZENEDGE_FUZZ_H
#define ZENEDGE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
