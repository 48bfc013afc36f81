/* dnsjoin through bin/scpdrive, as a user runs it:
 * - table-driven cases (tests/data/join/<case>/{args,input.csv,expected.csv},
 *   expectations written by hand from the rules), each fed as given, newest
 *   first and oldest first, in chunks of 1, 7 and 50,000 rows;
 * - random event sets checked against a direct, quadratic implementation of
 *   the rules written here, in every order and chunking (the larger set is
 *   big enough for the streaming path: order learnt, rows released early,
 *   old answers dropped);
 * - every input row comes out exactly once, in input order, with every input
 *   field unchanged. */
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

#include "net/ipaddr.h"
#include "scp/cols.h"
#include "scp/csv.h"
#include "support/testutil.h"
#include "util/num.h"

#define CASES "tests/data/join"

/* Run scpdrive over a file; OWNED output. */
/* The dnsjoin under test: bin/dnsjoin, or the build that packs every held
 * row (test_*_packed). */
static const char *join_bin;

static char *run_join(const char *file, const char *args, const char *order, const char *chunk,
                      size_t *n, int *status, char **err)
{
    const char *argv[] = {tu_bin("scpdrive"), "--no-mv", "--args", args, "--order", order,
                          "--chunk-rows", chunk, file, "--",
                          join_bin ? join_bin : tu_bin("dnsjoin"), "join", NULL};
    struct tu_result r;
    assert_int_equal(tu_run(argv, NULL, 0, 60000, &r), 0);
    *status = r.status;
    *n = r.out_len;
    *err = r.err;
    return r.out;
}

/* Input rows come back once each, in the order sent, fields unchanged. */
static void check_conservation(const struct tu_table *in, const struct tu_table *out, const char *order)
{
    assert_int_equal(out->t.nrows, in->t.nrows);
    long id_in = tu_table_col(in, "id");
    assert_true(id_in >= 0);
    /* the order sent: as given, or sorted by _time (stable) as scpdrive does */
    size_t *perm = malloc(in->t.nrows * sizeof *perm);
    int64_t *tm = malloc(in->t.nrows * sizeof *tm);
    int *has = malloc(in->t.nrows * sizeof *has);
    for (size_t r = 0; r < in->t.nrows; r++) {
        perm[r] = r;
        has[r] = num_parse_time_us(tu_table_cell(in, r, "_time"), &tm[r]) == 0;
    }
    int dir = strcmp(order, "desc") == 0 ? -1 : strcmp(order, "asc") == 0 ? 1 : 0;
    if (dir)
        for (size_t i = 1; i < in->t.nrows; i++)
            for (size_t k = i; k > 0; k--) {
                size_t a = perm[k - 1], b = perm[k];
                int swap = (!has[a] && has[b]) ||
                           (has[a] && has[b] && (dir < 0 ? tm[a] < tm[b] : tm[a] > tm[b]));
                if (!swap)
                    break;
                perm[k - 1] = b;
                perm[k] = a;
            }
    for (size_t r = 0; r < out->t.nrows; r++) {
        size_t src = perm[r];
        for (size_t k = 0; k < in->t.ncols; k++) {
            struct slice name = cols_name(in->c, in->t.ids[k]);
            if (slice_starts_with(name, "__mv_"))
                continue; /* scpdrive --no-mv leaves them out of its print */
            uint32_t oid = cols_find(out->c, name);
            assert_true(oid != COL_NONE);
            long ok = csv_col_index(&out->t, oid);
            assert_true(ok >= 0);
            if (!slice_eq(csv_cell(&out->t, r, (size_t)ok), csv_cell(&in->t, src, k)))
                fail_msg("%s: output row %zu field %.*s differs from input row %zu", order, r,
                         (int)name.n, name.p, src);
        }
    }
    free(perm);
    free(tm);
    free(has);
}

