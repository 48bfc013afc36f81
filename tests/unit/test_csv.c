/* CSV reader, writer and multivalue codec: table-driven cases, the
 * multivalue table from the protocol notes, and a random round trip
 * (write then read gives the same table, byte for byte). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scp/csv.h"
#include "scp/csvw.h"
#include "scp/mv.h"
#include "support/testutil.h"
#include "util/arena.h"

struct rcase {
    const char *name;
    const char *in;
    size_t inlen;          /* 0 = strlen */
    int rc;                /* 0, ERR_CSV, ERR_LIMIT */
    size_t ncols, nrows;
    const char *cells;     /* names and values, \x1f-separated, row-major */
};

#define C(s) s, sizeof(s) - 1
static const struct rcase rcases[] = {
    {"empty body", C(""), 0, 0, 0, ""},
    {"header only", C("a,b\n"), 0, 2, 0, "a\x1f" "b"},
    {"header only, no LF", C("a,b"), 0, 2, 0, "a\x1f" "b"},
    {"splunkd quoting", C("\"_serial\",\"_time\",text\n0,\"1380899494\",\"hello, world\"\n"),
     0, 3, 1, "_serial\x1f_time\x1ftext\x1f" "0\x1f" "1380899494\x1fhello, world"},
    {"escaped quotes", C("a\n\"say \"\"hi\"\"\"\n"), 0, 1, 1, "a\x1fsay \"hi\""},
    {"embedded LF and CRLF", C("a,b\n\"x\ny\",\"p\r\nq\"\n"), 0, 2, 1,
     "a\x1f" "b\x1fx\ny\x1fp\r\nq"},
    {"CRLF line ends", C("a,b\r\n1,2\r\n3,4\r\n"), 0, 2, 2, "a\x1f" "b\x1f" "1\x1f" "2\x1f" "3\x1f" "4"},
    {"empty values", C("a,b,c\n,,\n\"\",x,\n"), 0, 3, 2, "a\x1f" "b\x1f" "c\x1f\x1f\x1f\x1f\x1fx\x1f"},
    {"no final LF", C("a\n1\n2"), 0, 1, 2, "a\x1f" "1\x1f" "2"},
    {"one empty column row", C("a\n\"\"\n"), 0, 1, 1, "a\x1f"},
    {"lone CR is data", C("a\nx\ry\n"), 0, 1, 1, "a\x1fx\ry"},
    {"invalid UTF-8 bytes", C("a\n\"\xd4\x8e\xff\"\n"), 0, 1, 1, "a\x1f\xd4\x8e\xff"},
    {"NUL byte", "a\nx\0y\n", 6, 0, 1, 1, NULL},
    {"too few fields", C("a,b\n1\n"), ERR_CSV, 0, 0, NULL},
    {"too many fields", C("a,b\n1,2,3\n"), ERR_CSV, 0, 0, NULL},
    {"unterminated quote", C("a\n\"abc\n"), ERR_CSV, 0, 0, NULL},
    {"junk after quote", C("a\n\"abc\"x\n"), ERR_CSV, 0, 0, NULL},
    {"duplicate column", C("a,b,a\n1,2,3\n"), ERR_CSV, 0, 0, NULL},
    {"blank line inside", C("a,b\n1,2\n\n3,4\n"), ERR_CSV, 0, 0, NULL},
};

/* copy 1: csv_parse_copy, after which the body is overwritten: every value
 * must come from the table's own copy, and no row keeps its text. */
