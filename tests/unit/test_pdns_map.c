/*
 * test_pdns_map: dnspdns's map phase (phase=map on the indexers, named in
 * the reduce's streaming_preop) is exact: for K map processes in {1,2,5},
 * events split by host or at random, and the map rows merged by time, as
 * they arrive or in a seeded random interleaving, the reduce's output is
 * byte-identical to the single-phase run (mapphase=f), on the story
 * (bench/gen_story.c), on a random stream with sinkhole answers, equal
 * times and many clients, and on the bench stream (bench/gen_stream.c
 * --csv, as bench/mapphase.sh runs it: every column splunkd sends, _raw
 * included).  Every --indexers run is checked to have run its map
 * processes and merged their records (support/mapcheck).  Map-phase fields
 * are untrusted: a negative, overflowing or non-numeric value is an ERROR
 * naming the field.  Runs bin/scpdrive and bin/dnsjoin as processes (no KV
 * store: records come back not_saved), and (support/mapcheck's
 * mc_bench_stream) builds bench/gen_stream.c with cc unless GEN_STREAM
 * names a built one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/mapcheck.h"
#include "support/testutil.h"

/* Nothing listens there: the KV store fails at once. */
#define NO_KV "https://127.0.0.1:1"

static void write_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static const char *const ran[] = {"dnspdns (map phase):", "dnspdns: merged ", NULL};
static const char *const no_kv[] = {"--splunkd-uri", NO_KV, NULL};
static const char *const not_saved[] = {"not_saved", NULL};

/* Every K x split x merge gives the single-phase bytes (support/mapcheck:
 * all 18 when `all`, else a few; one under memcheck), at least min_rows
 * records and the header, not_saved as no KV store answers any run. */
static void check_exact(const char *csv, const char *args, size_t min_rows, int all,
                        const char *chunk_rows)
{
    const struct mc_search q = {"pdns", args, "0", "0", ran, no_kv, not_saved};
    mc_check_exact(&q, csv, min_rows + 1, all, chunk_rows);
}

static void test_story(void **state)
{
    (void)state;
    char csv[128];
    if (tu_under_valgrind()) {
        skip();  /* the random stream covers the same paths under memcheck */
        return;
    }
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-pdnsmap-story-%d.csv", (int)getpid());
    mc_story(csv, "3");
    check_exact(csv, "", 10, 1, "7000");
    unlink(csv);
}

/* DNS events over few names, addresses and seconds (so times tie and the
 * bytewise-first client must win), sinkhole answers, CNAME answers, names
 * in mixed case with trailing dots, events of other kinds, four hosts. */
static void test_random_stream(void **state)
{
    (void)state;
    static const char *const names[] = {"a.example", "A.Example.", "b.example", "c.example..",
                                        "tracker.example", "x.test"};
    static const char *const ips[] = {"192.0.2.1", "192.0.2.2", "2001:db8::1", "0.0.0.0", "::",
                                      "cdn.example", "198.51.100.7", "[192.0.2.1]:53"};
    char csv[128];
    uint64_t rs = 20;
    FILE *f;
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-pdnsmap-rand-%d.csv", (int)getpid());
    f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "_time,host,src,query,answer,dest_ip\n");
    for (int i = 0; i < 3000; i++) {
        uint64_t x = tu_rand(&rs);
        long t = 1700000000L + (long)(x % 400);
        const char *h[] = {"dns1", "dns2", "fw1", "dns3"};
        if (x % 11 == 0) {
            fprintf(f, "%ld.5,fw1,10.0.0.%d,,,192.0.2.1\n", t, (int)(x % 7));
            continue;
        }
        fprintf(f, "%ld.%03d,%s,10.0.%d.%d,%s,%s,\n", t, (int)((x >> 8) % 1000),
                h[(x >> 20) % 4], (int)((x >> 24) % 2), (int)((x >> 28) % 9),
                names[(x >> 32) % 6], ips[(x >> 40) % 8]);
    }
    fclose(f);
    check_exact(csv, "", 8, 1, "7000");
    unlink(csv);
}

/* The bench stream (bench/mapphase.sh's input, 30000 events over its 7
 * days instead of a million): about 9000 DNS events (11812 answers, 9630
 * records) among packet and proxy events, every column splunkd sends,
 * _raw included.  Every K x
 * split x merge (18 runs) with the default arguments, as
 * bench/mapphase.sh runs it; chunks of 5000 rows, so each map process and
 * the reduce get several. */
static void test_bench_stream(void **state)
{
    (void)state;
    char csv[128];
    if (tu_under_valgrind()) {
        skip();  /* the random stream covers the same paths under memcheck */
        return;
    }
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-pdnsmap-bench-%d.csv", (int)getpid());
    mc_bench_stream(csv, 30000);
    check_exact(csv, "", 5000, 1, "5000");
    unlink(csv);
}

