/* dnsprofile through bin/scpdrive, as a user runs it:
 * - hand-written cases (tests/data/profile/<case>/{args,input.csv,
 *   expected.csv}): every path, proxy use per client and host, 6to4, nodns
 *   rows on and off, action words, the row order, synthetic rhythms with
 *   hand-computed intervals and scores, resolver bypass with
 *   local_resolvers=, names only one client resolved, the grace windows,
 *   expected names and private destinations (nodns_private=), the site's
 *   own domains (local_domains=: label boundaries, case, dots); each in
 *   three orders and chunks of 1, 7 and 50,000 rows;
 * - the 7-day story against the generator's truth: the Windows host's
 *   teredo conversation is direct_blocked, tunnel teredo, about nine
 *   connections per lookup, its sparkline equals the truth's hourly packets,
 *   and the +1 server address is a nodns row; the beacon host's rhythm
 *   (every 300 s +- 3 s, around the clock, 7 days) and the DoH and DoT
 *   hosts' bypass verdicts; newest first and oldest first, several chunk
 *   sizes, give byte-identical output, and shuffled input the same but for
 *   the rhythm (empty or equal: see report/beacon.h);
 * - the tunnel list: the app's lookups file next to the binary is used, a
 *   site's own entry works, and without the file the built-in names are
 *   used with a WARN;
 * - name_first_seen and new_name on report/profile directly (a table: the
 *   new_within edge, the earliest of a client's lookups and not an earlier
 *   connection, the search's first lookup when nothing is stored or the
 *   store's is later, a row without lookups, a name not asked for), also
 *   with each allocation failing in turn; local_domains= rejections and
 *   LOCAL_DOMAINS_MAX.  The KV store side: tests/kv/check.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "report/endpoints.h"
#include "report/profile.h"
#include "scp/cols.h"
#include "scp/csv.h"
#include "support/testutil.h"
#include "util/num.h"
#include "util/xmem.h"

static char *run_pf(const char *bin, const char *file, const char *args, const char *order,
                    const char *chunk, const char *earliest, const char *latest, size_t *n,
                    char **err)
{
    const char *argv[] = {tu_bin("scpdrive"), "--no-mv", "--args", args, "--order", order,
                          "--chunk-rows", chunk, "--earliest", earliest, "--latest", latest,
                          file, "--", bin, "profile", NULL};
    struct tu_result r;
    assert_int_equal(tu_run(argv, NULL, 0, 120000, &r), 0);
    if (r.status != 0)
        fail_msg("dnsprofile %s (%s, chunk %s): status %d: %.*s", args, order, chunk, r.status,
                 (int)r.err_len, r.err);
    if (err)
        *err = r.err;
    else
        free(r.err);
    *n = r.out_len;
    return r.out;
}

/* ---- hand-written cases ------------------------------------------------ */

#define CASES "tests/data/profile"

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
    struct tu_table exp;
    char *ed = tu_read_file(path, &n);
    assert_non_null(ed);
    assert_int_equal(tu_table_load(&exp, ed, n), 0);
    static const char *orders[] = {"asis", "desc", "asc"};
    static const char *chunks[] = {"1", "7", "50000"};
    for (int o = 0; o < 3; o++)
        for (int c = 0; c < 3; c++) {
            size_t len;
            char *out = run_pf(tu_bin("dnsjoin"), input, args, orders[o], chunks[c], "0", "0",
                               &len, NULL);
            struct tu_table got;
            assert_int_equal(tu_table_load(&got, out, len), 0);
            if (got.t.nrows != exp.t.nrows)
                fail_msg("%s (%s, chunk %s): %zu rows, want %zu", dir, orders[o], chunks[c],
                         got.t.nrows, exp.t.nrows);
            for (size_t r = 0; r < exp.t.nrows; r++)
                for (size_t k = 0; k < exp.t.ncols; k++) {
                    struct slice name = cols_name(exp.c, exp.t.ids[k]);
                    char nm[64];
                    snprintf(nm, sizeof nm, "%.*s", (int)name.n, name.p);
                    struct slice want = csv_cell(&exp.t, r, k), have = tu_table_cell(&got, r, nm);
                    if (have.p == NULL || !slice_eq(want, have))
                        fail_msg("%s (%s, chunk %s): row %zu %s = '%.*s', want '%.*s'", dir,
                                 orders[o], chunks[c], r + 1, nm, (int)have.n,
                                 have.p ? have.p : "", (int)want.n, want.p);
                }
            /* every row has a finding and a sparkline */
            for (size_t r = 0; r < got.t.nrows; r++) {
                assert_true(tu_table_cell(&got, r, "finding").n > 20);
                assert_true(slice_starts_with(tu_table_cell(&got, r, "hourly"), "##__SPARKLINE__##\n"));
            }
            tu_table_free(&got);
        }
    tu_table_free(&exp);
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
    assert_true(ncases >= 2);
}