static void check_case(const struct rcase *c, char *buf, size_t n, int copy)
{
    struct cols *cols = cols_new();
    struct csv_table t;
    struct err e;
    csv_table_init(&t);
    int rc = copy ? csv_parse_copy(buf, n, cols, NULL, 0, &t, &e)
                  : csv_parse(buf, n, cols, &t, &e);
    if (rc != c->rc)
        fail_msg("%s: rc %d want %d (%s)", c->name, rc, c->rc, e.msg);
    if (rc == 0 && copy) {
        /* the names are interned in cols, so the body may go whole */
        memset(buf, '#', n);
        for (size_t r = 0; r < t.nrows; r++)
            if (t.raw[r].p != NULL)
                fail_msg("%s: row %zu keeps its text in copy mode", c->name, r);
    }
    if (rc == 0) {
        assert_int_equal(t.ncols, c->ncols);
        assert_int_equal(t.nrows, c->nrows);
        if (c->cells) {
            const char *p = c->cells;
            for (size_t k = 0; k < t.ncols; k++) {
                const char *q = strchr(p, '\x1f');
                size_t len = q ? (size_t)(q - p) : strlen(p);
                struct slice nm = cols_name(cols, t.ids[k]);
                if (nm.n != len || memcmp(nm.p, p, len))
                    fail_msg("%s: column %zu name", c->name, k);
                p = q ? q + 1 : p + len;
            }
            for (size_t i = 0; i < t.nrows * t.ncols; i++) {
                const char *q = strchr(p, '\x1f');
                size_t len = q ? (size_t)(q - p) : strlen(p);
                struct slice got = cell_slice(t.base, t.cells[i]);
                if (got.n != len || memcmp(got.p, p, len))
                    fail_msg("%s: cell %zu is '%.*s' want '%.*s'", c->name, i,
                             (int)got.n, got.p, (int)len, p);
                p = q ? q + 1 : p + len;
            }
        }
    }
    csv_table_free(&t);
    cols_free(cols);
}

static void test_reader_table(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
        const struct rcase *c = &rcases[i];
        size_t n = c->inlen;
        for (int copy = 0; copy < 2; copy++) {
            char *buf = malloc(n + 1);
            memcpy(buf, c->in, n);
            check_case(c, buf, n, copy);
            free(buf);
        }
    }
}

/* The multivalue table of the protocol notes. */
struct mvcase {
    const char *vals[3];
    size_t n;
    const char *plain, *mv;
};
static const struct mvcase mvcases[] = {
    {{"a", "b"}, 2, "a\nb", "$a$;$b$"},
    {{"a", "b$c"}, 2, "a\nb$c", "$a$;$b$$c$"},
    {{"x;y", "z"}, 2, "x;y\nz", "$x;y$;$z$"},
    {{"", "q"}, 2, "\nq", "$$;$q$"},
    {{"a$", "b"}, 2, "a$\nb", "$a$$$;$b$"},
    {{"$"}, 1, "$", ""},
    {{"$$", "", "$"}, 3, "$$\n\n$", "$$$$$$;$$;$$$$"},
};

static void test_mv_table(void **st)
{
    struct arena a;
    (void)st;
    arena_init(&a, 4096, 1 << 20);
    for (size_t i = 0; i < sizeof mvcases / sizeof mvcases[0]; i++) {
        const struct mvcase *c = &mvcases[i];
        struct slice vals[3], plain, mv, v;
        struct mv_iter it;
        for (size_t k = 0; k < c->n; k++)
            vals[k] = slice_cstr(c->vals[k]);
        assert_int_equal(mv_encode(&a, vals, c->n, &plain, &mv), 0);
        assert_true(slice_eq_cstr(plain, c->plain));
        if (!slice_eq_cstr(mv, c->mv))
            fail_msg("case %zu: mv '%.*s' want '%s'", i, (int)mv.n, mv.p, c->mv);
        /* decode: mv preferred when non-empty */
        mv_iter_init(&it, plain, mv);
        size_t k = 0;
        int rc;
        while ((rc = mv_next(&it, &a, &v)) == 1) {
            assert_true(k < c->n);
            assert_true(slice_eq_cstr(v, c->vals[k]));
            k++;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(k, c->n);
        assert_int_equal(mv_validate(mv), 0);
    }
    arena_free(&a);
}

static void test_mv_malformed(void **st)
{
    static const char *bad[] = {"a", "$a", "$a$b", "$a$;", "$a$;b", "$a$$", ";$a$", "$a$;;$b$",
                                "$", "$$$"};
    struct arena a;
    (void)st;
    arena_init(&a, 4096, 1 << 20);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mv_iter it;
        struct slice v;
        int rc;
        mv_iter_init(&it, SLICE_LIT("plain"), slice_cstr(bad[i]));
        while ((rc = mv_next(&it, &a, &v)) == 1)
            ;
        if (rc != ERR_INPUT)
            fail_msg("'%s' should be malformed", bad[i]);
        assert_int_equal(mv_validate(slice_cstr(bad[i])), ERR_INPUT);
    }
    /* empty mv cell: the plain value is the one value */
    struct mv_iter it;
    struct slice v;
    mv_iter_init(&it, SLICE_LIT("p"), SLICE_LIT(""));
    assert_int_equal(mv_next(&it, &a, &v), 1);
    assert_true(slice_eq_cstr(v, "p"));
    assert_int_equal(mv_next(&it, &a, &v), 0);
    /* absent plain and mv: no value */
    mv_iter_init(&it, SLICE_NULL, SLICE_NULL);
    assert_int_equal(mv_next(&it, &a, &v), 0);
    arena_free(&a);
}