/* A map-phase row with a bad field: ERROR naming it, exit status 1. */
static void bad_row(const char *rows, const char *field)
{
    char csv[128];
    struct tu_result r;
    char *body;
    size_t n;
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-pdnsmap-bad-%d.csv", (int)getpid());
    n = strlen(rows) + 200;
    body = malloc(n);
    assert_non_null(body);
    snprintf(body, n, "__dnsjoin_pdns_rrname,__dnsjoin_pdns_rdata,__dnsjoin_pdns_first,"
                      "__dnsjoin_pdns_last,__dnsjoin_pdns_count,__dnsjoin_pdns_client\n%s",
             rows);
    write_file(csv, body, strlen(body));
    free(body);
    const char *argv[] = {tu_bin("scpdrive"), "--splunkd-uri", NO_KV, csv, "--",
                          tu_bin("dnsjoin"), "pdns", NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 30000, &r), 0);
    if (r.status != 1 || strstr(r.err, "ERROR") == NULL || strstr(r.err, field) == NULL)
        fail_msg("expected an ERROR naming %s, got status %d: %.300s", field, r.status, r.err);
    tu_result_free(&r);
    unlink(csv);
}

static void test_bad_weights(void **state)
{
    (void)state;
    bad_row("a.example,192.0.2.1,10,20,-3,c\n", "__dnsjoin_pdns_count");
    bad_row("a.example,192.0.2.1,10,20,18446744073709551616,c\n", "__dnsjoin_pdns_count");
    bad_row("a.example,192.0.2.1,10,20,1e3,c\n", "__dnsjoin_pdns_count");
    bad_row("a.example,192.0.2.1,10,20,0,c\n", "__dnsjoin_pdns_count");
    bad_row("a.example,192.0.2.1,10,20,18446744073709551615,c\n"
            "a.example,192.0.2.1,10,20,1,c\n", "__dnsjoin_pdns_count");
    bad_row("a.example,192.0.2.1,x,20,3,c\n", "__dnsjoin_pdns_first");
    bad_row("a.example,192.0.2.1,10,99999999999999999999,3,c\n", "__dnsjoin_pdns_last");
    bad_row("a.example,192.0.2.1,30,20,3,c\n", "__dnsjoin_pdns_first");
    bad_row("a.example,not-an-ip,10,20,3,c\n", "__dnsjoin_pdns_rdata");
    bad_row(",192.0.2.1,10,20,3,c\n", "__dnsjoin_pdns_rrname");
}

/* getinfo: the reduce names its map phase with the user's arguments; the
 * map phase is streaming and names none. */
static void test_getinfo(void **state)
{
    (void)state;
    struct tu_result r;
    const char *red[] = {tu_bin("scpdrive"), "--getinfo-only", "--args",
                         "collection=my_pdns mapphase=t query=\"q\"", "--", tu_bin("dnsjoin"),
                         "pdns", NULL};
    assert_int_equal(tu_run(red, NULL, 0, 30000, &r), 0);
    assert_int_equal(r.status, 0);
    if (strstr(r.err, "type=reporting streaming_preop=dnspdns phase=map collection=my_pdns "
                      "mapphase=t query=\"q\"") == NULL)
        fail_msg("reduce getinfo: %.300s", r.err);
    tu_result_free(&r);
    /* on by default (the binary travels in the knowledge bundle) */
    const char *dflt[] = {tu_bin("scpdrive"), "--getinfo-only", "--", tu_bin("dnsjoin"), "pdns",
                          NULL};
    assert_int_equal(tu_run(dflt, NULL, 0, 30000, &r), 0);
    assert_int_equal(r.status, 0);
    if (strstr(r.err, "type=reporting streaming_preop=dnspdns phase=map\n") == NULL)
        fail_msg("default getinfo: %.300s", r.err);
    tu_result_free(&r);
    const char *off[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", "mapphase=f", "--",
                         tu_bin("dnsjoin"), "pdns", NULL};
    assert_int_equal(tu_run(off, NULL, 0, 30000, &r), 0);
    assert_int_equal(r.status, 0);
    if (strstr(r.err, "type=reporting") == NULL || strstr(r.err, "streaming_preop") != NULL)
        fail_msg("mapphase=f getinfo: %.300s", r.err);
    tu_result_free(&r);
    const char *map[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", "phase=map", "--",
                         tu_bin("dnsjoin"), "pdns", NULL};
    assert_int_equal(tu_run(map, NULL, 0, 30000, &r), 0);
    assert_int_equal(r.status, 0);
    if (strstr(r.err, "type=streaming\n") == NULL)
        fail_msg("map getinfo: %.300s", r.err);
    tu_result_free(&r);
    const char *bad[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", "phase=both", "--",
                         tu_bin("dnsjoin"), "pdns", NULL};
    assert_int_equal(tu_run(bad, NULL, 0, 30000, &r), 0);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "phase="));
    tu_result_free(&r);
}

