/* Conservation: no row is lost, duplicated or changed.
 *
 * Random streams (random field names, values with quotes, commas, CR, LF,
 * "$", ";", invalid UTF-8 and empty strings, multivalue fields with their
 * __mv_ columns, DNS rows and network rows over a small address pool so
 * that joins happen) go through
 *     bin/scpdrive --chunk-rows K --order O FILE -- bin/dnsjoin join
 * and `... passthrough` for K in 1, 7, 50000 and O in asis, desc, asc.
 * Property: the multiset of input rows equals the multiset of output rows
 * with the fields the join adds (dns_*, tunnel, teredo_*, sixtofour_*,
 * community_id, bypass, bypass_provider and their __mv_ columns; ports,
 * transports and public resolvers are in the streams so that these are
 * set) removed, every other field byte for byte.  An input
 * field that a row leaves empty and an absent field are the same thing in
 * Splunk results, so rows are compared over the input's columns.
 *
 * The reporting commands return counts instead of rows: on the same
 * streams, the counts of dnstimechart (no filter, src=, domain=) add up to
 * the events that pass the filter, and dnsprofile's lookups and connections
 * add up to the DNS answers and network events, each counted here from the
 * input itself (and, for domain=, from dnsjoin's choices). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/ipaddr.h"
#include "scp/cols.h"
#include "scp/csv.h"
#include "scp/mv.h"
#include "util/arena.h"
#include "support/testutil.h"

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_add(struct sbuf *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* One CSV field: quoted when needed, sometimes quoted anyway. */
static void csv_field(struct sbuf *b, const char *p, size_t n, uint64_t *rs)
{
    int need = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '"' || p[i] == ',' || p[i] == '\r' || p[i] == '\n')
            need = 1;
    if (!need && tu_rand(rs) % 3 != 0) {
        sb_add(b, p, n);
        return;
    }
    sb_str(b, "\"");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            sb_str(b, "\"");
        sb_add(b, p + i, 1);
    }
    sb_str(b, "\"");
}

/* A random value: mostly text, with the awkward bytes. */
static void rand_value(struct sbuf *v, uint64_t *rs)
{
    static const char *const odd[] = {"\"", ",", "\r", "\n", "\r\n", "$", "$$", ";", "$;$",
                                      "\xff", "\xc3\x28", "\xe2\x82", "\xd4\x8e", " ", "\t",
                                      "\"\"", "a", "example.com", "10.0.0.1", "=", "\\"};
    size_t parts = tu_rand(rs) % 6;
    v->n = 0;
    if (v->p)
        v->p[0] = '\0';
    for (size_t i = 0; i < parts; i++) {
        if (tu_rand(rs) % 2)
            sb_str(v, odd[tu_rand(rs) % (sizeof odd / sizeof odd[0])]);
        else {
            char w[12];
            size_t k = 1 + tu_rand(rs) % 10;
            for (size_t j = 0; j < k; j++)
                w[j] = (char)('a' + tu_rand(rs) % 26);
            sb_add(v, w, k);
        }
    }
}