static void check_case(const char *dir)
{
    static const char *orders[] = {"asis", "desc", "asc"};
    static const char *chunks[] = {"1", "7", "50000"};
    char path[512], input[512];
    size_t n;

    snprintf(path, sizeof path, "%s/%s/args", CASES, dir);
    char *args = tu_read_file(path, &n);
    assert_non_null(args);
    args[strcspn(args, "\n")] = 0;
    snprintf(input, sizeof input, "%s/%s/input.csv", CASES, dir);
    snprintf(path, sizeof path, "%s/%s/expected.csv", CASES, dir);
    struct tu_table exp, in;
    char *ed = tu_read_file(path, &n);
    assert_non_null(ed);
    assert_int_equal(tu_table_load(&exp, ed, n), 0);
    char *id_ = tu_read_file(input, &n);
    assert_non_null(id_);
    assert_int_equal(tu_table_load(&in, id_, n), 0);

    for (size_t o = 0; o < 3; o++)
        for (size_t c = 0; c < 3; c++) {
            int status;
            char *err;
            char *out = run_join(input, args, orders[o], chunks[c], &n, &status, &err);
            if (status != 0)
                fail_msg("%s (%s, %s): status %d: %s", dir, orders[o], chunks[c], status, err);
            struct tu_table got;
            assert_int_equal(tu_table_load(&got, out, n), 0);
            check_conservation(&in, &got, orders[o]);
            for (size_t er = 0; er < exp.t.nrows; er++) {
                struct slice id = tu_table_cell(&exp, er, "id");
                size_t gr;
                for (gr = 0; gr < got.t.nrows; gr++)
                    if (slice_eq(tu_table_cell(&got, gr, "id"), id))
                        break;
                assert_true(gr < got.t.nrows);
                for (size_t k = 0; k < exp.t.ncols; k++) {
                    struct slice name = cols_name(exp.c, exp.t.ids[k]);
                    char nm[64];
                    snprintf(nm, sizeof nm, "%.*s", (int)name.n, name.p);
                    struct slice want = csv_cell(&exp.t, er, k), have = tu_table_cell(&got, gr, nm);
                    if (!slice_eq(want, have))
                        fail_msg("%s (%s, chunk %s): row %.*s %s = '%.*s', want '%.*s'", dir,
                                 orders[o], chunks[c], (int)id.n, id.p, nm, (int)have.n, have.p,
                                 (int)want.n, want.p);
                }
            }
            tu_table_free(&got);
            free(err);
        }
    tu_table_free(&exp);
    tu_table_free(&in);
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
    assert_true(ncases >= 8);
}

/* ---- random sets against a direct implementation of the rules ---------- */

struct ev {
    int dns;            /* 1 DNS answer, 0 network event */
    int64_t t;          /* microseconds */
    char name[32];
    char client[16];
    char ip[2][16];     /* DNS: up to two answers ("" = none); network: ip[0] */
    int nanswers;
};

/* One of n documentation addresses, or now and then a sinkhole answer
 * (0.0.0.0 or ::), which must never make a record. */
static void pick_ip(uint64_t *rs, int n, char *out, size_t size)
{
    int r = (int)(tu_rand(rs) % (uint64_t)(n + 2));
    if (r == n)
        snprintf(out, size, "0.0.0.0");
    else if (r == n + 1)
        snprintf(out, size, "::");
    else
        snprintf(out, size, "192.0.2.%d", r);
}

static int is_sinkhole(const char *ip) { return strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0; }

