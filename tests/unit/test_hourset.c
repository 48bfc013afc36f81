/*
 * test_hourset: the active hours of a conversation with their counts.
 *
 * - a table of add sequences (each case: the adds in order, then the
 *   entries it must hold and the bytes it may take);
 * - random streams against a plain array of counts: ascending, descending,
 *   near-sorted (the order the join hands events over in) and shuffled,
 *   short and long gaps, small and large counts, hour 0 and the top hour;
 * - an allocation failure at every allocation leaves the set as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/hourset.h"
#include "util/xmem.h"

struct add {
    uint32_t h;
    uint64_t c;
};

struct hcase {
    const char *name;
    struct add adds[8];
    size_t nadds;
    struct add want[8];  /* entries, ascending */
    size_t nwant;
    size_t max_bytes;    /* bytes in use at most */
};

static size_t used(const struct hourset *s) { return s->len; }

static const struct hcase hcases[] = {
    {"one hour", {{100, 3}}, 1, {{100, 3}}, 1, 1},
    {"same hour twice adds up", {{100, 3}, {100, 4}}, 2, {{100, 7}}, 1, 1},
    {"a count past 15 takes two bytes", {{100, 15}, {100, 1}}, 2, {{100, 16}}, 1, 2},
    {"a count past 255 takes the long form", {{100, 255}, {100, 1}}, 2, {{100, 256}}, 1, 4},
    {"ascending, gaps of 1..8: a byte each", {{1, 1}, {2, 0}, {10, 2}}, 3,
     {{1, 1}, {2, 0}, {10, 2}}, 3, 3},
    {"a gap of 9 takes two bytes", {{1, 1}, {10, 1}}, 2, {{1, 1}, {10, 1}}, 2, 3},
    {"a gap of 65 takes the long form", {{1, 1}, {66, 1}}, 2, {{1, 1}, {66, 1}}, 2, 4},
    {"descending: each new first hour re-encodes the old first (49 is 9 after 40)",
     {{50, 1}, {49, 2}, {40, 3}}, 3, {{40, 3}, {49, 2}, {50, 1}}, 3, 4},
    {"an hour between two: both gaps change", {{10, 1}, {20, 1}, {15, 5}}, 3,
     {{10, 1}, {15, 5}, {20, 1}}, 3, 3},
    {"a long gap split in two short ones", {{10, 1}, {110, 1}, {60, 1}}, 3,
     {{10, 1}, {60, 1}, {110, 1}}, 3, 5},
    {"the last hour again after a prepend", {{10, 1}, {5, 1}, {10, 1}}, 3,
     {{5, 1}, {10, 2}}, 2, 2},
    {"the last hour again after an insert", {{10, 1}, {30, 1}, {20, 1}, {30, 200}}, 4,
     {{10, 1}, {20, 1}, {30, 201}}, 3, 6},
    {"hour 0 and the top hour", {{UINT32_MAX, 2}, {0, 1}}, 2, {{0, 1}, {UINT32_MAX, 2}}, 2, 8},
    {"a count of zero still marks the hour", {{7, 0}, {7, 0}}, 2, {{7, 0}}, 1, 1},
    {"a huge count", {{7, UINT64_MAX - 1}, {7, 1}}, 2, {{7, UINT64_MAX}}, 1, 13},
};

static void check_entries(const struct hourset *s, const struct add *want, size_t n,
                          const char *name)
{
    struct hourset_it it;
    uint32_t h;
    uint64_t c;
    size_t k = 0;
    hourset_it_init(&it, s);
    for (;;) {
        uint32_t at = it.off;
        if (!hourset_next(&it, &h, &c))
            break;
        /* the set finds its last entry without a walk */
        if (k + 1 == n && at != s->last_off)
            fail_msg("%s: the last entry starts at %u, last_off is %u", name, at, s->last_off);
        if (k >= n)
            fail_msg("%s: more than %zu entries", name, n);
        if (h != want[k].h || c != want[k].c)
            fail_msg("%s: entry %zu is (%u, %llu), want (%u, %llu)", name, k, h,
                     (unsigned long long)c, want[k].h, (unsigned long long)want[k].c);
        k++;
    }
    if (k != n || hourset_count(s) != n)
        fail_msg("%s: %zu entries (count %zu), want %zu", name, k, hourset_count(s), n);
}

static void test_table(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof hcases / sizeof hcases[0]; i++) {
        const struct hcase *c = &hcases[i];
        struct hourset s;
        memset(&s, 0, sizeof s);
        for (size_t k = 0; k < c->nadds; k++)
            assert_int_equal(hourset_add(&s, c->adds[k].h, c->adds[k].c), 0);
        check_entries(&s, c->want, c->nwant, c->name);
        if (used(&s) > c->max_bytes)
            fail_msg("%s: %zu bytes, want at most %zu", c->name, used(&s), c->max_bytes);
        hourset_free(&s);
        assert_null(s.b);
    }
}

static void test_count_overflow(void **st)
{
    (void)st;
    struct hourset s;
    memset(&s, 0, sizeof s);
    assert_int_equal(hourset_add(&s, 5, UINT64_MAX), 0);
    assert_int_equal(hourset_add(&s, 5, 1), ERR_LIMIT);
    struct add want = {5, UINT64_MAX};
    check_entries(&s, &want, 1, "overflow refused");
    hourset_free(&s);
}

