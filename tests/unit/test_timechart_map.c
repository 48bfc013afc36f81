/*
 * test_timechart_map: dnstimechart's map phase (phase=map on the indexers,
 * named in the reduce's streaming_preop with mapphase=true) is exact: for
 * K map processes in {1,2,5}, events split by host or at random, and the
 * map rows merged by time, as they arrive or in a seeded random
 * interleaving, the reduce's chart is byte-identical to the single-phase
 * run, on the story (bench/gen_story.c), on a random stream (multivalue
 * by-field, empty and odd values, literal NULL and OTHER values, events
 * without _time, a search range wider than the events), for options that
 * change the bins, the columns and the fill (span, tz, limit, useother,
 * usenull, cont, earliest/latest), and on the bench stream
 * (bench/gen_stream.c --csv, as bench/mapphase.sh runs it: every column
 * splunkd sends, _raw included, four hosts over seven days) with the
 * default chart and a by-host one with OTHER.  Every --indexers run is
 * checked to have run its map processes and merged their rows.  Map-phase fields are
 * untrusted: a zero, negative, overflowing or non-numeric count, a sum past
 * 2^64-1, a bin time that is no bin start is an ERROR naming the field.
 * With a filter (domain=, ip=, src=) the map phase sends weighted rows
 * instead (test_weighted_map).  Runs bin/scpdrive and bin/dnsjoin as
 * processes, and (support/mapcheck's mc_bench_stream) builds
 * bench/gen_stream.c with cc unless GEN_STREAM names a built one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/mapcheck.h"
#include "support/testutil.h"

static void write_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static const char *const ran[] = {"dnstimechart (map phase):", "dnstimechart: merged ", NULL};

/* Every K x split x merge (all of them when `all`, else a few) gives the
 * single-phase bytes (support/mapcheck). */
static void check_exact(const char *csv, const char *args, const char *earliest,
                        const char *latest, size_t min_lines, int all)
{
    const struct mc_search q = {"timechart", args, earliest, latest, ran, NULL, NULL};
    mc_check_exact(&q, csv, min_lines, all, "700");
}

static void test_story(void **state)
{
    (void)state;
    char csv[128];
    if (tu_under_valgrind()) {
        skip();  /* the random stream covers the same paths under memcheck */
        return;
    }
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-tcmap-story-%d.csv", (int)getpid());
    mc_story(csv, "3");
    /* the default chart (by sourcetype, 1h), and hosts with OTHER over a
     * range that starts two days before the events */
    check_exact(csv, "", "0", "0", 100, 1);
    check_exact(csv, "span=30m limit=2 count by host", "1699200000", "1700100000", 400, 0);
    unlink(csv);
}

/* Events over two hours on four hosts: a multivalue by-field (__mv_tag),
 * empty values, values with commas, quotes and blanks, literal NULL and
 * OTHER values, events without _time or without tag, many equal times. */
static void random_stream(const char *csv)
{
    static const char *const tags[] = {"web", "mail", "NULL", "OTHER", "a,b", "say \"\"hi\"\"",
                                       " x ", "db", "dns", "z"};
    uint64_t rs = 20;
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "_time,host,src_ip,dest_ip,tag,__mv_tag\n");
    for (int i = 0; i < 4000; i++) {
        uint64_t x = tu_rand(&rs);
        long t = 1700000000L + (long)(x % 7200);
        const char *h[] = {"fw1", "fw2", "proxy", "dns1"};
        const char *ho = h[(x >> 20) % 4];
        int kind = (int)((x >> 24) % 10);
        if (kind == 0) {
            fprintf(f, ",%s,10.0.0.1,192.0.2.1,web,\n", ho);  /* no _time */
        } else if (kind == 1) {
            fprintf(f, "%ld,%s,10.0.0.2,192.0.2.2,,\n", t, ho);  /* NULL series */
        } else if (kind == 2) {
            /* two or three values */
            const char *a = tags[(x >> 32) % 10], *b = tags[(x >> 36) % 10];
            fprintf(f, "%ld.%03d,%s,10.0.0.3,192.0.2.3,\"%s\n%s\",\"$%s$;$%s$\"\n", t,
                    (int)((x >> 8) % 1000), ho, a, b, a, b);
        } else {
            fprintf(f, "%ld.%03d,%s,10.0.%d.%d,192.0.2.%d,\"%s\",\n", t,
                    (int)((x >> 8) % 1000), ho, (int)((x >> 40) % 3), (int)((x >> 44) % 9),
                    (int)((x >> 48) % 5), tags[(x >> 32) % 10]);
        }
    }
    fclose(f);
}

