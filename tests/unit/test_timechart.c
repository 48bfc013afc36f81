/* dnstimechart through bin/scpdrive, as a user runs it:
 * - a property test: random streams (times, sourcetypes, events without the
 *   by-field), random spans (seconds to days), limits, useother/usenull,
 *   cont on and off, search ranges and time zones (a half-hour and a
 *   45-minute one, DST zones) against a count-by-bin-and-series computed
 *   here, with local midnight found from the zone's UTC offset rather than
 *   mktime;
 * - input order (as given, newest first, oldest first) and chunking (1, 7,
 *   50,000 rows) do not change the table;
 * - hand-written filter cases (tests/data/timechart/<case>/{args,input.csv,
 *   expected.csv});
 * - the 7-day story: the hourly chart for teredo.ipv6.microsoft.com equals
 *   the generator's truth for the Windows host, in three input orders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scp/cols.h"
#include "scp/csv.h"
#include "support/testutil.h"
#include "util/num.h"

/* Run dnstimechart over a file; OWNED output (CSV), status checked. */
static char *run_tc(const char *file, const char *args, const char *order, const char *chunk,
                    const char *earliest, const char *latest, size_t *n)
{
    const char *argv[] = {tu_bin("scpdrive"), "--no-mv", "--args", args, "--order", order,
                          "--chunk-rows", chunk, "--earliest", earliest, "--latest", latest,
                          file, "--", tu_bin("dnsjoin"), "timechart", NULL};
    struct tu_result r;
    assert_int_equal(tu_run(argv, NULL, 0, 120000, &r), 0);
    if (r.status != 0)
        fail_msg("dnstimechart %s (%s, chunk %s): status %d: %.*s", args, order, chunk, r.status,
                 (int)r.err_len, r.err);
    free(r.err);
    *n = r.out_len;
    return r.out;
}

/* ---- the independent model --------------------------------------------- */

struct ev {
    int64_t t;          /* seconds */
    int st;             /* sourcetype index, -1 = none */
};

static const char *const stypes[] = {"cisco:asa", "dnsmasq:transaction", "linux:netfilter",
                                     "squid", "stream:dns", "Zeek", "a,b", "NULLX"};
#define NST 8

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Local date of t as a day number (days since 1970-01-01). */
static int64_t local_day(int64_t t)
{
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    /* the date's own midnight in UTC, read by timegm, numbers the day */
    struct tm d = {0};
    d.tm_year = tm.tm_year;
    d.tm_mon = tm.tm_mon;
    d.tm_mday = tm.tm_mday;
    return floor_div((int64_t)timegm(&d), 86400);
}

/* First second of local day k: the zone's offset at noon puts midnight
 * near k*86400 - offset; then step to the first second of that date. */
static int64_t day_start(int64_t k)
{
    time_t noon = (time_t)(k * 86400 + 43200);
    struct tm tm;
    localtime_r(&noon, &tm);
    int64_t t = k * 86400 - tm.tm_gmtoff;
    /* DST changes move midnight by up to two hours either way */
    int64_t lo = t - 3 * 3600;
    while (local_day(lo) >= k)
        lo -= 3600;
    while (local_day(lo) < k)
        lo += 60;
    while (local_day(lo - 1) >= k)
        lo -= 1;
    return lo;
}

struct model {
    int64_t span;       /* seconds */
    int days;           /* day span: N days */
};

static int64_t m_floor(const struct model *m, int64_t t)
{
    if (!m->days)
        return floor_div(t, m->span) * m->span;
    return day_start(floor_div(local_day(t), m->days) * m->days);
}

static int64_t m_next(const struct model *m, int64_t start)
{
    if (!m->days)
        return start + m->span;
    return day_start(local_day(start) + m->days);
}

struct colv {
    const char *name;
    int id;             /* stype index, NST = NULL, NST+1 = OTHER */
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(((const struct colv *)a)->name, ((const struct colv *)b)->name);
}