/* ---- random streams against an array of counts ------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define SPAN 2000

static void run_stream(const struct add *adds, size_t n, uint32_t base, const char *what)
{
    static uint64_t truth[SPAN];
    static struct add want[SPAN];
    struct hourset s;
    char name[96];
    memset(&s, 0, sizeof s);
    memset(truth, 0, sizeof truth);
    static unsigned char seen[SPAN];
    memset(seen, 0, sizeof seen);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(hourset_add(&s, adds[k].h, adds[k].c), 0);
        truth[adds[k].h - base] += adds[k].c;
        seen[adds[k].h - base] = 1;
    }
    size_t nw = 0;
    for (uint32_t h = 0; h < SPAN; h++)
        if (seen[h])
            want[nw++] = (struct add){base + h, truth[h]};
    snprintf(name, sizeof name, "%s (%zu adds from hour %u)", what, n, base);
    check_entries(&s, want, nw, name);
    /* the first and last hour are those of the entries */
    if (nw > 0) {
        assert_int_equal(s.first, want[0].h);
        assert_int_equal(s.last, want[nw - 1].h);
    }
    hourset_free(&s);
}

static int cmp_up(const void *a, const void *b)
{
    const struct add *x = a, *y = b;
    return x->h < y->h ? -1 : x->h > y->h;
}
static int cmp_down(const void *a, const void *b) { return cmp_up(b, a); }

/* Near-sorted, as the join hands events over: neighbours a few places
 * apart swapped. */
static void jostle(struct add *adds, size_t n)
{
    for (size_t k = 0; k + 8 < n; k += 3) {
        size_t j = k + rnd() % 8;
        struct add t = adds[k];
        adds[k] = adds[j];
        adds[j] = t;
    }
}

static void test_random(void **st)
{
    (void)st;
    static struct add adds[20000];
    const uint32_t bases[] = {0, 480000, UINT32_MAX - SPAN + 1};
    for (int round = 0; round < 60; round++) {
        size_t n = 1 + rnd() % (sizeof adds / sizeof adds[0]);
        uint32_t base = bases[round % 3];
        /* sparse rounds spread adds over the span; busy ones over a few hours */
        uint32_t width = round % 4 == 0 ? SPAN : 1 + (uint32_t)(rnd() % 200);
        for (size_t k = 0; k < n; k++) {
            uint64_t r = rnd();
            adds[k].h = base + (uint32_t)(r % width) * (round % 5 == 1 ? SPAN / width : 1);
            if (adds[k].h - base >= SPAN)
                adds[k].h = base + SPAN - 1;
            /* counts as the profile adds them (0 or 1), and now and then large */
            adds[k].c = r >> 60 == 0 ? (r >> 20) % 100000 : (r >> 32) & 1;
        }
        run_stream(adds, n, base, "shuffled");
        qsort(adds, n, sizeof *adds, cmp_up);
        run_stream(adds, n, base, "ascending");
        qsort(adds, n, sizeof *adds, cmp_down);
        run_stream(adds, n, base, "descending");
        jostle(adds, n);
        run_stream(adds, n, base, "near-sorted descending");
        qsort(adds, n, sizeof *adds, cmp_up);
        jostle(adds, n);
        run_stream(adds, n, base, "near-sorted ascending");
    }
}

/* A busy conversation costs about a byte per active hour. */
static void test_size(void **st)
{
    (void)st;
    struct hourset s;
    memset(&s, 0, sizeof s);
    for (uint32_t h = 500000 + 840; h-- > 500000;)
        for (uint32_t k = 0; k < 3; k++)
            assert_int_equal(hourset_add(&s, h, 1), 0);
    assert_int_equal(hourset_count(&s), 840);
    assert_int_equal(used(&s), 840);
    /* the same hours with 20 connections each: two bytes per hour */
    for (uint32_t h = 500000; h < 500000 + 840; h++)
        assert_int_equal(hourset_add(&s, h, 17), 0);
    assert_int_equal(used(&s), 2 * 840);
    assert_true(hourset_bytes(&s) <= 2 * 840 + 2 * 840 / 4 + 8);
    hourset_free(&s);
}

/* Every allocation of a sequence fails once in turn: the call reports
 * ERR_NOMEM and the set still holds what it held before. */
static void test_nomem(void **st)
{
    (void)st;
    const struct add seq[] = {{100, 1}, {90, 2}, {95, 20}, {120, 1}, {95, 1}, {80, 3}};
    const size_t n = sizeof seq / sizeof seq[0];
    for (size_t fail = 0; fail < n; fail++) {
        for (unsigned long at = 1;; at++) {
            struct hourset s;
            memset(&s, 0, sizeof s);
            for (size_t k = 0; k < fail; k++)
                assert_int_equal(hourset_add(&s, seq[k].h, seq[k].c), 0);
            /* what the set holds before the failing call */
            struct add before[8];
            size_t nb = 0;
            struct hourset_it it;
            hourset_it_init(&it, &s);
            while (s.len > 0 && hourset_next(&it, &before[nb].h, &before[nb].c))
                nb++;
            xmem_fail_at(at);
            int rc = hourset_add(&s, seq[fail].h, seq[fail].c);
            xmem_fail_at(0);
            if (rc == 0) {
                hourset_free(&s);
                break;
            }
            assert_int_equal(rc, ERR_NOMEM);
            check_entries(&s, before, nb, "after a failed allocation");
            hourset_free(&s);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),       cmocka_unit_test(test_count_overflow),
        cmocka_unit_test(test_random),      cmocka_unit_test(test_size),
        cmocka_unit_test(test_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
