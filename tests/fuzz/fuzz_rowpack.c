/*
 * fuzz_rowpack: held-row packing (util/rowpack.h).
 *
 * The input is split at its first 0x1F byte into a reference text and a
 * row (no separator: the row packed against itself).  Properties:
 * - rowpack_store either declines (0) or stores fewer than cap bytes;
 * - rowpack_load gives the row back byte for byte;
 * - a stored form cut short, or loaded for a wrong length, is refused
 *   (-1) without reading past its end;
 * - the reference counts come back to zero (no leak under ASan).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/rowpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *sep = memchr(in, 0x1f, size);
    const char *ref = in, *row = sep ? sep + 1 : in;
    size_t refn = sep ? (size_t)(sep - in) : size, n = sep ? size - refn - 1 : size;

    struct rowref *r = rowref_new(ref, refn);
    if (r == NULL)
        return 0;
    size_t cap = n + ROWPACK_HEAD + 16;
    char *st = malloc(cap), *out = malloc(n + 1);
    FUZZ_CHECK(st != NULL && out != NULL);
    size_t k = rowpack_store(r, row, n, st, cap);
    FUZZ_CHECK(k < cap);
    if (k > 0) {
        FUZZ_CHECK(k >= ROWPACK_HEAD && rowpack_ref(st) == r);
        FUZZ_CHECK(rowpack_load(st, out, n) == 0);
        FUZZ_CHECK(memcmp(out, row, n) == 0);
        /* a wrong length is refused */
        if (n > 0)
            FUZZ_CHECK(rowpack_load(st, out, n - 1) == -1);
        /* cut short: the tokens' length says less than was written */
        if (k > ROWPACK_HEAD) {
            char *cut = malloc(k);
            FUZZ_CHECK(cut != NULL);
            memcpy(cut, st, k);
            uint32_t plen;
            memcpy(&plen, cut + sizeof(uintptr_t), sizeof plen);
            plen--;
            memcpy(cut + sizeof(uintptr_t), &plen, sizeof plen);
            FUZZ_CHECK(rowpack_load(cut, out, n) == -1);
            free(cut);
        }
        rowref_drop(rowpack_ref(st));
    }
    rowref_retire(r);
    rowref_drop(r);
    free(st);
    free(out);
    return 0;
}