static void test_writer_quoting(void **st)
{
    struct cols *c = cols_new();
    struct csvw w;
    struct buf out;
    struct err e;
    uint32_t ids[3];
    (void)st;
    assert_int_equal(cols_intern(c, SLICE_LIT("a"), &ids[0]), 0);
    assert_int_equal(cols_intern(c, SLICE_LIT("b,c"), &ids[1]), 0);
    assert_int_equal(cols_intern(c, SLICE_LIT("unset"), &ids[2]), 0);
    struct schema s = {3, ids};
    struct slice r1[3] = {SLICE_LIT("plain"), SLICE_LIT("x\"y"), SLICE_NULL};
    struct slice r2[3] = {SLICE_LIT(""), SLICE_LIT("l1\nl2"), SLICE_NULL};
    struct slice r3[3] = {SLICE_LIT("cr\r"), SLICE_LIT(" sp "), SLICE_NULL};
    csvw_init(&w);
    buf_init(&out, 1 << 20);
    assert_int_equal(csvw_add(&w, &s, r1), 0);
    assert_int_equal(csvw_add(&w, &s, r2), 0);
    assert_int_equal(csvw_add(&w, &s, r3), 0);
    assert_int_equal(csvw_finish(&w, c, &out, &e), 0);
    const char want[] = "a,\"b,c\"\nplain,\"x\"\"y\"\n,\"l1\nl2\"\n\"cr\r\", sp \n";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.p, want, out.len);

    /* one column, empty value: written as "" so the row is not a blank line */
    struct schema s1 = {1, ids};
    struct slice e1[1] = {SLICE_LIT("")};
    csvw_reset(&w);
    buf_reset(&out);
    assert_int_equal(csvw_add(&w, &s1, e1), 0);
    assert_int_equal(csvw_finish(&w, c, &out, &e), 0);
    assert_int_equal(out.len, 5);
    assert_memory_equal(out.p, "a\n\"\"\n", 5);
    buf_free(&out);
    csvw_free(&w);
    cols_free(c);
}

static void test_writer_union_header(void **st)
{
    /* Rows of two shapes: header = union of set columns, first seen first;
     * a column that appears only in a later row is not dropped. */
    struct cols *c = cols_new();
    struct csvw w;
    struct buf out;
    struct err e;
    uint32_t a, b, x;
    (void)st;
    assert_int_equal(cols_intern(c, SLICE_LIT("a"), &a), 0);
    assert_int_equal(cols_intern(c, SLICE_LIT("b"), &b), 0);
    assert_int_equal(cols_intern(c, SLICE_LIT("x"), &x), 0);
    uint32_t i1[2] = {a, x}, i2[3] = {b, a, x};
    struct schema s1 = {2, i1}, s2 = {3, i2};
    struct slice r1[2] = {SLICE_LIT("1"), SLICE_NULL};
    struct slice r2[3] = {SLICE_LIT("2"), SLICE_LIT("3"), SLICE_LIT("4")};
    csvw_init(&w);
    buf_init(&out, 1 << 20);
    assert_int_equal(csvw_add(&w, &s1, r1), 0);
    assert_int_equal(csvw_add(&w, &s2, r2), 0);
    assert_int_equal(csvw_finish(&w, c, &out, &e), 0);
    const char want[] = "a,b,x\n1,,\n3,2,4\n";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.p, want, out.len);
    buf_free(&out);
    csvw_free(&w);
    cols_free(c);
}