/* Expected CSV text of the table, same layout as the command's. */
static char *expect_table(const struct ev *v, size_t n, const struct model *m, int limit,
                          int useother, int usenull, int cont, int64_t earliest, int64_t latest)
{
    long total[NST + 1] = {0};
    for (size_t i = 0; i < n; i++)
        total[v[i].st < 0 ? NST : v[i].st]++;
    /* rank: larger total first, ties bytewise */
    int rank[NST], nr = 0;
    for (int s = 0; s < NST; s++)
        if (total[s] > 0)
            rank[nr++] = s;
    for (int a = 0; a < nr; a++)
        for (int b = a + 1; b < nr; b++)
            if (total[rank[b]] > total[rank[a]] ||
                (total[rank[b]] == total[rank[a]] && strcmp(stypes[rank[b]], stypes[rank[a]]) < 0)) {
                int t = rank[a];
                rank[a] = rank[b];
                rank[b] = t;
            }
    int kept = limit == 0 || limit > nr ? nr : limit;
    struct colv cols[NST + 2];
    int nc = 0, colof[NST + 1];
    for (int s = 0; s <= NST; s++)
        colof[s] = -1;
    for (int a = 0; a < kept; a++)
        cols[nc++] = (struct colv){stypes[rank[a]], rank[a]};
    qsort(cols, (size_t)nc, sizeof cols[0], cmp_str);
    for (int c = 0; c < nc; c++)
        colof[cols[c].id] = c;
    if (usenull && total[NST] > 0) {
        colof[NST] = nc;
        cols[nc++] = (struct colv){"NULL", NST};
    }
    if (useother && kept < nr) {
        for (int a = kept; a < nr; a++)
            colof[rank[a]] = nc;
        cols[nc++] = (struct colv){"OTHER", NST + 1};
    }
    if (n == 0)
        return strdup("");
    /* bins */
    int64_t first = INT64_MAX, last = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        int64_t b = m_floor(m, v[i].t);
        first = b < first ? b : first;
        last = b > last ? b : last;
    }
    if (cont && earliest && m_floor(m, earliest) < first)
        first = m_floor(m, earliest);
    if (cont && latest && m_floor(m, latest - 1) > last)
        last = m_floor(m, latest - 1);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
#define APPEND(...)                                                                    \
    do {                                                                               \
        int w_ = snprintf(out + len, cap - len, __VA_ARGS__);                          \
        while ((size_t)w_ >= cap - len) {                                              \
            cap *= 2;                                                                  \
            out = realloc(out, cap);                                                   \
            w_ = snprintf(out + len, cap - len, __VA_ARGS__);                          \
        }                                                                              \
        len += (size_t)w_;                                                             \
    } while (0)
    APPEND("_time,_span");
    for (int c = 0; c < nc; c++)
        APPEND(strchr(cols[c].name, ',') ? ",\"%s\"" : ",%s", cols[c].name);
    APPEND("\n");
    long *counts = calloc((size_t)(nc ? nc : 1), sizeof *counts);
    for (int64_t b = first; b <= last; b = m_next(m, b)) {
        int any = 0;
        memset(counts, 0, (size_t)(nc ? nc : 1) * sizeof *counts);
        for (size_t i = 0; i < n; i++) {
            if (m_floor(m, v[i].t) != b)
                continue;
            any = 1;
            int c = colof[v[i].st < 0 ? NST : v[i].st];
            if (c >= 0)
                counts[c]++;
        }
        if (!cont && !any)
            continue;
        APPEND("%lld,%lld", (long long)b, (long long)(m_next(m, b) - b));
        for (int c = 0; c < nc; c++)
            APPEND(",%ld", counts[c]);
        APPEND("\n");
    }
    free(counts);
    return out;
}

static void write_events(const char *path, const struct ev *v, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "_time,sourcetype,src_ip,dest_ip,query,answer,src\n");
    for (size_t i = 0; i < n; i++) {
        const char *st = v[i].st < 0 ? "" : stypes[v[i].st];
        const char *q = strchr(st, ',') ? "\"" : "";
        /* a mix of DNS and network events, so the join engine decides them */
        if (i % 3 == 0)
            fprintf(f, "%lld,%s%s%s,,,n%zu.example,192.0.2.%zu,10.0.0.%zu\n", (long long)v[i].t, q,
                    st, q, i % 7, i % 5, i % 4);
        else
            fprintf(f, "%lld.%03zu,%s%s%s,10.0.0.%zu,192.0.2.%zu,,,\n", (long long)v[i].t,
                    i % 1000, q, st, q, i % 4, i % 5);
    }
    fclose(f);
}