static const char *const pool[] = {"10.0.0.1", "10.0.0.2", "192.0.2.7", "198.51.100.9",
                                   "2001:db8::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                                   "2002:c000:0204::1", "::ffff:10.0.0.2", "8.8.8.8", "1.1.1.1"};
#define POOL_N (sizeof pool / sizeof pool[0])

#define MAXC 14

struct gen {
    size_t ncols;
    char names[MAXC][32];
    int kind[MAXC];  /* 0 free text, 1 _time, 2 an IP, 3 a DNS name, 4 multivalue IPs,
                      * 5 a port, 6 a transport */
};

/* Build one random input CSV in *out. */
static void gen_stream(uint64_t *rs, struct sbuf *out, size_t *rows)
{
    static const char *const fixed[] = {"_time", "src_ip", "dest_ip", "query", "answer", "src",
                                        "_raw", "src_port", "dest_port", "transport"};
    static const int fixed_kind[] = {1, 2, 2, 3, 4, 2, 0, 5, 5, 6};
    struct gen g;
    struct sbuf v = {0}, mv = {0};
    memset(&g, 0, sizeof g);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (tu_rand(rs) % 5 != 0) {
            snprintf(g.names[g.ncols], sizeof g.names[0], "%s", fixed[i]);
            g.kind[g.ncols++] = fixed_kind[i];
        }
    while (g.ncols < MAXC && tu_rand(rs) % 3 != 0) {
        /* random names: letters, digits, and now and then a space, a dot,
         * a quote or a comma (quoted in the header) */
        static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_. -\",";
        size_t k = 1 + tu_rand(rs) % 12;
        char *nm = g.names[g.ncols];
        nm[0] = (char)('a' + tu_rand(rs) % 26);
        for (size_t j = 1; j < k; j++)
            nm[j] = chars[tu_rand(rs) % (sizeof chars - 1)];
        nm[k] = '\0';
        int dup = 0;
        for (size_t j = 0; j < g.ncols; j++)
            dup |= strcmp(g.names[j], nm) == 0;
        if (!dup)
            g.kind[g.ncols++] = tu_rand(rs) % 4 == 0 ? 4 : 0;
    }
    /* header: each column, then the __mv_ companions of the multivalue ones */
    for (size_t c = 0; c < g.ncols; c++) {
        if (c)
            sb_str(out, ",");
        csv_field(out, g.names[c], strlen(g.names[c]), rs);
    }
    for (size_t c = 0; c < g.ncols; c++)
        if (g.kind[c] == 4) {
            char nm[48];
            snprintf(nm, sizeof nm, "__mv_%s", g.names[c]);
            sb_str(out, ",");
            csv_field(out, nm, strlen(nm), rs);
        }
    sb_str(out, tu_rand(rs) % 2 ? "\r\n" : "\n");

    *rows = 1 + tu_rand(rs) % 120;
    for (size_t r = 0; r < *rows; r++) {
        char mvcells[MAXC][512];
        size_t mvlen[MAXC];
        int dns = tu_rand(rs) % 3 == 0;
        for (size_t c = 0; c < g.ncols; c++) {
            char t[64];
            v.n = 0;
            mvlen[c] = 0;
            switch (g.kind[c]) {
            case 1:
                snprintf(t, sizeof t, "%llu%s",
                         (unsigned long long)(1700000000 + tu_rand(rs) % 5000),
                         tu_rand(rs) % 2 ? ".250" : "");
                sb_str(&v, tu_rand(rs) % 20 ? t : "");
                break;
            case 2:
                if (!dns || tu_rand(rs) % 2)
                    sb_str(&v, pool[tu_rand(rs) % POOL_N]);
                break;
            case 5: {
                /* the ports the bypass rules read, any port, and junk */
                static const char *const ports[] = {"53", "443", "853", "3544", "8", "0",
                                                    "65535", "65536", "-1", "x", ""};
                if (tu_rand(rs) % 3 == 0)
                    snprintf(t, sizeof t, "%u", (unsigned)(tu_rand(rs) % 65536));
                else
                    snprintf(t, sizeof t, "%s", ports[tu_rand(rs) % 11]);
                sb_str(&v, t);
                break;
            }
            case 6: {
                static const char *const tr[] = {"tcp", "udp", "icmp", "TCP", "sctp", "6",
                                                 "gre", "", "ipv6-icmp", "17"};
                sb_str(&v, tr[tu_rand(rs) % 10]);
                break;
            }
            case 3:
                if (dns) {
                    snprintf(t, sizeof t, "host%u.example", (unsigned)(tu_rand(rs) % 5));
                    sb_str(&v, t);
                }
                break;
            case 4: {
                size_t k = dns || tu_rand(rs) % 4 == 0 ? tu_rand(rs) % 4 : 0;
                mv.n = 0;
                for (size_t j = 0; j < k; j++) {
                    struct sbuf one = {0};
                    if (g.kind[c] == 4 && tu_rand(rs) % 3)
                        sb_str(&one, pool[tu_rand(rs) % POOL_N]);
                    else
                        rand_value(&one, rs);
                    if (j)
                        sb_str(&v, "\n");
                    sb_add(&v, one.p ? one.p : "", one.n);
                    sb_str(&mv, j ? ";$" : "$");
                    for (size_t q = 0; q < one.n; q++)
                        sb_add(&mv, one.p[q] == '$' ? "$$" : one.p + q, one.p[q] == '$' ? 2 : 1);
                    sb_str(&mv, "$");
                    free(one.p);
                }
                if (k > 1 && mv.n < sizeof mvcells[0]) {
                    memcpy(mvcells[c], mv.p, mv.n);
                    mvlen[c] = mv.n;
                }
                break;
            }
            default:
                rand_value(&v, rs);
            }
            if (c)
                sb_str(out, ",");
            csv_field(out, v.p ? v.p : "", v.n, rs);
        }
        for (size_t c = 0; c < g.ncols; c++)
            if (g.kind[c] == 4) {
                sb_str(out, ",");
                csv_field(out, mvcells[c], mvlen[c], rs);
            }
        sb_str(out, tu_rand(rs) % 2 ? "\r\n" : "\n");
    }
    free(v.p);
    free(mv.p);
}

static int added_field(struct slice name)
{
    if (slice_starts_with(name, "__mv_"))
        name = slice_of(name.p + 5, name.n - 5);
    return slice_starts_with(name, "dns_") || slice_eq_cstr(name, "tunnel") ||
           slice_starts_with(name, "teredo_") || slice_starts_with(name, "sixtofour_") ||
           slice_eq_cstr(name, "community_id") || slice_starts_with(name, "bypass");
}

struct key {
    char *p;
    size_t n;
};

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Row keys over the columns of `names` (in that order): len:value each. */
static struct key *row_keys(const struct csv_table *t, struct cols *c, const struct slice *names,
                            size_t nn)
{
    struct key *k = calloc(t->nrows ? t->nrows : 1, sizeof *k);
    long *idx = calloc(nn ? nn : 1, sizeof *idx);
    assert_non_null(k);
    assert_non_null(idx);
    for (size_t i = 0; i < nn; i++) {
        uint32_t id = cols_find(c, names[i]);
        idx[i] = id == COL_NONE ? -1 : csv_col_index(t, id);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        struct sbuf b = {0};
        sb_str(&b, "");
        for (size_t i = 0; i < nn; i++) {
            struct slice v = idx[i] < 0 ? SLICE_LIT("") : csv_cell(t, r, (size_t)idx[i]);
            char len[24];
            snprintf(len, sizeof len, "%zu:", v.n);
            sb_str(&b, len);
            sb_add(&b, v.p ? v.p : "", v.n);
        }
        k[r].p = b.p;
        k[r].n = b.n;
    }
    free(idx);
    qsort(k, t->nrows, sizeof *k, key_cmp);
    return k;
}

static void free_keys(struct key *k, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(k[i].p);
    free(k);
}

static unsigned long joined; /* output rows that got a dns_query */
static unsigned long flowed; /* output rows that got a community_id */
static unsigned long bypassed; /* output rows that got a bypass */

static void check_one(const char *file, char *in, size_t inlen, const char *sub, const char *k,
                      const char *order, unsigned seed)
{
    const char *argv[] = {tu_bin("scpdrive"), "--chunk-rows", k, "--order", order, file, "--",
                          tu_bin("dnsjoin"), sub, NULL};
    struct tu_result r;
    struct err e;
    assert_int_equal(tu_run(argv, NULL, 0, 120000, &r), 0); /* hang guard */
    if (r.status != 0 || r.timed_out)
        fail_msg("seed %u %s K=%s %s: status %d%s: %.300s", seed, sub, k, order, r.status,
                 r.timed_out ? " (timed out)" : "", r.err ? r.err : "");

    char *inb = malloc(inlen + 1);
    assert_non_null(inb);
    memcpy(inb, in, inlen);
    struct cols *ci = cols_new(), *co = cols_new();
    struct csv_table ti, to;
    csv_table_init(&ti);
    csv_table_init(&to);
    assert_int_equal(csv_parse(inb, inlen, ci, &ti, &e), 0);
    if (csv_parse(r.out, r.out_len, co, &to, &e) != 0)
        fail_msg("seed %u %s K=%s %s: output is not CSV: %s", seed, sub, k, order, e.msg);

    /* output columns: the input's, the empty __mv_ companions splunkd (and
     * scpdrive) send for every field, or added by the join */
    for (size_t i = 0; i < to.ncols; i++) {
        struct slice nm = cols_name(co, to.ids[i]);
        if (cols_find(ci, nm) != COL_NONE)
            continue;
        if (strcmp(sub, "join") == 0 && added_field(nm))
            continue;
        if (slice_starts_with(nm, "__mv_") &&
            cols_find(ci, slice_of(nm.p + 5, nm.n - 5)) != COL_NONE) {
            for (size_t r2 = 0; r2 < to.nrows; r2++)
                if (csv_cell(&to, r2, i).n != 0)
                    fail_msg("seed %u %s K=%s %s: '%.*s' not empty in output row %zu", seed,
                             sub, k, order, (int)nm.n, nm.p, r2);
            continue;
        }
        fail_msg("seed %u %s K=%s %s: unexpected output field '%.*s'", seed, sub, k, order,
                 (int)nm.n, nm.p);
    }

    uint32_t dq = cols_find(co, slice_cstr("dns_query"));
    long dqi = dq == COL_NONE ? -1 : csv_col_index(&to, dq);
    for (size_t r2 = 0; dqi >= 0 && r2 < to.nrows; r2++)
        joined += csv_cell(&to, r2, (size_t)dqi).n != 0;
    uint32_t ci_id = cols_find(co, slice_cstr("community_id")), bp = cols_find(co, slice_cstr("bypass"));
    long cii = ci_id == COL_NONE ? -1 : csv_col_index(&to, ci_id);
    long bpi = bp == COL_NONE ? -1 : csv_col_index(&to, bp);
    for (size_t r2 = 0; r2 < to.nrows; r2++) {
        flowed += cii >= 0 && csv_cell(&to, r2, (size_t)cii).n != 0;
        bypassed += bpi >= 0 && csv_cell(&to, r2, (size_t)bpi).n != 0;
    }

    struct slice names[2 * MAXC + 2];
    size_t nn = 0;
    for (size_t i = 0; i < ti.ncols && nn < sizeof names / sizeof names[0]; i++)
        names[nn++] = cols_name(ci, ti.ids[i]);
    if (to.nrows != ti.nrows)
        fail_msg("seed %u %s K=%s %s: %zu rows in, %zu rows out", seed, sub, k, order, ti.nrows,
                 to.nrows);
    struct key *ki = row_keys(&ti, ci, names, nn), *ko = row_keys(&to, co, names, nn);
    for (size_t i = 0; i < ti.nrows; i++)
        if (key_cmp(&ki[i], &ko[i]) != 0)
            fail_msg("seed %u %s K=%s %s: row multisets differ (sorted row %zu: in '%.120s' "
                     "out '%.120s')",
                     seed, sub, k, order, i, ki[i].p, ko[i].p);
    free_keys(ki, ti.nrows);
    free_keys(ko, to.nrows);
    csv_table_free(&ti);
    csv_table_free(&to);
    cols_free(ci);
    cols_free(co);
    free(inb);
    tu_result_free(&r);
}

/* ---- reporting commands ----------------------------------------------- */

/* Run scpdrive ... -- dnsjoin SUB with ARGS; the output table in *t. */
static char *run_report(const char *file, const char *sub, const char *args, const char *k,
                        const char *order, struct cols *co, struct csv_table *t, size_t *len)
{
    const char *argv[] = {tu_bin("scpdrive"), "--chunk-rows", k, "--order", order, "--args",
                          args, file, "--", tu_bin("dnsjoin"), sub, NULL};
    struct tu_result r;
    struct err e;
    assert_int_equal(tu_run(argv, NULL, 0, 120000, &r), 0);
    if (r.status != 0 || r.timed_out)
        fail_msg("%s %s K=%s %s: status %d: %.300s", sub, args, k, order, r.status,
                 r.err ? r.err : "");
    char *out = r.out;
    *len = r.out_len;
    r.out = NULL;
    tu_result_free(&r);
    if (csv_parse(out, *len, co, t, &e) != 0)
        fail_msg("%s %s: output is not CSV: %s", sub, args, e.msg);
    return out;
}

/* Sum of a table's numeric cells outside the columns named in skip. */
static unsigned long long sum_cells(const struct csv_table *t, const struct cols *c,
                                    const char *only)
{
    unsigned long long sum = 0;
    for (size_t k = 0; k < t->ncols; k++) {
        struct slice nm = cols_name(c, t->ids[k]);
        if (only ? !slice_eq_cstr(nm, only)
                 : slice_eq_cstr(nm, "_time") || slice_eq_cstr(nm, "_span") ||
                       slice_starts_with(nm, "__mv_"))
            continue;
        for (size_t r = 0; r < t->nrows; r++) {
            struct slice v = csv_cell(t, r, k);
            char buf[32];
            if (v.n == 0 || v.n >= sizeof buf)
                continue;
            memcpy(buf, v.p, v.n);
            buf[v.n] = 0;
            sum += strtoull(buf, NULL, 10);
        }
    }
    return sum;
}

static struct slice cell_by(const struct csv_table *t, const struct cols *c, size_t r,
                            const char *name)
{
    uint32_t id = cols_find(c, slice_cstr(name));
    long k = id == COL_NONE ? -1 : csv_col_index(t, id);
    return k < 0 ? SLICE_NULL : csv_cell(t, r, (size_t)k);
}

/* What the input holds, counted directly (the rules of README's dnsjoin
 * section): events with _time, those whose client is 10.0.0.1, network
 * events, and distinct address answers per DNS event. */
struct expect {
    unsigned long long timed, src1, net, lookups;
};

static void count_input(char *in, size_t n, struct expect *x)
{
    struct cols *c = cols_new();
    struct csv_table t;
    struct err e;
    struct arena a;
    struct ipaddr one, ip;
    char *b = malloc(n + 1);
    assert_non_null(b);
    memcpy(b, in, n);
    csv_table_init(&t);
    arena_init(&a, 4096, 1u << 24);
    assert_int_equal(csv_parse(b, n, c, &t, &e), 0);
    assert_int_equal(ipaddr_parse(slice_cstr("10.0.0.1"), &one), 0);
    memset(x, 0, sizeof *x);
    for (size_t r = 0; r < t.nrows; r++) {
        if (cell_by(&t, c, r, "_time").n == 0)
            continue;  /* the generator writes valid times or none */
        x->timed++;
        int dns = cell_by(&t, c, r, "query").n > 0;
        struct slice cl = dns ? cell_by(&t, c, r, "src") : cell_by(&t, c, r, "src_ip");
        if (!dns && cl.n == 0)
            cl = cell_by(&t, c, r, "src");
        x->src1 += cl.n > 0 && ipaddr_parse(cl, &ip) == 0 && ipaddr_eq(&ip, &one);
        if (!dns) {
            struct slice d = cell_by(&t, c, r, "dest_ip");
            x->net += d.n > 0 && ipaddr_parse(d, &ip) == 0;
            continue;
        }
        struct ipaddr seen[16];
        size_t nseen = 0;
        struct mv_iter it;
        struct slice v;
        mv_iter_init(&it, cell_by(&t, c, r, "answer"), cell_by(&t, c, r, "__mv_answer"));
        while (mv_next(&it, &a, &v) == 1) {
            size_t j;
            if (ipaddr_parse(v, &ip) != 0)
                continue;
            for (j = 0; j < nseen && !ipaddr_eq(&seen[j], &ip); j++)
                ;
            if (j == nseen && nseen < 16) {
                seen[nseen++] = ip;
                x->lookups++;
            }
        }
    }
    arena_free(&a);
    csv_table_free(&t);
    cols_free(c);
    free(b);
}

/* Events dnstimechart domain=host1.example keeps: DNS events for that name
 * and network events dnsjoin matched to it (the join's output, in any
 * order, is the reference for its choices). */
static unsigned long long count_domain(const char *file, const char *k, const char *order)
{
    struct cols *c = cols_new();
    struct csv_table t;
    size_t len;
    unsigned long long n = 0;
    csv_table_init(&t);
    char *out = run_report(file, "join", "", k, order, c, &t, &len);
    for (size_t r = 0; r < t.nrows; r++) {
        if (cell_by(&t, c, r, "_time").n == 0)
            continue;
        struct slice q = cell_by(&t, c, r, "query"), dq = cell_by(&t, c, r, "dns_query");
        n += q.n > 0 ? slice_eq_cstr(q, "host1.example") : slice_eq_cstr(dq, "host1.example");
    }
    free(out);
    csv_table_free(&t);
    cols_free(c);
    return n;
}

static void test_reporting_counts(void **st)
{
    static const char *const ks[] = {"1", "50000"};
    static const char *const orders[] = {"asis", "desc"};
    char file[] = "/tmp/dnsjoin-counts-XXXXXX";
    unsigned long long total = 0, lookups = 0, domain = 0;
    unsigned runs = 0;
    (void)st;
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    for (unsigned seed = 1; seed <= 24; seed++) {
        uint64_t rs = 0x9e3779b97f4a7c15ull * seed;
        struct sbuf in = {0};
        size_t rows;
        struct expect x;
        gen_stream(&rs, &in, &rows);
        FILE *f = fopen(file, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(in.p, 1, in.n, f), in.n);
        fclose(f);
        count_input(in.p, in.n, &x);
        total += x.timed;
        lookups += x.lookups;
        for (size_t ki = 0; ki < 2; ki++)
            for (size_t o = 0; o < 2; o++) {
                const char *k = ks[ki], *ord = orders[o];
                unsigned long long dom = count_domain(file, k, ord);
                domain += dom;
                struct {
                    const char *sub, *args, *col;
                    unsigned long long want;
                } cases[] = {
                    {"timechart", "cont=f limit=0", NULL, x.timed},
                    {"timechart", "cont=f limit=0 src=10.0.0.1", NULL, x.src1},
                    {"timechart", "cont=f limit=0 domain=host1.example", NULL, dom},
                    {"profile", "", "lookups", x.lookups},
                    {"profile", "", "connections", x.net},
                };
                for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                    struct cols *c = cols_new();
                    struct csv_table t;
                    size_t len;
                    csv_table_init(&t);
                    char *out = run_report(file, cases[i].sub, cases[i].args, k, ord, c, &t,
                                           &len);
                    unsigned long long got = sum_cells(&t, c, cases[i].col);
                    if (got != cases[i].want)
                        fail_msg("seed %u %s %s%s%s K=%s %s: counts add up to %llu, the input "
                                 "has %llu", seed, cases[i].sub, cases[i].args,
                                 cases[i].col ? " column " : "",
                                 cases[i].col ? cases[i].col : "", k, ord, got, cases[i].want);
                    free(out);
                    csv_table_free(&t);
                    cols_free(c);
                    runs++;
                }
            }
        free(in.p);
    }
    unlink(file);
    print_message("reporting counts: %u runs add up to the events that pass their filters "
                  "(%llu events with _time, %llu answers, %llu kept by domain=)\n", runs, total,
                  lookups, domain);
    assert_int_equal(runs, 24u * 4u * 5u);
    /* not vacuous: every kind of count was exercised */
    assert_true(total > 0 && lookups > 0 && domain > 0);
}