/* Random tables: bytes that matter to CSV and multivalue coding. */
static void random_value(uint64_t *rs, char *dst, size_t *n)
{
    static const char alphabet[] = "ab,\"\r\n$; \x00\xff\xc3\xa9z";
    size_t len = tu_rand(rs) % 4 == 0 ? 0 : tu_rand(rs) % 24;
    for (size_t i = 0; i < len; i++)
        dst[i] = alphabet[tu_rand(rs) % (sizeof alphabet - 1)];
    *n = len;
}

static void test_random_round_trip(void **st)
{
    uint64_t rs = 42;
    (void)st;
    for (int iter = 0; iter < 2000; iter++) {
        struct cols *c = cols_new();
        struct arena a;
        size_t ncols = 1 + tu_rand(&rs) % 6, nrows = tu_rand(&rs) % 12;
        uint32_t ids[12];
        char names[6][32];
        struct slice *cells = calloc(nrows * ncols * 2 + 1, sizeof *cells);
        char *store = malloc(nrows * ncols * 2 * 64 + 1);
        size_t used = 0;
        arena_init(&a, 4096, 1 << 24);
        for (size_t k = 0; k < ncols; k++) {
            snprintf(names[k], sizeof names[k], "f%zu,\"%d", k, iter % 3);
            assert_int_equal(cols_intern(c, slice_cstr(names[k]), &ids[k]), 0);
            assert_int_equal(cols_mv_of(c, ids[k], &ids[ncols + k]), 0);
        }
        /* each cell: 0..3 values; write both forms */
        struct slice *want_vals = calloc(nrows * ncols * 3 + 1, sizeof *want_vals);
        size_t *want_n = calloc(nrows * ncols + 1, sizeof *want_n);
        for (size_t r = 0; r < nrows; r++)
            for (size_t k = 0; k < ncols; k++) {
                size_t nv = 1 + tu_rand(&rs) % 3;
                struct slice v[3], plain, mv;
                for (size_t j = 0; j < nv; j++) {
                    size_t len;
                    random_value(&rs, store + used, &len);
                    v[j] = slice_of(store + used, len);
                    used += len;
                    want_vals[(r * ncols + k) * 3 + j] = v[j];
                }
                want_n[r * ncols + k] = nv;
                assert_int_equal(mv_encode(&a, v, nv, &plain, &mv), 0);
                cells[r * 2 * ncols + k] = plain;
                cells[r * 2 * ncols + ncols + k] = mv;
            }
        struct schema s = {2 * ncols, ids};
        struct csvw w;
        struct buf out;
        struct err e;
        csvw_init(&w);
        buf_init(&out, 1 << 24);
        for (size_t r = 0; r < nrows; r++)
            assert_int_equal(csvw_add(&w, &s, &cells[r * 2 * ncols]), 0);
        assert_int_equal(csvw_finish(&w, c, &out, &e), 0);

        /* built from the values (csv_table_begin/add_row), the table reads
         * as csv_parse_copy's of their CSV, for any set of stored columns */
        {
            uint32_t want[12];
            size_t nwant = 0;
            for (size_t k = 0; k < 2 * ncols; k++)
                if (tu_rand(&rs) % 3 != 0)
                    want[nwant++] = ids[k];
            char *copy = malloc(out.len + 1);
            if (out.len > 0)
                memcpy(copy, out.p, out.len);  /* no rows: the writer wrote nothing */
            struct csv_table pt, bt;
            csv_table_init(&pt);
            csv_table_init(&bt);
            assert_int_equal(csv_parse_copy(copy, out.len, c, want, nwant, &pt, &e), 0);
            assert_int_equal(csv_table_begin(&bt, c, ids, 2 * ncols, want, nwant, &e), 0);
            for (size_t r = 0; r < nrows; r++)
                assert_int_equal(csv_table_add_row(&bt, &cells[r * 2 * ncols], &e), 0);
            assert_int_equal(bt.nrows, pt.nrows);
            /* no rows: the writer writes no header either */
            assert_int_equal(nrows > 0 ? bt.ncols : 0, pt.ncols);
            assert_int_equal(nrows > 0 ? bt.nw : 0, pt.nw);
            for (size_t k = 0; k < pt.ncols; k++) {
                assert_int_equal(bt.ids[k], pt.ids[k]);
                assert_int_equal(bt.mv[k], pt.mv[k]);
                assert_int_equal(bt.wmap[k], pt.wmap[k]);
                for (size_t r = 0; r < nrows; r++) {
                    struct slice x = csv_cell(&bt, r, k), y = csv_cell(&pt, r, k);
                    if (!slice_eq(x, y) || (x.p == NULL) != (y.p == NULL))
                        fail_msg("iteration %d row %zu col %zu: built and parsed differ", iter,
                                 r, k);
                }
            }
            for (size_t r = 0; r < nrows; r++)
                assert_null(bt.raw[r].p);
            csv_table_free(&pt);
            csv_table_free(&bt);
            free(copy);
        }

        /* read back: one byte-identical value list per cell */
        struct csv_table t;
        csv_table_init(&t);
        int rc = csv_parse(out.p, out.len, c, &t, &e);
        if (rc)
            fail_msg("iteration %d: %s", iter, e.msg);
        assert_int_equal(t.nrows, nrows);
        for (size_t r = 0; r < nrows; r++)
            for (size_t k = 0; k < ncols; k++) {
                long pi = csv_col_index(&t, ids[k]);
                assert_true(pi >= 0);
                struct slice mvcell = t.mv[pi] != UINT32_MAX ? csv_cell(&t, r, t.mv[pi]) : SLICE_NULL;
                struct mv_iter it;
                struct slice v;
                size_t j = 0;
                mv_iter_init(&it, csv_cell(&t, r, (size_t)pi), mvcell);
                while ((rc = mv_next(&it, &a, &v)) == 1) {
                    assert_true(j < want_n[r * ncols + k]);
                    struct slice wv = want_vals[(r * ncols + k) * 3 + j];
                    if (!slice_eq(v, wv))
                        fail_msg("iteration %d row %zu col %zu value %zu differs", iter, r, k, j);
                    j++;
                }
                assert_int_equal(rc, 0);
                assert_int_equal(j, want_n[r * ncols + k]);
            }
        csv_table_free(&t);
        buf_free(&out);
        csvw_free(&w);
        arena_free(&a);
        free(cells);
        free(store);
        free(want_vals);
        free(want_n);
        cols_free(c);
    }
}

