/*
 * test_weighted_map: the weighted-row map phase (cmd/wrows) of the
 * filtered dnstimechart (domain=, ip=, src=) and of dnsprofile is exact:
 * for K map processes in {1,2,5}, events split by host or at random, and
 * the rows merged by time, as they arrive or in a seeded interleaving, the
 * reduce's result is byte-identical to the single-phase run, on the story
 * (bench/gen_story.c) and on a random stream with bursts of equal events,
 * multivalued answers, URLs of every form, events without _time and more
 * than PROFILE_VALUES_MAX ports per conversation, and on the bench stream
 * (bench/gen_stream.c --csv, as bench/mapphase.sh runs it; every column
 * splunkd sends, _raw included).  The weight is untrusted: zero, negative,
 * non-numeric, past WROWS_WEIGHT_MAX or a sum past it is an ERROR naming
 * __dnsjoin_w.  Runs bin/scpdrive and bin/dnsjoin, and (support/mapcheck's
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
#include <unistd.h>

#include "support/mapcheck.h"
#include "support/testutil.h"

static const char *const tc_ran[] = {"dnstimechart: merged ", NULL};
static const char *const pf_ran[] = {"dnsprofile (map phase):", "dnsprofile: merged ", NULL};

static void check_all(const char *csv, int all)
{
    static const char *const tc[] = {"domain=*.microsoft.com", "ip=65.55.158.0/24 span=30m by host",
                                     "src=10.0.0.0/8 by sourcetype", "domain=*.example by host"};
    for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
        const struct mc_search q = {"timechart", tc[i], "0", "0", tc_ran, NULL, NULL};
        mc_check_exact(&q, csv, 2, all && i == 0, "900");
    }
    static const char *const pf[] = {"", "window=120 nodns_private=t local_domains=corp.example",
                                      "nodns=f scope=client"};
    for (size_t i = 0; i < sizeof pf / sizeof pf[0]; i++) {
        const struct mc_search q = {"profile", pf[i], "0", "0", pf_ran, NULL, NULL};
        mc_check_exact(&q, csv, 3, all && i == 0, "900");
    }
}

static void test_story(void **state)
{
    (void)state;
    char csv[128];
    if (tu_under_valgrind()) {
        skip();  /* the random stream covers the same paths under memcheck */
        return;
    }
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-wmap-story-%d.csv", (int)getpid());
    mc_story(csv, "5");
    check_all(csv, 1);
    unlink(csv);
}

/* Bursts of equal events (the map's reduction), ties in time, multivalued
 * answers, sinkholes and CNAMEs, proxy URLs of every form, mixed-case
 * transports, actions, events without _time, and one conversation with
 * more ports than a row lists. */