static void gen(struct ev *v, size_t n, uint64_t seed, int64_t span_s)
{
    uint64_t rs = seed;
    for (size_t i = 0; i < n; i++) {
        struct ev *e = &v[i];
        memset(e, 0, sizeof *e);
        e->dns = tu_rand(&rs) % 3 == 0;
        /* some times collide on purpose (ties), some are fractional */
        e->t = (int64_t)(tu_rand(&rs) % (uint64_t)span_s) * US_PER_SEC +
               (tu_rand(&rs) % 4 == 0 ? (int64_t)(tu_rand(&rs) % 1000) * 1000 : 0);
        snprintf(e->client, sizeof e->client, "10.0.0.%d", (int)(tu_rand(&rs) % 4));
        if (e->dns) {
            snprintf(e->name, sizeof e->name, "n%d.example", (int)(tu_rand(&rs) % 6));
            e->nanswers = 1 + (int)(tu_rand(&rs) % 2);
            for (int k = 0; k < e->nanswers; k++)
                pick_ip(&rs, 5, e->ip[k], sizeof e->ip[k]);
        } else {
            pick_ip(&rs, 6, e->ip[0], sizeof e->ip[0]);
        }
    }
}

static void write_csv(const char *path, const struct ev *v, size_t n, const size_t *perm)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "id,_time,src,query,answer,__mv_answer,src_ip,dest_ip\n");
    for (size_t i = 0; i < n; i++) {
        const struct ev *e = &v[perm[i]];
        char ts[NUM_US_STRMAX];
        num_format_us(e->t, ts);
        if (e->dns) {
            if (e->nanswers == 2)
                fprintf(f, "r%zu,%s,%s,%s,\"%s\n%s\",\"$%s$;$%s$\",,\n", perm[i], ts, e->client,
                        e->name, e->ip[0], e->ip[1], e->ip[0], e->ip[1]);
            else
                fprintf(f, "r%zu,%s,%s,%s,%s,,,\n", perm[i], ts, e->client, e->name, e->ip[0]);
        } else {
            fprintf(f, "r%zu,%s,,,,,%s,%s\n", perm[i], ts, e->client, e->ip[0]);
        }
    }
    fclose(f);
}

/* The rules, directly: O(events x answers). */
static void expect_for(const struct ev *v, size_t n, size_t i, int64_t window, int64_t skew,
                       char *match, char *query, char *client, char *age, char *queries)
{
    const struct ev *e = &v[i];
    const struct ev *bc = NULL, *ba = NULL;
    const char *names[64];
    size_t nn = 0;
    strcpy(match, "none");
    query[0] = client[0] = age[0] = queries[0] = 0;
    for (size_t k = 0; k < n; k++) {
        const struct ev *d = &v[k];
        if (!d->dns || d->t < e->t - window || d->t > e->t + skew)
            continue;
        int hit = 0;
        for (int a = 0; a < d->nanswers; a++)
            hit |= strcmp(d->ip[a], e->ip[0]) == 0 && !is_sinkhole(d->ip[a]);
        if (!hit)
            continue;
        int seen = 0;
        for (size_t q = 0; q < nn; q++)
            seen |= strcmp(names[q], d->name) == 0;
        if (!seen)
            names[nn++] = d->name;
#define BETTER(x, y)                                                                        \
    ((y) == NULL || (x)->t > (y)->t ||                                                       \
     ((x)->t == (y)->t && (strcmp((x)->name, (y)->name) < 0 ||                               \
                           (strcmp((x)->name, (y)->name) == 0 &&                             \
                            strcmp((x)->client, (y)->client) < 0))))
        if (BETTER(d, ba))
            ba = d;
        if (strcmp(d->client, e->client) == 0 && BETTER(d, bc))
            bc = d;
    }
    const struct ev *pick = bc ? bc : ba;
    if (pick) {
        strcpy(match, bc ? "client" : "network");
        strcpy(query, pick->name);
        strcpy(client, pick->client);
        num_format_us(e->t - pick->t, age);
    }
    /* sorted distinct names joined by LF */
    for (size_t a = 0; a < nn; a++)
        for (size_t b = a + 1; b < nn; b++)
            if (strcmp(names[b], names[a]) < 0) {
                const char *t = names[a];
                names[a] = names[b];
                names[b] = t;
            }
    for (size_t a = 0; a < nn; a++) {
        if (a)
            strcat(queries, "\n");
        strcat(queries, names[a]);
    }
}