static void test_big_value(void **st)
{
    /* A 12 MB quoted value with quotes and newlines inside. */
    size_t n = 12u << 20;
    struct cols *c = cols_new();
    struct csv_table t;
    struct err e;
    struct buf b;
    (void)st;
    buf_init(&b, 64u << 20);
    assert_int_equal(buf_append(&b, "v\n\"", 3), 0);
    for (size_t i = 0; i < n; i++) {
        char ch = (char)('a' + i % 26);
        if (i % 1000 == 0)
            assert_int_equal(buf_append(&b, "\"\"", 2), 0);
        else if (i % 777 == 0)
            assert_int_equal(buf_appendc(&b, '\n'), 0);
        else
            assert_int_equal(buf_appendc(&b, ch), 0);
    }
    assert_int_equal(buf_append(&b, "\"\n", 2), 0);
    csv_table_init(&t);
    assert_int_equal(csv_parse(b.p, b.len, c, &t, &e), 0);
    assert_int_equal(t.nrows, 1);
    assert_int_equal(csv_cell(&t, 0, 0).n, n);
    assert_int_equal(csv_cell(&t, 0, 0).p[0], '"');
    csv_table_free(&t);
    buf_free(&b);
    cols_free(c);
}

/* ---- generated rows (csvw_add_gen) ------------------------------------ */

struct gen_tab {
    const struct slice *cells;  /* row-major, ncols per row */
    size_t ncols;
    size_t calls;
    size_t fail_at;             /* call number that fails; 0 = never */
};

/* Copies row i's cells into scratch, so the writer must use them before the
 * next row resets it. */
