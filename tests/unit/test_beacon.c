/*
 * test_beacon: a conversation's rhythm (report/beacon).
 *
 * - a table of synthetic schedules (exact period, jittered, bursty,
 *   day-only, duplicates under a second, a single gap, connections then
 *   lookups), each fed oldest first and newest first, against the median,
 *   median absolute deviation and gap count worked out by hand in the
 *   table;
 * - input in no order is reported as unordered, with no rhythm;
 * - the score's formula on hand-computed points;
 * - random schedules against an exact median and MAD computed here by
 *   sorting: the sketch stays within its stated bound (the median within
 *   err * the upper middle gap, the MAD within err * (median + MAD + upper
 *   middle gap)), and the worst errors seen are printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/beacon.h"
#include "support/testutil.h"

#define S 1000000LL  /* microseconds per second */
#define EV_MAX 4096

/* A schedule: runs of `count` events `step` seconds apart from `start`
 * (seconds), as many runs as given, in one stream. */
struct run {
    double start, step;
    int count;
};

struct bcase {
    const char *name;
    struct run runs[8];
    int conns_first;         /* that many connections 60 s apart before the lookups */
    uint64_t gaps;
    double median, mad;
};

/* Expected values by hand (gaps sorted, median = the middle one or the
 * mean of the two middle ones, MAD likewise over |gap - median|). */
static const struct bcase cases[] = {
    /* 13 lookups 300 s apart: 12 gaps of 300 */
    {"exact 5 min", {{1000, 300, 13}}, 0, 12, 300, 0},
    /* alternating 290 / 310 (two runs 600 s apart, offset by 290):
     * t = 0, 290, 600, 890, ..., 3290, 3600: gaps 290, 310 six times each;
     * median (290 + 310) / 2 = 300, every deviation 10 */
    {"jittered +-10 s",
     {{0, 600, 7}, {290, 600, 6}},
     0, 12, 300, 10},
    /* bursts of three lookups 2 s apart every hour, four hours:
     * gaps 2 x 8, 3596 x 3: median (rank 5 of 11) 2, deviations 0 x 8,
     * 3594 x 3: MAD 0 */
    {"bursty", {{0, 2, 3}, {3600, 2, 3}, {7200, 2, 3}, {10800, 2, 3}}, 0, 11, 2, 0},
    /* every 600 s from 09:00 to 16:50 on 5 days: 47 gaps of 600 a day and
     * 4 of 24 h - 7 h 50 min = 58,200 s between days: 239 gaps, median 600,
     * MAD 0 */
    {"day only",
     {{9 * 3600, 600, 48},
      {86400 + 9 * 3600, 600, 48},
      {2 * 86400 + 9 * 3600, 600, 48},
      {3 * 86400 + 9 * 3600, 600, 48},
      {4 * 86400 + 9 * 3600, 600, 48}},
     0, 239, 600, 0},
    /* lookups 0.3 s after each counted one are the same lookup:
     * kept 0, 300, 600, 900: gaps 300 x 3 */
    {"duplicates", {{0, 300, 4}, {0.3, 300, 4}}, 0, 3, 300, 0},
    /* two lookups: one gap of 7 s */
    {"one gap", {{50, 7, 2}}, 0, 1, 7, 0},
    /* gaps 60, 60, 180, 300, 300 (t = 0, 60, 120, 300, 600, 900):
     * median 180, deviations 120, 120, 0, 120, 120: MAD 120 */
    {"spread", {{0, 60, 3}, {300, 300, 3}}, 0, 5, 180, 120},
    /* connections every 60 s, then lookups every 120 s: the lookups win
     * (4 lookups: 3 gaps of 120) */
    {"connections then lookups", {{100000, 120, 4}}, 10, 3, 120, 0},
    /* 21 gaps of 1000 and 20 of 1001 (whole seconds): median 1000,
     * deviations 0 x 21, 1 x 20: MAD 0; 1000 and 1001 share a bucket
     * (992..1007, seen 1000..1001), whose 41 gaps the sketch spreads evenly
     * over 1000..1001: median 1000.5, and half of them within 0.25 of it:
     * MAD 0.25, both within the bound (1000 / 64 s) */
    {"one bucket", {{0, 2001, 21}, {1000, 2001, 21}}, 0, 41, 1000.5, 0.25},
};

/* No libm in the test link. */
static double absd(double x) { return x < 0 ? -x : x; }

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The case's lookup times, sorted ascending; their count. */
static size_t times_of(const struct bcase *c, double *t)
{
    size_t n = 0;
    for (int r = 0; r < 8 && c->runs[r].count > 0; r++)
        for (int k = 0; k < c->runs[r].count; k++)
            t[n++] = c->runs[r].start + k * c->runs[r].step;
    qsort(t, n, sizeof *t, dcmp);
    return n;
}