/* ---- the story ------------------------------------------------------------ */

static const char *gen_story(void)
{
    const char *g = getenv("GEN_STORY");
    return g && *g ? g : "build/gen_story";
}

struct truth {
    long start, lookups, p1total, p2total, p1[200];
};

static long key_long(const char *d, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\n%s=", key);
    const char *p = strstr(d, k);
    assert_non_null(p);
    return strtol(p + strlen(k), NULL, 10);
}

static void read_truth(const char *path, struct truth *t)
{
    size_t n;
    char *d = tu_read_file(path, &n);
    assert_non_null(d);
    memset(t, 0, sizeof *t);
    t->start = key_long(d, "start");
    t->lookups = key_long(d, "lookups");
    t->p1total = key_long(d, "packets_primary");
    t->p2total = key_long(d, "packets_secondary");
    char *p = strstr(d, "hour_start,lookups,packets_primary,packets_secondary\n");
    assert_non_null(p);
    p = strchr(p, '\n') + 1;
    while (*p) {
        long h = strtol(p, &p, 10);
        strtol(p + 1, &p, 10);
        long b = strtol(p + 1, &p, 10);
        strtol(p + 1, &p, 10);
        long k = (h - t->start) / 3600;
        assert_true(k >= 0 && k < 200);
        t->p1[k] = b;
        if (*p == '\n')
            p++;
    }
    free(d);
}

static long num(struct slice s)
{
    uint64_t v;
    if (num_parse_u64(s, 0, UINT64_MAX, &v))
        fail_msg("not a number: '%.*s'", (int)s.n, s.p);
    return (long)v;
}

static long find_row(const struct tu_table *tb, const char *src, const char *q, const char *ip)
{
    for (size_t r = 0; r < tb->t.nrows; r++)
        if (slice_eq_cstr(tu_table_cell(tb, r, "src"), src) && slice_eq_cstr(tu_table_cell(tb, r, "dns_query"), q) &&
            slice_eq_cstr(tu_table_cell(tb, r, "dest_ip"), ip))
            return (long)r;
    return -1;
}