static int gen_copy(void *ctx, size_t i, struct slice *out, struct arena *scratch)
{
    struct gen_tab *g = ctx;
    g->calls++;
    if (g->fail_at && g->calls == g->fail_at)
        return ERR_NOMEM;
    for (size_t k = 0; k < g->ncols; k++) {
        struct slice v = g->cells[i * g->ncols + k];
        if (v.p == NULL)
            continue;
        char *p = arena_alloc(scratch, v.n ? v.n : 1);
        if (p == NULL)
            return ERR_NOMEM;
        if (v.n)
            memcpy(p, v.p, v.n);
        out[k] = slice_of(p, v.n);
    }
    return 0;
}

static void test_gen_matches_cells(void **st)
{
    /* Random rows of two shapes, some cells unset (the header grows with a
     * later row), each written once as cell arrays and once generated, with
     * plain rows mixed in: the bodies are the same bytes. */
    uint64_t rs = 0x5eedull;
    (void)st;
    for (int round = 0; round < 200; round++) {
        struct cols *c = cols_new();
        uint32_t ids[5];
        char names[5][4];
        for (int k = 0; k < 5; k++) {
            snprintf(names[k], sizeof names[k], "c%d", k);
            assert_int_equal(cols_intern(c, slice_cstr(names[k]), &ids[k]), 0);
        }
        uint32_t i2[4] = {ids[3], ids[1], ids[4], ids[0]};
        struct schema s1 = {4, ids}, s2 = {4, i2};
        size_t nrows = 1 + tu_rand(&rs) % 12, ncols = 4;
        struct slice *cells = calloc(nrows * ncols, sizeof *cells);
        char *store = calloc(nrows * ncols, 24);
        const struct schema **shape = calloc(nrows, sizeof *shape);
        int *asgen = calloc(nrows, sizeof *asgen);
        assert_non_null(cells);
        assert_non_null(store);
        assert_non_null(shape);
        assert_non_null(asgen);
        for (size_t r = 0; r < nrows; r++) {
            shape[r] = tu_rand(&rs) % 3 == 0 ? &s2 : &s1;
            asgen[r] = tu_rand(&rs) % 4 != 0;
            for (size_t k = 0; k < ncols; k++) {
                char *d = store + (r * ncols + k) * 24;
                size_t n;
                random_value(&rs, d, &n);
                cells[r * ncols + k] = tu_rand(&rs) % 5 == 0 ? SLICE_NULL : slice_of(d, n);
            }
        }
        struct gen_tab g = {cells, ncols, 0, 0};
        struct csvw w1, w2;
        struct buf o1, o2;
        struct err e;
        csvw_init(&w1);
        csvw_init(&w2);
        buf_init(&o1, 1 << 20);
        buf_init(&o2, 1 << 20);
        for (size_t r = 0; r < nrows; r++) {
            assert_int_equal(csvw_add(&w1, shape[r], cells + r * ncols), 0);
            if (asgen[r])
                assert_int_equal(csvw_add_gen(&w2, shape[r], gen_copy, &g, r, 1), 0);
            else
                assert_int_equal(csvw_add(&w2, shape[r], cells + r * ncols), 0);
        }
        assert_int_equal(csvw_finish(&w1, c, &o1, &e), 0);
        assert_int_equal(csvw_finish(&w2, c, &o2, &e), 0);
        assert_int_equal(o1.len, o2.len);
        assert_memory_equal(o1.p, o2.p, o1.len);

        /* prepare's length is the length write produces; runs of rows of
         * one shape go in as one range */
        size_t len;
        csvw_reset(&w2);
        for (size_t r = 0, run; r < nrows; r += run) {
            for (run = 1; r + run < nrows && shape[r + run] == shape[r]; run++)
                ;
            assert_int_equal(csvw_add_gen(&w2, shape[r], gen_copy, &g, r, run), 0);
        }
        assert_int_equal(csvw_prepare(&w2, c, &len, &e), 0);
        assert_int_equal(len, o1.len);
        buf_free(&o1);
        buf_free(&o2);
        csvw_free(&w1);
        csvw_free(&w2);
        free(cells);
        free(store);
        free(shape);
        free(asgen);
        cols_free(c);
    }
}

