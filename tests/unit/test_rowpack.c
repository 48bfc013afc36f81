/*
 * test_rowpack: held rows packed against a reference text and unpacked.
 *
 * A table of reference/row pairs with what must happen (packed smaller than
 * a bound, or declined), the edge cases of the stored form, and a round
 * trip of every row of tests/data/join/{case}/input.csv and
 * tests/data/rowpack/rows.csv against the rows before it (run from the
 * repository root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rowpack.h"

/* Packs row against ref with room for the row itself (as the join does);
 * returns the stored length after checking the round trip. */
static size_t pack_check(const char *ref, size_t refn, const char *row, size_t n)
{
    struct rowref *r = rowref_new(ref, refn);
    assert_non_null(r);
    char *st = malloc(n + 1), *out = malloc(n + 1);
    assert_non_null(st);
    assert_non_null(out);
    size_t k = rowpack_store(r, row, n, st, n);
    assert_true(k < n || k == 0);
    /* the row outlives the creator's count and the match index */
    rowref_retire(r);
    rowref_drop(r);
    if (k > 0) {
        assert_ptr_equal(rowpack_ref(st), r);
        assert_int_equal(rowpack_load(st, out, n), 0);
        assert_memory_equal(out, row, n);
        if (n > 0)
            assert_int_equal(rowpack_load(st, out, n - 1), -1);
        rowref_drop(rowpack_ref(st));
    }
    free(st);
    free(out);
    return k;
}

struct pcase {
    const char *name, *ref, *row;
    size_t max;  /* stored length at most this; 0: must be declined */
};

static const struct pcase pcases[] = {
    {"identical row: one copy", "Nov 14 21:58:12 fw01 kernel: IN=eth1 OUT=eth0 SRC=10.20.0.124",
     "Nov 14 21:58:12 fw01 kernel: IN=eth1 OUT=eth0 SRC=10.20.0.124", ROWPACK_HEAD + 6},
    {"same layout, new values",
     "\"netops~23~5B3E\",\"23:1054567\",1699999093,\"Nov 14 21:58:12 fw01 kernel: [690292.166994] "
     "IPTABLES-ACCEPT: IN=eth1 OUT=eth0 SRC=10.20.0.124 DST=54.220.4.5 LEN=60 TOS=0x00\"",
     "\"netops~23~5B3E\",\"23:1054570\",1699999398,\"Nov 14 22:03:17 fw01 kernel: [690597.801113] "
     "IPTABLES-ACCEPT: IN=eth1 OUT=eth0 SRC=10.20.0.77 DST=34.133.3.3 LEN=52 TOS=0x00\"",
     90},
    {"nothing in common: declined", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "0123456789 the quick brown fox jumps", 0},
    {"reference shorter than a match: declined", "abc", "abcabcabcabcabcabcabcabc", 0},
    {"short common pieces only: declined", "one,two,three,four", "xone,ytwo,zthree,wfour", 0},
    {"empty row against text: declined (no room)", "some reference", "", 0},
};

static void test_table(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
        const struct pcase *c = &pcases[i];
        size_t k = pack_check(c->ref, strlen(c->ref), c->row, strlen(c->row));
        if (c->max == 0 && k != 0)
            fail_msg("%s: stored in %zu bytes, want declined", c->name, k);
        if (c->max != 0 && (k == 0 || k > c->max))
            fail_msg("%s: stored length %zu, want 1..%zu", c->name, k, c->max);
    }
}

/* The stored form's edges: an empty row, room for nothing, a retired
 * reference, a reference cut at ROWREF_TEXT_MAX, a row longer than it. */
static void test_edges(void **st)
{
    (void)st;
    char buf[64], out[8];
    struct rowref *r = rowref_new("reference text", 14);
    assert_non_null(r);
    /* n = 0 with room for the head: stored, loads to nothing */
    size_t k = rowpack_store(r, "", 0, buf, sizeof buf);
    assert_int_equal(k, ROWPACK_HEAD);
    assert_int_equal(rowpack_load(buf, out, 0), 0);
    rowref_drop(rowpack_ref(buf));
    /* less room than the head */
    assert_int_equal(rowpack_store(r, "reference text", 14, buf, ROWPACK_HEAD - 1), 0);
    /* a retired reference packs nothing (its rows still load: pack_check) */
    rowref_retire(r);
    assert_int_equal(rowpack_store(r, "reference text", 14, buf, sizeof buf), 0);
    rowref_drop(r);

    /* only the first ROWREF_TEXT_MAX bytes of a reference are searched */
    size_t big = ROWREF_TEXT_MAX + 4096;
    char *ref = malloc(big), *row = malloc(big);
    assert_non_null(ref);
    assert_non_null(row);
    for (size_t i = 0; i < big; i++)
        ref[i] = (char)('a' + (i * 7 + i / 26) % 26);
    memcpy(ref + ROWREF_TEXT_MAX, "#only-past-the-end-of-the-searched-part#", 40);
    assert_int_equal(pack_check(ref, big, ref + ROWREF_TEXT_MAX, 40), 0);
    /* a row longer than ROWREF_TEXT_MAX: packed, and back byte for byte */
    memcpy(row, ref, big);
    memcpy(row + 1000, "a change", 8);
    k = pack_check(ref, big, row, big);
    assert_true(k > 0 && k < big / 4);
    free(ref);
    free(row);
}

/* Every row of a CSV file packed against the text of the rows before it,
 * as the join does (a reference of up to 8 recent rows). */
static size_t roundtrip_file(const char *path, size_t *rows)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (run the tests from the repository root)", path);
    char *text = NULL;
    size_t cap = 0, n = 0, saved = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (n + 1 >= cap) {
            cap = cap ? cap * 2 : 4096;
            text = realloc(text, cap);
            assert_non_null(text);
        }
        text[n++] = (char)c;
    }
    fclose(f);
    /* rows end at LF outside quotes */
    size_t start = 0, prev[8] = {0}, np = 0;
    int inq = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '"')
            inq = !inq;
        if (text[i] != '\n' || inq)
            continue;
        if (np > 0) {
            size_t first = prev[np > 8 ? np % 8 : 0];
            size_t k = pack_check(text + first, start - first, text + start, i - start);
            if (k)
                saved += i - start - k;
            (*rows)++;
        }
        prev[np++ % 8] = start;
        start = i + 1;
    }
    free(text);
    return saved;
}

static void test_roundtrip_data(void **st)
{
    (void)st;
    size_t rows = 0, saved = 0;
    DIR *d = opendir("tests/data/join");
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[512];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "tests/data/join/%s/input.csv", de->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        fclose(f);
        saved += roundtrip_file(path, &rows);
    }
    closedir(d);
    size_t before = rows;
    size_t s2 = roundtrip_file("tests/data/rowpack/rows.csv", &rows);
    assert_true(rows > before + 50);
    /* Splunk-like rows of a kind share most of their bytes */
    assert_true(s2 > 0);
    print_message("rowpack: %zu rows round-tripped, %zu bytes saved\n", rows, saved + s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_roundtrip_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
