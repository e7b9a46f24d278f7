/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay.c - run a fuzz target over corpus files and over deterministic
 * mutations of them (bit flips, byte sets, 32-bit word overwrites with
 * boundary values), so that every test run exercises the parser of shared
 * memory with hostile input even without libFuzzer.
 * Usage: <target>_replay [--mutate N] [--seed S] FILE|DIR...
 * Exit 0 when every input was processed (a crash or sanitizer report fails).
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static uint64_t rng;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static const uint32_t boundary[] = {
    0u,    1u,    2u,     3u,     63u,         64u,         65u,         255u,        256u,
    4095u, 4096u, 65535u, 65536u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFC0u, 0xFFFFFFFEu, 0xFFFFFFFFu,
};

static void mutate(uint8_t *buf, size_t size)
{
    int edits = 1 + (int)(next() % 4);
    for (int e = 0; e < edits && size >= 4; e++) {
        size_t at = next() % size;
        switch (next() % 3) {
        case 0: buf[at] ^= (uint8_t)(1u << (next() % 8)); break;
        case 1: buf[at] = (uint8_t)next(); break;
        default: {
            /* Header words are where the parser looks: bias towards them. */
            size_t w = (next() & 1) ? (next() % 64) * 4 : (at & ~(size_t)3);
            if (w + 4 <= size) {
                uint32_t v = boundary[next() % (sizeof(boundary) / sizeof(boundary[0]))];
                memcpy(buf + w, &v, 4);
            }
        }
        }
    }
}

static int run_file(const char *path, long mutations, size_t *runs)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len < 0) {
        fclose(f);
        return 1;
    }
    uint8_t *orig = malloc((size_t)len + 1);
    uint8_t *work = malloc((size_t)len + 1);
    size_t got = fread(orig, 1, (size_t)len, f);
    fclose(f);
    if (got != (size_t)len) {
        free(orig);
        free(work);
        return 1;
    }
    LLVMFuzzerTestOneInput(orig, (size_t)len);
    (*runs)++;
    for (long i = 0; i < mutations; i++) {
        memcpy(work, orig, (size_t)len);
        mutate(work, (size_t)len);
        /* Sometimes truncate too. */
        size_t n = (next() % 8 == 0 && len > 0) ? next() % (size_t)len : (size_t)len;
        LLVMFuzzerTestOneInput(work, n);
        (*runs)++;
    }
    free(orig);
    free(work);
    return 0;
}

int main(int argc, char **argv)
{
    long mutations = 0;
    rng = 0x9E3779B97F4A7C15ull;
    size_t runs = 0;
    int files = 0, err = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mutate") == 0 && i + 1 < argc) {
            mutations = strtol(argv[++i], NULL, 10);
            continue;
        }
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            rng = strtoull(argv[++i], NULL, 0) | 1u;
            continue;
        }
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dirent **list;
            int n = scandir(argv[i], &list, NULL, alphasort);
            for (int k = 0; k < n; k++) {
                if (list[k]->d_name[0] != '.') {
                    char path[4096];
                    snprintf(path, sizeof(path), "%s/%s", argv[i], list[k]->d_name);
                    err |= run_file(path, mutations, &runs);
                    files++;
                }
                free(list[k]);
            }
            free(list);
        } else {
            err |= run_file(argv[i], mutations, &runs);
            files++;
        }
    }
    printf("replay: %d corpus files, %zu inputs run (%ld mutations each)\n", files, runs, mutations);
    if (files == 0) {
        printf("FAIL: no corpus file\n");
        return 1;
    }
    return err;
}