static void check_story_table(const struct tu_table *tb, const struct truth *t)
{
    long r = find_row(tb, "10.0.0.57", "teredo.ipv6.microsoft.com", "65.55.158.118");
    assert_true(r >= 0);
    size_t R = (size_t)r;
    assert_true(slice_eq_cstr(tu_table_cell(tb, R, "path"), "direct_blocked"));
    assert_true(slice_eq_cstr(tu_table_cell(tb, R, "tunnel"), "teredo"));
    assert_int_equal(num(tu_table_cell(tb, R, "lookups")), t->lookups);
    assert_int_equal(num(tu_table_cell(tb, R, "connections")), t->p1total);
    assert_int_equal(num(tu_table_cell(tb, R, "blocked")), t->p1total);
    assert_int_equal(num(tu_table_cell(tb, R, "allowed")), 0);
    assert_int_equal(num(tu_table_cell(tb, R, "proxied")), 0);
    assert_true(slice_eq_cstr(tu_table_cell(tb, R, "dest_port"), "3544"));
    assert_true(slice_eq_cstr(tu_table_cell(tb, R, "transport"), "udp"));
    char cpl[32];
    struct slice c = tu_table_cell(tb, R, "conn_per_lookup");
    snprintf(cpl, sizeof cpl, "%.*s", (int)c.n, c.p);
    double v = strtod(cpl, NULL);
    if (v < 8.5 || v > 9.5)
        fail_msg("conn_per_lookup %s is not close to 9", cpl);
    struct slice f = tu_table_cell(tb, R, "finding");
    char fs[1024];
    snprintf(fs, sizeof fs, "%.*s", (int)f.n, f.p);
    assert_non_null(strstr(fs, "10.0.0.57 resolved teredo.ipv6.microsoft.com"));
    assert_non_null(strstr(fs, "UDP/3544 packets straight to 65.55.158.118, all blocked"));
    assert_non_null(strstr(fs, "not proxy-aware"));
    assert_non_null(strstr(fs, "(Teredo)"));
    /* the sparkline: one point per hour of the search, the truth's packets */
    struct slice h = tu_table_cell(tb, R, "hourly");
    const char *p = h.p, *end = h.p + h.n;
    assert_true(slice_starts_with(h, "##__SPARKLINE__##\n"));
    p += strlen("##__SPARKLINE__##\n");
    for (int k = 0; k < 168; k++) {
        const char *q = p;
        while (q < end && *q != '\n')
            q++;
        long got = num(slice_of(p, (size_t)(q - p)));
        if (got != t->p1[k])
            fail_msg("hourly point %d: %ld, truth %ld", k, got, t->p1[k]);
        p = q < end ? q + 1 : q;
        assert_true(k == 167 ? p == end : p < end);
    }
    /* the server's +1 address: in no DNS answer */
    r = find_row(tb, "10.0.0.57", "", "65.55.158.119");
    assert_true(r >= 0);
    assert_int_equal(num(tu_table_cell(tb, (size_t)r, "connections")), t->p2total);
    assert_int_equal(num(tu_table_cell(tb, (size_t)r, "lookups")), 0);
    assert_true(slice_eq_cstr(tu_table_cell(tb, (size_t)r, "tunnel"), "teredo"));
    assert_true(slice_eq_cstr(tu_table_cell(tb, (size_t)r, "path"), "direct_blocked"));
    assert_int_equal(tu_table_cell(tb, (size_t)r, "conn_per_lookup").n, 0);
    /* the beacon: every 300 s (+-3 s, whole seconds) around the clock for
     * 7 days, so gaps of 297..303 s: median 300, median deviation 2 or so */
    r = find_row(tb, "10.0.0.33", "cdn-update.sync-check.example", "198.51.100.77");
    assert_true(r >= 0);
    long li = num(tu_table_cell(tb, (size_t)r, "lookup_interval"));
    if (li < 299 || li > 301)
        fail_msg("beacon lookup_interval %ld, want 300 +- 1", li);
    char jt[32], bs[32];
    struct slice js = tu_table_cell(tb, (size_t)r, "interval_jitter");
    struct slice ss = tu_table_cell(tb, (size_t)r, "beacon_score");
    snprintf(jt, sizeof jt, "%.*s", (int)js.n, js.p);
    snprintf(bs, sizeof bs, "%.*s", (int)ss.n, ss.p);
    if (js.n == 0 || strtod(jt, NULL) > 0.02 || ss.n == 0 || strtod(bs, NULL) < 0.95)
        fail_msg("beacon interval_jitter '%s' (want <= 0.02), beacon_score '%s' (want >= 0.95)",
                 jt, bs);
    assert_int_equal(num(tu_table_cell(tb, (size_t)r, "active_days")), 7);
    assert_int_equal(num(tu_table_cell(tb, (size_t)r, "hours_of_day_active")), 24);
    f = tu_table_cell(tb, (size_t)r, "finding");
    snprintf(fs, sizeof fs, "%.*s", (int)f.n, f.p);
    assert_non_null(strstr(fs, " It resolved cdn-update.sync-check.example about every 5 "
                               "minutes, around the clock, on 7 days, like a beacon."));
    /* a name no other host asks for */
    assert_int_equal(num(tu_table_cell(tb, (size_t)r, "name_clients")), 1);
    /* the proxy resolves a site whenever its 300 s cache has expired at a
     * request: gaps from seconds to hours (exact median 52 s, MAD 37 s,
     * jitter 0.71, computed from the story apart from this code): no beacon */
    {
        long pr = find_row(tb, "10.0.0.3", "www.news-daily.example", "203.0.113.10");
        assert_true(pr >= 0);
        struct slice pj = tu_table_cell(tb, (size_t)pr, "interval_jitter");
        struct slice ps = tu_table_cell(tb, (size_t)pr, "beacon_score");
        char pjt[32], pbs[32];
        snprintf(pjt, sizeof pjt, "%.*s", (int)pj.n, pj.p);
        snprintf(pbs, sizeof pbs, "%.*s", (int)ps.n, ps.p);
        if (pj.n == 0 || strtod(pjt, NULL) < 0.4 || ps.n == 0 || strtod(pbs, NULL) >= 0.5)
            fail_msg("proxy interval_jitter '%s' (want >= 0.4), beacon_score '%s' (want < 0.5)",
                     pjt, pbs);
        struct slice pf = tu_table_cell(tb, (size_t)pr, "finding");
        char pfs[1024];
        snprintf(pfs, sizeof pfs, "%.*s", (int)pf.n, pf.p);
        assert_null(strstr(pfs, "like a beacon"));
    }
    assert_non_null(strstr(fs, " No other host resolved cdn-update.sync-check.example."));
    r = find_row(tb, "10.0.0.57", "teredo.ipv6.microsoft.com", "65.55.158.118");
    assert_int_equal(num(tu_table_cell(tb, (size_t)r, "name_clients")), 1);
    /* around the local resolver: DoT after resolving dns.google, DoH with
     * no lookup */
    r = find_row(tb, "10.0.0.71", "dns.google", "8.8.8.8");
    assert_true(r >= 0);
    assert_true(slice_eq_cstr(tu_table_cell(tb, (size_t)r, "bypass"), "dot"));
    assert_true(slice_eq_cstr(tu_table_cell(tb, (size_t)r, "bypass_provider"), "Google Public DNS"));
    f = tu_table_cell(tb, (size_t)r, "finding");
    snprintf(fs, sizeof fs, "%.*s", (int)f.n, f.p);
    assert_non_null(strstr(fs, " It uses Google Public DNS over TLS instead of the local resolver."));
    r = find_row(tb, "10.0.0.72", "", "1.1.1.1");
    assert_true(r >= 0);
    assert_true(slice_eq_cstr(tu_table_cell(tb, (size_t)r, "bypass"), "doh"));
    assert_true(slice_eq_cstr(tu_table_cell(tb, (size_t)r, "bypass_provider"), "Cloudflare"));
    f = tu_table_cell(tb, (size_t)r, "finding");
    snprintf(fs, sizeof fs, "%.*s", (int)f.n, f.p);
    assert_non_null(strstr(fs, " It uses Cloudflare over HTTPS instead of the local resolver."));
    /* the teredo conversation reaches no resolver */
    assert_int_equal(tu_table_cell(tb, R, "bypass").n, 0);
    /* sorted by connections, largest first: the teredo row leads */
    assert_int_equal(R, 0);
    for (size_t k = 1; k < tb->t.nrows; k++)
        assert_true(num(tu_table_cell(tb, k - 1, "connections")) >= num(tu_table_cell(tb, k, "connections")));
    /* the other hosts reach the sites only through the proxy */
    r = find_row(tb, "10.0.0.20", "www.news-daily.example", "");
    if (r >= 0)
        assert_true(slice_eq_cstr(tu_table_cell(tb, (size_t)r, "path"), "proxied"));
}