static void test_conservation_random(void **st)
{
    static const char *const ks[] = {"1", "7", "50000"};
    static const char *const orders[] = {"asis", "desc", "asc"};
    static const char *const subs[] = {"join", "passthrough"};
    char file[] = "/tmp/dnsjoin-conservation-XXXXXX";
    (void)st;
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    unsigned trials = 0;
    for (unsigned seed = 1; seed <= 12; seed++) {
        uint64_t rs = 0x9e3779b97f4a7c15ull * seed;
        struct sbuf in = {0};
        size_t rows;
        gen_stream(&rs, &in, &rows);
        FILE *f = fopen(file, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(in.p, 1, in.n, f), in.n);
        fclose(f);
        for (size_t s = 0; s < 2; s++)
            for (size_t k = 0; k < 3; k++)
                for (size_t o = 0; o < 3; o++) {
                    check_one(file, in.p, in.n, subs[s], ks[k], orders[o], seed);
                    trials++;
                }
        free(in.p);
    }
    unlink(file);
    print_message("conservation: %u runs, every input row out exactly once, unchanged "
                  "(%lu joined rows, %lu with a community_id, %lu with a bypass)\n", trials, joined,
                  flowed, bypassed);
    assert_int_equal(trials, 12u * 18u);
    assert_true(joined > 0); /* the join did add fields, which were set aside */
    assert_true(flowed > 0);
    assert_true(bypassed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conservation_random),
        cmocka_unit_test(test_reporting_counts),
    };
    return cmocka_run_group_tests_name("conservation", tests, NULL, NULL);
}