static void test_gen_calls_and_failure(void **st)
{
    /* Every cell set: once the header is complete, a row is generated once
     * for its length and once for its bytes; a failing producer is an
     * out-of-memory error, not a short body. */
    struct cols *c = cols_new();
    uint32_t ids[2];
    struct err e;
    (void)st;
    assert_int_equal(cols_intern(c, SLICE_LIT("k"), &ids[0]), 0);
    assert_int_equal(cols_intern(c, SLICE_LIT("v"), &ids[1]), 0);
    struct schema s = {2, ids};
    struct slice cells[6] = {SLICE_LIT("1"), SLICE_LIT("a,b"), SLICE_LIT("2"), SLICE_LIT(""),
                             SLICE_LIT("3"), SLICE_LIT("q\"")};
    struct gen_tab g = {cells, 2, 0, 0};
    struct csvw w;
    struct buf out;
    csvw_init(&w);
    buf_init(&out, 1 << 20);
    /* one range of three rows, as three single rows would be */
    assert_int_equal(csvw_add_gen(&w, &s, gen_copy, &g, 0, 3), 0);
    assert_int_equal(csvw_add_gen(&w, &s, gen_copy, &g, 3, 0), 0);  /* no rows: no entry */
    assert_int_equal(csvw_finish(&w, c, &out, &e), 0);
    const char want[] = "k,v\n1,\"a,b\"\n2,\n3,\"q\"\"\"\n";
    assert_int_equal(out.len, sizeof want - 1);
    assert_memory_equal(out.p, want, out.len);
    assert_int_equal(g.calls, 1 + 3 + 3);

    for (size_t fail = 1; fail <= 7; fail++) {
        csvw_reset(&w);
        buf_reset(&out);
        g.calls = 0;
        g.fail_at = fail;
        assert_int_equal(csvw_add_gen(&w, &s, gen_copy, &g, 0, 1), 0);
        assert_int_equal(csvw_add_gen(&w, &s, gen_copy, &g, 1, 2), 0);
        assert_int_equal(csvw_finish(&w, c, &out, &e), ERR_NOMEM);
    }
    buf_free(&out);
    csvw_free(&w);
    cols_free(c);
}

static void test_gen_big_value(void **st)
{
    /* A generated value larger than the output block, with quotes. */
    struct cols *c = cols_new();
    uint32_t id;
    struct err e;
    (void)st;
    assert_int_equal(cols_intern(c, SLICE_LIT("big"), &id), 0);
    struct schema s = {1, &id};
    size_t n = 700u * 1024;
    char *v = malloc(n);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = i % 1000 == 0 ? '"' : (char)('a' + i % 26);
    struct slice cells[2] = {slice_of(v, n), SLICE_LIT("x")};
    struct gen_tab g = {cells, 1, 0, 0};
    struct csvw w1, w2;
    struct buf o1, o2;
    csvw_init(&w1);
    csvw_init(&w2);
    buf_init(&o1, 4u << 20);
    buf_init(&o2, 4u << 20);
    for (size_t r = 0; r < 2; r++) {
        assert_int_equal(csvw_add(&w1, &s, &cells[r]), 0);
        assert_int_equal(csvw_add_gen(&w2, &s, gen_copy, &g, r, 1), 0);
    }
    assert_int_equal(csvw_finish(&w1, c, &o1, &e), 0);
    assert_int_equal(csvw_finish(&w2, c, &o2, &e), 0);
    assert_int_equal(o1.len, o2.len);
    assert_memory_equal(o1.p, o2.p, o1.len);
    buf_free(&o1);
    buf_free(&o2);
    csvw_free(&w1);
    csvw_free(&w2);
    free(v);
    cols_free(c);
}

/* Fields not stored are passed over by counting commas (pass_fields): for
 * any body, well-formed or not, parsing with a set of stored columns gives
 * the same result as storing them all: the same error and message, or the
 * same rows, texts and stored values.  Bodies are random over the bytes
 * that matter (separators, quotes, CR, LF) and long runs of empty fields,
 * as __mv_ columns are. */