static void feed(struct beacon *b, struct beacon_slot *s, const double *t, size_t n, int desc,
                 enum beacon_stream st)
{
    for (size_t i = 0; i < n; i++) {
        double x = desc ? t[n - 1 - i] : t[i];
        assert_int_equal(beacon_add(b, s, (int64_t)(x * S + 0.5), st), 0);
    }
}

static void test_table(void **st)
{
    (void)st;
    static double t[EV_MAX], ct[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct bcase *c = &cases[i];
        size_t n = times_of(c, t);
        for (int desc = 0; desc < 2; desc++) {
            struct beacon *b = beacon_new();
            struct beacon_slot s = {0, 0};
            struct beacon_stats bs;
            assert_non_null(b);
            for (int k = 0; k < c->conns_first; k++)
                ct[k] = t[0] - 100000 + 60.0 * k;
            if (c->conns_first) {
                feed(b, &s, ct, (size_t)c->conns_first, desc, BEACON_CONNS);
                beacon_get(b, &s, &bs);
                assert_int_equal(bs.stream, BEACON_CONNS);
                assert_int_equal(bs.gaps, c->conns_first - 1);
                assert_true(bs.median == 60);
            }
            feed(b, &s, t, n, desc, BEACON_LOOKUPS);
            /* connections after the first lookup are not counted */
            feed(b, &s, t, n, desc, BEACON_CONNS);
            beacon_get(b, &s, &bs);
            if (bs.gaps != c->gaps || bs.median != c->median || bs.mad != c->mad ||
                bs.unordered || bs.stream != BEACON_LOOKUPS)
                fail_msg("%s (%s): gaps %llu median %g mad %g unordered %d, want %llu %g %g",
                         c->name, desc ? "newest first" : "oldest first",
                         (unsigned long long)bs.gaps, bs.median, bs.mad, bs.unordered,
                         (unsigned long long)c->gaps, c->median, c->mad);
            assert_true(bs.err > 0 && bs.err <= 1.0 / 64);
            beacon_free(b);
        }
    }
}

static void test_unordered(void **st)
{
    (void)st;
    struct beacon *b = beacon_new();
    struct beacon_slot s = {0, 0}, e = {0, 0};
    struct beacon_stats bs;
    assert_non_null(b);
    /* 0, 600, 300: up, then down by more than a second */
    assert_int_equal(beacon_add(b, &s, 0, BEACON_LOOKUPS), 0);
    assert_int_equal(beacon_add(b, &s, 600 * S, BEACON_LOOKUPS), 0);
    assert_int_equal(beacon_add(b, &s, 300 * S, BEACON_LOOKUPS), 0);
    beacon_get(b, &s, &bs);
    assert_int_equal(bs.unordered, 1);
    assert_int_equal(bs.gaps, 0);
    /* a step back under a second is the same event, not disorder */
    assert_int_equal(beacon_add(b, &e, 1000 * S, BEACON_LOOKUPS), 0);
    assert_int_equal(beacon_add(b, &e, 1300 * S, BEACON_LOOKUPS), 0);
    assert_int_equal(beacon_add(b, &e, 1300 * S - S / 2, BEACON_LOOKUPS), 0);
    assert_int_equal(beacon_add(b, &e, 1600 * S, BEACON_LOOKUPS), 0);
    beacon_get(b, &e, &bs);
    assert_int_equal(bs.unordered, 0);
    assert_int_equal(bs.gaps, 2);
    assert_true(bs.median == 300);
    /* an empty slot */
    struct beacon_slot z = {0, 0};
    beacon_get(b, &z, &bs);
    assert_int_equal(bs.gaps, 0);
    beacon_free(b);
}

static void test_score(void **st)
{
    (void)st;
    /* regularity * support * (1 + spread) / 2 */
    assert_true(absd(beacon_score(0, 2016, 24, 7) - 1.0) < 1e-9);
    /* day only: 1 * 1 * (1 + max(8/24, 5/7)) / 2 = 6/7 */
    assert_true(absd(beacon_score(0, 239, 8, 5) - 6.0 / 7) < 1e-9);
    /* jitter 0.25: regularity 0.5; 12 gaps: support 0.5; 1 hour, 1 day:
     * spread 1/7: 0.5 * 0.5 * (8/7) / 2 = 1/7 */
    assert_true(absd(beacon_score(0.25, 12, 1, 1) - 1.0 / 7) < 1e-9);
    assert_true(beacon_score(0.5, 1000, 24, 30) == 0);
    assert_true(beacon_score(3, 1000, 24, 30) == 0);
}

/* Exact median of v[0..n) (sorted in place). */
static double exact_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, dcmp);
    return (v[(n - 1) / 2] + v[n / 2]) / 2;
}

