/* The 7-day story (bench/gen_story.c): a Windows host resolves
 * teredo.ipv6.microsoft.com every few minutes and sends about nine blocked
 * UDP/3544 packets per lookup straight to the answer, plus packets to the
 * server's +1 address that no DNS answer names; other hosts browse through a
 * proxy; CDN addresses are shared by several names.  The generator writes a
 * truth file of what it emitted; the enrichment dnsjoin adds is asserted
 * against it, in the three input orders Splunk can produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scp/cols.h"
#include "scp/csv.h"
#include "support/testutil.h"
#include "util/num.h"

#define MAX_HOURS 200

struct truth {
    char host[64], domain[128], primary[64], secondary[64], sinkhole[64];
    long lookups, packets_primary, packets_secondary, delay_max, events;
    long sinkhole_lookups, sinkhole_packets;
    char doh_host[64], doh_ip[64], doh_provider[64], dot_host[64], dot_name[128], dot_ip[64],
        dot_provider[64], beacon_host[64], beacon_name[128], beacon_ip[64];
    long doh_connections, dot_connections, beacon_connections;
    long start;
    long hour_lookups[MAX_HOURS], hour_primary[MAX_HOURS];
    int hours;
};

static const char *gen_story(void)
{
    const char *g = getenv("GEN_STORY");
    return g && *g ? g : "build/gen_story";
}

static void read_truth(const char *path, struct truth *t)
{
    size_t n;
    char *d = tu_read_file(path, &n), *line, *save = NULL;
    int in_table = 0;
    assert_non_null(d);
    memset(t, 0, sizeof *t);
    for (line = strtok_r(d, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        long a, b, c, h;
        if (line[0] == '#')
            continue;
        if (strncmp(line, "hour_start,", 11) == 0) {
            in_table = 1;
            continue;
        }
        if (in_table && sscanf(line, "%ld,%ld,%ld,%ld", &h, &a, &b, &c) == 4) {
            int k = (int)((h - t->start) / 3600);
            if (k >= 0 && k < MAX_HOURS) {
                t->hour_lookups[k] = a;
                t->hour_primary[k] = b;
                if (k + 1 > t->hours)
                    t->hours = k + 1;
            }
            continue;
        }
        sscanf(line, "host=%63s", t->host);
        sscanf(line, "domain=%127s", t->domain);
        sscanf(line, "primary=%63s", t->primary);
        sscanf(line, "secondary=%63s", t->secondary);
        sscanf(line, "sinkhole=%63s", t->sinkhole);
        sscanf(line, "sinkhole_lookups=%ld", &t->sinkhole_lookups);
        sscanf(line, "sinkhole_packets=%ld", &t->sinkhole_packets);
        sscanf(line, "lookups=%ld", &t->lookups);
        sscanf(line, "packets_primary=%ld", &t->packets_primary);
        sscanf(line, "packets_secondary=%ld", &t->packets_secondary);
        sscanf(line, "packet_delay_max_s=%ld", &t->delay_max);
        sscanf(line, "events=%ld", &t->events);
        sscanf(line, "start=%ld", &t->start);
        sscanf(line, "doh_host=%63s", t->doh_host);
        sscanf(line, "doh_ip=%63s", t->doh_ip);
        sscanf(line, "doh_provider=%63[^\n]", t->doh_provider);
        sscanf(line, "doh_connections=%ld", &t->doh_connections);
        sscanf(line, "dot_host=%63s", t->dot_host);
        sscanf(line, "dot_name=%127s", t->dot_name);
        sscanf(line, "dot_ip=%63s", t->dot_ip);
        sscanf(line, "dot_provider=%63[^\n]", t->dot_provider);
        sscanf(line, "dot_connections=%ld", &t->dot_connections);
        sscanf(line, "beacon_host=%63s", t->beacon_host);
        sscanf(line, "beacon_name=%127s", t->beacon_name);
        sscanf(line, "beacon_ip=%63s", t->beacon_ip);
        sscanf(line, "beacon_connections=%ld", &t->beacon_connections);
    }
    free(d);
    assert_true(t->lookups > 0 && t->packets_primary > 0 && t->hours > 0);
    assert_true(t->sinkhole[0] != '\0' && t->sinkhole_lookups > 0 && t->sinkhole_packets > 0);
    assert_true(t->doh_connections > 0 && t->dot_connections > 0 && t->beacon_connections > 0);
    assert_true(t->doh_provider[0] != '\0' && t->dot_provider[0] != '\0');
}

static void check_order(const char *order)
{
    char csv[128], tr[128];
    struct truth t;
    struct tu_result r;

    snprintf(csv, sizeof csv, "/tmp/dnsjoin-story-%d.csv", (int)getpid());
    snprintf(tr, sizeof tr, "/tmp/dnsjoin-story-%d.truth", (int)getpid());
    char cmd_out[256];
    snprintf(cmd_out, sizeof cmd_out, "%s", csv);
    const char *gen[] = {gen_story(), "--order", order, "--truth", tr, NULL};
    assert_int_equal(tu_run(gen, NULL, 0, 60000, &r), 0);
    if (r.status != 0)
        fail_msg("gen_story failed (%d): %s", r.status, r.err);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(r.out, 1, r.out_len, f), r.out_len);
    fclose(f);
    tu_result_free(&r);
    read_truth(tr, &t);

    const char *join[] = {tu_bin("scpdrive"), "--no-mv", "--args", "window=1h", csv, "--",
                          tu_bin("dnsjoin"), "join", NULL};
    assert_int_equal(tu_run(join, NULL, 0, 120000, &r), 0);
    if (r.status != 0)
        fail_msg("%s: dnsjoin failed (%d): %s", order, r.status, r.err);

    struct cols *c = cols_new();
    struct csv_table tb;
    struct err e;
    csv_table_init(&tb);
    assert_int_equal(csv_parse(r.out, r.out_len, c, &tb, &e), 0);
    assert_int_equal((long)tb.nrows, t.events);
#define COL(name) csv_col_index(&tb, cols_find(c, SLICE_LIT(name)))
    long c_time = COL("_time"), c_st = COL("sourcetype"), c_src_ip = COL("src_ip"),
         c_dest_ip = COL("dest_ip"), c_match = COL("dns_match"), c_query = COL("dns_query"),
         c_age = COL("dns_age"), c_tunnel = COL("tunnel"), c_dnsq = COL("query"),
         c_src = COL("src"), c_queries = COL("dns_queries"), c_url = COL("url"),
         c_answer = COL("answer"), c_bypass = COL("bypass"), c_prov = COL("bypass_provider");
    assert_true(c_bypass >= 0 && c_prov >= 0);
    assert_true(c_time >= 0 && c_st >= 0 && c_src_ip >= 0 && c_dest_ip >= 0 && c_match >= 0 &&
                c_query >= 0 && c_age >= 0 && c_tunnel >= 0 && c_dnsq >= 0 && c_src >= 0 &&
                c_queries >= 0 && c_url >= 0 && c_answer >= 0);

    long lookups = 0, prim = 0, sec = 0, shared = 0, proxy_enriched = 0;
    long sink_lookups = 0, sink_packets = 0;
    long doh = 0, dot = 0, bypass_other = 0, beacon = 0;
    long hour_l[MAX_HOURS] = {0}, hour_p[MAX_HOURS] = {0};
    for (size_t i = 0; i < tb.nrows; i++) {
        struct slice ts = csv_cell(&tb, i, (size_t)c_time);
        int64_t us;
        assert_int_equal(num_parse_time_us(ts, &us), 0);
        int h = (int)((us / US_PER_SEC - t.start) / 3600);
        struct slice src_ip = csv_cell(&tb, i, (size_t)c_src_ip);
        struct slice dest = csv_cell(&tb, i, (size_t)c_dest_ip);
        struct slice match = csv_cell(&tb, i, (size_t)c_match);
        if (slice_eq_cstr(csv_cell(&tb, i, (size_t)c_src), t.host) &&
            slice_eq_cstr(csv_cell(&tb, i, (size_t)c_dnsq), t.domain)) {
            lookups++;
            if (h >= 0 && h < MAX_HOURS)
                hour_l[h]++;
            assert_int_equal(match.n, 0); /* DNS events pass unchanged */
        }
        if (csv_cell(&tb, i, (size_t)c_url).n > 0 && match.n > 0)
            proxy_enriched++;
        /* a sinkhole answer names no destination: nothing is joined to it */
        if (slice_eq_cstr(csv_cell(&tb, i, (size_t)c_answer), t.sinkhole))
            sink_lookups++;
        if (slice_eq_cstr(dest, t.sinkhole)) {
            sink_packets++;
            if (!slice_eq_cstr(match, "none") || csv_cell(&tb, i, (size_t)c_query).n > 0)
                fail_msg("%s: row %zu: a connection to the sinkhole %s was joined (%.*s)", order,
                         i, t.sinkhole, (int)match.n, match.p);
        }
        /* around the local resolver: DoH with no lookup, DoT after one */
        struct slice bypass = csv_cell(&tb, i, (size_t)c_bypass);
        struct slice prov = csv_cell(&tb, i, (size_t)c_prov);
        if (slice_eq_cstr(src_ip, t.doh_host) && slice_eq_cstr(dest, t.doh_ip)) {
            doh++;
            if (!slice_eq_cstr(bypass, "doh") || !slice_eq_cstr(prov, t.doh_provider) ||
                !slice_eq_cstr(match, "none"))
                fail_msg("%s: row %zu: DoH to %s: bypass=%.*s provider=%.*s match=%.*s", order,
                         i, t.doh_ip, (int)bypass.n, bypass.p, (int)prov.n, prov.p,
                         (int)match.n, match.p);
        } else if (slice_eq_cstr(src_ip, t.dot_host) && slice_eq_cstr(dest, t.dot_ip)) {
            dot++;
            if (!slice_eq_cstr(bypass, "dot") || !slice_eq_cstr(prov, t.dot_provider) ||
                !slice_eq_cstr(match, "client") ||
                !slice_eq_cstr(csv_cell(&tb, i, (size_t)c_query), t.dot_name))
                fail_msg("%s: row %zu: DoT to %s: bypass=%.*s match=%.*s", order, i, t.dot_ip,
                         (int)bypass.n, bypass.p, (int)match.n, match.p);
        } else if (bypass.n > 0) {
            bypass_other++;
        }
        if (slice_eq_cstr(src_ip, t.beacon_host) && slice_eq_cstr(dest, t.beacon_ip)) {
            beacon++;
            if (!slice_eq_cstr(match, "client") ||
                !slice_eq_cstr(csv_cell(&tb, i, (size_t)c_query), t.beacon_name))
                fail_msg("%s: row %zu: beacon connection not joined to %s", order, i,
                         t.beacon_name);
        }
        if (csv_cell(&tb, i, (size_t)c_queries).n > 0 &&
            memchr(csv_cell(&tb, i, (size_t)c_queries).p, '\n', csv_cell(&tb, i, (size_t)c_queries).n))
            shared++;
        if (!slice_eq_cstr(src_ip, t.host))
            continue;
        if (slice_eq_cstr(dest, t.primary)) {
            /* every packet to the answered address: its lookup, from this host */
            prim++;
            if (h >= 0 && h < MAX_HOURS)
                hour_p[h]++;
            if (!slice_eq_cstr(match, "client") ||
                !slice_eq_cstr(csv_cell(&tb, i, (size_t)c_query), t.domain) ||
                !slice_eq_cstr(csv_cell(&tb, i, (size_t)c_tunnel), "teredo"))
                fail_msg("%s: row %zu: packet to %s not joined to %s by this host", order, i,
                         t.primary, t.domain);
            int64_t age;
            assert_int_equal(num_parse_time_us(csv_cell(&tb, i, (size_t)c_age), &age), 0);
            assert_true(age >= 0 && age <= t.delay_max * US_PER_SEC);
        } else if (slice_eq_cstr(dest, t.secondary)) {
            /* the +1 server is in no DNS answer */
            sec++;
            assert_true(slice_eq_cstr(match, "none"));
            assert_true(slice_eq_cstr(csv_cell(&tb, i, (size_t)c_tunnel), "teredo"));
        }
    }
    assert_int_equal(lookups, t.lookups);
    assert_int_equal(prim, t.packets_primary);
    assert_int_equal(sec, t.packets_secondary);
    assert_int_equal(sink_lookups, t.sinkhole_lookups);
    assert_int_equal(sink_packets, t.sinkhole_packets);
    assert_int_equal(doh, t.doh_connections);
    assert_int_equal(dot, t.dot_connections);
    assert_int_equal(bypass_other, 0);
    assert_int_equal(beacon, t.beacon_connections);
    for (int h = 0; h < t.hours; h++) {
        if (hour_l[h] != t.hour_lookups[h] || hour_p[h] != t.hour_primary[h])
            fail_msg("%s: hour %d: %ld lookups / %ld packets, truth %ld / %ld", order, h,
                     hour_l[h], hour_p[h], t.hour_lookups[h], t.hour_primary[h]);
    }
    /* about nine packets per lookup */
    double ratio = (double)prim / (double)lookups;
    assert_true(ratio > 8.0 && ratio < 10.0);
    /* CDN addresses shared by several names show more than one candidate */
    assert_true(shared > 0);
    /* proxy events carry no destination IP: unchanged */
    assert_int_equal(proxy_enriched, 0);

    csv_table_free(&tb);
    cols_free(c);
    tu_result_free(&r);
    unlink(csv);
    unlink(tr);
}

static void test_story_desc(void **st)
{
    (void)st;
    check_order("desc");
}

static void test_story_asc(void **st)
{
    (void)st;
    check_order("asc");
}

static void test_story_shuffled(void **st)
{
    (void)st;
    check_order("shuffled");
}

int main(void)
{
    if (access(gen_story(), X_OK) != 0) {
        fprintf(stderr, "test_story: %s not built (make builds it)\n", gen_story());
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_story_desc),
        cmocka_unit_test(test_story_asc),
        cmocka_unit_test(test_story_shuffled),
    };
    return cmocka_run_group_tests_name("story", tests, NULL, NULL);
}