/* The rhythm columns are made from the order lookups arrive in (exact
 * for sorted input, empty when a conversation's lookups came in no
 * order): a shuffled run equals a sorted one but for those, which are
 * either empty or the same. */
static void same_but_rhythm(const char *a, size_t an, const char *b, size_t bn)
{
    static const char *const same[] = {
        "src", "dns_query", "dest_ip", "lookups", "connections", "blocked", "allowed",
        "proxied", "conn_per_lookup", "first_seen", "last_seen", "active_hours", "dest_port",
        "transport", "sourcetype", "hourly", "path", "tunnel", "active_days",
        "hours_of_day_active", NULL};
    static const char *const rhythm[] = {"lookup_interval", "interval_jitter", "beacon_score",
                                         NULL};
    struct tu_table ta, tb;
    char *ca = malloc(an + 1), *cb = malloc(bn + 1);
    memcpy(ca, a, an);
    memcpy(cb, b, bn);
    assert_int_equal(tu_table_load(&ta, ca, an), 0);
    assert_int_equal(tu_table_load(&tb, cb, bn), 0);
    assert_int_equal(ta.t.nrows, tb.t.nrows);
    assert_int_equal(ta.t.ncols, tb.t.ncols);
    for (size_t r = 0; r < ta.t.nrows; r++) {
        for (int k = 0; same[k]; k++)
            if (!slice_eq(tu_table_cell(&ta, r, same[k]), tu_table_cell(&tb, r, same[k])))
                fail_msg("row %zu: %s differs", r, same[k]);
        for (int k = 0; rhythm[k]; k++) {
            struct slice y = tu_table_cell(&tb, r, rhythm[k]);
            if (y.n > 0 && !slice_eq(tu_table_cell(&ta, r, rhythm[k]), y))
                fail_msg("row %zu: %s differs", r, rhythm[k]);
        }
        /* the finding up to its rhythm sentence */
        struct slice fa = tu_table_cell(&ta, r, "finding"), fb = tu_table_cell(&tb, r, "finding");
        char sa[1024], sb[1024];
        snprintf(sa, sizeof sa, "%.*s", (int)fa.n, fa.p);
        snprintf(sb, sizeof sb, "%.*s", (int)fb.n, fb.p);
        char *cut = strstr(sa, ". It ");
        if (cut != NULL)
            cut[1] = 0;
        if (strncmp(sa, sb, strlen(sa)) != 0)
            fail_msg("row %zu: finding differs: '%s' / '%s'", r, sa, sb);
    }
    tu_table_free(&ta);
    tu_table_free(&tb);
}