static const char *const zones[] = {"UTC", "Asia/Kolkata", "America/New_York",
                                    "Australia/Adelaide", "Asia/Kathmandu", "Europe/Berlin"};

static void property_round(uint64_t seed, int all_orders)
{
    uint64_t rs = seed * 2654435761u + 17;
    static const struct {
        const char *text;
        int64_t span;
        int days;
    } spans[] = {{"30s", 30, 0}, {"5m", 300, 0}, {"1h", 3600, 0}, {"90m", 5400, 0},
                 {"24h", 86400, 0}, {"1d", 86400, 1}, {"2d", 172800, 2}, {"7d", 604800, 7}};
    size_t n = 50 + tu_rand(&rs) % 400;
    int sp = (int)(tu_rand(&rs) % 8);
    /* ranges in proportion to the span, so charts have tens of bins */
    int64_t range = spans[sp].span * (int64_t)(3 + tu_rand(&rs) % 40);
    /* around DST changes in 2023 (March, October/November) and elsewhere */
    static const int64_t bases[] = {1679180000, 1698530000, 1699401600, 1700000000, 1680307200};
    int64_t base = bases[tu_rand(&rs) % 5] + (int64_t)(tu_rand(&rs) % 86400);
    struct ev *v = calloc(n, sizeof *v);
    int nst = 1 + (int)(tu_rand(&rs) % NST);
    for (size_t i = 0; i < n; i++) {
        v[i].t = base + (int64_t)(tu_rand(&rs) % (uint64_t)range);
        v[i].st = tu_rand(&rs) % 9 == 0 ? -1 : (int)(tu_rand(&rs) % (uint64_t)nst);
    }
    int limit = (int)(tu_rand(&rs) % 5) * (tu_rand(&rs) % 2 ? 1 : 2);
    int useother = tu_rand(&rs) % 3 != 0, usenull = tu_rand(&rs) % 3 != 0;
    int cont = tu_rand(&rs) % 2;
    int64_t earliest = 0, latest = 0;
    if (tu_rand(&rs) % 2) {
        earliest = base - (int64_t)(tu_rand(&rs) % (uint64_t)(spans[sp].span * 3));
        latest = base + range + (int64_t)(tu_rand(&rs) % (uint64_t)(spans[sp].span * 3));
    }
    const char *zone = zones[tu_rand(&rs) % 6];
    int via_env = tu_rand(&rs) % 4 == 0;

    setenv("TZ", zone, 1);
    tzset();
    struct model m = {spans[sp].span, spans[sp].days};
    char *want = expect_table(v, n, &m, limit, useother, usenull, cont, earliest, latest);

    char path[64], args[256], es[32], ls[32];
    snprintf(path, sizeof path, "/tmp/dnstimechart-%d.csv", (int)getpid());
    write_events(path, v, n);
    snprintf(args, sizeof args, "span=%s limit=%d useother=%s usenull=%s cont=%s%s%s count by "
             "sourcetype", spans[sp].text, limit, useother ? "t" : "f", usenull ? "t" : "f",
             cont ? "t" : "f", via_env ? "" : " tz=", via_env ? "" : zone);
    snprintf(es, sizeof es, "%lld", (long long)earliest);
    snprintf(ls, sizeof ls, "%lld", (long long)latest);
    if (!via_env) {
        /* the command must not depend on the caller's zone when tz= is given */
        setenv("TZ", "Pacific/Chatham", 1);
    }
    static const char *orders[] = {"asis", "desc", "asc"};
    static const char *chunks[] = {"1", "7", "50000"};
    for (int o = 0; o < (all_orders ? 3 : 1); o++)
        for (int c = 0; c < (all_orders ? 3 : 1); c++) {
            size_t len;
            char *got = run_tc(path, args, orders[o], chunks[all_orders ? c : 2], es, ls, &len);
            if (len != strlen(want) || memcmp(got, want, len) != 0)
                fail_msg("seed %llu: %s (TZ %s, earliest %s latest %s, %s, chunk %s)\n"
                         "--- got\n%.*s--- want\n%s", (unsigned long long)seed, args, zone, es,
                         ls, orders[o], chunks[c], (int)(len > 3000 ? 3000 : len), got,
                         strlen(want) > 3000 ? "(long)" : want);
            free(got);
        }
    setenv("TZ", "UTC", 1);
    tzset();
    unlink(path);
    free(want);
    free(v);
}