static void check_random(size_t n, int64_t span_s, const char *args, int64_t window,
                         int64_t skew, const char *const *chunks, size_t nchunks, uint64_t seed)
{
    struct ev *v = calloc(n, sizeof *v);
    size_t *perm = malloc(n * sizeof *perm);
    char path[64];
    uint64_t rs = seed * 7 + 1;
    gen(v, n, seed, span_s);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) { /* shuffled */
        size_t k = (size_t)(tu_rand(&rs) % i), t = perm[i - 1];
        perm[i - 1] = perm[k];
        perm[k] = t;
    }
    snprintf(path, sizeof path, "/tmp/dnsjoin-test-%d.csv", (int)getpid());
    write_csv(path, v, n, perm);
    if (getenv("KEEP_JOIN_CSV"))
        write_csv(getenv("KEEP_JOIN_CSV"), v, n, perm);

    char (*m)[16] = calloc(n, 16), (*q)[32] = calloc(n, 32), (*c)[32] = calloc(n, 32);
    char (*a)[32] = calloc(n, 32), (*qs)[512] = calloc(n, 512);
    for (size_t i = 0; i < n; i++)
        if (!v[i].dns)
            expect_for(v, n, i, window, skew, m[i], q[i], c[i], a[i], qs[i]);

    static const char *orders[] = {"asis", "desc", "asc"};
    for (size_t o = 0; o < 3; o++)
        for (size_t ch = 0; ch < nchunks; ch++) {
            int status;
            char *err;
            size_t len;
            char *out = run_join(path, args, orders[o], chunks[ch], &len, &status, &err);
            if (status != 0)
                fail_msg("random n=%zu (%s, %s): status %d: %s", n, orders[o], chunks[ch], status,
                         err);
            struct tu_table got;
            assert_int_equal(tu_table_load(&got, out, len), 0);
            assert_int_equal(got.t.nrows, n);
            /* the large set must take the streaming path when ordered */
            if (n >= 20000 && strcmp(orders[o], "asis") != 0 &&
                strstr(err, strcmp(orders[o], "desc") == 0 ? "input newest first"
                                                             : "input oldest first") == NULL)
                fail_msg("order not learnt (%s): %s", orders[o], err);
            for (size_t r = 0; r < got.t.nrows; r++) {
                struct slice id = tu_table_cell(&got, r, "id");
                uint64_t i;
                assert_int_equal(num_parse_u64(slice_of(id.p + 1, id.n - 1), 0, n - 1, &i), 0);
                if (v[i].dns) {
                    assert_int_equal(tu_table_cell(&got, r, "dns_match").n, 0);
                    continue;
                }
                const char *names[] = {"dns_match", "dns_query", "dns_client", "dns_age",
                                       "dns_queries"};
                const char *want[] = {m[i], q[i], c[i], a[i], qs[i]};
                for (int k = 0; k < 5; k++)
                    if (!slice_eq_cstr(tu_table_cell(&got, r, names[k]), want[k])) {
                        struct slice h = tu_table_cell(&got, r, names[k]);
                        fail_msg("random n=%zu seed %llu (%s, chunk %s) row r%llu: %s='%.*s' "
                                 "want '%s'", n, (unsigned long long)seed, orders[o], chunks[ch],
                                 (unsigned long long)i, names[k], (int)h.n, h.p, want[k]);
                    }
            }
            tu_table_free(&got);
            free(err);
        }
    unlink(path);
    free(m);
    free(q);
    free(c);
    free(a);
    free(qs);
    free(v);
    free(perm);
}

static void test_random_small(void **st)
{
    static const char *chunks[] = {"1", "7", "50000"};
    (void)st;
    for (uint64_t seed = 1; seed <= 3; seed++)
        check_random(300, 4000, "window=10m skew=2s", 600 * US_PER_SEC, 2 * US_PER_SEC,
                     chunks, 3, seed);
}