static void test_random_bound(void **st)
{
    (void)st;
    static double t[EV_MAX], g[EV_MAX], d[EV_MAX];
    uint64_t rng = 12345;
    double worst_m = 0, worst_j = 0, worst_err = 0, worst_m16 = 0, worst_j16 = 0;
    for (int round = 0; round < 400; round++) {
        /* a period of 5 s .. about a day, jitter 0 .. 60% of it, some
         * outliers (missed beats) */
        double period = 5 + (double)(tu_rand(&rng) % 86400);
        double jit = (double)(tu_rand(&rng) % 61) / 100;
        size_t n = 3 + tu_rand(&rng) % 1000;
        double x = 1e6;
        for (size_t i = 0; i < n; i++) {
            t[i] = x;
            double u = (double)(tu_rand(&rng) % 20001) / 10000 - 1;  /* -1 .. 1 */
            double gap = period * (1 + jit * u);
            if (tu_rand(&rng) % 20 == 0)
                gap *= 2 + (double)(tu_rand(&rng) % 5);
            x += (double)(int64_t)(gap < 1 ? 1 : gap);  /* whole seconds, at least one */
        }
        struct beacon *b = beacon_new();
        struct beacon_slot s = {0, 0};
        struct beacon_stats bs;
        assert_non_null(b);
        feed(b, &s, t, n, (int)(round & 1), BEACON_LOOKUPS);
        beacon_get(b, &s, &bs);
        for (size_t i = 0; i + 1 < n; i++)
            g[i] = t[i + 1] - t[i];
        double m = exact_median(g, n - 1);
        double mid_hi = g[(n - 1) / 2];
        for (size_t i = 0; i + 1 < n; i++)
            d[i] = absd(g[i] - m);
        double mad = exact_median(d, n - 1);
        assert_int_equal(bs.gaps, n - 1);
        double em = absd(bs.median - m), emad = absd(bs.mad - mad);
        if (em > bs.err * mid_hi + 1e-9)
            fail_msg("round %d: median %g, exact %g, bound %g", round, bs.median, m,
                     bs.err * mid_hi);
        if (emad > bs.err * (m + mad + mid_hi) + 1e-9)
            fail_msg("round %d: mad %g, exact %g, bound %g", round, bs.mad, mad,
                     bs.err * (m + mad + mid_hi));
        double ej = absd(bs.mad / bs.median - mad / m);
        if (bs.err <= 1.0 / 16) {
            worst_m16 = em / m > worst_m16 ? em / m : worst_m16;
            worst_j16 = ej > worst_j16 ? ej : worst_j16;
        }
        if (bs.err <= 1.0 / 64) {
            worst_m = em / m > worst_m ? em / m : worst_m;
            worst_j = ej > worst_j ? ej : worst_j;
        }
        worst_err = bs.err > worst_err ? bs.err : worst_err;
        beacon_free(b);
    }
    printf("err <= 1/64 (shift 0): worst median error %.4f (relative), jitter error %.4f "
           "(absolute); err <= 1/16 (shift <= 2): %.4f, %.4f; largest err seen %.4f\n",
           worst_m, worst_j, worst_m16, worst_j16, worst_err);
}

/* The same times give the same rhythm oldest first and newest first,
 * whatever time the sketch store started from (its first event, of any
 * conversation): the scan stream's profile once read 1521 s one way and
 * 1520 s the other, as gaps were rounded in ticks counted from that
 * first event. */
static void test_direction(void **st)
{
    (void)st;
    uint64_t rng = 99;
    for (int trial = 0; trial < 2000; trial++) {
        int64_t t[40];
        size_t n = 3 + tu_rand(&rng) % 38;
        int64_t period = (int64_t)(1 + tu_rand(&rng) % 4000) * S / 2;
        t[0] = (int64_t)(tu_rand(&rng) % (1000000 * (uint64_t)S));
        for (size_t i = 1; i < n; i++)
            t[i] = t[i - 1] + period + (int64_t)(tu_rand(&rng) % (uint64_t)S) - S / 2;
        struct beacon_stats up, down;
        for (int dir = 0; dir < 2; dir++) {
            struct beacon *b = beacon_new();
            struct beacon_slot s = {0, 0}, other = {0, 0};
            assert_non_null(b);
            /* another conversation's event sets the store's base */
            int64_t base = (int64_t)(tu_rand(&rng) % (2000000 * (uint64_t)S));
            assert_int_equal(beacon_add(b, &other, base, BEACON_LOOKUPS), 0);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(beacon_add(b, &s, t[dir ? n - 1 - i : i], BEACON_LOOKUPS), 0);
            beacon_get(b, &s, dir ? &down : &up);
            beacon_free(b);
        }
        if (up.gaps != down.gaps || up.median != down.median || up.mad != down.mad)
            fail_msg("trial %d: oldest first %llu gaps, median %g, MAD %g; newest first %llu, "
                     "%g, %g", trial, (unsigned long long)up.gaps, up.median, up.mad,
                     (unsigned long long)down.gaps, down.median, down.mad);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_unordered),
        cmocka_unit_test(test_direction),
        cmocka_unit_test(test_score),
        cmocka_unit_test(test_random_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