static void test_random_stream(void **state)
{
    (void)state;
    char csv[128];
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-tcmap-rand-%d.csv", (int)getpid());
    random_stream(csv);
    static const char *const qs[][3] = {
        {"span=5m limit=4 by tag", "1699990000", "1700010000"},
        {"span=10m limit=3 useother=f usenull=f cont=f by tag", "0", "0"},
        {"span=1d tz=Asia/Kolkata limit=0 by tag", "1699900000", "1700200000"},
        {"span=7m by host", "0", "1700009000"},
    };
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        check_exact(csv, qs[i][0], qs[i][1], qs[i][2], 2, i == 0);
    unlink(csv);
}

/* The bench stream (bench/mapphase.sh's input, 30000 events over its 7
 * days instead of a million; its four hosts send DNS, packet and proxy
 * events).  Every K x split x merge (18 runs each) for the default chart
 * (by sourcetype, 1h, as bench/mapphase.sh runs it) and for span=30m
 * limit=3 by host (one host in OTHER; split by host, K=5 leaves one map
 * process without events).  Chunks of 5000 rows, so each map process and
 * the reduce get several. */
static void test_bench_stream(void **state)
{
    (void)state;
    char csv[128];
    if (tu_under_valgrind()) {
        skip();  /* the random stream covers the same paths under memcheck */
        return;
    }
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-tcmap-bench-%d.csv", (int)getpid());
    mc_bench_stream(csv, 30000);
    static const char *const qs[] = {"", "span=30m limit=3 by host"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        const struct mc_search q = {"timechart", qs[i], "0", "0", ran, NULL, NULL};
        mc_check_exact(&q, csv, 150, 1, "5000");
    }
    unlink(csv);
}

/* Map-phase rows fed to the reduce with a bad field: ERROR naming it, exit
 * status 1. */
struct bad_case {
    const char *rows;   /* after the header bin,series,count */
    const char *field;  /* the field the ERROR names */
};

static void bad_rows(const struct bad_case *bc)
{
    char csv[128];
    struct tu_result r;
    char *body;
    size_t n;
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-tcmap-bad-%d.csv", (int)getpid());
    n = strlen(bc->rows) + 100;
    body = malloc(n);
    assert_non_null(body);
    snprintf(body, n, "__dnsjoin_tc_bin,__dnsjoin_tc_series,__dnsjoin_tc_count\n%s", bc->rows);
    write_file(csv, body, strlen(body));
    free(body);
    const char *argv[] = {tu_bin("scpdrive"), "--args", "span=1h", csv, "--",
                          tu_bin("dnsjoin"), "timechart", NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 30000, &r), 0);
    if (r.status != 1 || strstr(r.err, "ERROR") == NULL || strstr(r.err, bc->field) == NULL)
        fail_msg("rows %s: expected an ERROR naming %s, got status %d: %.300s", bc->rows,
                 bc->field, r.status, r.err);
    tu_result_free(&r);
    unlink(csv);
}

static void test_bad_weights(void **state)
{
    (void)state;
    static const char C[] = "__dnsjoin_tc_count", B[] = "__dnsjoin_tc_bin";
    static const struct bad_case cases[] = {
        {"1699999200,web,-3\n", C},
        {"1699999200,web,0\n", C},
        {"1699999200,web,18446744073709551616\n", C},
        {"1699999200,web,99999999999999999999999\n", C},
        {"1699999200,web,1e3\n", C},
        {"1699999200,web,12abc\n", C},
        {"1699999200,web, 5\n", C},
        {"1699999200,web,2.0\n", C},
        {"1699999200,web,\n", C},  /* a bin without a count */
        /* the same cell past 2^64-1 */
        {"1699999200,web,18446744073709551615\n1699999200,web,1\n", C},
        /* different cells whose sum (a series total, OTHER) would wrap */
        {"1699999200,web,9223372036854775808\n1700002800,mail,9223372036854775808\n", C},
        {"x,web,3\n", B},
        {"1699999201,web,3\n", B},  /* not the start of a 1h bin */
        {"1699999200.5,web,3\n", B},
        {"99999999999999999999,web,3\n", B},
        {"-4999999996800,web,3\n", B},  /* a bin start, but past any event time */
        {"1e9,web,3\n", B},
        {",web,3\n", B},  /* a count without a bin */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad_rows(&cases[i]);
}

/* Valid partial rows at the edges: the largest count, the NULL series. */
static void test_good_weights(void **state)
{
    (void)state;
    char csv[128];
    struct tu_result r;
    static const char body[] = "__dnsjoin_tc_bin,__dnsjoin_tc_series,__dnsjoin_tc_count\n"
                               "1699999200,web,18446744073709551614\n"
                               "1699999200,,1\n";
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-tcmap-good-%d.csv", (int)getpid());
    write_file(csv, body, strlen(body));
    const char *argv[] = {tu_bin("scpdrive"), "--args", "span=1h", csv, "--",
                          tu_bin("dnsjoin"), "timechart", NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 30000, &r), 0);
    if (r.status != 0 ||
        strcmp(r.out, "_time,_span,web,NULL\n1699999200,3600,18446744073709551614,1\n") != 0)
        fail_msg("status %d: %s %.300s", r.status, r.out, r.err);
    tu_result_free(&r);
    unlink(csv);
}