static void test_story(void **st)
{
    char csv[3][128], tr[128], cmd[1024], es[32], ls[32];
    static const char *orders[] = {"desc", "asc", "shuffled"};
    struct truth t;
    char *first = NULL;
    size_t first_len = 0;
    (void)st;
    snprintf(tr, sizeof tr, "/tmp/dnsprofile-story-%d.truth", (int)getpid());
    for (int o = 0; o < 3; o++) {
        snprintf(csv[o], sizeof csv[o], "/tmp/dnsprofile-story-%d-%s.csv", (int)getpid(),
                 orders[o]);
        snprintf(cmd, sizeof cmd, "%s --order %s --truth %s > %s", gen_story(), orders[o], tr,
                 csv[o]);
        assert_int_equal(system(cmd), 0);
    }
    read_truth(tr, &t);
    snprintf(es, sizeof es, "%ld", t.start);
    snprintf(ls, sizeof ls, "%ld", t.start + 168 * 3600);
    static const char *chunks[] = {"50000", "7", "1"};
    for (int o = 0; o < 3; o++)
        for (int c = 0; c < 3; c++) {
            if (c == 2 && o != 0)
                continue;  /* one-row chunks of 60,000 rows: once is enough */
            size_t len;
            char *out = run_pf(tu_bin("dnsjoin"), csv[o], "", "asis", chunks[c], es, ls, &len,
                               NULL);
            if (first == NULL) {
                struct tu_table tb;
                char *copy = malloc(len + 1);
                memcpy(copy, out, len);
                assert_int_equal(tu_table_load(&tb, copy, len), 0);
                check_story_table(&tb, &t);
                tu_table_free(&tb);
                first = out;
                first_len = len;
                continue;
            }
            if (o == 2)
                same_but_rhythm(first, first_len, out, len);
            else if (len != first_len || memcmp(out, first, len) != 0)
                fail_msg("story %s, chunk %s: output differs from newest first, chunk 50000",
                         orders[o], chunks[c]);
            free(out);
        }
    free(first);
    for (int o = 0; o < 3; o++)
        unlink(csv[o]);
    unlink(tr);
}

/* ---- the tunnel list ------------------------------------------------------ */

