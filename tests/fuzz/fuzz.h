/*
 * fuzz.h: what every fuzz target shares.
 *
 * Each tests/fuzz/fuzz_<surface>.c defines LLVMFuzzerTestOneInput and links
 * either with libFuzzer (clang -fsanitize=fuzzer, see run.sh) or with
 * replay_main.c (any C11 compiler, see check.sh).  The prototype is declared
 * here so the targets build with -Wmissing-prototypes on and need no
 * -Wno-missing-prototypes.
 *
 * A target checks properties with FUZZ_CHECK: a failed check prints what
 * was expected and aborts, which libFuzzer and the replay driver both
 * report as a crash with the input that caused it.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* 1 if the view [p, p+n) lies inside [base, base+len) (or is the null view). */
static inline int fuzz_inside(const char *p, size_t n, const char *base, size_t len)
{
    if (p == NULL)
        return n == 0;
    return p >= base && p <= base + len && n <= (size_t)(base + len - p);
}

#endif