static void test_passed_fields_match(void **st)
{
    static const char alpha[] = "ab,,,,\"\n\r x";
    uint64_t rs = 7;
    (void)st;
    for (int iter = 0; iter < 20000; iter++) {
        struct cols *c = cols_new();
        size_t ncols = 2 + tu_rand(&rs) % 40, cap = 4096, n = 0;
        char *body = malloc(cap);
        for (size_t k = 0; k < ncols; k++)
            n += (size_t)snprintf(body + n, cap - n, "%sc%zu", k ? "," : "", k);
        body[n++] = '\n';
        size_t nrows = tu_rand(&rs) % 6;
        for (size_t r = 0; r < nrows && n + 400 < cap; r++) {
            int mode = (int)(tu_rand(&rs) % 4);
            if (mode == 0) {
                /* random bytes */
                size_t len = tu_rand(&rs) % 120;
                for (size_t i = 0; i < len; i++)
                    body[n++] = alpha[tu_rand(&rs) % (sizeof alpha - 1)];
            } else {
                /* mostly-empty fields, some values, sometimes one field
                 * too many or too few, sometimes quoted */
                size_t nf = ncols + (mode == 3 ? tu_rand(&rs) % 3 : 0) - (mode == 3 ? 1 : 0);
                for (size_t k = 0; k < nf; k++) {
                    if (k > 0)
                        body[n++] = ',';
                    unsigned x = (unsigned)(tu_rand(&rs) % 8);
                    if (x == 0)
                        n += (size_t)snprintf(body + n, cap - n, "v%u", (unsigned)iter);
                    else if (x == 1)
                        n += (size_t)snprintf(body + n, cap - n, "\"q,\"\"%u\n\"", x);
                    else if (x == 2)
                        n += (size_t)snprintf(body + n, cap - n, "a\rb");
                }
            }
            if (tu_rand(&rs) % 8 == 0)
                body[n++] = '\r';
            body[n++] = '\n';
        }
        if (tu_rand(&rs) % 4 == 0 && n > 0)
            n--;  /* no final line end */
        uint32_t want[64];
        size_t nwant = 0;
        char *copy = malloc(n + 1), *copy2 = malloc(n + 1);
        memcpy(copy, body, n);
        memcpy(copy2, body, n);
        struct csv_table all, some, somec;
        struct err ea, es, ec;
        csv_table_init(&all);
        csv_table_init(&some);
        csv_table_init(&somec);
        int ra = csv_parse(body, n, c, &all, &ea);
        for (size_t k = 0; ra == 0 && k < all.ncols; k++)
            if (tu_rand(&rs) % 4 == 0)
                want[nwant++] = all.ids[k];
        int rsm = csv_parse_want(copy, n, c, want, nwant, &some, &es);
        int rc2 = csv_parse_copy(copy2, n, c, want, nwant, &somec, &ec);
        assert_int_equal(rsm, ra);
        assert_int_equal(rc2, ra);
        if (ra != 0) {
            assert_string_equal(es.msg, ea.msg);
            assert_string_equal(ec.msg, ea.msg);
        } else {
            assert_int_equal(some.nrows, all.nrows);
            assert_int_equal(somec.nrows, all.nrows);
            for (size_t r = 0; r < all.nrows; r++) {
                assert_true(slice_eq(some.raw[r], all.raw[r]));
                for (size_t k = 0; k < all.ncols; k++) {
                    if (some.wmap[k] == UINT32_MAX)
                        continue;
                    assert_true(slice_eq(csv_cell(&some, r, k), csv_cell(&all, r, k)));
                    assert_true(slice_eq(csv_cell(&somec, r, k), csv_cell(&all, r, k)));
                }
            }
        }
        csv_table_free(&all);
        csv_table_free(&some);
        csv_table_free(&somec);
        free(body);
        free(copy);
        free(copy2);
        cols_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_table),
        cmocka_unit_test(test_mv_table),
        cmocka_unit_test(test_mv_malformed),
        cmocka_unit_test(test_writer_quoting),
        cmocka_unit_test(test_writer_union_header),
        cmocka_unit_test(test_random_round_trip),
        cmocka_unit_test(test_big_value),
        cmocka_unit_test(test_gen_matches_cells),
        cmocka_unit_test(test_gen_calls_and_failure),
        cmocka_unit_test(test_gen_big_value),
        cmocka_unit_test(test_passed_fields_match),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