/* getinfo of `sub` with args, run from the app at dir: its stderr in r. */
static void app_getinfo(const char *dir, const char *sub, const char *args, struct tu_result *r)
{
    char exe[512];
    snprintf(exe, sizeof exe, "%s/bin/dnsjoin", dir);
    const char *argv[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", args, "--", exe, sub,
                          NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 30000, r), 0);
}

/* dnsjoin.conf [search] mapphase sets the default of dnspdns and of the
 * unfiltered dnstimechart, local/ over default/; an option in the search
 * wins; a bad value is an ERROR naming the file and line.  The binary is
 * copied into an app folder of its own, as it finds its app from its path. */
static void test_mapphase_conf(void **state)
{
    (void)state;
    char dir[] = "/tmp/dnsjoin-mapconf.XXXXXX", path[512];
    struct tu_result r;
    size_t n;
    assert_non_null(mkdtemp(dir));
    static const char *const sub[] = {"bin", "default", "local"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, sub[i]);
        assert_int_equal(mkdir(path, 0700), 0);
    }
    char *exe = tu_read_file(tu_bin("dnsjoin"), &n);
    assert_non_null(exe);
    snprintf(path, sizeof path, "%s/bin/dnsjoin", dir);
    write_file(path, exe, n);
    free(exe);
    assert_int_equal(chmod(path, 0700), 0);

    /* no dnsjoin.conf at all: on */
    app_getinfo(dir, "pdns", "", &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "streaming_preop=dnspdns phase=map\n"));
    tu_result_free(&r);

    static const char dflt[] = "# shipped\n[kvstore]\nmapphase = true\n[search]\n"
                               "  mapphase =  False \n";
    snprintf(path, sizeof path, "%s/default/dnsjoin.conf", dir);
    write_file(path, dflt, sizeof dflt - 1);
    static const struct {
        const char *sub, *args;
        int preop;
    } off[] = {
        {"pdns", "", 0},
        {"pdns", "mapphase=t", 1},
        {"timechart", "span=1h", 0},
        {"timechart", "span=1h mapphase=t", 1},
        {"timechart", "domain=*.example", 0},
    };
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        app_getinfo(dir, off[i].sub, off[i].args, &r);
        assert_int_equal(r.status, 0);
        if ((strstr(r.err, "streaming_preop=") != NULL) != off[i].preop)
            fail_msg("mapphase = false, %s %s: %.300s", off[i].sub, off[i].args, r.err);
        tu_result_free(&r);
    }

    /* local/ overrides default/ */
    static const char local[] = "[search]\nmapphase = 1\n";
    snprintf(path, sizeof path, "%s/local/dnsjoin.conf", dir);
    write_file(path, local, sizeof local - 1);
    app_getinfo(dir, "timechart", "span=1h", &r);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "streaming_preop=dnstimechart phase=map span=1h\n"));
    tu_result_free(&r);
    app_getinfo(dir, "timechart", "span=1h mapphase=f", &r);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.err, "streaming_preop="));
    tu_result_free(&r);

    static const char bad[] = "[search]\n\nmapphase = sometimes\n";
    write_file(path, bad, sizeof bad - 1);
    app_getinfo(dir, "pdns", "", &r);
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "local/dnsjoin.conf line 3: [search] mapphase must be true or false") ==
        NULL)
        fail_msg("bad mapphase: %.300s", r.err);
    tu_result_free(&r);
    /* the map phase itself never reads it */
    app_getinfo(dir, "pdns", "phase=map", &r);
    assert_int_equal(r.status, 0);
    tu_result_free(&r);

    static const char *const files[] = {"bin/dnsjoin", "default/dnsjoin.conf",
                                        "local/dnsjoin.conf", "bin", "default", "local", ""};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        assert_int_equal(remove(path), 0);
    }
}

int main(void)
{
    if (access(mc_gen_story(), X_OK) != 0) {
        fprintf(stderr, "test_pdns_map: %s not built (make builds it)\n", mc_gen_story());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getinfo),
        cmocka_unit_test(test_mapphase_conf),
        cmocka_unit_test(test_bad_weights),
        cmocka_unit_test(test_random_stream),
        cmocka_unit_test(test_story),
        cmocka_unit_test(test_bench_stream),
    };
    return cmocka_run_group_tests_name("pdns_map", tests, NULL, NULL);
}