static void test_property(void **st)
{
    (void)st;
    for (uint64_t seed = 1; seed <= 150; seed++)
        property_round(seed, 0);
}

static void test_order_and_chunking(void **st)
{
    (void)st;
    for (uint64_t seed = 1000; seed <= 1005; seed++)
        property_round(seed, 1);
}

/* ---- hand-written cases ------------------------------------------------ */

#define CASES "tests/data/timechart"

static void check_case(const char *dir)
{
    char path[512], input[512];
    size_t n;
    snprintf(path, sizeof path, "%s/%s/args", CASES, dir);
    char *args = tu_read_file(path, &n);
    assert_non_null(args);
    args[strcspn(args, "\n")] = 0;
    snprintf(input, sizeof input, "%s/%s/input.csv", CASES, dir);
    snprintf(path, sizeof path, "%s/%s/expected.csv", CASES, dir);
    char *want = tu_read_file(path, &n);
    assert_non_null(want);
    static const char *orders[] = {"asis", "desc", "asc"};
    static const char *chunks[] = {"1", "7", "50000"};
    for (int o = 0; o < 3; o++)
        for (int c = 0; c < 3; c++) {
            size_t len;
            char *got = run_tc(input, args, orders[o], chunks[c], "0", "0", &len);
            if (len != n || memcmp(got, want, n) != 0)
                fail_msg("%s (%s, chunk %s): got\n%.*s\nwant\n%s", dir, orders[o], chunks[c],
                         (int)len, got, want);
            free(got);
        }
    free(want);
    free(args);
}

static void test_cases(void **st)
{
    DIR *d = opendir(CASES);
    struct dirent *de;
    int ncases = 0;
    (void)st;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        check_case(de->d_name);
        ncases++;
    }
    closedir(d);
    assert_true(ncases >= 3);
}

/* ---- arguments ----------------------------------------------------------- */

static int getinfo_status(const char *args)
{
    const char *argv[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", args, "--",
                          tu_bin("dnsjoin"), "timechart", NULL};
    struct tu_result r;
    assert_int_equal(tu_run(argv, "", 0, 20000, &r), 0);
    int s = r.status;
    tu_result_free(&r);
    return s;
}