static void random_stream(const char *csv)
{
    static const char *const names[] = {"a.example", "b.example", "www.microsoft.com",
                                        "x.corp.example", "teredo.ipv6.microsoft.com"};
    static const char *const ips[] = {"192.0.2.1", "192.0.2.2", "65.55.158.118", "10.0.0.9",
                                      "2001:db8::1"};
    static const char *const urls[] = {"http://a.example/x", "a.example:443",
                                       "https://user@b.example:8443/p?q", "[2001:db8::1]:443",
                                       "www.microsoft.com/path", "http://192.0.2.1/", "/"};
    static const char *const tr[] = {"tcp", "UDP", "udp", "icmp", ""};
    static const char *const act[] = {"blocked", "allowed", "teardown", ""};
    uint64_t rs = 7;
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "_time,host,sourcetype,src,query,answer,__mv_answer,src_ip,dest_ip,dest_port,"
               "transport,action,url\n");
    for (int i = 0; i < 3000; i++) {
        uint64_t x = tu_rand(&rs);
        long t = 1700000000L + (long)(x % 5400);
        int ms = (int)((x >> 8) % 4) * 250;
        const char *h[] = {"fw1", "fw2", "proxy", "dns1"};
        int c = (int)((x >> 12) % 4), kind = (int)((x >> 16) % 10);
        int burst = (x >> 20) % 4 == 0 ? 1 + (int)((x >> 22) % 9) : 1;
        for (int b = 0; b < burst; b++) {
            if (kind < 3) {
                const char *n = names[(x >> 28) % 5], *a = ips[(x >> 32) % 5],
                           *a2 = ips[(x >> 36) % 5];
                if ((x >> 40) % 3 == 0)
                    fprintf(f, "%ld.%03d,dns1,dnsmasq,10.0.0.%d,%s,\"%s\n0.0.0.0\n%s\","
                               "\"$%s$;$0.0.0.0$;$%s$\",,,,,,\n", t, ms, c + 1, n, a, a2, a, a2);
                else
                    fprintf(f, "%ld.%03d,dns1,dnsmasq,10.0.0.%d,%s,%s,,,,,,,\n", t, ms, c + 1, n,
                            (x >> 41) % 5 == 0 ? "cdn.example" : a);
            } else if (kind < 8) {
                fprintf(f, "%s%ld.%03d,%s,fw,,,,,10.0.0.%d,%s,%d,%s,%s,\n",
                        (x >> 44) % 40 == 0 ? "" : "", t, ms, h[(x >> 46) % 2], c + 1,
                        ips[(x >> 48) % 5], (x >> 50) % 2 ? 443 : 3544, tr[(x >> 52) % 5],
                        act[(x >> 55) % 4]);
            } else if (kind == 8) {
                fprintf(f, "%ld.%03d,proxy,squid,,,,,10.0.0.%d,,,,,%s\n", t, ms, c + 1,
                        urls[(x >> 44) % 7]);
            } else {
                fprintf(f, ",fw1,fw,,,,,10.0.0.%d,192.0.2.1,443,tcp,blocked,\n", c + 1);
            }
        }
    }
    /* a port walk: more ports than PROFILE_VALUES_MAX, several per second */
    for (int p = 0; p < 400; p++)
        fprintf(f, "%ld.500,fw1,fw,,,,,10.0.0.3,65.55.158.118,%d,tcp,blocked,\n",
                1700001000L + p / 7, 20000 + (p * 37) % 400);
    fclose(f);
}

static void test_random_stream(void **state)
{
    (void)state;
    char csv[128];
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-wmap-rand-%d.csv", (int)getpid());
    random_stream(csv);
    check_all(csv, !tu_under_valgrind());
    unlink(csv);
}

/* The bench stream (bench/mapphase.sh's input, 30000 events over its 7
 * days instead of a million): 744 clients in 10.20.0.0/16, generated names
 * (about a sixth of the DNS answers under .co.uk), every column splunkd
 * sends.
 * Every K x split x merge (18 runs) for dnstimechart domain= (a glob the
 * stream's names match: DNS, packet and proxy events are kept) and for
 * dnsprofile with its default arguments; for dnstimechart src= by host,
 * mc_check_exact's subset (K=2 and K=5, each split, one merge each), which
 * keeps the case near 15 s of CPU on two cores.  Chunks of 5000 rows, so
 * each map process and the reduce get several. */
static void test_bench_stream(void **state)
{
    (void)state;
    char csv[128];
    if (tu_under_valgrind()) {
        skip();  /* the random stream covers the same paths under memcheck */
        return;
    }
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-wmap-bench-%d.csv", (int)getpid());
    mc_bench_stream(csv, 30000);
    static const char *const tc[] = {"domain=*.co.uk", "src=10.20.1.0/24 by host"};
    for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
        const struct mc_search q = {"timechart", tc[i], "0", "0", tc_ran, NULL, NULL};
        mc_check_exact(&q, csv, 100, i == 0, "5000");
    }
    const struct mc_search q = {"profile", "", "0", "0", pf_ran, NULL, NULL};
    mc_check_exact(&q, csv, 1000, 1, "5000");
    unlink(csv);
}

/* Rows with a bad weight: an ERROR naming the field, exit status 1. */
static void bad_weight(const char *cmd, const char *args, const char *rows)
{
    char csv[128];
    struct tu_result r;
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-wmap-bad-%d.csv", (int)getpid());
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "_time,src_ip,dest_ip,__dnsjoin_w\n%s", rows);
    fclose(f);
    const char *argv[] = {tu_bin("scpdrive"), "--args", args, csv, "--", tu_bin("dnsjoin"), cmd,
                          NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 30000, &r), 0);
    if (r.status != 1 || strstr(r.err, "ERROR") == NULL || strstr(r.err, "__dnsjoin_w") == NULL)
        fail_msg("%s %s rows %s: expected an ERROR naming __dnsjoin_w, got %d: %.300s", cmd, args,
                 rows, r.status, r.err);
    tu_result_free(&r);
    unlink(csv);
}