static void test_endpoints_file(void **st)
{
    char dir[128], cmd[1024], in[256];
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/dnsprofile-app-%d", (int)getpid());
    snprintf(in, sizeof in, "%s/in.csv", dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/bin && cp %s %s/bin/dnsjoin", dir, dir,
             tu_bin("dnsjoin"), dir);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fprintf(f, "_time,src,query,answer,src_ip,dest_ip,dest_port,transport,action\n"
               "1699430400,10.0.0.9,teredo.ipv6.microsoft.com,65.55.158.118,,,,,\n"
               "1699430401,,,,10.0.0.9,65.55.158.118,80,tcp,blocked\n"
               "1699430400,10.0.0.9,tunnel.corp.example,198.51.100.7,,,,,\n"
               "1699430401,,,,10.0.0.9,198.51.100.7,80,tcp,blocked\n");
    fclose(f);
    char bin[256];
    snprintf(bin, sizeof bin, "%s/bin/dnsjoin", dir);

    /* no lookups directory: built-in names, with a WARN */
    size_t len;
    char *err;
    char *out = run_pf(bin, in, "", "asis", "50000", "0", "0", &len, &err);
    struct tu_table tb;
    assert_non_null(strstr(err, "WARN"));
    assert_non_null(strstr(err, "built-in"));
    assert_int_equal(tu_table_load(&tb, out, len), 0);
    long r = find_row(&tb, "10.0.0.9", "teredo.ipv6.microsoft.com", "65.55.158.118");
    assert_true(r >= 0);
    assert_true(slice_eq_cstr(tu_table_cell(&tb, (size_t)r, "tunnel"), "teredo"));
    r = find_row(&tb, "10.0.0.9", "tunnel.corp.example", "198.51.100.7");
    assert_true(r >= 0 && tu_table_cell(&tb, (size_t)r, "tunnel").n == 0);
    tu_table_free(&tb);
    free(err);

    /* the app's file, with a site's own entry */
    snprintf(cmd, sizeof cmd, "mkdir -p %s/lookups && cp lookups/tunnel_endpoints.csv "
             "%s/lookups/ && echo 'tunnel.corp.example,name,teredo,site relay' >> "
             "%s/lookups/tunnel_endpoints.csv", dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    out = run_pf(bin, in, "", "asis", "50000", "0", "0", &len, &err);
    assert_null(strstr(err, "WARN"));
    assert_int_equal(tu_table_load(&tb, out, len), 0);
    r = find_row(&tb, "10.0.0.9", "tunnel.corp.example", "198.51.100.7");
    assert_true(r >= 0);
    assert_true(slice_eq_cstr(tu_table_cell(&tb, (size_t)r, "tunnel"), "teredo"));
    tu_table_free(&tb);
    free(err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static int getinfo_status(const char *args)
{
    const char *argv[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", args, "--",
                          tu_bin("dnsjoin"), "profile", NULL};
    struct tu_result r;
    assert_int_equal(tu_run(argv, "", 0, 20000, &r), 0);
    int s = r.status;
    tu_result_free(&r);
    return s;
}

static void test_arguments(void **st)
{
    (void)st;
    const char *good[] = {"", "window=1h", "nodns=f", "scope=client window=30m",
                          "ip=dest client=src_ip query=query{} answer=host_addr{} maxbuffer=1GB",
                          "nodns_private=t", "local_resolvers=10.0.0.53,192.168.1.0/24",
                          "local_domains=corp.example,lab.local", "local_domains=\"\"",
                          "local_domains=.Corp.Example.", "new_within=2h", "new_within=30d"};
    const char *bad[] = {"nodns=maybe", "window=0s", "by src", "span=1h", "domain=x",
                         "nodns_private=maybe", "local_resolvers=resolver.example",
                         "local_domains=a..b", "local_domains=corp.example,bad@name",
                         "local_domains=.", "new_within=0s", "new_within=soon"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (getinfo_status(good[i]) != 0)
            fail_msg("rejected: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (getinfo_status(bad[i]) == 0)
            fail_msg("accepted: %s", bad[i]);
}

/* ---- name_first_seen and new_name (report/profile API) ------------------ */

#define US 1000000LL
#define T0 (1700000000LL * US)
#define DAY (86400LL * US)

/* One conversation under test, (10.0.0.1, x.example, 192.0.2.1), and
 * another client's lookups of the same name. */
struct nf_case {
    const char *what;
    int64_t stored;            /* stored time_first (us), INT64_MAX: none */
    int64_t lookups[3];        /* this client's, 0: none */
    int64_t conns[2];          /* this client's connections, 0: none */
    int64_t other;             /* 10.0.0.2's lookup of the name, 0: none */
    int64_t within;
    int ask;                   /* the name is among those asked for */
    int64_t want_first;        /* name_first_seen */
    int want_new;
};

static const struct nf_case nf_cases[] = {
    {"stored exactly new_within before: new (inclusive)", T0 - DAY, {T0}, {0}, 0, DAY, 1,
     T0 - DAY, 1},
    {"stored a second more before: not new", T0 - DAY - US, {T0}, {0}, 0, DAY, 1, T0 - DAY - US,
     0},
    {"the earliest of this client's lookups counts", T0 - DAY - 10 * US,
     {T0 + 3600 * US, T0 - 20 * US, T0}, {0}, 0, DAY, 1, T0 - DAY - 10 * US, 1},
    {"the first lookup, not an earlier connection", T0 - DAY - 20 * US, {T0}, {T0 - 50 * US},
     0, DAY, 1, T0 - DAY - 20 * US, 0},
    {"nothing stored: another client's earlier lookup", INT64_MAX, {T0}, {0}, T0 - 100 * US, 60 * US,
     1, T0 - 100 * US, 0},
    {"nothing stored: this client first", INT64_MAX, {T0}, {0}, T0 + 100 * US, 60 * US, 1, T0, 1},
    {"stored after the search's lookup: the search's", T0 + 1000 * US, {T0}, {0}, 0, US, 1, T0, 1},
    {"no lookup of its own: its first connection", T0 - 3 * 3600 * US, {0},
     {T0 + 30 * US, T0 + 10 * US}, T0, 3 * 3600 * US + 10 * US, 1, T0 - 3 * 3600 * US, 1},
    {"not asked for: empty", T0, {T0}, {0}, 0, DAY, 0, 0, 0},
};

/* Case k on a fresh profile: 0 with every check made (check), or the
 * first error (with xmem_fail_at: ERR_NOMEM), everything freed. */
static int nf_run(const struct nf_case *k, const struct endpoints *ep, int check)
{
    struct profile *p = profile_new(ep);
    struct profile_key me, other;
    struct ipaddr ip, cip, oip;
    struct err e;
    uint32_t *order = NULL, *ids = NULL;
    size_t n = 0, m = 0;
    int cut, rc = 0, found = 0;
    if (p == NULL)
        return ERR_NOMEM;
    profile_keep_first_lookups(p);
    assert_int_equal(ipaddr_parse(slice_cstr("192.0.2.1"), &ip), 0);
    assert_int_equal(ipaddr_parse(slice_cstr("10.0.0.1"), &cip), 0);
    assert_int_equal(ipaddr_parse(slice_cstr("10.0.0.2"), &oip), 0);
    if ((rc = profile_key(p, slice_cstr("10.0.0.1"), &cip, slice_cstr("X.Example."), &me, &e)) ||
        (rc = profile_key(p, slice_cstr("10.0.0.2"), &oip, slice_cstr("x.example"), &other, &e)))
        goto out;
    for (int i = 0; i < 2 && rc == 0; i++)
        if (k->conns[i])
            rc = profile_conn(p, &me, &ip, k->conns[i], 0, slice_cstr("allowed"),
                              slice_cstr("443"), slice_cstr("tcp"), slice_cstr("fw"), 1, &e);
    for (int i = 0; i < 3 && rc == 0; i++)
        if (k->lookups[i])
            rc = profile_lookup(p, &me, &ip, k->lookups[i], slice_cstr("dns"), 1, &e);
    if (rc == 0 && k->other)
        rc = profile_lookup(p, &other, &ip, k->other, slice_cstr("dns"), 1, &e);
    if (rc || (rc = profile_order(p, 1, 0, &order, &n, &e)) != 0 ||
        (rc = profile_row_names(p, order, n, k->ask ? 10 : 0, &ids, &m, &cut, &e)) != 0 ||
        (rc = profile_set_history(p, ids, &k->stored, m, k->within, &e)) != 0)
        goto out;
    if (!check)
        goto out;
    assert_int_equal(m, k->ask ? 1 : 0);
    assert_int_equal(cut, !k->ask);
    if (m == 1)
        assert_true(slice_eq_cstr(profile_name(p, ids[0]), "x.example"));
    for (size_t i = 0; i < n; i++) {
        struct profile_row r;
        profile_row_of(p, order[i], &r);
        if (!slice_eq_cstr(r.src, "10.0.0.1"))
            continue;
        found = 1;
        struct slice cells[PROFILE_EXTRA_N];
        char buf[PROFILE_EXTRA_BUF], want[32];
        profile_extra(p, &r, cells, buf);
        if (!k->ask) {
            if (r.has_name_first || cells[8].n || cells[9].n)
                fail_msg("%s: columns not empty", k->what);
            continue;
        }
        snprintf(want, sizeof want, "%lld", (long long)(k->want_first / US));
        if (!r.has_name_first || r.name_first != k->want_first || !slice_eq_cstr(cells[8], want))
            fail_msg("%s: name_first_seen %.*s, want %s", k->what, (int)cells[8].n, cells[8].p,
                     want);
        if (r.new_name != k->want_new || !slice_eq_cstr(cells[9], k->want_new ? "true" : "false"))
            fail_msg("%s: new_name %.*s, want %d", k->what, (int)cells[9].n, cells[9].p,
                     k->want_new);
        char f[1024];
        profile_finding(p, &r, f, sizeof f);
        if ((strstr(f, "x.example is a new name: first seen") != NULL) != k->want_new)
            fail_msg("%s: finding: %s", k->what, f);
    }
    assert_true(found);
out:
    xfree(order);
    xfree(ids);
    profile_free(p);
    return rc;
}

static void test_name_first_seen(void **st)
{
    (void)st;
    struct endpoints *ep = endpoints_builtin();
    assert_non_null(ep);
    for (size_t c = 0; c < sizeof nf_cases / sizeof nf_cases[0]; c++)
        assert_int_equal(nf_run(&nf_cases[c], ep, 1), 0);
    /* the Nth allocation fails: a clean ERR_NOMEM each time, until none
     * is left to fail */
    unsigned long N;
    for (N = 1; N < 10000; N++) {
        xmem_fail_at(N);
        int rc = nf_run(&nf_cases[7], ep, 0);
        xmem_fail_at(0);
        if (rc == 0)
            break;
        if (rc != ERR_NOMEM)
            fail_msg("allocation %lu: error %d", N, rc);
    }
    assert_true(N > 5 && N < 10000);
    assert_int_equal(nf_run(&nf_cases[7], ep, 1), 0);
    endpoints_free(ep);
}

/* local_domains= entries the profile refuses, and the count limit. */
static void test_local_domains_list(void **st)
{
    (void)st;
    struct endpoints *ep = endpoints_builtin();
    struct profile *p = profile_new(ep);
    struct err e;
    static const char *const bad[] = {"a..b", "..", "x y@z", "corp.example,x!y", "bad/name",
                                      "."};
    assert_non_null(p);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (profile_set_local_domains(p, slice_cstr(bad[i]), &e) != ERR_ARGS)
            fail_msg("accepted: %s", bad[i]);
    static char many[LOCAL_DOMAINS_MAX * 8 + 8];
    size_t n = 0;
    for (unsigned i = 0; i < LOCAL_DOMAINS_MAX; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "d%u.x,", i);
    assert_int_equal(profile_set_local_domains(p, slice_of(many, n), &e), 0);
    n += (size_t)snprintf(many + n, sizeof many - n, "one.more");
    assert_int_equal(profile_set_local_domains(p, slice_of(many, n), &e), ERR_ARGS);
    assert_non_null(strstr(e.msg, "LOCAL_DOMAINS_MAX"));
    assert_int_equal(profile_set_local_domains(p, slice_cstr(""), &e), 0);
    profile_free(p);
    endpoints_free(ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_endpoints_file),
        cmocka_unit_test(test_story),
        cmocka_unit_test(test_name_first_seen),
        cmocka_unit_test(test_local_domains_list),
    };
    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