static void test_arguments(void **st)
{
    (void)st;
    const char *good[] = {"", "span=1h limit=0 domain=teredo.ipv6.microsoft.com",
                          "span=1d tz=Europe/Berlin src=10.0.0.0/8 by action",
                          "span=1h ip=65.55.158.0/24 cont=f", "count by host", "span=15 count",
                          "tz=IST-5:30 span=2d", "window=30m skew=5s scope=client useother=f"};
    const char *bad[] = {"span=1x", "span=0s", "limit=-1", "tz=Mars/Olympus", "ip=10.0.0.300",
                         "src=foo", "by", "count by a b", "frobnicate=1", "domain=",
                         "tz=../../etc/passwd", "span=400d"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (getinfo_status(good[i]) != 0)
            fail_msg("rejected: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (getinfo_status(bad[i]) == 0)
            fail_msg("accepted: %s", bad[i]);
}

/* ---- the story ------------------------------------------------------------ */

static const char *gen_story(void)
{
    const char *g = getenv("GEN_STORY");
    return g && *g ? g : "build/gen_story";
}

struct truth {
    long start, hours, lookups[200], p1[200], p2[200];
};

static void read_truth(const char *path, struct truth *t)
{
    size_t n;
    char *d = tu_read_file(path, &n);
    assert_non_null(d);
    memset(t, 0, sizeof *t);
    char *p = strstr(d, "\nstart=");
    assert_non_null(p);
    t->start = strtol(p + 7, NULL, 10);
    p = strstr(d, "hour_start,lookups,packets_primary,packets_secondary\n");
    assert_non_null(p);
    p = strchr(p, '\n') + 1;
    while (*p) {
        long h = strtol(p, &p, 10), a, b, c;
        a = strtol(p + 1, &p, 10);
        b = strtol(p + 1, &p, 10);
        c = strtol(p + 1, &p, 10);
        long k = (h - t->start) / 3600;
        assert_true(k >= 0 && k < 200);
        t->lookups[k] = a;
        t->p1[k] = b;
        t->p2[k] = c;
        t->hours = k + 1 > t->hours ? k + 1 : t->hours;
        if (*p == '\n')
            p++;
    }
    free(d);
}

static void check_story(const char *order, const char *chunk)
{
    char csv[128], tr[128], cmd[512], es[32], ls[32];
    struct truth t;
    snprintf(csv, sizeof csv, "/tmp/dnstimechart-story-%d.csv", (int)getpid());
    snprintf(tr, sizeof tr, "/tmp/dnstimechart-story-%d.truth", (int)getpid());
    snprintf(cmd, sizeof cmd, "%s --order %s --truth %s > %s", gen_story(),
             strcmp(order, "shuffled") == 0 ? "shuffled" : "desc", tr, csv);
    assert_int_equal(system(cmd), 0);
    read_truth(tr, &t);
    assert_int_equal(t.hours, 168);
    snprintf(es, sizeof es, "%ld", t.start);
    snprintf(ls, sizeof ls, "%ld", t.start + 168 * 3600);
    const char *scp_order = strcmp(order, "asc") == 0 ? "asc" : "asis";
    /* the story's search, as dnstimechart */
    static const char *args[] = {"span=1h limit=0 domain=teredo.ipv6.microsoft.com",
                                 "span=1h limit=0 ip=65.55.158.118/31 src=10.0.0.57"};
    for (int a = 0; a < 2; a++) {
        size_t len;
        char *out = run_tc(csv, args[a], scp_order, chunk, es, ls, &len);
        struct tu_table tb;
        assert_int_equal(tu_table_load(&tb, out, len), 0);
        assert_int_equal(tb.t.nrows, 168);
        assert_int_equal(tb.t.ncols, 4);
        for (size_t r = 0; r < tb.t.nrows; r++) {
            uint64_t tm, dns, fw;
            assert_int_equal(num_parse_u64(tu_table_cell(&tb, r, "_time"), 0, UINT64_MAX, &tm), 0);
            assert_int_equal((long)tm, t.start + (long)r * 3600);
            assert_true(slice_eq_cstr(tu_table_cell(&tb, r, "_span"), "3600"));
            assert_int_equal(num_parse_u64(tu_table_cell(&tb, r, "dnsmasq:transaction"), 0, UINT64_MAX,
                                           &dns), 0);
            assert_int_equal(num_parse_u64(tu_table_cell(&tb, r, "linux:netfilter"), 0, UINT64_MAX, &fw),
                             0);
            long want_fw = a == 0 ? t.p1[r] : t.p1[r] + t.p2[r];
            if ((long)dns != t.lookups[r] || (long)fw != want_fw)
                fail_msg("story %s %s hour %zu: lookups %llu want %ld, packets %llu want %ld",
                         order, args[a], r, (unsigned long long)dns, t.lookups[r],
                         (unsigned long long)fw, want_fw);
        }
        tu_table_free(&tb);
    }
    unlink(csv);
    unlink(tr);
}

static void test_story(void **st)
{
    (void)st;
    check_story("desc", "50000");
    check_story("asc", "7");
    check_story("shuffled", "50000");
    check_story("desc", "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_property),
        cmocka_unit_test(test_order_and_chunking),
        cmocka_unit_test(test_story),
    };
    return cmocka_run_group_tests_name("timechart", tests, NULL, NULL);
}