static void test_bad_weights(void **state)
{
    (void)state;
    static const char *const rows[] = {
        "1700000000,10.0.0.1,192.0.2.1,-3\n",
        "1700000000,10.0.0.1,192.0.2.1,0\n",
        "1700000000,10.0.0.1,192.0.2.1,1e3\n",
        "1700000000,10.0.0.1,192.0.2.1,12abc\n",
        "1700000000,10.0.0.1,192.0.2.1, 5\n",
        "1700000000,10.0.0.1,192.0.2.1,4611686018427387905\n",  /* 2^62 + 1 */
        "1700000000,10.0.0.1,192.0.2.1,18446744073709551616\n",
        /* each within the bound, their sum past it */
        ("1700000000,10.0.0.1,192.0.2.1,4611686018427387904\n"
         "1700000001,10.0.0.1,192.0.2.1,1\n"),
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        /* the reduce of a map phase checks them as it keeps them (all of
         * them); a plain run, when its sink reads them */
        bad_weight("timechart", "mapphase=t src=10.0.0.0/8", rows[i]);
        bad_weight("profile", "mapphase=t", rows[i]);
        if (i < 7) {
            bad_weight("timechart", "src=10.0.0.0/8", rows[i]);
            bad_weight("profile", "", rows[i]);
        }
    }
}

/* Weights count: one row of weight 5 is five events. */
static void test_weight_counts(void **state)
{
    (void)state;
    char csv[128];
    struct tu_result r;
    snprintf(csv, sizeof csv, "/tmp/dnsjoin-wmap-good-%d.csv", (int)getpid());
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "_time,sourcetype,src_ip,dest_ip,__dnsjoin_w\n1700000000,fw,10.0.0.1,192.0.2.1,5\n"
               "1700000001,fw,10.0.0.1,192.0.2.1,\n");
    fclose(f);
    const char *argv[] = {tu_bin("scpdrive"), "--args", "mapphase=t src=10.0.0.0/8", csv, "--",
                          tu_bin("dnsjoin"), "timechart", NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 30000, &r), 0);
    if (r.status != 0 || strcmp(r.out, "_time,_span,fw\n1699999200,3600,6\n") != 0)
        fail_msg("status %d: %s %.300s", r.status, r.out, r.err);
    tu_result_free(&r);
    unlink(csv);
}

/* getinfo: dnsprofile names its map phase only with mapphase=t; the map
 * phase is streaming and asks for the fields it reads. */
static void test_getinfo(void **state)
{
    (void)state;
    struct tu_result r;
    const char *a1[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", "mapphase=t window=90",
                        "--", tu_bin("dnsjoin"), "profile", NULL};
    assert_int_equal(tu_run(a1, NULL, 0, 30000, &r), 0);
    if (r.status != 0 ||
        strstr(r.err, "type=reporting streaming_preop=dnsprofile phase=map mapphase=t "
                      "window=90") == NULL)
        fail_msg("reduce getinfo: %.300s", r.err);
    tu_result_free(&r);
    const char *a2[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", "window=90", "--",
                        tu_bin("dnsjoin"), "profile", NULL};
    assert_int_equal(tu_run(a2, NULL, 0, 30000, &r), 0);
    if (r.status != 0 || strstr(r.err, "streaming_preop") != NULL)
        fail_msg("default getinfo: %.300s", r.err);
    tu_result_free(&r);
    const char *a3[] = {tu_bin("scpdrive"), "--getinfo-only", "--args",
                        "phase=map mapphase=t history=dnsjoin_pdns", "--", tu_bin("dnsjoin"),
                        "profile", NULL};
    assert_int_equal(tu_run(a3, NULL, 0, 30000, &r), 0);
    if (r.status != 0 || strstr(r.err, "type=streaming\n") == NULL)
        fail_msg("map getinfo: %.300s", r.err);
    tu_result_free(&r);
}

int main(void)
{
    if (access(mc_gen_story(), X_OK) != 0) {
        fprintf(stderr, "test_weighted_map: %s not built (make builds it)\n", mc_gen_story());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getinfo),
        cmocka_unit_test(test_bad_weights),
        cmocka_unit_test(test_weight_counts),
        cmocka_unit_test(test_random_stream),
        cmocka_unit_test(test_story),
        cmocka_unit_test(test_bench_stream),
    };
    return cmocka_run_group_tests_name("weighted_map", tests, NULL, NULL);
}