static void test_random_streaming(void **st)
{
    /* 30,000 rows over ~3 days with a 5-minute window: ordered input is
     * streamed (released early, answers dropped), shuffled input is held. */
    static const char *chunks[] = {"7", "50000"};
    (void)st;
    check_random(30000, 250000, "window=5m skew=3s scope=any", 300 * US_PER_SEC,
                 3 * US_PER_SEC, chunks, 2, 42);
}

/* The same checks with a dnsjoin built with JOIN_HELD_PLAIN_MAX=0, so that
 * every held row is packed (util/rowpack.h) and unpacked for its reply. */
static int use_packed(void)
{
    join_bin = getenv("DNSJOIN_PACKED");
    if (join_bin == NULL || access(join_bin, X_OK) != 0) {
        print_message("[  SKIPPED ] DNSJOIN_PACKED is not set to the packing build of dnsjoin "
                      "(make test builds it)\n");
        join_bin = NULL;
        return 0;
    }
    return 1;
}

static void test_cases_packed(void **st)
{
    if (use_packed())
        test_cases(st);
    join_bin = NULL;
}

static void test_random_packed(void **st)
{
    if (use_packed()) {
        test_random_small(st);
        test_random_streaming(st);
    }
    join_bin = NULL;
}

/* Unordered input beyond maxbuffer, and a late answer that could change
 * results already sent: both stop with an ERROR that says how to sort. */
static void test_limits_and_order_errors(void **st)
{
    char path[64];
    struct tu_result r;
    (void)st;
    snprintf(path, sizeof path, "/tmp/dnsjoin-order-%d.csv", (int)getpid());

    /* 20,000 events newest first, then an answer from their middle. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "_time,src,query,answer,src_ip,dest_ip\n");
    for (int i = 0; i < 20000; i++)
        fprintf(f, "%d,,,,10.0.0.1,192.0.2.%d\n", 100000 - i * 4, i % 200);
    fprintf(f, "90000,10.0.0.1,late.example,192.0.2.7,,\n");
    fclose(f);
    const char *late[] = {tu_bin("scpdrive"), "--quiet", "--args", "window=60s", path, "--",
                          tu_bin("dnsjoin"), "join", NULL};
    assert_int_equal(tu_run(late, NULL, 0, 60000, &r), 0);
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "not in time order") == NULL || strstr(r.err, "sort 0 -_time") == NULL)
        fail_msg("late answer: %s", r.err);
    tu_result_free(&r);

    /* The same rows shuffled with a tiny maxbuffer. */
    const char *buf[] = {tu_bin("scpdrive"), "--quiet", "--chunk-rows", "1000", "--args",
                         "window=60s maxbuffer=64K", "--order", "asis", path, "--",
                         tu_bin("dnsjoin"), "join", NULL};
    /* make the file unordered: swap two rows near the start */
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "_time,src,query,answer,src_ip,dest_ip\n");
    fprintf(f, "5,,,,10.0.0.1,192.0.2.1\n");
    for (int i = 0; i < 5000; i++)
        fprintf(f, "%d,,,,10.0.0.1,192.0.2.%d\n", 100000 - i * 4, i % 200);
    fclose(f);
    assert_int_equal(tu_run(buf, NULL, 0, 60000, &r), 0);
    assert_int_equal(r.status, 1);
    if (strstr(r.err, "maxbuffer=65536") == NULL || strstr(r.err, "sort 0 -_time") == NULL)
        fail_msg("maxbuffer: %s", r.err);
    tu_result_free(&r);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_random_small),
        cmocka_unit_test(test_random_streaming),
        cmocka_unit_test(test_limits_and_order_errors),
        cmocka_unit_test(test_cases_packed),
        cmocka_unit_test(test_random_packed),
    };
    return cmocka_run_group_tests_name("join", tests, NULL, NULL);
}
