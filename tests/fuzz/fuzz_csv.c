/*
 * fuzz_csv: the CSV reader and the __mv_ decoder, on a request body.
 *
 * Properties:
 * - csv_parse returns 0 or a documented error with a one-line message;
 * - on success every cell lies inside the body, every row has its text
 *   (raw): a view into the body that contains each of the row's cells, or
 *   (for a row changed by unescaping) re-quoted text kept beside the table,
 *   which is read to its end here so a bad view is caught;
 * - for every column with an __mv_ companion, mv_validate and mv_next
 *   agree (a cell that validates decodes without error, one that does not
 *   ends in ERR_INPUT), and the decoded values, encoded again by
 *   mv_encode and decoded once more, come back byte for byte;
 * - csv_parse_copy, asked for every other column, returns what csv_parse
 *   returned; on success its stored values are csv_parse's, byte for byte,
 *   and lie in the table's own copy (its body is overwritten first), the
 *   other columns are not stored, and no row keeps its text.
 */
#include <string.h>

#include "fuzz.h"
#include "scp/cols.h"
#include "scp/csv.h"
#include "scp/mv.h"
#include "util/arena.h"

#define VALS_MAX 64

static volatile unsigned sink; /* keeps the reads of side text */

/* Fill the stack below us with a pattern, so a parser that reads a local it
 * never set gets 0xa5a5... (a wild pointer that faults) and not whatever
 * an earlier call left there. */
static void poison_stack(void)
{
    volatile unsigned char junk[16384];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0xa5;
}

static void check_mv(struct arena *ar, struct slice plain, struct slice mvcell)
{
    struct mv_iter it;
    struct slice vals[VALS_MAX], out;
    size_t n = 0;
    int rc, ok = mvcell.n == 0 || mv_validate(mvcell) == 0;

    mv_iter_init(&it, plain, mvcell);
    while ((rc = mv_next(&it, ar, &out)) == 1) {
        if (n < VALS_MAX)
            vals[n] = out;
        n++;
    }
    if (rc == ERR_NOMEM)
        return; /* arena ceiling */
    FUZZ_CHECK(rc == 0 || rc == ERR_INPUT);
    FUZZ_CHECK((rc == 0) == ok);
    if (rc != 0 || n > VALS_MAX)
        return;

    struct slice p2, m2;
    if (mv_encode(ar, vals, n, &p2, &m2) != 0)
        return;
    mv_iter_init(&it, p2, m2);
    size_t k = 0;
    while ((rc = mv_next(&it, ar, &out)) == 1) {
        FUZZ_CHECK(k < n && slice_eq(out, vals[k]));
        k++;
    }
    FUZZ_CHECK(rc == 0 || rc == ERR_NOMEM);
    if (rc == 0)
        FUZZ_CHECK(k == n);
}

/* The copy mode against the table csv_parse made of the same bytes. */
static void check_copy(const uint8_t *data, size_t size, const struct csv_table *t, int rc0)
{
    char *body = malloc(size ? size : 1);
    uint32_t want[64];
    size_t nwant = 0;
    struct cols *c = cols_new();
    struct csv_table t2;
    struct err e;
    FUZZ_CHECK(body != NULL && c != NULL);
    if (size)
        memcpy(body, data, size);
    csv_table_init(&t2);
    /* the same names get the same ids in a registry of their own, since
     * they are interned in the same order */
    for (size_t k = 0; rc0 == 0 && k < t->ncols && nwant < 64; k += 2)
        want[nwant++] = t->ids[k];
    int rc = csv_parse_copy(body, size, c, rc0 == 0 ? want : NULL, nwant, &t2, &e);
    FUZZ_CHECK(rc == rc0 || rc == ERR_NOMEM);
    if (rc == 0) {
        memset(body, 0xee, size);
        FUZZ_CHECK(t2.ncols == t->ncols && t2.nrows == t->nrows);
        for (size_t r = 0; r < t2.nrows; r++) {
            FUZZ_CHECK(t2.raw[r].p == NULL);
            for (size_t k = 0; k < t2.ncols; k++) {
                struct slice v = csv_cell(&t2, r, k);
                if (k % 2 || k >= 128) {
                    FUZZ_CHECK(t2.wmap[k] == UINT32_MAX);
                    continue;
                }
                FUZZ_CHECK(fuzz_inside(v.p, v.n, t2.own, t2.own_len));
                FUZZ_CHECK(slice_eq(v, csv_cell(t, r, k)));
            }
        }
    }
    csv_table_free(&t2);
    cols_free(c);
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    struct cols *c = cols_new();
    struct csv_table t;
    struct arena ar;
    struct err e;
    FUZZ_CHECK(body != NULL && c != NULL);
    if (size)
        memcpy(body, data, size);
    csv_table_init(&t);
    arena_init(&ar, 4096, 64u * 1024 * 1024);

    poison_stack();
    int rc = csv_parse(body, size, c, &t, &e);
    if (rc != 0) {
        FUZZ_CHECK(rc == ERR_CSV || rc == ERR_LIMIT || rc == ERR_NOMEM);
        FUZZ_CHECK(e.msg[0] != '\0' && strchr(e.msg, '\n') == NULL);
    } else {
        for (size_t k = 0; k < t.ncols; k++) {
            struct slice name = cols_name(c, t.ids[k]);
            FUZZ_CHECK(name.p != NULL);
            for (size_t j = 0; j < k; j++)
                FUZZ_CHECK(t.ids[j] != t.ids[k]);
        }
        for (size_t r = 0; r < t.nrows; r++) {
            struct slice raw = t.raw[r];
            int in_body = fuzz_inside(raw.p, raw.n, body, size);
            FUZZ_CHECK(raw.p != NULL);
            if (!in_body) {
                for (size_t i = 0; i < raw.n; i++)
                    sink += (unsigned char)raw.p[i];
            }
            for (size_t k = 0; k < t.ncols; k++) {
                struct slice v = csv_cell(&t, r, k);
                FUZZ_CHECK(fuzz_inside(v.p, v.n, body, size));
                if (in_body && v.p != NULL)
                    FUZZ_CHECK(fuzz_inside(v.p, v.n, raw.p, raw.n));
                if (t.mv[k] != UINT32_MAX) {
                    FUZZ_CHECK(t.mv[k] < t.ncols);
                    check_mv(&ar, v, csv_cell(&t, r, t.mv[k]));
                }
            }
            arena_reset(&ar);
        }
    }
    check_copy(data, size, &t, rc);
    arena_free(&ar);
    csv_table_free(&t);
    cols_free(c);
    free(body);
    return 0;
}