static void getinfo(const char *args, int status, struct tu_result *r)
{
    const char *argv[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", args, "--",
                          tu_bin("dnsjoin"), "timechart", NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 30000, r), 0);
    if (r->status != status)
        fail_msg("getinfo %s: status %d: %.300s", args, r->status, r->err);
}

/* getinfo: the reduce names its map phase with the user's arguments, only
 * with mapphase=true and no filter; the map phase is streaming and names
 * none. */
static void test_getinfo(void **state)
{
    (void)state;
    struct tu_result r;
    getinfo("mapphase=t span=30m limit=3 by \"host\"", 0, &r);
    if (strstr(r.err, "type=reporting streaming_preop=dnstimechart phase=map mapphase=t "
                      "span=30m limit=3 by \"host\"") == NULL)
        fail_msg("reduce getinfo: %.300s", r.err);
    tu_result_free(&r);
    /* on by default without a filter (the binary travels in the knowledge
     * bundle); off by default with one */
    getinfo("span=30m", 0, &r);
    if (strstr(r.err, "type=reporting streaming_preop=dnstimechart phase=map span=30m\n") ==
        NULL)
        fail_msg("default getinfo: %.300s", r.err);
    tu_result_free(&r);
    getinfo("span=30m domain=*.example", 0, &r);
    if (strstr(r.err, "type=reporting") == NULL || strstr(r.err, "streaming_preop") != NULL)
        fail_msg("default getinfo with a filter: %.300s", r.err);
    tu_result_free(&r);
    getinfo("mapphase=f", 0, &r);
    if (strstr(r.err, "streaming_preop") != NULL)
        fail_msg("mapphase=f getinfo: %.300s", r.err);
    tu_result_free(&r);
    /* a filter: the map phase sends weighted rows (test_weighted_map) */
    static const char *const filters[] = {"domain=*.microsoft.com", "ip=65.55.158.0/24",
                                          "src=10.0.0.57"};
    for (size_t i = 0; i < 3; i++) {
        char args[128], want[256];
        snprintf(args, sizeof args, "mapphase=t %s", filters[i]);
        getinfo(args, 0, &r);
        snprintf(want, sizeof want, "type=reporting streaming_preop=dnstimechart phase=map %s",
                 args);
        if (strstr(r.err, want) == NULL)
            fail_msg("%s: %.300s", args, r.err);
        tu_result_free(&r);
        snprintf(args, sizeof args, "phase=map %s", filters[i]);
        getinfo(args, 0, &r);
        if (strstr(r.err, "type=streaming\n") == NULL)
            fail_msg("%s: %.300s", args, r.err);
        tu_result_free(&r);
    }
    getinfo("phase=map mapphase=t history=dnsjoin_pdns", 0, &r);
    if (strstr(r.err, "type=streaming\n") == NULL)
        fail_msg("map getinfo: %.300s", r.err);
    tu_result_free(&r);
    getinfo("phase=both", 1, &r);
    assert_non_null(strstr(r.err, "phase="));
    tu_result_free(&r);
}

/* A filtered reduce refuses map-phase rows: they carry no events to join. */
static void test_filtered_reduce(void **state)
{
    (void)state;
    char csv[128];
    struct tu_result r;
    static const char body[] = "__dnsjoin_tc_bin,__dnsjoin_tc_series,__dnsjoin_tc_count\n"
                               "1699999200,web,3\n";
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-tcmap-filt-%d.csv", (int)getpid());
    write_file(csv, body, strlen(body));
    const char *argv[] = {tu_bin("scpdrive"), "--args", "src=10.0.0.0/8", csv, "--",
                          tu_bin("dnsjoin"), "timechart", NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 30000, &r), 0);
    if (r.status != 1 || strstr(r.err, "ERROR") == NULL || strstr(r.err, "src=") == NULL)
        fail_msg("status %d: %.300s", r.status, r.err);
    tu_result_free(&r);
    unlink(csv);
}

int main(void)
{
    if (access(mc_gen_story(), X_OK) != 0) {
        fprintf(stderr, "test_timechart_map: %s not built (make builds it)\n", mc_gen_story());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getinfo),
        cmocka_unit_test(test_bad_weights),
        cmocka_unit_test(test_good_weights),
        cmocka_unit_test(test_filtered_reduce),
        cmocka_unit_test(test_random_stream),
        cmocka_unit_test(test_story),
        cmocka_unit_test(test_bench_stream),
    };
    return cmocka_run_group_tests_name("timechart_map", tests, NULL, NULL);
}
